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
        payload: json!({"call_id": id, "caller": format!("+8613800000{id:0>3}"), "customer_id": null,
            "queue": "water-queue", "first_queue": "water-queue", "agent_id": agent,
            "arrived_at_ms": at, "answered_at_ms": answered, "ended_at_ms": at + 200_000,
            "wait_ms": wait_s * 1000, "talk_ms": if answered.is_some() { 120_000 } else { 0 },
            "hold_ms": 0, "ring_ms": 2000, "dialled": "96345", "outcome": outcome}),
        order: None,
        lead: None,
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
        let mut known = cdr(tenant, "1", Some(agent), 10, "answered", START_MS);
        known.payload["customer_segment"] = json!("large_account");
        w.store
            .append_events(&[
                known,
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
        // By skill: the queues that need it added up.
        let (s, skills) = ask(format!(
            "/api/reports?from={DAY}&to={DAY}&by=total&dim=skill&metrics=offered"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{skills}");
        assert_eq!(metric(&skills, "totals", "water-skill", "offered"), 4.0);
        assert!(
            skills["labels"]["water-skill"]
                .as_str()
                .is_some_and(|l| l.starts_with("报修")),
            "{skills}"
        );
        // By the known caller's segment: only the call whose caller was known.
        let (s, segments) = ask(format!(
            "/api/reports?from={DAY}&to={DAY}&by=total&dim=segment&metrics=offered,answered"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{segments}");
        assert_eq!(
            metric(&segments, "totals", "large_account", "answered"),
            1.0
        );
        assert_eq!(segments["totals"].as_array().unwrap().len(), 1);
        assert_eq!(segments["labels"]["large_account"], "大客户");
        // The day before, beside it.
        assert_eq!(metric(&all, "previous", "", "offered"), 1.0);
        assert_eq!(all["rows"].as_array().unwrap().len(), 1);
        // By half hour and queue: the calls in the half hour they arrived in.
        let (s, halves) = ask(format!(
            "/api/reports?from={DAY}&to={DAY}&by=half_hour&dim=queue&metrics=offered"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{halves}");
        let rows = halves["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{halves}");
        assert_eq!(rows[0]["period_ms"], START_MS - START_MS % 1_800_000);
        assert_eq!(
            (&rows[0]["key"], &rows[0]["values"][0]),
            (&json!("water-queue"), &json!(4.0))
        );
        // Its total, added up from the half hours, is the day's.
        assert_eq!(halves["totals"][0]["values"], json!([4.0]), "{halves}");
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
        // The star ranking: the one agent who answered is first, with their name.
        let (s, ranking) = ask(format!("/api/reports/ranking?from={DAY}&to={DAY}")).await;
        assert_eq!(s, StatusCode::OK, "{ranking}");
        let first = &ranking["rows"][0];
        assert_eq!(
            (&first["key"], &first["rank"]),
            (&json!(key), &json!(1)),
            "{ranking}"
        );
        assert_eq!(
            first["label"],
            w.a.users[&Role::Agent].display_name.as_str()
        );
        assert_eq!(ranking["weights"][0]["metric"], "answered");
        // By team: the agent's team adds up its members' rows.
        let (_, teams) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/teams", None)
            .await;
        let team = teams
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["key"] == "water-team")
            .cloned()
            .unwrap();
        let (s, team) = w
            .as_a(
                Role::TenantAdmin,
                Method::PUT,
                "/api/teams/water-team",
                Some(json!({"name": "早班", "members": [agent], "version": team["version"]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{team}");
        let (s, by_team) = ask(format!(
            "/api/reports?from={DAY}&to={DAY}&dim=team&metrics=answered"
        ))
        .await;
        assert_eq!(s, StatusCode::OK, "{by_team}");
        assert_eq!(metric(&by_team, "totals", "water-team", "answered"), 2.0);
        assert_eq!(by_team["labels"]["water-team"], "早班");
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
        let before = scoped
            .rollup_rows(store::RollupLevel::HalfHour)
            .await
            .unwrap();
        let days_before = scoped.rollup_rows(store::RollupLevel::Day).await.unwrap();
        assert!(!days_before.is_empty());
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
        assert_eq!(
            scoped
                .rollup_rows(store::RollupLevel::HalfHour)
                .await
                .unwrap(),
            before
        );
        assert_eq!(
            scoped.rollup_rows(store::RollupLevel::Day).await.unwrap(),
            days_before
        );
        // Tenant B's rollups hold none of A's calls.
        w.state.app().fold_rollups(w.b.tenant.id).await.unwrap();
        let b = w
            .store
            .scoped(w.b.tenant.id)
            .rollup_rows(store::RollupLevel::HalfHour)
            .await
            .unwrap();
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

/// Issue 23: the calls behind a report's number (by arrival, outcome, number, talk time,
/// disposition), a call's trail, and its recording played by those who may — in ranges for
/// seeking, each listen audited; an expert only their own calls, never a file outside the
/// tenant's recordings.
#[test]
fn issue_23_calls_are_found_traced_and_heard_by_whom_may() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let agent = w.a.users[&Role::Agent].id.0;
        let dir = std::env::temp_dir().join(format!(
            "hotline-listen-{}-{}",
            std::process::id(),
            tenant.0
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mine = dir.join("recordings").join(tenant.0.to_string());
        std::fs::create_dir_all(&mine).unwrap();
        let wav: Vec<u8> = [
            b"RIFF\x28\0\0\0WAVEfmt \x10\0\0\0\x01\0\x02\0\x40\x1f\0\0\0\x7d\0\0\x04\0\x10\0"
                .as_slice(),
            b"data\x04\0\0\0\x01\x02\x03\x04".as_slice(),
        ]
        .concat();
        std::fs::write(mine.join("c1.wav"), &wav).unwrap();
        std::fs::write(dir.join("secret.wav"), &wav).unwrap();
        w.state.app().set_files_dir(dir.clone());
        let mut events = vec![
            cdr(tenant, "1", Some(agent), 10, "answered", START_MS),
            cdr(tenant, "2", None, 4, "abandoned", START_MS),
            cdr(
                tenant,
                "3",
                Some(agent),
                10,
                "answered",
                START_MS - 86_400_000,
            ),
        ];
        events[0].payload["recording"] = json!(mine.join("c1.wav").display().to_string());
        events[2].payload["recording"] = json!(mine.join("../../secret.wav").display().to_string());
        events.push(NewEvent {
            tenant,
            id: "ivr:1".into(),
            at_ms: START_MS - 5000,
            kind: "ivr.node".into(),
            payload: json!({"call_id": "1", "node": "main"}),
            order: None,
            lead: None,
        });
        events.push(NewEvent {
            tenant,
            id: "wrapup:1".into(),
            at_ms: START_MS + 210_000,
            kind: "call.wrapup".into(),
            payload: json!({"call_id": "1", "user_id": agent, "agent": "a", "disposition": "repair",
                "notes": "", "customer_id": null}),
            order: None,
            lead: None,
        });
        w.store.append_events(&events).await.unwrap();
        w.advance(400_000);
        let find = |q: &str| {
            let w = &w;
            let q = q.to_string();
            async move {
                let (s, v) = w
                    .as_a(
                        Role::Supervisor,
                        Method::GET,
                        &format!("/api/cdrs?{q}"),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{q}: {v}");
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["call_id"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        // What the day's report counted: arrived that day.
        let day = START_MS - (START_MS + 8 * 3_600_000) % 86_400_000;
        let mut today = find(&format!(
            "arrived_from_ms={day}&arrived_to_ms={}",
            day + 86_400_000
        ))
        .await;
        today.sort();
        assert_eq!(today, ["1", "2"]);
        assert_eq!(find("outcome=abandoned").await, ["2"]);
        // The ends of time (found by the API fuzzer: the window's end overflowed).
        let min = i64::MIN;
        assert!(
            find(&format!("arrived_from_ms={min}&arrived_to_ms={min}"))
                .await
                .is_empty()
        );
        assert_eq!(find("caller=138%200000%200001").await, ["1"]);
        assert_eq!(
            find("min_talk_s=100&max_talk_s=200&outcome=answered")
                .await
                .len(),
            2
        );
        assert_eq!(find("disposition=repair").await, ["1"]);
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                "/api/cdrs?outcome=lost",
                None,
            )
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("outcome"))
        );
        // The trail, oldest first.
        let (s, trail) = w
            .as_a(Role::Supervisor, Method::GET, "/api/calls/1/trail", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{trail}");
        let kinds: Vec<&str> = trail
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["ivr.node", "call.ended", "call.wrapup"]);
        // The recording: whole, then a range; one listen audited.
        let token = w.token(&w.a.users[&Role::QualityInspector]).await;
        let get = |path: &str, range: Option<&str>| {
            let mut req =
                axum::http::Request::get(path).header("authorization", format!("Bearer {token}"));
            if let Some(r) = range {
                req = req.header("range", r);
            }
            let req = req.body(axum::body::Body::empty()).unwrap();
            let app = w.app.clone();
            async move {
                let resp = tower::ServiceExt::oneshot(app, req).await.unwrap();
                let status = resp.status();
                let ctype = resp
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_string());
                (
                    status,
                    ctype,
                    axum::body::to_bytes(resp.into_body(), 1 << 20)
                        .await
                        .unwrap(),
                )
            }
        };
        let (s, ctype, body) = get("/api/calls/1/recording", None).await;
        assert_eq!((s, ctype.as_deref()), (StatusCode::OK, Some("audio/wav")));
        assert_eq!(body.as_ref(), wav.as_slice());
        let (s, _, body) = get("/api/calls/1/recording", Some("bytes=44-")).await;
        assert_eq!(s, StatusCode::PARTIAL_CONTENT);
        assert_eq!(body.as_ref(), &[1, 2, 3, 4]);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        let listens = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "recording.listen")
            .count();
        assert_eq!(listens, 1, "{audit}");
        // A record naming a file outside the tenant's recordings plays nothing.
        let (s, _, _) = get("/api/calls/3/recording", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Agents may not listen; an expert only to calls they took.
        let (s, _) = w
            .as_a(Role::Agent, Method::GET, "/api/calls/1/recording", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = w
            .as_a(Role::Expert, Method::GET, "/api/calls/1/trail", None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Issue 23: a report too big to read is refused before it is read, naming what to change.
#[test]
fn issue_23_a_report_too_big_is_refused_before_it_is_read() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        // 5,001 agents' half hours of one day (written straight into the rollups).
        let day = START_MS - (START_MS + 8 * 3_600_000) % 86_400_000;
        let rows: Vec<store::RollupRow> = (0..5_001)
            .map(|a| store::RollupRow {
                bucket_ms: day,
                dim: "agent".into(),
                key: a.to_string(),
                values: vec![1],
            })
            .collect();
        w.state.app().fold_rollups(tenant).await.unwrap();
        let cursor = w
            .store
            .scoped(tenant)
            .rollup_cursor()
            .await
            .unwrap()
            .unwrap();
        w.store
            .scoped(tenant)
            .apply_rollups(&rows, &rows, cursor.0, &cursor.1, &app::reports::merge)
            .await
            .unwrap();
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/reports?from={DAY}&to={DAY}&by=half_hour&dim=agent"),
                None,
            )
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("by")),
            "{e}"
        );
        // By day, the same agents are a table of 5,001 rows.
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/reports?from={DAY}&to={DAY}&dim=agent&metrics=offered"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["totals"].as_array().unwrap().len(), 5_001);
    });
}

/// Issue 23: a report saved with its parameters is produced by its schedule (daily at 07:00
/// in the tenant's zone, yesterday's calls by queue) into a file, once per run; asked for
/// now it is produced again; the files download (audited) and read back; bad specs are
/// refused naming the field; deleting the report deletes its files.
#[test]
fn issue_23_saved_reports_are_produced_on_their_schedule_into_files() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let dir = std::env::temp_dir().join(format!(
            "hotline-saved-{}-{}-{:?}",
            std::process::id(),
            tenant.0,
            w.state.store().backend()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        w.state.app().set_files_dir(dir.clone());
        // Yesterday (2026-05-28): three calls in the queue.
        let yesterday = START_MS - 86_400_000;
        w.store
            .append_events(&[
                cdr(tenant, "1", None, 4, "abandoned", yesterday),
                cdr(tenant, "2", None, 30, "abandoned", yesterday),
                cdr(tenant, "3", None, 30, "abandoned", yesterday),
            ])
            .await
            .unwrap();
        let spec = json!({"dim": "queue", "by": "day", "range": "yesterday",
                          "metrics": ["offered", "abandoned"],
                          "schedule": {"every": "day", "at": "07:00"}});
        // Bad specs name their field and save nothing.
        for (bad, field) in [
            (json!({"range": "sometime"}), "range"),
            (json!({"dim": "nope"}), "dim"),
            (json!({"metrics": ["nope"]}), "metrics"),
            (json!({"range": "custom"}), "from"),
            (json!({"format": "pdf"}), "format"),
            (
                json!({"schedule": {"every": "day", "at": "7am"}}),
                "schedule.at",
            ),
            (
                json!({"schedule": {"every": "week", "at": "07:00"}}),
                "schedule.weekday",
            ),
            (
                json!({"schedule": {"every": "hourly", "at": "07:00"}}),
                "schedule.every",
            ),
        ] {
            let mut s = spec.clone();
            for (k, v) in bad.as_object().unwrap() {
                s[k] = v.clone();
            }
            let (status, e) = w
                .as_a(
                    Role::Supervisor,
                    Method::POST,
                    "/api/reports/saved",
                    Some(json!({"name": "日报", "spec": s})),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {e}");
            assert_eq!(e["details"]["field"], field, "{e}");
        }
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                "/api/reports/saved",
                Some(json!({"name": " ", "spec": spec})),
            )
            .await;
        assert_eq!(
            (s, &e["details"]["field"]),
            (StatusCode::BAD_REQUEST, &json!("name"))
        );
        let (s, saved) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                "/api/reports/saved",
                Some(json!({"name": "队列日报", "spec": spec})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{saved}");
        let id = saved["id"].as_i64().unwrap();
        // 07:00 Shanghai on 2026-05-29 (START is 04:26 that day).
        let seven = START_MS - START_MS % 1_800_000 + 3 * 3_600_000;
        assert_eq!(saved["next_run_ms"], seven, "{saved}");
        let app = w.state.app();
        assert_eq!(app.run_due_reports(tenant).await.unwrap(), 0);
        w.advance(seven - START_MS + 60_000);
        assert_eq!(app.run_due_reports(tenant).await.unwrap(), 1);
        // Once: the next run is tomorrow's.
        assert_eq!(app.run_due_reports(tenant).await.unwrap(), 0);
        let (_, list) = w
            .as_a(Role::Supervisor, Method::GET, "/api/reports/saved", None)
            .await;
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap();
        assert_eq!(mine["next_run_ms"], seven + 86_400_000);
        let path = format!("/api/reports/saved/{id}/files");
        let (s, files) = w
            .as_a(Role::QualityInspector, Method::GET, &path, None)
            .await;
        assert_eq!(s, StatusCode::OK, "{files}");
        let files = files.as_array().unwrap().clone();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0]["name"], "队列日报 2026-05-28.xlsx");
        assert_eq!(files[0]["by_user_id"], Value::Null);
        assert_eq!(
            files[0]["from_ms"],
            START_MS - START_MS % 86_400_000 - 8 * 3_600_000
        );
        // Downloaded and read back: the queue's row, then its total.
        let token = w.token(&w.a.users[&Role::QualityInspector]).await;
        let file = files[0]["id"].as_i64().unwrap();
        let req = axum::http::Request::get(format!("/api/reports/files/{file}"))
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(w.app.clone(), req)
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let disposition = resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            disposition.contains("filename*=UTF-8''%E9%98%9F"),
            "{disposition}"
        );
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        let table = sheets::read(&bytes).unwrap();
        assert_eq!(table.headers[2], "进线量 Offered");
        assert_eq!(table.rows[0][0], "2026-05-28");
        assert!(
            table.rows[0][1].ends_with("(water-queue)"),
            "{:?}",
            table.rows
        );
        assert_eq!(&table.rows[0][2..], ["3", "3"]);
        // Asked for now: produced again, by whom asked.
        let (s, made) = w
            .as_a(
                Role::TenantAdmin,
                Method::POST,
                &format!("/api/reports/saved/{id}/run"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["by_user_id"], w.a.users[&Role::TenantAdmin].id.0);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|a| a["action"].as_str())
            .filter(|a| a.starts_with("report."))
            .collect();
        for a in ["report.save", "report.download", "report.run"] {
            assert!(actions.contains(&a), "{a} not audited: {actions:?}");
        }
        // Deleted: its files with it.
        let on_disk = |d: &std::path::Path| {
            walk(d)
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "xlsx"))
                .count()
        };
        // Down for three days: the runs missed are made one a round, each as of when it
        // was due, then none till the next is due.
        w.advance(3 * 86_400_000);
        let mut rounds = Vec::new();
        for _ in 0..5 {
            rounds.push(app.run_due_reports(tenant).await.unwrap());
        }
        assert_eq!(rounds, [1, 1, 1, 0, 0]);
        let (_, files) = w.as_a(Role::Supervisor, Method::GET, &path, None).await;
        let names: Vec<&str> = files
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["name"].as_str())
            .collect();
        assert!(
            ["2026-05-29", "2026-05-30", "2026-05-31"]
                .iter()
                .all(|d| names.contains(&format!("队列日报 {d}.xlsx").as_str())),
            "{names:?}"
        );
        assert_eq!(on_disk(&dir), 5);
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::DELETE,
                &format!("/api/reports/saved/{id}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(on_disk(&dir), 0);
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/reports/files/{file}"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let _ = std::fs::remove_dir_all(&dir);
    });
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Issue 23: the center counts a transferred call once, by its first part; its calls (a
/// report's drill-down from a center-wide count) list first parts only when asked.
#[test]
fn issue_23_a_center_wide_count_drills_down_to_first_parts() {
    on_both(|w: World| async move {
        let tenant = w.a.tenant.id;
        let agent = w.a.users[&Role::Agent].id.0;
        // Ended before now (the list is of calls ended by now).
        let at = START_MS - 600_000;
        let mut first = cdr(tenant, "7", Some(agent), 5, "answered", at);
        first.payload["transferred_to"] = json!("complaint");
        let mut later = cdr(tenant, "7", None, 30, "abandoned", at);
        later.id = "cdr:7:1".into();
        later.payload["segment"] = json!(1);
        w.store.append_events(&[first, later]).await.unwrap();
        let (s, all) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/reports?from={DAY}&to={DAY}&metrics=offered,abandoned"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{all}");
        assert_eq!(all["totals"][0]["values"], json!([1.0, 0.0]), "{all}");
        let calls = |q: &'static str| {
            let w = &w;
            async move {
                let (s, v) = w
                    .as_a(
                        Role::Supervisor,
                        Method::GET,
                        &format!("/api/cdrs?outcome=abandoned{q}"),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v.as_array().unwrap().len()
            }
        };
        assert_eq!(calls("").await, 1);
        assert_eq!(calls("&first_parts=true").await, 0);
    });
}
