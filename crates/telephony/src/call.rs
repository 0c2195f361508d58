//! One inbound call, from INVITE to BYE: a task that owns the caller's dialog, the media
//! task, the IVR interpreter and, while an agent is rung or talking, the agent's dialog.
//! Everything that happens to the call arrives on one of its channels and is handled in
//! order here, so the call's state has one owner and no locks.

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
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::rtp::{self, Event, Leg};
use crate::sdp::{self, Codec, Direction, Session};
use crate::{Action, Overflow, Party, Queued, Report, Telephony};

/// What reaches a call from outside its own dialogs.
#[derive(Debug)]
pub(crate) enum Command {
    Act(Action),
    Hangup(String),
}

/// Longest voicemail message.
const VOICEMAIL_LIMIT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Ivr,
    Queued,
    Bridged,
    /// Playing a last prompt, then hanging up.
    Goodbye,
    /// Playing the voicemail greeting, then recording until `until`.
    Voicemail,
}

struct AgentLeg {
    user: i64,
    dialog: InviteDialog,
    states: DialogStateReceiver,
    socket: Option<UdpSocket>,
    local: SocketAddr,
    answered: bool,
    cancelled: bool,
}

struct Call {
    t: Arc<Telephony>,
    tenant: i64,
    call_id: String,
    caller: String,
    dialled: String,
    customer: Option<i64>,
    dialog: InviteDialog,
    states: DialogStateReceiver,
    caller_local: SocketAddr,
    caller_session: Session,
    sdp_id: u64,
    sdp_version: u64,
    media: mpsc::UnboundedSender<rtp::Command>,
    media_events: mpsc::UnboundedReceiver<Event>,
    commands: mpsc::UnboundedReceiver<Command>,
    ivr: ivr::Caller,
    open: Open,
    started: Instant,
    arrived_at_ms: i64,
    /// IVR time, once the caller left the IVR.
    ivr_ms: Option<u64>,
    ivr_reported: usize,
    phase: Phase,
    queue: Option<String>,
    agent: Option<AgentLeg>,
    caller_gone: bool,
    voicemail: Option<(String, PathBuf, Instant)>,
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
    let caller_local = SocketAddr::new(t.public.ip(), port);
    let sdp_id = t.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let answer = sdp::write(
        sdp_id,
        1,
        caller_local,
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
    let ssrc = u32::try_from(sdp_id.wrapping_mul(2_654_435_761) & 0xFFFF_FFFF).unwrap_or(1);
    let (media, media_events) = rtp::start(
        Leg {
            socket,
            session: offer,
        },
        Some(t.recorder.clone()),
        ssrc,
    );
    let (cmd_tx, commands) = mpsc::unbounded_channel();
    t.calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(call_id.clone(), cmd_tx);
    let mut call = Call {
        tenant: route.tenant,
        call_id: call_id.clone(),
        caller,
        dialled,
        customer: route.customer,
        dialog,
        states,
        caller_local,
        caller_session: offer,
        sdp_id,
        sdp_version: 1,
        media,
        media_events,
        commands,
        ivr: ivr::Caller::new(route.flow, route.vars),
        open: Open(route.open_calendars),
        started: Instant::now(),
        arrived_at_ms: crate::sip::now_ms(),
        ivr_ms: None,
        ivr_reported: 0,
        phase: Phase::Ivr,
        queue: None,
        agent: None,
        caller_gone: false,
        voicemail: None,
        ended: None,
        t: t.clone(),
    };
    call.run().await;
    t.calls
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&call_id);
}

