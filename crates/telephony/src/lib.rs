//! Telephony: SIP and RTP.

pub mod digest;
pub mod registrar;
pub mod rtp;
pub mod sdp;
