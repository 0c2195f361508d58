//! What the fuzz targets (`fuzz/`, cargo-fuzz) check of everything we parse from the
//! network ourselves, so that the corpus they grew replays in the ordinary tests too.
//! Each function takes arbitrary bytes; it must not panic, and what parses must survive a
//! round trip through our own writer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use media::rtp::Packet;

use crate::sdp;

/// An SDP offer: parsed, answered with our writer, and the answer read back the same.
pub fn sdp(data: &[u8]) {
    let Ok(offer) = sdp::parse(data) else { return };
    let here = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)), 20_000);
    let answer = sdp::write(
        1,
        2,
        here,
        &[offer.codec],
        offer.dtmf,
        offer.direction.answer(),
    );
    let back = sdp::parse(answer.as_bytes()).expect("our own answer parses");
    assert_eq!(back.codec, offer.codec);
    assert_eq!(back.dtmf, offer.dtmf);
    assert_eq!(back.remote, here);
    // What we answered (hold as hold) is what the answer says.
    assert_eq!(back.direction, offer.direction.answer());
}

/// An RTP packet: parsed, written and read back the same (padding dropped).
pub fn rtp(data: &[u8]) {
    let Ok(p) = Packet::parse(data) else { return };
    let mut out = Vec::new();
    p.write(&mut out);
    let back = Packet::parse(&out).expect("our own packet parses");
    assert_eq!(back, p);
}

/// RFC 4733 events: the payloads and timestamps of a stream of packets (8 bytes each: a
/// timestamp and a payload), fed to the receiver; each key it reports is a key there is.
pub fn dtmf(data: &[u8]) {
    let mut rx = media::dtmf::Receiver::default();
    for chunk in data.chunks(8) {
        let (ts, payload) = chunk.split_at(chunk.len().min(4));
        let mut t = [0u8; 4];
        t[..ts.len()].copy_from_slice(ts);
        if let Some(key) = rx.packet(u32::from_be_bytes(t), payload) {
            assert!(media::dtmf::key_code(key).is_some(), "{key:?}");
        }
        if let Ok(e) = media::dtmf::Event::parse(payload) {
            assert_eq!(media::dtmf::Event::parse(&e.to_bytes()), Ok(e));
        }
    }
}

/// An Authorization header: parsed, and checked against a password without panicking.
pub fn digest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(c) = crate::digest::parse(text) else {
        return;
    };
    let _ = crate::digest::response(&c, "secret1001", "REGISTER");
    let nonces = crate::digest::Nonces::new([7; 32]);
    let ha1 = crate::digest::ha1(&c.username, "demo.hotline.local", "secret1001");
    let _ = nonces.check(&c, "demo.hotline.local", &ha1, "REGISTER", 1_000);
}

/// The header values we read ourselves: Contact lists (and the address of each), Refer-To.
pub fn headers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for c in crate::headers::contacts(text) {
        assert!(!c.contact.is_empty());
        if let Some(addr) = crate::headers::uri_addr(&c.contact) {
            // What we found is written in the URI.
            assert!(c.contact.contains(&addr.ip().to_string()) || addr.ip().is_ipv6());
        }
    }
    if let Some(user) = crate::headers::refer_target(text) {
        assert!(!user.is_empty() && user.len() <= 64);
    }
}

/// The UDP screen: never panics, and a 400 it writes is one status line and then only the
/// headers it copies or adds, each on one line, with an empty body.
pub fn screen(data: &[u8]) {
    if let crate::screen::Verdict::Answer(reply) = crate::screen::screen(data) {
        let head = reply
            .strip_suffix("\r\n\r\n")
            .expect("the answer ends its header");
        let mut lines = head.split("\r\n");
        assert_eq!(lines.next(), Some("SIP/2.0 400 Bad Request"));
        for line in lines {
            let (name, value) = line.split_once(": ").expect("a header line");
            assert!(matches!(
                name,
                "Via" | "From" | "To" | "Call-ID" | "CSeq" | "Warning" | "Content-Length"
            ));
            assert!(!value.is_empty() && !value.contains(['\r', '\n']));
        }
    }
}
