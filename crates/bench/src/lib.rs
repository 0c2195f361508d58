//! The benchmarks behind `hotline bench …`: the workloads of the performance targets written
//! down as code, and the drivers of the peers they are measured against — sipp as the carrier
//! and the agents' phones, rtpengine as the other media relay, and the JSON answers of the
//! Python peers (Ciw, pyworkforce) read back for a ratio. `bench/run.sh` runs routing, sim and
//! staff with those peers side by side; `bench/relay.sh` the relay against rtpengine.
//!
//! Not part of the center (nothing that `hotline serve` runs uses it), not a test harness, and
//! not a program of its own: `relay` and `calls` start the current executable again
//! (`<exe> bench relay-phones …` for the relay's phones, `<exe> serve --demo …` for the
//! center), so it works only inside a binary that answers those commands the way `hotline`
//! does, parsing [`BenchCommand`] under `bench` and handing it to [`run`].

mod calls;
mod customers;
mod relay;
mod rtpengine;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use acd::*;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The benchmarks, as `hotline bench` takes them: one subcommand each, with its flags.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The routing engine under a large center's load: inputs per second and time per input.
    Routing {
        #[arg(long, default_value_t = 10_000)]
        agents: u32,
        #[arg(long, default_value_t = 200)]
        skills: u32,
        /// Calls kept waiting in the queues throughout.
        #[arg(long, default_value_t = 5_000)]
        waiting: usize,
        /// Inputs measured (after the center is loaded).
        #[arg(long, default_value_t = 2_000_000)]
        inputs: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// The simulator on the M/M/N+M model Ciw runs in bench/ciw_mmcm.py: simulated calls per
    /// second, and the ratio to Ciw given its JSON output.
    Sim {
        #[arg(long, default_value_t = 200.0)]
        calls_per_hour: f64,
        #[arg(long, default_value_t = 180.0)]
        aht: f64,
        #[arg(long, default_value_t = 12)]
        agents: u32,
        #[arg(long, default_value_t = 300.0)]
        patience: f64,
        #[arg(long, default_value_t = 1000.0)]
        hours: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Runs of the model; the median time counts.
        #[arg(long, default_value_t = 1)]
        repeat: u32,
        /// Ciw's result (bench/ciw_mmcm.py output) to compare with.
        #[arg(long)]
        ciw: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Staffing a week of half hours for 50 queues (16,800 intervals), compared with
    /// pyworkforce's answers and time given its JSON output.
    Staff {
        /// Write the problems as JSON (bench/pyworkforce_staff.py's input) and stop.
        #[arg(long)]
        write_problems: Option<PathBuf>,
        /// pyworkforce's results (bench/pyworkforce_staff.py output) to compare with.
        #[arg(long)]
        pyworkforce: Option<PathBuf>,
        /// Runs over the whole set, for a stable time.
        #[arg(long, default_value_t = 20)]
        repeat: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Customer create and caller-number lookup (the screen pop) on a database holding
    /// `--customers` customers: through the store, and through the HTTP API in process.
    Customers(crate::customers::Args),
    /// Bridged calls at once through the real media relay, with recording: packets lost or
    /// late, and CPU per call.
    Relay(crate::relay::Args),
    /// The phones of `bench relay`, run by it in a process of their own.
    #[command(hide = true)]
    RelayPhones(crate::relay::PhonesArgs),
    /// Whole calls per second through a real center (IVR, queue, agent, talk, hang-up),
    /// driven by sipp as carrier and as the agents' phones.
    Calls(crate::calls::Args),
}

/// Runs one benchmark to the end, its results on standard output (a table, or one JSON object
/// with `--json`), its progress on standard error.
pub fn run(cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Routing {
            agents,
            skills,
            waiting,
            inputs,
            seed,
            json,
        } => routing(agents, skills, waiting, inputs, seed, json),
        BenchCommand::Sim {
            calls_per_hour,
            aht,
            agents,
            patience,
            hours,
            seed,
            repeat,
            ciw,
            json,
        } => {
            let model = sim::Model::single_queue(
                calls_per_hour,
                aht,
                agents,
                20.0,
                Some(patience),
                hours,
                seed,
            );
            simulator(&model, repeat.max(1), ciw, json)
        }
        BenchCommand::Staff {
            write_problems,
            pyworkforce,
            repeat,
            seed,
            json,
        } => staffing(write_problems, pyworkforce, repeat.max(1), seed, json),
        BenchCommand::Customers(args) => crate::customers::run(args),
        BenchCommand::Relay(args) => crate::relay::run(args),
        BenchCommand::RelayPhones(args) => crate::relay::run_phones(args),
        BenchCommand::Calls(args) => crate::calls::run(args),
    }
}

// ----- routing ----------------------------------------------------------------------------

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
fn routing(
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

// ----- simulator vs Ciw -------------------------------------------------------------------

fn simulator(model: &sim::Model, repeat: u32, ciw: Option<PathBuf>, json: bool) -> Result<()> {
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..repeat {
        let started = Instant::now();
        report = Some(sim::run(model)?);
        times.push(started.elapsed().as_secs_f64());
    }
    let report = report.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let secs = times[times.len() / 2];
    let rate = report.total.offered as f64 / secs;
    let mut out = json!({
        "model": "M/M/N+M",
        "agents": model.agents[0].count,
        "hours": model.hours,
        "offered": report.total.offered,
        "p_abandon": report.total.p_abandon,
        "p_wait": report.total.p_wait,
        "service_level": report.total.service_level,
        "asa_seconds": report.total.asa_seconds,
        "wall_seconds": secs,
        "calls_per_second": rate,
    });
    if let Some(path) = ciw {
        let peer: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?;
        let peer_rate = peer["calls_per_second"]
            .as_f64()
            .context("ciw: calls_per_second")?;
        out["ciw"] = peer;
        out["ratio"] = json!(rate / peer_rate);
    }
    if json {
        println!("{out}");
    } else {
        println!(
            "simulator: {} calls in {:.3} s = {:.0} calls/s (P(abandon) {:.4}, P(wait) {:.4})",
            report.total.offered, secs, rate, report.total.p_abandon, report.total.p_wait
        );
        if let Some(ratio) = out["ratio"].as_f64() {
            println!(
                "ciw:       {} calls in {:.3} s = {:.0} calls/s (P(abandon) {:.4}, P(wait) {:.4})",
                out["ciw"]["offered"],
                out["ciw"]["wall_seconds"].as_f64().unwrap_or(0.0),
                out["ciw"]["calls_per_second"].as_f64().unwrap_or(0.0),
                out["ciw"]["p_abandon"].as_f64().unwrap_or(0.0),
                out["ciw"]["p_wait"].as_f64().unwrap_or(0.0),
            );
            println!("ratio:     {ratio:.1}× the calls per second");
        }
    }
    Ok(())
}

// ----- staffing vs pyworkforce ------------------------------------------------------------

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Problem {
    calls: f64,
    interval_minutes: f64,
    aht: f64,
    target_sl: f64,
    target_seconds: f64,
    shrinkage: f64,
    max_occupancy: f64,
}

/// A week of half hours (336) for 50 queues: each queue has a size, an AHT and a target; its
/// volume follows a daily curve (night low, morning and afternoon peaks) scaled by weekday.
fn problems(seed: u64) -> Vec<Problem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(50 * 336);
    for _queue in 0..50 {
        let peak = rng.random_range(20.0..800.0_f64);
        let aht = rng.random_range(120.0..600.0_f64).round();
        let (target_sl, target_seconds) =
            [(0.8, 20.0), (0.9, 30.0), (0.7, 60.0), (0.85, 15.0)][rng.random_range(0..4)];
        let shrinkage = rng.random_range(20..=40) as f64 / 100.0;
        let max_occupancy = rng.random_range(80..=95) as f64 / 100.0;
        for day in 0..7 {
            let weekday = [1.0, 0.95, 0.9, 0.9, 0.85, 0.6, 0.5][day];
            for half_hour in 0..48 {
                let h = half_hour as f64 / 2.0;
                let curve = 0.05
                    + 0.95
                        * (-((h - 10.5) / 2.5).powi(2))
                            .exp()
                            .max(0.8 * (-((h - 15.5) / 2.5).powi(2)).exp());
                let noise = rng.random_range(0.9..1.1);
                let calls = (peak * curve * weekday * noise).round().max(1.0);
                out.push(Problem {
                    calls,
                    interval_minutes: 30.0,
                    aht,
                    target_sl,
                    target_seconds,
                    shrinkage,
                    max_occupancy,
                });
            }
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct PeerAnswer {
    agents: u32,
    positions: u32,
}

fn staffing(
    write: Option<PathBuf>,
    peer: Option<PathBuf>,
    repeat: u32,
    seed: u64,
    json: bool,
) -> Result<()> {
    let problems = problems(seed);
    if let Some(path) = write {
        std::fs::write(&path, serde_json::to_string(&problems)?)
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("{} problems written to {}", problems.len(), path.display());
        return Ok(());
    }
    let requests: Vec<wfm::StaffingRequest> = problems
        .iter()
        .map(|p| wfm::StaffingRequest {
            calls: p.calls,
            interval_seconds: p.interval_minutes * 60.0,
            aht: p.aht,
            target_sl: p.target_sl,
            target_seconds: p.target_seconds,
            shrinkage: p.shrinkage,
            max_occupancy: p.max_occupancy,
            patience: None,
        })
        .collect();
    let started = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..repeat {
        answers = requests
            .iter()
            .map(wfm::staff)
            .collect::<Result<Vec<_>, _>>()?;
    }
    let secs = started.elapsed().as_secs_f64() / f64::from(repeat);
    let mut out = json!({
        "problems": problems.len(),
        "wall_seconds": secs,
        "total_agents": answers.iter().map(|a| u64::from(a.agents)).sum::<u64>(),
        "total_positions": answers.iter().map(|a| u64::from(a.positions)).sum::<u64>(),
    });
    if let Some(path) = peer {
        #[derive(Deserialize)]
        struct PeerRun {
            results: Vec<PeerAnswer>,
            wall_seconds: f64,
        }
        let run: PeerRun = serde_json::from_str(
            &std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?;
        if run.results.len() != answers.len() {
            bail!(
                "pyworkforce answered {} problems, not {}",
                run.results.len(),
                answers.len()
            );
        }
        let mut same = 0;
        let mut same_agents = 0;
        let mut differences = Vec::new();
        for ((p, ours), theirs) in problems.iter().zip(&answers).zip(&run.results) {
            same_agents += usize::from(ours.agents == theirs.agents);
            if (ours.agents, ours.positions) == (theirs.agents, theirs.positions) {
                same += 1;
            } else {
                differences.push(json!({
                    "problem": p, "ours": [ours.agents, ours.positions],
                    "pyworkforce": [theirs.agents, theirs.positions],
                    "why": explain(p, ours, theirs),
                }));
            }
        }
        out["identical"] = json!(same);
        out["identical_agents"] = json!(same_agents);
        out["different"] = json!(differences);
        out["pyworkforce_wall_seconds"] = json!(run.wall_seconds);
        out["ratio"] = json!(run.wall_seconds / secs);
    }
    if json {
        println!("{out}");
    } else {
        println!(
            "staffing: {} intervals (50 queues × 336 half hours) in {:.2} ms",
            problems.len(),
            secs * 1e3
        );
        if let Some(ratio) = out["ratio"].as_f64() {
            println!(
                "pyworkforce: {:.2} s; ratio {ratio:.0}×",
                out["pyworkforce_wall_seconds"].as_f64().unwrap_or(0.0),
            );
            println!(
                "identical answers: agents {} of {n}, agents and positions {} of {n}",
                out["identical_agents"],
                out["identical"],
                n = problems.len()
            );
            let different = out["different"].as_array().cloned().unwrap_or_default();
            let unexplained = different
                .iter()
                .filter(|d| d["why"] == "unexplained")
                .count();
            println!("unexplained differences: {unexplained}");
            for d in different.iter().take(3) {
                println!("  e.g. {d}");
            }
        }
    }
    Ok(())
}

/// Why pyworkforce's answer differs, checked rather than assumed.
fn explain(p: &Problem, ours: &wfm::Staffing, theirs: &PeerAnswer) -> String {
    let exact = f64::from(ours.agents) / (1.0 - p.shrinkage);
    let float_error = exact > exact.round() && exact - exact.round() < 1e-9;
    if ours.agents == theirs.agents && float_error && theirs.positions == ours.positions + 1 {
        return format!(
            "positions: {} / (1 − {}) is {exact} in floating point; pyworkforce rounds the \
             representation error up",
            ours.agents, p.shrinkage
        );
    }
    let fewer_meet_target = ours.metrics.service_level >= p.target_sl
        && ours.metrics.occupancy <= p.max_occupancy
        && (ours.traffic + 1.0).round_ties_even() > f64::from(ours.agents);
    if theirs.agents > ours.agents && fewer_meet_target {
        return format!(
            "agents: {} already meet the target (SL {:.4}, occupancy {:.4}); pyworkforce starts \
             its search at round(traffic + 1) = {}",
            ours.agents,
            ours.metrics.service_level,
            ours.metrics.occupancy,
            (ours.traffic + 1.0).round_ties_even()
        );
    }
    "unexplained".to_owned()
}
