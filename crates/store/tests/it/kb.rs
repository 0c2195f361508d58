//! Knowledge articles: written with a version row in one transaction, a stale version
//! refused, listed by status a page at a time, and a tenant sees only its own.

use store::{KbFields, KbSolution, KbTaskMove, NewKbTask, NewTenant, StoreError, UserId};

use crate::on_both;

fn fields<'a>(title: &'a str, status: &'a str, doc: &'a str) -> KbFields<'a> {
    KbFields {
        title,
        category: "水表/计量",
        status,
        public: false,
        owner: Some(UserId(7)),
        doc,
    }
}

#[test]
fn issue_24_articles_keep_every_version() {
    on_both(|store, _| async move {
        let a = store
            .create_tenant(&NewTenant::new("a", "A", 5, "a.example"), 1)
            .await
            .unwrap();
        let b = store
            .create_tenant(&NewTenant::new("b", "B", 5, "b.example"), 1)
            .await
            .unwrap();
        let (ta, tb) = (store.scoped(a.id), store.scoped(b.id));
        let (id, v) = ta
            .write_kb_article(
                None,
                0,
                &fields("水表走快", "draft", "{}"),
                Some(UserId(7)),
                10,
            )
            .await
            .unwrap();
        assert_eq!(v, 1);
        let (_, v2) = ta
            .write_kb_article(
                Some(id),
                1,
                &fields("水表计量异常的处理", "published", r#"{"body":"x"}"#),
                None,
                20,
            )
            .await
            .unwrap();
        assert_eq!(v2, 2);
        // Saved by someone else first: refused, nothing written.
        let stale = ta
            .write_kb_article(Some(id), 1, &fields("旧的", "draft", "{}"), None, 30)
            .await;
        assert!(
            matches!(stale, Err(StoreError::Stale { current: 2, .. })),
            "{stale:?}"
        );
        let now = ta.kb_article(id).await.unwrap().unwrap();
        assert_eq!(
            (
                now.title.as_str(),
                now.status.as_str(),
                now.version,
                now.doc.as_str()
            ),
            ("水表计量异常的处理", "published", 2, r#"{"body":"x"}"#)
        );
        assert_eq!(
            (now.created_ms, now.updated_ms, now.owner),
            (10, 20, Some(UserId(7)))
        );
        let versions = ta.kb_versions(id).await.unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.version, v.title.as_str(), v.by_user))
                .collect::<Vec<_>>(),
            [
                (2, "水表计量异常的处理", None),
                (1, "水表走快", Some(UserId(7)))
            ]
        );
        // Lists by status, a page at a time.
        let (id2, _) = ta
            .write_kb_article(None, 0, &fields("停水通知", "draft", "{}"), None, 40)
            .await
            .unwrap();
        let ids =
            |rows: Vec<store::KbArticleRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(ta.kb_articles(None, 0, 10).await.unwrap()), [id, id2]);
        assert_eq!(
            ids(ta.kb_articles(Some("draft"), 0, 10).await.unwrap()),
            [id2]
        );
        assert_eq!(ids(ta.kb_articles(None, id, 10).await.unwrap()), [id2]);
        assert_eq!(ids(ta.kb_articles(None, 0, 1).await.unwrap()), [id]);
        // Another tenant sees nothing of it and cannot write it.
        assert_eq!(tb.kb_article(id).await.unwrap(), None);
        assert!(tb.kb_articles(None, 0, 10).await.unwrap().is_empty());
        assert!(tb.kb_versions(id).await.unwrap().is_empty());
        let theirs = tb
            .write_kb_article(Some(id), 2, &fields("x", "draft", "{}"), None, 50)
            .await;
        assert!(
            matches!(theirs, Err(StoreError::NotFound { .. })),
            "{theirs:?}"
        );
        assert_eq!(ta.kb_article(id).await.unwrap().unwrap().version, 2);
        // Many in one transaction: all of them, or none when one fails (a stale version).
        let written = ta
            .write_kb_articles(
                &[
                    (None, 0, fields("导入一", "draft", "{}")),
                    (Some(id2), 1, fields("停水通知（改）", "draft", "{}")),
                ],
                None,
                45,
            )
            .await
            .unwrap();
        assert_eq!(written[1], (id2, 2));
        let before = ta.kb_articles(None, 0, 100).await.unwrap().len();
        let failed = ta
            .write_kb_articles(
                &[
                    (None, 0, fields("导入二", "draft", "{}")),
                    (Some(id2), 1, fields("过时的", "draft", "{}")),
                ],
                None,
                46,
            )
            .await;
        assert!(
            matches!(failed, Err(StoreError::Stale { .. })),
            "{failed:?}"
        );
        assert_eq!(ta.kb_articles(None, 0, 100).await.unwrap().len(), before);
        assert_eq!(ta.kb_article(id2).await.unwrap().unwrap().version, 2);
        // What solved contacts, counted by what was searched; not another tenant's article.
        let solution = |article_id, call_id, query, by| KbSolution {
            article_id,
            call_id,
            query,
            queue: Some("repair"),
            ivr_node: Some("meter"),
            by,
        };
        for (call, q, at) in [
            ("call-1", "水表走得快", 100),
            ("call-2", "水表走得快", 110),
            ("call-3", "表转个不停", 120),
        ] {
            let s = solution(id, Some(call), q, Some(UserId(3)));
            assert!(ta.add_kb_solution(&s, at).await.unwrap());
        }
        // One mark per person, article and call.
        let again = solution(id, Some("call-1"), "又一次", Some(UserId(3)));
        assert!(!ta.add_kb_solution(&again, 125).await.unwrap());
        let other = solution(id, Some("call-1"), "同事也用了", Some(UserId(4)));
        assert!(ta.add_kb_solution(&other, 126).await.unwrap());
        ta.add_kb_solution(
            &KbSolution {
                queue: Some("billing"),
                ivr_node: None,
                ..solution(id2, None, "停水了", None)
            },
            50,
        )
        .await
        .unwrap();
        let since = ta.kb_solutions_since(100, None).await.unwrap();
        assert_eq!(since[0], (id, "水表走得快".into(), 2));
        // (Ties in the order of the database's collation.)
        let mut rest = since[1..].to_vec();
        rest.sort();
        assert_eq!(
            rest,
            [(id, "同事也用了".into(), 1), (id, "表转个不停".into(), 1)]
        );
        // What solved calls of a queue (and IVR node).
        assert_eq!(
            ta.kb_solved_in("repair", Some("meter"), 0, 5)
                .await
                .unwrap(),
            [(id, 4)]
        );
        assert_eq!(
            ta.kb_solved_in("billing", None, 0, 5).await.unwrap(),
            [(id2, 1)]
        );
        assert!(
            ta.kb_solved_in("billing", Some("meter"), 0, 5)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            tb.kb_solved_in("repair", None, 0, 5)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ta.kb_solutions_since(0, Some(id2)).await.unwrap(),
            [(id2, "停水了".into(), 1)]
        );
        let theirs = tb
            .add_kb_solution(&solution(id, None, "x", None), 130)
            .await;
        assert!(
            matches!(theirs, Err(StoreError::NotFound { .. })),
            "{theirs:?}"
        );
        assert!(tb.kb_solutions_since(0, None).await.unwrap().is_empty());
        // Searches that found nothing, counted per text.
        for at in [200, 210] {
            ta.add_kb_miss("水表井盖丢了", at).await.unwrap();
        }
        ta.add_kb_miss("😀", 220).await.unwrap();
        tb.add_kb_miss("水表井盖丢了", 230).await.unwrap();
        let misses = ta.kb_misses(0, 10).await.unwrap();
        assert_eq!(misses[0], ("水表井盖丢了".to_string(), 2, 210));
        assert_eq!(misses.len(), 2);
        assert_eq!(ta.kb_misses(215, 10).await.unwrap().len(), 1);
    });
}

