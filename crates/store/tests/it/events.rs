//! The event log: idempotent appends, order, isolation, and the batching writer.

use serde_json::json;
use store::{CustomerId, EventLog, NewEvent, NewTenant, StoreError, TenantId};

use crate::on_both;

fn event(tenant: TenantId, id: &str, at_ms: i64) -> NewEvent {
    NewEvent {
        tenant,
        id: id.into(),
        at_ms,
        kind: "agent_state".into(),
        payload: json!({ "agent": 7, "state": "not_ready", "reason": "小休" }),
        order: None,
        lead: None,
    }
}

#[test]
fn appends_are_idempotent_by_id_and_read_back_in_order() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 0)
            .await
            .unwrap();
        let batch: Vec<NewEvent> = (0..50)
            .map(|i| event(t.id, &format!("e{i}"), 1_000 + i))
            .collect();
        assert_eq!(store.append_events(&batch).await.unwrap(), 50);
        // A retried batch (say after a lost commit acknowledgement) adds nothing.
        assert_eq!(store.append_events(&batch[10..30]).await.unwrap(), 0);
        let mixed = vec![event(t.id, "e49", 0), event(t.id, "e50", 2_000)];
        assert_eq!(store.append_events(&mixed).await.unwrap(), 1);

        let first = store.scoped(t.id).events_after(0, 20).await.unwrap();
        assert_eq!(first.len(), 20);
        assert_eq!(first[0].id, "e0");
        assert_eq!(first[0].payload["reason"], "小休");
        let rest = store
            .scoped(t.id)
            .events_after(first.last().unwrap().seq, 1_000)
            .await
            .unwrap();
        assert_eq!(rest.len(), 31);
        let ids: Vec<&str> = first.iter().chain(&rest).map(|e| e.id.as_str()).collect();
        let expected: Vec<String> = (0..=50).map(|i| format!("e{i}")).collect();
        assert_eq!(ids, expected);
        assert!(first.iter().chain(&rest).is_sorted_by_key(|e| e.seq));
    });
}

#[test]
fn tenants_never_see_each_others_events() {
    on_both(|store, _| async move {
        let a = store
            .create_tenant(&NewTenant::new("a", "A", 5, "a.example"), 0)
            .await
            .unwrap();
        let b = store
            .create_tenant(&NewTenant::new("b", "B", 5, "b.example"), 0)
            .await
            .unwrap();
        // The same event id in two tenants is two events.
        store
            .append_events(&[
                event(a.id, "x", 1),
                event(b.id, "x", 2),
                event(b.id, "y", 3),
            ])
            .await
            .unwrap();
        let of_a = store.scoped(a.id).events_after(0, 100).await.unwrap();
        let of_b = store.scoped(b.id).events_after(0, 100).await.unwrap();
        assert_eq!(of_a.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [1]);
        assert_eq!(of_b.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [2, 3]);
        assert!(of_b.iter().all(|e| e.tenant == b.id));
    });
}

#[test]
fn a_batch_naming_an_unknown_tenant_writes_nothing() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("t", "T", 5, "t.example"), 0)
            .await
            .unwrap();
        let batch = [event(t.id, "ok", 1), event(TenantId(9_999), "ghost", 2)];
        assert!(matches!(
            store.append_events(&batch).await,
            Err(StoreError::NotFound { what: "tenant" })
        ));
        assert!(
            store
                .scoped(t.id)
                .events_after(0, 10)
                .await
                .unwrap()
                .is_empty(),
            "all or nothing"
        );
        let bad = NewEvent {
            id: String::new(),
            ..event(t.id, "", 1)
        };
        assert!(matches!(
            store.append_events(&[bad]).await,
            Err(StoreError::Invalid { field: "id", .. })
        ));
    });
}

