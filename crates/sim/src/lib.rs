//! Discrete-event simulation of a contact center on a virtual clock.
//!
//! Synthetic traffic (Poisson arrivals per interval, exponential or lognormal talk times,
//! exponential patience) and a roster of agents with shifts and breaks drive the real routing
//! engine, [`acd::Acd`] — not a model of it — so what the simulation reports is what the
//! engine's strategies, priorities, relaxation and overflow actually do. Planners use it to
//! check a staffing plan; the tests use it to check the engine against Erlang C and A.
//!
//! Deterministic under its seed; no clock, no I/O.

pub mod log;
mod model;
mod report;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use acd::{
    Acd, Action, AgentConfig, AgentId, AgentState, AgentTime, Arrival, CallId, EventKind,
    EventType, Outcome, QueueId, Reason, Time,
};
use rand::{Rng, SeedableRng};
use rand_distr::{Exp1, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use rustc_hash::FxHashSet;

pub use model::{AgentGroup, Break, HandleTime, Model, ModelError, QueueModel, Segment, Shift};
use report::Tally;
pub use report::{Report, Stats};

const HOUR_MS: f64 = 3_600_000.0;

/// Runs the model to its end and reports.
pub fn run(model: &Model) -> Result<Report, ModelError> {
    model.validate()?;
    let mut sim = Sim::new(model)?;
    sim.run();
    Ok(sim.report())
}

/// Runs the model to its end, handing every event of the engine to `tap` as it happens
/// (all kinds: agents' states, offers, queueing…), and reports. [`log::Logger`] turns them
/// into the center's event log.
pub fn run_with(model: &Model, tap: &mut dyn FnMut(&acd::Event)) -> Result<Report, ModelError> {
    model.validate()?;
    let mut sim = Sim::new(model)?;
    sim.acd.record_only(&[
        EventType::AgentState,
        EventType::AgentPresence,
        EventType::CallQueued,
        EventType::CallOffered,
        EventType::CallReturned,
        EventType::CallAnswered,
        EventType::CallbackRequested,
        EventType::CallOverflowed,
        EventType::CallEnded,
    ]);
    sim.tap = Some(tap);
    sim.run();
    Ok(sim.report())
}

#[derive(Debug, Clone, Copy)]
enum Ev {
    Answer(CallId, AgentId),
    Hangup(CallId),
    Login(AgentId),
    Logout(AgentId),
    /// Index into `Sim::breaks`.
    BreakStart(AgentId, u32),
    BreakEnd(AgentId),
}

/// A future event in the heap: its time and a sequence number (the order of scheduling, for
/// events at the same time) as one integer, compared in one go; earliest first.
#[derive(Debug)]
struct Entry {
    key: Reverse<u128>,
    ev: Ev,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.key == other.key
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Entry) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// An event's place in time order: its time, then the order it was scheduled in.
fn event_key(at: Time, seq: u64) -> u128 {
    (u128::from(at.0) << 64) | u128::from(seq)
}

/// The time of an [`event_key`].
fn key_time(key: u128) -> Time {
    Time((key >> 64) as u64)
}

/// Callers who may still give up, each with the [`event_key`] of its abandonment, kept apart
/// from the event heap: most waiting callers are answered before their patience runs out, and
/// one answered leaves this list at once instead of lingering in the heap until it would have
/// hung up. Unsorted, with the earliest entry remembered: adding and removing take constant
/// time, except removing the earliest, which looks through the (few) callers still waiting.
#[derive(Debug, Default)]
struct Patience {
    entries: Vec<(u128, CallId)>,
    /// The index of the earliest entry (0 when there is none).
    earliest: usize,
}

impl Patience {
    /// Adds a caller; returns its slot.
    fn add(&mut self, key: u128, call: CallId) -> u32 {
        let slot = self.entries.len();
        self.entries.push((key, call));
        if key < self.entries[self.earliest].0 {
            self.earliest = slot;
        }
        slot as u32
    }

    fn earliest(&self) -> Option<(u128, CallId)> {
        self.entries.get(self.earliest).copied()
    }

    /// Takes out the caller in `slot`. The last caller moves into the slot: returns it, so
    /// that its slot can be updated.
    fn remove(&mut self, slot: u32) -> Option<CallId> {
        let slot = slot as usize;
        self.entries.swap_remove(slot);
        if self.earliest == slot {
            self.earliest = (0..self.entries.len())
                .min_by_key(|&i| self.entries[i].0)
                .unwrap_or(0);
        } else if self.earliest == self.entries.len() {
            self.earliest = slot; // the earliest was the last one, now moved
        }
        self.entries.get(slot).map(|e| e.1)
    }
}

#[derive(Debug)]
struct CallInfo {
    queue: usize,
    /// Its place in `Sim::patience` while the caller may still give up.
    patience: Option<u32>,
    /// The interval it arrived in, where it is counted.
    interval: usize,
    answered: Option<(Time, QueueId)>,
}

struct Sim<'m> {
    model: &'m Model,
    acd: Acd,
    rng: Xoshiro256PlusPlus,
    now: Time,
    end: Time,
    interval_ms: u64,
    /// The interval the current input falls in (the last one's end for inputs past the
    /// run's end), and where it ends: moved by `account` as time passes each boundary, so
    /// that no input pays a division to find its interval.
    clock: (u64, u64),
    /// The engine's agent-time totals ([`Acd::agent_time`]) credited to intervals so far.
    counted: AgentTime,
    /// How long agents take to answer an offer.
    answer_ms: u64,
    heap: BinaryHeap<Entry>,
    patience: Patience,
    /// Each queue's next arrival (kept out of the heap: there is always exactly one).
    arrivals: Vec<Option<Time>>,
    /// Each queue's mean time between arrivals in ms, per entry of its rates (none for a rate
    /// of zero).
    arrival_gaps: Vec<Vec<Option<f64>>>,
    seq: u64,
    /// Live calls by id: `calls[i]` is call `first_call + i` (ids are handed out in order,
    /// so a window over them beats a hash map), `None` once it ended. A call that never
    /// ends (no agent for it, no patience) holds the window open: a slot per later call.
    calls: VecDeque<Option<CallInfo>>,
    first_call: u64,
    ringing: FxHashSet<(CallId, AgentId)>,
    /// The call being placed by the current arrival, to see whether it was offered at once.
    arriving: Option<CallId>,
    /// Offers to answer right away (when agents answer in zero seconds but a ring-all queue
    /// rings them, so the engine does not auto-answer), without a detour through the event
    /// heap.
    answer_now: Vec<(CallId, AgentId)>,
    /// Every shift's breaks: (length in ms, reason).
    breaks: Vec<(u64, Reason)>,
    intervals: Vec<Tally>,
    queues: Vec<Tally>,
    unfinished: u64,
    inputs: u64,
    /// Who hears every event ([`run_with`]).
    tap: Option<&'m mut dyn FnMut(&acd::Event)>,
}

