//! Reports' half-hour rollups (issue 23): rows of counts and sums by dimension, key and
//! half hour, added to as the event log is folded (`app::reports`), with the cursor saying
//! how far in the same transaction, so a crash never counts an event twice or not at all.
//! What the rows mean is the `reports` crate's; here they are named columns of integers.

use crate::{AnyRow, Backend, Db, StoreError, TenantStore};

/// The rollup columns, in the order of `reports::columns()` (a test in `app` holds them
/// together).
pub const ROLLUP_COLUMNS: &[&str] = &[
    "offered",
    "answered",
    "abandoned",
    "flowed_out",
    "overflow_in",
    "callback_requested",
    "voicemail",
    "disconnected",
    "interrupted",
    "ivr_ended",
    "transferred_out",
    "transferred_in",
    "outbound",
    "outbound_answered",
    "outbound_talk_ms",
    "wait_answered_ms",
    "wait_abandoned_ms",
    "max_wait_ms",
    "talk_ms",
    "hold_ms",
    "ring_ms",
    "ivr_ms",
    "acw_ms",
    "surveys",
    "survey_score_sum",
    "survey_satisfied",
    "wrapups",
    "ivr_visits",
    "ivr_passed",
    "staffed_ms",
    "ready_ms",
    "reserved_ms",
    "talking_ms",
    "holding_ms",
    "not_ready_ms",
    "answered_in_5",
    "answered_in_10",
    "answered_in_15",
    "answered_in_20",
    "answered_in_25",
    "answered_in_30",
    "answered_in_40",
    "answered_in_45",
    "answered_in_60",
    "answered_in_90",
    "answered_in_120",
    "answered_in_180",
    "answered_in_300",
    "abandoned_in_5",
    "abandoned_in_10",
    "abandoned_in_15",
    "abandoned_in_20",
    "abandoned_in_25",
    "abandoned_in_30",
    "abandoned_in_40",
    "abandoned_in_45",
    "abandoned_in_60",
    "abandoned_in_90",
    "abandoned_in_120",
    "abandoned_in_180",
    "abandoned_in_300",
    "repeat_in_1d",
    "repeat_in_3d",
    "repeat_in_7d",
    "repeat_in_14d",
    "repeat_in_30d",
    "recalled_in_1d",
    "recalled_in_3d",
    "recalled_in_7d",
    "recalled_in_14d",
    "recalled_in_30d",
];

/// The one column merged by maximum rather than added.
const MAX_COLUMN: &str = "max_wait_ms";

/// A rollup row: its half hour (or, summed, its group's first), dimension, key, and values
/// in the order of [`ROLLUP_COLUMNS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub bucket_ms: i64,
    pub dim: String,
    pub key: String,
    pub values: Vec<i64>,
}

/// Which rollups: by half hour, or by day in the tenant's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupLevel {
    HalfHour,
    Day,
}

impl RollupLevel {
    /// The table and its time column.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            RollupLevel::HalfHour => ("rollups", "bucket"),
            RollupLevel::Day => ("rollups_daily", "day"),
        }
    }
}

/// How summed rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupGroup {
    /// By half hour and key.
    BucketKey,
    /// By half hour (keys summed; `key` empty).
    Bucket,
    /// By key (half hours summed; `bucket_ms` 0).
    Key,
}

/// Rows a statement upserts (4 + 71 parameters each). sqlx's SQLite driver slows down more
/// than in proportion with a statement's parameters (21,000 rows took 26 s at 200 a
/// statement, 2 s at 4); PostgreSQL wants fewer round trips.
fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 200,
    }
}

/// A row selected as `time, key, dim, <the columns>`, read by position: looking 71 columns
/// up by name costs more than the query itself on a month's rows.
fn row_from<R: sqlx::Row>(r: &R, group: RollupGroup) -> Result<RollupRow, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let mut values = Vec::with_capacity(ROLLUP_COLUMNS.len());
    for i in 0..ROLLUP_COLUMNS.len() {
        values.push(r.try_get::<Option<i64>, _>(3 + i)?.unwrap_or(0));
    }
    Ok(RollupRow {
        bucket_ms: if group == RollupGroup::Key {
            0
        } else {
            r.try_get(0)?
        },
        key: if group == RollupGroup::Bucket {
            String::new()
        } else {
            r.try_get(1)?
        },
        dim: r.try_get(2)?,
        values,
    })
}

