//! The audio of one call, anchored here (B2BUA): a task per call owns the caller's RTP
//! socket and, once bridged, the agent's. It plays prompts and music to the caller, hears
//! their keys (RFC 4733), relays audio both ways (μ-law ↔ A-law when the legs differ,
//! telephone events passed through), and feeds both legs to the recorder.
//!
//! Each direction keeps its own SSRC, sequence and timestamps, so a phone sees one steady
//! stream whether it hears a prompt, music or the other party. Replies go where the peer's
//! packets come from (symmetric RTP), so phones behind NAT are heard.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use media::g711;
use media::mix::{Side, Stereo};
use media::rtp::{Packet, StreamStats};
use media::wav::Recorder;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::sdp::{Codec, Session};

/// Samples in one 20 ms packet.
pub const FRAME: usize = 160;
/// A leg that sends nothing this long is taken for dead (R: no RTP for 30 s → hang up).
pub const SILENCE_LIMIT: Duration = Duration::from_secs(30);

/// RTP ports to bind, even ports in a range (RTCP, unused, would take the odd ones).
#[derive(Debug)]
pub struct Ports {
    ip: IpAddr,
    low: u16,
    high: u16,
    next: AtomicU64,
}

impl Ports {
    pub fn new(ip: IpAddr, low: u16, high: u16) -> Ports {
        Ports {
            ip,
            low: low + low % 2,
            high: high.max(low),
            next: AtomicU64::new(0),
        }
    }

    /// Binds the next free even port of the range.
    pub async fn bind(&self) -> std::io::Result<UdpSocket> {
        let slots = u64::from((self.high - self.low) / 2 + 1);
        for _ in 0..slots.min(512) {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % slots;
            let port = self.low + u16::try_from(i * 2).unwrap_or(0);
            if let Ok(s) = UdpSocket::bind(SocketAddr::new(self.ip, port)).await {
                return Ok(s);
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("no free RTP port in {}-{}", self.low, self.high),
        ))
    }
}

/// One side of a call: its socket here and what was agreed with its phone.
#[derive(Debug)]
pub struct Leg {
    pub socket: UdpSocket,
    pub session: Session,
}

/// What the call tells its media.
#[derive(Debug)]
pub enum Command {
    /// Play samples (8 kHz) to the caller; [`Event::Played`] when done.
    Play(Arc<[i16]>),
    /// Stop a prompt (the caller pressed a key).
    StopPlaying,
    /// Music on hold to the caller, looping, until bridged or told otherwise.
    Music(Arc<[i16]>),
    /// Connect the caller and this agent leg.
    Bridge(Leg),
    /// The agent put the caller on hold (music to the caller) or took them off it.
    Hold(bool, Arc<[i16]>),
    /// The caller's phone renegotiated (re-INVITE).
    Caller(Session),
    /// The agent's phone renegotiated.
    Agent(Session),
    /// Record both legs as stereo WAV from now on.
    Record(u64, PathBuf),
    Stop,
}

/// What the media tells the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Digit(char),
    Played,
    /// A leg sent no RTP for [`SILENCE_LIMIT`]: which one.
    Silent(Side),
    /// Counts at the end (for the CDR and the benchmark).
    Ended(Summary),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub caller_received: u64,
    pub caller_lost: u64,
    pub caller_late: u64,
    pub agent_received: u64,
    pub agent_lost: u64,
    pub agent_late: u64,
}

/// The header state of packets we send one way.
#[derive(Debug)]
struct Outbound {
    ssrc: u32,
    seq: u16,
    last_ts: u32,
    /// The source SSRC being relayed, `None` while we generate.
    src: Option<u32>,
    offset: u32,
    marker: bool,
}

impl Outbound {
    fn new(ssrc: u32) -> Outbound {
        Outbound {
            ssrc,
            seq: (ssrc >> 7) as u16,
            last_ts: ssrc.rotate_left(11),
            src: None,
            offset: 0,
            marker: true,
        }
    }

