//! Sessions, seats and the audit log.

use store::{AuditEntry, NewTenant, NewUser, Role, Session, SessionKind, StoreError};

use crate::on_both;

fn session(hash: &str, user: &store::User, expires: i64) -> Session {
    Session {
        token_hash: hash.into(),
        user: user.id,
        tenant: user.tenant,
        kind: SessionKind::Cookie,
        csrf: "csrf".into(),
        label: String::new(),
        created_at_ms: 0,
        expires_at_ms: expires,
    }
}

#[test]
fn the_seat_quota_counts_agents_not_sessions() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("small", "小中心", 2, "small.example"), 1)
            .await
            .unwrap();
        let mut agents = Vec::new();
        for i in 0..3 {
            let u = NewUser {
                tenant: Some(t.id),
                username: format!("agent{i}"),
                display_name: format!("座席{i}"),
                role: Role::Agent,
                password_hash: "$argon2id$x".into(),
            };
            agents.push(store.create_user(&u, 1).await.unwrap());
        }
        store
            .create_session(&session("a0", &agents[0], 100), Some(2), 10)
            .await
            .unwrap();
        // A second session of the same agent takes no second seat.
        store
            .create_session(&session("a0b", &agents[0], 100), Some(2), 10)
            .await
            .unwrap();
        store
            .create_session(&session("a1", &agents[1], 100), Some(2), 10)
            .await
            .unwrap();
        assert_eq!(store.scoped(t.id).seats_in_use(10).await.unwrap(), 2);
        let err = store
            .create_session(&session("a2", &agents[2], 100), Some(2), 10)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::SeatsFull { quota: 2 }), "{err}");
        assert_eq!(store.session("a2", 10).await.unwrap(), None);
        // Logging out frees the seat.
        store.revoke_session("a1", 11).await.unwrap();
        store
            .create_session(&session("a2", &agents[2], 100), Some(2), 12)
            .await
            .unwrap();
        // An expired session holds no seat.
        assert_eq!(store.scoped(t.id).seats_in_use(100).await.unwrap(), 0);
        let (s, u) = store.session("a0", 50).await.unwrap().unwrap();
        assert_eq!((s.user, u.username.as_str()), (agents[0].id, "agent0"));
        assert_eq!(store.session("a0", 100).await.unwrap(), None);
        store.extend_session("a0", 200).await.unwrap();
        assert!(store.session("a0", 150).await.unwrap().is_some());
        // Deactivating the user ends what their sessions can do.
        store
            .scoped(t.id)
            .update_user(
                agents[0].id,
                1,
                &store::UserChanges {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(store.session("a0", 150).await.unwrap(), None);
        store
            .set_password_hash(agents[2].id, "$argon2id$new", 13, None)
            .await
            .unwrap();
        assert_eq!(store.session("a2", 14).await.unwrap(), None);
    });
}

#[test]
fn audit_entries_are_per_tenant_newest_first() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("a", "A", 2, "a.example"), 1)
            .await
            .unwrap();
        for i in 0..3 {
            store
                .append_audit(&AuditEntry {
                    tenant: Some(t.id),
                    at_ms: i,
                    actor: None,
                    action: "customer.view_protected".into(),
                    target_kind: "customer".into(),
                    target_id: i.to_string(),
                    detail: serde_json::json!({"fields": ["id_number"]}),
                })
                .await
                .unwrap();
        }
        store
            .append_audit(&AuditEntry {
                tenant: None,
                at_ms: 9,
                actor: None,
                action: "tenant.create".into(),
                target_kind: "tenant".into(),
                target_id: t.id.0.to_string(),
                detail: serde_json::json!({}),
            })
            .await
            .unwrap();
        let mine = store.audit_entries(Some(t.id), None, 2).await.unwrap();
        assert_eq!(
            mine.iter()
                .map(|e| e.entry.target_id.as_str())
                .collect::<Vec<_>>(),
            ["2", "1"]
        );
        let older = store
            .audit_entries(Some(t.id), Some(mine[1].id), 10)
            .await
            .unwrap();
        assert_eq!(older.len(), 1);
        let platform = store.audit_entries(None, None, 10).await.unwrap();
        assert_eq!(platform.len(), 1);
        assert_eq!(platform[0].entry.action, "tenant.create");
    });
}
