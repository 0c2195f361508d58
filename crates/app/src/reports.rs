//! Reports over the event log: each tenant's half-hour rollups folded from the log as it is
//! written (`reports::Fold`), kept in the store with their cursor in one transaction, and
//! read back by period and dimension with the tenant's definitions (`reports::value`).
//!
//! The fold runs behind the log: a background task wakes when events are committed and
//! folds what is new, tenant by tenant (one's failure is logged and the others go on).
//! [`App::rebuild_rollups`] folds a tenant's whole log again from nothing, under the same
//! lock, so the two never interleave.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ::reports::{Components, Dim, Fold, Granularity, Rollup, Settings};
use events::{CallEnded, Payload};
use store::{RollupLevel, RollupRow, TenantId};

use crate::config::{CenterSettings, Document, Queue, Skill, Team};
use crate::{App, AppError, AppResult};

/// Events read from the log a batch.
const BATCH: u32 = 5000;
const DAY_MS: i64 = 86_400_000;

/// A tenant's fold: how far it has read the log, its state, and the tenant's time zone
/// (whose days the daily rollups are).
#[derive(Debug)]
pub(crate) struct Folding {
    seq: i64,
    fold: Fold,
    zone: jiff::tz::TimeZone,
}

/// Each tenant's fold, loaded on first use; `None` after a failed write (reloaded from the
/// store's cursor next time).
pub(crate) type Folds =
    std::sync::Mutex<HashMap<TenantId, Arc<tokio::sync::Mutex<Option<Folding>>>>>;

/// What a report asks for: `[from_ms, to_ms)` grouped by `granularity` and by `dim`'s keys
/// (all of them, or `keys`).
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub from_ms: i64,
    pub to_ms: i64,
    pub granularity: Granularity,
    pub dim: Dim,
    pub keys: Option<Vec<String>>,
}

/// One row of a report: a period (its first instant) and a key, with its components kept
/// packed as the store keeps them (the values that are not zero), the half hours of a
/// day's row sharing its bytes and key: a month of every queue's half hours is then a few
/// megabytes read once, not tens copied.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub period_ms: i64,
    pub key: Arc<str>,
    packed: Arc<[u8]>,
    at: std::ops::Range<usize>,
}

impl PartialEq for ReportRow {
    fn eq(&self, other: &ReportRow) -> bool {
        (self.period_ms, &self.key, self.bytes()) == (other.period_ms, &other.key, other.bytes())
    }
}

impl ReportRow {
    pub fn new(period_ms: i64, key: &str, components: &Components) -> ReportRow {
        let packed: Arc<[u8]> = store::pack(&components.to_vec()).into();
        ReportRow {
            period_ms,
            key: key.into(),
            at: 0..packed.len(),
            packed,
        }
    }

    /// The row's components.
    pub fn components(&self) -> Components {
        unpacked(self.bytes())
    }

    fn bytes(&self) -> &[u8] {
        &self.packed[self.at.clone()]
    }
}

/// Components packed as the store keeps them: a day's sum, or one half hour's slot of a
/// day's row (its indexes taken within the slot).
fn unpacked(bytes: &[u8]) -> Components {
    let mut values = [0; ::reports::SLOT_WIDTH];
    for (i, v) in store::entries(bytes) {
        values[i % ::reports::SLOT_WIDTH] = v;
    }
    Components::from_slice(&values)
}

/// A report: its rows, each key's total over the range, the same for the period before,
/// and the settings its metrics are computed with.
#[derive(Debug, Clone)]
pub struct Report {
    pub zone: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub previous_from_ms: i64,
    pub previous_to_ms: i64,
    pub rows: Vec<ReportRow>,
    /// Per key over the whole range (period = `from_ms`).
    pub totals: Vec<ReportRow>,
    /// Per key over the previous period.
    pub previous: Vec<ReportRow>,
    pub settings: Settings,
    /// The log's events folded so far (the cursor): a report is complete up to there.
    pub folded_seq: i64,
}

/// How a rollup row kept takes a new one of the same level and key in.
pub fn merge(level: RollupLevel, into: &mut Vec<i64>, new: &[i64]) {
    match level {
        RollupLevel::HalfHour => ::reports::merge_halves(into, new),
        RollupLevel::Day => ::reports::merge_sum(into, new),
    }
}

