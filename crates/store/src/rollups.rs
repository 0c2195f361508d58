//! Reports' rollups (issue 23): rows of integers by dimension, key and day — a day's half
//! hours side by side, and the day's sum — added to as the event log is folded (`app::reports`), with the cursor saying how far
//! in the same transaction, so a crash never counts an event twice or not at all. What the
//! integers mean, and how two rows merge, is the caller's (the `reports` crate's); here a
//! row's integers are one packed value, so a report reads one value a row however many
//! measures there are, and a measure added later needs no change of schema.

use crate::{Backend, Db, StoreError, TenantStore};

/// A rollup row: its day (the first instant), dimension, key, and values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupRow {
    pub bucket_ms: i64,
    pub dim: String,
    pub key: String,
    pub values: Vec<i64>,
}

/// A rollup row as kept, its values still packed: read them with [`entries`] (a report of
/// many rows reads only what is not zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedRow {
    pub bucket_ms: i64,
    pub key: String,
    pub data: Vec<u8>,
}

/// Reads a packing entry by entry, knowing where it is.
struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Option<u64> {
        // One byte, as most indexes and counts are.
        let first = *self.data.get(self.at)?;
        if first < 0x80 {
            self.at += 1;
            return Some(u64::from(first));
        }
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.data.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    /// The next (index, value); `None` at the end or at bytes that are not a packing.
    fn entry(&mut self) -> Option<(usize, i64)> {
        let i = usize::try_from(self.varint()?)
            .ok()
            .filter(|i| *i < 1 << 16)?;
        let z = self.varint()?;
        Some((i, ((z >> 1) as i64) ^ -((z & 1) as i64)))
    }
}

/// A packed row's values that are not zero, as (index, value) in the order kept (by
/// index); it ends early at bytes that are not a packing.
pub fn entries(data: &[u8]) -> impl Iterator<Item = (usize, i64)> + '_ {
    let mut r = Reader { data, at: 0 };
    std::iter::from_fn(move || r.entry())
}

/// A packed row cut into parts by its values' indexes (`part` of an index, not decreasing
/// as the index grows — a day's half hours): each part with something in it, as (part,
/// where its bytes are in `data`), the bytes themselves a packing of the part's values with
/// their indexes as in the whole row. `each` is given every (index, value) as it is read, so a caller that
/// wants the values too reads them once. Like [`entries`], it ends early at bytes that are
/// not a packing.
pub fn parts(
    data: &[u8],
    part: impl Fn(usize) -> usize,
    mut each: impl FnMut(usize, i64),
) -> impl Iterator<Item = (usize, std::ops::Range<usize>)> {
    let mut r = Reader { data, at: 0 };
    // The part being read, and where its bytes start.
    let mut open: Option<(usize, usize)> = None;
    std::iter::from_fn(move || {
        loop {
            let start = r.at;
            let Some((i, v)) = r.entry() else {
                let (p, from) = open.take()?;
                return Some((p, from..start));
            };
            each(i, v);
            let p = part(i);
            match open {
                Some((q, from)) if q != p => {
                    open = Some((p, start));
                    return Some((q, from..start));
                }
                Some(_) => {}
                None => open = Some((p, start)),
            }
        }
    })
}

/// Which rollups: a day's half hours, or the day's sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupLevel {
    HalfHour,
    Day,
}

impl RollupLevel {
    /// The table and its time column.
    fn table(self) -> (&'static str, &'static str) {
        match self {
            RollupLevel::HalfHour => ("rollups", "day"),
            RollupLevel::Day => ("rollups_daily", "day"),
        }
    }
}

/// How two rows of the same level and key become one: `into` takes `new` in.
pub type Merge<'a> = &'a (dyn Fn(RollupLevel, &mut Vec<i64>, &[i64]) + Sync);

/// Rows a statement reads or writes. sqlx's SQLite driver slows down more than in
/// proportion with a statement's parameters; PostgreSQL wants fewer round trips.
fn rows_per_statement(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 50,
        Backend::Postgres => 500,
    }
}

/// The values packed: for each non-zero one, its index and its value (zig-zag), as LEB128
/// varints. Most of a row's measures are zero (a queue's row has no agent time).
pub fn pack(values: &[i64]) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = Vec::with_capacity(16);
    for (i, v) in values.iter().enumerate() {
        if *v != 0 {
            varint(&mut out, i as u64);
            varint(&mut out, ((v << 1) ^ (v >> 63)) as u64);
        }
    }
    out
}

