//! `hotline bench leads`: leads and the contact policy at a large manufacturer's scale, on
//! SQLite or PostgreSQL.
//!
//! Workload: a fresh tenant with `--dealers` dealers (20,000) serving `--regions` territories
//! between them (100,000: five each, districts, cities and provinces of a generated tree of 31
//! provinces × 30 cities × 30 districts, some for one product line only, weights 1–3), and
//! `--leads` leads (1,000,000) bulk-loaded as the center writes them (each captured and
//! offered, with its two events) with eight working hours to accept: most that morning
//! before Tuesday 1 December 2026 10:00 (Beijing), one in a hundred on the Sunday before —
//! past its deadline at the bench's "now". The planner's statistics are then refreshed. Timed, one at
//! a time:
//!
//! - `territories`: building the index of the 100,000 territories (once, on first use);
//!   `match`: finding a place's dealers in it and choosing one (pure, `--matches` times).
//! - `assign`: `--captures` leads captured through the runtime — checked, numbered, matched
//!   to a dealer of the most specific territory, the dealer checked active, written with its
//!   events in one transaction. Target: p99 well under a web request's budget.
//! - `reclaim_round`: whole rounds of the reclaim sweep (find what is past due, take each
//!   back, offer it to the next dealer, write it all in one transaction), until nothing is
//!   due; per round of up to 500 leads.
//! - `policy_check`: the contact policy's check of a call placed to one of 10,000 customers
//!   with a week of calls behind them (the tenant's policy, the customer's blacklist flag and
//!   preferences, their calls of the last eight days), `--checks` times, from the tenant's
//!   contact book in memory (`book_load`: loading it, as the first check after a start does
//!   in the background; `facts_asked`: the same facts read from the database instead, for
//!   comparison); and `place`: the check and the call written down. Target p99 ≤ 1 ms.
//! - `tasks`: the contact tasks of one customer (the desktop's card during a call) and the
//!   whole list (the card between calls), with 3,500 topics pending for 3,000 of the
//!   customers — merged per customer, each with the policy's verdict.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

use anyhow::{Context, Result};
use leads::{Lead, Limits, Place, Rule, Rules, Territory};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use store::{CustomerData, CustomerId, CustomerPhone, NewTenant, Role, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite://path` or `postgres://…`; a fresh tenant is created in it.
    #[arg(long, default_value = "sqlite://target/bench/leads.db")]
    database: String,
    #[arg(long, default_value_t = 1_000_000)]
    leads: u32,
    #[arg(long, default_value_t = 20_000)]
    dealers: u32,
    #[arg(long, default_value_t = 100_000)]
    regions: u32,
    #[arg(long, default_value_t = 100_000)]
    matches: u32,
    #[arg(long, default_value_t = 2_000)]
    captures: u32,
    #[arg(long, default_value_t = 5_000)]
    checks: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// Tuesday 1 December 2026, 10:00 in Beijing.
const NOW: i64 = 1_796_090_400_000;
const LINES: [&str; 3] = ["挖掘机", "装载机", "压路机"];
const CUSTOMERS: u32 = 10_000;

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
        json!({"n": self.0.len(), "p50_ms": self.pct(0.5), "p99_ms": self.pct(0.99),
               "max_ms": self.pct(1.0)})
    }
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(args))
}

/// A place of the generated tree: province `p`, city `c` of it, district `d` of that.
fn names(p: u32, c: u32, d: u32) -> (String, String, String) {
    (
        format!("省{p:02}"),
        format!("市{p:02}{c:02}"),
        format!("区{p:02}{c:02}{d:02}"),
    )
}

