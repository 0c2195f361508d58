//! The call's dialogs: INVITEs out to a phone or the trunk, what each leg's dialog says
//! (answers, re-INVITEs, INFO, REFER, its end), and the bridge once both sides answered.

use std::net::SocketAddr;

use rsipstack::dialog::dialog::{DialogState, TransactionHandle};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Method, StatusCode, Transport, Uri};
use rsipstack::transport::SipAddr;

use super::{
    Call, Phase, PhoneLeg, file_name, reason_text, sdp_headers, sip_user, terminated_status,
    warning,
};
use crate::rtp::{self, Event, Leg, Side};
use crate::sdp::{self, Codec, Direction, Session};
use crate::{Party, Report};

impl Call {
    /// Sends an INVITE for a new leg: an agent's (`user`) or the customer's, offered with
    /// our session `sdp_id`. The caller keeps the leg.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn invite(
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

    pub(super) async fn leg_state(&mut self, side: Side, st: DialogState) {
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
    pub(super) async fn reinvite(
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
    pub(super) async fn answered(&mut self, side: Side, body: &[u8]) {
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
    pub(super) async fn connect(&mut self) {
        let Some(agent) = self.agent.as_ref().and_then(|l| l.user) else {
            return;
        };
        self.phase = Phase::Bridged;
        self.connected = Some((agent, self.t.clock.now_ms()));
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
    pub(super) async fn leg_gone(&mut self, side: Side, status: u16, reason: &str) {
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
            (Side::Right, true) => {
                if !self.pass_to_survey().await {
                    self.end(Party::Agent, "the agent hung up");
                }
            }
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
}
