//! The audio of one call, anchored here (B2BUA): a task per call owns the RTP sockets of its
//! two legs, the customer's (left) and the agent's (right); either may come first (an
//! inbound caller, or the agent's phone for a call the agent places) and the agent's may
//! change (a transfer). It plays prompts, music and ringback to a leg that is alone, hears
//! the customer's keys (RFC 4733), relays audio both ways once both legs are there (μ-law ↔
//! A-law when they differ, telephone events passed through), and feeds both legs to the
//! recorder.
//!
//! The task reads its sockets every [`POLL`] rather than waking for each packet, and sends
//! without waiting; a packet a socket has no room for is dropped, as on the network.
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
pub use media::mix::Side;
use media::mix::Stereo;
use media::rtp::{Packet, StreamStats};
use tokio::net::UdpSocket;

use crate::recorder::Recorder;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::sdp::{Codec, Session};

/// Packets dropped from strangers, all calls since start (for `/metrics`).
static STRANGERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// RTP packets dropped since start because they came from an address a leg does not
/// listen to.
pub fn strangers_dropped() -> u64 {
    STRANGERS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Samples in one 20 ms packet.
pub const FRAME: usize = 160;
/// How often a call's sockets are read. Polling on a timer, as FreeSWITCH's media threads
/// read on their 20 ms timer, instead of waking for each packet: a packet waits 5 ms on
/// average, and the relay is spared a thread wake-up per packet (on this kind of virtual
/// machine the largest part of a packet's cost), for the sender as well as here.
pub const POLL: Duration = Duration::from_millis(10);
/// Packets read from one leg in one poll, at most: a flood is dropped by the kernel's
/// socket buffer, not queued in the relay.
const MAX_BATCH: usize = 16;
/// A leg that sends nothing this long is taken for dead and the call hung up, unless
/// configured otherwise (`hotline serve --rtp-timeout`).
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

    /// Binds a free even port of the range, from a random place in it: a call's port
    /// cannot be guessed from the last one's.
    pub async fn bind(&self) -> std::io::Result<UdpSocket> {
        let slots = u64::from((self.high - self.low) / 2 + 1);
        let mut seed = [0u8; 8];
        let start = if getrandom::fill(&mut seed).is_ok() {
            u64::from_le_bytes(seed)
        } else {
            self.next.fetch_add(1, Ordering::Relaxed)
        };
        for k in 0..slots.min(512) {
            let i = start.wrapping_add(k) % slots;
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

/// What the call tells its media. Sides are the recording's: the customer on the left,
/// the agent on the right, whichever leg came first.
#[derive(Debug)]
pub enum Command {
    /// Play samples (8 kHz) to the leg on this side; [`Event::Played`] when done.
    Play(Side, Arc<[i16]>),
    /// Stop a prompt (the caller pressed a key).
    StopPlaying,
    /// Loop this to the leg on this side (music on hold, ringback) until the legs are
    /// connected or it is told otherwise.
    Music(Side, Arc<[i16]>),
    /// A leg joins on this side, replacing any there; with both sides there they are
    /// connected and what was played stops.
    Attach(Side, Leg),
    /// The leg on this side leaves (a transfer); its counts stay in the summary.
    Detach(Side),
    /// A consultation: a third leg (the expert the agent consults) joins. The agent and
    /// the expert hear each other while the customer, held, hears music.
    Consult(Leg),
    /// The consultation ends. Completed, the expert takes the agent's place with the
    /// customer (the agent's leg leaves); otherwise the expert's leg leaves. The customer
    /// is taken off hold either way.
    EndConsult {
        completed: bool,
    },
    /// The expert's phone renegotiated (re-INVITE).
    ConsultSession(Session),
    /// The agent put the customer on hold (music to the left) or took them off it.
    Hold(bool, Arc<[i16]>),
    /// The leg on this side renegotiated (re-INVITE).
    Session(Side, Session),
    /// Record both legs as stereo WAV from now on.
    Record(u64, PathBuf),
    /// Close the recording (its agent left).
    StopRecording,
    Stop,
}

/// What the media tells the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A key from the customer while no agent is connected.
    Digit(char),
    Played,
    /// A leg sent no RTP for the silence limit ([`SILENCE_LIMIT`] by default): which one.
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
    /// Packets dropped, on any leg, for coming from elsewhere than the leg's phone.
    pub strangers: u64,
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

/// A leg as the task sees it: its socket taken off tokio's reactor, read by polling.
#[derive(Debug)]
struct Live {
    socket: std::net::UdpSocket,
    session: Session,
    /// Where its packets come from (symmetric RTP), once heard.
    latched: Option<SocketAddr>,
    out: Outbound,
    stats: StreamStats,
    heard: Instant,
    dtmf: media::dtmf::Receiver,
}

impl Live {
    fn new(leg: Leg, ssrc: u32) -> std::io::Result<Live> {
        Ok(Live {
            // Non-blocking, as tokio left it.
            socket: leg.socket.into_std()?,
            session: leg.session,
            latched: None,
            out: Outbound::new(ssrc),
            stats: StreamStats::default(),
            heard: Instant::now(),
            dtmf: media::dtmf::Receiver::default(),
        })
    }

    fn peer(&self) -> SocketAddr {
        self.latched.unwrap_or(self.session.remote)
    }

    /// Whether a packet from `from` is this leg's phone's. Once latched, only from the
    /// address latched on; before, from the host its SDP names (any port: NAT rewrites it),
    /// or from anywhere when that host cannot be the sender's (a private, loopback or
    /// unspecified address: a phone behind NAT) — and the leg latches on it. A stranger who
    /// can reach the port can neither take the call's audio nor press keys in it.
    fn accepts(&mut self, from: SocketAddr) -> bool {
        match self.latched {
            Some(at) => at == from,
            None => {
                let signalled = self.session.remote.ip();
                let ok = from.ip() == signalled || !routable(signalled);
                if ok {
                    self.latched = Some(from);
                }
                ok
            }
        }
    }

    /// Whether this leg is expected to send audio now.
    fn should_send(&self) -> bool {
        !matches!(
            self.session.direction,
            crate::sdp::Direction::RecvOnly | crate::sdp::Direction::Inactive
        )
    }
}

/// What is played, and to which side.
#[derive(Debug)]
enum Source {
    Nothing,
    Prompt(Side, Arc<[i16]>, usize),
    Music(Side, Arc<[i16]>, usize),
}

impl Source {
    fn target(&self) -> Option<Side> {
        match self {
            Source::Nothing => None,
            Source::Prompt(s, ..) | Source::Music(s, ..) => Some(*s),
        }
    }

    /// The next frame, empty when a prompt is over.
    fn frame(&mut self) -> Vec<i16> {
        match self {
            Source::Prompt(_, p, at) => {
                let end = (*at + FRAME).min(p.len());
                let f = p[*at..end].to_vec();
                *at = end;
                f
            }
            Source::Music(_, m, at) if !m.is_empty() => {
                let f: Vec<i16> = (0..FRAME).map(|i| m[(*at + i) % m.len()]).collect();
                *at = (*at + FRAME) % m.len();
                f
            }
            _ => Vec::new(),
        }
    }
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

fn index(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

fn other(side: Side) -> Side {
    match side {
        Side::Left => Side::Right,
        Side::Right => Side::Left,
    }
}

/// Starts the media task of a call; its legs are attached as they answer.
pub fn start(
    recorder: Option<Recorder>,
    ssrc: u32,
    silence_limit: Duration,
) -> (
    mpsc::UnboundedSender<Command>,
    mpsc::UnboundedReceiver<Event>,
) {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = mpsc::unbounded_channel();
    let media = Media {
        legs: [None, None],
        aside: None,
        past: [StreamStats::default(), StreamStats::default()],
        strangers: 0,
        ssrc,
        source: Source::Nothing,
        held: false,
        recorder,
        recording: None,
        events: ev_tx,
        out: Vec::with_capacity(256),
        pcm: Vec::with_capacity(FRAME),
        silent_reported: false,
        silence_limit,
    };
    tokio::spawn(media.run(cmd_rx));
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

/// A leg whose socket cannot be taken off the reactor (not seen in practice) is left out,
/// as if it had not come, and a warning logged: that phone hears nothing.
fn live(leg: Leg, ssrc: u32) -> Option<Live> {
    Live::new(leg, ssrc)
        .map_err(|e| tracing::warn!("an RTP leg cannot be polled: {e}"))
        .ok()
}

/// The state of one call's media task.
struct Media {
    /// The customer's leg and the agent's, by [`index`].
    legs: [Option<Live>; 2],
    /// The expert the agent consults, while they do.
    aside: Option<Live>,
    /// Counts of legs that left (transfers).
    past: [StreamStats; 2],
    /// Packets dropped because they came from elsewhere than their leg's phone.
    strangers: u64,
    ssrc: u32,
    source: Source,
    held: bool,
    recorder: Option<Recorder>,
    recording: Option<Recording>,
    events: mpsc::UnboundedSender<Event>,
    out: Vec<u8>,
    pcm: Vec<i16>,
    silent_reported: bool,
    silence_limit: Duration,
}

impl Media {
    fn attach(&mut self, side: Side, leg: Leg) {
        self.detach(side);
        let ssrc = match side {
            Side::Left => self.ssrc,
            Side::Right => self.ssrc.wrapping_add(1),
        };
        self.legs[index(side)] = live(leg, ssrc);
        if self.legs.iter().all(Option::is_some) {
            self.source = Source::Nothing;
            self.held = false;
        }
    }

    fn detach(&mut self, side: Side) {
        if let Some(gone) = self.legs[index(side)].take() {
            self.keep_counts(side, &gone);
            self.held = false;
        }
    }

    /// A leg that leaves keeps its counts in the summary, under the side it served.
    fn keep_counts(&mut self, side: Side, gone: &Live) {
        let p = &mut self.past[index(side)];
        p.received += gone.stats.received;
        p.lost += gone.stats.lost;
        p.late += gone.stats.late;
    }

    fn end_consult(&mut self, completed: bool) {
        let Some(expert) = self.aside.take() else {
            return;
        };
        if completed {
            if let Some(agent) = self.legs[index(Side::Right)].take() {
                self.keep_counts(Side::Right, &agent);
            }
            self.legs[index(Side::Right)] = Some(expert);
        } else {
            self.keep_counts(Side::Right, &expert);
        }
        self.held = false;
        self.source = Source::Nothing;
    }

    /// Whether the two legs hear each other now.
    fn connected(&self) -> bool {
        self.legs.iter().all(Option::is_some) && !self.held
    }

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Stop => {}
            Command::Play(side, p) => self.source = Source::Prompt(side, p, 0),
            Command::StopPlaying => {
                if matches!(self.source, Source::Prompt(..)) {
                    self.source = Source::Nothing;
                }
            }
            Command::Music(side, m) => self.source = Source::Music(side, m, 0),
            Command::Attach(side, leg) => self.attach(side, leg),
            Command::Detach(side) => self.detach(side),
            Command::Consult(leg) => {
                self.aside = live(leg, self.ssrc.wrapping_add(2));
            }
            Command::EndConsult { completed } => self.end_consult(completed),
            Command::ConsultSession(s) => {
                if let Some(l) = self.aside.as_mut() {
                    l.session = s;
                    l.latched = None;
                }
            }
            Command::Hold(on, m) => {
                self.held = on;
                self.source = if on {
                    Source::Music(Side::Left, m, 0)
                } else {
                    Source::Nothing
                };
            }
            Command::Session(side, s) => {
                if let Some(l) = self.legs[index(side)].as_mut() {
                    l.session = s;
                    l.latched = None;
                }
            }
            Command::Record(id, path) => {
                if let Some(r) = self.recording.take() {
                    r.finish();
                }
                if let Some(r) = &self.recorder
                    && r.open(id, path)
                {
                    self.recording = Some(Recording {
                        id,
                        recorder: r.clone(),
                        stereo: Stereo::new(),
                        pending: Vec::new(),
                    });
                }
            }
            Command::StopRecording => {
                if let Some(r) = self.recording.take() {
                    r.finish();
                }
            }
        }
    }

    /// A packet from the leg on `side`: keys, the recording, the other leg.
    fn packet(&mut self, side: Side, pkt: &Packet<'_>, from: SocketAddr) {
        let connected = self.connected();
        let alone = self.legs[index(other(side))].is_none();
        let [left, right] = &mut self.legs;
        let (me, them) = match side {
            Side::Left => (left, right),
            Side::Right => (right, left),
        };
        let Some(me) = me.as_mut() else { return };
        if !me.accepts(from) {
            self.strangers += 1;
            STRANGERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        me.heard = Instant::now();
        me.stats.record(pkt.sequence);
        let codec = me.session.codec;
        if Some(pkt.payload_type) == me.session.dtmf {
            if let Some(key) = me.dtmf.packet(pkt.timestamp, pkt.payload)
                && side == Side::Left
                && alone
            {
                let _ = self.events.send(Event::Digit(key));
            }
        } else if pkt.payload_type == codec.payload_type() {
            if let Some(r) = self.recording.as_mut() {
                decode(codec, pkt.payload, &mut self.pcm);
                r.push(side, &self.pcm);
            }
        } else {
            return;
        }
        if side == Side::Right
            && let Some(expert) = self.aside.as_mut()
        {
            // Consulting: the agent is heard by the expert, not the held customer.
            forward(pkt, codec, expert, &mut self.out);
        } else if connected && let Some(them) = them.as_mut() {
            forward(pkt, codec, them, &mut self.out);
        }
    }

    /// A packet from the expert the agent consults: to the agent only, and not recorded
    /// (the recording is the customer's part of the call).
    fn aside_packet(&mut self, pkt: &Packet<'_>, from: SocketAddr) {
        let Some(me) = self.aside.as_mut() else {
            return;
        };
        if !me.accepts(from) {
            self.strangers += 1;
            STRANGERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        me.heard = Instant::now();
        me.stats.record(pkt.sequence);
        let codec = me.session.codec;
        if pkt.payload_type != codec.payload_type() && Some(pkt.payload_type) != me.session.dtmf {
            return;
        }
        if let Some(agent) = self.legs[index(Side::Right)].as_mut() {
            forward(pkt, codec, agent, &mut self.out);
        }
    }

    /// The next 20 ms of what is played, to the leg it is for.
    fn generate(&mut self) {
        let Some(target) = self.source.target() else {
            return;
        };
        let frame = self.source.frame();
        if frame.is_empty() {
            if matches!(self.source, Source::Prompt(..)) {
                let _ = self.events.send(Event::Played);
            }
            self.source = Source::Nothing;
            return;
        }
        if let Some(leg) = self.legs[index(target)].as_mut() {
            send_generated(leg, &frame, &mut self.out);
        }
        if let Some(r) = self.recording.as_mut()
            && self.aside.is_none()
        {
            // What the customer hears while held is not the agent: that side stays quiet
            // (unless the agent is talking to an expert: then their voice is recorded).
            r.push(other(target), &[0; FRAME][..frame.len()]);
        }
    }

    /// Handles the packets waiting on the leg on `side`, or with `None` the expert's, at most
    /// [`MAX_BATCH`] a poll.
    fn poll_leg(&mut self, side: Option<Side>, buf: &mut [u8]) {
        for _ in 0..MAX_BATCH {
            let leg = match side {
                Some(side) => self.legs[index(side)].as_ref(),
                None => self.aside.as_ref(),
            };
            // Empty (WouldBlock), or an error the next poll will meet again.
            let Some(Ok((n, from))) = leg.map(|l| l.socket.recv_from(buf)) else {
                return;
            };
            let Ok(pkt) = Packet::parse(&buf[..n]) else {
                continue;
            };
            match side {
                Some(side) => self.packet(side, &pkt, from),
                None => self.aside_packet(&pkt, from),
            }
        }
    }

    /// A leg that should be sending and has sent nothing for the silence limit.
    fn silent(&self) -> Option<Side> {
        // (The expert's phone is not watched: the agent ends a consultation that died.)
        let now = Instant::now();
        [Side::Left, Side::Right].into_iter().find(|&side| {
            self.legs[index(side)].as_ref().is_some_and(|l| {
                // The agent's phone on hold may stop sending (not while consulting).
                let held = self.held && side == Side::Right && self.aside.is_none();
                !held && l.should_send() && now - l.heard > self.silence_limit
            })
        })
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut watch = tokio::time::interval(Duration::from_secs(1));
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut buf = vec![0u8; 2048];
        loop {
            // Played audio goes out while its leg is alone or the other is held.
            let generating = self.source.target().is_some_and(|t| {
                self.legs[index(t)].is_some() && (self.held || self.legs[index(other(t))].is_none())
            });
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    None | Some(Command::Stop) => break,
                    Some(cmd) => self.command(cmd),
                },
                _ = poll.tick() => {
                    for side in [Some(Side::Left), Some(Side::Right), None] {
                        self.poll_leg(side, &mut buf);
                    }
                }
                _ = tick.tick(), if generating => self.generate(),
                _ = watch.tick() => {
                    if let Some(side) = self.silent() && !self.silent_reported {
                        self.silent_reported = true;
                        let _ = self.events.send(Event::Silent(side));
                    }
                }
            }
        }
        if let Some(r) = self.recording.take() {
            r.finish();
        }
        self.end_consult(false);
        self.detach(Side::Left);
        self.detach(Side::Right);
        let [c, a] = &self.past;
        let _ = self.events.send(Event::Ended(Summary {
            caller_received: c.received,
            caller_lost: c.lost,
            caller_late: c.late,
            agent_received: a.received,
            agent_lost: a.lost,
            agent_late: a.late,
            strangers: self.strangers,
        }));
    }
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
fn forward(pkt: &Packet<'_>, codec: Codec, to: &mut Live, out: &mut Vec<u8>) {
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
    send(to, out);
}

fn send_generated(to: &mut Live, samples: &[i16], out: &mut Vec<u8>) {
    let (sequence, timestamp, marker) = to.out.generated();
    let payload_type = to.session.codec.payload_type();
    head(out, to.out.ssrc, payload_type, sequence, timestamp, marker);
    encode(to.session.codec, samples, out);
    send(to, out);
}

/// Sends without waiting: a packet the socket has no room for is dropped, as the network
/// would drop it.
fn send(to: &Live, out: &[u8]) {
    let _ = to.socket.send_to(out, to.peer());
}

/// Whether a phone could send from `ip` as its SDP says: not a private, loopback,
/// link-local, shared (CGNAT) or unspecified address.
fn routable(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b)))
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}
