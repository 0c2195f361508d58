//! `hotline bench orders`: work orders with a million open, on SQLite or PostgreSQL.
//!
//! Workload: a fresh tenant with a repair type (accept within 30 minutes of the wall clock,
//! resolve in 5 working days, chased at 80 %) and a crew, bulk-loaded with `--orders` open
//! orders taken in over the four working days before Tuesday 1 December 2026 10:00 (Beijing),
//! each accepted by one of 200 handlers, written as the center writes them (each with its
//! events, in batches of 1,000). One in a hundred has a limit of an hour instead, so about
//! 10,000 are due for a warning or a breach at the bench's "now". The planner's statistics
//! are then refreshed (`ANALYZE`), as the database's maintenance does. Timed, one at a time:
//!
//! - `sweep_find`: the query the sweep runs each second — the orders due by now, 500 at a
//!   time, by the (tenant, next due) index — `--finds` times. Target p99 ≤ 50 ms.
//! - `sweep_round`: whole rounds of the sweep (find, load each order's calendar, say the
//!   warnings and breaches, write each order's new version with its events), until nothing
//!   is due; per round of up to 500 orders.
//! - `create`: `--creates` orders taken in through the runtime, each routed and written.
//! - lists through the HTTP API in process, `--lists` times each: a handler's own orders
//!   (`mine=true`), the lead's breached orders, an order type's open orders, an order's page,
//!   the open orders a new one may duplicate (the intake form's suggestions).

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::Request;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use store::{NewTenant, Role, Store};
use tickets::{Command, Intake, Limit, Policy, Step, Ticket};
use tower::ServiceExt;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite://path` or `postgres://…`; a fresh tenant is created in it.
    #[arg(long, default_value = "sqlite://target/bench/orders.db")]
    database: String,
    #[arg(long, default_value_t = 1_000_000)]
    orders: u32,
    #[arg(long, default_value_t = 200)]
    finds: u32,
    #[arg(long, default_value_t = 2_000)]
    creates: u32,
    #[arg(long, default_value_t = 300)]
    lists: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// Tuesday 1 December 2026, 10:00 in Beijing.
const NOW: i64 = 1_796_090_400_000;
const HANDLERS: u64 = 200;

struct Timings(Vec<u64>);

impl Timings {
    fn pct(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i] as f64 / 1e6
    }

    fn summary(&mut self) -> serde_json::Value {
        json!({"n": self.0.len(), "p50_ms": self.pct(0.5), "p99_ms": self.pct(0.99)})
    }
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(args))
}

