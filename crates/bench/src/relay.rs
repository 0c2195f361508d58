//! `hotline bench relay`: many bridged calls at once through the real media task of
//! `telephony::rtp` — G.711 both ways in 20 ms packets, μ-law on the caller's leg and A-law on
//! the agent's (so every packet is transcoded), recording on. The phones are another
//! process (`hotline bench relay-phones`, started by the bench, its sockets on 127.0.0.2), so
//! the load and the relay are scheduled apart as they would be on separate machines; the
//! relay runs on threads named `relay` and the recorder on its own, and their CPU time is
//! read from the kernel (`/proc/self/task/*/schedstat`), so the CPU per call is the relay's
//! alone.
//!
//! With `--rtpengine` the same phones talk through rtpengine instead (module `rtpengine`),
//! its CPU read for its whole process; `--same-codec` leaves out transcoding for both.
//!
//! Lost: sent by a phone and never heard by the other. Late: heard more than 60 ms (a
//! typical jitter buffer) after its place in the stream, measured against the stream's first
//! packet from the RTP timestamps, which the relay carries over. A phone sending late (its
//! process shares the cores) counts too; the worst delay of each is reported.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args as ClapArgs;
use media::rtp::Packet;
use telephony::rtp::{self, Command, Leg, Ports, Side};
use telephony::sdp::{Codec, Direction, Session};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Calls bridged at once.
    #[arg(long, default_value_t = 1_000)]
    calls: usize,
    /// Seconds of audio measured.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Leave recording off.
    #[arg(long)]
    no_record: bool,
    /// Relay worker threads [default: one a core, as `hotline serve` runs].
    #[arg(long)]
    threads: Option<usize>,
    /// μ-law on both legs: relay without transcoding.
    #[arg(long)]
    same_codec: bool,
    /// Relay through rtpengine instead (Debian's rtpengine-daemon, userspace only, started
    /// by the bench), to compare on the same load; it records nothing.
    #[arg(long)]
    rtpengine: bool,
    #[arg(long)]
    json: bool,
}

/// The phones' process: it reads the relay's two addresses of each call from standard
/// input, one call a line, binds the phones' two sockets at [`phone_addrs`], says `ready`,
/// and after half a second talks for `--seconds`; then prints its counts as JSON.
#[derive(Debug, ClapArgs)]
pub struct PhonesArgs {
    #[arg(long)]
    calls: usize,
    #[arg(long)]
    seconds: u64,
    /// The agents' phones speak A-law (else μ-law).
    #[arg(long)]
    alaw: bool,
}

const LATE_MS: f64 = 60.0;
/// The phones' address, apart from the relay's (127.0.0.1).
const PHONES_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const PHONES_PORT: u16 = 40_000;

const FRAME_TIME: Duration = Duration::from_millis(20);

/// Where the phones are: the callers' and the agents'.
fn phone_addrs() -> (SocketAddr, SocketAddr) {
    (
        SocketAddr::new(IpAddr::V4(PHONES_IP), PHONES_PORT),
        SocketAddr::new(IpAddr::V4(PHONES_IP), PHONES_PORT + 1),
    )
}

#[derive(Default)]
struct Counts {
    /// The latest a packet was heard, against its place in the stream.
    worst_ms: f64,
    /// The latest a phone sent, against its schedule (the phones' own delay, which the
    /// hearing end counts as lateness too).
    worst_send_ms: f64,
    sent: u64,
    heard: u64,
    late: u64,
}

/// Nanoseconds on CPU of this process's threads whose name starts with `prefix`.
fn cpu_ns(prefix: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with(prefix))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn session(remote: SocketAddr, codec: Codec) -> Session {
    Session {
        remote,
        codec,
        dtmf: Some(101),
        direction: Direction::SendRecv,
    }
}

/// One phone's end of the stream it hears: lateness against the first packet.
#[derive(Default)]
struct Heard {
    first: Option<(Instant, u32)>,
}

