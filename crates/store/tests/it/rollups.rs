//! Reports' rollups: rows add up, the longest wait merges by maximum, the cursor moves with
//! the rows in one transaction, sums group by half hour or key, and a tenant sees only its
//! own.

use store::{NewTenant, ROLLUP_COLUMNS, RollupGroup, RollupLevel, RollupRow};

use crate::on_both;

fn row(bucket_ms: i64, key: &str, offered: i64, max_wait: i64) -> RollupRow {
    let mut values = vec![0; ROLLUP_COLUMNS.len()];
    let at = |c: &str| ROLLUP_COLUMNS.iter().position(|x| *x == c).unwrap();
    values[at("offered")] = offered;
    values[at("max_wait_ms")] = max_wait;
    RollupRow {
        bucket_ms,
        dim: "queue".into(),
        key: key.into(),
        values,
    }
}

#[test]
fn issue_23_rollups_add_up_with_their_cursor() {
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
        assert_eq!(ta.rollup_cursor().await.unwrap(), None);
        let h = 1_800_000;
        ta.apply_rollups(
            &[row(0, "repair", 2, 5000), row(h, "repair", 1, 0)],
            &[row(0, "repair", 3, 5000)],
            10,
            "{}",
        )
        .await
        .unwrap();
        ta.apply_rollups(
            &[row(0, "repair", 3, 9000), row(0, "billing", 4, 100)],
            &[row(0, "repair", 3, 9000), row(0, "billing", 4, 100)],
            20,
            r#"{"7":1}"#,
        )
        .await
        .unwrap();
        tb.apply_rollups(&[row(0, "repair", 100, 1)], &[], 5, "{}")
            .await
            .unwrap();
        assert_eq!(
            ta.rollup_cursor().await.unwrap(),
            Some((20, r#"{"7":1}"#.to_string()))
        );
        let offered = ROLLUP_COLUMNS.iter().position(|c| *c == "offered").unwrap();
        let max = ROLLUP_COLUMNS
            .iter()
            .position(|c| *c == "max_wait_ms")
            .unwrap();
        let by_key = ta
            .rollup_sums(
                RollupLevel::HalfHour,
                "queue",
                0,
                2 * h,
                RollupGroup::Key,
                None,
            )
            .await
            .unwrap();
        let got: Vec<(&str, i64, i64)> = by_key
            .iter()
            .map(|r| (r.key.as_str(), r.values[offered], r.values[max]))
            .collect();
        assert_eq!(got, vec![("billing", 4, 100), ("repair", 6, 9000)]);
        let by_bucket = ta
            .rollup_sums(
                RollupLevel::HalfHour,
                "queue",
                0,
                2 * h,
                RollupGroup::Bucket,
                None,
            )
            .await
            .unwrap();
        let got: Vec<(i64, i64)> = by_bucket
            .iter()
            .map(|r| (r.bucket_ms, r.values[offered]))
            .collect();
        assert_eq!(got, vec![(0, 9), (h, 1)]);
        let only = ta
            .rollup_sums(
                RollupLevel::HalfHour,
                "queue",
                0,
                h,
                RollupGroup::BucketKey,
                Some(&["repair".to_string()][..]),
            )
            .await
            .unwrap();
        assert_eq!(only.len(), 1);
        assert_eq!(only[0].values[offered], 5);
        assert_eq!(
            ta.rollup_rows(RollupLevel::HalfHour).await.unwrap().len(),
            3
        );
        // The days, kept beside the half hours.
        let days = ta
            .rollup_sums(RollupLevel::Day, "queue", 0, h, RollupGroup::Key, None)
            .await
            .unwrap();
        let got: Vec<(&str, i64, i64)> = days
            .iter()
            .map(|r| (r.key.as_str(), r.values[offered], r.values[max]))
            .collect();
        assert_eq!(got, vec![("billing", 4, 100), ("repair", 6, 9000)]);
        // A malformed row writes nothing, the cursor included.
        let mut bad = row(0, "repair", 1, 0);
        bad.values.pop();
        assert!(ta.apply_rollups(&[], &[bad], 30, "{}").await.is_err());
        assert_eq!(ta.rollup_cursor().await.unwrap().unwrap().0, 20);
        ta.clear_rollups().await.unwrap();
        assert_eq!(ta.rollup_cursor().await.unwrap(), None);
        assert!(
            ta.rollup_rows(RollupLevel::HalfHour)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(ta.rollup_rows(RollupLevel::Day).await.unwrap().is_empty());
        assert_eq!(
            tb.rollup_rows(RollupLevel::HalfHour).await.unwrap().len(),
            1
        );
    });
}
