//! A seeded driver throws random inputs at the engine — arrivals, answers, declines, timeouts,
//! hang-ups, holds, callbacks, state changes, logins and logouts, queue and agent
//! reconfiguration, invalid inputs — and checks every invariant after each one.
//!
//! Besides the engine's own [`Acd::check_invariants`], the driver keeps a model of the phones
//! from the actions alone (which agent rings with which call), answers and declines only what
//! that model says is ringing and expects the engine to accept it; it checks that events come in
//! time order, that each call ends exactly once and nothing happens to it afterwards, and at the
//! end that every call that ever arrived has ended.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use acd::*;
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;

const QUEUES: u32 = 4;
const AGENTS: u32 = 16;
const SKILLS: u32 = 4;

struct Driver {
    acd: Acd,
    rng: ChaCha8Rng,
    now: Time,
    next_call: u64,
    /// (call, agent) pairs ringing, per the actions.
    ringing: BTreeSet<(CallId, AgentId)>,
    /// Calls connected, per the events.
    connected: BTreeSet<CallId>,
    live: BTreeSet<CallId>,
    ended: BTreeMap<CallId, Outcome>,
    last_event: Time,
    inputs: u64,
    /// `ACD_TRACE=1` prints every input, action and event, to debug a failing seed.
    trace: bool,
}

impl Driver {
    fn new(seed: u64) -> Driver {
        let mut d = Driver {
            acd: Acd::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            now: Time(1_000_000),
            next_call: 1,
            ringing: BTreeSet::new(),
            connected: BTreeSet::new(),
            live: BTreeSet::new(),
            ended: BTreeMap::new(),
            last_event: Time::ZERO,
            inputs: 0,
            trace: std::env::var_os("ACD_TRACE").is_some(),
        };
        for q in 0..QUEUES {
            let cfg = QueueConfig {
                overflow: Overflow::Voicemail,
                ..QueueConfig::default()
            };
            d.acd.handle_queue(d.now, QueueId(q), cfg).unwrap();
        }
        for q in 0..QUEUES {
            let cfg = d.random_queue(q);
            let r = d.acd.handle_queue(d.now, QueueId(q), cfg);
            allowed(r);
        }
        for a in 0..AGENTS {
            let cfg = d.random_agent();
            d.acd.handle_agent(d.now, AgentId(a), cfg).unwrap();
        }
        d.drain();
        d
    }

    fn random_skills(&mut self, n: usize) -> Vec<SkillReq> {
        let mut skills: Vec<SkillReq> = (0..n)
            .map(|_| SkillReq {
                skill: SkillId(self.rng.random_range(0..SKILLS)),
                min: self.rng.random_range(1..=10),
            })
            .collect();
        skills.sort_by_key(|s| s.skill);
        skills.dedup_by_key(|s| s.skill);
        skills
    }

