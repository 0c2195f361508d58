//! `hotline bench customers`: customer creation and the screen-pop lookup with a million
//! customers, on SQLite or PostgreSQL.
//!
//! Workload: a fresh tenant is bulk-loaded with `--customers` customers (batches of 1,000 in
//! one transaction each, as an import does), each with one mobile number and every fourth
//! with a landline. Then, one at a time as an agent's desktop would: `--creates` single
//! customer creations (one transaction each), and `--lookups` caller-number lookups, 90 % of
//! numbers on file and 10 % unknown, in the forms callers arrive in (`+86…`, bare mobile). Lookups
//! are timed twice: at the store (the SQL), and through the whole HTTP API in process (routing,
//! bearer-token session check, normalisation, JSON). Then the customer list as the back
//! office's screen asks it, through the API, `--lists` times each: the first page, a page
//! deep in the million (keyset paging), a segment filter, a whole number as people write it
//! (`138 1234 5678`), and — a tenth as many, being scans — part of a number and part of a name.

use std::time::Instant;

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::Request;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use store::{CustomerData, CustomerPhone, NewTenant, Store};
use tower::ServiceExt;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `sqlite://path` or `postgres://…`; a fresh tenant is created in it.
    #[arg(long, default_value = "sqlite://target/bench/customers.db")]
    database: String,
    #[arg(long, default_value_t = 1_000_000)]
    customers: u32,
    #[arg(long, default_value_t = 5_000)]
    creates: u32,
    #[arg(long, default_value_t = 50_000)]
    lookups: u32,
    /// Requests of each kind of the customer list (pages, filters, searches) through the API.
    #[arg(long, default_value_t = 500)]
    lists: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// The `i`th customer's mobile: a bijection of `i` onto nine digits, so numbers are unique
/// and scattered over the index.
fn mobile(i: u64) -> String {
    format!("+8613{:09}", (i * 7_919_993) % 1_000_000_000)
}

fn customer(i: u64) -> CustomerData {
    let mut phones = vec![CustomerPhone {
        number: mobile(i),
        label: "mobile".into(),
    }];
    if i.is_multiple_of(4) {
        phones.push(CustomerPhone {
            number: format!("+86571{:08}", i % 100_000_000),
            label: "home".into(),
        });
    }
    CustomerData {
        name: format!("客户{i}"),
        phones,
        level: 3,
        qualification: "verified".into(),
        ..CustomerData::default()
    }
}

struct Timings(Vec<u64>);

impl Timings {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort_unstable();
        let i = ((self.0.len() as f64 - 1.0) * p).round() as usize;
        self.0[i] as f64 / 1e6
    }
}

pub fn run(args: Args) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench(args))
}