    /// Header fields for a relayed packet from `ssrc` at `ts`.
    fn relay(&mut self, ssrc: u32, ts: u32) -> (u16, u32, bool) {
        if self.src != Some(ssrc) {
            self.offset = self.last_ts.wrapping_add(FRAME as u32).wrapping_sub(ts);
            self.src = Some(ssrc);
            self.marker = true;
        }
        self.next(ts.wrapping_add(self.offset))
    }

    fn generated(&mut self) -> (u16, u32, bool) {
        if self.src.is_some() {
            self.src = None;
            self.marker = true;
        }
        self.next(self.last_ts.wrapping_add(FRAME as u32))
    }

    fn next(&mut self, ts: u32) -> (u16, u32, bool) {
        self.seq = self.seq.wrapping_add(1);
        self.last_ts = ts;
        let marker = std::mem::take(&mut self.marker);
        (self.seq, ts, marker)
    }
}

/// A leg as the task sees it.
#[derive(Debug)]
struct Live {
    socket: UdpSocket,
    session: Session,
    /// Where its packets come from (symmetric RTP), once heard.
    latched: Option<SocketAddr>,
    out: Outbound,
    stats: StreamStats,
    heard: Instant,
    dtmf: media::dtmf::Receiver,
}

impl Live {
    fn new(leg: Leg, ssrc: u32) -> Live {
        Live {
            socket: leg.socket,
            session: leg.session,
            latched: None,
            out: Outbound::new(ssrc),
            stats: StreamStats::default(),
            heard: Instant::now(),
            dtmf: media::dtmf::Receiver::default(),
        }
    }

    fn peer(&self) -> SocketAddr {
        self.latched.unwrap_or(self.session.remote)
    }

    /// Whether this leg is expected to send audio now.
    fn should_send(&self) -> bool {
        !matches!(
            self.session.direction,
            crate::sdp::Direction::RecvOnly | crate::sdp::Direction::Inactive
        )
    }
}

/// What the caller hears when not bridged.
#[derive(Debug)]
enum Source {
    Nothing,
    Prompt(Arc<[i16]>, usize),
    Music(Arc<[i16]>, usize),
}

fn encode(codec: Codec, samples: &[i16], out: &mut Vec<u8>) {
    match codec {
        Codec::Pcmu => out.extend(samples.iter().map(|&s| g711::ulaw_encode(s))),
        Codec::Pcma => out.extend(samples.iter().map(|&s| g711::alaw_encode(s))),
    }
}

fn decode(codec: Codec, payload: &[u8], out: &mut Vec<i16>) {
    out.clear();
    match codec {
        Codec::Pcmu => out.extend(payload.iter().map(|&b| g711::ulaw_decode(b))),
        Codec::Pcma => out.extend(payload.iter().map(|&b| g711::alaw_decode(b))),
    }
}

/// Starts the media task of a call whose caller leg is `caller`.
pub fn start(
    caller: Leg,
    recorder: Option<Recorder>,
    ssrc: u32,
) -> (
    mpsc::UnboundedSender<Command>,
    mpsc::UnboundedReceiver<Event>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    tokio::spawn(run(Live::new(caller, ssrc), recorder, ssrc, cmd_rx, ev_tx));
    (cmd_tx, ev_rx)
}

struct Recording {
    id: u64,
    recorder: Recorder,
    stereo: Stereo,
    pending: Vec<i16>,
}

impl Recording {
    fn push(&mut self, side: Side, samples: &[i16]) {
        self.stereo.push(side, samples, &mut self.pending);
        // Batches of 100 ms keep the writer's queue short.
        if self.pending.len() >= 2 * 800 {
            let batch = std::mem::take(&mut self.pending);
            self.recorder.frames(self.id, batch);
        }
    }

    fn finish(mut self) {
        self.stereo.finish(&mut self.pending);
        self.recorder
            .frames(self.id, std::mem::take(&mut self.pending));
        self.recorder.close(self.id);
    }
}

