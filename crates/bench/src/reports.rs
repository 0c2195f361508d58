//! `hotline bench reports`: a year of a 300-seat center's traffic made by the simulator,
//! folded into the reports' rollups and kept in SQLite or PostgreSQL, then the reports'
//! queries timed through the runtime (`App::report`), as the API runs them.
//!
//! Workload: `--queues` queues (50) and `--seats` agents (300) in ten groups, each group
//! serving five queues, on two shifts (07:00–15:00 and 14:00–22:00, a break and a meal
//! each); calls from 07:00 to 22:00 with a midday and an afternoon peak, `--calls-per-day`
//! in all (27,500: ten million a year), four minutes' talk, 20 s of wrap-up, callers who
//! give up after about two minutes. The simulator's engine events and call records (the log
//! the center would write) are folded as they come and the rollups written a simulated day
//! at a time. Measured:
//!
//! - `fold`: events folded per second (the fold alone), and with the rollups' writes
//!   (`fold_and_write`). Target ≥ 100,000 events/s.
//! - queries, `--queries` times each: 30 days × every queue × half hours (≤ 50 ms), a month
//!   by day (≤ 50 ms), a year by month (≤ 200 ms), a month's agent ranking (≤ 300 ms).
//! - `lag`: with the center's own log writer and rollup task running, 100 calls a second
//!   (their events appended as the center appends them) for `--lag-seconds`: the time from
//!   an append's commit to its rollups being written. Target ≤ 1 s.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use events::Event;
use reports::{Dim, Fold, Granularity, Rollup};
use serde_json::json;
use sim::{AgentGroup, Break, Model, QueueModel, Shift};
use store::{NewEvent, NewTenant, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite://path` or `postgres://…`; a fresh tenant is created in it.
    #[arg(long, default_value = "sqlite://target/bench/reports.db")]
    database: String,
    #[arg(long, default_value_t = 365)]
    days: u32,
    #[arg(long, default_value_t = 300)]
    seats: u32,
    #[arg(long, default_value_t = 50)]
    queues: u32,
    #[arg(long, default_value_t = 27_500.0)]
    calls_per_day: f64,
    #[arg(long, default_value_t = 50)]
    queries: u32,
    #[arg(long, default_value_t = 20)]
    lag_seconds: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// Friday 1 January 2027, 00:00 in Beijing: the simulated year starts here.
const EPOCH: i64 = 1_798_732_800_000;
const DAY_MS: i64 = 86_400_000;

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(args))
}

/// The simulated center.
fn model(args: &Args) -> Model {
    // Calls an hour by half hour of the day: none before 07:00 or after 22:00, a morning and
    // an afternoon peak.
    let shape: Vec<f64> = (0..48)
        .map(|h| {
            let t = f64::from(h) / 2.0;
            if !(7.0..22.0).contains(&t) {
                0.0
            } else {
                1.0 + (-(t - 10.0).powi(2) / 4.0).exp() + 0.8 * (-(t - 15.0).powi(2) / 6.0).exp()
            }
        })
        .collect();
    let total: f64 = shape.iter().sum::<f64>() / 2.0;
    let per_queue = args.calls_per_day / f64::from(args.queues);
    let queues = (0..args.queues)
        .map(|q| QueueModel {
            name: format!("q{q:02}"),
            calls_per_hour: shape.iter().map(|s| s * per_queue / total).collect(),
            aht: 240.0,
            handle: sim::HandleTime::Exponential,
            handle_sd: 0.0,
            patience: Some(120.0),
            segments: Vec::new(),
            routing: acd::QueueConfig {
                wrap_up: Duration::from_secs(20),
                ..acd::QueueConfig::default()
            },
        })
        .collect();
    let groups = 10u32;
    let brk = |at: f64, minutes: f64, reason: acd::Reason| Break {
        at,
        minutes,
        reason,
    };
    let agents = (0..groups)
        .flat_map(|g| {
            let serves: Vec<String> = (0..5)
                .map(|i| format!("q{:02}", (g * 5 + i) % args.queues))
                .collect();
            let per_shift = args.seats / groups / 2;
            [(7.0, 15.0, 10.0, 12.0), (14.0, 22.0, 16.0, 18.0)]
                .into_iter()
                .enumerate()
                .map(move |(s, (start, end, b, meal))| AgentGroup {
                    name: format!("g{g}s{s}"),
                    count: per_shift,
                    skills: Vec::new(),
                    queues: serves.clone(),
                    capacity: [1, 0, 0],
                    shifts: vec![Shift {
                        start,
                        end,
                        breaks: vec![
                            brk(b, 15.0, acd::Reason::Break),
                            brk(meal, 30.0, acd::Reason::Meal),
                        ],
                    }],
                })
        })
        .collect();
    Model {
        seed: args.seed,
        hours: f64::from(args.days) * 24.0,
        interval_minutes: 30.0,
        answer_seconds: 3.0,
        queues,
        agents,
    }
}