#[test]
fn the_writer_batches_concurrent_producers_and_loses_nothing() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("busy", "Busy", 500, "busy.example"), 0)
            .await
            .unwrap();
        let log = std::sync::Arc::new(EventLog::start(store.clone(), 64));
        let mut producers = Vec::new();
        for p in 0..8 {
            let log = log.clone();
            producers.push(tokio::spawn(async move {
                for i in 0..250 {
                    log.append(event(t.id, &format!("p{p}-{i}"), i))
                        .await
                        .unwrap();
                }
            }));
        }
        for p in producers {
            p.await.unwrap();
        }
        // An event for a tenant that does not exist is set aside, not the batch around it.
        log.append(event(TenantId(9_999), "ghost", 0))
            .await
            .unwrap();
        log.append(event(t.id, "last", 0)).await.unwrap();
        log.flush().await.unwrap();
        assert_eq!(log.rejected(), 1);
        let dead = store.dead_letters(10).await.unwrap();
        assert_eq!(dead.len(), 1, "the refused event is kept for an operator");
        assert_eq!(
            (dead[0].tenant, dead[0].id.as_str()),
            (TenantId(9_999), "ghost")
        );
        let written = store.scoped(t.id).events_after(0, 10_000).await.unwrap();
        assert_eq!(written.len(), 8 * 250 + 1);
        let mut ids: Vec<&str> = written.iter().map(|e| e.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 8 * 250 + 1, "each exactly once");

        let log = std::sync::Arc::into_inner(log).expect("producers are done");
        log.append(event(t.id, "on-close", 0)).await.unwrap();
        log.close().await;
        assert_eq!(
            store
                .scoped(t.id)
                .events_after(0, 10_000)
                .await
                .unwrap()
                .len(),
            8 * 250 + 2
        );
    });
}

#[test]
fn a_customers_timeline_is_the_events_that_name_it_newest_first() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("tl", "时间线", 1, "tl.example"), 1)
            .await
            .unwrap();
        let e = |id: &str, payload: serde_json::Value| NewEvent {
            tenant: t.id,
            id: id.into(),
            at_ms: 1,
            kind: "k".into(),
            payload,
            order: None,
            lead: None,
        };
        store
            .append_events(&[
                e("a", json!({"customer_id": 7})),
                e("b", json!({"customer_id": 8})),
                e("c", json!({"customer_id": "not a number"})),
                e("d", json!({"other": 7})),
                e("f", json!({"customer_id": 7, "recording": "r.wav"})),
                e("g", json!({"customer_id": 9})),
            ])
            .await
            .unwrap();
        let ids = |v: Vec<store::StoredEvent>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        let seven = store
            .scoped(t.id)
            .customer_events(&[CustomerId(7)], None, 10)
            .await
            .unwrap();
        let before = seven[0].seq;
        assert_eq!(ids(seven), ["f", "a"]);
        assert_eq!(
            ids(store
                .scoped(t.id)
                .customer_events(&[CustomerId(7), CustomerId(9)], None, 10)
                .await
                .unwrap()),
            ["g", "f", "a"]
        );
        assert_eq!(
            ids(store
                .scoped(t.id)
                .customer_events(&[CustomerId(7)], Some(before), 10)
                .await
                .unwrap()),
            ["a"]
        );
        assert!(
            store
                .scoped(t.id)
                .customer_events(&[], None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    });
}

/// Issue 20: an event PostgreSQL could never store (a U+0000 in its payload, from a wrap-up
/// note) is refused when appended, naming the payload; the writer goes on with the events
/// behind it (before, it retried the batch forever and every producer blocked behind it).
#[test]
fn issue_20_an_event_with_a_nul_is_refused_and_the_log_goes_on() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("nul", "Nul", 5, "nul.example"), 0)
            .await
            .unwrap();
        let log = EventLog::start(store.clone(), 8);
        let poison = NewEvent {
            payload: json!({"notes": "before\u{0}after"}),
            ..event(t.id, "poison", 1)
        };
        assert!(matches!(
            log.append(poison).await,
            Err(store::AppendError::Invalid(StoreError::Invalid {
                field: "payload",
                ..
            }))
        ));
        for i in 0..40 {
            log.append(event(t.id, &format!("after-{i}"), i))
                .await
                .unwrap();
        }
        tokio::time::timeout(std::time::Duration::from_secs(10), log.flush())
            .await
            .expect("the writer is not stuck")
            .unwrap();
        let written = store.scoped(t.id).events_after(0, 100).await.unwrap();
        assert_eq!(written.len(), 40);
        // Set aside where an operator finds it, with the NUL kept (escaped).
        let dead = store.dead_letters(10).await.unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].id, "poison");
        assert!(
            dead[0].payload.contains("before\\u0000after"),
            "{}",
            dead[0].payload
        );
        assert!(dead[0].reason.contains("payload"), "{}", dead[0].reason);
        assert_eq!(log.rejected(), 1);
    });
}

