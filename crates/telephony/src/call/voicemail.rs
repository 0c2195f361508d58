//! Voicemail: the greeting, then the caller's message recorded, up to a limit.

use std::time::Duration;

use tokio::time::Instant;

use super::{Call, Phase, file_name};
use crate::rtp::{self, Side};

/// Longest voicemail message.
const VOICEMAIL_LIMIT: Duration = Duration::from_secs(120);

impl Call {
    pub(super) fn voicemail(&mut self, mailbox: String) {
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

    /// The greeting has played: the message is recorded from now, for up to the limit.
    pub(super) fn record_voicemail(&mut self) {
        if let Some((_, path, until)) = self.voicemail.as_mut() {
            *until = Instant::now() + VOICEMAIL_LIMIT;
            let id = self
                .t
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let _ = self.media.send(rtp::Command::Record(id, path.clone()));
        }
    }
}
