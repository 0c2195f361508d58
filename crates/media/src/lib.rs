//! Telephone audio as bytes and samples: RTP packets (RFC 3550), G.711 μ-law and A-law,
//! RFC 4733 telephone events (DTMF), tone generation and detection (Goertzel).
//!
//! Pure: parsing never panics on any input and says what is wrong; nothing here knows a
//! socket, a clock or SIP. `telephony` moves these packets; the recorder writes the samples.

pub mod dtmf;
pub mod g711;
pub mod rtp;
pub mod tone;
