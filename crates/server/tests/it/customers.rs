//! Customers through the API: normalised numbers, the screen pop, versions, protected data,
//! facets, duplicates and merges.

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::Role;

use crate::{World, on_both};

#[test]
fn numbers_are_normalised_and_the_screen_pop_finds_the_caller_in_its_tenant_only() {
    on_both(|w: World| async move {
        let body = json!({
            "name": "陈静",
            "phones": [{"number": "０１０-８８８８ ６６６６", "label": "office"}, {"number": "+86 139 1111 2222"}],
            "segment": "vulnerable",
            "id_number": "110101199003071234",
        });
        let (s, c) = w
            .as_a(Role::Agent, Method::POST, "/api/customers", Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        assert_eq!(c["phones"][0]["number"], "+861088886666");
        assert_eq!(c["phones"][1]["number"], "+8613911112222");
        assert_eq!(c["id_number"], "110101********1234");
        for asked in ["13911112222", "+86%20139-1111-2222", "008613911112222"] {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::GET,
                    &format!("/api/customers/lookup?number={asked}"),
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(v["number"], "+8613911112222");
            assert_eq!(v["customers"][0]["name"], "陈静", "{asked}");
        }
        // The fixture's number exists in both tenants; each sees its own.
        let (_, v) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13812345678",
                None,
            )
            .await;
        assert_eq!(v["customers"].as_array().unwrap().len(), 1);
        assert_eq!(v["customers"][0]["id"], w.a.customer.0);
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13x",
                None,
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("number"))
        );
        let (s, v) = w
            .as_a(Role::Agent, Method::GET, "/api/customers/lookup", None)
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("number")),
            "{v}"
        );
    });
}

#[test]
fn bad_customer_fields_are_named() {
    on_both(|w: World| async move {
        for (body, field) in [
            (
                json!({"name": "x", "phones": [{"number": "12"}]}),
                "phones[0].number",
            ),
            (
                json!({"name": "x", "phones": [{"number": "13800000000"}, {"number": "abc"}]}),
                "phones[1].number",
            ),
            (
                json!({"name": "x", "emails": ["not-an-email"]}),
                "emails[0]",
            ),
            (json!({"name": "x", "segment": "vip"}), "segment"),
            (json!({"name": "x", "level": 9}), "level"),
            (json!({"name": "x", "level": -1}), "level"),
            (json!({"name": "  "}), "name"),
            (json!({"phones": []}), "name"),
            (
                json!({"name": "x", "blacklisted": true}),
                "blacklist_reason",
            ),
            (json!({"name": "x", "id_number": "1101-01"}), "id_number"),
            (
                json!({"name": "x", "phones": [{"number": "13800000000", "lable": "typo"}]}),
                "phones[0]",
            ),
        ] {
            let (s, v) = w
                .as_a(
                    Role::Agent,
                    Method::POST,
                    "/api/customers",
                    Some(body.clone()),
                )
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {v}");
            assert_eq!(v["code"], "invalid_input");
            assert!(
                v["details"]["field"].as_str().unwrap().starts_with(field),
                "{body}: {v}"
            );
        }
        let (s, v) = w
            .as_a(Role::Agent, Method::GET, "/api/customers/abc", None)
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("customer_id")),
            "{v}"
        );
        let (s, _) = w
            .as_a(Role::Agent, Method::GET, "/api/customers?limit=0", None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    });
}

#[test]
fn two_agents_editing_the_same_customer_the_second_gets_409() {
    on_both(|w: World| async move {
        let path = format!("/api/customers/{}", w.a.customer.0);
        let (_, c) = w.as_a(Role::Agent, Method::GET, &path, None).await;
        let mut first =
            json!({ "version": c["version"], "name": "张伟", "notes": "报修: 水表漏水" });
        first["phones"] = c["phones"].clone();
        let (s, v) = w
            .as_a(Role::Agent, Method::PUT, &path, Some(first.clone()))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        first["notes"] = json!("stale write");
        let (s, v) = w.as_a(Role::Expert, Method::PUT, &path, Some(first)).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (StatusCode::CONFLICT, Some("version_conflict"))
        );
        let (_, now) = w.as_a(Role::Agent, Method::GET, &path, None).await;
        assert_eq!(now["notes"], "报修: 水表漏水");
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &path,
                Some(json!({"name": "no version"})),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("version"))
        );
    });
}

