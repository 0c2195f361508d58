//! `hotline bench routing`: the routing engine under a large center's load, inputs per second
//! and time per input.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use acd::*;
use anyhow::{Result, bail};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// A set with O(1) insert, remove and uniform random pick.
#[derive(Debug)]
struct Pool<T: std::hash::Hash + Eq + Copy> {
    items: Vec<T>,
    at: HashMap<T, usize>,
}

impl<T: std::hash::Hash + Eq + Copy> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            items: Vec::new(),
            at: HashMap::new(),
        }
    }
}

impl<T: std::hash::Hash + Eq + Copy> Pool<T> {
    fn insert(&mut self, x: T) {
        if !self.at.contains_key(&x) {
            self.at.insert(x, self.items.len());
            self.items.push(x);
        }
    }

    fn remove(&mut self, x: &T) -> bool {
        let Some(i) = self.at.remove(x) else {
            return false;
        };
        self.items.swap_remove(i);
        if let Some(moved) = self.items.get(i) {
            self.at.insert(*moved, i);
        }
        true
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> Option<T> {
        (!self.items.is_empty()).then(|| self.items[rng.random_range(0..self.items.len())])
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// What the driver knows of the center, from the engine's outputs alone.
#[derive(Debug, Default)]
struct Floor {
    ringing: Pool<(CallId, AgentId)>,
    /// Live calls not yet answered (waiting or ringing).
    unanswered: Pool<CallId>,
    connected: Pool<CallId>,
    on_break: Pool<AgentId>,
}

impl Floor {
    fn drain(&mut self, acd: &mut Acd) {
        let mut out = Outputs::default();
        out.take(acd);
        self.learn(&mut out);
    }

    /// Updates the driver's view from the engine's outputs (outside the timed region).
    fn learn(&mut self, out: &mut Outputs) {
        for a in out.actions.drain(..) {
            match a {
                Action::Offer { call, agent, .. } => self.ringing.insert((call, agent)),
                Action::CancelOffer { call, agent } => {
                    self.ringing.remove(&(call, agent));
                }
                Action::Overflow { .. } => {}
            }
        }
        for e in out.events.drain(..) {
            match e.kind {
                EventKind::CallQueued { call, .. } => self.unanswered.insert(call),
                EventKind::CallAnswered { call, agent, .. } => {
                    self.ringing.remove(&(call, agent));
                    self.unanswered.remove(&call);
                    self.connected.insert(call);
                }
                EventKind::CallReturned { call, agent, .. } => {
                    self.ringing.remove(&(call, agent));
                }
                EventKind::CallEnded { call, .. } => {
                    self.unanswered.remove(&call);
                    self.connected.remove(&call);
                }
                EventKind::AgentState { agent, state } => match state {
                    AgentState::NotReady(_) => self.on_break.insert(agent),
                    _ => {
                        self.on_break.remove(&agent);
                    }
                },
                _ => {}
            }
        }
    }
}

/// The engine's outputs of one input, drained inside the timed region.
#[derive(Debug, Default)]
struct Outputs {
    actions: Vec<Action>,
    events: Vec<Event>,
}

impl Outputs {
    fn take(&mut self, acd: &mut Acd) {
        while let Some(a) = acd.poll_action() {
            self.actions.push(a);
        }
        while let Some(e) = acd.poll_event() {
            self.events.push(e);
        }
    }
}

/// The routing benchmark's center: `skills` queues (one skill group each, popularity falling
/// off like 1/rank), `agents` agents with three to five skills each (proficiency 1–10) serving
/// those queues, a mix of strategies, relaxation after 30 s, priority acceleration, key
/// customers, wrap-up of 5–30 s, a 15 s ring timeout and a 10 min max wait into voicemail.
/// It is loaded until every agent is busy and `waiting` calls queue, then fed a mix of inputs
/// in which arrivals keep the queues at that length: arrivals, answers, hang-ups, abandons,
/// declines, breaks and returns from breaks, and the timers (ring timeouts, end of wrap-up,
/// relaxation steps) as they fall due on a virtual clock moving 3 ms per input.
pub(crate) fn run(
    agents: u32,
    skills: u32,
    waiting: usize,
    inputs: u64,
    seed: u64,
    json: bool,
) -> Result<()> {
    if skills == 0 || agents == 0 {
        bail!("--agents and --skills must be at least 1");
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut acd = Acd::new();
    let mut floor = Floor::default();
    let mut now = Time(0);
    let strategies = [
        Strategy::LongestIdle,
        Strategy::LongestIdle,
        Strategy::FewestCalls,
        Strategy::LeastTalkTime,
        Strategy::BestProficiency,
    ];
    for q in 0..skills {
        let cfg = QueueConfig {
            skills: vec![SkillReq {
                skill: SkillId(q),
                min: rng.random_range(1..=4),
            }],
            relax: vec![Relax {
                after: Duration::from_secs(30),
                step: RelaxStep::MinProficiency(1),
            }],
            strategy: strategies[q as usize % strategies.len()],
            acceleration: Acceleration {
                per_second: 1,
                cap: 300,
            },
            wrap_up: Duration::from_secs(rng.random_range(5..=30)),
            ring_timeout: Duration::from_secs(15),
            max_wait: Some(Duration::from_secs(600)),
            overflow: Overflow::Voicemail,
            ..QueueConfig::default()
        };
        acd.handle_queue(now, QueueId(q), cfg)?;
    }
    // Zipf-like popularity: queue k gets weight 1/(k+1).
    let weights: Vec<f64> = (0..skills).map(|k| 1.0 / f64::from(k + 1)).collect();
    let total: f64 = weights.iter().sum();
    let cumulative: Vec<f64> = weights
        .iter()
        .scan(0.0, |acc, w| {
            *acc += w / total;
            Some(*acc)
        })
        .collect();
    let popular = |rng: &mut ChaCha8Rng| {
        let u: f64 = rng.random();
        cumulative
            .partition_point(|c| *c < u)
            .min(skills as usize - 1) as u32
    };
    for a in 0..agents {
        let mut own: Vec<u32> = (0..rng.random_range(3..=5))
            .map(|_| popular(&mut rng))
            .collect();
        own.sort_unstable();
        own.dedup();
        let cfg = AgentConfig {
            skills: own
                .iter()
                .map(|&s| (SkillId(s), rng.random_range(1..=10)))
                .collect(),
            queues: own.iter().map(|&s| QueueId(s)).collect(),
            ..AgentConfig::default()
        };
        acd.handle_agent(now, AgentId(a), cfg)?;
        acd.handle_login(now, AgentId(a))?;
    }
    floor.drain(&mut acd);

    let mut next_call = 0_u64;
    let mut arrive = |acd: &mut Acd, rng: &mut ChaCha8Rng, now: Time| {
        next_call += 1;
        let arrival = Arrival {
            queue: QueueId(popular(rng)),
            priority: if rng.random_bool(0.05) { 50 } else { 0 },
            customer: Some(CustomerId(rng.random_range(0..1_000_000))),
            callback: false,
        };
        acd.handle_arrival(now, CallId(next_call), arrival)
    };
    // Load: answer everything offered until the queues hold `waiting` calls.
    let load_started = Instant::now();
    while floor.unanswered.len() < waiting + floor.ringing.len() {
        now = Time(now.0 + 1);
        arrive(&mut acd, &mut rng, now)?;
        floor.drain(&mut acd);
        while let Some((call, agent)) = floor.ringing.pick(&mut rng) {
            acd.handle_answer(now, call, agent)?;
            floor.drain(&mut acd);
        }
    }
    let load_time = load_started.elapsed();

    let mut times: Vec<u32> = Vec::with_capacity(inputs as usize);
    let mut count = [0_u64; 8];
    let mut out = Outputs::default();
    let started = Instant::now();
    while (times.len() as u64) < inputs {
        now = Time(now.0 + 3);
        let (kind, t0) = if acd.poll_timeout().is_some_and(|t| t <= now) {
            let t0 = Instant::now();
            acd.handle_timeout(now);
            (0, t0)
        } else {
            let queued = floor.unanswered.len().saturating_sub(floor.ringing.len());
            let arrival_share = if queued < waiting { 0.30 } else { 0.18 };
            let u: f64 = rng.random();
            if u < arrival_share {
                let t0 = Instant::now();
                arrive(&mut acd, &mut rng, now)?;
                (1, t0)
            } else if u < arrival_share + 0.25 {
                let Some((call, agent)) = floor.ringing.pick(&mut rng) else {
                    continue;
                };
                let t0 = Instant::now();
                acd.handle_answer(now, call, agent)?;
                (2, t0)
            } else if u < arrival_share + 0.50 {
                let Some(call) = floor.connected.pick(&mut rng) else {
                    continue;
                };
                let t0 = Instant::now();
                acd.handle_hangup(now, call)?;
                (3, t0)
            } else if u < arrival_share + 0.54 {
                let Some(call) = floor.unanswered.pick(&mut rng) else {
                    continue;
                };
                let t0 = Instant::now();
                acd.handle_hangup(now, call)?;
                (4, t0)
            } else if u < arrival_share + 0.55 {
                let Some((call, agent)) = floor.ringing.pick(&mut rng) else {
                    continue;
                };
                let t0 = Instant::now();
                acd.handle_decline(now, call, agent)?;
                (5, t0)
            } else if u < arrival_share + 0.58 {
                let agent = AgentId(rng.random_range(0..agents));
                let t0 = Instant::now();
                let _ = acd.handle_not_ready(now, agent, Reason::Break);
                (6, t0)
            } else {
                let Some(agent) = floor.on_break.pick(&mut rng) else {
                    continue;
                };
                let t0 = Instant::now();
                acd.handle_ready(now, agent)?;
                (7, t0)
            }
        };
        out.take(&mut acd);
        times.push(t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32);
        floor.learn(&mut out);
        count[kind] += 1;
    }
    let wall = started.elapsed();
    let busy_ns: u64 = times.iter().map(|&t| u64::from(t)).sum();
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    let per_second = times.len() as f64 / (busy_ns as f64 / 1e9);
    let out = json!({
        "agents": agents,
        "skills": skills,
        "waiting_target": waiting,
        "waiting_at_end": floor.unanswered.len().saturating_sub(floor.ringing.len()),
        "inputs": times.len(),
        "inputs_per_second": per_second,
        "p50_ns": pct(0.50),
        "p99_ns": pct(0.99),
        "p999_ns": pct(0.999),
        "max_ns": times.last().copied().unwrap_or(0),
        "mix": {
            "timers": count[0], "arrivals": count[1], "answers": count[2], "hangups": count[3],
            "abandons": count[4], "declines": count[5], "not_ready": count[6], "ready": count[7],
        },
        "load_seconds": load_time.as_secs_f64(),
        "wall_seconds": wall.as_secs_f64(),
    });
    if json {
        println!("{out}");
    } else {
        println!("routing: {agents} agents, {skills} skills/queues, ~{waiting} calls waiting");
        println!(
            "  {} inputs, {:.0} inputs/s on one core (engine time, drain included)",
            times.len(),
            per_second
        );
        println!(
            "  per input: p50 {:.2} µs, p99 {:.2} µs, p99.9 {:.2} µs, max {:.1} µs",
            f64::from(pct(0.5)) / 1e3,
            f64::from(pct(0.99)) / 1e3,
            f64::from(pct(0.999)) / 1e3,
            f64::from(times.last().copied().unwrap_or(0)) / 1e3
        );
        println!("  mix: {}", out["mix"]);
        println!(
            "  still waiting at the end: {}; loading took {:.1} s",
            out["waiting_at_end"],
            load_time.as_secs_f64()
        );
    }
    Ok(())
}
