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
mod crash;
mod customers;
mod kb;
mod leads;
mod orders;
mod relay;
mod reports;
mod routing;
mod rtpengine;
mod simulator;
mod staffing;

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

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
    /// Work orders on a database holding `--orders` open ones: the SLA sweep (finding what
    /// is due, and a whole round that says it), order creation and the handlers' lists.
    Orders(crate::orders::Args),
    /// A simulated year of a 300-seat center folded into the reports' rollups: events
    /// folded per second, the reports' queries, and the rollups' lag behind a live log.
    Reports(crate::reports::Args),
    /// The knowledge base's search over 100,000 generated Chinese articles: indexing
    /// throughput, index size, memory, and search p50 / p99.
    Kb(crate::kb::Args),
    /// Leads and the contact policy: a million leads and 100,000 dealers' territories —
    /// assignment, the reclaim sweep, and the policy's check per placed call.
    Leads(crate::leads::Args),
    /// Bridged calls at once through the real media relay, with recording: packets lost or
    /// late, and CPU per call.
    Relay(crate::relay::Args),
    /// The phones of `bench relay`, run by it in a process of their own.
    #[command(hide = true)]
    RelayPhones(crate::relay::PhonesArgs),
    /// Whole calls per second through a real center (IVR, queue, agent, talk, hang-up),
    /// driven by sipp as carrier and as the agents' phones.
    Calls(crate::calls::Args),
    /// The crash test: real load (sipp callers and phones, API writes), the center killed
    /// with SIGKILL at random moments and started again, and after each restart every
    /// acknowledged write, every call's record, every agent and phone checked.
    Crash(crate::crash::Args),
    /// A flood of bad REGISTERs from one address while real phones register from another.
    RegisterFlood(crate::crash::FloodArgs),
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
        } => routing::run(agents, skills, waiting, inputs, seed, json),
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
            simulator::run(&model, repeat.max(1), ciw, json)
        }
        BenchCommand::Staff {
            write_problems,
            pyworkforce,
            repeat,
            seed,
            json,
        } => staffing::run(write_problems, pyworkforce, repeat.max(1), seed, json),
        BenchCommand::Customers(args) => crate::customers::run(args),
        BenchCommand::Orders(args) => crate::orders::run(args),
        BenchCommand::Reports(args) => crate::reports::run(args),
        BenchCommand::Kb(args) => crate::kb::run(args),
        BenchCommand::Leads(args) => crate::leads::run(args),
        BenchCommand::Relay(args) => crate::relay::run(args),
        BenchCommand::RelayPhones(args) => crate::relay::run_phones(args),
        BenchCommand::Calls(args) => crate::calls::run(args),
        BenchCommand::Crash(args) => crate::crash::run(args),
        BenchCommand::RegisterFlood(args) => crate::crash::flood(args),
    }
}

/// Nanoseconds on CPU (user and system) of process `pid`, all its threads.
pub fn process_cpu_ns(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (which may hold spaces and parentheses): state, ppid, …,
    // utime (12th) and stime (13th), in clock ticks of 10 ms.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) * 10_000_000
}
