//! `hotline bench calls`: whole calls per second through a real center, driven by sipp.
//!
//! A center (`hotline serve --demo`, this binary, its own process and SQLite database) gets
//! `--agents` more agents in the repair queue, with after-call work off so the numbers are
//! about calls. Their extensions register with digest authentication from one sipp, and all
//! point at a second sipp that answers for every phone: it rings, answers, talks `--talk`
//! seconds and hangs up. A third sipp is the carrier: at each rate of `--rates` for
//! `--seconds`, it calls 96332, waits for the menu, presses 1 (RFC 4733 from sipp's pcap),
//! and stays on until the agent hangs up. A call fails if any step is missing or late.
//!
//! The center's RTP ports are 20000–39999, two per call (the caller's leg and the agent's):
//! past about 10,000 calls at once it answers 503, as it should.
//!
//! Reported per rate: calls placed, succeeded and failed (sipp's counts), the center's CPU
//! (from /proc) and, from the center's own CDRs, queue wait and ring time. The highest rate
//! with no failed call is the result.

use std::io::{BufRead, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Args as ClapArgs;
use serde_json::{Value, json};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Call rates to try in turn, calls per second.
    #[arg(long, value_delimiter = ',', default_value = "50,100,150")]
    rates: Vec<u32>,
    /// Seconds each rate is kept up.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Seconds each call talks once the agent answers.
    #[arg(long, default_value_t = 10)]
    talk: u32,
    /// Agents to add (extensions from 2001); by default enough for the highest rate.
    #[arg(long)]
    agents: Option<u32>,
    /// Where the center's database, recordings and logs go (default: a temporary
    /// directory, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub(crate) const CALLER: &str = include_str!("../sipp/caller.xml");
pub(crate) const AGENT: &str = include_str!("../sipp/agent.xml");
pub(crate) const DTMF_1: &str = "/usr/share/sip-tester/dtmf_2833_1.pcap";
/// The caller waits this long after the IVR answers before pressing 1 (the demo's welcome
/// and menu prompts are 0.75 s tones each when no prompt set is installed).
pub(crate) const MENU_MS: u32 = 1_600;

pub fn run(args: Args) -> Result<()> {
    ensure!(!args.rates.is_empty(), "--rates: at least one rate");
    let sipp = Command::new("which").arg("sipp").output();
    ensure!(
        sipp.is_ok_and(|o| o.status.success()),
        "`sipp` is missing: run scripts/setup.sh (it installs sip-tester)"
    );
    ensure!(
        Path::new(DTMF_1).exists(),
        "{DTMF_1} is missing (it comes with sip-tester)"
    );
    let top = *args.rates.iter().max().expect("not empty");
    // Each agent is busy for the talk plus about a second of ringing and set-up.
    let agents = args.agents.unwrap_or(top * (args.talk + 2) + 50);
    let temp = args.dir.is_none();
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("hotline-bench-calls-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = bench(&args, agents, &dir);
    if temp && result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn bench(args: &Args, agents: u32, dir: &Path) -> Result<()> {
    let ports = free_ports(5)?;
    let (sip, phones, phones_media, carrier, media) =
        (ports[0], ports[1], ports[2], ports[3], ports[4]);
    let center = Center::start(dir, sip)?;
    eprintln!("center up at http://{} (SIP 127.0.0.1:{sip})", center.http);

    let started = Instant::now();
    // The demo rents 24 seats; the platform administrator rents it enough.
    let root = center.login_as(None, "root", "hotline-demo")?;
    let (status, tenants) = center.request("GET", "/api/tenants", &root, "")?;
    ensure!(status == 200, "GET /api/tenants: {status} {tenants}");
    let demo = tenants
        .as_array()
        .and_then(|l| l.iter().find(|t| t["slug"] == "demo"))
        .context("the demo tenant")?;
    let path = format!("/api/tenants/{}", demo["id"]);
    let seats = json!({"seat_quota": agents + 24}).to_string();
    let (status, v) = center.request("PATCH", &path, &root, &seats)?;
    ensure!(status == 200, "PATCH {path}: {status} {v}");
    let admin = center.login("admin", "hotline-demo")?;
    let (status, queues) = center.request("GET", "/api/queues", &admin, "")?;
    ensure!(status == 200, "GET /api/queues: {status} {queues}");
    let queue = queues
        .as_array()
        .and_then(|l| l.iter().find(|q| q["key"] == "repair"))
        .context("the demo's repair queue")?;
    let mut body = queue["data"].clone();
    body["version"] = queue["version"].clone();
    body["wrap_up"] = json!(0.0);
    body["ring_timeout"] = json!(10.0);
    let (status, v) = center.request("PUT", "/api/queues/repair", &admin, &body.to_string())?;
    ensure!(status == 200, "PUT /api/queues/repair: {status} {v}");
    // Calls end when the agent hangs up: no survey after them (it would hold each caller
    // for its prompt and keys, measured elsewhere).
    let (status, flows) = center.request("GET", "/api/ivr-flows", &admin, "")?;
    ensure!(status == 200, "GET /api/ivr-flows: {status} {flows}");
    let survey = flows
        .as_array()
        .and_then(|l| l.iter().find(|f| f["key"] == app::config::SURVEY_FLOW));
    if let Some(version) = survey.map(|f| f["version"].clone()) {
        let path = format!(
            "/api/ivr-flows/{}?version={version}",
            app::config::SURVEY_FLOW
        );
        let (status, v) = center.request("DELETE", &path, &admin, "")?;
        ensure!(status == 204, "DELETE {path}: {status} {v}");
    }

    let extensions: Vec<u32> = (2001..2001 + agents).collect();
    eprintln!(
        "adding {agents} agents (extensions 2001–{})…",
        2000 + agents
    );
    parallel(&extensions, |ext| center.add_agent(&admin, ext))?;
    eprintln!("  done in {:.0} s", started.elapsed().as_secs_f64());

    // The phones: one sipp answers for every extension.
    let agent_xml = AGENT.replace("{{talk_ms}}", &(args.talk * 1000).to_string());
    let agent_file = dir.join("agent.xml");
    std::fs::write(&agent_file, agent_xml)?;
    let mut phones_sipp = Sipp::spawn(
        dir,
        sip,
        &agent_file,
        &["-p", &phones.to_string(), "-mp", &phones_media.to_string()],
        "phones",
    )?;

    let t = Instant::now();
    parallel(&extensions, |ext| register(sip, phones, ext))?;
    eprintln!(
        "registered {agents} phones in {:.1} s; logging the agents in…",
        t.elapsed().as_secs_f64()
    );
    parallel(&extensions, |ext| center.agent_ready(ext))?;
    let (status, v) = center.request("GET", "/api/queues/status", &admin, "")?;
    ensure!(status == 200, "GET /api/queues/status: {status} {v}");

    eprintln!(
        "  ready after {:.0} s of set-up",
        started.elapsed().as_secs_f64()
    );

    let caller_file = dir.join("caller.xml");
    std::fs::write(
        &caller_file,
        CALLER
            .replace("{{dtmf}}", DTMF_1)
            .replace("{{menu_ms}}", &MENU_MS.to_string())
            .replace("{{bye_ms}}", &((args.talk + 20) * 1000).to_string()),
    )?;
    let mut rows = Vec::new();
    for &rate in &args.rates {
        let calls = rate * args.seconds;
        eprintln!("{rate} calls/s for {} s ({calls} calls)…", args.seconds);
        let cpu_before = center.cpu_seconds();
        let from_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis();
        let t = Instant::now();
        let run = Sipp::spawn(
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
                &rate.to_string(),
                "-m",
                &calls.to_string(),
                "-l",
                &(rate * (args.talk + 30)).to_string(),
            ],
            &format!("caller-{rate}"),
        )?;
        let counts = run.wait(Duration::from_secs(u64::from(
            args.seconds + args.talk + 120,
        )))?;
        let wall = t.elapsed().as_secs_f64();
        let cpu = center.cpu_seconds() - cpu_before;
        let cdrs = center.cdrs(&admin, from_ms, counts.succeeded as usize)?;
        let mut outcomes = std::collections::BTreeMap::<&str, u64>::new();
        for (o, _) in &cdrs {
            *outcomes.entry(o).or_default() += 1;
        }
        let mut wait: Vec<f64> = cdrs.iter().map(|(_, ms)| *ms).collect();
        wait.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            wait.get(((wait.len() as f64 * p) as usize).min(wait.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0.0)
        };
        let row = json!({
            "rate": rate,
            "calls": calls,
            "succeeded": counts.succeeded,
            "failed": counts.failed,
            "outcomes": outcomes,
            "to_agent_ms": {"p50": pct(0.5), "p99": pct(0.99), "max": wait.last().copied().unwrap_or(0.0)},
            "center_cpu_cores": cpu / wall,
            "wall_seconds": wall,
        });
        eprintln!("  {row}");
        rows.push(row);
        if counts.failed > 0 {
            break;
        }
        // Every agent back to ready before the next rate.
        std::thread::sleep(Duration::from_secs(2));
    }
    phones_sipp.kill();
    let best = rows
        .iter()
        .filter(|r| r["failed"] == 0 && r["succeeded"] == r["calls"])
        .filter_map(|r| r["rate"].as_u64())
        .max();
    let out =
        json!({"agents": agents, "talk_seconds": args.talk, "rates": rows, "best_rate": best});
    if args.json {
        println!("{out}");
    } else {
        println!(
            "calls: IVR (DTMF 1) → queue → agent answers → {} s talk → agent hangs up; {agents} agents",
            args.talk
        );
        println!(
            "{:>6} {:>7} {:>9} {:>7} {:>13} {:>13} {:>11}",
            "rate/s", "calls", "succeeded", "failed", "to agent p50", "to agent p99", "center CPU"
        );
        for r in &rows {
            println!(
                "{:>6} {:>7} {:>9} {:>7} {:>10.0} ms {:>10.0} ms {:>8.2} cores",
                r["rate"],
                r["calls"],
                r["succeeded"],
                r["failed"],
                r["to_agent_ms"]["p50"].as_f64().unwrap_or(0.0),
                r["to_agent_ms"]["p99"].as_f64().unwrap_or(0.0),
                r["center_cpu_cores"].as_f64().unwrap_or(0.0)
            );
        }
        match best {
            Some(b) => println!("highest rate with no failed call: {b} calls/s"),
            None => println!(
                "no rate ran without failed calls (logs in {})",
                dir.display()
            ),
        }
    }
    Ok(())
}

/// Registers extension `ext` with digest authentication (the bench's own client: sipp
/// 3.6 cannot take the user name of a digest from its injection file), its contact being
/// the phones' sipp on port `phones`.
pub(crate) fn register(sip: u16, phones: u16, ext: u32) -> Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let local = socket.local_addr()?;
    let uri = format!("sip:127.0.0.1:{sip}");
    let mut authorization = String::new();
    for cseq in 1..=2 {
        let request = format!(
            "REGISTER {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bK{ext}r{cseq};rport\r\n\
             From: <sip:{ext}@127.0.0.1>;tag=b{ext}\r\nTo: <sip:{ext}@127.0.0.1>\r\n\
             Call-ID: bench-reg-{ext}\r\nCSeq: {cseq} REGISTER\r\n\
             Contact: <sip:{ext}@127.0.0.1:{phones}>\r\n{authorization}Expires: 3600\r\n\
             Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        socket.send_to(request.as_bytes(), ("127.0.0.1", sip))?;
        let reply = loop {
            let mut buf = [0; 4096];
            let (n, _) = socket
                .recv_from(&mut buf)
                .with_context(|| format!("REGISTER {ext}: no answer"))?;
            let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
            if !reply.starts_with("SIP/2.0 100") {
                break reply;
            }
        };
        if reply.starts_with("SIP/2.0 200") {
            return Ok(());
        }
        let challenge = reply
            .lines()
            .find_map(|l| l.strip_prefix("WWW-Authenticate:"))
            .filter(|_| cseq == 1)
            .with_context(|| format!("REGISTER {ext}: {}", reply.lines().next().unwrap_or("")))?;
        // The challenge has the fields of credentials but a response: parse it as such.
        let mut c =
            telephony::digest::parse(&format!("{challenge}, username=\"{ext}\", response=\"x\""))
                .context("a digest challenge")?;
        c.uri = uri.clone();
        c.qop = c.qop.map(|_| "auth".to_string());
        c.nc = Some("00000001".into());
        c.cnonce = Some(format!("c{ext}"));
        c.response = telephony::digest::response(&c, &format!("secret{ext}"), "REGISTER");
        authorization = format!(
            "Authorization: Digest username=\"{ext}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
             response=\"{}\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c{ext}\"\r\n",
            c.realm, c.nonce, c.response
        );
    }
    bail!("REGISTER {ext}: not accepted")
}

/// `n` distinct UDP ports free on 127.0.0.1, each with the one two above it free too (sipp's
/// media port takes it for video).
pub(crate) fn free_ports(n: usize) -> Result<Vec<u16>> {
    let mut out = Vec::new();
    let mut p = 40_000 + (std::process::id() % 1000) as u16 * 10;
    while out.len() < n {
        if (p..p + 4).all(|q| UdpSocket::bind(("127.0.0.1", q)).is_ok()) {
            out.push(p);
        }
        p = p.checked_add(4).context("no free ports")?;
    }
    Ok(out)
}

/// Runs `f` on every item from four threads (the center checks passwords two at a time).
pub(crate) fn parallel(items: &[u32], f: impl Fn(u32) -> Result<()> + Sync) -> Result<()> {
    let chunks: Vec<&[u32]> = items.chunks(items.len().div_ceil(4).max(1)).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| s.spawn(|| chunk.iter().try_for_each(|&x| f(x))))
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().expect("worker panicked"))
    })
}

