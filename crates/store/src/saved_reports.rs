//! Saved reports (issue 23): a report's parameters under a name, with its schedule's next
//! run, and the files it produced. What a spec says is the runtime's (`app::saved_reports`);
//! here it is a document. A produced file's row and the report's next run are written in one
//! transaction, so a crash between them produces the run again, never skips it.

use crate::{AnyRow, Db, StoreError, TenantStore, UserId};

/// A saved report as its row keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedReportRow {
    pub id: i64,
    pub name: String,
    pub owner: UserId,
    /// The runtime's JSON.
    pub spec: String,
    /// When its schedule falls due next; `None`: produced only when asked.
    pub next_run_ms: Option<i64>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A file a saved report produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFileRow {
    pub id: i64,
    pub saved_id: i64,
    /// What the file is called when downloaded (`日报 2026-12-01.xlsx`).
    pub name: String,
    /// Under the data directory.
    pub path: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub produced_ms: i64,
    pub bytes: i64,
    pub rows: i64,
    /// Who asked for it; `None` when the schedule produced it.
    pub by_user: Option<UserId>,
}

/// How many files a saved report keeps: older ones are let go as new ones come.
pub const FILES_KEPT: i64 = 100;

const SAVED_COLUMNS: &str = "id, name, owner_id, spec, next_run, created_at, updated_at";
const FILE_COLUMNS: &str =
    "id, saved_id, name, path, from_ms, to_ms, produced_at, bytes, row_count, by_user";

fn saved_from(row: &impl AnyRow) -> Result<SavedReportRow, StoreError> {
    Ok(SavedReportRow {
        id: row.int("id")?,
        name: row.text("name")?,
        owner: UserId(row.int("owner_id")?),
        spec: row.text("spec")?,
        next_run_ms: row.opt_int("next_run")?,
        created_ms: row.int("created_at")?,
        updated_ms: row.int("updated_at")?,
    })
}

fn file_from(row: &impl AnyRow) -> Result<ReportFileRow, StoreError> {
    Ok(ReportFileRow {
        id: row.int("id")?,
        saved_id: row.int("saved_id")?,
        name: row.text("name")?,
        path: row.text("path")?,
        from_ms: row.int("from_ms")?,
        to_ms: row.int("to_ms")?,
        produced_ms: row.int("produced_at")?,
        bytes: row.int("bytes")?,
        rows: row.int("row_count")?,
        by_user: row.opt_int("by_user")?.map(UserId),
    })
}