/// Issue 20: `append` returns only once the event is committed, so whatever a producer says
/// or does after it (a 2xx, a phone rung) survives a crash: read straight from the
/// database, with no flush, it is there.
#[test]
fn issue_20_an_appended_event_is_in_the_database_when_append_returns() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("dur", "Dur", 5, "dur.example"), 0)
            .await
            .unwrap();
        let log = EventLog::start(store.clone(), 8);
        for i in 0..20 {
            log.append(event(t.id, &format!("e{i}"), i)).await.unwrap();
            let written = store.scoped(t.id).events_after(0, 100).await.unwrap();
            assert_eq!(written.len(), usize::try_from(i).unwrap() + 1);
        }
        // A submit's events are committed when its `Committed` resolves.
        let (committed, invalid) = log
            .submit(vec![event(t.id, "s1", 1), event(t.id, "s2", 2)])
            .await;
        assert!(invalid.is_none());
        committed.await.unwrap();
        assert_eq!(
            store.scoped(t.id).events_after(0, 100).await.unwrap().len(),
            22
        );
    });
}

/// Issue 20: an online backup of the embedded database — taken while the log is being
/// written — opens as a database holding every record written before it began, and none
/// half-written; PostgreSQL is pointed to its own tools.
#[test]
fn issue_20_a_backup_taken_while_writing_restores_every_record() {
    on_both(|store, url| async move {
        let t = store
            .create_tenant(&NewTenant::new("bak", "备份", 5, "bak.example"), 0)
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!("hotline-backup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let to = dir.join(format!("copy-{}.db", url.len()));
        let _ = std::fs::remove_file(&to);
        if !url.starts_with("sqlite") {
            let e = store.backup(&to).await.unwrap_err().to_string();
            assert!(e.contains("pg_dump"), "{e}");
            return;
        }
        let log = std::sync::Arc::new(EventLog::start(store.clone(), 16));
        for i in 0..500 {
            log.append(event(t.id, &format!("before-{i}"), i))
                .await
                .unwrap();
        }
        // Writers go on during the backup.
        let writer = {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..500 {
                    log.append(event(t.id, &format!("during-{i}"), i))
                        .await
                        .unwrap();
                }
            })
        };
        store.backup(&to).await.unwrap();
        writer.await.unwrap();
        assert!(
            store.backup(&to).await.is_err(),
            "a backup never overwrites a file"
        );
        let copy = store::Store::open(&format!("sqlite://{}", to.display()))
            .await
            .unwrap();
        let kept = copy.scoped(t.id).events_after(0, 10_000).await.unwrap();
        let before = kept.iter().filter(|e| e.id.starts_with("before-")).count();
        assert_eq!(before, 500, "every record committed before the backup");
        assert!(kept.len() <= 1_000);
        assert_eq!(copy.tenants().await.unwrap().len(), 1);
        copy.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Issue 20: a tenant's readers wake for that tenant's writes only (before, every batch
/// woke every tenant's WebSockets, each then reading the database for nothing).
#[test]
fn issue_20_a_tenants_readers_wake_only_for_its_own_writes() {
    on_both(|store, _| async move {
        let a = store
            .create_tenant(&NewTenant::new("wa", "A", 5, "wa.example"), 0)
            .await
            .unwrap();
        let b = store
            .create_tenant(&NewTenant::new("wb", "B", 5, "wb.example"), 0)
            .await
            .unwrap();
        let log = EventLog::start(store.clone(), 8);
        let mut woken = log.written_for(a.id);
        woken.borrow_and_update();
        for i in 0..20 {
            log.append(event(b.id, &format!("b{i}"), i)).await.unwrap();
        }
        assert!(!woken.has_changed().unwrap(), "B's writes woke A's reader");
        log.append(event(a.id, "a0", 0)).await.unwrap();
        assert!(
            woken.has_changed().unwrap(),
            "A's write did not wake A's reader"
        );
    });
}

/// Issue 22: what one producer submits together (a merge's two sides, a change and the
/// warnings said before it) is written whole or set aside whole — never in part — while the
/// other producers' events in the same batch are written.
#[test]
fn issue_22_a_submit_is_written_whole_or_set_aside_whole() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("unit", "Unit", 5, "unit.example"), 0)
            .await
            .unwrap();
        let log = EventLog::start(store.clone(), 64);
        // A unit with an event of a tenant that does not exist: refused for good.
        let (broken, _) = log
            .submit(vec![
                event(t.id, "merge-side-a", 1),
                event(TenantId(999_999), "merge-side-b", 1),
            ])
            .await;
        let (fine, _) = log.submit(vec![event(t.id, "other", 2)]).await;
        broken.await.unwrap();
        fine.await.unwrap();
        let ids: Vec<String> = store
            .scoped(t.id)
            .events_after(0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, ["other"], "nothing of the broken unit is written");
        assert_eq!(log.rejected(), 2, "both of its events are set aside");
    });
}