async fn recv(leg: Option<&Live>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    match leg {
        Some(l) => l.socket.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

async fn run(
    mut caller: Live,
    recorder: Option<Recorder>,
    ssrc: u32,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut agent: Option<Live> = None;
    let mut source = Source::Nothing;
    let mut held = false;
    let mut recording: Option<Recording> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut watch = tokio::time::interval(Duration::from_secs(1));
    let (mut buf_a, mut buf_b) = (vec![0u8; 2048], vec![0u8; 2048]);
    let mut out = Vec::with_capacity(256);
    let mut pcm = Vec::with_capacity(FRAME);
    let mut silent_reported = false;
    loop {
        let generating = agent.is_none() || held;
        tokio::select! {
            cmd = commands.recv() => match cmd {
                None | Some(Command::Stop) => break,
                Some(Command::Play(p)) => source = Source::Prompt(p, 0),
                Some(Command::StopPlaying) => {
                    if matches!(source, Source::Prompt(..)) {
                        source = Source::Nothing;
                    }
                }
                Some(Command::Music(m)) => source = Source::Music(m, 0),
                Some(Command::Bridge(leg)) => {
                    let mut live = Live::new(leg, ssrc.wrapping_add(1));
                    live.heard = Instant::now();
                    agent = Some(live);
                    source = Source::Nothing;
                    held = false;
                }
                Some(Command::Hold(on, m)) => {
                    held = on;
                    source = if on { Source::Music(m, 0) } else { Source::Nothing };
                }
                Some(Command::Caller(s)) => {
                    caller.session = s;
                    caller.latched = None;
                }
                Some(Command::Agent(s)) => {
                    if let Some(a) = agent.as_mut() {
                        a.session = s;
                        a.latched = None;
                    }
                }
                Some(Command::Record(id, path)) => {
                    if let Some(r) = &recorder && r.open(id, path) {
                        recording = Some(Recording {
                            id,
                            recorder: r.clone(),
                            stereo: Stereo::new(),
                            pending: Vec::new(),
                        });
                    }
                }
            },
            got = caller.socket.recv_from(&mut buf_a) => {
                let Ok((n, from)) = got else { continue };
                let Ok(pkt) = Packet::parse(&buf_a[..n]) else { continue };
                caller.latched = Some(from);
                caller.heard = Instant::now();
                caller.stats.record(pkt.sequence);
                if Some(pkt.payload_type) == caller.session.dtmf {
                    if let Some(key) = caller.dtmf.packet(pkt.timestamp, pkt.payload)
                        && agent.is_none()
                    {
                        let _ = events.send(Event::Digit(key));
                    }
                    if let Some(a) = agent.as_mut() && !held {
                        forward(&pkt, caller.session.codec, a, &mut out).await;
                    }
                } else if pkt.payload_type == caller.session.codec.payload_type() {
                    if let Some(r) = recording.as_mut() {
                        decode(caller.session.codec, pkt.payload, &mut pcm);
                        r.push(Side::Left, &pcm);
                    }
                    if let Some(a) = agent.as_mut() && !held {
                        forward(&pkt, caller.session.codec, a, &mut out).await;
                    }
                }
            }
            got = recv(agent.as_ref(), &mut buf_b) => {
                let Ok((n, from)) = got else { continue };
                let Ok(pkt) = Packet::parse(&buf_b[..n]) else { continue };
                let Some(a) = agent.as_mut() else { continue };
                a.latched = Some(from);
                a.heard = Instant::now();
                a.stats.record(pkt.sequence);
                let audio = pkt.payload_type == a.session.codec.payload_type();
                if audio && let Some(r) = recording.as_mut() {
                    decode(a.session.codec, pkt.payload, &mut pcm);
                    r.push(Side::Right, &pcm);
                }
                let dtmf = Some(pkt.payload_type) == a.session.dtmf;
                if (audio || dtmf) && !held {
                    let codec = a.session.codec;
                    forward(&pkt, codec, &mut caller, &mut out).await;
                }
            }
            _ = tick.tick(), if generating && !matches!(source, Source::Nothing) => {
                let frame: Vec<i16> = match &mut source {
                    Source::Prompt(p, at) => {
                        let end = (*at + FRAME).min(p.len());
                        let f = p[*at..end].to_vec();
                        *at = end;
                        f
                    }
                    Source::Music(m, at) if !m.is_empty() => {
                        let f: Vec<i16> = (0..FRAME).map(|i| m[(*at + i) % m.len()]).collect();
                        *at = (*at + FRAME) % m.len();
                        f
                    }
                    _ => Vec::new(),
                };
                if frame.is_empty() {
                    if matches!(source, Source::Prompt(..)) {
                        let _ = events.send(Event::Played);
                    }
                    source = Source::Nothing;
                    continue;
                }
                send_generated(&mut caller, &frame, &mut out).await;
                if let Some(r) = recording.as_mut() {
                    // What the caller hears while held is not the agent: the right stays quiet.
                    r.push(Side::Right, &[0; FRAME][..frame.len()]);
                }
            }
            _ = watch.tick() => {
                let now = Instant::now();
                let dead = if caller.should_send() && now - caller.heard > SILENCE_LIMIT {
                    Some(Side::Left)
                } else if let Some(a) = agent.as_ref().filter(|a| !held && a.should_send()) {
                    (now - a.heard > SILENCE_LIMIT).then_some(Side::Right)
                } else {
                    None
                };
                if let Some(side) = dead && !silent_reported {
                    silent_reported = true;
                    let _ = events.send(Event::Silent(side));
                }
            }
        }
    }
    if let Some(r) = recording.take() {
        r.finish();
    }
    let a = agent.as_ref().map(|a| &a.stats);
    let _ = events.send(Event::Ended(Summary {
        caller_received: caller.stats.received,
        caller_lost: caller.stats.lost,
        caller_late: caller.stats.late,
        agent_received: a.map_or(0, |s| s.received),
        agent_lost: a.map_or(0, |s| s.lost),
        agent_late: a.map_or(0, |s| s.late),
    }));
}

/// Starts `out` afresh with an RTP header of ours.
fn head(
    out: &mut Vec<u8>,
    ssrc: u32,
    payload_type: u8,
    sequence: u16,
    timestamp: u32,
    marker: bool,
) {
    out.clear();
    Packet {
        marker,
        payload_type,
        sequence,
        timestamp,
        ssrc,
        csrc: Vec::new(),
        extension: None,
        payload: &[],
    }
    .write(out);
}

/// Relays a packet that arrived in `codec` to `to`, in its codec.
async fn forward(pkt: &Packet<'_>, codec: Codec, to: &mut Live, out: &mut Vec<u8>) {
    let (payload_type, transcode) = if pkt.payload_type == codec.payload_type() {
        (to.session.codec.payload_type(), to.session.codec != codec)
    } else {
        // A telephone event: passed through if the other phone takes them.
        match to.session.dtmf {
            Some(pt) => (pt, false),
            None => return,
        }
    };
    let (sequence, timestamp, marker) = to.out.relay(pkt.ssrc, pkt.timestamp);
    head(
        out,
        to.out.ssrc,
        payload_type,
        sequence,
        timestamp,
        marker || pkt.marker,
    );
    if transcode {
        out.extend(pkt.payload.iter().map(|&b| match codec {
            Codec::Pcmu => g711::ulaw_to_alaw(b),
            Codec::Pcma => g711::alaw_to_ulaw(b),
        }));
    } else {
        out.extend_from_slice(pkt.payload);
    }
    let _ = to.socket.send_to(out, to.peer()).await;
}

async fn send_generated(to: &mut Live, samples: &[i16], out: &mut Vec<u8>) {
    let (sequence, timestamp, marker) = to.out.generated();
    let payload_type = to.session.codec.payload_type();
    head(out, to.out.ssrc, payload_type, sequence, timestamp, marker);
    encode(to.session.codec, samples, out);
    let _ = to.socket.send_to(out, to.peer()).await;
}