impl Heard {
    fn packet(&mut self, now: Instant, ts: u32, counts: &mut Counts) {
        counts.heard += 1;
        match self.first {
            None => self.first = Some((now, ts)),
            Some((t0, ts0)) => {
                let due_ms = f64::from(ts.wrapping_sub(ts0)) / 8.0;
                let at_ms = now.duration_since(t0).as_secs_f64() * 1000.0;
                if at_ms - due_ms > LATE_MS {
                    counts.late += 1;
                }
                counts.worst_ms = counts.worst_ms.max(at_ms - due_ms);
            }
        }
    }
}

/// A socket of the phones' with room for a burst: 4 MB of receive buffer (the kernel's
/// usual `rmem_max`), so a late wake-up of the phones' thread loses nothing.
fn phones_socket(at: SocketAddr) -> Result<std::net::UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::DGRAM, None)?;
    let _ = s.set_recv_buffer_size(4 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.bind(&at.into())
        .with_context(|| format!("binding the phones at {at}"))?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// The phones' process (`hotline bench relay-phones`): one thread, two sockets (the callers'
/// phones and the agents'), read by polling every millisecond. A load generator that woke
/// for each packet would spend the cores the relay is measured on; the relay replies where
/// each leg's packets come from (symmetric RTP), so every call's two streams come back to
/// these two sockets, told apart by the relay's port.
pub fn run_phones(args: PhonesArgs) -> Result<()> {
    use std::io::BufRead;
    let mut legs = Vec::with_capacity(args.calls);
    for line in std::io::stdin().lock().lines().take(args.calls) {
        let line = line?;
        let (c, a) = line.split_once(' ').context("a line of two addresses")?;
        legs.push((c.parse::<SocketAddr>()?, a.parse::<SocketAddr>()?));
    }
    let (caller_at, agent_at) = phone_addrs();
    let sockets = [phones_socket(caller_at)?, phones_socket(agent_at)?];
    // Which stream a packet from the relay belongs to, by the relay's port: 2·call + side.
    let stream: std::collections::HashMap<SocketAddr, usize> = legs
        .iter()
        .enumerate()
        .flat_map(|(i, (c, a))| [(*c, 2 * i), (*a, 2 * i + 1)])
        .collect();
    let mut heard: Vec<Heard> = (0..2 * legs.len()).map(|_| Heard::default()).collect();
    let mut counts = Counts::default();
    let agent_codec = if args.alaw { Codec::Pcma } else { Codec::Pcmu };
    let payloads = [
        (0, [media::g711::ulaw_encode(3_000); 160]),
        match agent_codec {
            Codec::Pcmu => (0, [media::g711::ulaw_encode(-3_000); 160]),
            Codec::Pcma => (8, [media::g711::alaw_encode(-3_000); 160]),
        },
    ];
    println!("ready");
    let start = Instant::now() + Duration::from_millis(500);
    let stop = start + Duration::from_secs(args.seconds);
    let drain = stop + Duration::from_millis(300);
    // Call i speaks at start + k·20 ms + i·20 ms / calls: spread over the 20 ms.
    let calls = legs.len().max(1) as u32;
    let due = |k: u32, i: usize| {
        start + FRAME_TIME * k + FRAME_TIME * u32::try_from(i).unwrap_or(0) / calls
    };
    let (mut k, mut i) = (0_u32, 0_usize);
    let mut out = Vec::with_capacity(200);
    let mut buf = [0_u8; 2048];
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    loop {
        let now = Instant::now();
        if now >= drain {
            break;
        }
        while let Some(&(caller_leg, agent_leg)) = legs.get(i) {
            let at = due(k, i);
            if at > now || at >= stop {
                break;
            }
            let to = [caller_leg, agent_leg];
            let behind = now.duration_since(at).as_secs_f64() * 1000.0;
            counts.worst_send_ms = counts.worst_send_ms.max(behind);
            for (side, (pt, payload)) in payloads.iter().enumerate() {
                out.clear();
                Packet {
                    marker: k == 0,
                    payload_type: *pt,
                    sequence: k as u16,
                    timestamp: k.wrapping_mul(160),
                    ssrc: 7,
                    csrc: vec![],
                    extension: None,
                    payload,
                }
                .write(&mut out);
                if sockets[side].send_to(&out, to[side]).is_ok() {
                    counts.sent += 1;
                }
            }
            i += 1;
            if i == legs.len() {
                (i, k) = (0, k + 1);
            }
        }
        let now = Instant::now();
        for socket in &sockets {
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                if let (Some(&s), Ok(p)) = (stream.get(&from), Packet::parse(&buf[..n])) {
                    heard[s].packet(now, p.timestamp, &mut counts);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "{}",
        serde_json::json!({
            "sent": counts.sent, "heard": counts.heard, "late": counts.late,
            "worst_ms": counts.worst_ms, "worst_send_ms": counts.worst_send_ms,
        })
    );
    Ok(())
}

pub fn run(args: Args) -> Result<()> {
    use std::io::{BufRead, Write};
    anyhow::ensure!(
        (1..=12_000).contains(&args.calls),
        "--calls: between 1 and 12000"
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let relay = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("relay")
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!("hotline-bench-relay-{}", std::process::id()));
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    // Below the kernel's ephemeral range (32768–).
    let span = u16::try_from(args.calls * 6 + 100)
        .unwrap_or(12_000)
        .min(12_000);
    let ports = Ports::new(localhost, 20_000, 20_000 + span);
    let agent_codec = if args.same_codec {
        Codec::Pcmu
    } else {
        Codec::Pcma
    };
    let record = !args.no_record && !args.rtpengine;
    let mut engine = args
        .rtpengine
        .then(|| crate::rtpengine::RtpEngine::start(threads, 20_000, 20_000 + span))
        .transpose()?;
    let recorder = record.then(|| {
        telephony::recorder::Recorder::start(65_536, |f| eprintln!("recording failed: {}", f.error))
    });
    // Set up every call: two legs here, two phones there.
    let mut legs = Vec::with_capacity(args.calls);
    let mut controls = Vec::with_capacity(args.calls);
    for i in 0..args.calls {
        let (caller_phone, agent_phone) = phone_addrs();
        if let Some(engine) = &mut engine {
            legs.push(engine.bridge(i, (caller_phone, Codec::Pcmu), (agent_phone, agent_codec))?);
            continue;
        }
        let (caller_leg, agent_leg) = relay
            .block_on(async { Ok::<_, std::io::Error>((ports.bind().await?, ports.bind().await?)) })
            .with_context(|| {
                format!("setting up call {i} (raise `ulimit -n`: each call takes two sockets and a file)")
            })?;
        legs.push((caller_leg.local_addr()?, agent_leg.local_addr()?));
        let (cmd, events) = {
            let _guard = relay.enter();
            rtp::start(
                recorder.clone(),
                u32::try_from(i).unwrap_or(0),
                rtp::SILENCE_LIMIT,
            )
        };
        let _ = cmd.send(Command::Attach(
            Side::Left,
            Leg {
                socket: caller_leg,
                session: session(caller_phone, Codec::Pcmu),
            },
        ));
        let _ = cmd.send(Command::Attach(
            Side::Right,
            Leg {
                socket: agent_leg,
                session: session(agent_phone, agent_codec),
            },
        ));
        if recorder.is_some() {
            let _ = cmd.send(Command::Record(i as u64, dir.join(format!("{i}.wav"))));
        }
        controls.push((cmd, events));
    }
    // The phones, in their own process.
    let mut phones = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "relay-phones", "--calls"])
        .arg(args.calls.to_string())
        .arg("--seconds")
        .arg(args.seconds.to_string())
        .args((!args.same_codec).then_some("--alaw"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting the phones' process")?;
    {
        let mut to = std::io::BufWriter::new(phones.stdin.take().context("its stdin")?);
        for (c, a) in &legs {
            writeln!(to, "{c} {a}")?;
        }
    }
    let mut from = std::io::BufReader::new(phones.stdout.take().context("its stdout")?);
    let mut line = String::new();
    from.read_line(&mut line)?;
    anyhow::ensure!(
        line.trim() == "ready",
        "the phones' process did not start: {line}"
    );
    let start = Instant::now() + Duration::from_millis(500);
    let stop = start + Duration::from_secs(args.seconds);
    std::thread::sleep(start.saturating_duration_since(Instant::now()));
    let relay_cpu = || {
        engine
            .as_ref()
            .map_or_else(|| cpu_ns("relay"), |e| e.cpu_ns())
    };
    let (relay0, rec0, t0) = (relay_cpu(), cpu_ns("recorder"), Instant::now());
    std::thread::sleep(stop.saturating_duration_since(Instant::now()));
    let (relay1, rec1, wall) = (relay_cpu(), cpu_ns("recorder"), t0.elapsed());
    line.clear();
    from.read_line(&mut line)?;
    let status = phones.wait()?;
    anyhow::ensure!(status.success(), "the phones' process failed ({status})");
    let got: serde_json::Value =
        serde_json::from_str(&line).with_context(|| format!("the phones' counts: {line}"))?;
    let count = |k: &str| got[k].as_u64().unwrap_or(0);
    for (cmd, _) in &controls {
        let _ = cmd.send(Command::Stop);
    }
    let dropped = recorder
        .as_ref()
        .map_or(0, telephony::recorder::Recorder::dropped);
    std::thread::sleep(Duration::from_millis(500));
    let (sent, heard, late) = (count("sent"), count("heard"), count("late"));
    let ms = |k: &str| got[k].as_f64().unwrap_or(0.0);
    let (worst_ms, worst_send_ms) = (ms("worst_ms"), ms("worst_send_ms"));
    let lost = sent.saturating_sub(heard);
    let secs = wall.as_secs_f64();
    let relay_core = (relay1 - relay0) as f64 / 1e9 / secs;
    let rec_core = (rec1 - rec0) as f64 / 1e9 / secs;
    let per_call = (relay_core + rec_core) / args.calls as f64 * 100.0;
    let recorded = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    let relay_name = if engine.is_some() {
        "rtpengine"
    } else {
        "hotline"
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "relay": relay_name, "transcoding": !args.same_codec,
                "calls": args.calls, "seconds": args.seconds, "recording": record,
                "threads": threads,
                "packets_sent": sent, "packets_heard": heard, "lost": lost, "late": late,
                "worst_ms": worst_ms, "worst_send_ms": worst_send_ms,
                "lost_or_late_pct": (lost + late) as f64 / sent.max(1) as f64 * 100.0,
                "relay_cores": relay_core, "recorder_cores": rec_core,
                "core_pct_per_call": per_call, "recording_jobs_dropped": dropped,
                "recordings": recorded,
            })
        );
    } else {
        println!(
            "{relay_name}: relayed calls 同时通话 {} for {} s ({}, recording {}, {threads} threads)",
            args.calls,
            args.seconds,
            if args.same_codec {
                "μ-law both ways"
            } else {
                "μ-law ↔ A-law"
            },
            if record { "on" } else { "off" }
        );
        println!(
            "  packets sent {sent}, heard {heard}, lost {lost}, late (> {LATE_MS} ms) {late}: {:.3} % lost or late",
            (lost + late) as f64 / sent.max(1) as f64 * 100.0
        );
        println!(
            "  latest packet {worst_ms:.1} ms behind its place (the phones' own sending at worst {worst_send_ms:.1} ms behind)"
        );
        println!(
            "  CPU: relay {relay_core:.3} cores, recorder {rec_core:.3} cores = {per_call:.4} % of a core per call"
        );
        println!("  recordings written {recorded}, recording jobs dropped {dropped}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
