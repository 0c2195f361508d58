//! Issue 5's server side: the floor view and the team lead's actions, the center's
//! settings, wrap-ups and after-call work from the desktop.

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::{NewEvent, Role};

use crate::{World, on_both};

#[test]
fn issue_5_the_floor_shows_time_in_state_and_a_team_lead_acts_on_it_audited() {
    on_both(|w: World| async move {
        let agent = w.a.users[&Role::Agent].id.0;
        let (s, v) = w
            .as_a(Role::Agent, Method::POST, "/api/me/agent/login", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let signed_in_at = v["since_ms"].as_i64().expect("time in state is known");
        w.advance(65_000);

        let (s, floor) = w
            .as_a(Role::Supervisor, Method::GET, "/api/floor", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{floor}");
        let me = floor["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["user_id"] == agent)
            .cloned()
            .expect("the agent is on the floor");
        assert_eq!(me["state"], "ready");
        assert_eq!(
            me["phone_reachable"], true,
            "no telephony here: nothing to be unreachable on"
        );
        assert_eq!(me["since_ms"], signed_in_at);
        assert!(floor["now_ms"].as_i64().unwrap() >= signed_in_at + 65_000);
        assert!(!me["queues"].as_array().unwrap().is_empty(), "{me}");
        let q = &floor["queues"][0];
        assert_eq!(
            (q["offered"].as_u64(), q["waiting"].as_u64()),
            (Some(0), Some(0)),
            "{q}"
        );
        assert!(
            q["service_level"].is_null(),
            "no call yet: no service level"
        );
        assert!(
            floor["thresholds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["state"] == "away")
        );

        // The team lead sends the agent away, then signs them out.
        let path = format!("/api/agents/{agent}/state");
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &path,
                Some(json!({"state": "not_ready", "reason": "lunch"})),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("reason"))
        );
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &path,
                Some(json!({"state": "not_ready", "reason": "away"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["state"].as_str(), v["reason"].as_str()),
            (Some("not_ready"), Some("away"))
        );
        let (_, mine) = w
            .as_a(Role::Agent, Method::GET, "/api/me/agent", None)
            .await;
        assert_eq!(mine["reason"], "away");
        assert!(mine["since_ms"].as_i64().unwrap() > signed_in_at);
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &path,
                Some(json!({"state": "offline"})),
            )
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::OK, Some("offline")),
            "{v}"
        );
        // Signing out an agent already out changes nothing and is not audited again.
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &path,
                Some(json!({"state": "offline"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        let set: Vec<_> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "agent.state_set")
            .collect();
        assert_eq!(set.len(), 2, "{audit}");
        // Another tenant's agent is nobody here.
        let other = w.b.users[&Role::Agent].id.0;
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/agents/{other}/state"),
                Some(json!({"state": "offline"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    });
}

#[test]
fn issue_5_settings_are_checked_field_by_field_and_versioned() {
    on_both(|w: World| async move {
        let (s, v) = w
            .as_a(Role::Agent, Method::GET, "/api/settings", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["version"].is_null(), "defaults until saved");
        assert!(
            v["dispositions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["code"] == "repair")
        );

        let mut bad = v.clone();
        bad["thresholds"][0]["red_seconds"] = bad["thresholds"][0]["amber_seconds"].clone();
        let (s, e) = w
            .as_a(Role::TenantAdmin, Method::PUT, "/api/settings", Some(bad))
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("thresholds[0].red_seconds"))
        );

        let mut good = v.clone();
        good["dispositions"] = json!([{"code": "leak", "name_zh": "漏水", "name_en": "Leak"}]);
        let (s, saved) = w
            .as_a(
                Role::TenantAdmin,
                Method::PUT,
                "/api/settings",
                Some(good.clone()),
            )
            .await;
        assert_eq!(
            (s, saved["version"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{saved}"
        );
        // Saving from a stale read is refused, not lost.
        let (s, _) = w
            .as_a(Role::TenantAdmin, Method::PUT, "/api/settings", Some(good))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, now) = w
            .as_a(Role::Agent, Method::GET, "/api/settings", None)
            .await;
        assert_eq!(now["dispositions"][0]["code"], "leak");
    });
}

#[test]
fn issue_5_an_agent_wraps_up_a_call_their_phone_rang_for() {
    on_both(|w: World| async move {
        let agent = w.a.users[&Role::Agent].id.0;
        let customer = w.a.customer.0;
        let body = json!({"disposition": "repair", "notes": "水表漏水", "customer_id": customer});
        // A call that never rang here.
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/calls/c-1/wrap-up",
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        w.store
            .append_events(&[NewEvent {
                tenant: w.a.tenant.id,
                id: "ringing:c-1".into(),
                at_ms: w.state.now_ms(),
                kind: "call.ringing".into(),
                payload: json!({"call_id": "c-1", "user_id": agent, "to_user_id": agent}),
                order: None,
                lead: None,
            }])
            .await
            .unwrap();
        let (s, e) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/calls/c-1/wrap-up",
                Some(json!({"disposition": "no-such-code"})),
            )
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("disposition"))
        );
        // Another agent's phone did not ring for it.
        let (s, _) = w
            .as_a(
                Role::Expert,
                Method::POST,
                "/api/calls/c-1/wrap-up",
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/calls/c-1/wrap-up",
                Some(body),
            )
            .await;
        assert_eq!(
            (s, v["disposition"].as_str()),
            (StatusCode::CREATED, Some("repair")),
            "{v}"
        );
        let (_, timeline) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{customer}/timeline"),
                None,
            )
            .await;
        let wrap = timeline
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "call.wrapup")
            .cloned()
            .expect("the wrap-up is on the customer's timeline");
        assert_eq!(
            (
                wrap["payload"]["notes"].as_str(),
                wrap["payload"]["user_id"].as_i64()
            ),
            (Some("水表漏水"), Some(agent))
        );

        // After-call work is refused when there is none.
        let (s, _) = w
            .as_a(Role::Agent, Method::POST, "/api/me/agent/login", None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/me/agent/wrap-up",
                Some(json!({"action": "done"})),
            )
            .await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_state")),
            "{v}"
        );
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/me/agent/wrap-up",
                Some(json!({"action": "extend", "seconds": 0})),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("seconds"))
        );
    });
}