impl std::fmt::Debug for Sim<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim").field("now", &self.now).finish()
    }
}

impl<'m> Sim<'m> {
    fn new(model: &'m Model) -> Result<Sim<'m>, ModelError> {
        let end = Time((model.hours * HOUR_MS).round() as u64);
        let interval_ms = ((model.interval_minutes * 60_000.0).round() as u64).max(1);
        let n_intervals = end.0.div_ceil(interval_ms) as usize;
        let mut sim = Sim {
            model,
            acd: {
                let mut acd = Acd::new();
                acd.record_only(&[EventType::CallAnswered, EventType::CallEnded]);
                acd
            },
            rng: Xoshiro256PlusPlus::seed_from_u64(model.seed),
            now: Time::ZERO,
            end,
            interval_ms,
            clock: (0, interval_ms),
            counted: AgentTime::default(),
            answer_ms: (model.answer_seconds * 1000.0).round() as u64,
            heap: BinaryHeap::new(),
            patience: Patience::default(),
            arrivals: vec![None; model.queues.len()],
            arrival_gaps: model
                .queues
                .iter()
                .map(|q| {
                    let gap = |&per_hour: &f64| (per_hour > 0.0).then(|| HOUR_MS / per_hour);
                    q.calls_per_hour.iter().map(gap).collect()
                })
                .collect(),
            seq: 0,
            calls: VecDeque::new(),
            first_call: 0,
            ringing: FxHashSet::default(),
            arriving: None,
            answer_now: Vec::new(),
            breaks: Vec::new(),
            intervals: vec![Tally::default(); n_intervals.max(1)],
            queues: vec![Tally::default(); model.queues.len()],
            unfinished: 0,
            inputs: 0,
            tap: None,
        };
        let config_error = |field: String, e: acd::AcdError| ModelError {
            field,
            reason: e.to_string(),
        };
        // Queues first without overflow targets, so they may point at each other.
        for (i, q) in model.queues.iter().enumerate() {
            let plain = acd::QueueConfig {
                overflow: acd::Overflow::Disconnect,
                ..q.routing.clone()
            };
            sim.acd
                .handle_queue(Time::ZERO, QueueId(i as u32), plain)
                .map_err(|e| config_error(format!("queue.{}.routing", q.name), e))?;
        }
        for (i, q) in model.queues.iter().enumerate() {
            sim.acd
                .handle_queue(Time::ZERO, QueueId(i as u32), q.routing.clone())
                .map_err(|e| config_error(format!("queue.{}.routing", q.name), e))?;
            sim.schedule_arrival(i, Time::ZERO);
        }
        let mut agents = 0;
        for (g, group) in model.agents.iter().enumerate() {
            let queues = group
                .queues
                .iter()
                .map(|name| {
                    let i = model.queues.iter().position(|q| &q.name == name);
                    QueueId(i.expect("validated") as u32)
                })
                .collect();
            let cfg = AgentConfig {
                skills: group.skills.clone(),
                queues,
                capacity: group.capacity,
                // Agents who answer in no time: the engine connects its offers at once.
                auto_answer: sim.answer_ms == 0,
            };
            for _ in 0..group.count {
                let id = AgentId(agents);
                sim.acd
                    .handle_agent(Time::ZERO, id, cfg.clone())
                    .map_err(|e| config_error(format!("agents.{}", group.name), e))?;
                agents += 1;
                sim.schedule_roster(id, g);
            }
        }
        Ok(sim)
    }

    fn push(&mut self, at: Time, ev: Ev) {
        self.seq += 1;
        self.heap.push(Entry {
            key: Reverse(event_key(at, self.seq)),
            ev,
        });
    }

    fn schedule_roster(&mut self, agent: AgentId, group: usize) {
        let g = &self.model.agents[group];
        if g.shifts.is_empty() {
            self.push(Time::ZERO, Ev::Login(agent));
            return;
        }
        // From the day before the run, whose night shift may still be on at midnight.
        let days = (self.model.hours / 24.0).ceil() as i64;
        for day in -1..=days {
            let base = day as f64 * 24.0;
            for shift in &g.shifts {
                let at = |h: f64| Time(((base + h) * HOUR_MS).round().max(0.0) as u64);
                if base + shift.end <= 0.0 || at(shift.start) >= self.end {
                    continue;
                }
                self.push(at(shift.start), Ev::Login(agent));
                // Leave the last shift logged in past the end, so the calls drain.
                if at(shift.end) < self.end {
                    self.push(at(shift.end), Ev::Logout(agent));
                }
                for brk in &shift.breaks {
                    if base + brk.at >= 0.0 && at(brk.at) < self.end {
                        let index = self.breaks.len() as u32;
                        let length = (brk.minutes * 60_000.0).round() as u64;
                        self.breaks.push((length, brk.reason));
                        self.push(at(brk.at), Ev::BreakStart(agent, index));
                    }
                }
            }
        }
    }

    /// Schedules queue `q`'s next Poisson arrival after `from`, the current input's time, with
    /// the rate of each interval in turn (piecewise-constant rates are exact by
    /// memorylessness).
    fn schedule_arrival(&mut self, q: usize, from: Time) {
        debug_assert!(
            from.0 < self.clock.1 || from >= self.end,
            "clock behind {from:?}"
        );
        let (mut interval, mut boundary) = self.clock;
        let gaps = &self.arrival_gaps[q];
        let mut t = from.0;
        while t < self.end.0 {
            // The rates repeat (a day's curve); most models have one.
            let gap = match gaps.len() {
                1 => gaps[0],
                n => gaps[(interval % n as u64) as usize],
            };
            if let Some(mean) = gap {
                let next = t as f64 + exponential(&mut self.rng, mean);
                if next < boundary as f64 {
                    let at = Time(whole_ms(next));
                    self.arrivals[q] = (at < self.end).then_some(at);
                    return;
                }
            }
            t = boundary;
            interval += 1;
            boundary += self.interval_ms;
        }
    }

    /// Takes the next happening in time order; at equal times the engine's timers first,
    /// then scheduled events (the heap and callers giving up, in the order they were
    /// scheduled), then arrivals.
    fn run(&mut self) {
        const NEVER: Time = Time(u64::MAX);
        loop {
            let acd_next = self.acd.poll_timeout().unwrap_or(NEVER);
            let heap_key = self.heap.peek().map_or(u128::MAX, |e| e.key.0);
            let abandon_key = self.patience.earliest().map_or(u128::MAX, |e| e.0);
            let event_next = key_time(heap_key.min(abandon_key)); // NEVER if neither
            let (queue, arrival_next) = self
                .arrivals
                .iter()
                .enumerate()
                .filter_map(|(q, t)| t.map(|t| (q, t)))
                .min_by_key(|(_, t)| *t)
                .unwrap_or((0, NEVER));
            if acd_next == NEVER && event_next == NEVER && arrival_next == NEVER {
                break;
            }
            self.account(acd_next.min(event_next).min(arrival_next));
            if acd_next <= event_next && acd_next <= arrival_next {
                self.timeout(acd_next);
            } else if event_next <= arrival_next {
                self.now = event_next;
                if heap_key < abandon_key {
                    let ev = self.heap.pop().expect("peeked").ev;
                    self.event(ev);
                } else {
                    self.abandon();
                }
            } else {
                self.now = arrival_next;
                self.arrivals[queue] = None;
                self.arrive(queue); // takes the engine's outputs itself
                continue;
            }
            self.drain();
        }
        // Whatever still waits can never be answered: count it and let it go.
        self.unfinished = self.calls.iter().flatten().count() as u64;
        self.calls.clear();
        self.account(self.end);
        if (self.clock.0 as usize) < self.intervals.len() {
            self.count_occupancy(self.end); // the last interval, cut short by the end
        }
    }

    fn timeout(&mut self, at: Time) {
        self.now = at;
        self.inputs += 1;
        self.acd.handle_timeout(at);
    }

    /// A call arrives in queue `q`, and the queue's next arrival is scheduled.
    fn arrive(&mut self, q: usize) {
        let now = self.now;
        self.inputs += 1;
        let call = CallId(self.first_call + self.calls.len() as u64);
        let model = &self.model.queues[q];
        let priority = pick_segment(&mut self.rng, &model.segments);
        let interval = self.interval();
        self.calls.push_back(Some(CallInfo {
            queue: q,
            interval,
            answered: None,
            patience: None,
        }));
        self.intervals[interval].offered += 1;
        self.intervals[interval].waited += 1; // undone if offered at once
        self.queues[q].offered += 1;
        self.queues[q].waited += 1;
        let arrival = Arrival {
            queue: QueueId(q as u32),
            priority,
            customer: None,
            callback: false,
        };
        self.arriving = Some(call);
        self.acd
            .handle_arrival(now, call, arrival)
            .expect("fresh call id, known queue");
        self.drain();
        self.arriving = None;
        // A caller answered at once never gets to abandon (nor needs a patience).
        let answered = self.call(call).is_none_or(|c| c.answered.is_some());
        if let (Some(mean), false) = (self.model.queues[q].patience, answered) {
            let patience = whole_ms(exponential(&mut self.rng, mean * 1000.0));
            self.seq += 1;
            let key = event_key(Time(now.0 + patience), self.seq);
            let slot = self.patience.add(key, call);
            self.call_mut(call).expect("waiting").patience = Some(slot);
        }
        self.schedule_arrival(q, now);
    }

    /// A scheduled event falls due.
    fn event(&mut self, ev: Ev) {
        let now = self.now;
        self.inputs += 1;
        match ev {
            Ev::Answer(call, agent) => {
                if self.ringing.contains(&(call, agent)) {
                    self.acd
                        .handle_answer(now, call, agent)
                        .expect("ringing per the actions");
                }
            }
            Ev::Hangup(call) => {
                self.acd.handle_hangup(now, call).expect("connected call");
            }
            Ev::Login(agent) => {
                self.acd.handle_login(now, agent).expect("known agent");
            }
            Ev::Logout(agent) => {
                self.acd.handle_logout(now, agent).expect("known agent");
            }
            Ev::BreakStart(agent, index) => {
                let (length, reason) = self.breaks[index as usize];
                let until = Time(now.0 + length);
                // Not logged in (between shifts): no break to take.
                if self.acd.handle_not_ready(now, agent, reason).is_ok() {
                    self.push(until, Ev::BreakEnd(agent));
                }
            }
            Ev::BreakEnd(agent) => {
                let on_break = matches!(
                    self.acd.agent_state(agent),
                    Some(AgentState::NotReady(r)) if r != Reason::Missed
                );
                if on_break {
                    self.acd.handle_ready(now, agent).expect("logged in");
                }
            }
        }
    }

    /// The caller whose patience runs out first hangs up (answered ones have left the list).
    fn abandon(&mut self) {
        let slot = u32::try_from(self.patience.earliest).expect("a slot");
        let (_, call) = self.patience.earliest().expect("a caller");
        self.call_mut(call).expect("waiting").patience = None;
        self.drop_patience(slot);
        self.inputs += 1;
        self.acd
            .handle_hangup(self.now, call)
            .expect("waiting call");
    }

    /// Takes a caller out of the patience list (answered, gone, or giving up).
    fn drop_patience(&mut self, slot: u32) {
        if let Some(moved) = self.patience.remove(slot) {
            self.call_mut(moved).expect("waiting").patience = Some(slot);
        }
    }

    /// Takes the engine's outputs, answering offers at once when agents answer in no time.
    fn drain(&mut self) {
        loop {
            self.drain_outputs();
            let Some((call, agent)) = self.answer_now.pop() else {
                break;
            };
            self.inputs += 1;
            self.acd
                .handle_answer(self.now, call, agent)
                .expect("ringing per the actions");
        }
    }

    fn drain_outputs(&mut self) {
        let now = self.now;
        while let Some(action) = self.acd.poll_action() {
            match action {
                Action::Offer {
                    call,
                    agent,
                    connected,
                    ..
                } => {
                    if self.arriving == Some(call) {
                        let info = self.call(call).expect("live call");
                        let (interval, queue) = (info.interval, info.queue);
                        self.intervals[interval].waited -= 1;
                        self.queues[queue].waited -= 1;
                        self.arriving = None;
                    }
                    let delay = self.answer_ms;
                    if connected {
                        // Auto-answered: `CallAnswered` follows.
                    } else if delay == 0 {
                        self.answer_now.push((call, agent));
                    } else {
                        self.ringing.insert((call, agent));
                        self.push(Time(now.0 + delay), Ev::Answer(call, agent));
                    }
                }
                Action::CancelOffer { call, agent } => {
                    self.ringing.remove(&(call, agent));
                    self.answer_now.retain(|x| *x != (call, agent));
                }
                Action::Overflow { .. } => {}
            }
        }
        while let Some(event) = self.acd.poll_event() {
            if let Some(tap) = self.tap.as_mut() {
                tap(&event);
            }
            match event.kind {
                EventKind::CallAnswered {
                    call,
                    agent,
                    queue,
                    waited_ms,
                } => {
                    if !self.ringing.is_empty() {
                        self.ringing.remove(&(call, agent));
                    }
                    let info = self.call_mut(call).expect("live call");
                    info.answered = Some((event.at, queue));
                    let (first, interval) = (info.queue, info.interval);
                    if let Some(slot) = info.patience.take() {
                        self.drop_patience(slot);
                    }
                    let model = &self.model.queues[first];
                    let talk = match model.handle {
                        HandleTime::Exponential => exponential(&mut self.rng, model.aht * 1000.0),
                        HandleTime::Lognormal => {
                            lognormal(&mut self.rng, model.aht * 1000.0, model.handle_sd * 1000.0)
                        }
                    };
                    let target = self.model.queues[queue.0 as usize].routing.service_time;
                    let in_time = u64::from(u128::from(waited_ms) <= target.as_millis());
                    for t in [&mut self.intervals[interval], &mut self.queues[first]] {
                        t.answered += 1;
                        t.answered_in_time += in_time;
                        t.wait_ms += waited_ms;
                    }
                    self.push(Time(now.0 + whole_ms(talk)), Ev::Hangup(call));
                }
                EventKind::CallEnded { call, outcome, .. } => {
                    let info = self.remove_call(call).expect("live call");
                    if let Some(slot) = info.patience {
                        self.drop_patience(slot); // overflowed while waiting
                    }
                    let interval = info.interval;
                    let handle_ms = match (outcome, info.answered) {
                        (
                            Outcome::Answered { .. } | Outcome::CallbackDone { .. },
                            Some((at, q)),
                        ) => {
                            let wrap = self.model.queues[q.0 as usize].routing.wrap_up;
                            event.at.0 - at.0 + wrap.as_millis() as u64
                        }
                        _ => 0,
                    };
                    for t in [&mut self.intervals[interval], &mut self.queues[info.queue]] {
                        match outcome {
                            Outcome::Abandoned => t.abandoned += 1,
                            Outcome::Overflowed(_) => t.overflowed += 1,
                            Outcome::Answered { .. } | Outcome::CallbackDone { .. } => {
                                t.handle_ms += handle_ms
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn call(&self, call: CallId) -> Option<&CallInfo> {
        let i = call.0.checked_sub(self.first_call)?;
        self.calls.get(usize::try_from(i).ok()?)?.as_ref()
    }

    fn call_mut(&mut self, call: CallId) -> Option<&mut CallInfo> {
        let i = call.0.checked_sub(self.first_call)?;
        self.calls.get_mut(usize::try_from(i).ok()?)?.as_mut()
    }

    fn remove_call(&mut self, call: CallId) -> Option<CallInfo> {
        let i = call.0.checked_sub(self.first_call)?;
        let info = self.calls.get_mut(usize::try_from(i).ok()?)?.take();
        while let Some(None) = self.calls.front() {
            self.calls.pop_front();
            self.first_call += 1;
        }
        info
    }

    /// Moves the clock to `to` (within the run), crediting agent time to each interval that
    /// ends by then. Called before every input at `to`: the engine's state has not changed
    /// since the last one, so its totals at a boundary in between are exact.
    fn account(&mut self, to: Time) {
        let to = to.0.min(self.end.0);
        while self.clock.1 <= to {
            self.count_occupancy(Time(self.clock.1));
            self.clock.0 += 1;
            self.clock.1 += self.interval_ms;
        }
    }

    /// Adds the agent time from the current interval's start (or the last count) to `at`.
    fn count_occupancy(&mut self, at: Time) {
        let now = self.acd.agent_time(at);
        let t = &mut self.intervals[self.clock.0 as usize];
        t.staffed_ms += now.staffed_ms - self.counted.staffed_ms;
        t.busy_ms += now.busy_ms - self.counted.busy_ms;
        self.counted = now;
    }

    /// The tally the current input counts in (the last one for inputs past the end).
    fn interval(&self) -> usize {
        (self.clock.0 as usize).min(self.intervals.len() - 1)
    }

    fn report(&self) -> Report {
        let mut total = Tally::default();
        let intervals = self
            .intervals
            .iter()
            .enumerate()
            .map(|(i, t)| {
                total.add(t);
                t.stats((i as u64 * self.interval_ms) as f64 / 1000.0)
            })
            .collect();
        let queues = self
            .model
            .queues
            .iter()
            .zip(&self.queues)
            .map(|(q, t)| (q.name.clone(), t.stats(0.0)))
            .collect();
        Report {
            intervals,
            queues,
            total: total.stats(0.0),
            unfinished: self.unfinished,
            engine_inputs: self.inputs,
        }
    }
}

/// A non-negative number of milliseconds rounded to the nearest whole one (halves up), without
/// the library call `f64::round` makes on baseline x86-64 (and through `i64`, which the
/// processor converts to in one instruction, unlike `u64`).
fn whole_ms(x: f64) -> u64 {
    (x + 0.5) as i64 as u64
}

/// An exponential variate with the given mean (ziggurat method: rarely a logarithm).
fn exponential(rng: &mut Xoshiro256PlusPlus, mean: f64) -> f64 {
    let e: f64 = rng.sample(Exp1);
    mean * e
}

/// A lognormal variate with the given mean and standard deviation.
fn lognormal(rng: &mut Xoshiro256PlusPlus, mean: f64, sd: f64) -> f64 {
    let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
    let mu = mean.ln() - sigma2 / 2.0;
    let z: f64 = rng.sample(StandardNormal);
    (mu + sigma2.sqrt() * z).exp()
}

fn pick_segment(rng: &mut Xoshiro256PlusPlus, segments: &[Segment]) -> i32 {
    if segments.is_empty() {
        return 0;
    }
    let mut u: f64 = rng.random();
    for s in segments {
        if u < s.share {
            return s.priority;
        }
        u -= s.share;
    }
    0
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// The patience list against a sorted map, under random adds and removals.
    #[test]
    fn patience_list_always_knows_its_earliest_caller() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let mut list = Patience::default();
        // Key -> call, and slot -> call as the simulator keeps it.
        let mut model: BTreeMap<u128, CallId> = BTreeMap::new();
        let mut slots: Vec<CallId> = Vec::new();
        for n in 0..20_000_u64 {
            if slots.is_empty() || rng.random_bool(0.55) {
                let key = event_key(Time(rng.random_range(0..1_000)), n);
                let call = CallId(n);
                let slot = list.add(key, call);
                assert_eq!(slot as usize, slots.len());
                slots.push(call);
                model.insert(key, call);
            } else {
                let slot = rng.random_range(0..slots.len()) as u32;
                let call = slots[slot as usize];
                model.retain(|_, c| *c != call);
                slots.swap_remove(slot as usize);
                assert_eq!(list.remove(slot), slots.get(slot as usize).copied());
            }
            let want = model.first_key_value().map(|(k, c)| (*k, *c));
            assert_eq!(list.earliest(), want);
            assert_eq!(list.entries.len(), model.len());
        }
    }
}
