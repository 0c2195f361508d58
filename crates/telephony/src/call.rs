//! One call, from its first INVITE to its last BYE: a task that owns the customer's dialog,
//! the agent's, the media task and, for a caller from a trunk, the IVR interpreter.
//! Everything that happens to the call arrives on one of its channels and is handled in
//! order here, so the call's state has one owner and no locks.
//!
//! A call has two sides, as its recording does: the customer (left) and the agent (right).
//! A caller from a trunk comes first, goes through the IVR and the queue, and an agent is
//! rung. A call placed for an agent (click-to-call, a callback) rings the agent first and
//! dials the customer once they answer. Either way the agent's side may change: a transfer
//! lets the agent go and rings the next one, each part recorded on its own.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{
    Dialog, DialogState, DialogStateReceiver, TerminatedReason, TransactionHandle,
};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Method, StatusCode, Transport, Uri};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transport::SipAddr;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::rtp::{self, Event, Leg, Side};
use crate::sdp::{self, Codec, Direction, Session};
use crate::{
    Action, ConsultState, Dial, Overflow, Party, Queued, Report, Telephony, Transfer, TransferTo,
};

/// What reaches a call from outside its own dialogs.
#[derive(Debug)]
pub(crate) enum Command {
    Act(Action),
    /// Pass the call on to a queue or an extension, asked by this agent (if any); the
    /// answer says whether it went.
    Transfer(String, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// Consult an extension (an expert) on the connected call, asked by this agent; the
    /// customer is held meanwhile.
    Consult(String, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// End the consultation, asked by this agent: completed (the expert takes the call)
    /// or not (back to the customer).
    EndConsult(bool, Option<i64>, oneshot::Sender<Result<(), String>>),
    /// Hold the customer (music) or take them off hold, asked by this agent.
    Hold(bool, Option<i64>, oneshot::Sender<Result<(), String>>),
    Hangup(String),
}

/// Longest voicemail message.
const VOICEMAIL_LIMIT: Duration = Duration::from_secs(120);
/// A queue that announces says its first a little after the caller starts waiting (an
/// agent may well be free by then).
const FIRST_ANNOUNCEMENT: Duration = Duration::from_secs(5);
/// Positions and waits are said up to this many (callers, minutes); beyond, "more than".
const MOST_SAID: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ivr,
    /// Waiting for an agent (queued, or an extension ringing).
    Queued,
    /// Placed for an agent: their phone rings.
    Calling,
    /// Placed for an agent: they answered and hear ringback while the customer's phone rings.
    Dialling,
    Bridged,
    /// Playing a last prompt, then hanging up.
    Goodbye,
    /// Playing the voicemail greeting, then recording until `until`.
    Voicemail,
}

/// A phone leg: the customer's (from a trunk or dialled through one) or an agent's.
struct PhoneLeg {
    /// The agent's user id; `None` for the customer.
    user: Option<i64>,
    dialog: InviteDialog,
    states: DialogStateReceiver,
    /// The RTP socket until the leg answers and the media task takes it.
    socket: Option<UdpSocket>,
    local: SocketAddr,
    /// Our SDP session id towards this phone (kept across re-INVITEs).
    sdp_id: u64,
    answered: bool,
}

struct Call {
    t: Arc<Telephony>,
    tenant: i64,
    call_id: String,
    /// The customer's number: who called, or who is called.
    caller: String,
    /// The number the caller dialled; for a call placed by an agent, the number shown.
    dialled: String,
    customer_id: Option<i64>,
    customer: Option<PhoneLeg>,
    agent: Option<PhoneLeg>,
    /// The agent's other phones ringing for the call (an extension registered from several
    /// devices rings on all; the first to answer takes it and the others are cancelled).
    forks: Vec<PhoneLeg>,
    /// The expert the agent consults (extension dialled), while they do: rung, then
    /// talking with the agent while the customer is held.
    consult: Option<(String, PhoneLeg)>,
    /// The customer's codec, offered first to agents' phones.
    codec: Codec,
    sdp_id: u64,
    sdp_version: u64,
    media: mpsc::UnboundedSender<rtp::Command>,
    media_events: mpsc::UnboundedReceiver<Event>,
    commands: mpsc::UnboundedReceiver<Command>,
    ivr: Option<ivr::Caller>,
    open: Open,
    started: Instant,
    arrived_at_ms: i64,
    /// IVR time, once the caller left the IVR.
    ivr_ms: Option<u64>,
    ivr_reported: usize,
    phase: Phase,
    queue: Option<String>,
    /// The queue's announcements, and when the next is due.
    announce: Option<(crate::Announce, Instant)>,
    /// Which part of the call this is: 0, then one more per transfer.
    segment: u32,
    /// The agent connected to the customer now (or last), and since when.
    connected: Option<(i64, i64)>,
    /// For a call placed for an agent (click-to-call, a callback): who.
    placed_for: Option<i64>,
    /// The recording of this part of the call.
    recording: Option<PathBuf>,
    voicemail: Option<(String, PathBuf, Instant)>,
    /// Why the call ends once its goodbye prompt has played.
    goodbye_reason: String,
    ended: Option<(Party, String)>,
}

struct Open(Vec<String>);

impl ivr::Env for Open {
    fn calendar_open(&self, calendar: &str) -> bool {
        self.0.iter().any(|c| c == calendar)
    }
}

fn remote(tx: &Transaction) -> Option<(SocketAddr, Transport)> {
    let c = tx.connection.as_ref()?;
    let addr = c.get_remote_addr()?.get_socketaddr().ok()?;
    Some((addr, c.transport()))
}

fn warning(text: &str) -> Header {
    Header::Other("Warning".into(), format!("399 hotline \"{text}\""))
}

fn sdp_headers() -> Option<Vec<Header>> {
    Some(vec![Header::ContentType("application/sdp".into())])
}

/// Turns a Call-ID into a file name.
fn file_name(call_id: &str) -> String {
    call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn media_ssrc(id: u64) -> u32 {
    u32::try_from(id.wrapping_mul(2_654_435_761) & 0xFFFF_FFFF).unwrap_or(1)
}

/// Takes an INVITE outside any dialog: a caller from a trunk.
pub(crate) async fn inbound(t: Arc<Telephony>, mut tx: Transaction) {
    if t.draining() {
        let _ = tx.reply(StatusCode::ServiceUnavailable).await;
        return;
    }
    let Some((source, transport)) = remote(&tx) else {
        let _ = tx.reply(StatusCode::BadRequest).await;
        return;
    };
    if !t.trunk_allows(source.ip()) {
        tracing::warn!(%source, "INVITE from an unknown peer refused");
        let _ = tx
            .reply_with(
                StatusCode::Forbidden,
                vec![warning("not a configured trunk")],
                None,
            )
            .await;
        return;
    }
    let req = tx.original.clone();
    let call_id = req
        .call_id_header()
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let dialled = req.uri.user().unwrap_or_default().to_string();
    let caller = req
        .from_header()
        .ok()
        .and_then(|f| f.uri().ok())
        .and_then(|u| u.user().map(String::from))
        .unwrap_or_default();
    let Some(route) = t.app.route(&dialled, &caller).await else {
        let _ = tx
            .reply_with(StatusCode::NotFound, vec![warning("no such number")], None)
            .await;
        return;
    };
    let offer = match sdp::parse(&req.body) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx
                .reply_with(
                    StatusCode::NotAcceptableHere,
                    vec![warning(&e.to_string())],
                    None,
                )
                .await;
            return;
        }
    };
    let socket = match t.ports.bind().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            let _ = tx.reply(StatusCode::ServiceUnavailable).await;
            return;
        }
    };
    let (state_tx, states) = t.dialogs.new_dialog_state_channel();
    let dialog =
        match t
            .dialogs
            .get_or_create_server_invite(&tx, state_tx, None, Some(t.contact(transport)))
        {
            Ok(d) => d,
            Err(e) => {
                let _ = tx
                    .reply_with(StatusCode::BadRequest, vec![warning(&e.to_string())], None)
                    .await;
                return;
            }
        };
    let mut handler = Dialog::Invite(dialog.clone());
    tokio::spawn(async move {
        let _ = handler.handle(&mut tx).await;
    });
    let port = socket.local_addr().map_or(0, |a| a.port());
    let local = SocketAddr::new(t.public.ip(), port);
    let sdp_id = t.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let answer = sdp::write(
        sdp_id,
        1,
        local,
        &[offer.codec],
        offer.dtmf,
        offer.direction.answer(),
    );
    if dialog
        .accept(sdp_headers(), Some(answer.into_bytes()))
        .is_err()
    {
        t.dialogs.remove_dialog(&dialog.id());
        return;
    }
    let Some(commands) = t.enlist(route.tenant, &call_id) else {
        let _ = dialog.bye().await;
        t.dialogs.remove_dialog(&dialog.id());
        return;
    };
    let mut call = Call {
        caller,
        dialled,
        customer_id: route.customer,
        customer: Some(PhoneLeg {
            user: None,
            dialog,
            states,
            socket: None,
            local,
            sdp_id,
            answered: true,
        }),
        codec: offer.codec,
        ivr: Some(ivr::Caller::new(route.flow, route.vars)),
        open: Open(route.open_calendars),
        ivr_ms: None,
        ..Call::new(
            t.clone(),
            route.tenant,
            call_id.clone(),
            sdp_id,
            commands,
            Phase::Ivr,
        )
    };
    let leg = Leg {
        socket,
        session: offer,
    };
    let _ = call.media.send(rtp::Command::Attach(Side::Left, leg));
    call.run().await;
    t.delist(&call_id);
}

