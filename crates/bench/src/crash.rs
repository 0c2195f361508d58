//! `hotline bench crash`: kill the center in the middle of real work and check that it
//! comes back whole.
//!
//! A center (`hotline serve --demo`, its own process and SQLite database) gets `--agents`
//! agents in the repair queue; one sipp answers for all their phones (each call talks a
//! second or two), registered once at the start and never again. Then, `--kills` times:
//! a sipp carrier calls 96332 at `--rate` calls a second and a writer creates customers
//! through the API as fast as the center answers; after a random 4–10 s the center is
//! killed with SIGKILL, the carrier stopped, and the center started again on the same
//! database and ports. After each restart it checks:
//!
//! - every write the API acknowledged (201) is there, exactly once, and its event is in the
//!   log;
//! - every call that arrived has its final record (CDR);
//! - no call or agent is stuck: nothing in progress or waiting, every agent ready again;
//! - every phone is still registered, and the next round's calls reach the agents.
//!
//! Reported: kills, writes acknowledged, writes lost, calls, calls without a record,
//! duplicates, stuck; any loss makes the command fail.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Args as ClapArgs;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::calls::{self, CALLER, Center, DTMF_1, MENU_MS, Sipp};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Times the center is killed and started again.
    #[arg(long, default_value_t = 10)]
    kills: u32,
    /// Agents taking calls (extensions from 2001).
    #[arg(long, default_value_t = 20)]
    agents: u32,
    /// Calls a second from the carrier while the center runs.
    #[arg(long, default_value_t = 5)]
    rate: u32,
    /// Seeds the moments of the kills.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where the center's database, recordings and logs go (default: a temporary
    /// directory, removed afterwards when nothing was lost).
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// What one kill found.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct Round {
    /// After how long the center was killed (ms).
    killed_after_ms: u64,
    writes_acknowledged: u64,
    writes_lost: u64,
    writes_duplicated: u64,
    /// Acknowledged writes whose event is missing from the log.
    events_lost: u64,
    calls: u64,
    calls_without_record: u64,
    /// Calls interrupted by the kill (closed when the center came back).
    calls_interrupted: u64,
    calls_answered: u64,
    stuck: Vec<String>,
    restart_ms: u64,
}

pub fn run(args: Args) -> Result<()> {
    ensure!(args.kills > 0, "--kills: at least 1");
    ensure!(args.agents > 0 && args.agents <= 200, "--agents: 1 to 200");
    ensure!(
        args.rate > 0 && args.rate <= 50,
        "--rate: 1 to 50 calls a second"
    );
    let sipp = std::process::Command::new("which").arg("sipp").output();
    ensure!(
        sipp.is_ok_and(|o| o.status.success()),
        "`sipp` is missing: run scripts/setup.sh (it installs sip-tester)"
    );
    let temp = args.dir.is_none();
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hotline-bench-crash-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = crash(&args, &dir);
    if temp && result.as_ref().is_ok_and(|lost| !lost) {
        let _ = std::fs::remove_dir_all(&dir);
    }
    match result {
        Ok(false) => Ok(()),
        Ok(true) => bail!(
            "the center lost something across a crash (logs in {})",
            dir.display()
        ),
        Err(e) => Err(e),
    }
}

