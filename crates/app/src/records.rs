//! Records read back from the event log, typed: the calls' detail records (CDRs) today,
//! reports' rollups next. A stored event that does not parse as its kind is logged and
//! counted ([`App::unreadable_events`]), never skipped in silence and never read as
//! something else.

use std::sync::atomic::Ordering;

use events::{CallEnded, Payload};
use store::{StoredEvent, TenantId};

use crate::{App, AppError, AppResult};

/// Which CDRs: ended in `[from_ms, to_ms)`, newest first, at most `limit`.
#[derive(Debug, Clone, Default)]
pub struct CdrFilter {
    pub from_ms: i64,
    pub to_ms: i64,
    pub queue: Option<String>,
    pub agent_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// The caller's number as logged (E.164).
    pub caller: Option<String>,
    pub dialled: Option<String>,
    pub call_id: Option<String>,
    /// `answered`, `abandoned`…
    pub outcome: Option<String>,
    /// Arrived in `[from, to)` (what a report counts by: a report's drill-down).
    pub arrived: Option<(i64, i64)>,
    /// Talk time within `[min, max]` ms.
    pub talk_ms: Option<(i64, i64)>,
    /// Wrapped up with this disposition code.
    pub disposition: Option<String>,
    /// Only each call's first part (a transferred call's later parts left out): the
    /// contacts a center-wide count counts.
    pub first_parts: bool,
    pub limit: u32,
}

impl App {
    /// Call detail records, as written when each part of a call ended. Waits for the
    /// events already queued to be written, so a call that just ended is there.
    pub async fn cdrs(&self, tenant: TenantId, f: &CdrFilter) -> AppResult<Vec<CallEnded>> {
        let mut filters = Vec::new();
        if let Some(q) = &f.queue {
            filters.push(("queue", q.clone()));
        }
        if let Some(a) = f.agent_id {
            filters.push(("agent_id", a.to_string()));
        }
        if let Some(c) = f.customer_id {
            filters.push(("customer_id", c.to_string()));
        }
        for (field, v) in [
            ("caller", &f.caller),
            ("dialled", &f.dialled),
            ("call_id", &f.call_id),
            ("outcome", &f.outcome),
        ] {
            if let Some(v) = v {
                filters.push((field, v.clone()));
            }
        }
        let mut ranges = Vec::new();
        if let Some((from, to)) = f.arrived {
            ranges.push(("arrived_at_ms", from, to.saturating_sub(1)));
        }
        if let Some((min, max)) = f.talk_ms {
            ranges.push(("talk_ms", min, max));
        }
        self.events()
            .flush()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let scoped = self.store().scoped(tenant);
        // Later parts are left out as read (old records have no part number to ask by).
        let first = |c: &CallEnded| !f.first_parts || c.segment == 0;
        let Some(code) = &f.disposition else {
            let fetch = if f.first_parts {
                f.limit.saturating_mul(4).min(100_000)
            } else {
                f.limit
            };
            let stored = scoped
                .events_where(
                    CallEnded::KIND,
                    f.from_ms,
                    f.to_ms,
                    &filters,
                    &ranges,
                    fetch,
                )
                .await?;
            return Ok(stored
                .iter()
                .filter_map(|e| self.read::<CallEnded>(e))
                .filter(first)
                .take(f.limit as usize)
                .collect());
        };
        // The calls wrapped up with the code (a wrap-up comes after its call's part ends).
        let wrapped: std::collections::HashSet<String> = scoped
            .events_of_kind(
                events::CallWrapup::KIND,
                f.from_ms,
                f.to_ms.saturating_add(86_400_000),
                &[("disposition", code.clone())],
                100_000,
            )
            .await?
            .iter()
            .filter_map(|e| self.read::<events::CallWrapup>(e))
            .map(|w| w.call_id)
            .collect();
        let stored = scoped
            .events_where(
                CallEnded::KIND,
                f.from_ms,
                f.to_ms,
                &filters,
                &ranges,
                100_000,
            )
            .await?;
        Ok(stored
            .iter()
            .filter_map(|e| self.read::<CallEnded>(e))
            .filter(|c| wrapped.contains(&c.call_id) && first(c))
            .take(f.limit as usize)
            .collect())
    }

