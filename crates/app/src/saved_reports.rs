//! Saved reports (报表订阅): a report's parameters under a name — the range relative to when
//! it runs ("yesterday", "last month") — produced into a file when asked or on a schedule
//! (daily, weekly, monthly at a time of the tenant's day), kept under the data directory as
//! `reports/{tenant}/{saved}/…` for people to download.
//!
//! A file is written whole (a temporary name, flushed, renamed) before its row; the row and
//! the schedule's next run are written in one transaction. `kill -9` in between leaves a
//! file no row names and the run still due: it is produced again, never skipped. A
//! scheduled run covers the range relative to when it was due, so a run late after a
//! restart still covers the days it was meant to.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ::reports::{Dim, Granularity, RelativeRange, Schedule, Unit};
use serde::{Deserialize, Serialize};
use sheets::{Format, Table};
use store::{ReportFileRow, SavedReportRow, TenantId, UserId};

use crate::reports::{Report, ReportQuery};
use crate::{App, AppError, AppResult};

/// Rows a report gives at most (a table a person can read, a sheet Excel opens).
pub const MAX_REPORT_ROWS: usize = 100_000;

/// Saved reports a tenant keeps at most.
pub const MAX_SAVED: usize = 200;

/// Due reports produced per tenant per round.
const DUE_BATCH: u32 = 20;

/// How far back runs missed while the center was down are made.
const CATCH_UP_MS: i64 = 7 * 86_400_000;

/// A report's parameters as saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// A dimension (`all`, `queue`, `agent`…), as `/api/reports` takes it.
    pub dim: String,
    /// The periods: `half_hour`, `hour`, `day`, `week`, `month`, `year` or `total`.
    pub by: String,
    /// Glossary keys; every metric when empty.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Only these keys; all when empty.
    #[serde(default)]
    pub keys: Vec<String>,
    pub range: RelativeRange,
    /// The first and last days of a `custom` range (`2026-11-01`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `xlsx` (the default) or `csv`.
    #[serde(default = "xlsx")]
    pub format: String,
    /// When it is produced by itself; never when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

fn xlsx() -> String {
    "xlsx".into()
}

/// A saved report: its row and what it says.
#[derive(Debug, Clone)]
pub struct SavedReport {
    pub row: SavedReportRow,
    pub spec: ReportSpec,
}

/// A spec, checked: what a report of it asks.
#[derive(Debug)]
pub struct Asked {
    pub dim: Dim,
    pub by: Granularity,
    pub metrics: Vec<&'static str>,
    pub keys: Option<Vec<String>>,
    pub format: Format,
    range: RelativeRange,
    days: Option<(jiff::civil::Date, jiff::civil::Date)>,
}

fn invalid(w: ::reports::Wrong) -> AppError {
    AppError::invalid(w.field, w.reason)
}

impl ReportSpec {
    /// Every field checked, the wrong one named.
    pub fn check(&self) -> AppResult<Asked> {
        let dim = Dim::parse(&self.dim).ok_or_else(|| {
            AppError::invalid("dim", "a dimension of /api/reports (queue, agent, team…)")
        })?;
        let by = Granularity::parse(&self.by).ok_or_else(|| {
            AppError::invalid("by", "half_hour, hour, day, week, month, year or total")
        })?;
        let mut seen = std::collections::HashSet::new();
        if !self.metrics.iter().all(|m| seen.insert(m)) {
            return Err(AppError::invalid("metrics", "each metric once"));
        }
        let metrics = if self.metrics.is_empty() {
            ::reports::GLOSSARY.iter().map(|m| m.key).collect()
        } else {
            self.metrics
                .iter()
                .map(|k| {
                    ::reports::metric(k)
                        .map(|m| m.key)
                        .ok_or_else(|| AppError::invalid("metrics", format!("no metric `{k}`")))
                })
                .collect::<AppResult<Vec<_>>>()?
        };
        if self.keys.len() > 500 {
            return Err(AppError::invalid("keys", "at most 500"));
        }
        if self
            .keys
            .iter()
            .any(|k| k.chars().count() > 200 || k.chars().any(char::is_control))
        {
            return Err(AppError::invalid(
                "keys",
                "at most 200 characters each, no control characters",
            ));
        }
        let format = match self.format.as_str() {
            "xlsx" => Format::Xlsx,
            "csv" => Format::Csv,
            _ => return Err(AppError::invalid("format", "xlsx or csv")),
        };
        let day = |field: &'static str, v: &Option<String>| -> AppResult<jiff::civil::Date> {
            v.as_deref()
                .and_then(|d| d.parse().ok())
                .ok_or_else(|| AppError::invalid(field, "a date like 2026-12-01"))
        };
        let days = match self.range {
            RelativeRange::Custom => Some((day("from", &self.from)?, day("to", &self.to)?)),
            _ if self.from.is_some() => {
                return Err(AppError::invalid("from", "only for a custom range"));
            }
            _ if self.to.is_some() => {
                return Err(AppError::invalid("to", "only for a custom range"));
            }
            _ => None,
        };
        if let Some(s) = &self.schedule {
            s.check().map_err(invalid)?;
        }
        Ok(Asked {
            dim,
            by,
            metrics,
            keys: (!self.keys.is_empty()).then(|| self.keys.clone()),
            format,
            range: self.range,
            days,
        })
    }
}