impl TenantStore<'_> {
    /// Saves a report; its id.
    pub async fn create_saved_report(
        &self,
        name: &str,
        owner: UserId,
        spec: &str,
        next_run_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO saved_reports (tenant_id, name, owner_id, spec, next_run, \
                   created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
        Ok(on_db!(self.store, pool => sqlx::query_scalar(sql)
            .bind(self.tenant.0)
            .bind(name)
            .bind(owner.0)
            .bind(spec)
            .bind(next_run_ms)
            .bind(now_ms)
            .fetch_one(pool)
            .await?))
    }

    /// Changes a saved report's name, spec and next run; false if there is none such.
    pub async fn update_saved_report(
        &self,
        id: i64,
        name: &str,
        spec: &str,
        next_run_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE saved_reports SET name = $3, spec = $4, next_run = $5, updated_at = $6 \
                   WHERE tenant_id = $1 AND id = $2";
        let done = on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(id)
            .bind(name)
            .bind(spec)
            .bind(next_run_ms)
            .bind(now_ms)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Deletes a saved report and its files' rows; the files' paths (to remove), or `None`
    /// if there is none such.
    pub async fn delete_saved_report(&self, id: i64) -> Result<Option<Vec<String>>, StoreError> {
        let tenant = self.tenant.0;
        in_write_tx!(self.store, tx => {
            let paths: Vec<String> = sqlx::query_scalar(
                "SELECT path FROM report_files WHERE tenant_id = $1 AND saved_id = $2",
            )
            .bind(tenant)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM report_files WHERE tenant_id = $1 AND saved_id = $2")
                .bind(tenant)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let gone = sqlx::query("DELETE FROM saved_reports WHERE tenant_id = $1 AND id = $2")
                .bind(tenant)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok((gone == 1).then_some(paths))
        })
    }

    /// The tenant's saved reports, by name.
    pub async fn saved_reports(&self) -> Result<Vec<SavedReportRow>, StoreError> {
        let sql = format!(
            "SELECT {SAVED_COLUMNS} FROM saved_reports WHERE tenant_id = $1 ORDER BY name, id"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .fetch_all(pool)
            .await?
            .iter()
            .map(saved_from)
            .collect())
    }

    pub async fn saved_report(&self, id: i64) -> Result<Option<SavedReportRow>, StoreError> {
        let sql =
            format!("SELECT {SAVED_COLUMNS} FROM saved_reports WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(saved_from)
            .transpose())
    }

    /// Saved reports whose schedule is due at `now_ms`, the longest due first.
    pub async fn due_saved_reports(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<SavedReportRow>, StoreError> {
        let sql = format!(
            "SELECT {SAVED_COLUMNS} FROM saved_reports WHERE tenant_id = $1 \
             AND next_run IS NOT NULL AND next_run <= $2 ORDER BY next_run, id LIMIT $3"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(now_ms)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(saved_from)
            .collect())
    }

    /// Records a file a saved report produced and, when `schedule` is given, moves its
    /// schedule on from `due` to `next` (none: it stops) — only if the report is still there
    /// and its next run is still `due` (a change meanwhile wins); in one transaction. Files beyond the newest
    /// [`FILES_KEPT`] are let go. The new file's id and the paths let go (to remove), or
    /// `None` if the report is gone.
    pub async fn record_report_file(
        &self,
        f: &ReportFileRow,
        schedule: Option<(i64, Option<i64>)>,
    ) -> Result<Option<(i64, Vec<String>)>, StoreError> {
        let tenant = self.tenant.0;
        in_write_tx!(self.store, tx => {
            // The report's row held (PostgreSQL) till the file's row is in: a delete
            // meanwhile waits, then takes the file with it.
            let lock = if matches!(self.store.backend(), crate::Backend::Postgres) {
                " FOR UPDATE"
            } else {
                ""
            };
            let there: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT id FROM saved_reports WHERE tenant_id = $1 AND id = $2{lock}"
            ))
            .bind(tenant)
            .bind(f.saved_id)
            .fetch_optional(&mut *tx)
            .await?;
            if there.is_none() {
                return Ok(None);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO report_files (tenant_id, saved_id, name, path, from_ms, to_ms, \
                 produced_at, bytes, row_count, by_user) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(tenant)
            .bind(f.saved_id)
            .bind(&f.name)
            .bind(&f.path)
            .bind(f.from_ms)
            .bind(f.to_ms)
            .bind(f.produced_ms)
            .bind(f.bytes)
            .bind(f.rows)
            .bind(f.by_user.map(|u| u.0))
            .fetch_one(&mut *tx)
            .await?;
            if let Some((due_ms, next_ms)) = schedule {
                sqlx::query(
                    "UPDATE saved_reports SET next_run = $4 \
                     WHERE tenant_id = $1 AND id = $2 AND next_run = $3",
                )
                .bind(tenant)
                .bind(f.saved_id)
                .bind(due_ms)
                .bind(next_ms)
                .execute(&mut *tx)
                .await?;
            }
            let old: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, path FROM report_files WHERE tenant_id = $1 AND saved_id = $2 \
                 ORDER BY produced_at DESC, id DESC LIMIT 1000 OFFSET $3",
            )
            .bind(tenant)
            .bind(f.saved_id)
            .bind(FILES_KEPT)
            .fetch_all(&mut *tx)
            .await?;
            for (old_id, _) in &old {
                sqlx::query("DELETE FROM report_files WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(old_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(Some((id, old.into_iter().map(|(_, p)| p).collect())))
        })
    }

    /// Moves a saved report's schedule on from `due_ms` to `next_ms` without a file (a run
    /// that could not be made), unless it was changed meanwhile.
    pub async fn reschedule_saved_report(
        &self,
        id: i64,
        due_ms: i64,
        next_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE saved_reports SET next_run = $4 \
                   WHERE tenant_id = $1 AND id = $2 AND next_run = $3";
        on_db!(self.store, pool => sqlx::query(sql)
            .bind(self.tenant.0)
            .bind(id)
            .bind(due_ms)
            .bind(next_ms)
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// A saved report's files, newest first.
    pub async fn report_files(&self, saved_id: i64) -> Result<Vec<ReportFileRow>, StoreError> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM report_files WHERE tenant_id = $1 AND saved_id = $2 \
             ORDER BY produced_at DESC, id DESC"
        );
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(saved_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(file_from)
            .collect())
    }

    pub async fn report_file(&self, id: i64) -> Result<Option<ReportFileRow>, StoreError> {
        let sql =
            format!("SELECT {FILE_COLUMNS} FROM report_files WHERE tenant_id = $1 AND id = $2");
        on_db!(self.store, pool => sqlx::query(&sql)
            .bind(self.tenant.0)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(file_from)
            .transpose())
    }
}
