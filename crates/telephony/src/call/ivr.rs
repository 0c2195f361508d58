//! The IVR part of an inbound call: the flow's steps carried out on the call, and the wait
//! in a queue with its announcements.

use std::time::Duration;

use tokio::time::Instant;

use super::{Call, Phase};
use crate::rtp::{self, Side};
use crate::{Party, Queued, Report};

/// A queue that announces says its first a little after the caller starts waiting (an
/// agent may well be free by then).
pub(super) const FIRST_ANNOUNCEMENT: Duration = Duration::from_secs(5);
/// Positions and waits are said up to this many (callers, minutes); beyond, "more than".
const MOST_SAID: u64 = 10;

/// The calendars open as the call came in, for the flow's branches.
pub(super) struct Open(pub(super) Vec<String>);

impl ivr::Env for Open {
    fn calendar_open(&self, calendar: &str) -> bool {
        self.0.iter().any(|c| c == calendar)
    }
}

impl Call {
    /// Carries out what the IVR asks, and reports the nodes it entered.
    pub(super) async fn drive_ivr(&mut self) {
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
                    let p = self.t.prompts.prompt(&prompt).await;
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

    /// The agent hung up on a caller from a trunk: if the tenant has a survey flow, the
    /// caller is passed to it (the agent's part ended and recorded by the application, a
    /// new part begins) and the call goes on; otherwise nothing changes.
    pub(super) async fn pass_to_survey(&mut self) -> bool {
        let agent = self.connected.map(|c| c.0);
        let Some(agent) = agent else { return false };
        let caller_up = self.customer.as_ref().is_some_and(|c| c.answered);
        if self.outbound() || !caller_up || self.surveyed.is_some() {
            return false;
        }
        let Some(flow) = self
            .t
            .app
            .survey(self.tenant, &self.call_id, self.segment + 1)
            .await
        else {
            return false;
        };
        self.segment += 1;
        self.connected = None;
        self.recording = None;
        self.queue = None;
        self.announce = None;
        let _ = self.media.send(rtp::Command::StopRecording);
        let _ = self.media.send(rtp::Command::StopPlaying);
        self.surveyed = Some(agent);
        self.phase = Phase::Ivr;
        let mut caller = ::ivr::Caller::new(flow, Default::default());
        caller.handle_start(self.now_ms(), &self.open);
        self.ivr = Some(caller);
        self.ivr_reported = 0;
        self.drive_ivr().await;
        true
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

    /// The routing engine was rebuilt and lost this call: a caller waiting in line (not yet
    /// ringing an agent, on the first part of the call) is queued again, their music going
    /// on; their wait starts over.
    pub(super) async fn requeue(&mut self) {
        if self.phase != Phase::Queued || self.agent.is_some() || self.segment != 0 {
            return;
        }
        let Some(queue) = self.queue.clone() else {
            return;
        };
        let call = Queued {
            call_id: self.call_id.clone(),
            caller: self.caller.clone(),
            dialled: self.dialled.clone(),
            customer: self.customer_id,
            queue,
            priority: 0,
            ivr_ms: self.ivr_ms.unwrap_or(0),
            ivr_path: self
                .ivr
                .as_ref()
                .map(|i| i.trail().to_vec())
                .unwrap_or_default(),
        };
        if let Err(e) = self.t.app.queue(self.tenant, call).await {
            tracing::warn!(call_id = self.call_id, "not queued again: {e}");
        }
    }

    /// Tells a caller waiting in line how many are ahead and about how long the wait is,
    /// then the music goes on. Nothing is said while an agent's phone rings for the call.
    pub(super) async fn announce(&mut self) {
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
}
