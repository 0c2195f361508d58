//! Issue 25: leads captured at the center go to the dealer of the customer's region, are
//! taken back when a deadline passes and go to the next dealer; dealers see only their own;
//! the contact policy holds where calls are placed.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::perm::allows;
use server::routes::table;
use store::{CustomerData, NewUser, Role, User};

use crate::{PASSWORD, World, on_both};

const HOUR: i64 = 3_600_000;

async fn dealer(w: &World, name: &str, regions: Value, weight: u32) -> User {
    let f = &w.a;
    let user = w
        .store
        .create_user(
            &NewUser {
                tenant: Some(f.tenant.id),
                username: name.into(),
                display_name: format!("经销商 {name}"),
                role: Role::Dealer,
                password_hash: server::hash_password(PASSWORD).unwrap(),
            },
            crate::START_MS,
        )
        .await
        .unwrap();
    let (s, v) = w
        .as_a(
            Role::TenantAdmin,
            Method::PUT,
            &format!("/api/dealers/{}/regions", user.id.0),
            Some(json!({ "regions": regions, "weight": weight })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    user
}

async fn serve(w: &World, u: &User, regions: Value) {
    let (s, v) = w
        .as_a(
            Role::TenantAdmin,
            Method::PUT,
            &format!("/api/dealers/{}/regions", u.id.0),
            Some(json!({ "regions": regions })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn as_user(
    w: &World,
    u: &User,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let token = w.token(u).await;
    w.call(method, path, Some(&token), body).await
}

/// Leads' settings on the fixture's all-day calendar: deadlines in wall hours.
async fn settings(w: &World, accept_hours: u32) {
    let (s, v) = w
        .as_a(
            Role::TenantAdmin,
            Method::PUT,
            "/api/leads/settings",
            Some(json!({
                "leads": {"accept_hours": accept_hours, "follow_up_days": 1,
                          "product_lines": ["挖掘机", "装载机"], "reassign": true,
                          "calendar": format!("{}-calendar", w.a.tenant.slug)},
                "contact_policy": {"per_day": 1, "per_week": 3},
            })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// A lead captured on a call goes to the district's dealer; accepted, not followed up in
/// time, it is taken back by the sweep and goes to the city's dealer; given back, to the
/// province's; not accepted, taken back again and left with the center, which works and
/// wins it — every move on the lead's timeline and the customer's, each dealer seeing only
/// their own part, and told what was taken back from them.
#[test]
fn issue_25_a_lead_goes_to_its_region_s_dealer_and_on_when_deadlines_pass() {
    on_both(|w: World| async move {
        settings(&w, 2).await;
        let city = w.a.users[&Role::Dealer].clone();
        serve(&w, &city, json!([{"province": "浙江省", "city": "杭州市"}])).await;
        let district = dealer(
            &w,
            "xihu",
            json!([{"province": "浙江省", "city": "杭州市", "district": "西湖区",
                    "product_lines": ["挖掘机"]}]),
            1,
        )
        .await;
        let province = dealer(&w, "zhejiang", json!([{"province": "浙江省"}]), 1).await;
        // A product line not on the tenant's list is refused, naming the field.
        let (s, e) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/leads",
                Some(json!({"customer_id": w.a.customer.0, "product_line": "拖拉机"})),
            )
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("product_line")),
            "{e}"
        );
        let (s, lead) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/leads",
                Some(
                    json!({"customer_id": w.a.customer.0, "product_line": "挖掘机",
                            "interest": "20吨级", "budget": "80万", "timing": "三个月内",
                            "region": "浙江省/杭州市/西湖区", "call_id": "call-25"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{lead}");
        let id = lead["id"].as_i64().unwrap();
        let now = w.state.now_ms();
        assert_eq!(lead["status"], "offered");
        assert_eq!(
            lead["dealer_id"], district.id.0,
            "the district's dealer first"
        );
        assert_eq!(lead["due_ms"], now + 2 * HOUR);
        assert_eq!(lead["territory"], "浙江省/杭州市/西湖区");
        assert_eq!(lead["captured_by"], w.a.users[&Role::Agent].id.0);
        // The district's dealer sees it, with what a dealer needs and nothing of the center.
        let (_, mine) = as_user(&w, &district, Method::GET, "/api/me/leads", None).await;
        let mine = mine.as_array().unwrap();
        assert_eq!(mine.len(), 1, "{mine:?}");
        assert_eq!(mine[0]["id"], id);
        assert_eq!(mine[0]["name"], "张伟");
        for hidden in [
            "customer_id",
            "captured_by",
            "call_id",
            "tried",
            "dealer_id",
        ] {
            assert!(mine[0].get(hidden).is_none(), "{hidden} shown to a dealer");
        }
        // The city's dealer has none.
        let (_, theirs) = as_user(&w, &city, Method::GET, "/api/me/leads", None).await;
        assert_eq!(theirs, json!([]));
        let (s, _) = as_user(
            &w,
            &city,
            Method::POST,
            &format!("/api/me/leads/{id}/actions"),
            Some(json!({"action": "accept"})),
        )
        .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "another dealer's lead is not there"
        );
        let (s, v) = as_user(
            &w,
            &district,
            Method::POST,
            &format!("/api/me/leads/{id}/actions"),
            Some(json!({"action": "accept"})),
        )
        .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("working")),
            "{v}"
        );
        let follow_by = v["due_ms"].as_i64().unwrap();
        assert!(follow_by > w.state.now_ms());
        // Nothing is due yet.
        assert_eq!(w.state.app().sweep_leads(w.a.tenant.id).await.unwrap(), 0);
        // The follow-up deadline passes: taken back and given to the city's dealer.
        w.clock
            .store(follow_by, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(w.state.app().sweep_leads(w.a.tenant.id).await.unwrap(), 1);
        let (_, v) = w
            .as_a(Role::Agent, Method::GET, &format!("/api/leads/{id}"), None)
            .await;
        assert_eq!(v["lead"]["dealer_id"], city.id.0, "{v}");
        assert_eq!(v["lead"]["tried"], json!([district.id.0]));
        assert_eq!(v["lead"]["territory"], "浙江省/杭州市");
        let (s, _) = as_user(
            &w,
            &district,
            Method::GET,
            &format!("/api/me/leads/{id}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "no longer theirs to read");
        let (_, notices) = as_user(&w, &district, Method::GET, "/api/me/leads/notices", None).await;
        assert_eq!(notices[0]["lead_id"], id, "{notices}");
        assert_eq!(notices[0]["note"], "not followed up in time");
        // The city's dealer gives it back, with a reason: on to the province's.
        let (s, e) = as_user(
            &w,
            &city,
            Method::POST,
            &format!("/api/me/leads/{id}/actions"),
            Some(json!({"action": "return"})),
        )
        .await;
        assert_eq!(e["details"]["field"], "reason", "{s} {e}");
        let (s, v) = as_user(
            &w,
            &city,
            Method::POST,
            &format!("/api/me/leads/{id}/actions"),
            Some(json!({"action": "return", "reason": "客户在萧山，不在我们的服务范围"})),
        )
        .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("returned")),
            "{v}"
        );
        let (_, v) = w
            .as_a(Role::Agent, Method::GET, &format!("/api/leads/{id}"), None)
            .await;
        assert_eq!(v["lead"]["dealer_id"], province.id.0, "{v}");
        // Not accepted in two hours: taken back, and no dealer is left — the center's.
        w.clock
            .fetch_add(2 * HOUR, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(w.state.app().sweep_leads(w.a.tenant.id).await.unwrap(), 1);
        let (_, v) = w
            .as_a(Role::Agent, Method::GET, &format!("/api/leads/{id}"), None)
            .await;
        assert_eq!(v["lead"]["status"], "open", "{v}");
        assert_eq!(v["lead"]["dealer_id"], Value::Null);
        // An agent may not assign or take back (team leads may); any may work it.
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::POST,
                &format!("/api/leads/{id}/actions"),
                Some(json!({"action": "assign"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for body in [
            json!({"action": "take"}),
            json!({"action": "follow_up", "kind": "quote", "note": "报价78万"}),
            json!({"action": "win", "amount": 78_000_000}),
        ] {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    &format!("/api/leads/{id}/actions"),
                    Some(body),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
        let (_, v) = w
            .as_a(Role::Agent, Method::GET, &format!("/api/leads/{id}"), None)
            .await;
        assert_eq!(v["lead"]["status"], "won");
        assert_eq!(v["lead"]["amount"], 78_000_000);
        assert_eq!(v["lead"]["journey"], "buy");
        let actions: Vec<&str> = v["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "capture",
                "assign",
                "accept",
                "reclaim",
                "assign",
                "return",
                "assign",
                "reclaim",
                "take",
                "follow_up",
                "win"
            ]
        );
        assert_eq!(v["timeline"][3]["on_time"], false);
        // The customer's timeline has every move too.
        let (_, t) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{}/timeline", w.a.customer.0),
                None,
            )
            .await;
        let moves = t
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "lead.changed" && e["payload"]["lead_id"] == id)
            .count();
        assert_eq!(moves, 11, "{t}");
        // The city's dealer sees on their part of the timeline only the moves to and from
        // them — not the district's dealer's, nor who did what at the center.
        let (s, _) = as_user(&w, &city, Method::GET, &format!("/api/me/leads/{id}"), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "given back: not theirs");
    });
}

/// The most specific rule, weights among a region's dealers, leads with no dealer staying
/// with the center, and a manager's own choice.
#[test]
fn issue_25_weighted_dealers_share_a_region_and_managers_assign() {
    on_both(|w: World| async move {
        settings(&w, 8).await;
        let heavy = dealer(
            &w,
            "heavy",
            json!([{"province": "江苏省", "city": "南京市"}]),
            2,
        )
        .await;
        let light = dealer(
            &w,
            "light",
            json!([{"province": "江苏省", "city": "南京市"}]),
            1,
        )
        .await;
        let mut got = Vec::new();
        for i in 0..6 {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/leads",
                    Some(json!({"name": format!("客户{i}"), "phone": "13900001111",
                                "product_line": "装载机", "region": "江苏省/南京市/鼓楼区"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            got.push(v["dealer_id"].as_i64().unwrap());
        }
        let heavy_n = got.iter().filter(|d| **d == heavy.id.0).count();
        assert_eq!((heavy_n, got.len() - heavy_n), (4, 2), "{got:?} {light:?}");
        // A region nobody serves: the center keeps it.
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/leads",
                Some(
                    json!({"name": "王五", "phone": "13900002222", "product_line": "装载机",
                            "region": "北京市/北京市/海淀区"}),
                ),
            )
            .await;
        assert_eq!(
            (v["status"].as_str(), &v["dealer_id"]),
            (Some("open"), &Value::Null)
        );
        let id = v["id"].as_i64().unwrap();
        // A team lead gives it to a dealer by hand; not to someone who is not a dealer.
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/leads/{id}/actions"),
                Some(json!({"action": "assign", "dealer_id": w.a.users[&Role::Agent].id.0})),
            )
            .await;
        assert_eq!(e["details"]["field"], "dealer_id", "{s} {e}");
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/leads/{id}/actions"),
                Some(json!({"action": "assign", "dealer_id": light.id.0})),
            )
            .await;
        assert_eq!(
            (s, &v["dealer_id"]),
            (StatusCode::OK, &json!(light.id.0)),
            "{v}"
        );
        // And takes it back, with a reason.
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/leads/{id}/actions"),
                Some(json!({"action": "reclaim", "reason": "客户要求总部直接对接"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["tried"], json!([light.id.0]));
        // A dealer who left is skipped.
        let (s, v) = w
            .as_a(
                Role::TenantAdmin,
                Method::PATCH,
                &format!("/api/users/{}", heavy.id.0),
                Some(json!({"active": false, "version": heavy.version})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/leads",
                Some(
                    json!({"name": "赵六", "phone": "13900003333", "product_line": "装载机",
                            "region": "江苏省/南京市"}),
                ),
            )
            .await;
        assert_eq!(v["dealer_id"], light.id.0, "{v}");
    });
}

/// A dealer of one region, over every route a dealer may call, never sees a lead, a
/// customer field or a timeline entry of another region's dealer or of the center's own
/// leads: ids of those are not found, lists do not show them, and acting on them changes
/// nothing.
#[test]
fn issue_25_dealer_isolation_over_every_route() {
    on_both(|w: World| async move {
        const OTHER: &str = "别区标记";
        let mine = w.a.users[&Role::Dealer].clone();
        serve(&w, &mine, json!([{"province": "浙江省", "city": "杭州市"}])).await;
        let (s, own) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/leads",
                Some(
                    json!({"customer_id": w.a.customer.0, "product_line": "挖掘机",
                            "region": "浙江省/杭州市/西湖区"}),
                ),
            )
            .await;
        assert_eq!(
            (s, &own["dealer_id"]),
            (StatusCode::CREATED, &json!(mine.id.0)),
            "{own}"
        );
        let other = dealer(
            &w,
            "nanjing",
            json!([{"province": "江苏省", "city": "南京市"}]),
            1,
        )
        .await;
        let customer = |name: &str, province: &str, city: &str| CustomerData {
            name: format!("{name}{OTHER}"),
            phones: vec![store::CustomerPhone {
                number: "+8613700001234".into(),
                label: "mobile".into(),
            }],
            addresses: vec![store::Address {
                province: province.into(),
                city: city.into(),
                line: format!("中山路1号{OTHER}"),
                ..store::Address::default()
            }],
            level: 3,
            qualification: "verified".into(),
            ..CustomerData::default()
        };
        let made = w
            .store
            .scoped(w.a.tenant.id)
            .create_customers(
                &[
                    customer("南京客户", "江苏省", "南京市"),
                    customer("北京客户", "北京市", "北京市"),
                ],
                crate::START_MS,
            )
            .await
            .unwrap();
        let mut foreign = Vec::new();
        for c in &made {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/leads",
                    Some(json!({"customer_id": c.id.0, "product_line": "挖掘机",
                                "notes": format!("备注{OTHER}")})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            foreign.push((v["id"].as_i64().unwrap(), v["version"].as_i64().unwrap()));
        }
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/leads/{}", foreign[0].0),
                None,
            )
            .await;
        assert_eq!(v["lead"]["dealer_id"], other.id.0, "{v}");
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/leads/{}", foreign[1].0),
                None,
            )
            .await;
        assert_eq!(v["lead"]["status"], "open", "the center's own");
        // The other dealer works theirs, so its timeline has their moves.
        let (s, _) = as_user(
            &w,
            &other,
            Method::POST,
            &format!("/api/me/leads/{}/actions", foreign[0].0),
            Some(json!({"action": "accept"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let mut checked = 0;
        for e in table() {
            let Some(perm) = e.perm else { continue };
            if !allows(Role::Dealer, perm) {
                // Every other route is refused to a dealer outright.
                let path = crate::fill(e.path, &w.a)
                    .replace(&w.a.lead.to_string(), &foreign[0].0.to_string());
                let body = e.example.as_ref().map(|b| crate::fill_body(b, &w.a));
                let (s, v) = as_user(&w, &mine, e.method.clone(), &path, body).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{} {path}: {v}", e.method);
                continue;
            }
            let ids: Vec<i64> = if e.path.contains("{lead_id}") {
                foreign.iter().map(|(id, _)| *id).collect()
            } else {
                vec![0]
            };
            for id in ids {
                let path = crate::fill(e.path, &w.a)
                    .replace(&format!("/leads/{}", w.a.lead), &format!("/leads/{id}"));
                let body = e.example.as_ref().map(|b| crate::fill_body(b, &w.a));
                let (s, v) = as_user(&w, &mine, e.method.clone(), &path, body).await;
                let text = v.to_string();
                assert!(!text.contains(OTHER), "{} {path} showed {text}", e.method);
                if e.path.contains("{lead_id}") {
                    assert_eq!(s, StatusCode::NOT_FOUND, "{} {path}: {v}", e.method);
                }
                checked += 1;
            }
        }
        assert!(checked >= 6, "only {checked} dealer routes checked");
        // Nothing moved on the others' leads.
        for (id, version) in &foreign {
            let row = w
                .store
                .scoped(w.a.tenant.id)
                .lead(*id)
                .await
                .unwrap()
                .unwrap();
            let expected = if *id == foreign[0].0 {
                version + 1
            } else {
                *version
            };
            assert_eq!(row.version, expected, "lead {id} changed");
        }
        // The dealer's own list has only their own lead (the fixture's).
        let (_, list) = as_user(&w, &mine, Method::GET, "/api/me/leads", None).await;
        let ids: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [own["id"].as_i64().unwrap()]);
    });
}

/// The contact policy where calls are placed: quiet hours, a day's limit, "do not call" and
/// the blacklist refuse and say why and from when (audited); a team lead's override passes
/// the limits, never "do not call"; what the customer asked is kept.
#[test]
fn issue_25_the_contact_policy_refuses_and_explains_where_calls_are_placed() {
    on_both(|w: World| async move {
        let customer = w.a.customer.0;
        let contact = format!("/api/customers/{customer}/contact");
        let place = |role: Role, body: Value| {
            let w = &w;
            async move {
                w.as_a(role, Method::POST, "/api/me/calls", Some(body))
                    .await
            }
        };
        // 04:26 in Beijing: quiet hours, callable from 08:00.
        let (_, v) = w.as_a(Role::Agent, Method::GET, &contact, None).await;
        assert_eq!(
            (v["may_call"].as_bool(), v["reason"].as_str()),
            (Some(false), Some("quiet_hours")),
            "{v}"
        );
        let eight = v["until_ms"].as_i64().unwrap();
        assert_eq!(
            (eight - crate::START_MS) / 60_000,
            213,
            "08:00 is 3 h 34 min later"
        );
        // A number no customer has is held to the calling hours too.
        let (s, e) = place(Role::Agent, json!({"number": "13700000077"})).await;
        assert_eq!(
            (s, e["details"]["contact_policy"].as_str()),
            (StatusCode::CONFLICT, Some("quiet_hours")),
            "{e}"
        );
        // Placing it is refused with the reason, and the refusal is audited; the number
        // alone is enough (it is the customer's).
        let (s, e) = place(Role::Agent, json!({"number": "13812345678"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["details"]["contact_policy"], "quiet_hours", "{e}");
        assert_eq!(e["details"]["until_ms"], eight);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        assert!(audit.to_string().contains("call.refused"), "{audit}");
        // An agent cannot override; a team lead can, with a reason, audited.
        let (s, e) = place(
            Role::Agent,
            json!({"number": "13812345678", "override_reason": "客户急需"}),
        )
        .await;
        assert_eq!(e["details"]["field"], "override_reason", "{s} {e}");
        let (s, e) = place(
            Role::Supervisor,
            json!({"number": "13812345678", "override_reason": "抢修回电，客户要求立即联系"}),
        )
        .await;
        // Past the policy; then no telephony in this test world (409 of another kind).
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(e["details"].get("contact_policy").is_none(), "{e}");
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        assert!(audit.to_string().contains("call.override"), "{audit}");
        // Not placed after all (no line here): it does not count.
        let (_, v) = w.as_a(Role::Agent, Method::GET, &contact, None).await;
        assert_eq!(v["calls_ms"], json!([]), "{v}");
        // At ten a call is placed (as the dialling path does, before the line): it is
        // today's one; the next from tomorrow at eight.
        w.clock
            .store(eight + 2 * HOUR, std::sync::atomic::Ordering::Relaxed);
        let overridden = w
            .state
            .app()
            .place_contact(
                w.a.tenant.id,
                &[w.a.customer],
                app::contacts::Purpose::Click,
                "out-25",
                Some(w.a.users[&Role::Agent].id),
                None,
            )
            .await
            .unwrap();
        assert!(!overridden);
        let (_, v) = w.as_a(Role::Agent, Method::GET, &contact, None).await;
        assert_eq!(v["reason"], "daily_limit", "{v}");
        assert_eq!(v["until_ms"], eight + 24 * HOUR);
        assert_eq!(v["calls_ms"].as_array().unwrap().len(), 1);
        // Tomorrow: callable. The customer asks for evenings only, then not at all.
        w.clock
            .store(eight + 26 * HOUR, std::sync::atomic::Ordering::Relaxed);
        let (_, v) = w.as_a(Role::Agent, Method::GET, &contact, None).await;
        assert_eq!(v["may_call"], true, "{v}");
        let (s, e) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &contact,
                Some(json!({"do_not_call": false, "hours_from": "20:00", "hours_to": "18:00"})),
            )
            .await;
        assert_eq!(e["details"]["field"], "hours_to", "{s} {e}");
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &contact,
                Some(
                    json!({"do_not_call": false, "hours_from": "18:00", "hours_to": "20:00",
                            "note": "白天上班"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["reason"].as_str(), v["until_ms"].as_i64()),
            (Some("customer_hours"), Some(eight + 34 * HOUR))
        );
        // The customer's own hours are theirs: no override passes them.
        let (s, e) = place(
            Role::Supervisor,
            json!({"number": "13812345678", "override_reason": "领导要求"}),
        )
        .await;
        assert_eq!(
            (s, e["details"]["contact_policy"].as_str()),
            (StatusCode::CONFLICT, Some("customer_hours")),
            "{e}"
        );
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &contact,
                Some(json!({"do_not_call": true, "note": "客户要求不再来电"})),
            )
            .await;
        assert_eq!(
            (v["may_call"].as_bool(), v["reason"].as_str()),
            (Some(false), Some("do_not_call"))
        );
        // Never called now, not even by a team lead's override.
        let (s, e) = place(
            Role::Supervisor,
            json!({"number": "13812345678", "customer_id": customer,
                   "override_reason": "领导要求"}),
        )
        .await;
        assert_eq!(
            (s, e["details"]["contact_policy"].as_str()),
            (StatusCode::CONFLICT, Some("do_not_call")),
            "{e}"
        );
        // A call naming another customer but dialling this one's number is this one's call.
        let (s, e) = place(
            Role::Agent,
            json!({"number": "13812345678", "customer_id": w.a.other_customer.0}),
        )
        .await;
        assert_eq!(
            (s, e["details"]["contact_policy"].as_str()),
            (StatusCode::CONFLICT, Some("do_not_call")),
            "{e}"
        );
        // An agent may not take "do not call" back; a team lead may, saying why.
        let (s, e) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &contact,
                Some(json!({"do_not_call": false})),
            )
            .await;
        assert_eq!(e["details"]["field"], "do_not_call", "{s} {e}");
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::PUT,
                &contact,
                Some(json!({"do_not_call": false})),
            )
            .await;
        assert_eq!(e["details"]["field"], "note", "{s} {e}");
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::PUT,
                &contact,
                Some(json!({"do_not_call": false, "note": "客户来电说可以再联系"})),
            )
            .await;
        assert_eq!(
            (s, v["do_not_call"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{v}"
        );
        // Another tenant's customer is not there.
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{}/contact", w.b.customer.0),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    });
}

/// The month's scorecard per dealer and region, the agents' credit and the wins, as JSON
/// and as spreadsheets managers open in Excel.
#[test]
fn issue_25_the_dealers_scorecard_and_the_agents_credit_for_a_month() {
    on_both(|w: World| async move {
        // 1 June 2026, 04:26 Beijing time.
        w.clock.store(
            crate::START_MS + 3 * 86_400_000,
            std::sync::atomic::Ordering::Relaxed,
        );
        settings(&w, 2).await;
        let d = w.a.users[&Role::Dealer].clone();
        serve(&w, &d, json!([{"province": "浙江省", "city": "杭州市"}])).await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/leads",
                    Some(json!({"name": format!("客户{i}"), "phone": "13900001111",
                                "product_line": "挖掘机", "region": "浙江省/杭州市/余杭区"})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            ids.push(v["id"].as_i64().unwrap());
        }
        let act = |id: i64, body: Value| {
            let (w, d) = (&w, &d);
            async move {
                let (s, v) = as_user(
                    w,
                    d,
                    Method::POST,
                    &format!("/api/me/leads/{id}/actions"),
                    Some(body),
                )
                .await;
                assert_eq!(s, StatusCode::OK, "{v}");
            }
        };
        w.clock
            .fetch_add(HOUR, std::sync::atomic::Ordering::Relaxed);
        act(ids[0], json!({"action": "accept"})).await;
        act(ids[0], json!({"action": "win", "amount": 7_800_000})).await;
        act(ids[1], json!({"action": "accept"})).await;
        act(ids[1], json!({"action": "lose", "reason": "预算不足"})).await;
        // The third is never accepted: taken back.
        w.clock
            .fetch_add(2 * HOUR, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(w.state.app().sweep_leads(w.a.tenant.id).await.unwrap(), 1);
        let (s, e) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                "/api/leads/scorecard?month=2026-13",
                None,
            )
            .await;
        assert_eq!(e["details"]["field"], "month", "{s} {e}");
        let (s, c) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                "/api/leads/scorecard?month=2026-06",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
        let row = &c["dealers"][0];
        assert_eq!(row["dealer_id"], d.id.0, "{c}");
        assert_eq!(
            (row["offered"].as_u64(), row["accepted"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(
            (
                row["won"].as_u64(),
                row["lost"].as_u64(),
                row["reclaimed"].as_u64()
            ),
            (Some(1), Some(1), Some(1))
        );
        assert_eq!(row["won_amount"], 7_800_000);
        assert_eq!(row["mean_accept_ms"], HOUR);
        assert!((row["conversion"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
        // Accept, win, accept, lose on time; one taken back late.
        assert!(
            (row["on_time_rate"].as_f64().unwrap() - 0.8).abs() < 1e-9,
            "{row}"
        );
        assert_eq!(c["regions"][0]["name"], "浙江省/杭州市");
        let agent = &c["agents"][0];
        assert_eq!(agent["user_id"], w.a.users[&Role::Agent].id.0);
        assert_eq!(
            (agent["captured"].as_u64(), agent["won"].as_u64()),
            (Some(3), Some(1))
        );
        assert_eq!(c["wins"][0]["lead_id"], ids[0]);
        // An agent may not see the scorecard.
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/leads/scorecard?month=2026-06",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Each sheet opens as a spreadsheet.
        for (sheet, rows) in [("dealers", 1), ("regions", 1), ("agents", 1), ("wins", 1)] {
            let token = w.token(&w.a.users[&Role::Supervisor]).await;
            let req = axum::http::Request::get(format!(
                "/api/leads/scorecard/export?month=2026-06&sheet={sheet}"
            ))
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
            let resp = tower::ServiceExt::oneshot(w.app.clone(), req)
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK, "{sheet}");
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
                .await
                .unwrap();
            let table = sheets::read(&bytes).unwrap();
            assert_eq!(table.rows.len(), rows, "{sheet}");
            if sheet == "wins" {
                assert_eq!(table.rows[0][5], "78000.00");
            }
        }
    });
}

/// Leads from an exhibition's sheet: every row checked first and named by its row, nothing
/// taken in while any is wrong, then all at once, each to its region's dealer; the same
/// sheet again adds nothing.
#[test]
fn issue_25_leads_are_imported_from_a_sheet_all_or_nothing() {
    on_both(|w: World| async move {
        settings(&w, 8).await;
        let d = w.a.users[&Role::Dealer].clone();
        serve(&w, &d, json!([{"province": "浙江省", "city": "杭州市"}])).await;
        let token = w.token(&w.a.users[&Role::Supervisor]).await;
        let import = |csv: String, commit: bool| {
            let (w, token) = (&w, &token);
            async move {
                w.call_raw(
                    Method::POST,
                    &format!("/api/leads/import?commit={commit}"),
                    token,
                    csv.into_bytes(),
                )
                .await
            }
        };
        let bad = "姓名,手机,产品线,省,市,区,外部编号,展会\n\
                   张三,13800001111,挖掘机,浙江省,杭州市,西湖区,expo:1,春季展\n\
                   李四,12,装载机,江苏省,南京市,,expo:2,春季展\n\
                   王五,13800003333,拖拉机,浙江省,杭州市,,expo:3,春季展\n"
            .to_string();
        let (s, e) = import(bad.clone(), true).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let fields: Vec<(u64, &str)> = e["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| (x["row"].as_u64().unwrap(), x["field"].as_str().unwrap()))
            .collect();
        assert_eq!(fields, [(3, "phone"), (4, "product_line")]);
        let (_, leads) = w
            .as_a(Role::Supervisor, Method::GET, "/api/leads", None)
            .await;
        let before = leads.as_array().unwrap().len();
        let good = bad
            .replace(",12,", ",13800002222,")
            .replace("拖拉机", "挖掘机");
        let (s, r) = import(good.clone(), false).await;
        assert_eq!(
            (s, r["created"].as_u64(), r["committed"].as_bool()),
            (StatusCode::OK, Some(3), Some(false)),
            "{r}"
        );
        assert_eq!(r["ignored"], json!(["展会"]));
        let (s, r) = import(good.clone(), true).await;
        assert_eq!(
            (s, r["committed"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{r}"
        );
        assert_eq!(
            (r["created"].as_u64(), r["offered"].as_u64()),
            (Some(3), Some(2)),
            "{r}"
        );
        let (_, leads) = w
            .as_a(Role::Supervisor, Method::GET, "/api/leads", None)
            .await;
        assert_eq!(leads.as_array().unwrap().len(), before + 3);
        let (_, mine) = as_user(&w, &d, Method::GET, "/api/me/leads", None).await;
        assert_eq!(
            mine.as_array().unwrap().len(),
            2,
            "the two of Hangzhou: {mine}"
        );
        // The same sheet again: nothing new.
        let (_, r) = import(good, true).await;
        assert_eq!(
            (r["existing"].as_u64(), r["created"].as_u64()),
            (Some(3), Some(0)),
            "{r}"
        );
    });
}

/// One contact task per customer: a due payment (billing), an invitation (marketing), the
/// 回访 their resolved order owes (service) and the lead the center works (sales) are one
/// call; in quiet hours it waits until eight with the reason, after today's call until
/// tomorrow; a covered topic leaves the task; a merged record's topic is its survivor's;
/// bad input names the field, another tenant's ids are not found.
#[test]
fn issue_25_pending_contacts_of_a_customer_are_one_task() {
    on_both(|w: World| async move {
        let customer = w.a.customer.0;
        let tasks = format!("/api/contacts/tasks?customer_id={customer}");
        // The order resolved: its 回访 is owed.
        let (s, o) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/orders",
                Some(json!({"order_type": "water-type", "title": "水表漏水",
                            "customer_id": customer, "region": "浙江省/杭州市/西湖区"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        let order = o["id"].as_i64().unwrap();
        for action in ["accept", "resolve"] {
            let (s, o) = w
                .as_a(
                    Role::BackOffice,
                    Method::POST,
                    &format!("/api/orders/{order}/handle"),
                    Some(json!({ "action": action })),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{o}");
        }
        let (s, t) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                "/api/contacts/topics",
                Some(json!({"customer_id": customer, "kind": "invitation",
                            "department": "marketing", "subject": "12月新品体验会 🎉"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let invitation = t["id"].as_i64().unwrap();

        // 04:26 Beijing: one task with all four, waiting for eight because of quiet hours.
        let (s, v) = w.as_a(Role::Agent, Method::GET, &tasks, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), 1, "{v}");
        let task = &list[0];
        let mut kinds: Vec<&str> = task["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            ["invitation", "lead", "payment", "revisit"],
            "{task}"
        );
        let ids: Vec<i64> = task["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&order) && ids.contains(&w.a.lead), "{task}");
        assert_eq!(
            (task["may_call"].as_bool(), task["reason"].as_str()),
            (Some(false), Some("quiet_hours")),
            "{task}"
        );
        let eight = task["due_ms"].as_i64().unwrap();
        assert_eq!((eight - crate::START_MS) / 60_000, 213, "08:00");
        // The whole list has it too, and nothing of tenant B.
        let (_, all) = w
            .as_a(Role::Agent, Method::GET, "/api/contacts/tasks", None)
            .await;
        assert!(!all.to_string().contains(crate::B_MARKER), "{all}");
        assert!(
            all.as_array()
                .unwrap()
                .iter()
                .any(|t| t["customer_id"] == customer)
        );

        // At ten it may be called; once called, the rest waits until tomorrow at eight.
        w.clock
            .store(eight + 2 * HOUR, std::sync::atomic::Ordering::Relaxed);
        let (_, v) = w.as_a(Role::Agent, Method::GET, &tasks, None).await;
        assert_eq!(v[0]["may_call"], true, "{v}");
        w.state
            .app()
            .place_contact(
                w.a.tenant.id,
                &[w.a.customer],
                app::contacts::Purpose::Click,
                "out-25-task",
                Some(w.a.users[&Role::Agent].id),
                None,
            )
            .await
            .unwrap();
        // The payment and the invitation were covered in the call.
        let done = |id: i64, outcome: &'static str| {
            let w = &w;
            async move {
                w.as_a(
                    Role::Agent,
                    Method::POST,
                    &format!("/api/contacts/topics/{id}/done"),
                    Some(json!({ "outcome": outcome })),
                )
                .await
            }
        };
        let (s, t) = done(w.a.topic, "已提醒，客户明天缴费").await;
        assert_eq!(
            (s, t["outcome"].as_str()),
            (StatusCode::OK, Some("已提醒，客户明天缴费"))
        );
        assert_eq!(t["done_by"], w.a.users[&Role::Agent].id.0);
        let (s, _) = done(invitation, "客户会来").await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = done(invitation, "again").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let (_, v) = w.as_a(Role::Agent, Method::GET, &tasks, None).await;
        let kinds: Vec<&str> = v[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.len(), 2, "{v}");
        assert!(
            !kinds.contains(&"payment") && !kinds.contains(&"invitation"),
            "{v}"
        );
        assert_eq!(
            (v[0]["may_call"].as_bool(), v[0]["reason"].as_str()),
            (Some(false), Some("daily_limit")),
            "{v}"
        );
        assert_eq!(v[0]["due_ms"], eight + 24 * HOUR);

        // A topic of a record merged into another is the survivor's.
        let other = w
            .store
            .scoped(w.a.tenant.id)
            .create_customer(
                &CustomerData {
                    name: "王五".into(),
                    level: 1,
                    ..CustomerData::default()
                },
                crate::START_MS,
            )
            .await
            .unwrap();
        let (s, t) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/contacts/topics",
                Some(json!({"customer_id": other.id.0, "kind": "survey",
                            "department": "service", "subject": "满意度回访"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        let (s, m) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/customers/{customer}/merge"),
                Some(json!({"absorbed_id": other.id.0})),
            )
            .await;
        assert!(s.is_success(), "{s} {m}");
        let (_, v) = w.as_a(Role::Agent, Method::GET, &tasks, None).await;
        assert!(v[0]["items"].to_string().contains("满意度回访"), "{v}");

        // Bad input names the field and writes nothing; another tenant's ids are not found.
        for (body, field) in [
            (
                json!({"customer_id": customer, "kind": "spam", "department": "sales", "subject": "x"}),
                "kind",
            ),
            (
                json!({"customer_id": customer, "kind": "other", "department": "ops", "subject": "x"}),
                "department",
            ),
            (
                json!({"customer_id": customer, "kind": "other", "department": "sales", "subject": " "}),
                "subject",
            ),
            (
                json!({"customer_id": customer, "kind": "other", "department": "sales", "subject": "a\u{0}b"}),
                "subject",
            ),
            (
                json!({"customer_id": customer, "kind": "other", "department": "sales", "subject": "x", "not_before_ms": i64::MAX}),
                "not_before_ms",
            ),
        ] {
            let (s, e) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/contacts/topics",
                    Some(body),
                )
                .await;
            assert_eq!(
                (s, e["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some(field)),
                "{e}"
            );
        }
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/contacts/topics",
                Some(json!({"customer_id": w.b.customer.0, "kind": "other",
                            "department": "sales", "subject": "x"})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = done(w.b.topic, "x").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let open = w
            .store
            .scoped(w.b.tenant.id)
            .open_contact_topics(None, 10)
            .await
            .unwrap();
        assert_eq!(open.len(), 1, "tenant B's topic untouched");
    });
}

/// R3.5: the customer's journey stage is tagged on orders, on wrap-ups and on leads, a stage
/// not among the five is refused naming the field, and the reports count each under its
/// stage (`dim=journey`, labelled in Chinese).
#[test]
fn issue_25_the_journey_stage_is_tagged_on_orders_and_leads_and_reported() {
    on_both(|w: World| async move {
        let customer = w.a.customer.0;
        let order = |journey: &'static str| {
            let w = &w;
            async move {
                w.as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/orders",
                    Some(json!({"order_type": "water-type", "title": "净水器退货",
                                "customer_id": customer, "journey": journey})),
                )
                .await
            }
        };
        let (s, o) = order("return").await;
        assert_eq!(
            (s, o["journey"].as_str()),
            (StatusCode::CREATED, Some("return")),
            "{o}"
        );
        let (s, e) = order("later").await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("journey")),
            "{e}"
        );
        for (journey, won) in [("select", true), ("select", false), ("buy", false)] {
            let (s, l) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/leads",
                    Some(json!({"customer_id": customer, "product_line": "挖掘机",
                                "region": "浙江省/杭州市/西湖区", "journey": journey})),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{l}");
            if won {
                let path = format!("/api/leads/{}/actions", l["id"]);
                for body in [
                    json!({"action": "take"}),
                    json!({"action": "win", "amount": 7_800_000}),
                ] {
                    let (s, v) = w.as_a(Role::Agent, Method::POST, &path, Some(body)).await;
                    assert_eq!(s, StatusCode::OK, "{v}");
                }
            }
        }
        let (s, r) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                "/api/reports?from=2026-05-29&to=2026-05-29&by=total&dim=journey\
                 &metrics=orders_created,leads_captured,leads_won,lead_amount,lead_conversion",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let row = |key: &str| {
            r["totals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["key"] == key)
                .unwrap_or_else(|| panic!("{key} is reported: {r}"))
                .clone()
        };
        // Captured while selecting; a win moves the customer on to buying, where it counts.
        assert_eq!(
            row("select")["values"],
            json!([0.0, 2.0, 0.0, 0.0, 0.0]),
            "{r}"
        );
        assert_eq!(
            row("buy")["values"],
            json!([0.0, 1.0, 1.0, 78_000.0, 1.0]),
            "{r}"
        );
        assert_eq!(row("return")["values"][0], 1.0, "{r}");
        // The fixture's lead, captured without a stage: searching.
        assert_eq!(row("search")["values"][1], 1.0, "{r}");
        assert_eq!(r["labels"]["select"], "选择", "{r}");
    });
}

/// The browser tests' virtual clock: the platform administrator moves it forward (audited);
/// nobody else may, and a step of nothing or of more than 30 days is refused.
#[test]
fn issue_25_the_platform_administrator_moves_the_clock_forward() {
    on_both(|w: World| async move {
        let before = w.state.now_ms();
        let (s, e) = w
            .as_a(
                Role::TenantAdmin,
                Method::POST,
                "/api/platform/clock",
                Some(json!({"advance_ms": HOUR})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        let token = w.token(&w.platform_admin).await;
        for bad in [0, -1, 31 * 24 * HOUR] {
            let (s, e) = w
                .call(
                    Method::POST,
                    "/api/platform/clock",
                    Some(&token),
                    Some(json!({ "advance_ms": bad })),
                )
                .await;
            assert_eq!(
                (s, e["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some("advance_ms")),
                "{e}"
            );
        }
        assert_eq!(w.state.now_ms(), before);
        let (s, v) = w
            .call(
                Method::POST,
                "/api/platform/clock",
                Some(&token),
                Some(json!({ "advance_ms": 9 * HOUR })),
            )
            .await;
        assert_eq!(
            (s, v["now_ms"].as_i64()),
            (StatusCode::OK, Some(before + 9 * HOUR)),
            "{v}"
        );
        assert_eq!(w.state.now_ms(), before + 9 * HOUR);
    });
}