impl Asked {
    /// The report's query for a run at `at_ms`.
    pub fn query_at(&self, at_ms: i64, zone: &jiff::tz::TimeZone) -> AppResult<ReportQuery> {
        let (from_ms, to_ms) = self
            .range
            .resolve(at_ms, zone, self.days)
            .map_err(invalid)?;
        // Whole days, whatever their length (a change of clocks).
        let days = (to_ms - from_ms + 43_200_000) / 86_400_000;
        if days > 3 * 366 {
            return Err(AppError::invalid("to", "at most three years after from"));
        }
        if matches!(self.by, Granularity::HalfHour | Granularity::Hour) && days > 62 {
            return Err(AppError::invalid(
                "by",
                "half hours and hours for at most 62 days",
            ));
        }
        Ok(ReportQuery {
            from_ms,
            to_ms,
            granularity: self.by,
            dim: self.dim,
            keys: self.keys.clone(),
        })
    }
}

/// A value as a spreadsheet shows it: ratios as percentages, seconds whole.
pub fn cell(unit: Unit, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => String::new(),
        (Unit::Ratio, Some(v)) => format!("{:.1}%", v * 100.0),
        (Unit::Seconds | Unit::Count, Some(v)) => format!("{v:.0}"),
        (Unit::Score, Some(v)) => format!("{v:.2}"),
    }
}

/// A report as a sheet: a row per period and key, then each key's total; headers in
/// Chinese and English, keys with their names.
pub fn report_table(
    r: &Report,
    metrics: &[&str],
    labels: &HashMap<String, String>,
    by: Granularity,
) -> Table {
    let zone = jiff::tz::TimeZone::get(&r.zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let when = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(zone.clone()))
            .map(|z| match by {
                Granularity::HalfHour | Granularity::Hour => {
                    z.strftime("%Y-%m-%d %H:%M").to_string()
                }
                Granularity::Month => z.strftime("%Y-%m").to_string(),
                Granularity::Year => z.strftime("%Y").to_string(),
                _ => z.strftime("%Y-%m-%d").to_string(),
            })
            .unwrap_or_default()
    };
    let defs: Vec<&::reports::Metric> = metrics
        .iter()
        .filter_map(|k| ::reports::metric(k))
        .collect();
    let mut headers = vec!["时段 Period".to_string(), "维度 Key".to_string()];
    headers.extend(defs.iter().map(|m| format!("{} {}", m.zh, m.en)));
    let label = |k: &str| match (labels.get(k), k.is_empty()) {
        (_, true) => "全中心 Center".to_string(),
        (Some(l), _) => format!("{l} ({k})"),
        (None, _) => k.to_string(),
    };
    let mut rows = Vec::with_capacity(r.rows.len() + r.totals.len());
    for (lines, total) in [(&r.rows, None), (&r.totals, Some("合计 Total"))] {
        for l in lines {
            let c = l.components();
            let mut row = vec![
                total.map_or_else(|| when(l.period_ms), String::from),
                label(&l.key),
            ];
            row.extend(
                defs.iter()
                    .map(|m| cell(m.unit, ::reports::value(m.key, &c, &r.settings))),
            );
            rows.push(row);
        }
    }
    Table { headers, rows }
}

