//! An agent's phones rung for a call: the routing engine's offers and cancels, every phone
//! the extension registered rung at once (forks), the first to answer taking the call.

use std::sync::Arc;
use std::time::Duration;

use rsipstack::dialog::dialog::DialogState;
use rsipstack::sip::{Header, Transport, Uri};
use rsipstack::transport::SipAddr;
use tokio::time::Instant;

use super::{Call, Phase, PhoneLeg, sip_user};
use crate::rtp::Side;
use crate::shared::{Shared, phone_target};
use crate::{Action, Overflow, Report};

/// Cancels a ringing leg nobody waits for any more; if the phone answered as the CANCEL
/// went out, it is hung up.
async fn let_go(t: Arc<Shared>, mut leg: PhoneLeg) {
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

/// The next dialog state of any of the forks, and which.
pub(super) async fn next_fork_state(forks: &mut [PhoneLeg]) -> (usize, Option<DialogState>) {
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

impl Call {
    pub(super) async fn act(&mut self, a: Action) {
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
    pub(super) async fn ring(&mut self, user: i64) -> bool {
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
    pub(super) async fn fork_state(&mut self, i: usize, st: Option<DialogState>) {
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
    pub(super) fn let_go_forks(&mut self) {
        for leg in std::mem::take(&mut self.forks) {
            tokio::spawn(let_go(self.t.clone(), leg));
        }
    }

    /// Where a user's phones are rung, the newest registration first: the extension, and
    /// the request URI, address and transport of each.
    pub(super) fn phones_of(&self, user: i64) -> Vec<(String, (Uri, SipAddr, Transport))> {
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
                let (callee, destination) = phone_target(binding, &ext);
                let transport = if binding.transport == "tcp" {
                    Transport::Tcp
                } else {
                    Transport::Udp
                };
                (ext, (callee, destination, transport))
            })
            .collect()
    }

    /// Hangs up or cancels a leg in the background.
    pub(super) fn let_go_later(&self, leg: PhoneLeg) {
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
}
