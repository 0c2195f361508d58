//! Passing a connected call on: a blind transfer (REFER or the API), a consultation with an
//! expert while the customer is held (completed, it is an attended transfer), and hold.

use std::time::Duration;

use rsipstack::dialog::dialog::{DialogState, TransactionHandle};
use rsipstack::sip::{Header, Method, StatusCode};
use tokio::time::Instant;

use super::ivr::FIRST_ANNOUNCEMENT;
use super::{Call, Phase, PhoneLeg, sip_user, terminated_status};
use crate::rtp::{self, Leg, Side};
use crate::sdp;
use crate::{ConsultState, Party, Report, Transfer, TransferTo};

impl Call {
    /// Passes the connected call on: the application ends the agent's part and says where
    /// it goes; the agent's phone is let go and the customer hears music until the next
    /// agent answers. Asked by a REFER, the REFER is accepted (202) before the phone is
    /// told the outcome.
    pub(super) async fn transfer(
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
    pub(super) async fn consult(&mut self, to: String, by: Option<i64>) -> Result<(), String> {
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

    pub(super) async fn report_consult(&self, to: &str, leg: &PhoneLeg, state: ConsultState) {
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
    pub(super) async fn hold_from_desktop(
        &mut self,
        on: bool,
        by: Option<i64>,
    ) -> Result<(), String> {
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
    pub(super) async fn hold_customer(&mut self, on: bool) {
        let _ = self
            .media
            .send(rtp::Command::Hold(on, self.t.prompts.music()));
        self.report(Report::Hold {
            call_id: self.call_id.clone(),
            on,
        })
        .await;
    }

    pub(super) async fn consult_state(&mut self, st: DialogState) {
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
    pub(super) async fn consult_gone(&mut self, status: u16) {
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
    pub(super) async fn end_consult(
        &mut self,
        completed: bool,
        by: Option<i64>,
    ) -> Result<(), String> {
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
    pub(super) async fn hand_over(&mut self, by: Option<i64>) -> Result<(), String> {
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
}
