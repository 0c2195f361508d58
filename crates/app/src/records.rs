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
        self.events()
            .flush()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let stored = self
            .store()
            .scoped(tenant)
            .events_of_kind(CallEnded::KIND, f.from_ms, f.to_ms, &filters, f.limit)
            .await?;
        Ok(stored.iter().filter_map(|e| self.read(e)).collect())
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
