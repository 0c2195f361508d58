//! Telephony: SIP and RTP.

pub mod digest;
pub mod sdp;