/// A call placed for an agent: rings their phone, then dials the customer.
pub(crate) async fn outbound(
    t: Arc<Telephony>,
    dial: Dial,
    commands: mpsc::UnboundedReceiver<Command>,
) {
    let sdp_id = t.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (call_id, agent) = (dial.call_id.clone(), dial.agent);
    let mut call = Call {
        caller: dial.number,
        dialled: dial.from,
        customer_id: dial.customer,
        placed_for: Some(agent),
        ..Call::new(
            t.clone(),
            dial.tenant,
            dial.call_id,
            sdp_id,
            commands,
            Phase::Calling,
        )
    };
    if !call.ring(agent).await {
        call.end(Party::Agent, "the agent's phone cannot be rung");
    }
    call.run().await;
    t.delist(&call_id);
}

/// Cancels a ringing leg nobody waits for any more; if the phone answered as the CANCEL
/// went out, it is hung up.
async fn let_go(t: Arc<Telephony>, mut leg: PhoneLeg) {
    let _ = leg.dialog.cancel().await;
    let until = Instant::now() + Duration::from_secs(32);
    loop {
        tokio::select! {
            st = leg.states.recv() => match st {
                Some(DialogState::Confirmed(..)) => {
                    let _ = leg.dialog.bye().await;
                }
                Some(DialogState::Terminated(..)) | None => break,
                Some(_) => {}
            },
            () = tokio::time::sleep_until(until) => break,
        }
    }
    t.dialogs.remove_dialog(&leg.dialog.id());
}

async fn next_state(leg: Option<&mut PhoneLeg>) -> Option<DialogState> {
    match leg {
        Some(l) => l.states.recv().await,
        None => std::future::pending().await,
    }
}

