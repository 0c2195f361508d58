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