struct Timings(Vec<f64>);

impl Timings {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort_by(f64::total_cmp);
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0.get(i).copied().unwrap_or(0.0)
    }

    fn summary(&mut self) -> serde_json::Value {
        json!({"n": self.0.len(), "p50_ms": self.pct(0.5), "p99_ms": self.pct(0.99)})
    }
}

async fn bench(args: Args) -> Result<()> {
    let store = Store::open(&args.database)
        .await
        .with_context(|| format!("opening {}", args.database))?;
    let wall = server::Clock::System.now_ms();
    let slug = format!("bench-{wall}");
    let tenant = store
        .create_tenant(
            &NewTenant::new(&slug, "bench", 1000, &format!("{slug}.local")),
            wall,
        )
        .await?;
    let scoped = store.scoped(tenant.id);
    let zone = jiff::tz::TimeZone::get(&tenant.time_zone)?;

    // The simulation runs on its own thread and hands its log over a day at a time.
    let model = model(&args);
    let names: Vec<String> = model.queues.iter().map(|q| q.name.clone()).collect();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(Event, i64)>>(4);
    let started = Instant::now();
    let simulation = std::thread::spawn(move || -> Result<u64> {
        let mut logger = sim::log::Logger::new(names, EPOCH, 2_000_000);
        let mut batch = Vec::new();
        let mut day_end = EPOCH + DAY_MS;
        let mut contacts = 0u64;
        sim::run_with(&model, &mut |e| {
            if matches!(e.kind, acd::EventKind::CallEnded { .. }) {
                contacts += 1;
            }
            logger.take(e, &mut batch);
            if batch.last().is_some_and(|(_, at)| *at >= day_end) {
                day_end += DAY_MS;
                let _ = tx.send(std::mem::take(&mut batch));
            }
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let _ = tx.send(batch);
        Ok(contacts)
    });
    let mut fold = Fold::new();
    let (mut events, mut fold_s, mut write_s) = (0u64, 0.0f64, 0.0f64);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    loop {
        let rx = rx.clone();
        let Some(day) = tokio::task::spawn_blocking(move || rx.lock().ok()?.recv().ok()).await?
        else {
            break;
        };
        let t = Instant::now();
        let mut out = Rollup::default();
        for (e, at) in &day {
            fold.apply(e, *at, &mut out);
        }
        fold_s += t.elapsed().as_secs_f64();
        events += day.len() as u64;
        let t = Instant::now();
        let (halves, days) = app::reports::rows(out, &zone);
        scoped
            .apply_rollups(
                &halves,
                &days,
                events as i64,
                &fold.state(),
                &app::reports::merge,
            )
            .await?;
        write_s += t.elapsed().as_secs_f64();
    }
    let contacts = simulation
        .join()
        .map_err(|_| anyhow::anyhow!("the simulation panicked"))??;
    let total_s = started.elapsed().as_secs_f64();
    let row_count = scoped.rollup_rows_count().await?;
    eprintln!(
        "{contacts} contacts, {events} events, {row_count} rollup rows in {total_s:.0} s \
         (fold {fold_s:.1} s, writes {write_s:.1} s)"
    );

    // The queries, through the runtime as the API runs them.
    let clock = Arc::new(AtomicI64::new(EPOCH + i64::from(args.days) * DAY_MS));
    let app = app::App::new(store.clone(), app::Clock::Manual(clock.clone()));
    let end = EPOCH + i64::from(args.days) * DAY_MS;
    let month = (end - 31 * DAY_MS, end - DAY_MS);
    let cases = [
        (
            "30d_queues_half_hours",
            month.0,
            month.1,
            Granularity::HalfHour,
            Dim::Queue,
        ),
        ("month_by_day", month.0, month.1, Granularity::Day, Dim::All),
        ("year_by_month", EPOCH, end, Granularity::Month, Dim::All),
        (
            "month_agent_ranking",
            month.0,
            month.1,
            Granularity::Total,
            Dim::Agent,
        ),
    ];
    let mut queries = serde_json::Map::new();
    for (name, from_ms, to_ms, granularity, dim) in cases {
        let q = app::reports::ReportQuery {
            from_ms,
            to_ms,
            granularity,
            dim,
            keys: None,
        };
        let mut times = Timings(Vec::new());
        let mut lines = 0;
        for _ in 0..args.queries {
            let t = Instant::now();
            let r = app.report(tenant.id, &q).await?;
            times.0.push(t.elapsed().as_secs_f64() * 1e3);
            lines = r.rows.len();
        }
        let mut s = times.summary();
        s["rows"] = json!(lines);
        queries.insert(name.into(), s);
    }

    // The largest read alone: a month of every queue's half hours, as the store returns them
    // (packed, as a report reads them).
    let mut times = Timings(Vec::new());
    for _ in 0..args.queries {
        let t = Instant::now();
        scoped
            .rollup_packed_in(
                store::RollupLevel::HalfHour,
                "queue",
                month.0,
                month.1,
                None,
                None,
            )
            .await?;
        times.0.push(t.elapsed().as_secs_f64() * 1e3);
    }
    queries.insert("30d_queues_half_hours_store_read".into(), times.summary());

    let lag = lag(&store, &args).await?;
    let out = json!({
        "backend": format!("{:?}", store.backend()),
        "days": args.days,
        "seats": args.seats,
        "queues": args.queues,
        "contacts": contacts,
        "events": events,
        "rollup_rows": row_count,
        "simulate_fold_write_s": total_s,
        "fold_events_per_s": events as f64 / fold_s,
        "fold_and_write_events_per_s": events as f64 / (fold_s + write_s),
        "queries": queries,
        "lag": lag,
    });
    if args.json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

/// 100 calls a second through the center's own log writer and rollup task: how long from
/// an append's commit until the rollups have folded it.
async fn lag(store: &Store, args: &Args) -> Result<serde_json::Value> {
    let wall = server::Clock::System.now_ms();
    let slug = format!("bench-lag-{wall}");
    let tenant = store
        .create_tenant(
            &NewTenant::new(&slug, "lag", 1000, &format!("{slug}.local")),
            wall,
        )
        .await?;
    let app = app::App::new(store.clone(), app::Clock::System);
    let _rollups = app.start_rollups();
    // A simulated busy hour's log, replayed at 100 calls a second.
    let mut one = model(args);
    one.hours = 12.0;
    let mut logger = sim::log::Logger::new(
        one.queues.iter().map(|q| q.name.clone()).collect(),
        wall,
        100_000,
    );
    let mut log = Vec::new();
    sim::run_with(&one, &mut |e| logger.take(e, &mut log)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let scoped = store.scoped(tenant.id);
    let mut times = Timings(Vec::new());
    let mut calls = 0;
    let mut next = 0;
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while started.elapsed() < Duration::from_secs(u64::from(args.lag_seconds)) && next < log.len() {
        tick.tick().await;
        // Ten calls' worth of events each tenth of a second.
        let mut batch = Vec::new();
        let mut ended = 0;
        while ended < 10 && next < log.len() {
            let (e, at) = &log[next];
            if matches!(e, Event::CallEnded(_)) {
                ended += 1;
            }
            batch.push(NewEvent {
                tenant: tenant.id,
                id: format!("lag-{next}"),
                at_ms: *at,
                kind: e.kind(),
                payload: e.to_value(),
                order: None,
                lead: None,
            });
            next += 1;
        }
        calls += ended;
        app.events().append_all(batch).await?;
        let committed = Instant::now();
        let seq = scoped.last_event_seq().await?;
        loop {
            if scoped.rollup_cursor().await?.is_some_and(|(s, _)| s >= seq) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        times.0.push(committed.elapsed().as_secs_f64() * 1e3);
    }
    let mut s = times.summary();
    s["calls_per_s"] = json!(f64::from(calls) / started.elapsed().as_secs_f64());
    s["max_ms"] = json!(times.pct(1.0));
    Ok(s)
}