#[test]
fn protected_data_is_masked_for_the_front_line_and_every_unmasked_view_is_audited() {
    on_both(|w: World| async move {
        let (_, c) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/customers",
                Some(json!({"name": "赵六", "id_number": "330106198001010022"})),
            )
            .await;
        let id = c["id"].as_i64().unwrap();
        let bank = json!({"data": {"bank": "工商银行", "account": "6222020200112233445"}});
        let finance = format!("/api/customers/{id}/facets/finance");
        let (s, _) = w
            .as_a(Role::Agent, Method::PUT, &finance, Some(bank.clone()))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "agents cannot write bank details");
        let (s, f) = w
            .as_a(Role::BackOffice, Method::PUT, &finance, Some(bank))
            .await;
        assert_eq!(s, StatusCode::OK, "{f}");
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &format!("/api/customers/{id}/facets/service"),
                Some(json!({"data": {"meter": "DN20"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        let (_, facets) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{id}/facets"),
                None,
            )
            .await;
        let fin = facets
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["department"] == "finance")
            .unwrap();
        assert_eq!(fin["masked"], true);
        assert_eq!(fin["data"]["account"], "***************3445");
        let svc = facets
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["department"] == "service")
            .unwrap();
        assert_eq!(svc["data"]["meter"], "DN20");

        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{id}/protected"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, p) = w
            .as_a(
                Role::BackOffice,
                Method::GET,
                &format!("/api/customers/{id}/protected"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["id_number"], "330106198001010022");
        assert_eq!(p["finance"]["account"], "6222020200112233445");
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit?limit=5", None)
            .await;
        let view = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "customer.view_protected")
            .unwrap();
        assert_eq!(view["actor_id"], w.a.users[&Role::BackOffice].id.0);
        assert_eq!(view["target_id"], id.to_string());

        // Sending the masked number back unchanged keeps the real one.
        let (_, now) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers/{id}"),
                None,
            )
            .await;
        let body =
            json!({"version": now["version"], "name": "赵六", "id_number": now["id_number"]});
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::PUT,
                &format!("/api/customers/{id}"),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, p) = w
            .as_a(
                Role::BackOffice,
                Method::GET,
                &format!("/api/customers/{id}/protected"),
                None,
            )
            .await;
        assert_eq!(p["id_number"], "330106198001010022");
    });
}

#[test]
fn duplicates_are_merged_and_the_merge_undone_through_the_api() {
    on_both(|w: World| async move {
        let (_, a) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/customers",
                Some(json!({"name": "周杰", "phones": [{"number": "13600000001"}]})),
            )
            .await;
        let (_, b) = w
            .as_a(Role::Agent, Method::POST, "/api/customers", Some(json!({"name": "周 杰", "phones": [{"number": "136-0000-0001"}, {"number": "13600000002"}]})))
            .await;
        let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
        let (s, dups) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/customers/{a}/duplicates"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(dups[0]["id"], b);
        let (s, _) = w
            .as_a(
                Role::Agent,
                Method::POST,
                &format!("/api/customers/{a}/merge"),
                Some(json!({"absorbed_id": b})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "agents do not merge");
        let (s, m) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/customers/{a}/merge"),
                Some(json!({"absorbed_id": b})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(m["customer"]["phones"].as_array().unwrap().len(), 2);
        let (_, pop) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13600000002",
                None,
            )
            .await;
        assert_eq!(pop["customers"][0]["id"], a);
        // Merging with another tenant's record is a 404, like any other id of theirs.
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/customers/{a}/merge"),
                Some(json!({"absorbed_id": w.b.customer.0})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let merge = m["merge_id"].as_i64().unwrap();
        let (s, u) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/customer-merges/{merge}/undo"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{u}");
        assert_eq!(u["kept"]["phones"].as_array().unwrap().len(), 1);
        assert_eq!(u["restored"]["id"], b);
        let (_, pop) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13600000002",
                None,
            )
            .await;
        assert_eq!(pop["customers"][0]["id"], b);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit?limit=2", None)
            .await;
        assert_eq!(audit[0]["action"], "customer.merge_undo");
        assert_eq!(audit[1]["action"], "customer.merge");
    });
}