/// A fold's rows for the store: each day's half hours, and each day's sum, in `zone`.
pub fn rows(out: Rollup, zone: &jiff::tz::TimeZone) -> (Vec<RollupRow>, Vec<RollupRow>) {
    let (halves, days) = ::reports::day_rows(out, zone);
    let row = |r: ::reports::DayRow| RollupRow {
        bucket_ms: r.day_ms,
        dim: r.dim.as_str().to_string(),
        key: r.key,
        values: r.values,
    };
    (
        halves.into_iter().map(row).collect(),
        days.into_iter().map(row).collect(),
    )
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    fn fold_slot(&self, tenant: TenantId) -> Arc<tokio::sync::Mutex<Option<Folding>>> {
        let mut folds = self.0.reports.lock().unwrap_or_else(|e| e.into_inner());
        folds.entry(tenant).or_default().clone()
    }

    /// Folds the tenant's events logged since the rollups' cursor; how many were read.
    pub async fn fold_rollups(&self, tenant: TenantId) -> AppResult<u64> {
        let slot = self.fold_slot(tenant);
        let mut folding = slot.lock().await;
        self.fold_locked(tenant, &mut folding).await
    }

    /// Folds the tenant's whole log again into empty rollups (after a change of what the
    /// rollups keep, or to check them); how many events were read.
    pub async fn rebuild_rollups(&self, tenant: TenantId) -> AppResult<u64> {
        let slot = self.fold_slot(tenant);
        let mut folding = slot.lock().await;
        self.store().scoped(tenant).clear_rollups().await?;
        *folding = Some(Folding {
            seq: 0,
            fold: Fold::new(),
            zone: self.tenant_zone(tenant).await?,
        });
        self.fold_locked(tenant, &mut folding).await
    }

    async fn fold_locked(&self, tenant: TenantId, slot: &mut Option<Folding>) -> AppResult<u64> {
        if slot.is_none() {
            *slot = Some(self.load_fold(tenant).await?);
        }
        let mut read = 0;
        while let Some(f) = slot.as_mut() {
            let batch = self
                .store()
                .scoped(tenant)
                .events_after(f.seq, BATCH)
                .await?;
            let Some(last) = batch.last().map(|e| e.seq) else {
                break;
            };
            let mut out = Rollup::default();
            for e in &batch {
                if let Some(ev) = self.read_event(e) {
                    f.fold.apply(&ev, e.at_ms, &mut out);
                }
            }
            let (halves, days) = rows(out, &f.zone);
            let written = self
                .store()
                .scoped(tenant)
                .apply_rollups(&halves, &days, last, &f.fold.state(), &merge)
                .await;
            if let Err(e) = written {
                // The fold moved on in memory but not in the store: start again from the
                // store's cursor.
                *slot = None;
                return Err(e.into());
            }
            f.seq = last;
            read += batch.len() as u64;
            if batch.len() < BATCH as usize {
                break;
            }
        }
        Ok(read)
    }

    /// The fold as the store's cursor left it: the agents' states saved with it, and the
    /// numbers' last contacts from the call records of the repeat window before it.
    async fn load_fold(&self, tenant: TenantId) -> AppResult<Folding> {
        let scoped = self.store().scoped(tenant);
        let zone = self.tenant_zone(tenant).await?;
        let Some((seq, agents)) = scoped.rollup_cursor().await? else {
            return Ok(Folding {
                seq: 0,
                fold: Fold::new(),
                zone,
            });
        };
        let mut fold = Fold::resume(&agents);
        let at = scoped
            .events_after(seq - 1, 1)
            .await?
            .first()
            .map_or(self.now_ms(), |e| e.at_ms);
        let window = i64::from(::reports::REPEAT_DAYS[::reports::REPEAT_DAYS.len() - 1]) * DAY_MS;
        let mut cdrs = scoped
            .events_of_kind(
                CallEnded::KIND,
                at - window - DAY_MS,
                i64::MAX,
                &[],
                u32::MAX,
            )
            .await?;
        cdrs.retain(|e| e.seq <= seq);
        cdrs.sort_by_key(|e| e.seq);
        for e in &cdrs {
            if let Some(c) = self.read::<CallEnded>(e) {
                fold.remember(&c);
            }
        }
        Ok(Folding { seq, fold, zone })
    }

    /// Folds every tenant's new events whenever the log commits (and each second), until
    /// the app is dropped. One tenant's failure is logged and the others are folded.
    pub fn start_rollups(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.0);
        let mut written = self.events().written();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), written.changed())
                    .await;
                let Some(inner) = weak.upgrade() else { return };
                let app = App(inner);
                let tenants = match app.store().tenants().await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!("rollups: {e}");
                        continue;
                    }
                };
                for t in &tenants {
                    if let Err(e) = app.fold_rollups(t.id).await {
                        tracing::error!(tenant = t.id.0, "rollups: {e}");
                    }
                }
            }
        })
    }

    /// The tenant's report definitions: its choices, with the closed loop's window as the
    /// repeat-call window.
    pub async fn report_settings(&self, tenant: TenantId) -> AppResult<Settings> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        let s = item.and_then(|i| crate::config::parse::<CenterSettings>(&i).ok());
        let repeat_days = s
            .as_ref()
            .and_then(|s| s.closed_loop)
            .unwrap_or_default()
            .fcr_days;
        Ok(s.and_then(|s| s.reports)
            .unwrap_or_default()
            .with_repeat_days(repeat_days))
    }

    /// The tenant's time zone.
    pub async fn tenant_zone(&self, tenant: TenantId) -> AppResult<jiff::tz::TimeZone> {
        let t = self
            .store()
            .tenant(tenant)
            .await?
            .ok_or(AppError::NotFound("tenant"))?;
        jiff::tz::TimeZone::get(&t.time_zone).map_err(internal)
    }

    /// A report over the rollups, folded up to the log's latest event first.
    pub async fn report(&self, tenant: TenantId, q: &ReportQuery) -> AppResult<Report> {
        if q.to_ms <= q.from_ms {
            return Err(AppError::invalid("to", "after from"));
        }
        let zone = self.tenant_zone(tenant).await?;
        self.events().flush().await.map_err(internal)?;
        self.fold_rollups(tenant).await?;
        let seq = self
            .store()
            .scoped(tenant)
            .rollup_cursor()
            .await?
            .map_or(0, |c| c.0);
        let settings = self.report_settings(tenant).await?;
        let (pf, pt) = ::reports::previous(q.from_ms, q.to_ms, &zone);
        let scoped = self.store().scoped(tenant);
        // A team's rows are its agents' rows added up; a skill's, the rows of the queues
        // that need it.
        let (dim, groups) = match q.dim {
            Dim::Team => (Dim::Agent, Some(self.team_members(tenant).await?)),
            Dim::Skill => (Dim::Queue, Some(self.skill_queues(tenant).await?)),
            d => (d, None),
        };
        let dim = dim.as_str();
        let member_keys: Option<Vec<String>> = match (&groups, &q.keys) {
            (Some(g), Some(keys)) => Some(
                g.iter()
                    .filter(|(group, _)| keys.contains(group))
                    .flat_map(|(_, m)| m.iter().cloned())
                    .collect(),
            ),
            _ => None,
        };
        let keys = member_keys.as_deref().or(q.keys.as_deref());
        // The keys a row of the store counts under: itself, or the groups it is in.
        let under = |key: &str| -> Vec<String> {
            match &groups {
                None => vec![key.to_string()],
                Some(g) => g
                    .iter()
                    .filter(|(_, m)| m.iter().any(|k| k == key))
                    .map(|(group, _)| group.clone())
                    .collect(),
            }
        };
        // Half hours first (grouped into periods here, in the tenant's zone), then each
        // key's whole range and the previous period.
        // Days and longer from the daily rollups; half hours and hours from the half hours.
        let level = match q.granularity {
            Granularity::HalfHour | Granularity::Hour => RollupLevel::HalfHour,
            _ => RollupLevel::Day,
        };
        // The whole range as one: each key's total is the row.
        // Reports are of whole days (totals add up the days' sums).
        let day_of = |ms: i64| ::reports::period_start(ms, Granularity::Day, &zone, 0);
        if day_of(q.from_ms) != q.from_ms || day_of(q.to_ms) != q.to_ms {
            return Err(AppError::invalid(
                "from",
                "whole days in the tenant's time zone",
            ));
        }
        // Refused before more is read: a report a person can read, in memory it can fit. A
        // read asks for one row past its limit, and more than the limit is refused.
        let limit = |level| match level {
            RollupLevel::HalfHour => (5_000, "days × keys (half hours)"),
            RollupLevel::Day => (400_000, "days × keys"),
        };
        let read = |level, from_ms, to_ms| async move {
            let (limit, per_row) = limit(level);
            let rows = scoped
                .rollup_packed_in(level, dim, from_ms, to_ms, keys, Some(limit + 1))
                .await?;
            if rows.len() > limit {
                return Err(AppError::invalid(
                    "by",
                    format!(
                        "more than {limit} {per_row}; choose longer periods, fewer keys or fewer days"
                    ),
                ));
            }
            Ok(rows)
        };
        let direct_halves = q.granularity == Granularity::HalfHour && groups.is_none();
        let read_from = day_of(q.from_ms);
        let stored = if q.granularity == Granularity::Total {
            Vec::new()
        } else {
            read(level, read_from, q.to_ms).await?
        };
        // Half hours of single keys need no adding up: each day's rows (by key) give their
        // half hours with something in them, each kept as the bytes the store keeps it in,
        // put in order half hour by half hour.
        let mut direct: Vec<ReportRow> = Vec::new();
        let mut sums: BTreeMap<String, Components> = BTreeMap::new();
        let mut periods: BTreeMap<(i64, String), Components> = BTreeMap::new();
        let slot_of = |i: usize| i / ::reports::SLOT_WIDTH;
        if direct_halves {
            // About the hours a center is open, sized once.
            direct.reserve(stored.len() * 32);
            for day in stored.chunk_by(|a, b| a.bucket_ms == b.bucket_ms) {
                // Each key's half hours in order; taken half hour by half hour across the
                // keys (in key order). Read once: each key's day sum is added up as its
                // values are read.
                let day_ms = day[0].bucket_ms;
                let half_hour = |i: usize| {
                    let slot = slot_of(i);
                    let b = day_ms + slot as i64 * ::reports::HALF_HOUR_MS;
                    // Past a day's slots is not a half hour of the day: not a row as kept.
                    (slot < ::reports::SLOTS && (q.from_ms..q.to_ms).contains(&b)).then_some(b)
                };
                // Each key's row, shared by its half hours.
                let shared: Vec<(Arc<str>, Arc<[u8]>)> = day
                    .iter()
                    .map(|r| (r.key.as_str().into(), r.data.as_slice().into()))
                    .collect();
                let mut day_sums = vec![[0; ::reports::SLOT_WIDTH]; day.len()];
                let mut halves: Vec<_> = shared
                    .iter()
                    .zip(&mut day_sums)
                    .map(|((_, data), sum)| {
                        store::parts(data, slot_of, move |i, v| {
                            if half_hour(i).is_some() {
                                Components::merge_value(sum, i % ::reports::SLOT_WIDTH, v);
                            }
                        })
                        .peekable()
                    })
                    .collect();
                while let Some(slot) = halves
                    .iter_mut()
                    .filter_map(|h| h.peek().map(|x| x.0))
                    .min()
                {
                    let at = half_hour(slot * ::reports::SLOT_WIDTH);
                    for (k, h) in halves.iter_mut().enumerate() {
                        if let Some((_, range)) = h.next_if(|x| x.0 == slot)
                            && let Some(b) = at
                        {
                            let (key, packed) = &shared[k];
                            direct.push(ReportRow {
                                period_ms: b,
                                key: key.clone(),
                                packed: packed.clone(),
                                at: range,
                            });
                        }
                    }
                }
                drop(halves);
                for (r, s) in day.iter().zip(&day_sums) {
                    sums.entry(r.key.clone())
                        .or_default()
                        .merge(&Components::from_slice(s));
                }
            }
        } else {
            for r in &stored {
                let mut add = |at: i64, c: &Components| {
                    let p = ::reports::period_start(at, q.granularity, &zone, q.from_ms);
                    for key in under(&r.key) {
                        periods.entry((p, key)).or_default().merge(c);
                    }
                };
                if level == RollupLevel::Day {
                    add(r.bucket_ms, &unpacked(&r.data));
                    continue;
                }
                for (slot, range) in store::parts(&r.data, slot_of, |_, _| ()) {
                    let b = r.bucket_ms + slot as i64 * ::reports::HALF_HOUR_MS;
                    if slot < ::reports::SLOTS && (q.from_ms..q.to_ms).contains(&b) {
                        add(b, &unpacked(&r.data[range]));
                    }
                }
            }
        }
        let by_key = |rows: Vec<store::PackedRow>, at: i64| -> Vec<ReportRow> {
            let mut keyed: BTreeMap<String, Components> = BTreeMap::new();
            for r in &rows {
                let c = unpacked(&r.data);
                for key in under(&r.key) {
                    keyed.entry(key).or_default().merge(&c);
                }
            }
            keyed
                .into_iter()
                .map(|(key, c)| ReportRow::new(at, &key, &c))
                .collect()
        };
        let totals = if direct_halves {
            // The half hours just read add up to the days' sums: no second read.
            std::mem::take(&mut sums)
                .into_iter()
                .map(|(key, c)| ReportRow::new(q.from_ms, &key, &c))
                .collect()
        } else {
            by_key(read(RollupLevel::Day, q.from_ms, q.to_ms).await?, q.from_ms)
        };
        let previous = by_key(read(RollupLevel::Day, pf, pt).await?, pf);
        if q.granularity == Granularity::Total {
            for t in &totals {
                periods.insert((q.from_ms, t.key.to_string()), t.components());
            }
        }
        Ok(Report {
            zone: zone.iana_name().unwrap_or("UTC").to_string(),
            from_ms: q.from_ms,
            to_ms: q.to_ms,
            previous_from_ms: pf,
            previous_to_ms: pt,
            rows: if direct.is_empty() {
                periods
                    .into_iter()
                    .map(|((period_ms, key), c)| ReportRow::new(period_ms, &key, &c))
                    .collect()
            } else {
                direct
            },
            totals,
            previous,
            settings,
            folded_seq: seq,
        })
    }

    /// Each team's members (user ids as keys), by team key, as configured now.
    pub async fn team_members(&self, tenant: TenantId) -> AppResult<Vec<(String, Vec<String>)>> {
        Ok(self
            .store()
            .scoped(tenant)
            .config_items(Team::KIND)
            .await?
            .into_iter()
            .filter_map(|i| {
                let t = crate::config::parse::<Team>(&i).ok()?;
                Some((i.key, t.members.iter().map(|m| m.to_string()).collect()))
            })
            .collect())
    }

    /// Each skill's queues (those that need it), by skill key, as configured now.
    pub async fn skill_queues(&self, tenant: TenantId) -> AppResult<Vec<(String, Vec<String>)>> {
        let mut by_skill: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for i in self
            .store()
            .scoped(tenant)
            .config_items(Queue::KIND)
            .await?
        {
            if let Ok(q) = crate::config::parse::<Queue>(&i) {
                for need in q.skills {
                    by_skill.entry(need.skill).or_default().push(i.key.clone());
                }
            }
        }
        Ok(by_skill.into_iter().collect())
    }

    /// The star ranking's weights: the tenant's, or the defaults.
    pub async fn ranking_weights(&self, tenant: TenantId) -> AppResult<Vec<::reports::Weight>> {
        let item = self
            .store()
            .scoped(tenant)
            .config_item(CenterSettings::KIND, "center")
            .await?;
        Ok(item
            .and_then(|i| crate::config::parse::<CenterSettings>(&i).ok())
            .and_then(|s| s.reports)
            .and_then(|r| r.ranking)
            .unwrap_or_else(::reports::default_weights))
    }

    /// Agents (or teams) of `[from_ms, to_ms)` ranked by the tenant's weights (星级员工):
    /// the ranking, its weights, and each key's components.
    pub async fn ranking(
        &self,
        tenant: TenantId,
        from_ms: i64,
        to_ms: i64,
        dim: Dim,
    ) -> AppResult<(Vec<::reports::Ranked>, Vec<::reports::Weight>, Report)> {
        if !matches!(dim, Dim::Agent | Dim::Team) {
            return Err(AppError::invalid("by", "agent or team"));
        }
        let q = ReportQuery {
            from_ms,
            to_ms,
            granularity: Granularity::Total,
            dim,
            keys: None,
        };
        let report = self.report(tenant, &q).await?;
        let weights = self.ranking_weights(tenant).await?;
        let rows: Vec<(String, Components)> = report
            .totals
            .iter()
            .map(|r| (r.key.to_string(), r.components()))
            .filter(|(_, c)| c.answered > 0 || c.staffed_ms > 0)
            .collect();
        let ranked = ::reports::rank(&rows, &weights, &report.settings);
        Ok((ranked, weights, report))
    }

    /// Names for a dimension's keys where it has them: queues' names, agents' display
    /// names, wrap-up codes' Chinese names.
    pub async fn report_labels(
        &self,
        tenant: TenantId,
        dim: Dim,
    ) -> AppResult<HashMap<String, String>> {
        let scoped = self.store().scoped(tenant);
        Ok(match dim {
            Dim::Queue => scoped
                .config_items(Queue::KIND)
                .await?
                .into_iter()
                .filter_map(|i| {
                    let q = crate::config::parse::<Queue>(&i).ok()?;
                    Some((i.key, q.name))
                })
                .collect(),
            Dim::Agent => scoped
                .users()
                .await?
                .into_iter()
                .map(|u| (u.id.0.to_string(), u.display_name))
                .collect(),
            Dim::Team => scoped
                .config_items(Team::KIND)
                .await?
                .into_iter()
                .filter_map(|i| {
                    let t = crate::config::parse::<Team>(&i).ok()?;
                    Some((i.key, t.name))
                })
                .collect(),
            Dim::Skill => scoped
                .config_items(Skill::KIND)
                .await?
                .into_iter()
                .filter_map(|i| {
                    let s = crate::config::parse::<Skill>(&i).ok()?;
                    Some((i.key, s.name))
                })
                .collect(),
            Dim::OrderGroup => scoped
                .config_items(tickets::Group::KIND)
                .await?
                .into_iter()
                .filter_map(|i| {
                    let g = crate::config::parse::<tickets::Group>(&i).ok()?;
                    Some((i.key, g.name))
                })
                .collect(),
            Dim::Journey => leads::Journey::ALL
                .into_iter()
                .map(|j| (j.as_str().to_string(), j.zh().to_string()))
                .collect(),
            Dim::Segment => store::Segment::ALL
                .into_iter()
                .map(|s| (s.as_str().to_string(), s.zh().to_string()))
                .collect(),
            Dim::Disposition => scoped
                .config_item(CenterSettings::KIND, "center")
                .await?
                .and_then(|i| crate::config::parse::<CenterSettings>(&i).ok())
                .unwrap_or_else(CenterSettings::defaults)
                .dispositions
                .into_iter()
                .map(|d| (d.code, d.name_zh))
                .collect(),
            _ => HashMap::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use store::RollupLevel;

    /// A row kept takes a new one in field by field, the longest wait by maximum.
    #[test]
    fn issue_23_rows_merge_as_components_do() {
        let a = ::reports::Components {
            offered: 2,
            max_wait_ms: 9000,
            ..Default::default()
        };
        let b = ::reports::Components {
            offered: 3,
            max_wait_ms: 4000,
            answered_in: [1; ::reports::THRESHOLDS_S.len()],
            ..Default::default()
        };
        let mut kept = a.to_vec();
        super::merge(RollupLevel::Day, &mut kept, &b.to_vec());
        let mut want = a.clone();
        want.merge(&b);
        assert_eq!(::reports::Components::from_slice(&kept), want);
        assert_eq!((want.offered, want.max_wait_ms), (5, 9000));
    }
}