async fn bench(args: Args) -> Result<()> {
    let store = Store::open(&args.database)
        .await
        .with_context(|| format!("opening {}", args.database))?;
    let now = server::Clock::System.now_ms();
    let slug = format!("bench-{now}");
    let tenant = store
        .create_tenant(
            &NewTenant::new(&slug, "bench", 100, &format!("{slug}.local")),
            now,
        )
        .await?;
    let n = u64::from(args.customers);

    // Bulk load.
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + 1000).min(n);
        let batch: Vec<CustomerData> = (i..end).map(customer).collect();
        store
            .scoped(tenant.id)
            .create_customers(&batch, now)
            .await?;
        i = end;
        if !args.json && i.is_multiple_of(100_000) {
            eprint!("\r  loaded {i} / {n} customers");
        }
    }
    let load_s = started.elapsed().as_secs_f64();
    if !args.json {
        eprintln!();
    }

    // Single creations, one transaction each.
    let mut creates = Timings(Vec::new());
    let started = Instant::now();
    for j in 0..u64::from(args.creates) {
        let t = Instant::now();
        store
            .scoped(tenant.id)
            .create_customer(&customer(n + j), now)
            .await?;
        creates.0.push(t.elapsed().as_nanos() as u64);
    }
    let create_s = started.elapsed().as_secs_f64();

    // The numbers to look up.
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let asked: Vec<(String, bool)> = (0..args.lookups)
        .map(|_| {
            if rng.random_bool(0.9) {
                let i = rng.random_range(0..n);
                let m = mobile(i);
                // Half as the carrier sends it, half as a bare national number.
                let form = if rng.random_bool(0.5) {
                    m.clone()
                } else {
                    m[3..].to_string()
                };
                (form, true)
            } else {
                (
                    format!("+8615{:09}", rng.random_range(0..1_000_000_000u64)),
                    false,
                )
            }
        })
        .collect();

    let mut at_store = Timings(Vec::new());
    let mut found = 0;
    let started = Instant::now();
    for (number, hit) in &asked {
        let t = Instant::now();
        let normal = phone::normalize(number, None)?;
        let r = store
            .scoped(tenant.id)
            .customers_by_phone(normal.as_str())
            .await?;
        at_store.0.push(t.elapsed().as_nanos() as u64);
        if *hit {
            anyhow::ensure!(r.len() == 1, "{number} not found");
            found += 1;
        }
    }
    let store_s = started.elapsed().as_secs_f64();

    // Through the API, as the agent desktop asks.
    let state = server::AppState::new(
        store.clone(),
        server::Clock::System,
        server::Settings::default(),
    );
    let token = bench_token(&store, &tenant, now).await?;
    let app = server::app(state);
    let mut over_http = Timings(Vec::new());
    let started = Instant::now();
    for (number, _) in &asked {
        let t = Instant::now();
        let req = Request::get(format!(
            "/api/customers/lookup?number={}",
            number.replace('+', "%2B")
        ))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())?;
        let resp = app.clone().oneshot(req).await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "lookup failed: {}",
            resp.status()
        );
        axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
        over_http.0.push(t.elapsed().as_nanos() as u64);
    }
    let http_s = started.elapsed().as_secs_f64();

    // The customer list, as the back office's screen asks it.
    let mut lists = serde_json::Map::new();
    let kinds: [(&str, u32); 6] = [
        ("first_page", args.lists),
        ("deep_page", args.lists),
        ("segment", args.lists),
        ("whole_number", args.lists),
        ("part_of_number", (args.lists / 10).max(1)),
        ("part_of_name", (args.lists / 10).max(1)),
    ];
    for (kind, count) in kinds {
        let mut t = Timings(Vec::new());
        for _ in 0..count {
            let i = rng.random_range(0..n);
            let query = match kind {
                "first_page" => String::new(),
                "deep_page" => format!("&after={}", i + 1),
                "segment" => "&segment=general".into(),
                "whole_number" => {
                    let m = &mobile(i)[3..];
                    format!("&q={}%20{}%20{}", &m[..3], &m[3..7], &m[7..])
                }
                "part_of_number" => format!("&q={}", &mobile(i)[8..13]),
                _ => format!("&q=%E5%AE%A2%E6%88%B7{}", i / 10), // 客户<digits>
            };
            let started = Instant::now();
            let req = Request::get(format!("/api/customers?limit=50{query}"))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())?;
            let resp = app.clone().oneshot(req).await?;
            anyhow::ensure!(resp.status().is_success(), "{kind}: {}", resp.status());
            let body = axum::body::to_bytes(resp.into_body(), 1 << 24).await?;
            t.0.push(started.elapsed().as_nanos() as u64);
            if kind == "whole_number" {
                let page: serde_json::Value = serde_json::from_slice(&body)?;
                anyhow::ensure!(
                    page["items"].as_array().is_some_and(|a| a.len() == 1),
                    "{query}: {page}"
                );
            }
        }
        lists.insert(
            kind.into(),
            json!({"requests": count, "p50_ms": t.pct(0.5), "p99_ms": t.pct(0.99)}),
        );
    }

    let out = json!({
        "backend": format!("{:?}", store.backend()),
        "customers": n,
        "bulk_load_per_s": n as f64 / load_s,
        "create_per_s": f64::from(args.creates) / create_s,
        "create_p50_ms": creates.pct(0.5),
        "create_p99_ms": creates.pct(0.99),
        "lookups": args.lookups,
        "lookup_found": found,
        "lookup_store_per_s": f64::from(args.lookups) / store_s,
        "lookup_store_p50_ms": at_store.pct(0.5),
        "lookup_store_p99_ms": at_store.pct(0.99),
        "lookup_http_per_s": f64::from(args.lookups) / http_s,
        "lookup_http_p50_ms": over_http.pct(0.5),
        "lookup_http_p99_ms": over_http.pct(0.99),
        "list_http": lists,
    });
    if args.json {
        println!("{out}");
    } else {
        println!(
            "{} with {n} customers",
            out["backend"].as_str().unwrap_or_default()
        );
        println!(
            "  bulk load        {:>10.0} customers/s (batches of 1,000)",
            out["bulk_load_per_s"].as_f64().unwrap_or(0.0)
        );
        println!(
            "  create (single)  {:>10.0} /s   p50 {:.3} ms   p99 {:.3} ms",
            out["create_per_s"].as_f64().unwrap_or(0.0),
            out["create_p50_ms"].as_f64().unwrap_or(0.0),
            out["create_p99_ms"].as_f64().unwrap_or(0.0)
        );
        for (label, key) in [
            ("lookup (store)", "lookup_store"),
            ("lookup (HTTP)", "lookup_http"),
        ] {
            println!(
                "  {label:<16} {:>10.0} /s   p50 {:.3} ms   p99 {:.3} ms   (target p99 ≤ 2 ms)",
                out[format!("{key}_per_s")].as_f64().unwrap_or(0.0),
                out[format!("{key}_p50_ms")].as_f64().unwrap_or(0.0),
                out[format!("{key}_p99_ms")].as_f64().unwrap_or(0.0)
            );
        }
        for (kind, m) in out["list_http"].as_object().into_iter().flatten() {
            println!(
                "  list {kind:<14} {:>6} requests   p50 {:.3} ms   p99 {:.3} ms",
                m["requests"],
                m["p50_ms"].as_f64().unwrap_or(0.0),
                m["p99_ms"].as_f64().unwrap_or(0.0)
            );
        }
    }
    store.close().await;
    Ok(())
}

/// A bearer session for an agent of the bench tenant, made directly in the store.
async fn bench_token(store: &Store, tenant: &store::Tenant, now: i64) -> Result<String> {
    Ok(
        session(store, tenant, store::Role::Agent, "bench-agent", now)
            .await?
            .1,
    )
}

/// A user of `role` of the bench tenant and a bearer session of theirs, made directly in
/// the store.
pub(crate) async fn session(
    store: &Store,
    tenant: &store::Tenant,
    role: store::Role,
    username: &str,
    now: i64,
) -> Result<(store::User, String)> {
    let user = store
        .create_user(
            &store::NewUser {
                tenant: Some(tenant.id),
                username: username.into(),
                display_name: username.into(),
                role,
                password_hash: "$argon2id$unused".into(),
            },
            now,
        )
        .await?;
    let secret = format!("bench-{username}-{now}");
    let hash = server::token_hash(&secret);
    store
        .create_session(
            &store::Session {
                token_hash: hash,
                user: user.id,
                tenant: Some(tenant.id),
                kind: store::SessionKind::Bearer,
                csrf: String::new(),
                label: "bench".into(),
                created_at_ms: now,
                expires_at_ms: now + 86_400_000,
            },
            None,
            now,
        )
        .await?;
    Ok((user, secret))
}
