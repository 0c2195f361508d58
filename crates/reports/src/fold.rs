//! The rollups as a fold over the event log: each event, taken in the log's order, adds to
//! rows keyed by half hour, dimension and key. A call counts in the half hour it arrived in
//! (so its record, written when it ends, may add to an earlier half hour: late events are
//! re-bucketed by their own times); an agent's time in a state is split across the half
//! hours it spans.
//!
//! The fold keeps three things between events: each agent's current state and each call's
//! last IVR node while it is in the IVR (small; saved with the rollups' cursor,
//! [`Fold::state`]), and each number's last contact for the repeat-call measures (rebuilt on
//! start from the last [`REPEAT_DAYS`] of call records by [`Fold::remember`]).

use std::collections::{BTreeMap, HashMap};

use events::{AcdEvent, CallEnded, Event, LeadChanged, OrderChanged, Outcome};
use serde::{Deserialize, Serialize};

use crate::components::{Components, REPEAT_DAYS, THRESHOLDS_S};

pub const HALF_HOUR_MS: i64 = 30 * 60 * 1000;
const DAY_MS: i64 = 24 * 3_600_000;
/// The longest state an agent's time counts (see `agent_time`).
const MAX_SPAN_MS: i64 = 31 * DAY_MS;

/// The half hour `at_ms` falls in, as its first instant (UTC-aligned: a half hour is one in
/// every time zone whose offset is a whole half hour).
pub fn bucket(at_ms: i64) -> i64 {
    at_ms.div_euclid(HALF_HOUR_MS) * HALF_HOUR_MS
}

/// What a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    /// The whole center (key empty): each customer contact once.
    All,
    /// A queue by key.
    Queue,
    /// An agent by user id.
    Agent,
    /// The number dialled.
    Dialled,
    /// An IVR node (`flow/node`… as logged).
    IvrNode,
    /// A wrap-up's disposition code.
    Disposition,
    /// A not-ready reason (agents' time).
    Reason,
    /// An agent's not-ready reason: `user_id:reason`.
    AgentReason,
    /// A step in the IVR from one node to the next: `from>to` (the IVR funnel).
    IvrEdge,
    /// A team by key: not a row of its own, its agents' rows added up when read (by the
    /// teams as configured then).
    Team,
    /// The known caller's customer segment (`large_account`, `general`…), of calls whose
    /// caller was known as they arrived.
    Segment,
    /// A work order's handling group (orders' measures).
    OrderGroup,
    /// A skill by key: not a row of its own, the rows of the queues that need it added up
    /// when read (by the queues as configured then).
    Skill,
    /// The customer's journey stage (`search`, `select`, `buy`, `receive`, `return`; R3.5)
    /// an agent tagged a wrap-up, an order or a lead with.
    Journey,
}

impl Dim {
    pub const ALL: [Dim; 14] = [
        Dim::All,
        Dim::Queue,
        Dim::Agent,
        Dim::Dialled,
        Dim::IvrNode,
        Dim::Disposition,
        Dim::Reason,
        Dim::AgentReason,
        Dim::IvrEdge,
        Dim::Team,
        Dim::Segment,
        Dim::OrderGroup,
        Dim::Skill,
        Dim::Journey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Queue => "queue",
            Dim::Agent => "agent",
            Dim::Dialled => "dialled",
            Dim::IvrNode => "ivr_node",
            Dim::Disposition => "disposition",
            Dim::Reason => "reason",
            Dim::AgentReason => "agent_reason",
            Dim::IvrEdge => "ivr_edge",
            Dim::Team => "team",
            Dim::Segment => "segment",
            Dim::OrderGroup => "order_group",
            Dim::Skill => "skill",
            Dim::Journey => "journey",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A rollup row's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RowKey {
    pub bucket_ms: i64,
    pub dim: Dim,
    pub key: String,
}

/// Rows the fold added to (or a whole rollup): merged by key.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rollup(pub BTreeMap<RowKey, Components>);

impl Rollup {
    fn row(&mut self, bucket_ms: i64, dim: Dim, key: impl Into<String>) -> &mut Components {
        self.0
            .entry(RowKey {
                bucket_ms: bucket(bucket_ms),
                dim,
                key: key.into(),
            })
            .or_default()
    }

