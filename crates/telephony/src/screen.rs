//! SIP over UDP, screened before the stack sees it.
//!
//! rsipstack drops a datagram it cannot parse, or one missing a header it needs, without a
//! word, so the sender retransmits into silence for 32 s. Here every datagram is looked at
//! first: a request whose transaction can still be found (a Via and a CSeq, read leniently
//! from the raw text) is answered `400 Bad Request` with a `Warning` that says what is wrong
//! (RFC 3261 §8.2.2, §21.4.1); a broken response, a broken ACK or plain noise is dropped.
//! Only well-formed messages reach the stack.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use rsipstack::sip::headers::untyped::ToTypedHeader;
use rsipstack::sip::{Header, HeadersExt, SipMessage, Version};

/// What to do with one datagram.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Well-formed (or a keep-alive): for the stack.
    Pass,
    /// Malformed, answered with this `400`.
    Answer(String),
    /// Malformed and unanswerable.
    Drop,
}

/// Looks at one datagram. Pure, so the fuzzer can drive it.
pub fn screen(packet: &[u8]) -> Verdict {
    // Keep-alives (RFC 5626 CRLF pings) and empty datagrams are the stack's to handle.
    if packet.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Pass;
    }
    let problem = match SipMessage::try_from(packet) {
        Ok(SipMessage::Response(_)) => return Verdict::Pass,
        Ok(SipMessage::Request(request)) => match fault(&request) {
            None => return Verdict::Pass,
            Some(problem) => problem,
        },
        Err(e) => format!("cannot parse the message: {e}"),
    };
    bad_request(packet, &problem).map_or(Verdict::Drop, Verdict::Answer)
}

/// What is wrong with a request the parser took: a mandatory header (RFC 3261 §8.1.1)
/// missing or garbled (the parser reads headers lazily; the stack would drop it later), a
/// count that is not a number, or a SIP version other than 2.0.
fn fault(r: &rsipstack::sip::Request) -> Option<String> {
    if r.version != Version::V2 {
        return Some(format!("{} is not supported", r.version));
    }
    let garbled = |name: &str, value: &str| Some(format!("{name} '{value}' cannot be read"));
    match r.via_header() {
        Err(_) => return Some("no Via header".into()),
        Ok(via) if via.typed().is_err() => return garbled("Via", via.value()),
        Ok(_) => {}
    }
    match r.from_header() {
        Err(_) => return Some("no From header".into()),
        Ok(from) if from.typed().is_err() => return garbled("From", from.value()),
        Ok(_) => {}
    }
    match r.to_header() {
        Err(_) => return Some("no To header".into()),
        Ok(to) if to.typed().is_err() => return garbled("To", to.value()),
        Ok(_) => {}
    }
    if r.call_id_header().is_err() {
        return Some("no Call-ID header".into());
    }
    let Ok(cseq) = r.cseq_header() else {
        return Some("no CSeq header".into());
    };
    match (cseq.seq(), cseq.method()) {
        (Ok(_), Ok(m)) if m != r.method => {
            return Some(format!("CSeq names {m}, the request is {}", r.method));
        }
        (Ok(_), Ok(_)) => {}
        _ => return garbled("CSeq", cseq.value()),
    }
    for header in r.headers.iter() {
        let (name, value) = match header {
            Header::MaxForwards(h) => ("Max-Forwards", h.value()),
            Header::ContentLength(h) => ("Content-Length", h.value()),
            _ => continue,
        };
        if value.trim().parse::<u32>().is_err() {
            return garbled(name, value);
        }
    }
    None
}

/// A `400 Bad Request` to a request read as loosely as can be: its Vias, From, To, Call-ID
/// and CSeq copied back. None for a response, an ACK (never answered) or anything without
/// a Via and a CSeq to match the answer with.
fn bad_request(packet: &[u8], problem: &str) -> Option<String> {
    let text = String::from_utf8_lossy(packet);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines().map(str::trim_end);
    let method = lines.next()?.split(' ').next()?;
    let is_token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic());
    if !is_token(method) || method.eq_ignore_ascii_case("ACK") {
        return None;
    }
    let (mut vias, mut from, mut to, mut call_id, mut cseq) = (Vec::new(), None, None, None, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if value.is_empty() || value.contains(['\r', '\n']) {
            continue;
        }
        match name.trim().to_ascii_lowercase().as_str() {
            "via" | "v" => vias.push(value),
            "from" | "f" => from = from.or(Some(value)),
            "to" | "t" => to = to.or(Some(value)),
            "call-id" | "i" => call_id = call_id.or(Some(value)),
            "cseq" => cseq = cseq.or(Some(value)),
            _ => {}
        }
    }
    if vias.is_empty() {
        return None;
    }
    let mut out = String::from("SIP/2.0 400 Bad Request\r\n");
    for via in vias {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    if let Some(from) = from {
        out.push_str(&format!("From: {from}\r\n"));
    }
    if let Some(to) = to {
        // The answer creates no dialog, but RFC 3261 §8.2.6.2 wants a tag on it.
        let tag = if to.to_ascii_lowercase().contains(";tag=") {
            String::new()
        } else {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            format!(";tag=hl400{}", NEXT.fetch_add(1, Ordering::Relaxed))
        };
        out.push_str(&format!("To: {to}{tag}\r\n"));
    }
    if let Some(call_id) = call_id {
        out.push_str(&format!("Call-ID: {call_id}\r\n"));
    }
    out.push_str(&format!("CSeq: {}\r\n", cseq?));
    out.push_str(&format!("Warning: 399 hotline \"{}\"\r\n", quoted(problem)));
    out.push_str("Content-Length: 0\r\n\r\n");
    Some(out)
}