/// The next dialog state of any of the forks, and which.
async fn next_fork_state(forks: &mut [PhoneLeg]) -> (usize, Option<DialogState>) {
    if forks.is_empty() {
        return std::future::pending().await;
    }
    std::future::poll_fn(|cx| {
        for (i, f) in forks.iter_mut().enumerate() {
            if let std::task::Poll::Ready(st) = f.states.poll_recv(cx) {
                return std::task::Poll::Ready((i, st));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Call {
    /// A call with its media task started and no legs yet; the callers fill in who.
    fn new(
        t: Arc<Telephony>,
        tenant: i64,
        call_id: String,
        sdp_id: u64,
        commands: mpsc::UnboundedReceiver<Command>,
        phase: Phase,
    ) -> Call {
        let (media, media_events) = rtp::start(
            Some(t.recorder.clone()),
            media_ssrc(sdp_id),
            t.config.rtp_timeout,
        );
        Call {
            t,
            tenant,
            call_id,
            caller: String::new(),
            dialled: String::new(),
            customer_id: None,
            customer: None,
            agent: None,
            forks: Vec::new(),
            consult: None,
            codec: Codec::Pcmu,
            sdp_id,
            sdp_version: 1,
            media,
            media_events,
            commands,
            ivr: None,
            open: Open(Vec::new()),
            started: Instant::now(),
            arrived_at_ms: crate::sip::now_ms(),
            ivr_ms: Some(0),
            ivr_reported: 0,
            phase,
            queue: None,
            announce: None,
            segment: 0,
            connected: None,
            placed_for: None,
            recording: None,
            voicemail: None,
            goodbye_reason: String::new(),
            ended: None,
        }
    }

    /// Whether the call was placed for an agent rather than taken from a trunk.
    fn outbound(&self) -> bool {
        self.placed_for.is_some()
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn report(&self, r: Report) {
        self.t.app.report(self.tenant, r).await;
    }

    fn leg(&mut self, side: Side) -> Option<&mut PhoneLeg> {
        match side {
            Side::Left => self.customer.as_mut(),
            Side::Right => self.agent.as_mut(),
        }
    }

    async fn run(&mut self) {
        if let Some(ivr) = self.ivr.as_mut() {
            let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(0);
            ivr.handle_start(now, &self.open);
            self.report(Report::Arrived {
                call_id: self.call_id.clone(),
                caller: self.caller.clone(),
                dialled: self.dialled.clone(),
            })
            .await;
            self.drive_ivr().await;
        }
        while self.ended.is_none() {
            let ivr_at = self
                .ivr
                .as_ref()
                .filter(|_| self.phase == Phase::Ivr)
                .and_then(ivr::Caller::poll_timeout)
                .map(|ms| self.started + Duration::from_millis(ms));
            let vm_at = self.voicemail.as_ref().map(|v| v.2);
            let announce_at = self
                .announce
                .filter(|_| self.phase == Phase::Queued)
                .map(|a| a.1);
            tokio::select! {
                st = next_state(self.customer.as_mut()) => match st {
                    Some(st) => self.leg_state(Side::Left, st).await,
                    None => self.leg_gone(Side::Left, 480, "the caller's dialog is gone").await,
                },
                st = next_state(self.agent.as_mut()) => match st {
                    Some(st) => self.leg_state(Side::Right, st).await,
                    None => self.leg_gone(Side::Right, 480, "the agent's dialog is gone").await,
                },
                (i, st) = next_fork_state(&mut self.forks) => self.fork_state(i, st).await,
                st = next_state(self.consult.as_mut().map(|c| &mut c.1)) => match st {
                    Some(st) => self.consult_state(st).await,
                    None => self.consult_gone(480).await,
                },
                ev = self.media_events.recv() => match ev {
                    Some(ev) => self.media_event(ev).await,
                    None => self.end(Party::System, "media stopped"),
                },
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Act(a)) => self.act(a).await,
                    Some(Command::Transfer(to, by, answer)) => {
                        let r = self.transfer(to, by, None).await;
                        let _ = answer.send(r);
                    }
                    Some(Command::Consult(to, by, answer)) => {
                        let r = self.consult(to, by).await;
                        let _ = answer.send(r);
                    }
                    Some(Command::EndConsult(completed, by, answer)) => {
                        let r = self.end_consult(completed, by).await;
                        let _ = answer.send(r);
                    }
                    Some(Command::Hold(on, by, answer)) => {
                        let r = self.hold_from_desktop(on, by).await;
                        let _ = answer.send(r);
                    }
                    Some(Command::Hangup(why)) => self.end(Party::System, &why),
                    None => self.end(Party::System, "telephony stopped"),
                },
                () = sleep_until(ivr_at) => {
                    let now = self.now_ms();
                    if let Some(ivr) = self.ivr.as_mut() {
                        ivr.handle_timeout(now, &self.open);
                    }
                    self.drive_ivr().await;
                }
                () = sleep_until(vm_at) => self.end(Party::System, "voicemail time limit"),
                () = sleep_until(announce_at) => self.announce().await,
            }
        }
        self.finish().await;
    }

    /// Carries out what the IVR asks, and reports the nodes it entered.
    async fn drive_ivr(&mut self) {
        let Some(ivr) = self.ivr.as_mut() else { return };
        let trail = ivr.trail();
        let fresh: Vec<String> = trail[self.ivr_reported.min(trail.len())..].to_vec();
        self.ivr_reported = trail.len();
        let mut steps = Vec::new();
        while let Some(step) = ivr.poll_step() {
            steps.push(step);
        }
        for node in fresh {
            self.report(Report::IvrNode {
                call_id: self.call_id.clone(),
                node,
            })
            .await;
        }
        for step in steps {
            match step {
                ivr::Step::Play { prompt } => {
                    let p = self.t.prompts.get(&prompt);
                    let _ = self.media.send(rtp::Command::Play(Side::Left, p));
                }
                ivr::Step::StopPlaying => {
                    let _ = self.media.send(rtp::Command::StopPlaying);
                }
                ivr::Step::Queue { queue, priority } => self.enqueue(queue, priority).await,
                ivr::Step::Callback { queue } => {
                    // The caller keeps their place and is called back: this call ends.
                    self.enqueue(queue, 0).await;
                    if self.phase == Phase::Queued {
                        match self.t.app.callback(self.tenant, &self.call_id).await {
                            Ok(()) => self.goodbye(Side::Left, "callback", "a callback was booked"),
                            Err(e) => tracing::warn!(call_id = self.call_id, "no callback: {e}"),
                        }
                    }
                }
                ivr::Step::Voicemail { mailbox } => self.voicemail(mailbox),
                ivr::Step::Transfer { number } => self.ivr_transfer(&number).await,
                ivr::Step::Hangup => self.end(Party::System, "the IVR flow hung up"),
            }
        }
    }

    async fn enqueue(&mut self, queue: String, priority: i32) {
        self.ivr_ms = Some(self.now_ms());
        let call = Queued {
            call_id: self.call_id.clone(),
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
            queue: queue.clone(),
            priority,
            ivr_ms: self.now_ms(),
            ivr_path: self
                .ivr
                .as_ref()
                .map(|i| i.trail().to_vec())
                .unwrap_or_default(),
        };
        match self.t.app.queue(self.tenant, call).await {
            Ok(announce) => {
                self.phase = Phase::Queued;
                self.queue = Some(queue);
                self.announce = announce.map(|a| (a, Instant::now() + FIRST_ANNOUNCEMENT));
                self.music();
            }
            Err(e) => {
                tracing::warn!(call_id = self.call_id, "cannot queue: {e}");
                self.goodbye(Side::Left, "busy", "the queue refused the call");
            }
        }
    }

    /// Tells a caller waiting in line how many are ahead and about how long the wait is,
    /// then the music goes on. Nothing is said while an agent's phone rings for the call.
    async fn announce(&mut self) {
        let Some((how, at)) = self.announce.as_mut() else {
            return;
        };
        *at = Instant::now() + how.every;
        let how = *how;
        if self.agent.is_some() {
            return;
        }
        let Some(place) = self.t.app.place(self.tenant, &self.call_id).await else {
            return;
        };
        let said = |prefix: &str, n: u64| match n {
            n if n > MOST_SAID => format!("{prefix}-more"),
            n => format!("{prefix}-{n}"),
        };
        let wait_s = place.wait.map(|w| w.as_secs());
        let mut clip: Vec<i16> = Vec::new();
        if how.position {
            clip.extend_from_slice(&self.t.prompts.get(&said("position", place.ahead.into())));
        }
        if how.wait
            && let Some(s) = wait_s
        {
            clip.extend_from_slice(&self.t.prompts.get(&said("wait", s.div_ceil(60).max(1))));
        }
        if clip.is_empty() {
            return;
        }
        let _ = self.media.send(rtp::Command::Play(Side::Left, clip.into()));
        self.report(Report::Announced {
            call_id: self.call_id.clone(),
            ahead: place.ahead,
            wait_s,
        })
        .await;
    }

    /// Music on hold to the customer.
    fn music(&self) {
        let _ = self
            .media
            .send(rtp::Command::Music(Side::Left, self.t.prompts.music()));
    }

    /// Plays a last prompt to one side; the call ends when it has played.
    fn goodbye(&mut self, side: Side, prompt: &str, reason: &str) {
        self.phase = Phase::Goodbye;
        self.goodbye_reason = reason.to_string();
        let _ = self
            .media
            .send(rtp::Command::Play(side, self.t.prompts.get(prompt)));
    }

    fn voicemail(&mut self, mailbox: String) {
        self.phase = Phase::Voicemail;
        let path = self
            .t
            .config
            .data_dir
            .join("voicemail")
            .join(self.tenant.to_string())
            .join(file_name(&mailbox))
            .join(format!("{}.wav", file_name(&self.call_id)));
        self.voicemail = Some((
            mailbox,
            path,
            Instant::now() + VOICEMAIL_LIMIT + Duration::from_secs(30),
        ));
        let _ = self.media.send(rtp::Command::Play(
            Side::Left,
            self.t.prompts.get("voicemail"),
        ));
    }

    /// A blind transfer from the IVR to an extension of the tenant: rung like an agent.
    async fn ivr_transfer(&mut self, number: &str) {
        let target = {
            let r = self.t.registrar();
            r.contacts(&(self.tenant, number.to_string()))
                .last()
                .map(|b| b.user)
        };
        self.ivr_ms = Some(self.now_ms());
        match target {
            Some(user) => {
                self.phase = Phase::Queued;
                self.music();
                if !self.ring(user).await {
                    self.goodbye(Side::Left, "unavailable", "the extension cannot be rung");
                }
            }
            None => self.goodbye(Side::Left, "unavailable", "the extension is not registered"),
        }
    }

    async fn act(&mut self, a: Action) {
        match a {
            Action::Offer { agent, .. } => {
                self.ring(agent).await;
            }
            Action::CancelOffer { agent, .. } => {
                if self
                    .agent
                    .as_ref()
                    .is_some_and(|l| l.user == Some(agent) && !l.answered)
                    && let Some(leg) = self.agent.take()
                {
                    // The next agent may be offered the call at once: this leg is let go
                    // in the background.
                    tokio::spawn(let_go(self.t.clone(), leg));
                    self.let_go_forks();
                }
            }
            Action::Overflow { to, .. } => {
                self.queue = None;
                match to {
                    Overflow::Voicemail => self.voicemail("default".into()),
                    Overflow::Callback => {
                        self.goodbye(Side::Left, "callback", "the queue overflowed to a callback")
                    }
                    Overflow::Disconnect => {
                        self.goodbye(Side::Left, "busy", "the queue overflowed: disconnected")
                    }
                }
            }
        }
    }

    /// Rings an agent's registered phone for the call; whether it rings. A phone that
    /// cannot be rung is reported declined, so the routing engine moves on.
    async fn ring(&mut self, user: i64) -> bool {
        let call_id = self.call_id.clone();
        let declined = move |status: u16| Report::Declined {
            call_id: call_id.clone(),
            agent: user,
            status,
        };
        if self.agent.is_some() || self.phase == Phase::Bridged {
            // One agent at a time per call.
            self.report(declined(486)).await;
            return false;
        }
        let phones = self.phones_of(user);
        let Some(ext) = phones.first().map(|p| p.0.clone()) else {
            self.report(declined(480)).await;
            return false;
        };
        let headers = vec![
            Header::Other("X-Hotline-Call-Id".into(), self.call_id.clone()),
            Header::Other(
                "X-Hotline-Queue".into(),
                self.queue.clone().unwrap_or_default(),
            ),
        ];
        let from = sip_user(&self.caller);
        let mut legs = Vec::new();
        for (_, (callee, destination, transport)) in phones {
            let leg = self
                .invite(
                    Some(user),
                    self.sdp_id + 1,
                    &from,
                    callee,
                    destination,
                    transport,
                    headers.clone(),
                )
                .await;
            match leg {
                Ok(leg) => legs.push(leg),
                Err(e) => tracing::warn!(call_id = self.call_id, "cannot ring a phone: {e}"),
            }
        }
        if legs.is_empty() {
            self.report(declined(500)).await;
            return false;
        }
        self.agent = Some(legs.remove(0));
        self.forks = legs;
        self.report(Report::Ringing {
            call_id: self.call_id.clone(),
            agent: user,
            extension: ext,
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
        })
        .await;
        true
    }

    /// A state of one of the agent's other ringing phones. The first to answer takes the
    /// call (the others are cancelled); one that refuses or fails just stops ringing.
    async fn fork_state(&mut self, i: usize, st: Option<DialogState>) {
        let Some(st) = st else {
            let gone = self.forks.swap_remove(i);
            self.t.dialogs.remove_dialog(&gone.dialog.id());
            return;
        };
        match st {
            DialogState::Confirmed(_, resp) => {
                let winner = self.forks.swap_remove(i);
                if let Some(first) = self.agent.replace(winner) {
                    self.let_go_later(first);
                }
                self.answered(Side::Right, &resp.body).await;
            }
            DialogState::Terminated(id, _) => {
                self.t.dialogs.remove_dialog(&id);
                self.forks.swap_remove(i);
            }
            _ => {}
        }
    }

    /// Lets the agent's other ringing phones go (one answered, or the offer ended).
    fn let_go_forks(&mut self) {
        for leg in std::mem::take(&mut self.forks) {
            tokio::spawn(let_go(self.t.clone(), leg));
        }
    }

    /// Where a user's phones are rung, the newest registration first: the extension, and
    /// the request URI, address and transport of each.
    fn phones_of(&self, user: i64) -> Vec<(String, (Uri, SipAddr, Transport))> {
        let registrar = self.t.registrar();
        registrar
            .of_user(self.tenant, user)
            .into_iter()
            .rev()
            .map(|binding| {
                let ext = binding
                    .contact
                    .strip_prefix("sip:")
                    .and_then(|c| c.split('@').next())
                    .unwrap_or("agent")
                    .to_string();
                let (callee, destination) = crate::sip::phone_target(binding, &ext);
                let transport = if binding.transport == "tcp" {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                (ext, (callee, destination, transport))
            })
            .collect()
    }

    /// Sends an INVITE for a new leg: an agent's (`user`) or the customer's, offered with
    /// our session `sdp_id`. The caller keeps the leg.
    #[allow(clippy::too_many_arguments)]
    async fn invite(
        &mut self,
        user: Option<i64>,
        sdp_id: u64,
        from: &str,
        callee: Uri,
        destination: SipAddr,
        transport: Transport,
        headers: Vec<Header>,
    ) -> Result<PhoneLeg, String> {
        let socket = self.t.ports.bind().await.map_err(|e| e.to_string())?;
        let local = SocketAddr::new(
            self.t.public.ip(),
            socket.local_addr().map_or(0, |a| a.port()),
        );
        let codecs = match self.codec {
            Codec::Pcmu => [Codec::Pcmu, Codec::Pcma],
            Codec::Pcma => [Codec::Pcma, Codec::Pcmu],
        };
        let offer = sdp::write(sdp_id, 1, local, &codecs, Some(101), Direction::SendRecv);
        let caller = format!("sip:{from}@{}", self.t.public);
        let opt = InviteOption {
            caller_display_name: user.map(|_| self.caller.clone()),
            caller: Uri::try_from(caller.as_str()).unwrap_or_default(),
            callee,
            destination: Some(destination),
            contact: self.t.contact(transport),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            headers: Some(headers),
            ..InviteOption::default()
        };
        let (state_tx, states) = self.t.dialogs.new_dialog_state_channel();
        let (dialog, _join) = self
            .t
            .dialogs
            .do_invite_async(opt, state_tx)
            .map_err(|e| e.to_string())?;
        Ok(PhoneLeg {
            user,
            dialog,
            states,
            socket: Some(socket),
            local,
            sdp_id,
            answered: false,
        })
    }

    /// The agent answered a call placed for them: the customer is dialled through the
    /// outbound trunk while the agent hears ringback.
    async fn dial_customer(&mut self) {
        let Some(trunk) = self.t.config.outbound else {
            self.goodbye(Side::Right, "unavailable", "no outbound trunk");
            return;
        };
        let number = sip_user(&self.caller);
        let callee = Uri::try_from(format!("sip:{number}@{trunk}").as_str()).unwrap_or_default();
        let from = sip_user(&self.dialled);
        let headers = vec![Header::Other(
            "X-Hotline-Call-Id".into(),
            self.call_id.clone(),
        )];
        match self
            .invite(
                None,
                self.sdp_id,
                &from,
                callee,
                SipAddr::from(trunk),
                Transport::Udp,
                headers,
            )
            .await
        {
            Ok(leg) => {
                self.customer = Some(leg);
                self.phase = Phase::Dialling;
                let _ = self
                    .media
                    .send(rtp::Command::Music(Side::Right, self.t.prompts.ringback()));
            }
            Err(e) => {
                tracing::warn!(call_id = self.call_id, "cannot dial the customer: {e}");
                self.goodbye(Side::Right, "unavailable", "the trunk refused the call");
            }
        }
    }

    async fn leg_state(&mut self, side: Side, st: DialogState) {
        match st {
            DialogState::Confirmed(_, resp) if self.leg(side).is_some_and(|l| !l.answered) => {
                self.answered(side, &resp.body).await;
            }
            DialogState::Updated(_, req, handle) if req.method == Method::Invite => {
                let Some((local, sdp_id)) = self.leg(side).map(|l| (l.local, l.sdp_id)) else {
                    return;
                };
                if let Some(s) = self.reinvite(&req.body, &handle, sdp_id, local).await {
                    let _ = self.media.send(rtp::Command::Session(side, s));
                    // While consulting the customer is held already, whatever the phone says.
                    if side == Side::Right && self.phase == Phase::Bridged && self.consult.is_none()
                    {
                        self.hold_customer(s.direction.is_hold()).await;
                    }
                }
            }
            DialogState::Info(_, req, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                // SIP INFO DTMF (application/dtmf-relay: `Signal=5`), for phones that use it.
                let body = String::from_utf8_lossy(&req.body);
                let key = body
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Signal="))
                    .and_then(|k| k.trim().chars().next());
                if side == Side::Left
                    && let Some(k) = key
                {
                    self.media_event(Event::Digit(k)).await;
                }
            }
            DialogState::Refer(_, req, handle) => {
                let target = req
                    .refer_to_header()
                    .and_then(|h| crate::headers::refer_target(h.value()));
                let refused = match target {
                    Some(_) if side == Side::Left => Some((
                        StatusCode::Forbidden,
                        "only the agent transfers".to_string(),
                    )),
                    None => Some((StatusCode::BadRequest, "no Refer-To user".to_string())),
                    Some(to) => {
                        let agent = self.agent.as_ref().and_then(|l| l.user);
                        self.transfer(to, agent, Some(&handle))
                            .await
                            .err()
                            .map(|e| (StatusCode::Forbidden, e))
                    }
                };
                if let Some((status, why)) = refused {
                    let _ = handle
                        .respond(status, Some(vec![warning(&why)]), None)
                        .await;
                }
            }
            DialogState::Updated(_, _, handle)
            | DialogState::Options(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::Decline).await;
            }
            DialogState::Terminated(id, reason) => {
                self.t.dialogs.remove_dialog(&id);
                let status = terminated_status(&reason);
                self.leg_gone(side, status, &reason_text(&reason)).await;
            }
            _ => {}
        }
    }

    /// Answers a re-INVITE (hold, unhold, a new address) with our SDP for the leg at
    /// `local`; returns what the phone now wants, or `None` after refusing it with 488.
    async fn reinvite(
        &mut self,
        body: &[u8],
        handle: &TransactionHandle,
        sdp_id: u64,
        local: SocketAddr,
    ) -> Option<Session> {
        match sdp::parse(body) {
            Ok(s) => {
                self.sdp_version += 1;
                let answer = sdp::write(
                    sdp_id,
                    self.sdp_version,
                    local,
                    &[s.codec],
                    s.dtmf,
                    s.direction.answer(),
                );
                let _ = handle
                    .respond(StatusCode::OK, sdp_headers(), Some(answer.into_bytes()))
                    .await;
                Some(s)
            }
            Err(e) => {
                let refusal = Some(vec![warning(&e.to_string())]);
                let _ = handle
                    .respond(StatusCode::NotAcceptableHere, refusal, None)
                    .await;
                None
            }
        }
    }

    /// A leg we rang answered with its SDP: its audio joins the call.
    async fn answered(&mut self, side: Side, body: &[u8]) {
        if side == Side::Right {
            self.let_go_forks();
        }
        let Some(leg) = self.leg(side) else { return };
        leg.answered = true;
        let session = sdp::parse(body);
        let (Ok(session), Some(socket)) = (session, leg.socket.take()) else {
            let d = leg.dialog.clone();
            tokio::spawn(async move {
                let _ = d.bye().await;
            });
            return;
        };
        let user = leg.user;
        let _ = self
            .media
            .send(rtp::Command::Attach(side, Leg { socket, session }));
        if let Some(agent) = user {
            self.report(Report::Answered {
                call_id: self.call_id.clone(),
                agent,
            })
            .await;
        }
        match side {
            Side::Right if self.outbound() && self.customer.is_none() => {
                self.codec = session.codec;
                self.dial_customer().await;
            }
            Side::Left => self.codec = session.codec,
            Side::Right => {}
        }
        if self.customer.as_ref().is_some_and(|l| l.answered)
            && self.agent.as_ref().is_some_and(|l| l.answered)
        {
            self.connect().await;
        }
    }

    /// The customer and an agent hear each other: this part of the call is recorded.
    async fn connect(&mut self) {
        let Some(agent) = self.agent.as_ref().and_then(|l| l.user) else {
            return;
        };
        self.phase = Phase::Bridged;
        self.connected = Some((agent, crate::sip::now_ms()));
        let id = self
            .t
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = match self.segment {
            0 => format!("{}.wav", file_name(&self.call_id)),
            n => format!("{}-{n}.wav", file_name(&self.call_id)),
        };
        let path = self
            .t
            .config
            .data_dir
            .join("recordings")
            .join(self.tenant.to_string())
            .join(name);
        self.t
            .recordings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, (self.tenant, self.call_id.clone()));
        let _ = self.media.send(rtp::Command::Record(id, path.clone()));
        self.recording = Some(path.clone());
        self.report(Report::Recording {
            call_id: self.call_id.clone(),
            path,
        })
        .await;
    }

    /// A leg ended. The customer's: the call is over (or, dialled and never answered, the
    /// agent is told). An agent's: before the answer it was refused;
    /// after it, the agent hung up.
    async fn leg_gone(&mut self, side: Side, status: u16, reason: &str) {
        let leg = match side {
            Side::Left => self.customer.take(),
            Side::Right => self.agent.take(),
        };
        let Some(leg) = leg else { return };
        self.t.dialogs.remove_dialog(&leg.dialog.id());
        let _ = self.media.send(rtp::Command::Detach(side));
        match (side, leg.answered) {
            (Side::Left, true) => self.end(Party::Caller, reason),
            (Side::Left, false) => {
                let why = format!("the customer did not answer ({status})");
                self.goodbye(Side::Right, "unavailable", &why);
            }
            // Hanging up while consulting hands the customer to the expert.
            (Side::Right, true) if self.consult.is_some() => {
                let _ = self.hand_over(None).await;
            }
            (Side::Right, true) => self.end(Party::Agent, "the agent hung up"),
            // Another of the agent's phones still rings.
            (Side::Right, false) if !self.forks.is_empty() => {
                self.agent = Some(self.forks.remove(0));
            }
            (Side::Right, false) => {
                if let Some(agent) = leg.user {
                    self.report(Report::Declined {
                        call_id: self.call_id.clone(),
                        agent,
                        status,
                    })
                    .await;
                }
                if self.outbound() && self.customer.is_none() {
                    self.end(
                        Party::Agent,
                        &format!("the agent's phone did not answer ({status})"),
                    );
                } else if self.phase == Phase::Queued && self.queue.is_none() {
                    // Rung straight to an extension (not the routing engine's): nobody
                    // else will be offered the call.
                    let why = format!("the extension did not answer ({status})");
                    self.goodbye(Side::Left, "unavailable", &why);
                }
            }
        }
    }

    /// Passes the connected call on: the application ends the agent's part and says where
    /// it goes; the agent's phone is let go and the customer hears music until the next
    /// agent answers. Asked by a REFER, the REFER is accepted (202) before the phone is
    /// told the outcome.
    async fn transfer(
        &mut self,
        to: String,
        by: Option<i64>,
        refer: Option<&TransactionHandle>,
    ) -> Result<(), String> {
        if self.phase != Phase::Bridged {
            return Err("only a connected call can be transferred".into());
        }
        if by.is_some() && by != self.connected.map(|c| c.0) {
            return Err("the call is not connected to you".into());
        }
        if self.consult.is_some() {
            return Err("end the consultation first (complete or cancel it)".into());
        }
        let request = Transfer {
            call_id: self.call_id.clone(),
            to,
            from_agent: by.or(self.connected.map(|c| c.0)),
            segment: self.segment + 1,
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
        };
        let target = self.t.app.transfer(self.tenant, request).await?;
        if let Some(h) = refer {
            let _ = h.respond(StatusCode::Accepted, None, None).await;
        }
        self.segment += 1;
        self.connected = None;
        self.recording = None;
        let _ = self.media.send(rtp::Command::StopRecording);
        let _ = self.media.send(rtp::Command::Detach(Side::Right));
        if let Some(leg) = self.agent.take() {
            // A phone that asked by REFER is told the transfer went through (RFC 3515);
            // either way it is let go.
            let t = self.t.clone();
            let referred = refer.is_some();
            tokio::spawn(async move {
                if referred {
                    // The 202 is only queued to the REFER's transaction: give it a head start,
                    // so that the NOTIFY does not overtake it (peers must cope, not all do).
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = leg
                        .dialog
                        .notify_refer(StatusCode::OK, "terminated;reason=noresource")
                        .await;
                }
                let _ = leg.dialog.bye().await;
                t.dialogs.remove_dialog(&leg.dialog.id());
            });
        }
        self.phase = Phase::Queued;
        self.music();
        match target {
            TransferTo::Queue(q, announce) => {
                // The new queue's announcements, timed from now (not the first queue's).
                self.queue = Some(q);
                self.announce = announce.map(|a| (a, Instant::now() + FIRST_ANNOUNCEMENT));
            }
            TransferTo::Agent(user) => {
                self.queue = None;
                self.announce = None;
                if !self.ring(user).await {
                    self.goodbye(Side::Left, "unavailable", "the extension cannot be rung");
                }
            }
        }
        Ok(())
    }

    /// Consults an extension (a second-line expert) on the connected call: the customer
    /// is held with music, the expert's phone rings, and once it answers the agent and the
    /// expert talk. The consultation is then completed ([`Call::hand_over`]) or ended.
    async fn consult(&mut self, to: String, by: Option<i64>) -> Result<(), String> {
        if self.phase != Phase::Bridged {
            return Err("only a connected call can be consulted on".into());
        }
        let agent = self.connected.map(|c| c.0);
        if by.is_some() && by != agent {
            return Err("the call is not connected to you".into());
        }
        if self.consult.is_some() {
            return Err("a consultation is already in progress".into());
        }
        let expert = self
            .t
            .app
            .consult(self.tenant, &self.call_id, &to, agent)
            .await?;
        let rung = match self.phones_of(expert).into_iter().next() {
            None => Err("the extension has no phone registered".to_string()),
            Some((_, (callee, destination, transport))) => {
                let headers = vec![
                    Header::Other("X-Hotline-Call-Id".into(), self.call_id.clone()),
                    Header::Other("X-Hotline-Consult".into(), "1".into()),
                ];
                let from = sip_user(&self.caller);
                self.invite(
                    Some(expert),
                    self.sdp_id + 2,
                    &from,
                    callee,
                    destination,
                    transport,
                    headers,
                )
                .await
            }
        };
        let leg = match rung {
            Ok(leg) => leg,
            Err(e) => {
                self.report(Report::Consult {
                    call_id: self.call_id.clone(),
                    agent,
                    expert,
                    to,
                    state: ConsultState::Failed(480),
                })
                .await;
                return Err(e);
            }
        };
        self.hold_customer(true).await;
        self.report_consult(&to, &leg, ConsultState::Ringing).await;
        self.consult = Some((to, leg));
        Ok(())
    }

    async fn report_consult(&self, to: &str, leg: &PhoneLeg, state: ConsultState) {
        self.report(Report::Consult {
            call_id: self.call_id.clone(),
            agent: self.connected.map(|c| c.0),
            expert: leg.user.unwrap_or_default(),
            to: to.to_string(),
            state,
        })
        .await;
    }

    /// Hold asked from the agent's desktop (the phone's own hold is a re-INVITE).
    async fn hold_from_desktop(&mut self, on: bool, by: Option<i64>) -> Result<(), String> {
        if self.phase != Phase::Bridged {
            return Err("only a connected call can be held".into());
        }
        if by.is_some() && by != self.connected.map(|c| c.0) {
            return Err("the call is not connected to you".into());
        }
        if self.consult.is_some() {
            return Err("the customer is held while you consult".into());
        }
        self.hold_customer(on).await;
        Ok(())
    }

    /// Holds the customer (music) or takes them off hold, and says so.
    async fn hold_customer(&mut self, on: bool) {
        let _ = self
            .media
            .send(rtp::Command::Hold(on, self.t.prompts.music()));
        self.report(Report::Hold {
            call_id: self.call_id.clone(),
            on,
        })
        .await;
    }

    /// Hangs up or cancels a leg in the background.
    fn let_go_later(&self, leg: PhoneLeg) {
        if leg.answered {
            let t = self.t.clone();
            tokio::spawn(async move {
                let _ = leg.dialog.bye().await;
                t.dialogs.remove_dialog(&leg.dialog.id());
            });
        } else {
            tokio::spawn(let_go(self.t.clone(), leg));
        }
    }

    async fn consult_state(&mut self, st: DialogState) {
        let Some((_, leg)) = self.consult.as_mut() else {
            return;
        };
        match st {
            DialogState::Confirmed(_, resp) if !leg.answered => {
                leg.answered = true;
                let socket = leg.socket.take();
                match (sdp::parse(&resp.body), socket) {
                    (Ok(session), Some(socket)) => {
                        let _ = self
                            .media
                            .send(rtp::Command::Consult(Leg { socket, session }));
                        if let Some((to, leg)) = self.consult.as_ref() {
                            self.report_consult(to, leg, ConsultState::Talking).await;
                        }
                    }
                    _ => {
                        // An answer we cannot use: the consultation ends.
                        let d = leg.dialog.clone();
                        tokio::spawn(async move {
                            let _ = d.bye().await;
                        });
                        self.consult_gone(488).await;
                    }
                }
            }
            DialogState::Updated(_, req, handle) if req.method == Method::Invite => {
                let (local, sdp_id) = (leg.local, leg.sdp_id);
                if let Some(s) = self.reinvite(&req.body, &handle, sdp_id, local).await {
                    let _ = self.media.send(rtp::Command::ConsultSession(s));
                }
            }
            DialogState::Updated(_, _, handle)
            | DialogState::Info(_, _, handle)
            | DialogState::Options(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::Forbidden).await;
            }
            DialogState::Terminated(id, reason) => {
                self.t.dialogs.remove_dialog(&id);
                self.consult_gone(terminated_status(&reason)).await;
            }
            _ => {}
        }
    }

    /// The expert's leg ended by itself (refused, not answered, hung up): the agent is
    /// back with the customer.
    async fn consult_gone(&mut self, status: u16) {
        let Some((to, leg)) = self.consult.take() else {
            return;
        };
        self.t.dialogs.remove_dialog(&leg.dialog.id());
        let state = if leg.answered {
            ConsultState::Cancelled
        } else {
            ConsultState::Failed(status)
        };
        self.back_to_customer(&to, &leg, state).await;
    }

    async fn back_to_customer(&mut self, to: &str, leg: &PhoneLeg, state: ConsultState) {
        let _ = self
            .media
            .send(rtp::Command::EndConsult { completed: false });
        self.hold_customer(false).await;
        self.report_consult(to, leg, state).await;
    }

    /// Ends the consultation: completed, the expert takes the customer; otherwise the
    /// expert is let go and the agent is back with the customer.
    async fn end_consult(&mut self, completed: bool, by: Option<i64>) -> Result<(), String> {
        if self.consult.is_none() {
            return Err("no consultation in progress".into());
        }
        if by.is_some() && by != self.connected.map(|c| c.0) {
            return Err("the call is not connected to you".into());
        }
        if completed {
            return self.hand_over(by).await;
        }
        let Some((to, leg)) = self.consult.take() else {
            return Ok(());
        };
        self.back_to_customer(&to, &leg, ConsultState::Cancelled)
            .await;
        self.let_go_later(leg);
        Ok(())
    }

    /// Completes a consultation (the agent asked, or hung up): the agent's part of the
    /// call ends and the expert's begins, recorded on its own. An expert still ringing
    /// takes the call when they answer, as after a blind transfer.
    async fn hand_over(&mut self, by: Option<i64>) -> Result<(), String> {
        let Some((to, _)) = self.consult.as_ref() else {
            return Err("no consultation in progress".into());
        };
        let asked = by.is_some();
        if asked && self.consult.as_ref().is_some_and(|c| !c.1.answered) {
            return Err("the expert has not answered yet".into());
        }
        let agent = self.connected.map(|c| c.0);
        let request = Transfer {
            call_id: self.call_id.clone(),
            to: to.clone(),
            from_agent: agent,
            segment: self.segment + 1,
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
        };
        if let Err(e) = self.t.app.transfer(self.tenant, request).await {
            if asked {
                return Err(e);
            }
            // The agent is gone and the expert cannot take the call: it ends.
            tracing::warn!(call_id = self.call_id, "consultation not completed: {e}");
            self.end(Party::Agent, "the agent hung up while consulting");
            return Ok(());
        }
        let Some((to, expert)) = self.consult.take() else {
            return Ok(());
        };
        self.report_consult(&to, &expert, ConsultState::Completed)
            .await;
        self.segment += 1;
        self.connected = None;
        self.recording = None;
        let _ = self.media.send(rtp::Command::StopRecording);
        if let Some(leg) = self.agent.take() {
            self.let_go_later(leg);
        }
        let answered = expert.answered;
        self.agent = Some(expert);
        if answered {
            let _ = self
                .media
                .send(rtp::Command::EndConsult { completed: true });
            self.connect().await;
        } else {
            // Still ringing: the customer hears music until the expert answers.
            let _ = self.media.send(rtp::Command::Detach(Side::Right));
            self.phase = Phase::Queued;
            self.queue = None;
            self.music();
        }
        Ok(())
    }

    async fn media_event(&mut self, ev: Event) {
        match ev {
            Event::Digit(k) if self.phase == Phase::Ivr => {
                let now = self.now_ms();
                if let Some(ivr) = self.ivr.as_mut() {
                    ivr.handle_digit(now, k, &self.open);
                }
                self.drive_ivr().await;
            }
            Event::Played => match self.phase {
                Phase::Ivr => {
                    let now = self.now_ms();
                    if let Some(ivr) = self.ivr.as_mut() {
                        ivr.handle_played(now, &self.open);
                    }
                    self.drive_ivr().await;
                }
                Phase::Goodbye => {
                    let why = std::mem::take(&mut self.goodbye_reason);
                    self.end(Party::System, &why);
                }
                // An announcement said: the music goes on.
                Phase::Queued => self.music(),
                Phase::Voicemail => {
                    if let Some((_, path, until)) = self.voicemail.as_mut() {
                        *until = Instant::now() + VOICEMAIL_LIMIT;
                        let id = self
                            .t
                            .next_id
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let _ = self.media.send(rtp::Command::Record(id, path.clone()));
                    }
                }
                _ => {}
            },
            Event::Silent(side) => {
                let why = format!("no RTP for {} s", self.t.config.rtp_timeout.as_secs());
                tracing::warn!(call_id = self.call_id, ?side, "{why}");
                self.end(Party::System, &why);
            }
            _ => {}
        }
    }

    fn end(&mut self, by: Party, reason: &str) {
        if self.ended.is_none() {
            self.ended = Some((by, reason.to_string()));
        }
    }

    /// Hangs up whatever is still up, stops the media and reports the end.
    async fn finish(&mut self) {
        let ringing = self
            .agent
            .as_ref()
            .filter(|l| !l.answered)
            .and_then(|l| l.user);
        if let Some((to, leg)) = self.consult.take() {
            self.report_consult(&to, &leg, ConsultState::Cancelled)
                .await;
            self.let_go_later(leg);
        }
        self.let_go_forks();
        for leg in [self.agent.take(), self.customer.take()]
            .into_iter()
            .flatten()
        {
            if leg.answered {
                let _ = leg.dialog.bye().await;
            } else {
                let _ = leg.dialog.cancel().await;
            }
            self.t.dialogs.remove_dialog(&leg.dialog.id());
        }
        let _ = self.media.send(rtp::Command::Stop);
        let mut summary = rtp::Summary::default();
        let wait = tokio::time::sleep(Duration::from_secs(2));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                ev = self.media_events.recv() => match ev {
                    Some(Event::Ended(s)) => { summary = s; break; }
                    Some(_) => {}
                    None => break,
                },
                () = &mut wait => break,
            }
        }
        if let Some((mailbox, path, _)) = self.voicemail.take()
            && path.exists()
        {
            self.report(Report::Voicemail {
                call_id: self.call_id.clone(),
                mailbox,
                path,
            })
            .await;
        }
        let (by, reason) = self.ended.clone().unwrap_or((Party::System, String::new()));
        let ivr_ms = self.ivr_ms.unwrap_or_else(|| self.now_ms());
        self.report(Report::Ended {
            call_id: self.call_id.clone(),
            by,
            reason,
            media: summary,
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
            arrived_at_ms: self.arrived_at_ms,
            ivr_ms,
            agent: self.connected.map(|c| c.0).or(self.placed_for),
            connected_at_ms: self.connected.map(|c| c.1),
            ringing,
            recording: self.recording.clone(),
            segment: self.segment,
            outbound: self.outbound(),
        })
        .await;
    }
}