    /// Merges another rollup into this one.
    pub fn merge(&mut self, other: &Rollup) {
        for (k, v) in &other.0 {
            self.0.entry(k.clone()).or_default().merge(v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// An agent's state as the fold follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSpan {
    /// `offline`, `ready`, `reserved`, `talking`, `hold`, `after_call_work`, `not_ready`.
    pub state: String,
    /// The not-ready reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub since_ms: i64,
    /// The queue of the agent's last answered call: their after-call work counts there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
}

/// A number's last contact, for the repeat measures.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LastContact {
    arrived_ms: i64,
    answered: bool,
    queue: String,
    agent: Option<i64>,
    dialled: String,
    segment: Option<String>,
}

/// What the fold saves with the cursor.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    #[serde(default)]
    agents: BTreeMap<i64, AgentSpan>,
    /// Calls in the IVR: their last node and when they reached it.
    #[serde(default)]
    ivr: BTreeMap<String, (String, i64)>,
}

/// The fold's state between events.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Fold {
    agents: BTreeMap<i64, AgentSpan>,
    ivr: BTreeMap<String, (String, i64)>,
    callers: HashMap<String, LastContact>,
    /// Inserts since the last pruning of numbers not heard from in the repeat window.
    inserted: usize,
}

impl Fold {
    pub fn new() -> Fold {
        Fold::default()
    }

    /// The agents' states and the calls in the IVR, to save with the cursor.
    pub fn state(&self) -> String {
        let saved = Saved {
            agents: self.agents.clone(),
            ivr: self.ivr.clone(),
        };
        serde_json::to_string(&saved).unwrap_or_else(|_| "{}".into())
    }

    /// A fold resumed from a saved [`Fold::state`] (an unreadable one starts empty: an
    /// agent's next change starts a span); numbers' last contacts are then
    /// [`Fold::remember`]ed.
    pub fn resume(state: &str) -> Fold {
        let saved: Saved = serde_json::from_str(state).unwrap_or_default();
        Fold {
            agents: saved.agents,
            ivr: saved.ivr,
            ..Fold::default()
        }
    }

    /// Takes a call record already folded, to know its number's last contact (on start, the
    /// records of the last [`REPEAT_DAYS`] days, oldest first).
    pub fn remember(&mut self, cdr: &CallEnded) {
        if let Some((number, this)) = contact(cdr) {
            self.keep(number, this);
        }
    }

    /// Keeps `this` as the number's last contact unless a later one is known (records come
    /// as calls end, not as they arrive).
    fn keep(&mut self, number: String, this: LastContact) {
        match self.callers.get_mut(&number) {
            Some(last) if last.arrived_ms > this.arrived_ms => {}
            Some(last) => *last = this,
            None => {
                self.callers.insert(number, this);
                self.inserted += 1;
            }
        }
    }

    /// Folds one event logged at `at_ms`, adding to `out`.
    pub fn apply(&mut self, event: &Event, at_ms: i64, out: &mut Rollup) {
        match event {
            Event::CallEnded(cdr) => self.call(cdr, out),
            Event::OrderChanged(o) => order(o, at_ms, out),
            Event::Acd(a) => self.engine(a, at_ms, out),
            Event::CallSurveyed(s) => {
                if let Some(score) = s.score {
                    for (dim, key) in [
                        (Dim::All, String::new()),
                        (Dim::Agent, s.agent_id.to_string()),
                    ] {
                        let r = out.row(at_ms, dim, key);
                        r.surveys += 1;
                        r.survey_score_sum += i64::from(score);
                        r.survey_satisfied += i64::from(score >= 4);
                    }
                }
            }
            Event::KbSolved(k) => {
                let mut dims = vec![
                    (Dim::All, String::new()),
                    (Dim::Agent, k.user_id.to_string()),
                ];
                if let Some(q) = &k.queue {
                    dims.push((Dim::Queue, q.clone()));
                }
                for (dim, key) in dims {
                    out.row(at_ms, dim, key).kb_solved += 1;
                }
            }
            Event::CallWrapup(w) => {
                out.row(at_ms, Dim::Disposition, w.disposition.clone())
                    .wrapups += 1;
                out.row(at_ms, Dim::All, "").wrapups += 1;
                if let Some(j) = &w.journey {
                    out.row(at_ms, Dim::Journey, j.clone()).wrapups += 1;
                }
            }
            Event::LeadChanged(l) => lead(l, at_ms, out),
            Event::IvrNode(n) => {
                out.row(at_ms, Dim::IvrNode, n.node.clone()).ivr_visits += 1;
                let last = self.ivr.insert(n.call_id.clone(), (n.node.clone(), at_ms));
                if let Some((from, _)) = last {
                    out.row(at_ms, Dim::IvrEdge, format!("{from}>{}", n.node))
                        .ivr_visits += 1;
                }
                // Calls whose record never came (a crash) are forgotten after a day.
                if self.ivr.len() > 4096 {
                    self.ivr.retain(|_, (_, at)| *at >= at_ms - DAY_MS);
                }
            }
            _ => {}
        }
    }

