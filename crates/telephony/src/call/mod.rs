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
//!
//! The task and its loop are here; the parts of a call are in `ivr` (the IVR and the
//! wait in a queue), `ringing` (an agent's phones rung, forks, cancels), `legs` (the
//! dialogs: INVITEs out, their states, answers, the bridge), `transfer` (transfer,
//! consultation, hold) and `voicemail`.

mod ivr;
mod legs;
mod ringing;
mod transfer;
mod voicemail;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::{Dialog, DialogState, DialogStateReceiver, TerminatedReason};
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, StatusCode, Transport};
use rsipstack::transaction::transaction::Transaction;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use self::ivr::Open;
use crate::rtp::{self, Event, Leg, Side};
use crate::sdp::{self, Codec};
use crate::shared::{Command, Shared};
use crate::{ConsultState, Dial, Party, Report};
use ringing::next_fork_state;

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
    t: Arc<Shared>,
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
    ivr: Option<::ivr::Caller>,
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
    /// In the satisfaction survey after this agent hung up.
    surveyed: Option<i64>,
    ended: Option<(Party, String)>,
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
pub(crate) async fn inbound(t: Arc<Shared>, mut tx: Transaction) {
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
        ivr: Some(::ivr::Caller::new(route.flow, route.vars)),
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
    t: Arc<Shared>,
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

async fn next_state(leg: Option<&mut PhoneLeg>) -> Option<DialogState> {
    match leg {
        Some(l) => l.states.recv().await,
        None => std::future::pending().await,
    }
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
        t: Arc<Shared>,
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
        let arrived_at_ms = t.clock.now_ms();
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
            arrived_at_ms,
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
            surveyed: None,
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
                .and_then(::ivr::Caller::poll_timeout)
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
                    Some(Command::Requeue) => self.requeue().await,
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
                Phase::Voicemail => self.record_voicemail(),
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
            survey: self.surveyed.map(|agent| crate::Survey {
                agent,
                score: self
                    .ivr
                    .as_ref()
                    .and_then(|i| i.vars().get("score").cloned())
                    .filter(|s| !s.is_empty()),
            }),
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