/// The values of [`pack`]; `None` if the bytes are not such a packing.
pub(crate) fn unpack(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut it = bytes.iter();
    let mut varint = || -> Option<Option<u64>> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let Some(b) = it.next() else {
                return if shift == 0 { Some(None) } else { None };
            };
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(Some(v));
            }
        }
        None
    };
    let mut values = Vec::new();
    while let Some(i) = varint()? {
        let z = varint()??;
        let i = usize::try_from(i).ok().filter(|i| *i < 1 << 16)?;
        if values.len() <= i {
            values.resize(i + 1, 0);
        }
        values[i] = ((z >> 1) as i64) ^ -((z & 1) as i64);
    }
    Some(values)
}

fn row_from<R: sqlx::Row>(r: &R) -> Result<RollupRow, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Vec<u8>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let data: Vec<u8> = r.try_get(3)?;
    Ok(RollupRow {
        bucket_ms: r.try_get(0)?,
        dim: r.try_get(1)?,
        key: r.try_get(2)?,
        values: unpack(&data).ok_or_else(|| StoreError::Invalid {
            field: "data",
            reason: "a rollup row that does not unpack".into(),
        })?,
    })
}

impl TenantStore<'_> {
    /// How far the rollups have folded the log (`seq`), and the fold's saved state; `None`
    /// before the first fold.
    pub async fn rollup_cursor(&self) -> Result<Option<(i64, String)>, StoreError> {
        use sqlx::Row;
        let sql = "SELECT seq, agents FROM report_cursors WHERE tenant_id = $1";
        let tenant = self.tenant;
        on_db!(self.store, pool => match sqlx::query(sql).bind(tenant.0).fetch_optional(pool).await? {
            Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?))),
            None => Ok(None),
        })
    }

    /// Adds `halves` to the half-hour rollups and `days` to the daily ones (a row already
    /// kept takes the new one in by `merge`), and moves the cursor to `seq` with the fold's
    /// `state`, in one transaction. Rows must be unique by (dim, time, key) within each.
    pub async fn apply_rollups(
        &self,
        halves: &[RollupRow],
        days: &[RollupRow],
        seq: i64,
        state: &str,
        merge: Merge<'_>,
    ) -> Result<(), StoreError> {
        let tenant = self.tenant;
        let n = rows_per_statement(self.store.backend());
        in_write_tx!(self.store, tx => {
            for (level, rows) in [(RollupLevel::HalfHour, halves), (RollupLevel::Day, days)] {
                let (table, time) = level.table();
                for chunk in rows.chunks(n) {
                    // The rows already kept for these keys…
                    let mut sql = format!(
                        "SELECT {time}, dim, key, data FROM {table} WHERE tenant_id = $1 \
                         AND ({time}, dim, key) IN (VALUES "
                    );
                    for i in 0..chunk.len() {
                        let p = 2 + 3 * i;
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&format!("(${p}, ${}, ${})", p + 1, p + 2));
                    }
                    sql.push(')');
                    let mut q = sqlx::query(&sql).bind(tenant.0);
                    for r in chunk {
                        q = q.bind(r.bucket_ms).bind(&r.dim).bind(&r.key);
                    }
                    let kept: std::collections::HashMap<(i64, String, String), Vec<i64>> = q
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| row_from(r).map(|r| ((r.bucket_ms, r.dim, r.key), r.values)))
                        .collect::<Result<_, _>>()?;
                    // …take the new ones in, and are written back whole.
                    let mut sql = format!(
                        "INSERT INTO {table} (tenant_id, {time}, dim, key, data) VALUES "
                    );
                    for i in 0..chunk.len() {
                        let p = 2 + 4 * i;
                        if i > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&format!("($1, ${p}, ${}, ${}, ${})", p + 1, p + 2, p + 3));
                    }
                    sql.push_str(&format!(
                        " ON CONFLICT (tenant_id, dim, {time}, key) DO UPDATE SET data = excluded.data"
                    ));
                    let mut q = sqlx::query(&sql).bind(tenant.0);
                    for r in chunk {
                        let data = match kept.get(&(r.bucket_ms, r.dim.clone(), r.key.clone())) {
                            Some(old) => {
                                let mut v = old.clone();
                                merge(level, &mut v, &r.values);
                                pack(&v)
                            }
                            None => pack(&r.values),
                        };
                        q = q.bind(r.bucket_ms).bind(&r.dim).bind(&r.key).bind(data);
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
            for table in ["rollups", "rollups_daily", "report_cursors"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1"))
                    .bind(tenant.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The rows of `dim` at `level` in `[from_ms, to_ms)` (only `keys` when given), by time
    /// then key.
    pub async fn rollup_rows_in(
        &self,
        level: RollupLevel,
        dim: &str,
        from_ms: i64,
        to_ms: i64,
        keys: Option<&[String]>,
    ) -> Result<Vec<RollupRow>, StoreError> {
        self.rollup_packed_in(level, dim, from_ms, to_ms, keys, None)
            .await?
            .into_iter()
            .map(|r| {
                Ok(RollupRow {
                    values: unpack(&r.data).ok_or_else(|| StoreError::Invalid {
                        field: "data",
                        reason: "a rollup row that does not unpack".into(),
                    })?,
                    bucket_ms: r.bucket_ms,
                    dim: dim.to_string(),
                    key: r.key,
                })
            })
            .collect()
    }

    /// [`TenantStore::rollup_rows_in`] with the values left packed, and no more than
    /// `at_most` rows when given (the first ones: a caller that refuses more than `n` asks
    /// for `n + 1`, and reads no more than that).
    pub async fn rollup_packed_in(
        &self,
        level: RollupLevel,
        dim: &str,
        from_ms: i64,
        to_ms: i64,
        keys: Option<&[String]>,
        at_most: Option<usize>,
    ) -> Result<Vec<PackedRow>, StoreError> {
        let tenant = self.tenant;
        let (table, time) = level.table();
        let mut sql = format!(
            "SELECT {time}, dim, key, data FROM {table} \
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
        sql.push_str(&format!(" ORDER BY {time}, key"));
        if let Some(n) = at_most {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        on_db!(self.store, pool => {
            let mut q = sqlx::query(&sql).bind(tenant.0).bind(dim).bind(from_ms).bind(to_ms);
            for k in keys {
                q = q.bind(k);
            }
            q.fetch_all(pool)
                .await?
                .iter()
                .map(|r| {
                    use sqlx::Row;
                    Ok(PackedRow { bucket_ms: r.try_get(0)?, key: r.try_get(2)?, data: r.try_get(3)? })
                })
                .collect()
        })
    }

    /// Every rollup row of the tenant at `level` in key order (to compare a rebuild with
    /// what was built incrementally).
    pub async fn rollup_rows(&self, level: RollupLevel) -> Result<Vec<RollupRow>, StoreError> {
        let tenant = self.tenant;
        let (table, time) = level.table();
        let sql = format!(
            "SELECT {time}, dim, key, data FROM {table} WHERE tenant_id = $1 ORDER BY dim, {time}, key"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(tenant.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(row_from)
            .collect())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_values_unpack_as_they_were() {
        for v in [
            vec![],
            vec![0, 0, 0],
            vec![1, 0, -1, i64::MAX, i64::MIN, 300, 0, 1 << 40],
        ] {
            let got = unpack(&pack(&v)).unwrap();
            // Trailing zeros are not kept: they read back as absent.
            let trimmed: Vec<i64> = {
                let mut t = v.clone();
                while t.last() == Some(&0) {
                    t.pop();
                }
                t
            };
            assert_eq!(got, trimmed);
        }
        let v = [0, 5, 0, -7, 1 << 40];
        assert_eq!(
            entries(&pack(&v)).collect::<Vec<_>>(),
            [(1, 5), (3, -7), (4, 1 << 40)]
        );
        assert_eq!(entries(&[0x80]).count(), 0);
        // Cut by tens, each part a packing of its own values; a broken tail is left out.
        let mut row = vec![0i64; 40];
        (row[3], row[7], row[12], row[35]) = (1, -2, 300, 4);
        let mut data = pack(&row);
        data.push(0x80);
        let mut read = Vec::new();
        let cut: Vec<(usize, Vec<(usize, i64)>)> =
            parts(&data, |i| i / 10, |i, v| read.push((i, v)))
                .map(|(p, at)| (p, entries(&data[at]).collect()))
                .collect();
        assert_eq!(read, [(3, 1), (7, -2), (12, 300), (35, 4)]);
        assert_eq!(
            cut,
            [
                (0, vec![(3, 1), (7, -2)]),
                (1, vec![(12, 300)]),
                (3, vec![(35, 4)])
            ]
        );
        assert_eq!(parts(&[], |i| i, |_, _| ()).count(), 0);
        assert_eq!(unpack(&[0x80]), None);
        assert_eq!(unpack(&[0x01]), None);
        assert_eq!(unpack(&[0xff, 0xff, 0x7f, 0x01]), None);
    }
}