/// Runs the rounds; true if anything was lost.
fn crash(args: &Args, dir: &Path) -> Result<bool> {
    let ports = calls::free_ports(5)?;
    let (sip, phones, phones_media, carrier, media) =
        (ports[0], ports[1], ports[2], ports[3], ports[4]);
    let mut center = Center::start(dir, sip)?;
    eprintln!("center up at http://{} (SIP 127.0.0.1:{sip})", center.http);
    let admin = center.login("admin", "hotline-demo")?;
    // After-call work off, so every agent is ready again a moment after each call.
    let (status, queues) = center.request("GET", "/api/queues", &admin, "")?;
    ensure!(status == 200, "GET /api/queues: {status} {queues}");
    let queue = queues
        .as_array()
        .and_then(|l| l.iter().find(|q| q["key"] == "repair"))
        .context("the demo's repair queue")?;
    let mut body = queue["data"].clone();
    body["version"] = queue["version"].clone();
    body["wrap_up"] = json!(0.0);
    let (status, v) = center.request("PUT", "/api/queues/repair", &admin, &body.to_string())?;
    ensure!(status == 200, "PUT /api/queues/repair: {status} {v}");
    let extensions: Vec<u32> = (2001..2001 + args.agents).collect();
    calls::parallel(&extensions, |ext| center.add_agent(&admin, ext))?;
    let agent_file = dir.join("agent.xml");
    std::fs::write(&agent_file, calls::AGENT.replace("{{talk_ms}}", "1500"))?;
    let mut phones_sipp = Sipp::spawn(
        dir,
        sip,
        &agent_file,
        &["-p", &phones.to_string(), "-mp", &phones_media.to_string()],
        "phones",
    )?;
    // Registered once: the phones never register again, whatever happens to the center.
    calls::parallel(&extensions, |ext| calls::register(sip, phones, ext))?;
    calls::parallel(&extensions, |ext| center.agent_ready(ext))?;
    let caller_file = dir.join("caller.xml");
    std::fs::write(
        &caller_file,
        CALLER
            .replace("{{dtmf}}", DTMF_1)
            .replace("{{menu_ms}}", &MENU_MS.to_string())
            .replace("{{bye_ms}}", "30000"),
    )?;

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut rounds = Vec::new();
    // Every customer the API acknowledged, by name, with its id.
    let mut acknowledged: HashMap<String, i64> = HashMap::new();
    for k in 1..=args.kills {
        let carrier_sipp = Sipp::spawn(
            dir,
            sip,
            &caller_file,
            &[
                "-s",
                "96332",
                "-p",
                &carrier.to_string(),
                "-mp",
                &media.to_string(),
                "-r",
                &args.rate.to_string(),
                "-m",
                "100000",
            ],
            &format!("carrier-{k}"),
        )?;
        // The writer: customers created one after another until the center dies.
        let stop = Arc::new(AtomicBool::new(false));
        let acks = Arc::new(Mutex::new(Vec::<(String, i64)>::new()));
        let writer = {
            let (stop, acks, http) = (stop.clone(), acks.clone(), center.http.clone());
            let admin = admin.clone();
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let name = format!("崩溃测试 {k}-{i}");
                    let body = json!({"name": name}).to_string();
                    match calls::request(&http, "POST", "/api/customers", &admin, &body) {
                        Ok((201, v)) => {
                            if let Some(id) = v["id"].as_i64() {
                                acks.lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push((name, id));
                            }
                        }
                        // Refused, or the center is gone: not acknowledged.
                        _ => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        let after = Duration::from_millis(rng.random_range(4_000..10_000));
        std::thread::sleep(after);
        // SIGKILL: no goodbye, nothing flushed.
        center.child.kill().context("killing the center")?;
        let _ = center.child.wait();
        stop.store(true, Ordering::Relaxed);
        let _ = writer.join();
        drop(carrier_sipp);
        let t = Instant::now();
        center = Center::start(dir, sip)?;
        let restart_ms = t.elapsed().as_millis() as u64;
        let admin_now = center.login("admin", "hotline-demo")?;
        let new_acks = std::mem::take(&mut *acks.lock().unwrap_or_else(|e| e.into_inner()));
        let mut round = Round {
            killed_after_ms: after.as_millis() as u64,
            writes_acknowledged: new_acks.len() as u64,
            restart_ms,
            ..Round::default()
        };
        acknowledged.extend(new_acks);
        check_writes(&center, &admin_now, &acknowledged, &mut round)?;
        check_log(&center, &admin_now, &acknowledged, &mut round)?;
        check_floor(&center, args.agents, &mut round);
        eprintln!("kill {k}: {}", serde_json::to_string(&round)?);
        rounds.push(round);
    }
    phones_sipp.kill();
    let total = |f: fn(&Round) -> u64| rounds.iter().map(f).sum::<u64>();
    let stuck: Vec<String> = rounds.iter().flat_map(|r| r.stuck.clone()).collect();
    let out = json!({
        "kills": rounds.len(),
        "writes_acknowledged": total(|r| r.writes_acknowledged),
        "writes_lost": total(|r| r.writes_lost),
        "writes_duplicated": total(|r| r.writes_duplicated),
        "events_lost": rounds.last().map_or(0, |r| r.events_lost),
        "calls": rounds.last().map_or(0, |r| r.calls),
        "calls_interrupted": rounds.last().map_or(0, |r| r.calls_interrupted),
        "calls_answered": rounds.last().map_or(0, |r| r.calls_answered),
        "calls_without_record": total(|r| r.calls_without_record),
        "stuck": stuck,
        "restart_ms_max": rounds.iter().map(|r| r.restart_ms).max(),
        "rounds": rounds,
    });
    let lost = out["writes_lost"] != 0
        || out["writes_duplicated"] != 0
        || out["events_lost"] != 0
        || out["calls_without_record"] != 0
        || !stuck.is_empty();
    if args.json {
        println!("{out}");
    } else {
        println!(
            "crash test: {} kills (SIGKILL) under {} calls/s and API writes, {} agents",
            out["kills"], args.rate, args.agents
        );
        println!(
            "writes acknowledged {}, lost {}, duplicated {}, their events missing {}",
            out["writes_acknowledged"],
            out["writes_lost"],
            out["writes_duplicated"],
            out["events_lost"]
        );
        println!(
            "calls {} (answered {}, interrupted by a kill {}), without a final record {}",
            out["calls"],
            out["calls_answered"],
            out["calls_interrupted"],
            out["calls_without_record"]
        );
        println!(
            "stuck after a restart: {}; slowest restart {} ms",
            if stuck.is_empty() {
                "nothing".to_string()
            } else {
                stuck.join("; ")
            },
            out["restart_ms_max"]
        );
    }
    Ok(lost)
}

/// Every acknowledged customer is there, once.
fn check_writes(
    center: &Center,
    admin: &str,
    acknowledged: &HashMap<String, i64>,
    round: &mut Round,
) -> Result<()> {
    let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
    let mut after: Option<i64> = None;
    loop {
        let page = match after {
            Some(a) => format!("/api/customers?q=%E5%B4%A9%E6%BA%83&limit=500&after={a}"),
            None => "/api/customers?q=%E5%B4%A9%E6%BA%83&limit=500".to_string(),
        };
        let (status, v) = center.request("GET", &page, admin, "")?;
        ensure!(status == 200, "GET {page}: {status} {v}");
        for c in v["items"].as_array().into_iter().flatten() {
            if let (Some(name), Some(id)) = (c["name"].as_str(), c["id"].as_i64()) {
                by_name.entry(name.to_string()).or_default().push(id);
            }
        }
        match v["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    for (name, id) in acknowledged {
        match by_name.get(name).map(Vec::as_slice) {
            Some([one]) if one == id => {}
            Some([]) | None => round.writes_lost += 1,
            Some(_) => round.writes_duplicated += 1,
        }
    }
    Ok(())
}

/// From the log: every acknowledged customer's `customer.created` event is there (the
/// log's group commit held), and every call that arrived has its final record (one: a
/// record's id is the call's, so it cannot be written twice).
fn check_log(
    center: &Center,
    admin: &str,
    acknowledged: &HashMap<String, i64>,
    round: &mut Round,
) -> Result<()> {
    let mut arrived = HashSet::new();
    let mut created = HashSet::new();
    let mut records: HashMap<(String, u64), u64> = HashMap::new();
    let mut after = 0i64;
    loop {
        let path = format!("/api/events/log?after={after}&limit=500");
        let (status, v) = center.request("GET", &path, admin, "")?;
        ensure!(status == 200, "GET {path}: {status} {v}");
        let page = v.as_array().cloned().unwrap_or_default();
        for e in &page {
            let call = e["payload"]["call_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match e["kind"].as_str() {
                Some("call.arrived") => {
                    arrived.insert(call);
                }
                Some("customer.created") => {
                    created.insert(e["payload"]["customer_id"].as_i64().unwrap_or(0));
                }
                Some("call.ended") => {
                    let segment = e["payload"]["segment"].as_u64().unwrap_or(0);
                    *records.entry((call, segment)).or_default() += 1;
                    match e["payload"]["outcome"].as_str() {
                        Some("interrupted") => round.calls_interrupted += 1,
                        Some("answered") => round.calls_answered += 1,
                        _ => {}
                    }
                }
                _ => {}
            }
            after = after.max(e["seq"].as_i64().unwrap_or(after));
        }
        if page.len() < 500 {
            break;
        }
    }
    round.calls = arrived.len() as u64;
    round.calls_without_record = arrived
        .iter()
        .filter(|c| !records.contains_key(&((*c).clone(), 0)))
        .count() as u64;
    round.events_lost = acknowledged
        .values()
        .filter(|id| !created.contains(id))
        .count() as u64;
    Ok(())
}

/// Nothing stuck: no call in progress or waiting, every agent ready, every phone registered
/// — within 45 s (calls the phones still hold from before the kill time out meanwhile).
fn check_floor(center: &Center, agents: u32, round: &mut Round) {
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        let metrics = center.metrics().unwrap_or_default();
        let value = |name: &str| -> f64 {
            metrics
                .lines()
                .filter(|l| l.starts_with(name))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum()
        };
        let ready = value("hotline_agents{tenant=\"demo\",state=\"ready\"}");
        let checks = [
            ("calls in progress", value("hotline_calls_in_progress"), 0.0),
            ("calls waiting", value("hotline_calls_waiting"), 0.0),
            ("agents ready", ready, f64::from(agents)),
            (
                "phones registered",
                value("hotline_phones_registered"),
                f64::from(agents),
            ),
        ];
        let wrong: Vec<String> = checks
            .iter()
            .filter(|(_, got, want)| got != want)
            .map(|(what, got, want)| format!("{what} {got} (want {want})"))
            .collect();
        if wrong.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            round.stuck.push(wrong.join(", "));
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

impl Center {
    /// `/metrics`, as a scraper on this machine reads it.
    pub(crate) fn metrics(&self) -> Result<String> {
        Ok(calls::exchange(&self.http, "GET", "/metrics", "", "")?.1)
    }
}

#[derive(Debug, ClapArgs)]
pub struct FloodArgs {
    /// Bad REGISTERs sent by the flood (wrong passwords, from 127.0.0.2).
    #[arg(long, default_value_t = 20_000)]
    requests: u32,
    /// Real phones registering from 127.0.0.1 meanwhile (extensions from 2001).
    #[arg(long, default_value_t = 20)]
    phones: u32,
    #[arg(long)]
    json: bool,
}

/// `hotline bench register-flood`: a flood of REGISTERs with wrong passwords from one
/// address while real phones register from another. Reported: how fast the flood was
/// answered and how it was answered (challenged, refused after checking, refused unread
/// once barred), and how long the real phones took to register, with and without the flood.
pub fn flood(args: FloodArgs) -> Result<()> {
    ensure!(
        args.requests > 0 && args.phones > 0,
        "--requests and --phones: at least 1"
    );
    let dir = std::env::temp_dir().join(format!("hotline-bench-flood-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let ports = calls::free_ports(2)?;
    let (sip, phones) = (ports[0], ports[1]);
    let center = Center::start(&dir, sip)?;
    let admin = center.login("admin", "hotline-demo")?;
    let extensions: Vec<u32> = (2001..2001 + args.phones).collect();
    calls::parallel(&extensions, |ext| center.add_agent(&admin, ext))?;
    let register_all = || -> Result<Vec<f64>> {
        let times = Mutex::new(Vec::new());
        calls::parallel(&extensions, |ext| {
            let t = Instant::now();
            calls::register(sip, phones, ext)?;
            times
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(t.elapsed().as_secs_f64() * 1000.0);
            Ok(())
        })?;
        let mut v = times.into_inner().unwrap_or_else(|e| e.into_inner());
        v.sort_by(f64::total_cmp);
        Ok(v)
    };
    let quiet = register_all()?;
    // The flood: one socket on 127.0.0.2, each request with a wrong password.
    let socket = std::net::UdpSocket::bind("127.0.0.2:0").context("binding 127.0.0.2")?;
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let local = socket.local_addr()?;
    let done = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(HashMap::<String, u64>::new()));
    let reader = {
        let (socket, done, answers) = (socket.try_clone()?, done.clone(), answers.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut quiet_for = 0;
            loop {
                match socket.recv_from(&mut buf) {
                    Ok((n, _)) => {
                        quiet_for = 0;
                        let status = String::from_utf8_lossy(&buf[..n.min(12)])
                            .get(8..11)
                            .unwrap_or("?")
                            .to_string();
                        if status != "100" {
                            *answers
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .entry(status)
                                .or_default() += 1;
                        }
                    }
                    Err(_) => {
                        quiet_for += 1;
                        if done.load(Ordering::Relaxed) && quiet_for > 5 {
                            return;
                        }
                    }
                }
            }
        })
    };
    let auth = "Digest username=\"2001\", realm=\"demo.hotline.local\", \
                nonce=\"0.0.0000\", uri=\"sip:127.0.0.1\", response=\"00000000000000000000000000000000\", algorithm=MD5";
    let flood_started = Instant::now();
    let sender = {
        let socket = socket.try_clone()?;
        let requests = args.requests;
        std::thread::spawn(move || {
            for i in 0..requests {
                let request = format!(
                    "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKflood{i};rport\r\n\
                     From: <sip:2001@127.0.0.1>;tag=f{i}\r\nTo: <sip:2001@127.0.0.1>\r\n\
                     Call-ID: flood-{i}\r\nCSeq: 1 REGISTER\r\nContact: <sip:2001@{local}>\r\n\
                     Authorization: {auth}\r\nExpires: 3600\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                );
                let _ = socket.send_to(request.as_bytes(), ("127.0.0.1", sip));
                // About 10,000 a second: a flood, not a test of the kernel's buffers.
                if i % 100 == 99 {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        })
    };
    // Meanwhile the real phones register again.
    std::thread::sleep(Duration::from_millis(300));
    let during = register_all()?;
    let _ = sender.join();
    let sent_in = flood_started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let _ = reader.join();
    let answers = answers.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let metrics = center.metrics().unwrap_or_default();
    let metric = |name: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let pct = |v: &[f64], p: f64| {
        v.get(((v.len() as f64 * p) as usize).min(v.len() - 1))
            .copied()
            .unwrap_or(0.0)
    };
    let out = json!({
        "flood_requests": args.requests,
        "flood_seconds": sent_in,
        "flood_per_second": f64::from(args.requests) / sent_in,
        "flood_answers": answers,
        "checked_and_refused": metric("hotline_sip_auth_failures_total"),
        "refused_unread": metric("hotline_sip_register_barred_total"),
        "phones": args.phones,
        "phone_register_ms_quiet": {"p50": pct(&quiet, 0.5), "max": pct(&quiet, 1.0)},
        "phone_register_ms_during_flood": {"p50": pct(&during, 0.5), "max": pct(&during, 1.0)},
        "phones_registered": metric("hotline_phones_registered"),
    });
    drop(center);
    let _ = std::fs::remove_dir_all(&dir);
    if args.json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
