//! Reports (issue 23): a day's calls by the glossary's definitions, by agent with names, the
//! period before beside it, a change of formula applied to past data, the export read back,
//! a rebuild identical to what was folded as events came, and bad input named.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::{NewEvent, Role, TenantId};

use crate::{START_MS, World, on_both};

/// 2026-05-29 in Shanghai (START_MS is 04:26 that day).
const DAY: &str = "2026-05-29";

fn cdr(
    tenant: TenantId,
    id: &str,
    agent: Option<i64>,
    wait_s: i64,
    outcome: &str,
    at: i64,
) -> NewEvent {
    let answered = (outcome == "answered").then_some(at + wait_s * 1000);
    NewEvent {
        tenant,
        id: format!("cdr:{id}"),
        at_ms: at + 200_000,
        kind: "call.ended".into(),
        payload: json!({"call_id": id, "caller": format!("+86138000000{id}"), "customer_id": null,
            "queue": "water-queue", "first_queue": "water-queue", "agent_id": agent,
            "arrived_at_ms": at, "answered_at_ms": answered, "ended_at_ms": at + 200_000,
            "wait_ms": wait_s * 1000, "talk_ms": if answered.is_some() { 120_000 } else { 0 },
            "hold_ms": 0, "ring_ms": 2000, "dialled": "96345", "outcome": outcome}),
        order: None,
    }
}

fn metric(body: &Value, lines: &str, key: &str, metric: &str) -> Value {
    let i = body["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m == metric)
        .unwrap_or_else(|| panic!("no metric {metric}"));
    body[lines]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == key)
        .map_or(Value::Null, |l| l["values"][i].clone())
}

