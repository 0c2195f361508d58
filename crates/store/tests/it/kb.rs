//! Knowledge articles: written with a version row in one transaction, a stale version
//! refused, listed by status a page at a time, and a tenant sees only its own.

use store::{KbFields, NewTenant, StoreError, UserId};

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
        // What solved contacts, counted by what was searched; not another tenant's article.
        for (q, at) in [
            ("水表走得快", 100),
            ("水表走得快", 110),
            ("表转个不停", 120),
        ] {
            ta.add_kb_solution(id, Some("call-1"), q, Some(UserId(3)), at)
                .await
                .unwrap();
        }
        ta.add_kb_solution(id2, None, "停水了", None, 50)
            .await
            .unwrap();
        assert_eq!(
            ta.kb_solutions_since(100, None).await.unwrap(),
            [(id, "水表走得快".into(), 2), (id, "表转个不停".into(), 1)]
        );
        assert_eq!(
            ta.kb_solutions_since(0, Some(id2)).await.unwrap(),
            [(id2, "停水了".into(), 1)]
        );
        let theirs = tb.add_kb_solution(id, None, "x", None, 130).await;
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
