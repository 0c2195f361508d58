//! `hotline`: the one binary that runs the contact center and its tools.

mod report;
mod serve;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "hotline",
    version,
    about = "Hotline — an open-source contact center (呼叫中心)",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the whole center with its demo tenant on the embedded database
    /// (./data/hotline.db): `serve --demo`. Prints where to go and whom to log in as.
    Start {
        #[arg(long, env = "HOTLINE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        sip: serve::SipArgs,
    },
    /// Serve the center: the HTTP and WebSocket API and SIP (the web desktop comes next).
    Serve(serve::ServeArgs),
    /// Administration: the first platform administrator.
    Admin {
        #[command(subcommand)]
        command: serve::AdminCommand,
    },
    /// A simulated day at the demo water utility's hotline, on the real routing engine.
    DemoDay,
    /// Create or upgrade the database: SQLite by default, PostgreSQL with a postgres:// URL.
    Migrate {
        #[arg(long, default_value = "sqlite://data/hotline.db")]
        database: String,
    },
    /// Back up the embedded database while the center runs (a consistent copy to a new
    /// file). To restore: stop the center, put the copy in place of the database file
    /// (removing its -wal and -shm files), start it. On PostgreSQL, use pg_dump.
    Backup {
        #[arg(
            long,
            env = "HOTLINE_DATABASE",
            default_value = "sqlite://data/hotline.db"
        )]
        database: String,
        /// The new file to write (never overwritten).
        to: std::path::PathBuf,
    },
    /// Simulate a contact center on a virtual clock, driving the real routing engine.
    #[command(long_about = SIMULATE_HELP)]
    Simulate(SimulateArgs),
    /// Workforce formulas: Erlang C, Erlang A, and staffing for a service-level target.
    Wfm {
        #[command(subcommand)]
        formula: WfmCommand,
    },
    /// Benchmarks; see bench/run.sh for the side-by-side runs against peers.
    Bench {
        #[command(subcommand)]
        bench: bench::BenchCommand,
    },
}

const SIMULATE_HELP: &str = "\
Simulate a contact center on a virtual clock, driving the real routing engine.

Single queue (M/M/N, or M/M/N+M with --patience): Poisson arrivals, exponential talk times,
N agents always logged in, answered as soon as offered, no after-call work. Checkable
against `hotline wfm erlang-c` / `erlang-a`.

The general case (several queues and skills, a day's arrival curve, lognormal talk times,
rosters with shifts and breaks) comes from a TOML file: --config examples/water-utility.toml.

Measures (over calls by arrival time):
  service level  calls answered within the target time / calls offered (abandoned and
                 overflowed calls count against it)
  ASA            mean wait from arrival to answer of the answered calls
  AHT            mean talk + after-call work of the answered calls
  occupancy      agent time ringing, talking, on hold or in after-call work / time logged
                 in and not on a not-ready reason
  P(wait)        share of offered calls that found no agent free on arrival
  P(abandon)     share of offered calls whose caller hung up before an answer";

#[derive(Debug, Args)]
struct SimulateArgs {
    /// A TOML model (several queues, skills, rosters); replaces the single-queue flags.
    #[arg(long, conflicts_with_all = ["calls_per_hour", "aht", "agents", "patience"])]
    config: Option<PathBuf>,
    /// Arrival rate (Poisson).
    #[arg(long, required_unless_present = "config")]
    calls_per_hour: Option<f64>,
    /// Mean talk time in seconds (exponential).
    #[arg(long, required_unless_present = "config")]
    aht: Option<f64>,
    /// Agents, all logged in for the whole run.
    #[arg(long, required_unless_present = "config")]
    agents: Option<u32>,
    /// The "20 s" of "80 % answered in 20 s".
    #[arg(long, default_value_t = 20.0)]
    target_seconds: f64,
    /// Mean patience in seconds (exponential); without it nobody abandons.
    #[arg(long)]
    patience: Option<f64>,
    /// Simulated hours.
    #[arg(long, default_value_t = 1000.0)]
    hours: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum WfmCommand {
    /// Erlang C (M/M/N): callers wait as long as it takes.
    ErlangC {
        #[command(flatten)]
        load: Load,
        #[arg(long)]
        json: bool,
    },
    /// Erlang A (M/M/N+M): callers abandon after an exponential patience.
    ErlangA {
        #[command(flatten)]
        load: Load,
        /// Mean patience in seconds.
        #[arg(long)]
        patience: f64,
        #[arg(long)]
        json: bool,
    },
    /// Agents and positions an interval needs for a service-level target.
    Staff {
        /// Calls offered in the interval.
        #[arg(long)]
        calls: f64,
        #[arg(long, default_value_t = 30.0)]
        interval_minutes: f64,
        /// Average handle time in seconds (talk + hold + after-call work).
        #[arg(long)]
        aht: f64,
        /// Service-level target as a fraction, e.g. 0.8.
        #[arg(long)]
        target_sl: f64,
        #[arg(long, default_value_t = 20.0)]
        target_seconds: f64,
        /// Share of paid time not on the phones (breaks, training, absence).
        #[arg(long, default_value_t = 0.0)]
        shrinkage: f64,
        #[arg(long, default_value_t = 1.0)]
        max_occupancy: f64,
        /// Staff with Erlang A for callers with this mean patience (seconds).
        #[arg(long)]
        patience: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
struct Load {
    /// Offered load in Erlangs (calls per second × AHT).
    #[arg(long)]
    traffic: f64,
    #[arg(long)]
    agents: u32,
    /// Average handle time in seconds.
    #[arg(long)]
    aht: f64,
    #[arg(long, default_value_t = 20.0)]
    target_seconds: f64,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Start { listen, sip } => serve::serve(serve::ServeArgs {
            database: serve::DEFAULT_DATABASE.into(),
            listen,
            demo: true,
            time_travel: false,
            web: "web/dist".into(),
            metrics_token: None,
            behind_tls: false,
            sip,
        }),
        Command::Serve(args) => serve::serve(args),
        Command::Admin { command } => serve::admin(command),
        Command::DemoDay => demo_day(),
        Command::Migrate { database } => migrate(&database),
        Command::Backup { database, to } => backup(&database, &to),
        Command::Simulate(args) => simulate(args),
        Command::Wfm { formula } => formulas(formula),
        Command::Bench { bench: cmd } => bench::run(cmd),
    }
}

const DEMO: &str = include_str!("../../../examples/water-utility.toml");

fn demo_day() -> Result<()> {
    println!("Hotline — 呼叫中心 demo: a day at the water utility hotline 96332");
    println!("(the routing engine at work on a simulated day: examples/water-utility.toml)\n");
    let model: sim::Model = toml::from_str(DEMO).context("the demo model")?;
    let report = sim::run(&model)?;
    report::table(&report, &model);
    Ok(())
}

fn migrate(database: &str) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let store = store::Store::open(database)
            .await
            .with_context(|| format!("opening {database}"))?;
        let tenants = store.tenants().await?.len();
        store.close().await;
        println!("{database}: up to date ({tenants} tenants)");
        Ok(())
    })
}

