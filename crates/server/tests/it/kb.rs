//! The knowledge base (issue 24) over the API: an expert's draft unseen by the front line
//! until published, then found at once (in traditional characters too); a team lead writes
//! but cannot publish; a change on an old version refused; every version kept; the index
//! made again from the store after a restart.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::{AppState, Clock, Settings};
use store::Role;

use crate::{World, on_both};

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn issue_24_an_article_reaches_the_front_line_when_published() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let lead = w.token(&w.a.users[&Role::Supervisor]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let (s, draft) = w
            .call(
                Method::POST,
                "/api/kb/articles",
                Some(&expert),
                Some(
                    json!({ "title": "阶梯水价的计算方法", "category": "水费/水价",
                    "body": "居民用水按年度阶梯计价：第一阶梯每吨3.5元。", "tags": ["水价"],
                    "questions": ["水费怎么算的"] }),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{draft}");
        assert_eq!(
            (draft["status"].as_str(), draft["version"].as_i64()),
            (Some("draft"), Some(1))
        );
        let id = draft["id"].as_i64().unwrap();
        let search = |token: String, q: &'static str| {
            let w = &w;
            async move {
                let path = format!("/api/kb/search?q={}", urlencode(q));
                let (s, v) = w.call(Method::GET, &path, Some(&token), None).await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v
            }
        };
        // A draft: the expert finds it, the agent neither finds nor reads it.
        assert!(ids(&search(expert.clone(), "阶梯水价").await).contains(&id));
        assert!(!ids(&search(agent.clone(), "阶梯水价").await).contains(&id));
        let (s, _) = w
            .call(
                Method::GET,
                &format!("/api/kb/articles/{id}"),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A team lead sends it for review but may not publish it.
        let put = |token: String, body: Value| {
            let w = &w;
            async move {
                w.call(
                    Method::PUT,
                    &format!("/api/kb/articles/{id}"),
                    Some(&token),
                    Some(body),
                )
                .await
            }
        };
        let change = |version: i64, status: &str| {
            json!({ "title": "阶梯水价的计算方法", "category": "水费/水价",
                "body": "居民用水按年度阶梯计价：第一阶梯每吨3.5元，第二阶梯每吨4.2元。",
                "questions": ["水费怎么算的"], "version": version, "status": status })
        };
        let (s, v) = put(lead.clone(), change(1, "published")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["details"]["field"], "status");
        let (s, v) = put(lead.clone(), change(1, "review")).await;
        assert_eq!((s, v["version"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
        // A change on the version before is refused, nothing written.
        let (s, v) = put(expert.clone(), change(1, "published")).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        // The expert publishes: the agent's next search finds it, traditional characters too.
        let (s, v) = put(expert.clone(), change(2, "published")).await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("published")),
            "{v}"
        );
        let found = search(agent.clone(), "階梯水價").await;
        assert_eq!(ids(&found).first(), Some(&id), "{found}");
        assert!(
            found[0]["snippet"].as_str().unwrap().contains("<b>"),
            "{found}"
        );
        assert_eq!(
            ids(&search(agent.clone(), "水费怎么算").await).first(),
            Some(&id)
        );
        // "This solved it" after a search worded otherwise: that wording finds it first from
        // then on.
        let before = search(agent.clone(), "越来越贵了").await;
        assert!(!ids(&before).contains(&id), "{before}");
        let (s, v) = w
            .call(
                Method::POST,
                &format!("/api/kb/articles/{id}/solved"),
                Some(&agent),
                Some(json!({ "query": "越来越贵了", "call_id": "call-9" })),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
        assert_eq!(
            ids(&search(agent.clone(), "越来越贵了").await).first(),
            Some(&id)
        );
        // Searches that found nothing are counted for the experts (control characters as
        // spaces).
        for _ in 0..2 {
            search(agent.clone(), "zzqx\u{0}").await;
        }
        let (s, v) = w
            .call(Method::GET, "/api/kb/misses", Some(&expert), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v[0]["query"].as_str(), v[0]["count"].as_i64()),
            (Some("zzqx"), Some(2)),
            "{v}"
        );
        // Every version kept, newest first, with who wrote it.
        let (s, v) = w
            .call(
                Method::GET,
                &format!("/api/kb/articles/{id}/versions"),
                Some(&expert),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let versions: Vec<(i64, &str)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["version"].as_i64().unwrap(),
                    x["status"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(versions, [(3, "published"), (2, "review"), (1, "draft")]);
        // Bad input names its field; an over-long query too.
        let (s, v) = w
            .call(
                Method::POST,
                "/api/kb/articles",
                Some(&expert),
                Some(json!({ "title": "x\u{0}y", "category": "a" })),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("title")),
            "{v}"
        );
        let long = "水".repeat(201);
        let (s, v) = w
            .call(
                Method::GET,
                &format!("/api/kb/search?q={}", urlencode(&long)),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("q")),
            "{v}"
        );
        // Archived: out of every search.
        let (s, _) = put(expert.clone(), change(3, "archived")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!ids(&search(expert.clone(), "阶梯水价").await).contains(&id));
        // After a restart the index is made again from the store.
        let (s, _) = put(expert.clone(), change(4, "draft")).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = put(expert.clone(), change(5, "published")).await;
        assert_eq!(s, StatusCode::OK);
        let again = AppState::new(w.store.clone(), Clock::System, Settings::default());
        let hits = again
            .app()
            .search_articles(
                w.a.tenant.id,
                &app::kb::SearchAsk {
                    q: "阶梯水价".into(),
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(hits.first().map(|h| h.id as i64), Some(id));
        // Tenant B's search never sees it.
        let b = w.token(&w.b.users[&Role::Expert]).await;
        assert!(!ids(&search(b, "阶梯水价").await).contains(&id));
    });
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn issue_24_the_public_sees_published_public_articles_only() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let mut made = Vec::new();
        for (title, public, status) in [
            ("停水通知的查询方法", true, "published"),
            ("停水期间的内部调度", false, "published"),
            ("停水补偿的草稿", true, "draft"),
        ] {
            let (s, v) = w
                .call(
                    Method::POST,
                    "/api/kb/articles",
                    Some(&expert),
                    Some(json!({ "title": title, "category": "停水/计划停水", "public": public,
                        "status": status, "body": "计划停水提前24小时在APP和公众号公告。停水超过12小时安排送水车。" })),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            made.push(v["id"].as_i64().unwrap());
        }
        let slug = &w.a.tenant.slug;
        let (s, v) = w
            .call(
                Method::GET,
                &format!("/api/public/{slug}/kb/search?q={}", urlencode("停水")),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(ids(&v), [made[0]], "{v}");
        assert_eq!(
            v[0]["short"],
            "计划停水提前24小时在APP和公众号公告。停水超过12小时安排送水车。"
        );
        for (id, want) in [
            (made[0], StatusCode::OK),
            (made[1], StatusCode::NOT_FOUND),
            (made[2], StatusCode::NOT_FOUND),
        ] {
            let (s, _) = w
                .call(
                    Method::GET,
                    &format!("/api/public/{slug}/kb/articles/{id}"),
                    None,
                    None,
                )
                .await;
            assert_eq!(s, want, "article {id}");
        }
        // Another tenant's slug never shows these; nor does one that does not exist.
        let (s, v) = w
            .call(
                Method::GET,
                &format!(
                    "/api/public/{}/kb/search?q={}",
                    w.b.tenant.slug,
                    urlencode("停水")
                ),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!ids(&v).contains(&made[0]), "{v}");
        let (s, _) = w
            .call(
                Method::GET,
                &format!("/api/public/{}/kb/articles/{}", w.b.tenant.slug, made[0]),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = w
            .call(
                Method::GET,
                &format!(
                    "/api/public/no-such-center/kb/search?q={}",
                    urlencode("停水")
                ),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    });
}

async fn publish(w: &World, token: &str, title: &str, category: &str, extra: Value) -> i64 {
    let mut body = json!({ "title": title, "category": category, "status": "published",
        "body": format!("{title}。请按步骤处理。") });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (s, v) = w
        .call(Method::POST, "/api/kb/articles", Some(token), Some(body))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn found(w: &World, token: &str, q: &str) -> Vec<i64> {
    let (s, v) = w
        .call(
            Method::GET,
            &format!("/api/kb/search?q={}", urlencode(q)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    ids(&v)
}

#[test]
fn issue_24_articles_come_in_and_go_out_in_bulk() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let lead = w.token(&w.a.users[&Role::Supervisor]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let theirs = w.b.article;
        // Row 3 has no title, row 4 a bad date, row 5 another tenant's article.
        let csv = format!(
            "标题,分类,正文,标签,生效日期,id\n\
             管道漏水的报修,报修/管道,关闭总阀后拨打热线报修。,漏水;报修,,\n\
             ,报修/管道,没有标题,,,\n\
             水表冻裂,报修/水表,包好保温棉。,,明年,\n\
             偷来的文章,报修/水表,x,,,{theirs}\n"
        );
        let import = |token: String, query: &'static str, body: Vec<u8>| {
            let w = &w;
            async move {
                w.call_raw(
                    Method::POST,
                    &format!("/api/kb/import?{query}"),
                    &token,
                    body,
                )
                .await
            }
        };
        let (s, v) = import(expert.clone(), "status=published", csv.clone().into_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["rows"].as_u64(), v["committed"].as_bool()),
            (Some(4), Some(false))
        );
        let errs: Vec<(i64, String)> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_i64().unwrap(),
                    e["field"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            errs,
            [
                (3, "title".into()),
                (4, "valid_from".into()),
                (5, "id".into())
            ],
            "{v}"
        );
        // Committing with errors writes nothing.
        let (s, v) = import(
            expert.clone(),
            "status=published&commit=true",
            csv.into_bytes(),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["details"]["errors"].as_array().map(Vec::len), Some(3));
        let titles = |v: Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|h| h["title"].as_str().unwrap().to_string())
                .collect()
        };
        let (_, v) = w
            .call(
                Method::GET,
                "/api/kb/articles?limit=500",
                Some(&expert),
                None,
            )
            .await;
        assert!(!titles(v).iter().any(|t| t.contains("管道漏水")));
        // JSON lines, good: published at once and found by the front line.
        let lines = "{\"title\":\"管道漏水的报修\",\"body\":\"关闭总阀后拨打热线报修。\",\
                     \"category\":\"报修/管道\",\"tags\":[\"漏水\",\"报修\"]}\n\
                     {\"title\":\"水表冻裂怎么办\",\"body\":\"包好保温棉。\",\"category\":\"报修/水表\",\
                     \"questions\":[\"表冻坏了\"],\"public\":true}\n";
        // A team lead may import drafts but not publish.
        let (s, v) = import(lead.clone(), "status=published&commit=true", lines.into()).await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("status")),
            "{v}"
        );
        let (s, v) = import(expert.clone(), "status=published&commit=true", lines.into()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["created"].as_u64(), v["committed"].as_bool()),
            (Some(2), Some(true))
        );
        let (_, v) = w
            .call(
                Method::GET,
                &format!("/api/kb/search?q={}", urlencode("管道漏水")),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(v[0]["title"], "管道漏水的报修", "{v}");
        let leak = v[0]["id"].as_i64().unwrap();
        let (_, v) = w
            .call(
                Method::GET,
                &format!("/api/kb/search?q={}", urlencode("表冻坏了")),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(v[0]["title"], "水表冻裂怎么办", "{v}");
        // Out as JSON lines, edited, in again: the next version of the same article.
        let (s, out) = w
            .call(
                Method::GET,
                "/api/kb/export?format=jsonl&status=published",
                Some(&expert),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let text = out.as_str().unwrap_or_default().to_string();
        let line = text
            .lines()
            .find(|l| l.contains("管道漏水的报修"))
            .unwrap_or_else(|| panic!("{text}"));
        let edited = line.replace("关闭总阀后拨打热线报修。", "先关闭总阀，再拨打热线报修。");
        // "Import as" is for new articles: this one stays published.
        let (s, v) = import(expert.clone(), "commit=true", edited.clone().into_bytes()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (v["created"].as_u64(), v["updated"].as_u64()),
            (Some(0), Some(1))
        );
        // The same export again: changed since, refused by row and field.
        let (s, v) = import(expert.clone(), "commit=true", edited.into_bytes()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["details"]["errors"][0]["field"], "version", "{v}");
        // A sheet of some columns changes only those.
        let some = format!("id,version,title\n{leak},2,管道漏水的报修（新）\n");
        let (s, v) = import(expert.clone(), "commit=true", some.into_bytes()).await;
        assert_eq!((s, v["updated"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
        let (_, a) = w
            .call(
                Method::GET,
                &format!("/api/kb/articles/{leak}"),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(
            (
                a["title"].as_str(),
                a["body"].as_str(),
                a["status"].as_str()
            ),
            (
                Some("管道漏水的报修（新）"),
                Some("先关闭总阀，再拨打热线报修。"),
                Some("published")
            )
        );
        let (_, a) = w
            .call(
                Method::GET,
                &format!("/api/kb/articles/{leak}"),
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(
            (a["version"].as_i64(), a["body"].as_str()),
            (Some(3), Some("先关闭总阀，再拨打热线报修。"))
        );
        assert_eq!(a["tags"], json!(["漏水", "报修"]));
        // As a spreadsheet, read back.
        let (s, _) = w
            .call(
                Method::GET,
                "/api/kb/export?format=xlsx",
                Some(&expert),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = w
            .call(
                Method::GET,
                "/api/kb/export?format=pdf",
                Some(&expert),
                None,
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("format"))
        );
        // Not a file of articles.
        let (s, v) = import(expert.clone(), "", b"name,phone\nx,1\n".to_vec()).await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("file")),
            "{v}"
        );
        let (s, _) = import(agent.clone(), "", lines.into()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

#[test]
fn issue_24_an_expired_article_leaves_the_front_line() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let day = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .unwrap()
                .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
                .date()
                .to_string()
        };
        let now = w.clock.load(std::sync::atomic::Ordering::Relaxed);
        let (yesterday, tomorrow) = (day(now - 86_400_000), day(now + 86_400_000));
        let old = publish(
            &w,
            &expert,
            "去年冬季的水价优惠",
            "水费/优惠",
            json!({ "valid_to": yesterday, "public": true }),
        )
        .await;
        let soon = publish(
            &w,
            &expert,
            "明年冬季的水价优惠",
            "水费/优惠",
            json!({ "valid_from": tomorrow, "public": true }),
        )
        .await;
        let now_ = publish(
            &w,
            &expert,
            "今冬的水价优惠",
            "水费/优惠",
            json!({ "valid_to": tomorrow, "public": true }),
        )
        .await;
        let ours = |mut ids: Vec<i64>| {
            ids.retain(|i| [old, soon, now_].contains(i));
            ids.sort_unstable();
            ids
        };
        assert_eq!(ours(found(&w, &agent, "水价优惠").await), [now_]);
        assert_eq!(
            ours(found(&w, &expert, "水价优惠").await),
            [old, soon, now_]
        );
        let (_, v) = w
            .call(
                Method::GET,
                "/api/kb/search?q=%E6%B0%B4%E4%BB%B7&current=true",
                Some(&expert),
                None,
            )
            .await;
        assert_eq!(ours(ids(&v)), [now_]);
        let slug = &w.a.tenant.slug;
        let (_, v) = w
            .call(
                Method::GET,
                &format!("/api/public/{slug}/kb/search?q={}", urlencode("水价优惠")),
                None,
                None,
            )
            .await;
        assert_eq!(ours(ids(&v)), [now_], "{v}");
        let (s, _) = w
            .call(
                Method::GET,
                &format!("/api/public/{slug}/kb/articles/{old}"),
                None,
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Two days on, the one that was coming holds; today's has gone.
        w.advance(2 * 86_400_000);
        assert_eq!(ours(found(&w, &agent, "水价优惠").await), [soon]);
        // The IVR's menu: a category's public answers with nothing typed.
        let (s, v) = w
            .call(
                Method::GET,
                &format!(
                    "/api/public/{slug}/kb/search?category={}",
                    urlencode("水费")
                ),
                None,
                None,
            )
            .await;
        assert_eq!((s, ids(&v)), (StatusCode::OK, vec![soon]), "{v}");
    });
}

#[test]
fn issue_24_synonyms_and_category_owners() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let admin = w.token(&w.a.users[&Role::TenantAdmin]).await;
        let lead = w.token(&w.a.users[&Role::Supervisor]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let id = publish(&w, &expert, "计量表的周检", "水表/检定", json!({})).await;
        let score = |token: String| {
            let w = &w;
            async move {
                let (_, v) = w
                    .call(
                        Method::GET,
                        &format!("/api/kb/search?q={}", urlencode("水表")),
                        Some(&token),
                        None,
                    )
                    .await;
                v.as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["id"] == id)
                    .map_or(0.0, |h| h["score"].as_f64().unwrap())
            }
        };
        let before = score(agent.clone()).await;
        let (s, v) = w
            .call(Method::GET, "/api/kb/settings", Some(&expert), None)
            .await;
        assert_eq!((s, v["synonyms"].clone()), (StatusCode::OK, json!([])));
        let expert_id = w.a.users[&Role::Expert].id.0;
        let settings = |owner: i64, version: Value| {
            json!({ "synonyms": [["水表", "表计", "计量表"]],
                    "owners": [{ "category": "水表", "user_id": owner }], "version": version })
        };
        // An owner of another tenant is no owner here; a team lead does not set these.
        let (s, v) = w
            .call(
                Method::PUT,
                "/api/kb/settings",
                Some(&expert),
                Some(settings(
                    w.b.users[&Role::Expert].id.0,
                    v["version"].clone(),
                )),
            )
            .await;
        assert_eq!(
            v["details"]["field"], "knowledge.owners[0].user_id",
            "{s} {v}"
        );
        // Nor is an agent: a category's owner answers its questions.
        let (_, v) = w
            .call(
                Method::PUT,
                "/api/kb/settings",
                Some(&expert),
                Some(settings(w.a.users[&Role::Agent].id.0, Value::Null)),
            )
            .await;
        assert_eq!(v["details"]["field"], "knowledge.owners[0].user_id", "{v}");
        let (s, _) = w
            .call(
                Method::PUT,
                "/api/kb/settings",
                Some(&lead),
                Some(settings(expert_id, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = w
            .call(
                Method::PUT,
                "/api/kb/settings",
                Some(&expert),
                Some(settings(expert_id, Value::Null)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Searched with the synonyms at once.
        let after = score(agent.clone()).await;
        assert!(after > 2.0 * before, "{before} → {after}");
        // The center's settings saved without them keep them.
        let (_, center) = w
            .call(Method::GET, "/api/settings", Some(&admin), None)
            .await;
        let (s, v) = w
            .call(Method::PUT, "/api/settings", Some(&admin), Some(center))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, k) = w
            .call(Method::GET, "/api/kb/settings", Some(&expert), None)
            .await;
        assert_eq!(k["owners"][0]["user_id"], expert_id);
        // A flag on an article of 水表/检定 goes to the owner of 水表.
        let (s, t) = w
            .call(
                Method::POST,
                "/api/kb/tasks",
                Some(&agent),
                Some(json!({ "kind": "wrong", "article_id": id, "text": "周期已改为六年" })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(
            (t["owner_id"].as_i64(), t["category"].as_str()),
            (Some(expert_id), Some("水表/检定"))
        );
        let (s, v) = w
            .call(
                Method::POST,
                "/api/kb/tasks",
                Some(&agent),
                Some(json!({ "kind": "wrong", "text": "没说哪篇" })),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("article_id"))
        );
        let (s, v) = w
            .call(
                Method::POST,
                "/api/kb/tasks",
                Some(&agent),
                Some(json!({ "kind": "wrong", "article_id": w.b.article, "text": "别家的" })),
            )
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("article_id"))
        );
    });
}

#[test]
fn issue_24_the_experts_queue_answers_the_agent_on_the_call() {
    on_both(|w: World| async move {
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let other_agent = w.token(&w.a.users[&Role::QualityInspector]).await;
        // A call in the log: it came through the IVR to the repair queue.
        let tenant = w.a.tenant.id;
        let now = w.clock.load(std::sync::atomic::Ordering::Relaxed);
        let agent_id = w.a.users[&Role::Agent].id.0;
        let call = |id: &str, at: i64| {
            vec![
                store::NewEvent {
                    tenant,
                    id: format!("ringing:{id}"),
                    at_ms: at + 6_000,
                    kind: "call.ringing".into(),
                    payload: json!({ "call_id": id, "user_id": agent_id, "to_user_id": agent_id,
                        "extension": "8001", "caller": "+8613800001111", "customer_id": null,
                        "queue": "repair", "dialled": "96116", "ivr_ms": 5000,
                        "ivr_path": ["welcome", "meter"], "waited_ms": 1000 }),
                    order: None,
                    lead: None,
                },
                store::NewEvent {
                    tenant,
                    id: format!("arrived:{id}"),
                    at_ms: at,
                    kind: "call.arrived".into(),
                    payload: json!({ "call_id": id, "caller": "+8613800001111", "dialled": "96116" }),
                    order: None,
                    lead: None,
                },
                store::NewEvent {
                    tenant,
                    id: format!("queued:{id}"),
                    at_ms: at + 5_000,
                    kind: "call.queued".into(),
                    payload: json!({ "call_id": id, "queue": "repair", "customer_id": null,
                        "ivr_ms": 5000, "ivr_path": ["welcome", "meter"] }),
                    order: None,
                    lead: None,
                },
            ]
        };
        w.store
            .append_events(&call("call-kb-1", now - 60_000))
            .await
            .unwrap();
        w.store
            .append_events(&call("call-kb-2", now - 30_000))
            .await
            .unwrap();
        let (s, v) = w
            .call(Method::POST, "/api/kb/tasks", Some(&agent),
                Some(json!({ "kind": "question", "text": "水表井盖丢了，谁来补？", "call_id": "no-such-call" })))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("call_id"))
        );
        // Another's call is no call of theirs: its caller is not given away.
        let (s, v) = w
            .call(Method::POST, "/api/kb/tasks", Some(&other_agent),
                Some(json!({ "kind": "question", "text": "这通电话是谁打的？", "call_id": "call-kb-1" })))
            .await;
        assert_eq!(
            (s, v["details"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("call_id")),
            "{v}"
        );
        let (s, t) = w
            .call(Method::POST, "/api/kb/tasks", Some(&agent),
                Some(json!({ "kind": "question", "category": "水表", "text": "水表井盖丢了，谁来补？",
                    "call_id": "call-kb-1" })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        assert_eq!(t["context"]["caller"], "+8613800001111");
        assert_eq!(t["context"]["queue"], "repair");
        assert_eq!(t["context"]["ivr_path"], json!(["welcome", "meter"]));
        let task = t["id"].as_i64().unwrap();
        // The expert's queue has it; the agent may not answer it.
        let (_, open) = w
            .call(
                Method::GET,
                "/api/kb/tasks?status=open",
                Some(&expert),
                None,
            )
            .await;
        assert!(ids(&open).contains(&task), "{open}");
        let answer = json!({ "answer": "井盖属于供水公司，派维修班补装。" });
        let path = format!("/api/kb/tasks/{task}/answer");
        let (s, _) = w
            .call(Method::POST, &path, Some(&agent), Some(answer.clone()))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = w
            .call(Method::POST, &path, Some(&expert), Some(answer.clone()))
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("answered")),
            "{v}"
        );
        let (s, _) = w
            .call(Method::POST, &path, Some(&expert), Some(answer))
            .await;
        assert_eq!(s, StatusCode::CONFLICT);
        // The agent sees the answer among what they asked; another sees none of it.
        let (_, mine) = w
            .call(Method::GET, "/api/kb/tasks", Some(&agent), None)
            .await;
        let mine_t = mine
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == task)
            .unwrap();
        assert_eq!(mine_t["answer"], "井盖属于供水公司，派维修班补装。");
        let (_, theirs) = w
            .call(Method::GET, "/api/kb/tasks", Some(&other_agent), None)
            .await;
        assert!(!ids(&theirs).contains(&task));
        // The answer becomes an article; the task closes naming it.
        let made = publish(&w, &expert, "水表井盖丢失的处理", "水表/井盖", json!({})).await;
        let (s, v) = w
            .call(
                Method::POST,
                &format!("/api/kb/tasks/{task}/close"),
                Some(&expert),
                Some(json!({ "article_id": made })),
            )
            .await;
        assert_eq!(
            (s, v["status"].as_str(), v["article_id"].as_i64()),
            (StatusCode::OK, Some("closed"), Some(made))
        );
        // It solved call 1: suggested for call 2 of the same queue and IVR path.
        let (s, _) = w
            .call(
                Method::POST,
                &format!("/api/kb/articles/{made}/solved"),
                Some(&agent),
                Some(json!({ "query": "井盖丢了", "call_id": "call-kb-1" })),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, v) = w
            .call(
                Method::GET,
                "/api/kb/suggest?call_id=call-kb-2",
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v[0]["id"].as_i64(),
                v[0]["why"].as_str(),
                v[0]["times"].as_i64()
            ),
            (Some(made), Some("solved_like"), Some(1)),
            "{v}"
        );
        // What is being written brings matching articles in.
        let pipe = publish(&w, &expert, "管道漏水的报修流程", "报修/管道", json!({})).await;
        let (_, v) = w
            .call(
                Method::GET,
                &format!(
                    "/api/kb/suggest?call_id=call-kb-2&text={}",
                    urlencode("管道漏水")
                ),
                Some(&agent),
                None,
            )
            .await;
        assert!(ids(&v).contains(&pipe), "{v}");
    });
}

#[test]
fn issue_24_an_article_shows_pictures_the_public_sees_only_when_published() {
    on_both(|w: World| async move {
        let dir = std::env::temp_dir().join(format!(
            "hotline-kb-{}-{}",
            std::process::id(),
            w.a.tenant.id.0
        ));
        let _ = std::fs::remove_dir_all(&dir);
        w.state.app().set_files_dir(dir.clone());
        let expert = w.token(&w.a.users[&Role::Expert]).await;
        let agent = w.token(&w.a.users[&Role::Agent]).await;
        let theirs = w.token(&w.b.users[&Role::Expert]).await;
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(std::iter::repeat_n(3u8, 500));
        // Checked by its bytes and its name, before anything is kept.
        for (name, body, field) in [
            ("阀门.png", b"GIF89a....".to_vec(), "file"),
            ("阀门.jpg", png.clone(), "file"),
            ("../阀门.png", png.clone(), "name"),
            (
                "阀门.png",
                vec![0x89; app::kb_files::MAX_IMAGE_BYTES + 1],
                "file",
            ),
        ] {
            let (s, v) = w
                .call_raw(
                    Method::POST,
                    &format!("/api/kb/images?name={}", urlencode(name)),
                    &expert,
                    body,
                )
                .await;
            assert_eq!(
                (s, v["details"]["field"].as_str()),
                (StatusCode::BAD_REQUEST, Some(field)),
                "{name}: {v}"
            );
        }
        let (s, v) = w
            .call_raw(
                Method::POST,
                &format!("/api/kb/images?name={}", urlencode("总阀.png")),
                &expert,
                png.clone(),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let path = v["path"].as_str().unwrap().to_string();
        let name = v["name"].as_str().unwrap().to_string();
        assert!(
            path.ends_with(".png") && path.starts_with("/api/kb/images/"),
            "{path}"
        );
        let (s, _) = w.call(Method::GET, &path, Some(&agent), None).await;
        assert_eq!(s, StatusCode::OK);
        // Another tenant's people never see it, nor does a made-up name.
        let (s, _) = w.call(Method::GET, &path, Some(&theirs), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = w
            .call(
                Method::GET,
                "/api/kb/images/..%2F..%2Fetc%2Fpasswd",
                Some(&agent),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // The public sees it once a published public article shows it; its text is searched
        // without the picture's path.
        let slug = &w.a.tenant.slug;
        let public = format!("/api/public/{slug}/kb/images/{name}");
        let (s, _) = w.call(Method::GET, &public, None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let body = format!("# 关总阀\n- 先关**总阀**：\n![总阀的位置]({path})\n再拨打热线报修。");
        let id = publish(
            &w,
            &expert,
            "总阀在哪里",
            "漏水/户内",
            json!({ "body": body, "public": true }),
        )
        .await;
        let (s, _) = w.call(Method::GET, &public, None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!found(&w, &agent, "images").await.contains(&id));
        let (_, v) = w
            .call(
                Method::GET,
                &format!("/api/public/{slug}/kb/search?q={}", urlencode("总阀在哪里")),
                None,
                None,
            )
            .await;
        assert_eq!(
            v[0]["short"], "关总阀 先关总阀： 总阀的位置 再拨打热线报修。",
            "{v}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}
