//! Calls through the routing engine, as telephony drives them, leave call detail records
//! that supervisors query and export, and that show on the customer's timeline.

use acd::AgentId;
use app::center::Incoming;
use axum::http::{Method, StatusCode};
use serde_json::json;
use store::Role;

use crate::{World, on_both};

#[test]
fn calls_leave_detail_records_on_the_log_and_the_customers_timeline() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let agent = w.a.users[&Role::Agent].id.0;
        let customer = w.a.customer.0;
        assert_eq!(
            w.as_a(Role::Agent, Method::POST, "/api/me/agent/login", None)
                .await
                .0,
            StatusCode::OK
        );
        let incoming = |id: &str| Incoming {
            call_id: id.into(),
            caller: "+8613812345678".into(),
            customer: Some(customer),
            queue: "water-queue".into(),
            priority: 0,
            ..Incoming::default()
        };
        // Offered to the ready agent at once; answered after 5 s; 90 s of talk.
        let call = w
            .state
            .center(tenant, {
                let i = incoming("sip-1");
                move |c| c.arrive(i)
            })
            .await
            .unwrap()
            .unwrap();
        w.advance(5_000);
        w.state
            .center(tenant, move |c| {
                let now = c.now;
                c.acd.handle_answer(now, call, AgentId(agent as u32))
            })
            .await
            .unwrap()
            .unwrap();
        w.advance(90_000);
        w.state
            .center(tenant, move |c| {
                let now = c.now;
                c.acd.handle_hangup(now, call)
            })
            .await
            .unwrap()
            .unwrap();

        // Nobody ready: the caller gives up after 30 s.
        let body = json!({"state": "not_ready", "reason": "meal"});
        assert_eq!(
            w.as_a(Role::Agent, Method::POST, "/api/me/agent/state", Some(body))
                .await
                .0,
            StatusCode::OK
        );
        let call = w
            .state
            .center(tenant, {
                let i = incoming("sip-2");
                move |c| c.arrive(i)
            })
            .await
            .unwrap()
            .unwrap();
        // The same call twice while it lives is refused.
        let again = w
            .state
            .center(tenant, {
                let i = incoming("sip-2");
                move |c| c.arrive(i)
            })
            .await
            .unwrap();
        assert!(
            matches!(again.unwrap_err(), app::AppError::Invalid { field, .. } if field == "call_id")
        );
        w.advance(30_000);
        w.state
            .center(tenant, move |c| {
                let now = c.now;
                c.acd.handle_hangup(now, call)
            })
            .await
            .unwrap()
            .unwrap();
        let unknown = w
            .state
            .center(tenant, |c| {
                c.arrive(Incoming {
                    call_id: "x".into(),
                    caller: "1".into(),
                    customer: None,
                    queue: "nope".into(),
                    priority: 0,
                    ..Incoming::default()
                })
            })
            .await
            .unwrap();
        assert!(
            matches!(unknown.unwrap_err(), app::AppError::Invalid { field, .. } if field == "queue")
        );

        let (s, cdrs) = w
            .as_a(Role::Supervisor, Method::GET, "/api/cdrs", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{cdrs}");
        let list = cdrs.as_array().unwrap();
        let mine: Vec<_> = list
            .iter()
            .filter(|c| c["call_id"] == "sip-1" || c["call_id"] == "sip-2")
            .collect();
        assert_eq!(mine.len(), 2, "{cdrs}");
        assert_eq!(mine[0]["call_id"], "sip-2");
        assert_eq!(mine[0]["outcome"], "abandoned");
        assert_eq!(
            (mine[0]["wait_ms"].as_i64(), mine[0]["talk_ms"].as_i64()),
            (Some(30_000), Some(0))
        );
        assert_eq!(mine[1]["outcome"], "answered");
        assert_eq!(
            (mine[1]["wait_ms"].as_i64(), mine[1]["talk_ms"].as_i64()),
            (Some(5_000), Some(90_000))
        );
        assert_eq!(mine[1]["agent_id"], agent);
        assert_eq!(mine[1]["queue"], "water-queue");

        let (_, by_agent) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/cdrs?agent_id={agent}"),
                None,
            )
            .await;
        assert!(
            by_agent
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["agent_id"] == agent),
            "{by_agent}"
        );
        assert!(
            by_agent
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["call_id"] == "sip-1")
        );
        let (_, by_customer) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/cdrs?customer_id={customer}&queue=water-queue"),
                None,
            )
            .await;
        assert!(by_customer.as_array().unwrap().len() >= 2, "{by_customer}");
        let (_, none) = w
            .as_a(Role::Supervisor, Method::GET, "/api/cdrs?queue=other", None)
            .await;
        assert!(none.as_array().unwrap().is_empty());
        // Agents do not read the center's records.
        assert_eq!(
            w.as_a(Role::Agent, Method::GET, "/api/cdrs", None).await.0,
            StatusCode::FORBIDDEN
        );

        // The customer's timeline shows both calls.
        let (_, tl) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{customer}/timeline"),
                None,
            )
            .await;
        let calls: Vec<_> = tl
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "call.ended")
            .collect();
        assert!(calls.len() >= 2, "{tl}");

        // And the export opens as a spreadsheet.
        let token = w.token(&w.a.users[&Role::Supervisor]).await;
        let req = axum::http::Request::get("/api/cdrs/export?format=xlsx")
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
        assert_eq!(table.headers[0], "通话编号 Call");
        let row = table.rows.iter().find(|r| r[0] == "sip-1").unwrap();
        assert_eq!(
            (row[8].as_str(), row[9].as_str(), row[10].as_str()),
            ("5", "90", "answered")
        );
    });
}