fn random_place(rng: &mut ChaCha8Rng) -> (String, String, String) {
    names(
        rng.random_range(0..31),
        rng.random_range(0..30),
        rng.random_range(0..30),
    )
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
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let (agent, _) =
        crate::customers::session(&store, &tenant, Role::Agent, "bench-agent", wall).await?;

    // Dealers and their territories: mostly districts, some cities, a few provinces.
    let started = Instant::now();
    let per = args.regions.div_ceil(args.dealers.max(1)) as usize;
    let mut rules = Vec::with_capacity(args.regions as usize);
    let mut dealer_ids = Vec::with_capacity(args.dealers as usize);
    for i in 0..args.dealers {
        let user = store
            .create_user(
                &store::NewUser {
                    tenant: Some(tenant.id),
                    username: format!("dealer-{i}"),
                    display_name: format!("经销商{i}"),
                    role: Role::Dealer,
                    password_hash: "$argon2id$unused".into(),
                },
                wall,
            )
            .await?;
        dealer_ids.push(user.id.0);
        let weight = rng.random_range(1..=3u32);
        let mut regions = Vec::with_capacity(per);
        for _ in 0..per {
            let (p, c, d) = random_place(&mut rng);
            let (c, d) = match rng.random_range(0..100) {
                0..2 => (String::new(), String::new()),
                2..15 => (c, String::new()),
                _ => (c, d),
            };
            let lines: Vec<String> = if rng.random_bool(0.3) {
                vec![LINES[rng.random_range(0..3)].to_string()]
            } else {
                Vec::new()
            };
            rules.push(Rule {
                dealer: user.id.0 as u64,
                territory: Territory::new(&p, &c, &d),
                product_lines: lines.clone(),
                weight,
            });
            regions.push(json!({"province": p, "city": c, "district": d, "product_lines": lines}));
        }
        scoped
            .put_config(
                "dealer",
                &user.id.0.to_string(),
                &json!({"regions": regions, "weight": weight}),
                None,
                wall,
                None,
            )
            .await?;
    }
    let dealers_s = started.elapsed().as_secs_f64();

    // The index alone.
    let t = Instant::now();
    let index = Rules::new(rules.clone());
    let index_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut matches = Timings(Vec::new());
    let mut matched = 0u32;
    let given = std::collections::HashMap::<u64, u64>::new();
    for _ in 0..args.matches {
        let (p, c, d) = random_place(&mut rng);
        let line = LINES[rng.random_range(0..3)];
        let t = Instant::now();
        let found = index.candidates(
            &Place {
                province: &p,
                city: &c,
                district: &d,
            },
            line,
            &[],
        );
        let chosen = found
            .as_ref()
            .and_then(|(_, c)| leads::choose(c, |d| given.get(&d).copied().unwrap_or(0)));
        matches.0.push(t.elapsed().as_nanos() as u64);
        matched += u32::from(chosen.is_some());
    }

    // A million leads, offered.
    let cal = tickets::standard_calendar();
    let limits = Limits::default();
    let first_id = store.max_lead_id().await? + 1;
    let n = u64::from(args.leads);
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + 500).min(n);
        let mut events = Vec::with_capacity(2 * (end - i) as usize);
        for j in i..end {
            let id = first_id + j as i64;
            let (p, c, d) = random_place(&mut rng);
            // Offered this morning, so not yet due; one in a hundred on Sunday, past due.
            let created = if j % 100 == 7 {
                NOW - 2 * 86_400_000 + rng.random_range(0..3_600_000)
            } else {
                NOW - rng.random_range(0..3 * 3_600_000)
            };
            let mut doc = app::leads::LeadDoc {
                id,
                customer_id: None,
                name: format!("客户{j}"),
                phone: format!("+8613{j:09}"),
                product_line: LINES[(j % 3) as usize].into(),
                interest: "20吨级".into(),
                budget: "80万".into(),
                timing: "三个月内".into(),
                region: format!("{p}/{c}/{d}"),
                address: String::new(),
                notes: String::new(),
                source: "import".into(),
                external_id: None,
                call_id: None,
                captured_by: Some(agent.id.0),
                created_ms: created,
                territory: None,
                lead: Lead::new(),
            };
            let v1 = app::leads::row_of(&doc, 1, created);
            let capture = leads::Move {
                action: "capture".into(),
                from: leads::Owner::Center,
                to: leads::Owner::Center,
                was: "new".into(),
                now: "open".into(),
                on_time: None,
                waited_ms: None,
            };
            events.push(app::leads::change_event(
                tenant.id, &doc, &v1, &capture, None, None, created,
            ));
            let dealer = dealer_ids[(j % dealer_ids.len() as u64) as usize] as u64;
            let mv = doc
                .lead
                .apply(
                    leads::Actor::Sweep,
                    leads::Command::Assign {
                        dealer,
                        accept_by: limits.accept_by(&cal, created),
                    },
                    created,
                )
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let v2 = app::leads::row_of(&doc, 2, created);
            events.push(app::leads::change_event(
                tenant.id, &doc, &v2, &mv, None, None, created,
            ));
        }
        let written = store.append_events(&events).await?;
        anyhow::ensure!(written == events.len() as u64, "a batch was not all new");
        i = end;
        if !args.json && i.is_multiple_of(50_000) {
            eprint!("\r  loaded {i} / {n} leads");
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    if !args.json {
        eprintln!();
    }
    // Customers with a week of calls behind them, for the contact policy.
    let people: Vec<CustomerData> = (0..CUSTOMERS)
        .map(|k| CustomerData {
            name: format!("客户{k}"),
            phones: vec![CustomerPhone {
                number: format!("+8615{k:09}"),
                label: "mobile".into(),
            }],
            level: 3,
            qualification: "verified".into(),
            blacklisted: k % 50 == 0,
            blacklist_reason: if k % 50 == 0 {
                "恶意投诉".into()
            } else {
                String::new()
            },
            ..CustomerData::default()
        })
        .collect();
    let customers: Vec<CustomerId> = scoped
        .create_customers(&people, wall)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (k, c) in customers.iter().enumerate() {
        for d in 0..(k % 3) {
            scoped
                .record_contact_call(&store::ContactCall {
                    customer: *c,
                    at_ms: NOW - (d as i64 + 1) * 86_400_000,
                    call_id: format!("old-{k}-{d}"),
                    purpose: "revisit".into(),
                    user: Some(agent.id),
                    override_reason: None,
                })
                .await?;
        }
    }
    store.analyze().await?;

    let clock = Arc::new(AtomicI64::new(NOW));
    let state = server::AppState::new(
        store.clone(),
        server::Clock::Manual(clock.clone()),
        server::Settings::default(),
    );
    let center = state.app().clone();
    let agent_user = store
        .user(Some(tenant.id), agent.id)
        .await?
        .context("the agent")?;

    // Captures through the runtime; the first builds the territories.
    let mut assigns = Timings(Vec::new());
    let mut offered = 0;
    let mut first_ms = 0.0;
    for k in 0..args.captures {
        let (p, c, d) = random_place(&mut rng);
        let input = app::leads::LeadInput {
            name: format!("新客户{k}"),
            phone: format!("1391{k:07}"),
            product_line: LINES[rng.random_range(0..3)].into(),
            region: format!("{p}/{c}/{d}"),
            ..app::leads::LeadInput::default()
        };
        let t = Instant::now();
        let v = center
            .capture_lead(tenant.id, Some(&agent_user), "call", input)
            .await?;
        let ns = t.elapsed().as_nanos() as u64;
        if k == 0 {
            first_ms = ns as f64 / 1e6;
        } else {
            assigns.0.push(ns);
        }
        offered += u32::from(v.row.dealer.is_some());
    }

    // Whole rounds of the reclaim sweep until nothing is due.
    let due_before = scoped.leads_due(NOW, 1_000_000).await?.len();
    let mut rounds = Timings(Vec::new());
    let mut taken = 0;
    let sweep_started = Instant::now();
    loop {
        let t = Instant::now();
        let s = center.sweep_leads(tenant.id).await?;
        if s == 0 {
            break;
        }
        rounds.0.push(t.elapsed().as_nanos() as u64);
        taken += s;
        anyhow::ensure!(rounds.0.len() < 100_000, "the sweep does not finish");
    }
    let sweep_s = sweep_started.elapsed().as_secs_f64();

    // The contact policy per placed call: the facts from the database, then from the
    // tenant's contact book once it is in.
    let since = NOW - 8 * 86_400_000;
    let mut asked = Timings(Vec::new());
    for _ in 0..args.checks {
        let c = customers[rng.random_range(0..customers.len())];
        let t = Instant::now();
        scoped.contact_facts_asked(c, since).await?;
        asked.0.push(t.elapsed().as_nanos() as u64);
    }
    let t = Instant::now();
    anyhow::ensure!(
        store.load_contact_book(tenant.id, since).await?,
        "the contact book loads"
    );
    let book_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut checks = Timings(Vec::new());
    let mut callable = 0;
    for _ in 0..args.checks {
        let c = customers[rng.random_range(0..customers.len())];
        let t = Instant::now();
        let v = center.contact_verdict(tenant.id, c).await?;
        checks.0.push(t.elapsed().as_nanos() as u64);
        callable += u32::from(v == leads::Verdict::Call);
    }
    let mut places = Timings(Vec::new());
    let mut placed = 0;
    for k in 0..args.checks {
        let c = customers[rng.random_range(0..customers.len())];
        let t = Instant::now();
        let r = center
            .place_contact(
                tenant.id,
                &[c],
                app::contacts::Purpose::Click,
                &format!("bench-{k}"),
                Some(agent.id),
                None,
            )
            .await;
        places.0.push(t.elapsed().as_nanos() as u64);
        placed += u32::from(r.is_ok());
    }

    // Topics pending for a quarter of the customers (some with two), then the task lists.
    let kinds = ["payment", "invitation", "survey"];
    let mut with_topics = Vec::new();
    for (k, c) in customers.iter().enumerate() {
        let n = usize::from(k % 4 == 0) + usize::from(k % 10 == 0);
        for i in 0..n {
            scoped
                .add_contact_topic(&store::ContactTopic {
                    id: 0,
                    customer: *c,
                    kind: kinds[(k + i) % 3].into(),
                    department: "billing".into(),
                    subject: format!("事项 {k}-{i}"),
                    call_id: None,
                    not_before_ms: NOW - (k as i64 % 1_000) * 60_000,
                    created_ms: NOW - 86_400_000,
                    created_by: None,
                    done_ms: None,
                    done_by: None,
                    outcome: None,
                })
                .await?;
        }
        if n > 0 {
            with_topics.push(*c);
        }
    }
    let mut one = Timings(Vec::new());
    for _ in 0..200 {
        let c = with_topics[rng.random_range(0..with_topics.len())];
        let t = Instant::now();
        let tasks = center.contact_tasks(tenant.id, Some(c)).await?;
        one.0.push(t.elapsed().as_nanos() as u64);
        anyhow::ensure!(tasks.len() == 1, "one task for a customer with topics");
    }
    let mut all = Timings(Vec::new());
    let mut listed = 0;
    for _ in 0..20 {
        // Past the few seconds a gathered list is kept: gathered anew each time.
        clock.fetch_add(60_000, std::sync::atomic::Ordering::Relaxed);
        let t = Instant::now();
        listed = center.contact_tasks(tenant.id, None).await?.len();
        all.0.push(t.elapsed().as_nanos() as u64);
    }

    let out = json!({
        "backend": format!("{:?}", store.backend()),
        "leads": n,
        "dealers": args.dealers,
        "territories": rules.len(),
        "territory_keys": index.len(),
        "dealers_load_s": dealers_s,
        "index_build_ms": index_ms,
        "match": matches.summary(),
        "matched": matched,
        "bulk_load_per_s": n as f64 / load_s,
        "first_capture_ms": first_ms,
        "assign": assigns.summary(),
        "offered": offered,
        "due_before_sweep": due_before,
        "reclaim_round": rounds.summary(),
        "reclaimed": taken,
        "reclaimed_per_s": taken as f64 / sweep_s,
        "facts_asked": asked.summary(),
        "book_load_ms": book_ms,
        "policy_check": checks.summary(),
        "callable": callable,
        "place": places.summary(),
        "placed": placed,
        "tasks_customers": with_topics.len(),
        "tasks_one": one.summary(),
        "tasks_list": all.summary(),
        "tasks_listed": listed,
    });
    if args.json {
        println!("{out}");
        return Ok(());
    }
    let ms = |v: &serde_json::Value| {
        format!(
            "{:>7} × p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
            v["n"],
            v["p50_ms"].as_f64().unwrap_or(0.0),
            v["p99_ms"].as_f64().unwrap_or(0.0),
            v["max_ms"].as_f64().unwrap_or(0.0)
        )
    };
    println!(
        "{} with {n} leads, {} dealers serving {} territories ({} distinct)",
        out["backend"].as_str().unwrap_or_default(),
        args.dealers,
        rules.len(),
        index.len()
    );
    println!("  dealers loaded   {dealers_s:.1} s; index built in {index_ms:.1} ms");
    println!(
        "  match (pure)     {}   ({matched} matched)",
        ms(&out["match"])
    );
    println!(
        "  bulk load        {:>10.0} leads/s (two versions and events each)",
        n as f64 / load_s
    );
    println!("  first capture    {first_ms:.1} ms (builds the territories from the store)");
    println!(
        "  assign           {}   ({offered} offered to a dealer)",
        ms(&out["assign"])
    );
    println!(
        "  reclaim round    {}   ({taken} taken back of {due_before} due, {:.0}/s)",
        ms(&out["reclaim_round"]),
        taken as f64 / sweep_s
    );
    println!(
        "  facts from the db {}   (for comparison)",
        ms(&out["facts_asked"])
    );
    println!("  contact book     loaded in {book_ms:.1} ms");
    println!(
        "  policy check     {}   ({callable} callable; target p99 ≤ 1 ms)",
        ms(&out["policy_check"])
    );
    println!(
        "  place (check+write) {}   ({placed} placed)",
        ms(&out["place"])
    );
    println!(
        "  one customer's task {}   ({} customers with topics)",
        ms(&out["tasks_one"]),
        with_topics.len()
    );
    println!(
        "  the task list    {}   ({listed} tasks listed)",
        ms(&out["tasks_list"])
    );
    Ok(())
}
