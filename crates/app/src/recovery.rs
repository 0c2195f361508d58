//! Coming back from a crash. The log says what was in progress when the center stopped:
//! calls that were live get their final record (outcome `interrupted`) before anything
//! else runs; when each tenant's engine starts again, agents who were signed in are signed
//! in again as they were (ready, or not ready with their reason) and callbacks still owed
//! are queued again. Registrations come back with telephony (the store keeps them).

use std::collections::{HashMap, HashSet};

use acd::{EventKind, Presence};
use events::{CallEnded, Event, Outcome, Payload};
use store::{NewEvent, TenantStore};

use crate::{App, AppResult};

/// How far back the log is read: a call or a sign-in older than this is not in progress.
const HORIZON_MS: i64 = 24 * 3_600_000;
/// Most events of one kind read per tenant.
const SCAN: u32 = 500_000;

/// What a crash left unfinished in one tenant.
#[derive(Debug, Default)]
pub struct Unfinished {
    /// Calls that were live: their final records, to be written.
    pub interrupted: Vec<CallEnded>,
    /// Callbacks asked for and not yet made.
    pub callbacks: Vec<Owed>,
    /// Agents signed in, as they were.
    pub presence: Vec<(i64, Presence)>,
}

/// A callback asked for and not yet made, as the log tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    pub call_id: String,
    /// Normalised when it could be.
    pub caller: String,
    pub customer: Option<i64>,
    pub queue: String,
    pub dialled: String,
    pub ivr_ms: u64,
    pub ivr_path: Vec<String>,
}

/// What recovery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    pub interrupted: usize,
    pub callbacks: usize,
    pub agents: usize,
}

impl App {
    /// Run once at start, before telephony takes any call: every tenant's calls that were
    /// live when the center stopped get their final record (outcome `interrupted`).
    /// Returns how many.
    pub async fn close_interrupted(&self) -> AppResult<usize> {
        let mut closed = 0;
        let now = self.now_ms();
        for tenant in self.store().tenants().await? {
            // One tenant's trouble is logged; the others come back all the same.
            let left = match unfinished(&self.store().scoped(tenant.id), now).await {
                Ok(left) => left,
                Err(e) => {
                    tracing::error!(tenant = tenant.id.0, "calls not closed after a stop: {e}");
                    continue;
                }
            };
            let records: Vec<NewEvent> = left
                .interrupted
                .iter()
                .map(|cdr| NewEvent {
                    tenant: tenant.id,
                    id: CallEnded::id(&cdr.call_id, cdr.segment),
                    at_ms: cdr.ended_at_ms,
                    kind: CallEnded::KIND.into(),
                    payload: cdr.to_value(),
                    order: None,
                    lead: None,
                })
                .collect();
            let n = records.len();
            match self.events().append_all(records).await {
                Ok(()) => closed += n,
                Err(e) => {
                    tracing::error!(tenant = tenant.id.0, "calls not closed after a stop: {e}");
                }
            }
        }
        Ok(closed)
    }

    /// Then, with telephony attached: starts every tenant's engine, which signs its agents
    /// in again and queues its callbacks again (`Center::restore`).
    pub async fn start_centers(&self) -> AppResult<Recovered> {
        let mut done = Recovered::default();
        for tenant in self.store().tenants().await? {
            match self.center(tenant.id, |c| c.restored).await {
                Ok((callbacks, agents)) => {
                    done.callbacks += callbacks;
                    done.agents += agents;
                }
                Err(e) => tracing::error!(tenant = tenant.id.0, "engine not started: {e}"),
            }
        }
        Ok(done)
    }
}

/// What the log tells of a call, and when it was last heard of.
#[derive(Default)]
struct Known {
    arrived_ms: i64,
    last_ms: i64,
    caller: String,
    dialled: String,
    queue: String,
    customer: Option<i64>,
    ivr_ms: u64,
    ivr_path: Vec<String>,
    segment: u32,
    /// When the last part began (its transfer), so a recording of an earlier part is
    /// not taken for the last one's.
    segment_ms: i64,
    offered_to: Option<i64>,
    recording: Option<String>,
    callback: bool,
}

/// The call, if it arrived in the horizon, marked as heard of at `at`.
fn seen<'a>(
    calls: &'a mut HashMap<String, Known>,
    call_id: &str,
    at: i64,
) -> Option<&'a mut Known> {
    let k = calls.get_mut(call_id)?;
    k.last_ms = k.last_ms.max(at);
    Some(k)
}