/// Text fit for a quoted-string: printable, no quotes or backslashes, at most 200 bytes.
fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= 200).then_some(c)
        })
        .collect()
}

/// The SIP UDP socket handed to rsipstack: receiving screens each datagram, answering or
/// dropping the malformed ones itself, so the stack only ever sees the rest.
pub(crate) struct ScreenedUdp {
    socket: tokio::net::UdpSocket,
}

impl ScreenedUdp {
    pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<ScreenedUdp> {
        let socket = std::net::UdpSocket::bind(addr)?;
        socket.set_nonblocking(true)?;
        Ok(ScreenedUdp {
            socket: tokio::net::UdpSocket::from_std(socket)?,
        })
    }
}

#[async_trait::async_trait]
impl rsipstack::platform::net::UdpSocket for ScreenedUdp {
    async fn recv_from(&self, buf: &mut [u8]) -> rsipstack::Result<(usize, SocketAddr)> {
        loop {
            let (len, from) = self.socket.recv_from(buf).await?;
            match screen(&buf[..len]) {
                Verdict::Pass => return Ok((len, from)),
                Verdict::Answer(reply) => {
                    tracing::info!(%from, "malformed SIP answered 400");
                    let _ = self.socket.send_to(reply.as_bytes(), from).await;
                }
                Verdict::Drop => tracing::debug!(%from, len, "malformed SIP dropped"),
            }
        }
    }

    async fn send_to(&self, buf: &[u8], addr: SocketAddr) -> rsipstack::Result<usize> {
        Ok(self.socket.send_to(buf, addr).await?)
    }

    fn local_addr(&self) -> rsipstack::Result<SocketAddr> {
        Ok(self.socket.local_addr()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "OPTIONS sip:96332@127.0.0.1 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport\r\n\
        From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:96332@127.0.0.1>\r\n\
        Call-ID: screen-1@test\r\nCSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";

    fn answer(packet: &str) -> String {
        match screen(packet.as_bytes()) {
            Verdict::Answer(a) => a,
            other => panic!("{other:?} for {packet}"),
        }
    }

    #[test]
    fn well_formed_messages_and_keep_alives_pass() {
        assert_eq!(screen(GOOD.as_bytes()), Verdict::Pass);
        assert_eq!(screen(b"\r\n\r\n"), Verdict::Pass);
        let response = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa\r\n\
            From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\
            Content-Length: 0\r\n\r\n";
        assert_eq!(screen(response.as_bytes()), Verdict::Pass);
    }

    #[test]
    fn a_request_missing_its_call_id_is_answered_400_with_its_transaction() {
        let a = answer(&GOOD.replace("Call-ID: screen-1@test\r\n", ""));
        assert!(a.starts_with("SIP/2.0 400 Bad Request\r\n"), "{a}");
        assert!(a.contains("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport\r\n"));
        assert!(a.contains("CSeq: 7 OPTIONS\r\n"));
        assert!(a.contains("To: <sip:96332@127.0.0.1>;tag=hl400"));
        assert!(
            a.contains("Warning: 399 hotline \"no Call-ID header\""),
            "{a}"
        );
        assert!(a.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn a_garbled_header_is_named_in_the_warning() {
        let a = answer(&GOOD.replace("CSeq: 7 OPTIONS", "CSeq: seven OPTIONS"));
        assert!(a.contains("Call-ID: screen-1@test\r\n"), "{a}");
        assert!(a.contains("Warning: 399 hotline \""), "{a}");
        for (good, bad, name) in [
            (
                "Max-Forwards: 70",
                "Max-Forwards: many",
                "Max-Forwards 'many'",
            ),
            (
                "Content-Length: 0",
                "Content-Length: abc",
                "Content-Length 'abc'",
            ),
            (
                "From: <sip:probe@127.0.0.1>;tag=1",
                "From: <<<",
                "From '<<<'",
            ),
            (
                "SIP/2.0\r\nVia",
                "SIP/3.0\r\nVia",
                "SIP/3.0 is not supported",
            ),
        ] {
            let a = answer(&GOOD.replace(good, bad));
            assert!(a.contains(name), "{bad}: {a}");
        }
        let a = answer(&GOOD.replace("CSeq: 7 OPTIONS", "CSeq: 7 INVITE"));
        assert!(
            a.contains("CSeq names INVITE, the request is OPTIONS"),
            "{a}"
        );
    }

    #[test]
    fn noise_broken_acks_and_requests_without_a_via_are_dropped() {
        assert_eq!(screen(b"this is not SIP\r\n\r\n"), Verdict::Drop);
        assert_eq!(screen(&[0xff, 0x00, 0x13]), Verdict::Drop);
        let ack = GOOD
            .replace("OPTIONS sip", "ACK sip")
            .replace("Call-ID: screen-1@test\r\n", "");
        assert_eq!(screen(ack.as_bytes()), Verdict::Drop);
        let no_via = GOOD.replace(
            "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport\r\n",
            "",
        );
        assert_eq!(screen(no_via.as_bytes()), Verdict::Drop);
    }

    #[test]
    fn the_warning_text_stays_a_valid_quoted_string() {
        assert_eq!(quoted("a \"b\" \\ c\r\n"), "a 'b' / c  ");
        assert_eq!(quoted(&"长".repeat(100)).len(), 198);
    }
}
