//! Reports' rollups: a row already kept takes a new one in by the caller's merge, the cursor
//! moves with the rows in one transaction, rows are read by level, dimension, time and key,
//! and a tenant sees only its own.

use store::{NewTenant, RollupLevel, RollupRow};

use crate::on_both;

fn row(bucket_ms: i64, key: &str, offered: i64, max_wait: i64) -> RollupRow {
    RollupRow {
        bucket_ms,
        dim: "queue".into(),
        key: key.into(),
        values: vec![offered, max_wait],
    }
}

/// Adds the first value, keeps the larger second.
fn merge(_: RollupLevel, into: &mut Vec<i64>, new: &[i64]) {
    into.resize(2, 0);
    into[0] += new.first().copied().unwrap_or(0);
    into[1] = into[1].max(new.get(1).copied().unwrap_or(0));
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
        let halves = [row(0, "repair", 2, 5000), row(h, "repair", 1, 0)];
        ta.apply_rollups(&halves, &[row(0, "repair", 3, 5000)], 10, "{}", &merge)
            .await
            .unwrap();
        let more = [row(0, "repair", 3, 9000), row(0, "billing", 4, 100)];
        ta.apply_rollups(&more, &more, 20, r#"{"7":1}"#, &merge)
            .await
            .unwrap();
        tb.apply_rollups(&[row(0, "repair", 100, 1)], &[], 5, "{}", &merge)
            .await
            .unwrap();
        assert_eq!(
            ta.rollup_cursor().await.unwrap(),
            Some((20, r#"{"7":1}"#.to_string()))
        );
        let got = |rows: Vec<RollupRow>| -> Vec<(i64, String, Vec<i64>)> {
            rows.into_iter()
                .map(|r| (r.bucket_ms, r.key, r.values))
                .collect()
        };
        assert_eq!(
            got(ta
                .rollup_rows_in(RollupLevel::HalfHour, "queue", 0, 2 * h, None)
                .await
                .unwrap()),
            vec![
                (0, "billing".into(), vec![4, 100]),
                (0, "repair".into(), vec![5, 9000]),
                (h, "repair".into(), vec![1]),
            ]
        );
        let only = ta
            .rollup_rows_in(
                RollupLevel::HalfHour,
                "queue",
                0,
                h,
                Some(&["repair".to_string()][..]),
            )
            .await
            .unwrap();
        assert_eq!(got(only), vec![(0, "repair".into(), vec![5, 9000])]);
        // At most so many rows: the first ones.
        let first = ta
            .rollup_packed_in(RollupLevel::HalfHour, "queue", 0, 2 * h, None, Some(2))
            .await
            .unwrap();
        assert_eq!(
            first
                .iter()
                .map(|r| (r.bucket_ms, r.key.as_str()))
                .collect::<Vec<_>>(),
            [(0, "billing"), (0, "repair")]
        );
        // The days, kept beside the half hours.
        assert_eq!(
            got(ta
                .rollup_rows_in(RollupLevel::Day, "queue", 0, h, None)
                .await
                .unwrap()),
            vec![
                (0, "billing".into(), vec![4, 100]),
                (0, "repair".into(), vec![6, 9000]),
            ]
        );
        assert_eq!(
            ta.rollup_rows(RollupLevel::HalfHour).await.unwrap().len(),
            3
        );
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