/// A name as a file may carry it: no path separators or characters Windows refuses.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

impl App {
    fn reports_dir(&self) -> AppResult<PathBuf> {
        self.0.files.get().cloned().ok_or_else(|| {
            AppError::InvalidState("files cannot be kept: no data directory is set".into())
        })
    }

    fn saved_from(row: SavedReportRow) -> AppResult<SavedReport> {
        let spec = serde_json::from_str(&row.spec)
            .map_err(|e| AppError::Internal(format!("saved report {}: {e}", row.id)))?;
        Ok(SavedReport { row, spec })
    }

    /// The tenant's saved reports, by name.
    pub async fn saved_reports(&self, tenant: TenantId) -> AppResult<Vec<SavedReport>> {
        // One that no longer reads (written by a later version) is left out, not the list.
        Ok(self
            .store()
            .scoped(tenant)
            .saved_reports()
            .await?
            .into_iter()
            .filter_map(|r| {
                App::saved_from(r)
                    .map_err(|e| tracing::error!(tenant = tenant.0, "{e}"))
                    .ok()
            })
            .collect())
    }

    pub async fn saved_report(&self, tenant: TenantId, id: i64) -> AppResult<SavedReport> {
        let row = self
            .store()
            .scoped(tenant)
            .saved_report(id)
            .await?
            .ok_or(AppError::NotFound("saved report"))?;
        App::saved_from(row)
    }

    /// The spec checked, and its schedule's first run after now.
    async fn checked(
        &self,
        tenant: TenantId,
        name: &str,
        spec: &ReportSpec,
    ) -> AppResult<(String, Option<i64>)> {
        crate::config::check_name(name)?;
        let asked = spec.check()?;
        let zone = self.tenant_zone(tenant).await?;
        // A report that cannot be made now is refused now (a range that does not resolve).
        asked.query_at(self.now_ms(), &zone)?;
        let next = match &spec.schedule {
            Some(s) => {
                self.reports_dir()?;
                Some(s.next_after(self.now_ms(), &zone).map_err(invalid)?)
            }
            None => None,
        };
        let json = serde_json::to_string(spec).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((json, next))
    }

    /// Saves a report under `name` for `owner`.
    pub async fn save_report(
        &self,
        tenant: TenantId,
        owner: UserId,
        name: &str,
        spec: &ReportSpec,
    ) -> AppResult<SavedReport> {
        let name = name.trim();
        let (json, next) = self.checked(tenant, name, spec).await?;
        let scoped = self.store().scoped(tenant);
        if scoped.saved_reports().await?.len() >= MAX_SAVED {
            return Err(AppError::invalid(
                "name",
                format!("at most {MAX_SAVED} saved reports; delete one first"),
            ));
        }
        let id = scoped
            .create_saved_report(name, owner, &json, next, self.now_ms())
            .await?;
        self.saved_report(tenant, id).await
    }

    /// Changes a saved report; its schedule starts again from now.
    pub async fn update_saved_report(
        &self,
        tenant: TenantId,
        id: i64,
        name: &str,
        spec: &ReportSpec,
    ) -> AppResult<SavedReport> {
        let name = name.trim();
        self.saved_report(tenant, id).await?;
        let (json, next) = self.checked(tenant, name, spec).await?;
        if !self
            .store()
            .scoped(tenant)
            .update_saved_report(id, name, &json, next, self.now_ms())
            .await?
        {
            return Err(AppError::NotFound("saved report"));
        }
        self.saved_report(tenant, id).await
    }

    /// Deletes a saved report and its files.
    pub async fn delete_saved_report(&self, tenant: TenantId, id: i64) -> AppResult<()> {
        let paths = self
            .store()
            .scoped(tenant)
            .delete_saved_report(id)
            .await?
            .ok_or(AppError::NotFound("saved report"))?;
        self.let_go(&paths).await;
        Ok(())
    }