/// Issue 19: a CDR on the log that does not parse (written by another version, damaged) is
/// reported — a log line and a counter — and the others are listed; it is never read as
/// something it is not.
#[test]
fn issue_19_an_unreadable_cdr_is_counted_not_silently_dropped() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let cdr = |id: &str, outcome: &str| store::NewEvent {
            tenant,
            id: format!("cdr:{id}"),
            at_ms: 1_000,
            kind: "call.ended".into(),
            payload: json!({"call_id": id, "caller": "+8613812345678", "customer_id": null,
                "queue": "water-queue", "first_queue": "water-queue", "agent_id": null,
                "arrived_at_ms": 0, "answered_at_ms": null, "ended_at_ms": 1_000,
                "wait_ms": 1_000, "talk_ms": 0, "outcome": outcome}),
            order: None,
            lead: None,
        };
        w.store
            .append_events(&[cdr("good", "abandoned"), cdr("bad", "lost in space")])
            .await
            .unwrap();
        assert_eq!(w.state.app().unreadable_events(), 0);
        let (s, list) = w
            .as_a(Role::Supervisor, Method::GET, "/api/cdrs?from_ms=0", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["call_id"].as_str())
            .collect();
        assert_eq!(ids, ["good"]);
        assert_eq!(w.state.app().unreadable_events(), 1);
    });
}

/// Issue 20: a carrier whose Call-IDs run to hundreds of characters still gets its CDR
/// (the event id was over the log's 128 characters, and the record was dropped with a log
/// line).
#[test]
fn issue_20_a_long_carrier_call_id_still_gets_its_cdr() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let call_id = format!("{}@carrier.example", "a1b2c3d4".repeat(40));
        let call = w
            .state
            .center(tenant, {
                let call_id = call_id.clone();
                move |c| {
                    c.arrive(Incoming {
                        call_id,
                        caller: "+8613812345678".into(),
                        queue: "water-queue".into(),
                        ..Incoming::default()
                    })
                }
            })
            .await
            .unwrap()
            .unwrap();
        w.advance(10_000);
        w.state
            .center(tenant, move |c| {
                let now = c.now;
                c.acd.handle_hangup(now, call)
            })
            .await
            .unwrap()
            .unwrap();
        let (s, list) = w
            .as_a(Role::Supervisor, Method::GET, "/api/cdrs?from_ms=0", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let found: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["call_id"].as_str())
            .collect();
        assert_eq!(found, [call_id.as_str()]);
    });
}

/// Issue 20: click-to-call dials only where the tenant's rules allow — not abroad, not a
/// service number, only the prefixes set — and an agent places at most so many calls a
/// minute (before, any number, without limit: toll fraud from a stolen session).
#[test]
fn issue_20_click_to_call_keeps_to_the_dial_rules_and_the_rate_limit() {
    on_both(|w: World| async move {
        let place = |number: &str| {
            let body = json!({ "number": number });
            w.as_a(Role::Agent, Method::POST, "/api/me/calls", Some(body))
        };
        for number in ["+1 415 555 0100", "110"] {
            let (s, e) = place(number).await;
            assert_eq!(
                (s, e["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some("number")),
                "{number}: {e}"
            );
        }
        let (_, mut settings) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/settings", None)
            .await;
        assert_eq!(settings["dialing"]["international"], false, "{settings}");
        settings["dialing"] = json!({
            "international": false, "allowed_prefixes": ["+86138"], "per_agent_per_minute": 2
        });
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PUT,
                "/api/settings",
                Some(settings),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, e) = place("010 8888 6666").await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("number"))
        );
        // Allowed, and counted (no telephony here, so each ends in a 409 after the count).
        for _ in 0..2 {
            let (s, e) = place("13812345678").await;
            assert_eq!(s, StatusCode::CONFLICT, "{e}");
        }
        let (s, e) = place("13812345678").await;
        assert_eq!(
            (s, e["code"].as_str()),
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
        );
        // Saving the settings without dialing rules keeps them.
        let (_, mut again) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/settings", None)
            .await;
        again.as_object_mut().unwrap().remove("dialing");
        let (s, v) = w
            .as_a(Role::TenantAdmin, Method::PUT, "/api/settings", Some(again))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["dialing"]["per_agent_per_minute"], 2, "{v}");
    });
}