#[test]
fn listing_pages_through_customers() {
    on_both(|w: World| async move {
        for i in 0..7 {
            let body = json!({"name": format!("分页客户{i}"), "phones": [{"number": format!("1350000000{i}")}]});
            assert_eq!(
                w.as_a(Role::Agent, Method::POST, "/api/customers", Some(body))
                    .await
                    .0,
                StatusCode::CREATED
            );
        }
        let (_, p1) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers?q=%E5%88%86%E9%A1%B5&limit=5",
                None,
            )
            .await;
        assert_eq!(p1["items"].as_array().unwrap().len(), 5);
        let after = p1["next_after"].as_i64().unwrap();
        let (_, p2) = w
            .as_a(
                Role::Agent,
                Method::GET,
                &format!("/api/customers?q=%E5%88%86%E9%A1%B5&limit=5&after={after}"),
                None,
            )
            .await;
        assert_eq!(p2["items"].as_array().unwrap().len(), 2);
        assert!(p2["next_after"].is_null());
    });
}

/// Issue 20: a U+0000 in any field of a JSON body is refused at the edge, naming the field
/// (PostgreSQL stores none: the write failed late, and in an event it stalled the log).
#[test]
fn issue_20_a_nul_character_is_refused_naming_its_field() {
    on_both(|w: World| async move {
        let body =
            json!({"name": "张\u{0}伟", "phones": [{"number": "13812345678", "label": "mobile"}]});
        let (s, v) = w
            .as_a(Role::Agent, Method::POST, "/api/customers", Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("name")),
            "{v}"
        );
        let body =
            json!({"name": "张伟", "phones": [{"number": "13812345678", "label": "mo\u{0}bile"}]});
        let (s, v) = w
            .as_a(Role::Agent, Method::POST, "/api/customers", Some(body))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("phones[0].label")),
            "{v}"
        );
        let (s, v) = w
            .as_a(
                Role::Agent,
                Method::POST,
                "/api/calls/abc/wrap-up",
                Some(json!({"disposition": "repair", "notes": "漏水\u{0}"})),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("notes")),
            "{v}"
        );
        // Nothing was written.
        let (_, list) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers?q=13812345678",
                None,
            )
            .await;
        assert!(!list.to_string().contains('\u{0}'), "{list}");
    });
}