fn policy(short: bool) -> Policy {
    Policy {
        segment: None,
        calendar: None,
        accept: Some(Limit::WallMinutes(30)),
        first_action: None,
        resolve: Some(if short {
            Limit::WorkingMinutes(60)
        } else {
            Limit::WorkingDays(5)
        }),
        warn_percent: 80,
        escalate_percent: 150,
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
            &NewTenant::new(&slug, "bench", 100, &format!("{slug}.local")),
            wall,
        )
        .await?;
    let scoped = store.scoped(tenant.id);
    let (lead, lead_token) =
        crate::customers::session(&store, &tenant, Role::Supervisor, "bench-lead", wall).await?;
    let (handler, handler_token) =
        crate::customers::session(&store, &tenant, Role::BackOffice, "bench-crew", wall).await?;
    scoped
        .put_config(
            "order_type",
            "repair",
            &json!({"name_zh": "报修", "name_en": "Repair", "callback_required": true,
                    "policies": [{"accept": {"unit": "wall_minutes", "value": 30},
                                  "resolve": {"unit": "working_days", "value": 5},
                                  "warn_percent": 80}]}),
            None,
            wall,
            None,
        )
        .await?;
    scoped
        .put_config(
            "handling_group",
            "crew",
            &json!({"name": "维修班", "kind": "crew", "members": [handler.id.0],
                    "lead": lead.id.0, "handles": [{"order_type": "repair"}]}),
            None,
            wall,
            None,
        )
        .await?;
    let cal = tickets::standard_calendar();
    let n = u64::from(args.orders);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    // Handlers: the bench's own user first, then made-up ids (their rows need no user).
    let handler_of = |i: u64| {
        if i.is_multiple_of(HANDLERS) {
            handler.id.0 as u64
        } else {
            1_000_000 + i % HANDLERS
        }
    };
    let first_id = store.max_order_id().await? + 1;

    // Bulk load: four working days of intake, accepted, each order's two versions (taken
    // in and dispatched, then accepted) with their events.
    let started = Instant::now();
    let span = 4 * 86_400_000;
    let mut i = 0;
    while i < n {
        let end = (i + 500).min(n);
        let mut events = Vec::with_capacity(2 * (end - i) as usize);
        for j in i..end {
            let id = first_id + j as i64;
            let created = NOW - 3_600_000 - rng.random_range(0..span);
            let short = j % 100 == 7;
            let mut t = Ticket::new(
                id as u64,
                Intake {
                    order_type: "repair".into(),
                    category: String::new(),
                    title: format!("漏水 {j}"),
                    region: format!("浙江省/杭州市/区{}", j % 13),
                    caller: Some(format!("+8613{:09}", j)),
                    ..Intake::default()
                },
                true,
                Some(policy(short)),
                None,
                created,
            );
            let dispatched = t
                .apply(
                    Command::Dispatch {
                        group: "crew".into(),
                    },
                    &cal,
                    created,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            anyhow::ensure!(dispatched.is_some());
            let v1 = app::orders::row_of(&t, 1, None, &cal, created);
            events.push(app::orders::change_event(
                tenant.id, &v1, "open", None, "dispatch", None, None, created,
            ));
            let accepted = created + 600_000;
            t.apply(
                Command::Accept {
                    handler: handler_of(j),
                },
                &cal,
                accepted,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            t.step(Step::OnTheWay, &cal, accepted)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let v2 = app::orders::row_of(&t, 2, Some(&v1), &cal, accepted);
            events.push(app::orders::change_event(
                tenant.id,
                &v2,
                "dispatched",
                Some(handler_of(j) as i64),
                "accept",
                None,
                None,
                accepted,
            ));
        }
        let written = store.append_events(&events).await?;
        anyhow::ensure!(written == events.len() as u64, "a batch was not all new");
        i = end;
        if !args.json && i.is_multiple_of(50_000) {
            eprint!("\r  loaded {i} / {n} orders");
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    if !args.json {
        eprintln!();
    }
    // As autovacuum would in time: without statistics PostgreSQL plans the million rows as
    // a few hundred (the breached board took 1 s a page instead of 0.2 ms).
    store.analyze().await?;

    // The sweep's query.
    let mut finds = Timings(Vec::new());
    let mut due_found = 0;
    for _ in 0..args.finds {
        let t = Instant::now();
        let due = scoped.orders_due(NOW, 500).await?;
        finds.0.push(t.elapsed().as_nanos() as u64);
        due_found = due.len();
    }

    // Whole rounds of the sweep at the bench's now, until nothing is due.
    let clock = Arc::new(AtomicI64::new(NOW));
    let state = server::AppState::new(
        store.clone(),
        server::Clock::Manual(clock.clone()),
        server::Settings::default(),
    );
    let center = state.app().clone();
    let mut rounds = Timings(Vec::new());
    let mut said = 0;
    let sweep_started = Instant::now();
    loop {
        let t = Instant::now();
        let s = center.sweep_orders(tenant.id).await?;
        if s == 0 {
            break;
        }
        rounds.0.push(t.elapsed().as_nanos() as u64);
        said += s;
        anyhow::ensure!(rounds.0.len() < 10_000, "the sweep does not finish");
    }
    let sweep_s = sweep_started.elapsed().as_secs_f64();
    let left_due = scoped.orders_due(NOW, 1).await?.len();
    anyhow::ensure!(left_due == 0, "orders still due after the sweep");

    // Creation through the runtime: checked, numbered, routed, written with its events.
    let mut creates = Timings(Vec::new());
    let lead_user = store
        .user(Some(tenant.id), lead.id)
        .await?
        .context("the lead")?;
    for j in 0..u64::from(args.creates) {
        let intake = Intake {
            order_type: "repair".into(),
            title: format!("新报修 {j}"),
            region: "浙江省/杭州市/西湖区".into(),
            caller: Some(format!("+8615{j:09}")),
            ..Intake::default()
        };
        let t = Instant::now();
        center
            .create_order(tenant.id, Some(&lead_user), intake, false)
            .await?;
        creates.0.push(t.elapsed().as_nanos() as u64);
    }

    // Lists through the API.
    let api = server::app(state);
    let mut lists = serde_json::Map::new();
    let kinds = [
        ("handler_mine", &handler_token),
        ("lead_breached", &lead_token),
        ("type_open", &lead_token),
        ("order_page", &handler_token),
        ("similar_intake", &handler_token),
    ];
    for (kind, token) in kinds {
        let mut t = Timings(Vec::new());
        for _ in 0..args.lists {
            let path = match kind {
                "handler_mine" => "/api/orders?mine=true&status=active&limit=50".to_string(),
                "lead_breached" => "/api/orders?status=active&breached=true&limit=50".into(),
                "type_open" => "/api/orders?status=accepted&order_type=repair&limit=50".into(),
                // The intake form's duplicates: the same kind of trouble in one of 13
                // districts (浙江省/杭州市/区3, percent-encoded).
                "similar_intake" => format!(
                    "/api/orders/similar?order_type=repair&region=%E6%B5%99%E6%B1%9F%E7%9C%81/%E6%9D%AD%E5%B7%9E%E5%B8%82/%E5%8C%BA{}",
                    rng.random_range(0..13)
                ),
                _ => format!("/api/orders/{}", first_id + rng.random_range(0..n) as i64),
            };
            let started = Instant::now();
            let req = Request::get(&path)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())?;
            let resp = api.clone().oneshot(req).await?;
            anyhow::ensure!(resp.status().is_success(), "{kind}: {}", resp.status());
            axum::body::to_bytes(resp.into_body(), 1 << 24).await?;
            t.0.push(started.elapsed().as_nanos() as u64);
        }
        lists.insert(kind.into(), t.summary());
    }

    let out = json!({
        "backend": format!("{:?}", store.backend()),
        "orders": n,
        "bulk_load_per_s": n as f64 / load_s,
        "sweep_find": finds.summary(),
        "sweep_find_rows": due_found,
        "sweep_round": rounds.summary(),
        "sweep_signals": said,
        "sweep_signals_per_s": said as f64 / sweep_s,
        "create": creates.summary(),
        "list_http": lists,
    });
    if args.json {
        println!("{out}");
    } else {
        let ms = |v: &serde_json::Value| {
            format!(
                "{:>6} × p50 {:.3} ms   p99 {:.3} ms",
                v["n"],
                v["p50_ms"].as_f64().unwrap_or(0.0),
                v["p99_ms"].as_f64().unwrap_or(0.0)
            )
        };
        println!(
            "{} with {n} open work orders",
            out["backend"].as_str().unwrap_or_default()
        );
        println!(
            "  bulk load     {:>10.0} orders/s (two versions and events each)",
            out["bulk_load_per_s"].as_f64().unwrap_or(0.0)
        );
        println!(
            "  sweep find    {}   ({} rows a page; target p99 ≤ 50 ms)",
            ms(&out["sweep_find"]),
            due_found
        );
        println!(
            "  sweep round   {}   ({} warnings and breaches said, {:.0}/s)",
            ms(&out["sweep_round"]),
            said,
            out["sweep_signals_per_s"].as_f64().unwrap_or(0.0)
        );
        println!("  create        {}", ms(&out["create"]));
        for (kind, m) in out["list_http"].as_object().into_iter().flatten() {
            println!("  list {kind:<13} {}", ms(m));
        }
    }
    store.close().await;
    Ok(())
}