    /// Everything the log says about one call, oldest first: its arrival, IVR path,
    /// queueing, rings, transfers, consultations, recordings, wrap-ups, records and survey
    /// — from a day before `around_ms` to a day after.
    pub async fn call_trail(
        &self,
        tenant: TenantId,
        call_id: &str,
        around_ms: i64,
    ) -> AppResult<Vec<(i64, events::Event)>> {
        use events::*;
        let kinds = [
            CallArrived::KIND,
            IvrNode::KIND,
            CallQueued::KIND,
            CallAnnounced::KIND,
            CallbackRequested::KIND,
            CallRinging::KIND,
            CallTransferred::KIND,
            CallConsult::KIND,
            RecordingStarted::KIND,
            RecordingFailed::KIND,
            Voicemail::KIND,
            CallPlaced::KIND,
            CallWrapup::KIND,
            CallEnded::KIND,
            CallSurveyed::KIND,
        ];
        let scoped = self.store().scoped(tenant);
        let filter = [("call_id", call_id.to_string())];
        let (from, to) = (around_ms - 86_400_000, around_ms.saturating_add(86_400_000));
        let mut all = Vec::new();
        for kind in kinds {
            all.extend(scoped.events_of_kind(kind, from, to, &filter, 1000).await?);
        }
        all.sort_by_key(|e| (e.at_ms, e.seq));
        Ok(all
            .iter()
            .filter_map(|e| Some((e.at_ms, self.read_event(e)?)))
            .collect())
    }

    /// The recording of a call's part (`segment`) and its record: only a file among the
    /// tenant's own recordings, however the record names it.
    pub async fn call_recording(
        &self,
        tenant: TenantId,
        call_id: &str,
        segment: u32,
    ) -> AppResult<(std::path::PathBuf, CallEnded)> {
        let cdr = self
            .store()
            .scoped(tenant)
            .events_of_kind(
                CallEnded::KIND,
                0,
                i64::MAX,
                &[("call_id", call_id.to_string())],
                100,
            )
            .await?
            .iter()
            .filter_map(|e| self.read::<CallEnded>(e))
            .find(|c| c.segment == segment)
            .ok_or(AppError::NotFound("call"))?;
        let recorded = cdr
            .recording
            .clone()
            .ok_or(AppError::NotFound("recording"))?;
        let path = self
            .tenant_recording(tenant, &recorded)
            .await
            .ok_or(AppError::NotFound("recording"))?;
        Ok((path, cdr))
    }

    /// `recorded` (as a record names it) if it is a file among the tenant's recordings.
    pub(crate) async fn tenant_recording(
        &self,
        tenant: TenantId,
        recorded: &str,
    ) -> Option<std::path::PathBuf> {
        let root = self.0.files.get()?;
        let mine = root.join("recordings").join(tenant.0.to_string());
        let path = tokio::fs::canonicalize(recorded).await.ok()?;
        let mine = tokio::fs::canonicalize(&mine).await.ok()?;
        path.starts_with(&mine).then_some(path)
    }

    /// The survey verdicts (满意度) on these calls, by call id, from the surveys logged in
    /// `[from_ms, to_ms)`.
    pub async fn survey_scores(
        &self,
        tenant: TenantId,
        call_ids: &std::collections::HashSet<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> AppResult<std::collections::HashMap<String, Option<u8>>> {
        if call_ids.is_empty() {
            return Ok(Default::default());
        }
        let stored = self
            .store()
            .scoped(tenant)
            .events_of_kind(events::CallSurveyed::KIND, from_ms, to_ms, &[], 100_000)
            .await?;
        Ok(stored
            .iter()
            .filter_map(|e| self.read::<events::CallSurveyed>(e))
            .filter(|s| call_ids.contains(s.call_id.as_str()))
            .map(|s| (s.call_id, s.score))
            .collect())
    }

    /// A stored event as its kind `P`; one that does not parse is logged and counted.
    pub fn read<P: Payload>(&self, e: &StoredEvent) -> Option<P> {
        self.readable(e, events::parse::<P>(&e.payload))
    }

    /// A stored event of any kind; one that does not parse is logged and counted.
    pub fn read_event(&self, e: &StoredEvent) -> Option<events::Event> {
        self.readable(e, events::Event::parse(&e.kind, &e.payload))
    }

    fn readable<T>(&self, e: &StoredEvent, parsed: Result<T, events::Unreadable>) -> Option<T> {
        match parsed {
            Ok(p) => Some(p),
            Err(err) => {
                self.0.unreadable.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    tenant = e.tenant.0,
                    seq = e.seq,
                    id = e.id,
                    "unreadable event left out: {err}"
                );
                None
            }
        }
    }

    /// How many stored events did not parse as their kind since the center started.
    pub fn unreadable_events(&self) -> u64 {
        self.0.unreadable.load(Ordering::Relaxed)
    }
}