    /// Removes files no row names any more (a failure is only logged: the file is orphaned,
    /// never named while missing).
    async fn let_go(&self, paths: &[String]) {
        let Ok(root) = self.reports_dir() else { return };
        for p in paths {
            if let Err(e) = tokio::fs::remove_file(root.join(p)).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("a report file not removed: {p}: {e}");
            }
        }
    }

    /// Produces the saved report `id` into a file now (`by`: who asked).
    pub async fn produce_report(
        &self,
        tenant: TenantId,
        id: i64,
        by: UserId,
    ) -> AppResult<ReportFileRow> {
        let saved = self.saved_report(tenant, id).await?;
        self.produce(tenant, &saved, self.now_ms(), Some(by), None)
            .await
    }

    /// Produces `saved` as of `at_ms` into a file, records it (moving its schedule on from
    /// `due`), and lets old files go.
    async fn produce(
        &self,
        tenant: TenantId,
        saved: &SavedReport,
        at_ms: i64,
        by: Option<UserId>,
        due: Option<(i64, Option<i64>)>,
    ) -> AppResult<ReportFileRow> {
        let asked = saved.spec.check()?;
        let zone = self.tenant_zone(tenant).await?;
        let q = asked.query_at(at_ms, &zone)?;
        let root = self.reports_dir()?;
        let report = self.report(tenant, &q).await?;
        if report.rows.len() > MAX_REPORT_ROWS {
            return Err(AppError::invalid(
                "by",
                format!(
                    "{} rows: at most {MAX_REPORT_ROWS}; choose longer periods, fewer keys or a shorter range",
                    report.rows.len()
                ),
            ));
        }
        let labels = self.report_labels(tenant, asked.dim).await?;
        let table = report_table(&report, &asked.metrics, &labels, asked.by);
        let format = asked.format;
        // Off the runtime's threads: a big sheet takes a while.
        let (table, bytes) = tokio::task::spawn_blocking(move || {
            let bytes = sheets::write(&table, format);
            (table, bytes)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
        let bytes = bytes.map_err(|e| AppError::Internal(e.to_string()))?;
        let day = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.to_zoned(zone.clone()).date().to_string())
                .unwrap_or_default()
        };
        let (first, last) = (day(q.from_ms), day(q.to_ms - 1));
        let days = if first == last {
            first.clone()
        } else {
            format!("{first}~{last}")
        };
        let ext = asked.format.extension();
        let now = self.now_ms();
        // Its own name whatever else runs at the same instant.
        let rel = format!(
            "reports/{}/{}/{now}-{}-{}.{ext}",
            tenant.0,
            saved.row.id,
            crate::random_hex(8),
            file_safe(&days)
        );
        let path = root.join(&rel);
        write_whole(&path, &bytes)
            .await
            .map_err(|e| AppError::Internal(format!("the report's file: {e}")))?;
        let mut row = ReportFileRow {
            id: 0,
            saved_id: saved.row.id,
            name: format!("{} {days}.{ext}", file_safe(&saved.row.name)),
            path: rel,
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            produced_ms: now,
            bytes: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            rows: i64::try_from(table.rows.len()).unwrap_or(i64::MAX),
            by_user: by,
        };
        match self
            .store()
            .scoped(tenant)
            .record_report_file(&row, due)
            .await
        {
            Ok(Some((id, old))) => {
                row.id = id;
                self.let_go(&old).await;
                Ok(row)
            }
            Ok(None) => {
                self.let_go(std::slice::from_ref(&row.path)).await;
                Err(AppError::NotFound("saved report"))
            }
            Err(e) => {
                self.let_go(std::slice::from_ref(&row.path)).await;
                Err(e.into())
            }
        }
    }

    /// Produces the tenant's saved reports whose schedule is due; how many. A report that
    /// cannot be produced (its range now too big, a metric gone) is logged and its schedule
    /// moved on, so it does not hold up the others or retry without end.
    pub async fn run_due_reports(&self, tenant: TenantId) -> AppResult<usize> {
        let now = self.now_ms();
        let scoped = self.store().scoped(tenant);
        let due = scoped.due_saved_reports(now, DUE_BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let zone = self.tenant_zone(tenant).await?;
        let mut made = 0;
        for row in due {
            let Some(due_ms) = row.next_run_ms else {
                continue;
            };
            let id = row.id;
            let saved = match App::saved_from(row) {
                Ok(s) => s,
                Err(e) => {
                    // Unreadable: its schedule stops rather than holding up the others.
                    tracing::error!(tenant = tenant.0, id, "a saved report: {e}");
                    scoped.reschedule_saved_report(id, due_ms, None).await?;
                    continue;
                }
            };
            let next_after = |from: i64| {
                saved
                    .spec
                    .schedule
                    .as_ref()
                    .and_then(|s| s.next_after(from, &zone).ok())
            };
            // Runs missed while the center was down are made one a round, each as of when
            // it was due, back to a week ago at most.
            let horizon = now - CATCH_UP_MS;
            if due_ms < horizon {
                scoped
                    .reschedule_saved_report(id, due_ms, next_after(horizon))
                    .await?;
                continue;
            }
            let next = next_after(due_ms);
            match self
                .produce(tenant, &saved, due_ms, None, Some((due_ms, next)))
                .await
            {
                Ok(_) => made += 1,
                // It cannot be made (its range too big now, a metric gone, no data
                // directory): this run is let go.
                Err(
                    e @ (AppError::Invalid { .. }
                    | AppError::NotFound(_)
                    | AppError::InvalidState(_)),
                ) => {
                    tracing::warn!(
                        tenant = tenant.0,
                        id,
                        "a scheduled report not produced: {e}"
                    );
                    scoped.reschedule_saved_report(id, due_ms, next).await?;
                }
                // The store or the disk failed: tried again next round.
                Err(e) => {
                    tracing::error!(tenant = tenant.0, id, "a scheduled report failed: {e}");
                }
            }
        }
        Ok(made)
    }

    /// Produces due saved reports of every tenant every 30 seconds, until the app is
    /// dropped. One tenant's failure is logged and the others go on.
    pub fn start_report_schedules(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.0);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let app = App(inner);
                let tenants = match app.store().tenants().await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!("saved reports: {e}");
                        continue;
                    }
                };
                for t in tenants.iter().filter(|t| t.suspended_at_ms.is_none()) {
                    // Its own task: a panic is one tenant's round lost, not the schedules.
                    let (app, tenant) = (app.clone(), t.id);
                    match tokio::spawn(async move { app.run_due_reports(tenant).await }).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::error!(tenant = tenant.0, "saved reports: {e}"),
                        Err(e) => tracing::error!(tenant = tenant.0, "saved reports: {e}"),
                    }
                }
            }
        })
    }

    /// A saved report's files, newest first.
    pub async fn report_files(
        &self,
        tenant: TenantId,
        saved_id: i64,
    ) -> AppResult<Vec<ReportFileRow>> {
        self.saved_report(tenant, saved_id).await?;
        Ok(self.store().scoped(tenant).report_files(saved_id).await?)
    }

    /// A produced file: its row and its bytes.
    pub async fn report_file(
        &self,
        tenant: TenantId,
        id: i64,
    ) -> AppResult<(ReportFileRow, Vec<u8>)> {
        let row = self
            .store()
            .scoped(tenant)
            .report_file(id)
            .await?
            .ok_or(AppError::NotFound("report file"))?;
        let root = self.reports_dir()?;
        // Only what is under the tenant's own directory, whatever the row says.
        let mine = root.join("reports").join(tenant.0.to_string());
        let path = tokio::fs::canonicalize(root.join(&row.path))
            .await
            .map_err(|_| AppError::NotFound("report file"))?;
        let mine = tokio::fs::canonicalize(&mine)
            .await
            .map_err(|_| AppError::NotFound("report file"))?;
        if !path.starts_with(&mine) {
            return Err(AppError::NotFound("report file"));
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|_| AppError::NotFound("report file"))?;
        Ok((row, bytes))
    }
}

/// Writes `bytes` to `path` whole: a temporary name beside it, flushed to disk, renamed.
async fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let tmp = path.with_extension("part");
    let written = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        // A full disk leaves nothing behind.
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_23_file_names_carry_no_paths() {
        assert_eq!(file_safe("../日报: 1/2 <x>"), ".._日报_ 1_2 _x_");
        assert_eq!(file_safe("a\u{0}b"), "a_b");
    }
}