#[test]
fn issue_23_a_days_calls_by_the_glossarys_definitions() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let agent = w.a.users[&Role::Agent].id.0;
        let day_before = START_MS - 86_400_000;
        w.store
            .append_events(&[
                cdr(tenant, "1", Some(agent), 10, "answered", START_MS),
                cdr(tenant, "2", Some(agent), 30, "answered", START_MS),
                cdr(tenant, "3", None, 4, "abandoned", START_MS),
                cdr(tenant, "4", None, 60, "abandoned", START_MS),
                cdr(tenant, "5", Some(agent), 5, "answered", day_before),
            ])
            .await
            .unwrap();
        let ask = |q: String| {
            let w = &w;
            async move { w.as_a(Role::Supervisor, Method::GET, &q, None).await }
        };
        let (s, all) = ask(format!("/api/reports?from={DAY}&to={DAY}")).await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(all["zone"], "Asia/Shanghai");
        assert_eq!(metric(&all, "totals", "", "offered"), 4.0);
        assert_eq!(metric(&all, "totals", "", "answered"), 2.0);
        assert_eq!(metric(&all, "totals", "", "short_abandoned"), 1.0);
        // 20 s, answered in T over answered + abandoned, short abandons left out: 1 of 3.
        assert_eq!(metric(&all, "totals", "", "service_level"), 1.0 / 3.0);
        assert_eq!(metric(&all, "totals", "", "asa"), 20.0);
        // The day before, beside it.
        assert_eq!(metric(&all, "previous", "", "offered"), 1.0);
        assert_eq!(all["rows"].as_array().unwrap().len(), 1);
        // The floor counts today the same way, with the same definitions.
        let (s, floor) = w
            .as_a(Role::Supervisor, Method::GET, "/api/floor", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{floor}");
        let q = floor["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["key"] == "water-queue")
            .expect("the queue is on the floor");
        assert_eq!(
            (
                &q["offered"],
                &q["answered"],
                &q["abandoned"],
                &q["short_abandoned"]
            ),
            (&json!(4), &json!(2), &json!(2), &json!(1)),
            "{q}"
        );
        assert_eq!(
            q["service_level"],
            metric(&all, "totals", "", "service_level")
        );
        assert_eq!(
            (&q["target_seconds"], &q["asa_seconds"]),
            (&json!(20.0), &json!(20.0))
        );
        // By agent, with the agent's name.
        let (s, by_agent) = ask(format!(
            "/api/reports?from={DAY}&to={DAY}&dim=agent&metrics=answered,avg_talk"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{by_agent}");
        let key = agent.to_string();
        assert_eq!(metric(&by_agent, "totals", &key, "answered"), 2.0);
        assert_eq!(metric(&by_agent, "totals", &key, "avg_talk"), 120.0);
        assert_eq!(
            by_agent["labels"][&key],
            w.a.users[&Role::Agent].display_name.as_str()
        );
        // A change of formula applies to what was counted before: answered in T ÷ answered.
        let (s, settings) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/settings", None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let mut changed = settings.clone();
        changed["reports"]["service_level_formula"] = json!("answered_only");
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PUT,
                "/api/settings",
                Some(changed.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, all) = ask(format!("/api/reports?from={DAY}&to={DAY}")).await;
        assert_eq!(metric(&all, "totals", "", "service_level"), 0.5);
        // A threshold not among the rollups' is refused, naming the field.
        changed["reports"]["service_level_s"] = json!(17);
        changed["version"] = v["version"].clone();
        let (s, e) = w
            .as_a(
                Role::TenantAdmin,
                Method::PUT,
                "/api/settings",
                Some(changed),
            )
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("reports.service_level_s")),
            "{e}"
        );
        // The export, read back.
        let token = w.token(&w.a.users[&Role::Supervisor]).await;
        let req = axum::http::Request::get(format!(
            "/api/reports/export?from={DAY}&to={DAY}&metrics=offered,answered,service_level"
        ))
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
        let resp = tower::ServiceExt::oneshot(w.app.clone(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        let table = sheets::read(&bytes).unwrap();
        assert_eq!(table.headers[2], "进线量 Offered");
        assert_eq!(table.rows[0][0], DAY);
        assert_eq!(&table.rows[0][2..], ["4", "2", "50.0%"]);
        assert_eq!(table.rows.last().unwrap()[0], "合计 Total");
    });
}

#[test]
fn issue_23_a_rebuild_gives_identical_rollups() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let agent = w.a.users[&Role::Agent].id.0;
        // Folded in three goes, as events come.
        for (i, at) in [START_MS, START_MS + 1_900_000, START_MS - 86_400_000]
            .iter()
            .enumerate()
        {
            w.store
                .append_events(&[cdr(
                    tenant,
                    &format!("{i}"),
                    Some(agent),
                    10,
                    "answered",
                    *at,
                )])
                .await
                .unwrap();
            w.state.app().fold_rollups(tenant).await.unwrap();
        }
        let scoped = w.store.scoped(tenant);
        let before = scoped.rollup_rows().await.unwrap();
        assert!(!before.is_empty());
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::POST,
                "/api/reports/rebuild",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["events"].as_u64().unwrap() >= 3);
        assert_eq!(scoped.rollup_rows().await.unwrap(), before);
        // Tenant B's rollups hold none of A's calls.
        w.state.app().fold_rollups(w.b.tenant.id).await.unwrap();
        let b = w.store.scoped(w.b.tenant.id).rollup_rows().await.unwrap();
        assert!(b.iter().all(|r| r.dim != "agent"), "{b:?}");
    });
}

#[test]
fn issue_23_bad_report_input_is_named() {
    on_both(|w: World| async move {
        for (q, field) in [
            (
                format!("/api/reports?from={DAY}&to={DAY}&by=fortnight"),
                "by",
            ),
            (format!("/api/reports?from=yesterday&to={DAY}"), "from"),
            (format!("/api/reports?from={DAY}&to=2026-05-01"), "to"),
            (
                format!("/api/reports?from={DAY}&to={DAY}&dim=planet"),
                "dim",
            ),
            (
                format!("/api/reports?from={DAY}&to={DAY}&metrics=offered,happiness"),
                "metrics",
            ),
            (format!("/api/reports?from=2020-01-01&to={DAY}"), "to"),
            (
                format!("/api/reports?from=2026-01-01&to={DAY}&by=half_hour"),
                "by",
            ),
        ] {
            let (s, e) = w.as_a(Role::Supervisor, Method::GET, &q, None).await;
            assert_eq!(
                (s, e["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some(field)),
                "{q}: {e}"
            );
        }
        let (s, g) = w
            .as_a(Role::Supervisor, Method::GET, "/api/reports/glossary", None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(g["settings"]["service_level_s"], 20);
        assert!(
            g["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["key"] == "fcr")
        );
    });
}