/// Reads what the log says was in progress at `now`.
pub async fn unfinished(store: &TenantStore<'_>, now: i64) -> AppResult<Unfinished> {
    let since = now - HORIZON_MS;
    let read = |kind: &'static str| async move {
        let rows = store
            .events_of_kind(kind, since, now + 1, &[], SCAN)
            .await?;
        // Oldest first; an event that does not parse was counted where it is read for
        // reports, and is of no use here.
        Ok::<_, store::StoreError>(
            rows.into_iter()
                .rev()
                .filter_map(|e| Event::parse(&e.kind, &e.payload).ok().map(|p| (e.at_ms, p)))
                .collect::<Vec<_>>(),
        )
    };
    let mut ended: HashSet<(String, u32)> = HashSet::new();
    let mut any_record: HashSet<String> = HashSet::new();
    for (_, e) in read(CallEnded::KIND).await? {
        if let Event::CallEnded(c) = e {
            any_record.insert(c.call_id.clone());
            ended.insert((c.call_id, c.segment));
        }
    }
    let mut calls: HashMap<String, Known> = HashMap::new();
    for (at, e) in read(events::CallArrived::KIND).await? {
        if let Event::CallArrived(a) = e {
            let k = calls.entry(a.call_id).or_default();
            (k.arrived_ms, k.last_ms) = (at, at);
            (k.caller, k.dialled) = (a.caller, a.dialled);
        }
    }
    for (at, e) in read(events::CallQueued::KIND).await? {
        if let Event::CallQueued(q) = e
            && let Some(k) = seen(&mut calls, &q.call_id, at)
        {
            (k.queue, k.customer, k.ivr_ms, k.ivr_path) =
                (q.queue, q.customer_id, q.ivr_ms, q.ivr_path);
        }
    }
    for (at, e) in read(events::CallRinging::KIND).await? {
        if let Event::CallRinging(r) = e
            && let Some(k) = seen(&mut calls, &r.call_id, at)
        {
            k.offered_to = Some(r.user_id);
        }
    }
    for (at, e) in read(events::CallTransferred::KIND).await? {
        if let Event::CallTransferred(t) = e
            && let Some(k) = seen(&mut calls, &t.call_id, at)
            && t.segment >= k.segment
        {
            (k.segment, k.segment_ms) = (t.segment, at);
        }
    }
    for (at, e) in read(events::RecordingStarted::KIND).await? {
        if let Event::RecordingStarted(r) = e
            && let Some(k) = seen(&mut calls, &r.call_id, at)
            && at >= k.segment_ms
        {
            k.recording = Some(r.path);
        }
    }
    for (at, e) in read(events::CallbackRequested::KIND).await? {
        if let Event::CallbackRequested(c) = e
            && let Some(k) = seen(&mut calls, &c.call_id, at)
        {
            k.callback = true;
        }
    }
    let mut left = Unfinished::default();
    let mut ids: Vec<&String> = calls.keys().collect();
    ids.sort_by_key(|id| calls[*id].arrived_ms);
    for id in ids {
        let k = &calls[id];
        if k.callback {
            // Owed until its record is written (when the call back ends).
            if !any_record.contains(id) && !k.queue.is_empty() {
                left.callbacks.push(Owed {
                    call_id: id.clone(),
                    caller: phone::normalize(&k.caller, None)
                        .map_or_else(|_| k.caller.clone(), |p| p.as_str().to_string()),
                    customer: k.customer,
                    queue: k.queue.clone(),
                    dialled: k.dialled.clone(),
                    ivr_ms: k.ivr_ms,
                    ivr_path: k.ivr_path.clone(),
                });
            }
            continue;
        }
        if ended.contains(&(id.clone(), k.segment)) {
            continue;
        }
        left.interrupted.push(CallEnded {
            call_id: id.clone(),
            caller: phone::normalize(&k.caller, None)
                .map_or_else(|_| k.caller.clone(), |p| p.as_str().to_string()),
            customer_id: k.customer,
            queue: k.queue.clone(),
            first_queue: k.queue.clone(),
            agent_id: None,
            offered_to: k.offered_to,
            arrived_at_ms: k.arrived_ms,
            answered_at_ms: None,
            ended_at_ms: k.last_ms,
            wait_ms: k.last_ms - k.arrived_ms,
            talk_ms: 0,
            ring_ms: 0,
            hold_ms: 0,
            ivr_ms: k.ivr_ms,
            dialled: k.dialled.clone(),
            recording: k.recording.clone(),
            ended_by: Some("system".into()),
            end_reason: Some("interrupted: the center stopped while the call was live".into()),
            media: None,
            outcome: Outcome::Interrupted,
            segment: k.segment,
            transferred_to: None,
            customer_segment: None,
        });
    }
    // Each agent's last presence.
    let mut presence: HashMap<i64, Presence> = HashMap::new();
    for (_, e) in read("acd.agent_presence").await? {
        if let Event::Acd(a) = e
            && let EventKind::AgentPresence { agent, presence: p } = a.event
        {
            presence.insert(i64::from(agent.0), p);
        }
    }
    let mut presence: Vec<(i64, Presence)> = presence
        .into_iter()
        .filter(|(_, p)| *p != Presence::Offline)
        .collect();
    presence.sort_unstable_by_key(|(u, _)| *u);
    left.presence = presence;
    Ok(left)
}