#[test]
fn issue_24_tasks_for_the_experts() {
    on_both(|store, _| async move {
        let a = store
            .create_tenant(&NewTenant::new("a", "A", 5, "a.example"), 1)
            .await
            .unwrap();
        let b = store
            .create_tenant(&NewTenant::new("b", "B", 5, "b.example"), 1)
            .await
            .unwrap();
        let (ta, tb) = (store.scoped(a.id), store.scoped(b.id));
        let task = |kind, text| NewKbTask {
            kind,
            article_id: None,
            category: "水表/计量",
            text,
            call_id: Some("call-9"),
            context: r#"{"caller":"+8613800000000"}"#,
            asked_by: Some(UserId(3)),
            owner: Some(UserId(7)),
        };
        let q = ta
            .add_kb_task(&task("question", "水表井盖丢了谁负责？"), 10)
            .await
            .unwrap();
        let w = ta
            .add_kb_task(&task("wrong", "电话号码已经换了"), 20)
            .await
            .unwrap();
        let mv = |status, answer, article_id, by| KbTaskMove {
            status,
            answer,
            article_id,
            by: UserId(by),
        };
        let ids = |rows: Vec<store::KbTaskRow>| rows.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(ta.kb_tasks(None, None, None, 10).await.unwrap()),
            [w, q]
        );
        assert_eq!(
            ids(ta.kb_tasks(Some("open"), None, Some(w), 10).await.unwrap()),
            [q]
        );
        assert!(tb.kb_tasks(None, None, None, 10).await.unwrap().is_empty());
        assert_eq!(tb.kb_task(q).await.unwrap(), None);
        // Answered once: the second answer finds it no longer open.
        assert!(
            ta.update_kb_task(
                q,
                &["open"],
                &mv("answered", Some("物业负责。"), None, 7),
                30
            )
            .await
            .unwrap()
        );
        assert!(
            !ta.update_kb_task(q, &["open"], &mv("answered", Some("我来答"), None, 8), 31)
                .await
                .unwrap()
        );
        assert!(
            !tb.update_kb_task(w, &["open"], &mv("closed", None, None, 8), 31)
                .await
                .unwrap()
        );
        let row = ta.kb_task(q).await.unwrap().unwrap();
        assert_eq!(
            (
                row.status.as_str(),
                row.answer.as_deref(),
                row.answered_by,
                row.updated_ms
            ),
            ("answered", Some("物业负责。"), Some(UserId(7)), 30)
        );
        // Made into an article, then closed; the answer kept.
        assert!(
            ta.update_kb_task(
                q,
                &["open", "answered"],
                &mv("closed", None, Some(5), 9),
                40
            )
            .await
            .unwrap()
        );
        let row = ta.kb_task(q).await.unwrap().unwrap();
        assert_eq!(
            (
                row.status.as_str(),
                row.answer.as_deref(),
                row.article_id,
                row.answered_by
            ),
            ("closed", Some("物业负责。"), Some(5), Some(UserId(7)))
        );
        assert_eq!(
            ids(ta.kb_tasks(None, Some(UserId(3)), None, 10).await.unwrap()),
            [w, q]
        );
        assert!(
            ta.kb_tasks(None, Some(UserId(4)), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    });
}