/// The SIP status a dialog ended with (487 when it was cancelled or hung up).
fn terminated_status(reason: &TerminatedReason) -> u16 {
    match reason {
        TerminatedReason::UasOther(code) | TerminatedReason::ProxyError(code) => code.code(),
        TerminatedReason::UasBusy => 486,
        TerminatedReason::UasDecline => 603,
        TerminatedReason::Timeout => 408,
        _ => 487,
    }
}

fn reason_text(r: &TerminatedReason) -> String {
    match r {
        TerminatedReason::UacCancel => "the caller hung up before the answer".into(),
        TerminatedReason::UacBye | TerminatedReason::UasBye => "hung up".into(),
        TerminatedReason::Timeout => "no ACK".into(),
        other => format!("{other:?}"),
    }
}

/// A number as a SIP user part (digits, `+`, `*`, `#`; anything else dropped).
fn sip_user(number: &str) -> String {
    let u: String = number
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, '+' | '*' | '#'))
        .collect();
    if u.is_empty() { "anonymous".into() } else { u }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe() {
        assert_eq!(file_name("a1b2@10.0.0.1/../x"), "a1b2_10.0.0.1_.._x");
        assert_eq!(sip_user("+86 138-1234"), "+861381234");
        assert_eq!(sip_user("<script>"), "anonymous");
    }
}
