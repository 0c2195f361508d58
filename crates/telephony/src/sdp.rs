//! SDP (RFC 4566) as far as a G.711 call needs it: read an offer or answer from untrusted
//! bytes, choose the codec and the DTMF payload type (RFC 3264 offer/answer), and write
//! ours. Anything we do not understand is skipped, never trusted.

use std::net::{IpAddr, SocketAddr};

/// The audio codecs we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Pcmu,
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }
}

/// Which way media flows, from the point of view of the side that wrote the SDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answer takes to this offer.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// The offer puts the other side on hold.
    pub fn is_hold(self) -> bool {
        matches!(self, Direction::SendOnly | Direction::Inactive)
    }
}

/// What was agreed for the audio stream of a call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Where the peer wants its RTP (before symmetric-RTP latching).
    pub remote: SocketAddr,
    pub codec: Codec,
    /// The RFC 4733 payload type, if the peer offered telephone-event.
    pub dtmf: Option<u8>,
    pub direction: Direction,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP is not UTF-8 text")]
    NotText,
    #[error("SDP has no audio stream")]
    NoAudio,
    #[error("SDP has no connection address for the audio stream")]
    NoAddress,
    #[error("no common codec: we speak PCMU and PCMA")]
    NoCodec,
    #[error("malformed SDP line {0}")]
    Malformed(usize),
}

/// Reads the first audio stream of an SDP body and picks the first G.711 codec the peer
/// listed (its preference, RFC 3264 §6.1), plus telephone-event if offered.
pub fn parse(body: &[u8]) -> Result<Session, SdpError> {
    let text = std::str::from_utf8(body).map_err(|_| SdpError::NotText)?;
    let mut session_addr: Option<IpAddr> = None;
    let mut media_addr: Option<IpAddr> = None;
    let mut session_dir = Direction::SendRecv;
    let mut media_dir: Option<Direction> = None;
    // (port, formats) of the first audio stream; None while before it.
    let mut audio: Option<(u16, Vec<u8>)> = None;
    let mut in_audio = false;
    let mut seen_audio = false;
    let mut rtpmap: Vec<(u8, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let Some((kind, value)) = line.split_once('=') else {
            return Err(SdpError::Malformed(n + 1));
        };
        match kind {
            "m" => {
                in_audio = false;
                if seen_audio {
                    continue;
                }
                let mut parts = value.split_ascii_whitespace();
                if parts.next() != Some("audio") {
                    continue;
                }
                let port = parts
                    .next()
                    .and_then(|p| p.split('/').next())
                    .and_then(|p| p.parse::<u16>().ok())
                    .ok_or(SdpError::Malformed(n + 1))?;
                let proto = parts.next().unwrap_or("");
                if !proto.starts_with("RTP/AVP") {
                    continue;
                }
                let formats = parts.filter_map(|f| f.parse::<u8>().ok()).collect();
                audio = Some((port, formats));
                in_audio = true;
                seen_audio = true;
            }
            "c" => {
                let addr = value
                    .split_ascii_whitespace()
                    .nth(2)
                    .and_then(|a| a.split('/').next())
                    .and_then(|a| a.parse::<IpAddr>().ok())
                    .ok_or(SdpError::Malformed(n + 1))?;
                if in_audio {
                    media_addr = Some(addr);
                } else if !seen_audio {
                    session_addr = Some(addr);
                }
            }
            "a" => {
                let dir = match value {
                    "sendrecv" => Some(Direction::SendRecv),
                    "sendonly" => Some(Direction::SendOnly),
                    "recvonly" => Some(Direction::RecvOnly),
                    "inactive" => Some(Direction::Inactive),
                    _ => None,
                };
                if let Some(d) = dir {
                    if in_audio {
                        media_dir = Some(d);
                    } else if !seen_audio {
                        session_dir = d;
                    }
                } else if in_audio && let Some(map) = value.strip_prefix("rtpmap:") {
                    let mut p = map.splitn(2, ' ');
                    if let (Some(pt), Some(enc)) = (p.next(), p.next())
                        && let Ok(pt) = pt.parse::<u8>()
                    {
                        rtpmap.push((pt, enc.trim().to_ascii_lowercase()));
                    }
                }
            }
            _ => {}
        }
    }
    let (port, formats) = audio.ok_or(SdpError::NoAudio)?;
    let ip = media_addr.or(session_addr).ok_or(SdpError::NoAddress)?;
    let named = |pt: u8| {
        rtpmap
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, e)| e.as_str())
    };
    let codec = formats
        .iter()
        .find_map(|&pt| match (pt, named(pt)) {
            (0, None) => Some(Codec::Pcmu),
            (8, None) => Some(Codec::Pcma),
            (_, Some(e)) if e.starts_with("pcmu/8000") => Some(Codec::Pcmu),
            (_, Some(e)) if e.starts_with("pcma/8000") => Some(Codec::Pcma),
            _ => None,
        })
        .ok_or(SdpError::NoCodec)?;
    let dtmf = formats
        .iter()
        .copied()
        .find(|&pt| named(pt).is_some_and(|e| e.starts_with("telephone-event/8000")));
    let mut direction = media_dir.unwrap_or(session_dir);
    // RFC 3264 §8.4: hold the old way, with a zero address.
    if ip.is_unspecified() && direction == Direction::SendRecv {
        direction = Direction::Inactive;
    }
    Ok(Session {
        remote: SocketAddr::new(ip, port),
        codec,
        dtmf,
        direction,
    })
}

