//! Work orders: each written with the event that changed it, never overwritten by an older
//! state, listed by what handlers filter on, swept by when they fall due.

use serde_json::json;
use store::{CustomerId, NewEvent, NewTenant, OrderQuery, OrderRow, StoreError, TenantId, UserId};

use crate::on_both;

fn row(id: i64, version: i64, status: &str, region: &str, next_due: Option<i64>) -> OrderRow {
    OrderRow {
        id,
        order_type: "repair".into(),
        category: "leak".into(),
        priority: 1,
        status: status.into(),
        group: Some("crew-xihu".into()),
        handler: None,
        customer: Some(CustomerId(5)),
        region: region.into(),
        title: format!("漏水 {id}"),
        external_id: None,
        next_due_ms: next_due,
        due_ms: next_due.map(|d| d + 1000),
        breached: false,
        created_ms: 1,
        updated_ms: version,
        version,
        data: json!({ "note": "表井漏水" }),
    }
}

fn changed(tenant: TenantId, o: OrderRow) -> NewEvent {
    NewEvent {
        tenant,
        id: format!("order:{}:{}", o.id, o.version),
        at_ms: o.updated_ms,
        kind: "order.changed".into(),
        payload: json!({ "order_id": o.id, "customer_id": 5, "to": o.status }),
        order: Some(Box::new(o)),
        lead: None,
    }
}

#[test]
fn an_order_is_written_with_its_event_and_never_goes_back_a_version() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 0)
            .await
            .unwrap();
        let s = store.scoped(t.id);
        let v1 = changed(t.id, row(1, 1, "open", "浙江省/杭州市/西湖区", Some(50)));
        let v2 = changed(
            t.id,
            row(1, 2, "dispatched", "浙江省/杭州市/西湖区", Some(80)),
        );
        store.append_events(&[v1.clone(), v2]).await.unwrap();
        assert_eq!(s.order(1).await.unwrap().unwrap().status, "dispatched");
        // A retried older batch: the event is there already, the order stays as it is.
        store.append_events(&[v1]).await.unwrap();
        let now = s.order(1).await.unwrap().unwrap();
        assert_eq!((now.status.as_str(), now.version), ("dispatched", 2));
        assert_eq!(now.data["note"], "表井漏水");
        // Even an older state under a new event id does not win.
        let mut stale = changed(t.id, row(1, 1, "open", "浙江省/杭州市/西湖区", None));
        stale.id = "order:1:again".into();
        store.append_events(&[stale]).await.unwrap();
        assert_eq!(s.order(1).await.unwrap().unwrap().version, 2);
        assert_eq!(store.max_order_id().await.unwrap(), 1);
        let timeline = s.order_events(1, 10).await.unwrap();
        assert_eq!(timeline.len(), 3);
        assert_eq!(timeline[1].payload["to"], "dispatched");
        // Another tenant sees none of it.
        let other = store
            .create_tenant(&NewTenant::new("gas", "燃气", 2, "gas.example"), 0)
            .await
            .unwrap();
        assert_eq!(store.scoped(other.id).order(1).await.unwrap(), None);
        assert!(
            store
                .scoped(other.id)
                .order_events(1, 10)
                .await
                .unwrap()
                .is_empty()
        );
    });
}

#[test]
fn a_nul_in_an_order_is_refused_before_it_is_written() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 0)
            .await
            .unwrap();
        let mut o = row(1, 1, "open", "浙江省", None);
        o.title = "a\0b".into();
        let err = store.append_events(&[changed(t.id, o)]).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { field: "order", .. }),
            "{err}"
        );
        assert_eq!(store.scoped(t.id).order(1).await.unwrap(), None);
    });
}

#[test]
fn orders_are_listed_by_filters_and_swept_by_when_they_fall_due() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 0)
            .await
            .unwrap();
        let s = store.scoped(t.id);
        let mut batch = Vec::new();
        for (id, status, region, due) in [
            (1, "dispatched", "浙江省/杭州市/西湖区", Some(100)),
            (2, "accepted", "浙江省/杭州市西", Some(300)),
            (3, "closed", "浙江省/杭州市", None),
            (4, "waiting", "浙江省/宁波市", Some(200)),
        ] {
            let mut o = row(id, 1, status, region, due);
            if id == 2 {
                o.handler = Some(UserId(9));
                o.breached = true;
            }
            batch.push(changed(t.id, o));
        }
        store.append_events(&batch).await.unwrap();
        let ids = |v: Vec<OrderRow>| v.iter().map(|o| o.id).collect::<Vec<_>>();
        let q = |f: fn(&mut OrderQuery)| {
            let mut q = OrderQuery {
                limit: 50,
                ..OrderQuery::default()
            };
            f(&mut q);
            q
        };
        assert_eq!(ids(s.orders(&q(|_| {})).await.unwrap()), vec![4, 3, 2, 1]);
        assert_eq!(
            ids(s
                .orders(&q(
                    |q| q.statuses = vec!["dispatched".into(), "waiting".into()]
                ))
                .await
                .unwrap()),
            vec![4, 1]
        );
        // A region by whole steps: 杭州市西 is not in 杭州市.
        assert_eq!(
            ids(s
                .orders(&q(|q| q.region = Some("浙江省/杭州市".into())))
                .await
                .unwrap()),
            vec![3, 1]
        );
        assert_eq!(
            ids(s.orders(&q(|q| q.handler = Some(UserId(9)))).await.unwrap()),
            vec![2]
        );
        assert_eq!(
            ids(s.orders(&q(|q| q.breached = Some(true))).await.unwrap()),
            vec![2]
        );
        assert_eq!(
            ids(s
                .orders(&q(|q| {
                    q.before = Some(4);
                    q.limit = 2;
                    q.group = Some("crew-xihu".into());
                }))
                .await
                .unwrap()),
            vec![3, 2]
        );
        assert_eq!(
            ids(s
                .orders(&q(|q| q.due_before_ms = Some(1150)))
                .await
                .unwrap()),
            vec![1]
        );
        // The sweep: due by 250, soonest first; nothing without a clock.
        assert_eq!(ids(s.orders_due(250, 10).await.unwrap()), vec![1, 4]);
        assert_eq!(ids(s.orders_due(250, 1).await.unwrap()), vec![1]);
    });
}

/// Issue 22: orders read by their ids (for a report over the orders resolved in a period):
/// many at once, unknown ids and another tenant's left out.
#[test]
fn issue_22_orders_are_read_by_their_ids_within_the_tenant() {
    on_both(|store, _| async move {
        let t = store
            .create_tenant(&NewTenant::new("water", "自来水", 24, "water.example"), 0)
            .await
            .unwrap();
        let other = store
            .create_tenant(&NewTenant::new("gas", "燃气", 2, "gas.example"), 0)
            .await
            .unwrap();
        let mine: Vec<_> = (1..=1200)
            .map(|id| changed(t.id, row(id, 1, "resolved", "浙江省/杭州市/西湖区", None)))
            .collect();
        store.append_events(&mine).await.unwrap();
        store
            .append_events(&[changed(other.id, row(5000, 1, "open", "", None))])
            .await
            .unwrap();
        let ids: Vec<i64> = (1..=1200).chain([5000, 9999]).collect();
        let mut got: Vec<i64> = store
            .scoped(t.id)
            .orders_by_ids(&ids)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        got.sort_unstable();
        assert_eq!(got, (1..=1200).collect::<Vec<_>>());
        assert!(
            store
                .scoped(t.id)
                .orders_by_ids(&[])
                .await
                .unwrap()
                .is_empty()
        );
    });
}