    fn call(&mut self, c: &CallEnded, out: &mut Rollup) {
        call_rows(c, out);
        // Where the caller left the IVR: hung up there, or went on (to a queue…).
        if c.segment == 0
            && let Some((node, _)) = self.ivr.remove(&c.call_id)
        {
            let r = out.row(c.arrived_at_ms, Dim::IvrNode, node);
            if c.outcome == Outcome::Ivr {
                r.ivr_ended += 1;
            } else {
                r.ivr_passed += 1;
            }
        }
        self.repeat(c, out);
    }

    /// The repeat measures: this contact is a repeat of the number's last one within each
    /// window, and that one (if answered) was called about again.
    fn repeat(&mut self, c: &CallEnded, out: &mut Rollup) {
        let Some((number, this)) = contact(c) else {
            return;
        };
        if let Some(last) = self.callers.get(&number) {
            let gap = this.arrived_ms.saturating_sub(last.arrived_ms);
            if gap > 0 {
                for (i, days) in REPEAT_DAYS.iter().enumerate() {
                    if gap > i64::from(*days) * DAY_MS {
                        continue;
                    }
                    for (dim, key) in this.dims() {
                        out.row(this.arrived_ms, dim, key).repeat_in[i] += 1;
                    }
                    if last.answered {
                        for (dim, key) in last.dims() {
                            out.row(last.arrived_ms, dim, key).recalled_in[i] += 1;
                        }
                    }
                }
            }
        }
        self.keep(number, this);
        // Numbers not heard from in the longest window (and a day more: a record comes as
        // its call ends, after later calls' arrivals) count no more; forget them now and
        // then.
        if self.inserted > 4096 && self.inserted > self.callers.len() / 2 {
            let window = i64::from(REPEAT_DAYS[REPEAT_DAYS.len() - 1]) + 1;
            let horizon = c.arrived_at_ms - window * DAY_MS;
            self.callers.retain(|_, l| l.arrived_ms >= horizon);
            self.inserted = 0;
        }
    }