    fn random_queue(&mut self, q: u32) -> QueueConfig {
        let r = &mut self.rng;
        let strategy = *[
            Strategy::LongestIdle,
            Strategy::FewestCalls,
            Strategy::LeastTalkTime,
            Strategy::BestProficiency,
            Strategy::RoundRobin,
            Strategy::RingAll,
        ]
        .choose(r)
        .unwrap();
        let channel = if r.random_bool(0.8) {
            Channel::Voice
        } else {
            Channel::Chat
        };
        let secs =
            |r: &mut ChaCha8Rng, lo: u64, hi: u64| Duration::from_secs(r.random_range(lo..hi));
        let mut relax = Vec::new();
        let mut after = 0;
        for _ in 0..r.random_range(0..3) {
            after += r.random_range(1..60);
            let step = if r.random_bool(0.6) {
                RelaxStep::MinProficiency(r.random_range(1..=5))
            } else {
                RelaxStep::Fallback(vec![SkillReq {
                    skill: SkillId(r.random_range(0..SKILLS)),
                    min: r.random_range(1..=10),
                }])
            };
            relax.push(Relax {
                after: Duration::from_secs(after),
                step,
            });
        }
        let other = (q + 1 + r.random_range(0..QUEUES - 1)) % QUEUES;
        let overflow = *[
            Overflow::Queue(QueueId(other)),
            Overflow::Voicemail,
            Overflow::Callback,
            Overflow::Disconnect,
        ]
        .choose(r)
        .unwrap();
        let mut cfg = QueueConfig {
            channel,
            strategy,
            relax,
            priority: r.random_range(-5..5),
            acceleration: Acceleration {
                per_second: r.random_range(0..3),
                cap: r.random_range(0..100),
            },
            wrap_up: secs(r, 0, 20),
            ring_timeout: secs(r, 1, 30),
            max_wait: r.random_bool(0.5).then(|| secs(r, 1, 300)),
            max_size: r.random_bool(0.3).then(|| r.random_range(0..20)),
            overflow,
            nobody_logged_in: if r.random_bool(0.5) {
                NobodyLoggedIn::Wait
            } else {
                NobodyLoggedIn::Overflow
            },
            sticky: r.random_bool(0.3).then(|| secs(r, 1, 30)),
            open: r.random_bool(0.9),
            ..QueueConfig::default()
        };
        if self.rng.random_bool(0.3) {
            cfg.relax.push(Relax {
                after: Duration::from_secs(after + 30),
                step: RelaxStep::Fallback(vec![]),
            });
        }
        let n = self.rng.random_range(0..3);
        cfg.skills = self.random_skills(n);
        cfg
    }

    fn random_agent(&mut self) -> AgentConfig {
        let n = self.rng.random_range(0..4);
        let skills = self
            .random_skills(n)
            .into_iter()
            .map(|s| (s.skill, s.min))
            .collect();
        let mut queues: Vec<QueueId> = (0..QUEUES)
            .filter(|_| self.rng.random_bool(0.5))
            .map(QueueId)
            .collect();
        queues.sort();
        AgentConfig {
            skills,
            queues,
            capacity: [1, self.rng.random_range(0..3), 0],
            auto_answer: self.rng.random_bool(0.2),
        }
    }

    fn agent(&mut self) -> AgentId {
        AgentId(self.rng.random_range(0..AGENTS))
    }

    fn any_call(&mut self) -> CallId {
        // Mostly live calls, sometimes ended or never seen ones (must be refused cleanly).
        if !self.live.is_empty() && self.rng.random_bool(0.9) {
            let i = self.rng.random_range(0..self.live.len());
            *self.live.iter().nth(i).unwrap()
        } else {
            CallId(self.rng.random_range(0..self.next_call + 5))
        }
    }

