//! Tenants and users.

use store::{NewTenant, NewUser, Role, StoreError, TenantId};

use crate::on_both;

fn user(tenant: Option<TenantId>, name: &str, role: Role) -> NewUser {
    NewUser {
        tenant,
        username: name.into(),
        display_name: format!("{name} 显示名"),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

#[test]
fn tenants_are_created_with_chinese_defaults_and_listed() {
    on_both(|store, _| async move {
        let water = store
            .create_tenant(
                &NewTenant::new("water-96332", "自来水热线", 24, "water.example"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(
            (water.time_zone.as_str(), water.locale.as_str()),
            ("Asia/Shanghai", "zh-CN")
        );
        let mut en = NewTenant::new("acme", "Acme Machinery", 60, "acme.example");
        en.locale = "en".into();
        en.time_zone = "Europe/Berlin".into();
        let acme = store.create_tenant(&en, 11).await.unwrap();
        assert_eq!(store.tenants().await.unwrap(), vec![water.clone(), acme]);
        assert_eq!(
            store.tenant(water.id).await.unwrap().unwrap().name,
            "自来水热线"
        );
        assert_eq!(store.tenant(TenantId(9_999)).await.unwrap(), None);
    });
}

#[test]
fn tenant_conflicts_and_bad_fields_are_refused_and_write_nothing() {
    on_both(|store, _| async move {
        store
            .create_tenant(&NewTenant::new("water", "Water", 24, "water.example"), 1)
            .await
            .unwrap();
        let same_slug = NewTenant::new("water", "Other", 5, "other.example");
        assert!(matches!(
            store.create_tenant(&same_slug, 2).await,
            Err(StoreError::Conflict { .. })
        ));
        let same_domain = NewTenant::new("other", "Other", 5, "water.example");
        assert!(matches!(
            store.create_tenant(&same_domain, 2).await,
            Err(StoreError::Conflict { .. })
        ));
        let mut bad = NewTenant::new("Bad Slug", "x", 5, "bad.example");
        assert!(matches!(
            store.create_tenant(&bad, 2).await,
            Err(StoreError::Invalid { field: "slug", .. })
        ));
        bad.slug = "bad".into();
        bad.locale = "fr".into();
        assert!(matches!(
            store.create_tenant(&bad, 2).await,
            Err(StoreError::Invalid {
                field: "locale",
                ..
            })
        ));
        assert_eq!(store.tenants().await.unwrap().len(), 1);
    });
}

#[test]
fn users_belong_to_one_tenant_or_run_the_platform() {
    on_both(|store, _| async move {
        let a = store
            .create_tenant(&NewTenant::new("a", "A", 5, "a.example"), 1)
            .await
            .unwrap();
        let b = store
            .create_tenant(&NewTenant::new("b", "B", 5, "b.example"), 1)
            .await
            .unwrap();
        let admin = store
            .create_user(&user(None, "root", Role::PlatformAdmin), 2)
            .await
            .unwrap();
        let agent = store
            .create_user(&user(Some(a.id), "zhang.san", Role::Agent), 3)
            .await
            .unwrap();
        // The same login name in another tenant is another person.
        store
            .create_user(&user(Some(b.id), "zhang.san", Role::Supervisor), 3)
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_user(&user(Some(a.id), "zhang.san", Role::Expert), 4)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store
                .create_user(&user(None, "root", Role::PlatformAdmin), 4)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store
                .create_user(&user(Some(a.id), "boss", Role::PlatformAdmin), 4)
                .await,
            Err(StoreError::Invalid {
                field: "tenant",
                ..
            })
        ));
        assert!(matches!(
            store
                .create_user(&user(None, "lonely", Role::Agent), 4)
                .await,
            Err(StoreError::Invalid {
                field: "tenant",
                ..
            })
        ));
        assert!(matches!(
            store
                .create_user(&user(Some(TenantId(9_999)), "ghost", Role::Agent), 4)
                .await,
            Err(StoreError::NotFound { what: "tenant" })
        ));
        let mut plain = user(Some(a.id), "careless", Role::Agent);
        plain.password_hash = "hunter2".into();
        assert!(matches!(
            store.create_user(&plain, 4).await,
            Err(StoreError::Invalid {
                field: "password_hash",
                ..
            })
        ));

        assert_eq!(store.user_by_name(None, "root").await.unwrap(), Some(admin));
        assert_eq!(
            store.user_by_name(Some(a.id), "zhang.san").await.unwrap(),
            Some(agent)
        );
        assert_eq!(
            store
                .user_by_name(Some(b.id), "zhang.san")
                .await
                .unwrap()
                .unwrap()
                .role,
            Role::Supervisor
        );
        assert_eq!(store.user_by_name(None, "zhang.san").await.unwrap(), None);
        assert_eq!(store.user_by_name(Some(a.id), "root").await.unwrap(), None);
    });
}

#[test]
fn a_dialled_number_reaches_exactly_one_tenant() {
    on_both(|store, _| async move {
        let water = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 1)
            .await
            .unwrap();
        let gas = store
            .create_tenant(&NewTenant::new("gas", "燃气", 10, "gas.example"), 1)
            .await
            .unwrap();
        let numbers = vec!["+8657196332".to_string(), "96332".to_string()];
        assert_eq!(
            store
                .scoped(water.id)
                .set_tenant_numbers(&numbers, 2)
                .await
                .unwrap(),
            vec!["+8657196332".to_string(), "96332".to_string()]
        );
        assert_eq!(
            store.tenant_by_number("96332").await.unwrap(),
            Some(water.id)
        );
        // Another tenant cannot take it, and its own numbers stay as they were.
        store
            .scoped(gas.id)
            .set_tenant_numbers(&["96777".to_string()], 3)
            .await
            .unwrap();
        let err = store
            .scoped(gas.id)
            .set_tenant_numbers(&["96777".to_string(), "96332".to_string()], 4)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert_eq!(
            store.scoped(gas.id).tenant_numbers().await.unwrap(),
            vec!["96777".to_string()]
        );
        assert_eq!(
            store.tenant_by_number("96332").await.unwrap(),
            Some(water.id)
        );
        // Replacing the set frees the old numbers.
        store
            .scoped(water.id)
            .set_tenant_numbers(&[], 5)
            .await
            .unwrap();
        assert_eq!(store.tenant_by_number("96332").await.unwrap(), None);
        assert_eq!(store.tenant_by_number("+10000").await.unwrap(), None);
    });
}

#[test]
fn issue_4_the_registrar_finds_a_tenant_by_its_sip_domain_in_any_case() {
    on_both(|store, _| async move {
        let water = store
            .create_tenant(
                &NewTenant::new("water-96332", "自来水热线", 24, "Water.Example"),
                10,
            )
            .await
            .unwrap();
        store
            .create_tenant(&NewTenant::new("acme", "Acme", 5, "acme.example"), 11)
            .await
            .unwrap();
        for domain in ["water.example", "WATER.EXAMPLE", "Water.Example"] {
            assert_eq!(
                store.tenants_by_sip_domain(domain).await.unwrap(),
                vec![water.clone()],
                "{domain}"
            );
        }
        // An address, or a domain nobody has: no tenant.
        assert_eq!(
            store.tenants_by_sip_domain("127.0.0.1").await.unwrap(),
            vec![]
        );
        assert_eq!(store.tenants_by_sip_domain("water").await.unwrap(), vec![]);
    });
}

/// Issue 19: the SQLite and PostgreSQL migrations make the same schema — the same tables
/// with the same columns, and the same indexes — so a query written once runs on both.
#[test]
fn issue_19_sqlite_and_postgres_schemas_agree() {
    let schemas = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = schemas.clone();
    on_both(move |store, _| {
        let s = s.clone();
        async move {
            let schema = store.schema().await.unwrap();
            s.lock().unwrap().push(schema);
        }
    });
    let schemas = schemas.lock().unwrap();
    let [sqlite, postgres] = schemas.as_slice() else {
        panic!("one schema per backend")
    };
    // Read from the databases, not assumed: every table and index the migrations make.
    assert!(sqlite.tables.len() >= 11, "{sqlite:?}");
    assert!(
        sqlite
            .indexes
            .contains(&("events".into(), "events_kind".into()))
    );
    assert_eq!(sqlite.tables, postgres.tables);
    assert_eq!(sqlite.indexes, postgres.indexes);
}