    fn engine(&mut self, a: &AcdEvent, at_ms: i64, out: &mut Rollup) {
        use acd::EventKind as K;
        let Some(user) = a.user_id.map(i64::from) else {
            return;
        };
        match a.event {
            K::CallAnswered { .. } => {
                if let Some(span) = self.agents.get_mut(&user) {
                    span.queue = a.queue_key.clone();
                } else {
                    self.agents.insert(
                        user,
                        AgentSpan {
                            state: "talking".into(),
                            reason: None,
                            since_ms: at_ms,
                            queue: a.queue_key.clone(),
                        },
                    );
                }
            }
            K::AgentState { state, .. } => {
                let (name, reason) = state_name(state);
                let queue = match self.agents.remove(&user) {
                    Some(span) => {
                        agent_time(out, user, &span, at_ms);
                        span.queue
                    }
                    None => None,
                };
                self.agents.insert(
                    user,
                    AgentSpan {
                        state: name.into(),
                        reason,
                        since_ms: at_ms,
                        queue,
                    },
                );
            }
            _ => {}
        }
    }
}

/// What one call record adds, apart from the repeat measures (which need the numbers'
/// history): also how the floor counts a call still in progress, as if it ended now.
pub fn call_rows(c: &CallEnded, out: &mut Rollup) {
    let at = c.arrived_at_ms;
    match c.outcome {
        Outcome::Outbound | Outcome::CallbackDone => {
            let mut dims = vec![(Dim::All, String::new())];
            dims.extend(c.agent_id.map(|a| (Dim::Agent, a.to_string())));
            for (dim, key) in dims {
                let r = out.row(at, dim, key);
                r.outbound += 1;
                if c.answered_at_ms.is_some() {
                    r.outbound_answered += 1;
                    r.outbound_talk_ms += c.talk_ms;
                }
            }
        }
        Outcome::Ivr => {
            let mut dims = vec![(Dim::All, String::new())];
            if !c.dialled.is_empty() {
                dims.push((Dim::Dialled, c.dialled.clone()));
            }
            dims.extend(c.customer_segment.clone().map(|s| (Dim::Segment, s)));
            for (dim, key) in dims {
                let r = out.row(at, dim, key);
                r.ivr_ended += 1;
                r.ivr_ms += i64::try_from(c.ivr_ms).unwrap_or(0);
            }
        }
        _ => {
            // The center counts each customer contact once: a transfer's later part
            // counts as transferred in, with its talk, not as a new contact.
            part(out.row(at, Dim::All, ""), c, c.segment == 0);
            if let Some(s) = &c.customer_segment {
                part(out.row(at, Dim::Segment, s.clone()), c, c.segment == 0);
            }
            let overflowed = !c.first_queue.is_empty() && c.first_queue != c.queue;
            if overflowed {
                let r = out.row(at, Dim::Queue, c.first_queue.clone());
                r.offered += 1;
                r.flowed_out += 1;
            }
            if !c.queue.is_empty() {
                let r = out.row(at, Dim::Queue, c.queue.clone());
                part(r, c, true);
                r.overflow_in += i64::from(overflowed);
            }
            if let Some(agent) = c.agent_id {
                part(out.row(at, Dim::Agent, agent.to_string()), c, true);
            }
            if c.segment == 0 && !c.dialled.is_empty() {
                part(out.row(at, Dim::Dialled, c.dialled.clone()), c, true);
            }
        }
    }
}

/// A part of a queued call added to one row. `contact`: counted as a contact (offered and
/// its outcome) — not for the center-wide row's later parts of a transfer.
fn part(r: &mut Components, c: &CallEnded, contact: bool) {
    let wait = c.wait_ms.max(0);
    if contact {
        r.offered += 1;
        match c.outcome {
            Outcome::Answered => {}
            Outcome::Abandoned => {
                r.abandoned += 1;
                r.wait_abandoned_ms += wait;
                r.max_wait_ms = r.max_wait_ms.max(wait);
                for (i, t) in THRESHOLDS_S.iter().enumerate() {
                    r.abandoned_in[i] += i64::from(wait <= i64::from(*t) * 1000);
                }
            }
            Outcome::Callback => r.callback_requested += 1,
            Outcome::Voicemail => r.voicemail += 1,
            Outcome::Disconnected => r.disconnected += 1,
            Outcome::Overflowed => r.flowed_out += 1,
            // Answered before the center stopped: answered.
            Outcome::Interrupted => r.interrupted += i64::from(c.answered_at_ms.is_none()),
            Outcome::Ivr | Outcome::Outbound | Outcome::CallbackDone => {}
        }
    }
    // An answered part: an interrupted call that was answered counts its talk too.
    if c.answered_at_ms.is_some() {
        if contact {
            r.answered += 1;
            r.wait_answered_ms += wait;
            r.max_wait_ms = r.max_wait_ms.max(wait);
            for (i, t) in THRESHOLDS_S.iter().enumerate() {
                r.answered_in[i] += i64::from(wait <= i64::from(*t) * 1000);
            }
        }
        r.talk_ms += c.talk_ms.max(0);
        r.hold_ms += c.hold_ms.max(0);
        r.ring_ms += c.ring_ms.max(0);
    }
    r.ivr_ms += i64::try_from(c.ivr_ms).unwrap_or(0);
    if c.transferred_to.as_deref().is_some_and(|t| t != "survey") {
        r.transferred_out += 1;
    }
    r.transferred_in += i64::from(c.segment > 0);
}

/// A customer's contact for the repeat measures: inbound first parts with a number.
fn contact(c: &CallEnded) -> Option<(String, LastContact)> {
    let inbound = !matches!(c.outcome, Outcome::Outbound | Outcome::CallbackDone);
    (inbound && c.segment == 0 && !c.caller.is_empty()).then(|| {
        (
            c.caller.clone(),
            LastContact {
                arrived_ms: c.arrived_at_ms,
                answered: c.answered_at_ms.is_some(),
                queue: c.queue.clone(),
                agent: c.agent_id,
                dialled: c.dialled.clone(),
                segment: c.customer_segment.clone(),
            },
        )
    })
}

impl LastContact {
    fn dims(&self) -> Vec<(Dim, String)> {
        let mut d = vec![(Dim::All, String::new())];
        if !self.queue.is_empty() {
            d.push((Dim::Queue, self.queue.clone()));
        }
        if let Some(a) = self.agent {
            d.push((Dim::Agent, a.to_string()));
        }
        if !self.dialled.is_empty() {
            d.push((Dim::Dialled, self.dialled.clone()));
        }
        if let Some(s) = &self.segment {
            d.push((Dim::Segment, s.clone()));
        }
        d
    }
}

/// A work order's change: taken in, resolved (on time or not), closed after its resolution
/// (by a callback that reached the customer: the loop closed; or not), in the center's row
/// and its handling group's, in the half hour it happened.
fn order(o: &OrderChanged, at_ms: i64, out: &mut Rollup) {
    let mut dims = vec![(Dim::All, String::new())];
    dims.extend(
        o.group
            .clone()
            .filter(|g| !g.is_empty())
            .map(|g| (Dim::OrderGroup, g)),
    );
    dims.extend(o.journey.clone().map(|j| (Dim::Journey, j)));
    // The loop an order owes its customer ends by a callback (reached or not) or a
    // manager's override; one closed as it was resolved owed none.
    let closed = o.to == "closed"
        && o.from != "closed"
        && matches!(
            o.action.as_str(),
            "callback" | "callback_missed" | "override"
        );
    for (dim, key) in dims {
        let r = out.row(at_ms, dim, key);
        match o.action.as_str() {
            "create" => r.orders_created += 1,
            "resolve" => {
                r.orders_resolved += 1;
                r.orders_timed += i64::from(o.on_time.is_some());
                r.orders_on_time += i64::from(o.on_time == Some(true));
            }
            _ => {}
        }
        if closed {
            r.orders_closed += 1;
            r.orders_closed_loop += i64::from(o.action == "callback");
        }
    }
}

/// A lead captured or won, in the center's row and its journey stage's.
fn lead(l: &LeadChanged, at_ms: i64, out: &mut Rollup) {
    if !matches!(l.action.as_str(), "capture" | "win") {
        return;
    }
    let mut dims = vec![(Dim::All, String::new())];
    dims.extend(l.journey.clone().map(|j| (Dim::Journey, j)));
    for (dim, key) in dims {
        let r = out.row(at_ms, dim, key);
        if l.action == "capture" {
            r.leads_captured += 1;
        } else {
            r.leads_won += 1;
            r.leads_won_fen += l.amount.unwrap_or(0);
        }
    }
}

/// The state's name and its not-ready reason.
fn state_name(s: acd::AgentState) -> (&'static str, Option<String>) {
    use acd::AgentState as S;
    match s {
        S::Offline => ("offline", None),
        S::Ready => ("ready", None),
        S::Reserved => ("reserved", None),
        S::Talking => ("talking", None),
        S::Hold => ("hold", None),
        S::AfterCallWork => ("after_call_work", None),
        S::NotReady(r) => ("not_ready", Some(reason_name(r))),
    }
}

/// A not-ready reason as reports name it: `break`, `meal`… or `other:<code>`.
pub fn reason_name(r: acd::Reason) -> String {
    use acd::Reason as R;
    match r {
        R::Break => "break".into(),
        R::Meal => "meal".into(),
        R::Training => "training".into(),
        R::Meeting => "meeting".into(),
        R::Away => "away".into(),
        R::Missed => "missed".into(),
        R::Other(n) => format!("other:{n}"),
    }
}

/// An agent's closed span of a state, split across the half hours it covers.
fn agent_time(out: &mut Rollup, user: i64, span: &AgentSpan, end_ms: i64) {
    if span.state == "offline" {
        return;
    }
    // A span longer than a month (a clock gone wrong, an agent never signed out) counts its
    // last month only: bounded work and rows whatever the log says.
    let mut from = span.since_ms.max(end_ms.saturating_sub(MAX_SPAN_MS));
    while from < end_ms {
        let to = bucket(from).saturating_add(HALF_HOUR_MS).min(end_ms);
        let ms = to - from;
        let mut rows = vec![(Dim::All, String::new()), (Dim::Agent, user.to_string())];
        if let Some(reason) = &span.reason {
            rows.push((Dim::Reason, reason.clone()));
            rows.push((Dim::AgentReason, format!("{user}:{reason}")));
        }
        for (dim, key) in rows {
            let r = out.row(from, dim, key);
            r.staffed_ms += ms;
            match span.state.as_str() {
                "ready" => r.ready_ms += ms,
                "reserved" => r.reserved_ms += ms,
                "talking" => r.talking_ms += ms,
                "hold" => r.holding_ms += ms,
                "after_call_work" => r.acw_ms += ms,
                _ => r.not_ready_ms += ms,
            }
        }
        if span.state == "after_call_work"
            && let Some(q) = &span.queue
        {
            out.row(from, Dim::Queue, q.clone()).acw_ms += ms;
        }
        from = to;
    }
}