    /// One random input. Errors are allowed only where the input may be invalid.
    fn step(&mut self) {
        // Time moves by 0–4 s, or jumps to the next timer.
        if self.rng.random_bool(0.2) {
            if let Some(t) = self.acd.poll_timeout() {
                self.now = self.now.max(t);
            }
        } else {
            self.now = Time(self.now.0 + self.rng.random_range(0..4_000));
        }
        let now = self.now;
        self.inputs += 1;
        let op = self.rng.random_range(0..100);
        if self.trace {
            eprintln!("{} input op {op} at {now:?}", self.inputs);
        }
        match op {
            0..=19 => {
                let call = CallId(self.next_call);
                self.next_call += 1;
                let arrival = Arrival {
                    queue: QueueId(self.rng.random_range(0..QUEUES)),
                    priority: *[0, 0, 0, 10, 50].choose(&mut self.rng).unwrap(),
                    customer: Some(CustomerId(self.rng.random_range(0..30))),
                    callback: self.rng.random_bool(0.05),
                };
                self.acd.handle_arrival(now, call, arrival).unwrap();
                self.live.insert(call);
            }
            20..=39 => {
                // Answer something ringing (the model says it rings: it must be accepted).
                if let Some(&(call, agent)) = self.pick_ringing() {
                    self.acd.handle_answer(now, call, agent).unwrap();
                } else {
                    self.acd.handle_timeout(now);
                }
            }
            40..=44 => {
                if let Some(&(call, agent)) = self.pick_ringing() {
                    self.acd.handle_decline(now, call, agent).unwrap();
                } else {
                    self.acd.handle_timeout(now);
                }
            }
            45..=59 => {
                // Hang up: mostly connected calls, also waiting or ringing ones (abandon).
                self.sync();
                let call = if !self.connected.is_empty() && self.rng.random_bool(0.6) {
                    let i = self.rng.random_range(0..self.connected.len());
                    *self.connected.iter().nth(i).unwrap()
                } else {
                    self.any_call()
                };
                let known = self.live.contains(&call);
                let r = self.acd.handle_hangup(now, call);
                assert_eq!(r.is_ok(), known, "hangup of {call:?}: {r:?}");
            }
            60..=61 => {
                let call = self.any_call();
                let _ = self.acd.handle_hold(now, call, self.rng.random_bool(0.5));
            }
            62..=64 => {
                let call = self.any_call();
                let _ = self.acd.handle_callback_request(now, call);
            }
            65..=72 => {
                let agent = self.agent();
                let _ = self.acd.handle_ready(now, agent);
            }
            73..=77 => {
                let agent = self.agent();
                let reason = *[Reason::Break, Reason::Meal, Reason::Away, Reason::Other(7)]
                    .choose(&mut self.rng)
                    .unwrap();
                let _ = self.acd.handle_not_ready(now, agent, reason);
            }
            78..=82 => {
                let agent = self.agent();
                self.acd.handle_login(now, agent).unwrap();
            }
            83..=84 => {
                let agent = self.agent();
                self.acd.handle_logout(now, agent).unwrap();
            }
            85 => {
                let agent = self.agent();
                let reachable = self.rng.random_bool(0.7);
                self.acd
                    .handle_reachable(now, agent, Channel::Voice, reachable)
                    .unwrap();
            }
            86..=87 => {
                let agent = self.agent();
                let _ = if self.rng.random_bool(0.5) {
                    self.acd.handle_wrap_up_end(now, agent)
                } else {
                    self.acd
                        .handle_wrap_up_extend(now, agent, Duration::from_secs(5))
                };
            }
            88 => {
                let q = self.rng.random_range(0..QUEUES);
                let cfg = self.random_queue(q);
                allowed(self.acd.handle_queue(now, QueueId(q), cfg));
            }
            89..=90 => {
                let agent = self.agent();
                let cfg = self.random_agent();
                self.acd.handle_agent(now, agent, cfg).unwrap();
            }
            91 => {
                // Invalid configuration is refused and changes nothing.
                let q = self.rng.random_range(0..QUEUES);
                let bad = QueueConfig {
                    ring_timeout: Duration::ZERO,
                    ..QueueConfig::default()
                };
                assert!(self.acd.handle_queue(now, QueueId(q), bad).is_err());
            }
            92 => self.acd.handle_new_day(now),
            _ => self.acd.handle_timeout(now),
        }
        self.drain();
        if let Err(e) = self.acd.check_invariants() {
            panic!("after input {} at {:?}: {e}", self.inputs, self.now);
        }
    }

    /// A pair ringing now: timers due by now fire first (an offer that rang out at `now` can
    /// no longer be answered), so the model is up to date.
    fn pick_ringing(&mut self) -> Option<&(CallId, AgentId)> {
        self.sync();
        if self.ringing.is_empty() {
            return None;
        }
        let i = self.rng.random_range(0..self.ringing.len());
        self.ringing.iter().nth(i)
    }