async fn next_state(leg: Option<&mut AgentLeg>) -> Option<DialogState> {
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
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    async fn report(&self, r: Report) {
        self.t.app.report(self.tenant, r).await;
    }

    async fn run(&mut self) {
        self.report(Report::Arrived {
            call_id: self.call_id.clone(),
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
        })
        .await;
        let now = self.now_ms();
        self.ivr.handle_start(now, &self.open);
        self.drive_ivr().await;
        while self.ended.is_none() {
            let ivr_at = (self.phase == Phase::Ivr)
                .then(|| self.ivr.poll_timeout())
                .flatten()
                .map(|ms| self.started + Duration::from_millis(ms));
            let vm_at = self.voicemail.as_ref().map(|v| v.2);
            tokio::select! {
                st = self.states.recv() => match st {
                    Some(st) => self.caller_state(st).await,
                    None => self.end(Party::Caller, "caller dialog gone"),
                },
                st = next_state(self.agent.as_mut()) => match st {
                    Some(st) => self.agent_state(st).await,
                    None => self.agent_gone(480).await,
                },
                ev = self.media_events.recv() => match ev {
                    Some(ev) => self.media_event(ev).await,
                    None => self.end(Party::System, "media stopped"),
                },
                cmd = self.commands.recv() => match cmd {
                    Some(Command::Act(a)) => self.act(a).await,
                    Some(Command::Hangup(why)) => self.end(Party::System, &why),
                    None => self.end(Party::System, "telephony stopped"),
                },
                () = sleep_until(ivr_at) => {
                    let now = self.now_ms();
                    self.ivr.handle_timeout(now, &self.open);
                    self.drive_ivr().await;
                }
                () = sleep_until(vm_at) => self.end(Party::System, "voicemail time limit"),
            }
        }
        self.finish().await;
    }

    /// Carries out what the IVR asks, and reports the nodes it entered.
    async fn drive_ivr(&mut self) {
        let trail = self.ivr.trail();
        let fresh: Vec<String> = trail[self.ivr_reported.min(trail.len())..].to_vec();
        self.ivr_reported = trail.len();
        for node in fresh {
            self.report(Report::IvrNode {
                call_id: self.call_id.clone(),
                node,
            })
            .await;
        }
        while let Some(step) = self.ivr.poll_step() {
            match step {
                ivr::Step::Play { prompt } => {
                    let _ = self
                        .media
                        .send(rtp::Command::Play(self.t.prompts.get(&prompt)));
                }
                ivr::Step::StopPlaying => {
                    let _ = self.media.send(rtp::Command::StopPlaying);
                }
                ivr::Step::Queue { queue, priority } => self.enqueue(queue, priority).await,
                // A callback in queue needs outbound calls through a trunk; until they
                // exist the caller waits in the queue like any other.
                ivr::Step::Callback { queue } => self.enqueue(queue, 0).await,
                ivr::Step::Voicemail { mailbox } => self.voicemail(mailbox),
                ivr::Step::Transfer { number } => self.transfer(&number).await,
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
            customer: self.customer,
            queue: queue.clone(),
            priority,
            ivr_ms: self.now_ms(),
            ivr_path: self.ivr.trail().to_vec(),
        };
        match self.t.app.queue(self.tenant, call).await {
            Ok(()) => {
                self.phase = Phase::Queued;
                self.queue = Some(queue);
                let _ = self.media.send(rtp::Command::Music(self.t.prompts.music()));
            }
            Err(e) => {
                tracing::warn!(call_id = self.call_id, "cannot queue: {e}");
                self.goodbye("busy");
            }
        }
    }

    /// Plays a last prompt; the call ends when it has played.
    fn goodbye(&mut self, prompt: &str) {
        self.phase = Phase::Goodbye;
        let _ = self
            .media
            .send(rtp::Command::Play(self.t.prompts.get(prompt)));
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
        let _ = self
            .media
            .send(rtp::Command::Play(self.t.prompts.get("voicemail")));
    }

    /// A blind transfer from the IVR to an extension of the tenant: rung like an agent.
    async fn transfer(&mut self, number: &str) {
        let target = {
            let r = self.t.registrar();
            r.contacts(&(self.tenant, number.to_string()))
                .last()
                .map(|b| b.user)
        };
        match target {
            Some(user) => {
                self.phase = Phase::Queued;
                let _ = self.media.send(rtp::Command::Music(self.t.prompts.music()));
                self.ring(user).await;
            }
            None => self.goodbye("unavailable"),
        }
    }

    async fn act(&mut self, a: Action) {
        match a {
            Action::Offer { agent, .. } => self.ring(agent).await,
            Action::CancelOffer { agent, .. } => {
                if let Some(leg) = self.agent.as_mut()
                    && leg.user == agent
                    && !leg.answered
                {
                    leg.cancelled = true;
                    let d = leg.dialog.clone();
                    tokio::spawn(async move {
                        let _ = d.cancel().await;
                    });
                }
            }
            Action::Overflow { to, .. } => {
                self.queue = None;
                match to {
                    Overflow::Voicemail => self.voicemail("default".into()),
                    Overflow::Callback => self.goodbye("callback"),
                    Overflow::Disconnect => self.goodbye("busy"),
                }
            }
        }
    }

    /// Rings the agent's registered phone (the one registered last).
    async fn ring(&mut self, user: i64) {
        let declined = |status: u16| Report::Declined {
            call_id: self.call_id.clone(),
            agent: user,
            status,
        };
        if self.agent.is_some() || self.phase == Phase::Bridged {
            // One agent at a time per call.
            self.report(declined(486)).await;
            return;
        }
        let binding = self
            .t
            .registrar()
            .of_user(self.tenant, user)
            .last()
            .cloned()
            .cloned();
        let Some(binding) = binding else {
            self.report(declined(480)).await;
            return;
        };
        let ext = binding
            .contact
            .strip_prefix("sip:")
            .and_then(|c| c.split('@').next())
            .unwrap_or("agent")
            .to_string();
        let socket = match self.t.ports.bind().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}");
                self.report(declined(503)).await;
                return;
            }
        };
        let local = SocketAddr::new(
            self.t.public.ip(),
            socket.local_addr().map_or(0, |a| a.port()),
        );
        let codecs = match self.caller_session.codec {
            Codec::Pcmu => [Codec::Pcmu, Codec::Pcma],
            Codec::Pcma => [Codec::Pcma, Codec::Pcmu],
        };
        let offer = sdp::write(
            self.sdp_id + 1,
            1,
            local,
            &codecs,
            Some(101),
            Direction::SendRecv,
        );
        let (callee, destination) = crate::sip::phone_target(&binding, &ext);
        let transport = if binding.transport == "tcp" {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let from = format!("sip:{}@{}", sip_user(&self.caller), self.t.public);
        let opt = InviteOption {
            caller_display_name: Some(self.caller.clone()),
            caller: Uri::try_from(from.as_str()).unwrap_or_default(),
            callee,
            destination: Some(destination),
            contact: self.t.contact(transport),
            content_type: Some("application/sdp".into()),
            offer: Some(offer.into_bytes()),
            headers: Some(vec![
                Header::Other("X-Hotline-Call-Id".into(), self.call_id.clone()),
                Header::Other(
                    "X-Hotline-Queue".into(),
                    self.queue.clone().unwrap_or_default(),
                ),
            ]),
            ..InviteOption::default()
        };
        let (state_tx, states) = self.t.dialogs.new_dialog_state_channel();
        match self.t.dialogs.do_invite_async(opt, state_tx) {
            Ok((dialog, _join)) => {
                self.agent = Some(AgentLeg {
                    user,
                    dialog,
                    states,
                    socket: Some(socket),
                    local,
                    answered: false,
                    cancelled: false,
                });
                self.report(Report::Ringing {
                    call_id: self.call_id.clone(),
                    agent: user,
                    extension: ext,
                })
                .await;
            }
            Err(e) => {
                tracing::warn!(call_id = self.call_id, "cannot ring the agent: {e}");
                self.report(declined(500)).await;
            }
        }
    }

    async fn caller_state(&mut self, st: DialogState) {
        match st {
            DialogState::Terminated(id, reason) => {
                self.t.dialogs.remove_dialog(&id);
                self.caller_gone = true;
                self.end(Party::Caller, &reason_text(&reason));
            }
            DialogState::Updated(_, req, handle) if req.method == Method::Invite => {
                let local = self.caller_local;
                if let Some(s) = self.reinvite(&req.body, &handle, self.sdp_id, local).await {
                    self.caller_session = s;
                    let _ = self.media.send(rtp::Command::Caller(s));
                }
            }
            DialogState::Updated(_, _, handle)
            | DialogState::Options(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Info(_, req, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
                // SIP INFO DTMF (application/dtmf-relay: `Signal=5`), for phones that use it.
                let body = String::from_utf8_lossy(&req.body);
                let key = body
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("Signal="))
                    .and_then(|k| k.trim().chars().next());
                if let Some(k) = key {
                    self.media_event(Event::Digit(k)).await;
                }
            }
            DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::Decline).await;
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

    async fn agent_state(&mut self, st: DialogState) {
        let Some(leg) = self.agent.as_mut() else {
            return;
        };
        match st {
            DialogState::Confirmed(_, resp) if !leg.answered => {
                leg.answered = true;
                let session = sdp::parse(&resp.body);
                let (Ok(session), Some(socket)) = (session, leg.socket.take()) else {
                    let d = leg.dialog.clone();
                    let _ = d.bye().await;
                    return;
                };
                let user = leg.user;
                self.phase = Phase::Bridged;
                let _ = self
                    .media
                    .send(rtp::Command::Bridge(Leg { socket, session }));
                let id = self
                    .t
                    .next_id
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let path = self
                    .t
                    .config
                    .data_dir
                    .join("recordings")
                    .join(self.tenant.to_string())
                    .join(format!("{}.wav", file_name(&self.call_id)));
                self.t
                    .recordings
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(id, (self.tenant, self.call_id.clone()));
                let _ = self.media.send(rtp::Command::Record(id, path.clone()));
                self.report(Report::Answered {
                    call_id: self.call_id.clone(),
                    agent: user,
                })
                .await;
                self.report(Report::Recording {
                    call_id: self.call_id.clone(),
                    path,
                })
                .await;
            }
            DialogState::Updated(_, req, handle) if req.method == Method::Invite => {
                let local = leg.local;
                if let Some(s) = self
                    .reinvite(&req.body, &handle, self.sdp_id + 1, local)
                    .await
                {
                    let _ = self.media.send(rtp::Command::Agent(s));
                    let on = s.direction.is_hold();
                    let _ = self
                        .media
                        .send(rtp::Command::Hold(on, self.t.prompts.music()));
                    self.report(Report::Hold {
                        call_id: self.call_id.clone(),
                        on,
                    })
                    .await;
                }
            }
            DialogState::Updated(_, _, handle)
            | DialogState::Options(_, _, handle)
            | DialogState::Info(_, _, handle)
            | DialogState::Notify(_, _, handle)
            | DialogState::Message(_, _, handle) => {
                let _ = handle.reply(StatusCode::OK).await;
            }
            DialogState::Refer(_, _, handle) | DialogState::Publish(_, _, handle) => {
                let _ = handle.reply(StatusCode::Decline).await;
            }
            DialogState::Terminated(id, reason) => {
                self.t.dialogs.remove_dialog(&id);
                let status = match reason {
                    TerminatedReason::UasOther(code) | TerminatedReason::ProxyError(code) => {
                        code.code()
                    }
                    TerminatedReason::UasBusy => 486,
                    TerminatedReason::UasDecline => 603,
                    TerminatedReason::Timeout => 408,
                    _ => 487,
                };
                self.agent_gone(status).await;
            }
            _ => {}
        }
    }

    /// The agent's leg ended: before answer it was refused (or cancelled by us), after it
    /// the agent hung up.
    async fn agent_gone(&mut self, status: u16) {
        let Some(leg) = self.agent.take() else {
            return;
        };
        self.t.dialogs.remove_dialog(&leg.dialog.id());
        if leg.answered {
            self.end(Party::Agent, "the agent hung up");
        } else if !leg.cancelled {
            self.report(Report::Declined {
                call_id: self.call_id.clone(),
                agent: leg.user,
                status,
            })
            .await;
        }
    }

    async fn media_event(&mut self, ev: Event) {
        match ev {
            Event::Digit(k) if self.phase == Phase::Ivr => {
                let now = self.now_ms();
                self.ivr.handle_digit(now, k, &self.open);
                self.drive_ivr().await;
            }
            Event::Played => match self.phase {
                Phase::Ivr => {
                    let now = self.now_ms();
                    self.ivr.handle_played(now, &self.open);
                    self.drive_ivr().await;
                }
                Phase::Goodbye => self.end(Party::System, "the call was turned away"),
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
                tracing::warn!(call_id = self.call_id, ?side, "no RTP for 30 s");
                self.end(Party::System, "no RTP for 30 s");
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
        if let Some(leg) = self.agent.take() {
            if leg.answered {
                let _ = leg.dialog.bye().await;
            } else {
                let _ = leg.dialog.cancel().await;
            }
            self.t.dialogs.remove_dialog(&leg.dialog.id());
        }
        if !self.caller_gone {
            let _ = self.dialog.bye().await;
        }
        self.t.dialogs.remove_dialog(&self.dialog.id());
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
            customer: self.customer,
            arrived_at_ms: self.arrived_at_ms,
            ivr_ms,
        })
        .await;
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

/// A caller number as a SIP user part (digits, `+`, `*`, `#`; anything else dropped).
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
