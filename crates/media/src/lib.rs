//! Telephone audio as bytes and samples: RTP packets (RFC 3550), G.711 μ-law and A-law,
//! RFC 4733 telephone events (DTMF), tone generation and detection (Goertzel).
//!
//! Parsing never panics on any input and says what is wrong; nothing here knows a socket, a
//! clock or SIP. `telephony` moves the packets. The two legs of a call are aligned into
//! stereo by [`mix`], and [`wav`] reads prompts and writes recordings (on its own thread).

pub mod dtmf;
pub mod g711;
pub mod mix;
pub mod rtp;
pub mod tone;
pub mod wav;