/// Our SDP: one audio stream at `local`, with `codecs` in our order of preference and
/// telephone-event as `dtmf`. `version` goes up with each change in the dialog (RFC 3264 §8).
pub fn write(
    session_id: u64,
    version: u64,
    local: SocketAddr,
    codecs: &[Codec],
    dtmf: Option<u8>,
    direction: Direction,
) -> String {
    let ip = local.ip();
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut formats: Vec<String> = codecs
        .iter()
        .map(|c| c.payload_type().to_string())
        .collect();
    if let Some(pt) = dtmf {
        formats.push(pt.to_string());
    }
    let mut s = format!(
        "v=0\r\no=hotline {session_id} {version} IN {family} {ip}\r\ns=hotline\r\n\
         c=IN {family} {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {}\r\n",
        local.port(),
        formats.join(" ")
    );
    for c in codecs {
        s.push_str(&format!(
            "a=rtpmap:{} {}/8000\r\n",
            c.payload_type(),
            c.name()
        ));
    }
    if let Some(pt) = dtmf {
        s.push_str(&format!(
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        ));
    }
    s.push_str(&format!("a=ptime:20\r\na={}\r\n", direction.attr()));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIPP: &str = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n\
        c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 8 0 101\r\n\
        a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-11,16\r\n";

    #[test]
    fn reads_an_offer_in_the_peers_order() {
        let s = parse(SIPP.as_bytes()).unwrap();
        assert_eq!(s.remote, "127.0.0.1:6000".parse().unwrap());
        assert_eq!(s.codec, Codec::Pcma);
        assert_eq!(s.dtmf, Some(101));
        assert_eq!(s.direction, Direction::SendRecv);
    }

    #[test]
    fn media_level_address_and_direction_win() {
        let body = "v=0\r\nc=IN IP4 10.0.0.1\r\na=sendrecv\r\nm=video 9 RTP/AVP 96\r\n\
            c=IN IP4 10.9.9.9\r\nm=audio 4000 RTP/AVP 18 0\r\nc=IN IP4 10.0.0.2\r\na=sendonly\r\n";
        let s = parse(body.as_bytes()).unwrap();
        assert_eq!(s.remote, "10.0.0.2:4000".parse().unwrap());
        assert_eq!(s.codec, Codec::Pcmu);
        assert_eq!(s.dtmf, None);
        assert!(s.direction.is_hold());
    }

    #[test]
    fn zero_address_is_hold() {
        let body = "v=0\r\nc=IN IP4 0.0.0.0\r\nm=audio 4000 RTP/AVP 0\r\n";
        assert_eq!(
            parse(body.as_bytes()).unwrap().direction,
            Direction::Inactive
        );
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert_eq!(
            parse(b"v=0\r\nc=IN IP4 1.2.3.4\r\n"),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            parse(b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 18 9\r\n"),
            Err(SdpError::NoCodec)
        );
        assert_eq!(
            parse(b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(SdpError::NoAddress)
        );
        assert_eq!(parse(b"v=0\r\ngarbage\r\n"), Err(SdpError::Malformed(2)));
        assert_eq!(parse(&[0xff, 0xfe]), Err(SdpError::NotText));
        assert_eq!(
            parse(b"v=0\r\nm=audio 99999 RTP/AVP 0\r\n"),
            Err(SdpError::Malformed(2))
        );
    }

    #[test]
    fn ours_reads_back() {
        let local: SocketAddr = "192.0.2.7:20002".parse().unwrap();
        let text = write(
            1,
            2,
            local,
            &[Codec::Pcmu, Codec::Pcma],
            Some(101),
            Direction::SendOnly,
        );
        let s = parse(text.as_bytes()).unwrap();
        assert_eq!(s.remote, local);
        assert_eq!(s.codec, Codec::Pcmu);
        assert_eq!(s.dtmf, Some(101));
        assert_eq!(s.direction, Direction::SendOnly);
    }
}