/// Issue 21: the customer list finds a number however it is written, a whole ID number,
/// and filters by level, region, blacklist and department.
#[test]
fn issue_21_the_customer_list_searches_any_written_number_and_filters() {
    on_both(|w: World| async move {
        let lead = Role::Supervisor;
        let (s, created) = w
            .as_a(lead, Method::POST, "/api/customers", Some(json!({
                "name": "周建华", "phones": [{"number": "0571-8765 4321", "label": "home"}],
                "addresses": [{"province": "浙江省", "city": "杭州市", "district": "滨江区", "line": "江南大道 1 号"}],
                "level": 5, "blacklisted": true, "blacklist_reason": "恶意投诉",
                "id_number": "33010619800101123X"})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        let id = created["id"].clone();
        let names = |v: &serde_json::Value| -> Vec<String> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect()
        };
        for q in [
            "0571 8765 4321",
            "+86 571 8765 4321",
            "(0571)87654321",
            "8765",
            "建华",
        ] {
            let path = format!("/api/customers?q={}", urlencode(q));
            let (s, page) = w.as_a(lead, Method::GET, &path, None).await;
            assert_eq!(s, StatusCode::OK, "{q}: {page}");
            assert_eq!(names(&page), ["周建华"], "{q}");
        }
        for (filter, found) in [
            ("level=5", true),
            ("level=4", false),
            ("blacklisted=true", true),
            ("region=%E6%BB%A8%E6%B1%9F%E5%8C%BA", true), // 滨江区
            ("region=city", false), // a key of the stored address, not a region
            ("region=%E8%A5%BF%E6%B9%96%E5%8C%BA", false), // 西湖区
            ("department=finance", false),
        ] {
            let (_, page) = w
                .as_a(lead, Method::GET, &format!("/api/customers?{filter}"), None)
                .await;
            let ids: Vec<_> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].clone())
                .collect();
            assert_eq!(ids.contains(&id), found, "{filter}: {page}");
        }
        // A whole ID number finds the customer only for those who may see ID numbers (a
        // match would confirm one to anyone else), and the lookup is audited.
        let by_id = "/api/customers?q=33010619800101123X";
        let (_, page) = w.as_a(lead, Method::GET, by_id, None).await;
        assert_eq!(
            names(&page),
            Vec::<String>::new(),
            "a team lead cannot test ID numbers"
        );
        let (_, page) = w.as_a(Role::TenantAdmin, Method::GET, by_id, None).await;
        assert_eq!(names(&page), ["周建华"]);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit", None)
            .await;
        assert!(
            audit.to_string().contains("customer.search_id_number"),
            "{audit}"
        );
        let (s, e) = w
            .as_a(lead, Method::GET, "/api/customers?level=9", None)
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("level"))
        );
    });
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Issue 21: a dealer sees the customers of the regions the administrator gave them, with
/// only what a dealer needs, and nothing else; other roles cannot ask as a dealer.
#[test]
fn issue_21_a_dealer_sees_only_the_customers_of_their_regions() {
    on_both(|w: World| async move {
        let admin = Role::TenantAdmin;
        let dealer = w.a.users[&Role::Dealer].id.0;
        for (name, district) in [
            ("西湖客户", "西湖区"),
            ("滨江客户", "滨江区"),
            ("萧山客户", "萧山区"),
        ] {
            let (s, v) = w
                .as_a(admin, Method::POST, "/api/customers", Some(json!({
                    "name": name, "phones": [{"number": "13900001111", "label": "mobile"}],
                    "addresses": [{"province": "浙江省", "city": "杭州市", "district": district, "line": "1 号"}],
                    "id_number": "330106198001011234", "notes": "内部备注"})))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
        // No regions yet: nothing.
        let (s, page) = w
            .as_a(Role::Dealer, Method::GET, "/api/me/customers", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(page["items"], json!([]));
        let path = format!("/api/dealers/{dealer}/regions");
        let (s, v) = w
            .as_a(
                admin,
                Method::PUT,
                &path,
                Some(json!({"regions": [
                {"province": "浙江省", "city": "杭州市", "district": "西湖区"},
                {"province": "浙江省", "city": "杭州市", "district": "滨江区"}]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, page) = w
            .as_a(Role::Dealer, Method::GET, "/api/me/customers", None)
            .await;
        let mut names: Vec<_> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["滨江客户", "西湖客户"], "{page}");
        let text = page.to_string();
        assert!(
            !text.contains("330106") && !text.contains("内部备注"),
            "a dealer sees no ID number or notes: {text}"
        );
        // Nor by searching for the ID number.
        let (_, page) = w
            .as_a(
                Role::Dealer,
                Method::GET,
                "/api/me/customers?q=330106198001011234",
                None,
            )
            .await;
        assert_eq!(page["items"], json!([]), "{page}");
        // The rest of the customers' API is closed to dealers; the regions are checked.
        let (s, _) = w
            .as_a(Role::Dealer, Method::GET, "/api/customers", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = w
            .as_a(admin, Method::PUT, &path, Some(json!({"version": v["version"], "regions": [{"province": "", "city": "杭州市"}]})))
            .await;
        assert_eq!(
            (s, e["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("regions[0].province")),
            "{e}"
        );
        let agent = w.a.users[&Role::Agent].id.0;
        let (s, _) = w
            .as_a(
                admin,
                Method::PUT,
                &format!("/api/dealers/{agent}/regions"),
                Some(json!({"regions": []})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "only dealers serve regions");
    });
}