/// One HTTP request to the center at `http` (its address), the answer's JSON (`null` when
/// it is not JSON); from any thread, without holding the center.
pub(crate) fn request(
    http: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Result<(u16, Value)> {
    let (status, text) = exchange(http, method, path, token, body)?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// One HTTP request; the status and the body as text.
pub(crate) fn exchange(
    http: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Result<(u16, String)> {
    let mut s = TcpStream::connect(http)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .context("HTTP status")?;
    let text = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, text.to_string()))
}

pub(crate) struct Center {
    pub(crate) child: Child,
    pub(crate) http: String,
}

impl Drop for Center {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Center {
    pub(crate) fn start(dir: &Path, sip: u16) -> Result<Center> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
            .arg("--database")
            .arg(format!("sqlite://{}/h.db", dir.display()))
            .arg("--sip")
            .arg(format!("127.0.0.1:{sip}"))
            .args(["--rtp-ports", "20000-39999"])
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--prompts")
            .arg(dir.join("no-prompts"))
            .stdout(Stdio::piped())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("serve.log"))?,
            )
            .spawn()?;
        let mut http = String::new();
        let out = child.stdout.take().context("stdout")?;
        for line in std::io::BufReader::new(out).lines() {
            let line = line?;
            if http.is_empty()
                && let Some(a) = line
                    .split("http://")
                    .nth(1)
                    .and_then(|a| a.strip_suffix('/'))
            {
                http = a.to_string();
            }
            if line.starts_with("Press Ctrl-C") {
                break;
            }
        }
        if http.is_empty() {
            bail!("the center did not start: see {}/serve.log", dir.display());
        }
        Ok(Center { child, http })
    }

    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> Result<(u16, Value)> {
        request(&self.http, method, path, token, body)
    }

    pub(crate) fn login(&self, user: &str, password: &str) -> Result<String> {
        self.login_as(Some("demo"), user, password)
    }

    pub(crate) fn login_as(
        &self,
        tenant: Option<&str>,
        user: &str,
        password: &str,
    ) -> Result<String> {
        let body =
            json!({"tenant": tenant, "username": user, "password": password, "mode": "bearer"});
        let (status, v) = self.request("POST", "/api/auth/login", "", &body.to_string())?;
        ensure!(status == 200, "login {user}: {status} {v}");
        Ok(v["token"].as_str().context("token")?.to_string())
    }

    pub(crate) fn add_agent(&self, admin: &str, ext: u32) -> Result<()> {
        let body = json!({
            "username": format!("agent{ext}"), "display_name": format!("座席 {ext}"),
            "role": "agent", "password": format!("secret{ext}"),
        });
        let (status, user) = self.request("POST", "/api/users", admin, &body.to_string())?;
        ensure!(status == 201, "POST /api/users: {status} {user}");
        let id = user["id"].as_i64().context("user id")?;
        let profile = json!({
            "extension": ext.to_string(), "sip_password": format!("secret{ext}"),
            "queues": ["repair"],
        });
        let path = format!("/api/agents/{id}/profile");
        let (status, v) = self.request("PUT", &path, admin, &profile.to_string())?;
        ensure!(status == 200, "PUT {path}: {status} {v}");
        Ok(())
    }

    pub(crate) fn agent_ready(&self, ext: u32) -> Result<()> {
        let token = self.login(&format!("agent{ext}"), &format!("secret{ext}"))?;
        let (status, v) = self.request("POST", "/api/me/agent/login", &token, "")?;
        ensure!(status == 200, "agent {ext} login: {status} {v}");
        Ok(())
    }

    /// The CDRs of calls that ended since `from_ms`, page by page (newest first):
    /// "outcome in queue", and queue wait plus ring time in ms. Waits up to 20 s for `n`.
    fn cdrs(&self, admin: &str, from_ms: u128, n: usize) -> Result<Vec<(String, f64)>> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut seen = std::collections::HashMap::new();
            let mut to_ms = u128::MAX;
            loop {
                let to = if to_ms == u128::MAX {
                    String::new()
                } else {
                    format!("&to_ms={to_ms}")
                };
                let path = format!("/api/cdrs?limit=500&from_ms={from_ms}{to}");
                let (status, v) = self.request("GET", &path, admin, "")?;
                ensure!(status == 200, "GET {path}: {status} {v}");
                let page = v.as_array().cloned().unwrap_or_default();
                for c in &page {
                    let key = format!("{}/{}", c["call_id"], c["segment"]);
                    let ms =
                        c["wait_ms"].as_f64().unwrap_or(0.0) + c["ring_ms"].as_f64().unwrap_or(0.0);
                    let what = format!(
                        "{} in {}",
                        c["outcome"].as_str().unwrap_or("?"),
                        c["queue"].as_str().unwrap_or("?")
                    );
                    seen.insert(key, (what, ms));
                }
                let oldest = page.iter().filter_map(|c| c["ended_at_ms"].as_u64()).min();
                match oldest {
                    // Calls that ended in the oldest millisecond may straddle the pages.
                    Some(o) if page.len() == 500 && u128::from(o) + 1 < to_ms => {
                        to_ms = u128::from(o) + 1
                    }
                    _ => break,
                }
            }
            if seen.len() >= n || Instant::now() > deadline {
                return Ok(seen.into_values().collect());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// CPU seconds the center has used (user and system).
    fn cpu_seconds(&self) -> f64 {
        crate::process_cpu_ns(self.child.id()) as f64 / 1e9
    }
}

