//! Importing customers from spreadsheets and exporting them.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use store::Role;
use tower::ServiceExt;

use crate::{World, on_both};

const HEADERS: &str = "姓名,手机,座机,省份,城市,区县,详细地址,客户类型,等级,备注";

async fn upload(w: &World, name: &str, bytes: Vec<u8>) -> Value {
    let token = w.token(&w.a.users[&Role::Supervisor]).await;
    let (s, v) = w
        .call_raw(
            Method::POST,
            &format!("/api/customers/imports?filename={name}"),
            &token,
            bytes,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn wait_done(w: &World, id: u64) -> Value {
    for _ in 0..200 {
        let (_, v) = w
            .as_a(
                Role::Supervisor,
                Method::GET,
                &format!("/api/customers/imports/{id}"),
                None,
            )
            .await;
        if v["status"] != "running" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the import did not finish");
}

#[test]
fn a_gbk_csv_from_excel_is_checked_row_by_row_and_imported_skipping_bad_rows() {
    on_both(|w: World| async move {
        let text = format!(
            "{HEADERS}\r\n\
             王建国,138 0000 1111,0571-8888 1111,浙江省,杭州市,西湖区,文三路 1 号,大客户,5,老客户\r\n\
             刘小红,13900002222;13900003333,,浙江省,杭州市,滨江区,江南大道 2 号,弱势群体,,独居老人\r\n\
             坏号码,12,,,,,,,,\r\n\
             坏类型,13600004444,,,,,,贵宾,,\r\n"
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let up = upload(&w, "客户.csv", gbk.into_owned()).await;
        assert_eq!(up["rows"], 4);
        assert_eq!(up["preview"][0][0], "王建国");
        let mapping = up["suggested_mapping"].clone();
        assert_eq!(mapping["姓名"], "name");
        assert_eq!(mapping["手机"], "phone");
        assert_eq!(mapping["座机"], "phone");
        assert_eq!(mapping["区县"], "district");
        assert_eq!(mapping["客户类型"], "segment");
        let id = up["id"].as_u64().unwrap();

        let (s, check) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &format!("/api/customers/imports/{id}/check"),
                Some(json!({"mapping": mapping})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{check}");
        assert_eq!(
            (check["valid"].as_u64(), check["invalid"].as_u64()),
            (Some(2), Some(2))
        );
        assert_eq!(check["errors"][0]["row"], 3);
        assert_eq!(check["errors"][0]["column"], "手机");
        assert_eq!(check["errors"][0]["field"], "phones[0].number");
        assert_eq!(check["errors"][1]["row"], 4);
        assert_eq!(check["errors"][1]["column"], "客户类型");

        // All or nothing: refused, nothing written.
        let commit = format!("/api/customers/imports/{id}/commit");
        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &commit,
                Some(json!({"mapping": mapping})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["details"]["invalid"], 2);
        let (_, pop) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13800001111",
                None,
            )
            .await;
        assert!(pop["customers"].as_array().unwrap().is_empty());

        let (s, v) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &commit,
                Some(json!({"mapping": mapping, "mode": "skip_invalid"})),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let done = wait_done(&w, id).await;
        assert_eq!(done["status"], "done", "{done}");
        assert_eq!(
            (
                done["created"].as_u64(),
                done["skipped"].as_u64(),
                done["written"].as_u64()
            ),
            (Some(2), Some(2), Some(2))
        );
        let (_, pop) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=057188881111",
                None,
            )
            .await;
        let c = &pop["customers"][0];
        assert_eq!(c["name"], "王建国");
        assert_eq!(c["segment"], "large_account");
        assert_eq!(c["level"], 5);
        assert_eq!(c["addresses"][0]["district"], "西湖区");
        let (_, pop) = w
            .as_a(
                Role::Agent,
                Method::GET,
                "/api/customers/lookup?number=13900003333",
                None,
            )
            .await;
        assert_eq!(pop["customers"][0]["segment"], "vulnerable");
        // A second commit of the same upload is refused.
        let (s, _) = w
            .as_a(
                Role::Supervisor,
                Method::POST,
                &commit,
                Some(json!({"mapping": mapping, "mode": "skip_invalid"})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (_, audit) = w
            .as_a(Role::TenantAdmin, Method::GET, "/api/audit?limit=5", None)
            .await;
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "customer.import" && e["detail"]["created"] == 2),
            "{audit}"
        );
    });
}

#[test]
fn bad_files_and_mappings_are_named() {
    on_both(|w: World| async move {
        let token = w.token(&w.a.users[&Role::Supervisor]).await;
        let (s, v) = w
            .call_raw(Method::POST, "/api/customers/imports", &token, Vec::new())
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("file"))
        );
        let (s, v) = w
            .call_raw(
                Method::POST,
                "/api/customers/imports",
                &token,
                b"PK\x03\x04broken".to_vec(),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("file"))
        );
        let up = upload(
            &w,
            "x.csv",
            format!("{HEADERS}\n张三,13812340000,,,,,,,,\n").into_bytes(),
        )
        .await;
        let check = format!("/api/customers/imports/{}/check", up["id"]);
        for (mapping, field) in [
            (json!({"手机": "phone"}), "mapping"),
            (json!({"姓名": "name", "没有": "phone"}), "mapping.没有"),
            (json!({"姓名": "fullname"}), "mapping.姓名"),
        ] {
            let (s, v) = w
                .as_a(
                    Role::Supervisor,
                    Method::POST,
                    &check,
                    Some(json!({"mapping": mapping})),
                )
                .await;
            assert_eq!(
                (s, v["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some(field)),
                "{v}"
            );
        }
        // Agents neither import nor export.
        let (s, _) = w
            .as_a(Role::Agent, Method::GET, "/api/customers/export", None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

#[test]
fn an_export_opens_as_a_spreadsheet_and_imports_back() {
    on_both(|w: World| async move {
        let body = json!({"name": "出口客户", "phones": [{"number": "13511112222"}], "segment": "special",
                          "id_number": "330106198001010022", "addresses": [{"province": "浙江省", "city": "杭州市"}]});
        assert_eq!(
            w.as_a(Role::Agent, Method::POST, "/api/customers", Some(body))
                .await
                .0,
            StatusCode::CREATED
        );
        for format in ["xlsx", "csv"] {
            let token = w.token(&w.a.users[&Role::Supervisor]).await;
            let req = Request::get(format!("/api/customers/export?format={format}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let resp = w.app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let disposition = resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .to_string();
            assert!(
                disposition.contains(&format!("customers.{format}")),
                "{disposition}"
            );
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
                .await
                .unwrap();
            let table = sheets::read(&bytes).unwrap();
            assert_eq!(table.headers[0], "姓名 Name");
            let row = table.rows.iter().find(|r| r[0] == "出口客户").unwrap();
            assert_eq!(row[1], "+8613511112222");
            assert_eq!(row[7], "特殊客户");
            assert_eq!(
                row[10], "330106********0022",
                "ID numbers are masked in exports"
            );
            // Back in: every column is recognised and every row is valid.
            let up = upload(&w, &format!("export.{format}"), bytes.to_vec()).await;
            let mapping = up["suggested_mapping"].clone();
            assert_eq!(mapping["电话 Phones"], "phone");
            assert_eq!(mapping["创建时间 Created (UTC)"], "ignore");
            let mut mapping = mapping;
            mapping["证件号 ID number"] = json!("ignore");
            let (_, check) = w
                .as_a(
                    Role::Supervisor,
                    Method::POST,
                    &format!("/api/customers/imports/{}/check", up["id"]),
                    Some(json!({"mapping": mapping})),
                )
                .await;
            assert_eq!(check["invalid"], 0, "{check}");
            assert_eq!(check["valid"], table.rows.len());
        }
    });
}