impl TenantStore<'_> {
    /// How far the rollups have folded the log (`seq`), and the fold's saved agents'
    /// states; `None` before the first fold.
    pub async fn rollup_cursor(&self) -> Result<Option<(i64, String)>, StoreError> {
        let sql = "SELECT seq, agents FROM report_cursors WHERE tenant_id = $1";
        let tenant = self.tenant;
        let row = on_db!(self.store, pool => match sqlx::query(sql).bind(tenant.0).fetch_optional(pool).await? {
            Some(r) => Some((r.int("seq")?, r.text("agents")?)),
            None => None,
        });
        Ok(row)
    }

    /// Adds `halves` to the half-hour rollups and `days` to the daily ones, and moves the
    /// cursor to `seq` with the fold's `state`, in one transaction. Rows must be unique by
    /// (dim, time, key) within each.
    pub async fn apply_rollups(
        &self,
        halves: &[RollupRow],
        days: &[RollupRow],
        seq: i64,
        state: &str,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant;
        let backend = self.store.backend();
        let max = match backend {
            Backend::Sqlite => "MAX",
            Backend::Postgres => "GREATEST",
        };
        for r in halves.iter().chain(days) {
            if r.values.len() != ROLLUP_COLUMNS.len() {
                return Err(StoreError::Invalid {
                    field: "values",
                    reason: format!(
                        "{} values for {} columns",
                        r.values.len(),
                        ROLLUP_COLUMNS.len()
                    ),
                });
            }
        }
        let cols = ROLLUP_COLUMNS.join(", ");
        let width = 4 + ROLLUP_COLUMNS.len();
        in_write_tx!(self.store, tx => {
            for (level, rows) in [(RollupLevel::HalfHour, halves), (RollupLevel::Day, days)] {
                let (table, time) = level.table();
                let updates = ROLLUP_COLUMNS
                    .iter()
                    .map(|c| {
                        if *c == MAX_COLUMN {
                            format!("{c} = {max}({table}.{c}, excluded.{c})")
                        } else {
                            format!("{c} = {table}.{c} + excluded.{c}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                for chunk in rows.chunks(rows_per_statement(backend)) {
                    let mut sql =
                        format!("INSERT INTO {table} (tenant_id, dim, {time}, key, {cols}) VALUES ");
                    for i in 0..chunk.len() {
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        sql.push('(');
                        for j in 0..width {
                            if j > 0 {
                                sql.push_str(", ");
                            }
                            sql.push_str(&format!("${}", i * width + j + 1));
                        }
                        sql.push(')');
                    }
                    sql.push_str(&format!(
                        " ON CONFLICT (tenant_id, dim, {time}, key) DO UPDATE SET {updates}"
                    ));
                    let mut q = sqlx::query(&sql);
                    for r in chunk {
                        q = q.bind(tenant.0).bind(&r.dim).bind(r.bucket_ms).bind(&r.key);
                        for v in &r.values {
                            q = q.bind(*v);
                        }
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            sqlx::query(
                "INSERT INTO report_cursors (tenant_id, seq, agents) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, agents = excluded.agents",
            )
            .bind(tenant.0)
            .bind(seq)
            .bind(state)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes the tenant's rollups and cursor (before a rebuild), in one transaction.
    pub async fn clear_rollups(&self) -> Result<(), StoreError> {
        let tenant = self.tenant;
        in_write_tx!(self.store, tx => {
            sqlx::query("DELETE FROM rollups WHERE tenant_id = $1").bind(tenant.0).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM rollups_daily WHERE tenant_id = $1").bind(tenant.0).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM report_cursors WHERE tenant_id = $1").bind(tenant.0).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Rows of `dim` in half hours `[from_ms, to_ms)`, summed by `group` (the maximum for
    /// the longest wait); only `keys` when given. Ordered by half hour, then key.
    pub async fn rollup_sums(
        &self,
        level: RollupLevel,
        dim: &str,
        from_ms: i64,
        to_ms: i64,
        group: RollupGroup,
        keys: Option<&[String]>,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let tenant = self.tenant;
        let sums = ROLLUP_COLUMNS
            .iter()
            .map(|c| {
                if *c == MAX_COLUMN {
                    format!("MAX({c}) AS {c}")
                } else {
                    format!("CAST(SUM({c}) AS BIGINT) AS {c}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let (table, time) = level.table();
        let (select, by) = match group {
            RollupGroup::BucketKey => (
                format!("{time}, key"),
                format!("GROUP BY {time}, key ORDER BY {time}, key"),
            ),
            RollupGroup::Bucket => (
                format!("{time}, '' AS key"),
                format!("GROUP BY {time} ORDER BY {time}"),
            ),
            RollupGroup::Key => (
                "0, key".to_string(),
                "GROUP BY key ORDER BY key".to_string(),
            ),
        };
        let mut sql = format!(
            "SELECT {select}, MIN(dim) AS dim, {sums} FROM {table} \
             WHERE tenant_id = $1 AND dim = $2 AND {time} >= $3 AND {time} < $4"
        );
        let keys = keys.unwrap_or_default();
        if !keys.is_empty() {
            let list = (0..keys.len())
                .map(|i| format!("${}", i + 5))
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!(" AND key IN ({list})"));
        }
        sql.push(' ');
        sql.push_str(&by);
        on_db!(self.store, pool => {
            let mut q = sqlx::query(&sql).bind(tenant.0).bind(dim).bind(from_ms).bind(to_ms);
            for k in keys {
                q = q.bind(k);
            }
            q.fetch_all(pool).await?.iter().map(|r| row_from(r, group)).collect()
        })
    }

    /// How many half-hour rollup rows the tenant has.
    pub async fn rollup_rows_count(&self) -> Result<i64, StoreError> {
        let tenant = self.tenant;
        let sql = "SELECT COUNT(*) FROM rollups WHERE tenant_id = $1";
        on_db!(self.store, pool => Ok(sqlx::query_scalar::<_, i64>(sql)
            .bind(tenant.0)
            .fetch_one(pool)
            .await?))
    }

    /// Every rollup row of the tenant at `level` in key order (to compare a rebuild with
    /// what was built incrementally).
    pub async fn rollup_rows(&self, level: RollupLevel) -> Result<Vec<RollupRow>, StoreError> {
        let tenant = self.tenant;
        let (table, time) = level.table();
        let sql = format!(
            "SELECT {time}, key, dim, {} FROM {table} WHERE tenant_id = $1 ORDER BY dim, {time}, key",
            ROLLUP_COLUMNS.join(", ")
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| row_from(r, RollupGroup::BucketKey))
            .collect())
    }
}