pub(crate) struct Sipp {
    child: Child,
    stat: PathBuf,
}

struct Counts {
    succeeded: u64,
    failed: u64,
}

impl Sipp {
    pub(crate) fn spawn(
        dir: &Path,
        sip: u16,
        scenario: &Path,
        args: &[&str],
        name: &str,
    ) -> Result<Sipp> {
        let stat = dir.join(format!("{name}-stat.csv"));
        let child = Command::new("sipp")
            .arg(format!("127.0.0.1:{sip}"))
            .arg("-sf")
            .arg(scenario)
            .args(["-nostdin", "-trace_err", "-trace_stat", "-fd", "1"])
            .arg("-stf")
            .arg(&stat)
            .arg("-error_file")
            .arg(dir.join(format!("{name}-errors.log")))
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("{name}.log")))?)
            .spawn()
            .context("starting sipp")?;
        Ok(Sipp { child, stat })
    }

    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for sipp to finish; its final counts from the statistics file.
    fn wait(mut self, limit: Duration) -> Result<Counts> {
        let deadline = Instant::now() + limit;
        loop {
            if self.child.try_wait()?.is_some() {
                break;
            }
            if Instant::now() > deadline {
                self.kill();
                bail!("sipp did not finish in {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let text = std::fs::read_to_string(&self.stat)
            .with_context(|| format!("reading {}", self.stat.display()))?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .context("empty statistics")?
            .split(';')
            .collect();
        let last: Vec<&str> = lines.last().context("no statistics")?.split(';').collect();
        let field = |name: &str| -> Result<u64> {
            let i = header
                .iter()
                .position(|h| *h == name)
                .with_context(|| format!("no {name} in sipp's statistics"))?;
            Ok(last.get(i).and_then(|v| v.trim().parse().ok()).unwrap_or(0))
        };
        Ok(Counts {
            succeeded: field("SuccessfulCall(C)")?,
            failed: field("FailedCall(C)")?,
        })
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        self.kill();
    }
}