    fn sync(&mut self) {
        self.acd.handle_timeout(self.now);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(action) = self.acd.poll_action() {
            if self.trace {
                eprintln!("{} action {action:?}", self.inputs);
            }
            match action {
                Action::Offer { call, agent, .. } => {
                    assert!(self.live.contains(&call), "offer of a dead call {call:?}");
                    assert!(self.ringing.insert((call, agent)), "offered twice");
                }
                Action::CancelOffer { call, agent } => {
                    assert!(
                        self.ringing.remove(&(call, agent)),
                        "cancel of a silent phone {call:?} {agent:?} at input {}",
                        self.inputs
                    );
                }
                Action::Overflow { call, .. } => {
                    assert!(self.live.contains(&call), "overflow of a dead call");
                }
            }
        }
        while let Some(event) = self.acd.poll_event() {
            if self.trace {
                eprintln!("{} event {event:?}", self.inputs);
            }
            assert!(
                event.at >= self.last_event,
                "events out of order: {event:?}"
            );
            assert!(
                event.at <= self.acd.now(),
                "event from the future: {event:?}"
            );
            self.last_event = event.at;
            match event.kind {
                EventKind::CallAnswered { call, agent, .. } => {
                    assert!(
                        self.ringing.remove(&(call, agent)),
                        "answered without ringing"
                    );
                    self.connected.insert(call);
                }
                EventKind::CallReturned {
                    call,
                    agent,
                    reason,
                } => {
                    assert!(
                        self.live.contains(&call),
                        "event for a dead call: {event:?}"
                    );
                    // A declined phone stops by itself; every other one gets a CancelOffer.
                    if reason == ReturnReason::Declined {
                        assert!(self.ringing.remove(&(call, agent)), "declined silently");
                    }
                }
                EventKind::CallEnded { call, outcome, .. } => {
                    assert!(
                        self.live.remove(&call),
                        "{call:?} ended twice or never began"
                    );
                    self.connected.remove(&call);
                    assert!(
                        !self.ringing.iter().any(|(c, _)| *c == call),
                        "{call:?} ended while ringing"
                    );
                    self.ended.insert(call, outcome);
                }
                EventKind::CallQueued { call, .. }
                | EventKind::CallOffered { call, .. }
                | EventKind::CallbackRequested { call }
                | EventKind::CallOverflowed { call, .. } => {
                    assert!(
                        self.live.contains(&call),
                        "event for a dead call: {event:?}"
                    );
                }
                EventKind::AgentState { .. } | EventKind::AgentPresence { .. } => {}
            }
        }
    }

    /// Hang up whatever is left and let every timer run out: every call must have ended.
    fn finish(&mut self) {
        for call in self.live.clone() {
            self.acd.handle_hangup(self.now, call).unwrap();
            self.drain();
        }
        while let Some(t) = self.acd.poll_timeout() {
            self.now = t;
            self.acd.handle_timeout(t);
            self.drain();
        }
        self.acd.check_invariants().unwrap();
        assert!(self.live.is_empty() && self.acd.live_calls() == 0);
        assert_eq!(self.ended.len() as u64, self.next_call - 1);
    }
}

/// Random queue configurations may switch channels, which the engine refuses while contacts
/// are in the queue or a queue overflows into it; nothing else may be refused.
fn allowed(r: Result<(), AcdError>) {
    match r {
        Ok(()) => {}
        Err(AcdError::InvalidConfig {
            field: "channel" | "overflow",
            ..
        }) => {}
        Err(e) => panic!("refused: {e}"),
    }
}

fn run(seed: u64, inputs: u64) {
    let mut d = Driver::new(seed);
    for _ in 0..inputs {
        d.step();
    }
    d.finish();
    let answered = d
        .ended
        .values()
        .filter(|o| matches!(o, Outcome::Answered { .. } | Outcome::CallbackDone { .. }))
        .count();
    // The mix must exercise the engine, not just bounce off it.
    assert!(
        answered * 10 > d.ended.len(),
        "only {answered} of {} answered",
        d.ended.len()
    );
}

#[test]
fn a_million_random_inputs_keep_every_invariant() {
    // Ten seeds of 100,000 inputs each: 1,000,000 inputs, invariants checked after every one.
    let seeds: u64 = std::env::var("ACD_SEEDS").map_or(10, |s| s.parse().expect("a number"));
    for seed in 0..seeds {
        run(seed, 100_000);
    }
}