fn backup(database: &str, to: &std::path::Path) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let store = store::Store::open(database)
            .await
            .with_context(|| format!("opening {database}"))?;
        let started = std::time::Instant::now();
        store
            .backup(to)
            .await
            .with_context(|| format!("backing up {database}"))?;
        store.close().await;
        let size = std::fs::metadata(to).map_or(0, |m| m.len());
        println!(
            "{database} backed up to {} ({:.1} MB in {:.1} s)",
            to.display(),
            size as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    })
}

fn simulate(args: SimulateArgs) -> Result<()> {
    let model = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => sim::Model::single_queue(
            args.calls_per_hour.expect("required by clap"),
            args.aht.expect("required by clap"),
            args.agents.expect("required by clap"),
            args.target_seconds,
            args.patience,
            args.hours,
            args.seed,
        ),
    };
    let report = sim::run(&model)?;
    if args.json {
        let mut out = report::totals_json(&report.total);
        if args.config.is_some() {
            out["queues"] = json!(
                report
                    .queues
                    .iter()
                    .map(|(name, s)| {
                        let mut q = report::totals_json(s);
                        q["name"] = json!(name);
                        q
                    })
                    .collect::<Vec<_>>()
            );
            out["intervals"] = json!(report.intervals);
        }
        println!("{out}");
    } else {
        report::table(&report, &model);
    }
    Ok(())
}

fn formulas(formula: WfmCommand) -> Result<()> {
    let (out, json) = match formula {
        WfmCommand::ErlangC { load, json } => {
            let m = wfm::erlang_c(load.traffic, load.agents, load.aht, load.target_seconds)
                .map_err(flag_error)?;
            let out = json!({
                "p_wait": m.p_wait,
                "service_level": m.service_level,
                "asa_seconds": m.asa_seconds,
                "occupancy": m.occupancy,
            });
            (out, json)
        }
        WfmCommand::ErlangA {
            load,
            patience,
            json,
        } => {
            let m = wfm::erlang_a(
                load.traffic,
                load.agents,
                load.aht,
                patience,
                load.target_seconds,
            )
            .map_err(flag_error)?;
            let out = json!({
                "p_wait": m.p_wait,
                "p_abandon": m.p_abandon,
                "service_level": m.service_level,
                "asa_seconds": m.asa_seconds,
                "occupancy": m.occupancy,
            });
            (out, json)
        }
        WfmCommand::Staff {
            calls,
            interval_minutes,
            aht,
            target_sl,
            target_seconds,
            shrinkage,
            max_occupancy,
            patience,
            json,
        } => {
            let s = wfm::staff(&wfm::StaffingRequest {
                calls,
                interval_seconds: interval_minutes * 60.0,
                aht,
                target_sl,
                target_seconds,
                shrinkage,
                max_occupancy,
                patience,
            })
            .map_err(flag_error)?;
            let mut out = json!({
                "traffic": s.traffic,
                "agents": s.agents,
                "positions": s.positions,
                "service_level": s.metrics.service_level,
                "asa_seconds": s.metrics.asa_seconds,
                "occupancy": s.metrics.occupancy,
                "p_wait": s.metrics.p_wait,
            });
            if patience.is_some() {
                out["p_abandon"] = json!(s.metrics.p_abandon);
            }
            (out, json)
        }
    };
    if json {
        println!("{out}");
    } else {
        for (key, value) in out.as_object().expect("an object") {
            match value.as_f64() {
                Some(v) if value.is_f64() => println!("{key:>14}  {v:.4}"),
                _ => println!("{key:>14}  {value}"),
            }
        }
    }
    Ok(())
}

/// A formula's complaint about a field, worded as the command-line flag the user typed.
fn flag_error(e: wfm::WfmError) -> anyhow::Error {
    match e {
        wfm::WfmError::Invalid { field, reason } => {
            let flag = match field {
                "interval_seconds" => "interval-minutes".to_owned(),
                other => other.replace('_', "-"),
            };
            anyhow::anyhow!("--{flag} {reason}")
        }
        other => other.into(),
    }
}