#[test]
fn issue_5_an_agents_live_events_are_their_own_not_every_callers() {
    on_both(|w: World| async move {
        let agent = w.a.users[&Role::Agent].id.0;
        let expert = w.a.users[&Role::Expert].id.0;
        let at = w.state.now_ms();
        let event = |id: &str, kind: &str, payload: serde_json::Value| NewEvent {
            tenant: w.a.tenant.id,
            id: id.into(),
            at_ms: at,
            kind: kind.into(),
            payload,
            order: None,
            lead: None,
        };
        w.store
            .append_events(&[
                event("a", "call.arrived", json!({"call_id": "x", "caller": "+8613900000001"})),
                event("b", "call.ended", json!({"call_id": "y", "caller": "+8613900000002", "agent_id": expert})),
                event("c", "call.ringing", json!({"call_id": "z", "caller": "+8613900000003", "user_id": agent, "to_user_id": agent})),
                // Rang here, the caller hung up before anyone answered.
                event("d", "call.ended", json!({"call_id": "z", "caller": "+8613900000003", "agent_id": null, "offered_to": agent})),
                event("e", "acd.agent_state", json!({"user_id": agent, "state": "ready"})),
            ])
            .await
            .unwrap();
        let (s, v) = w
            .as_a(Role::Agent, Method::GET, "/api/events/log", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let ids: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["id"].as_str())
            .collect();
        assert_eq!(ids, ["c", "d", "e"], "{v}");
        assert!(!v.to_string().contains("+8613900000001"));
        // The team lead watches everything.
        let (_, all) = w
            .as_a(Role::Supervisor, Method::GET, "/api/events/log", None)
            .await;
        let seen = all.to_string();
        assert!(seen.contains("+8613900000001") && seen.contains("+8613900000002"));
    });
}
