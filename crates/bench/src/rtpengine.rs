//! rtpengine (Sipwise's media relay, Debian package `rtpengine-daemon`) as the peer of
//! `hotline bench relay --rtpengine`: started here in userspace only (no kernel forwarding
//! table, so it does the same work as our relay), each call set up over its ng control
//! protocol (bencoded dictionaries over UDP), its CPU read from /proc.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use telephony::sdp::Codec;

/// A bencoded value, as much of it as the ng protocol needs.
#[derive(Debug, Clone, PartialEq)]
enum B {
    S(Vec<u8>),
    I(i64),
    L(Vec<B>),
    D(Vec<(String, B)>),
}

fn s(v: &str) -> B {
    B::S(v.as_bytes().to_vec())
}

impl B {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            B::S(b) => {
                out.extend_from_slice(format!("{}:", b.len()).as_bytes());
                out.extend_from_slice(b);
            }
            B::I(i) => out.extend_from_slice(format!("i{i}e").as_bytes()),
            B::L(items) => {
                out.push(b'l');
                items.iter().for_each(|x| x.encode(out));
                out.push(b'e');
            }
            B::D(entries) => {
                out.push(b'd');
                for (k, v) in entries {
                    B::S(k.as_bytes().to_vec()).encode(out);
                    v.encode(out);
                }
                out.push(b'e');
            }
        }
    }

    /// Decodes one value from the front of `input`; the rest after it.
    fn decode(input: &[u8]) -> Option<(B, &[u8])> {
        match *input.first()? {
            b'i' => {
                let end = input.iter().position(|&c| c == b'e')?;
                let n = std::str::from_utf8(&input[1..end]).ok()?.parse().ok()?;
                Some((B::I(n), &input[end + 1..]))
            }
            b'l' | b'd' => {
                let dict = input[0] == b'd';
                let mut rest = &input[1..];
                let (mut items, mut entries) = (Vec::new(), Vec::new());
                while *rest.first()? != b'e' {
                    let (x, r) = B::decode(rest)?;
                    if dict {
                        let B::S(key) = x else { return None };
                        let (v, r) = B::decode(r)?;
                        entries.push((String::from_utf8(key).ok()?, v));
                        rest = r;
                    } else {
                        items.push(x);
                        rest = r;
                    }
                }
                let value = if dict { B::D(entries) } else { B::L(items) };
                Some((value, &rest[1..]))
            }
            b'0'..=b'9' => {
                let colon = input.iter().position(|&c| c == b':')?;
                let len: usize = std::str::from_utf8(&input[..colon]).ok()?.parse().ok()?;
                let body = input.get(colon + 1..colon + 1 + len)?;
                Some((B::S(body.to_vec()), &input[colon + 1 + len..]))
            }
            _ => None,
        }
    }

    fn get(&self, key: &str) -> Option<&B> {
        let B::D(entries) = self else { return None };
        entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn text(&self) -> Option<&str> {
        let B::S(b) = self else { return None };
        std::str::from_utf8(b).ok()
    }
}

/// A running rtpengine and its control socket.
pub struct RtpEngine {
    child: Child,
    ng: UdpSocket,
    control: SocketAddr,
    cookie: u64,
}

impl Drop for RtpEngine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RtpEngine {
    /// Starts `rtpengine` on 127.0.0.1 with `threads` workers and RTP ports `low`–`high`.
    pub fn start(threads: usize, low: u16, high: u16) -> Result<RtpEngine> {
        let control = UdpSocket::bind("127.0.0.1:0")?.local_addr()?;
        let child = Command::new("rtpengine")
            .args([
                "--foreground",
                "--log-stderr",
                "--log-level=3",
                "--table=-1",
            ])
            .args(["--interface=127.0.0.1", "--delete-delay=0"])
            .arg(format!("--listen-ng={control}"))
            .arg(format!("--port-min={low}"))
            .arg(format!("--port-max={high}"))
            .arg(format!("--num-threads={threads}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting rtpengine (Debian package rtpengine-daemon)")?;
        let ng = UdpSocket::bind("127.0.0.1:0")?;
        ng.set_read_timeout(Some(Duration::from_millis(200)))?;
        let mut engine = RtpEngine {
            child,
            ng,
            control,
            cookie: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(r) = engine.request(B::D(vec![("command".into(), s("ping"))]))
                && r.get("result").and_then(B::text) == Some("pong")
            {
                return Ok(engine);
            }
            if Instant::now() > deadline || engine.child.try_wait()?.is_some() {
                bail!(
                    "rtpengine did not start (try it by hand: rtpengine --foreground --log-stderr)"
                );
            }
        }
    }

    fn request(&mut self, message: B) -> Result<B> {
        self.cookie += 1;
        let cookie = format!("c{}", self.cookie);
        let mut out = format!("{cookie} ").into_bytes();
        message.encode(&mut out);
        self.ng.send_to(&out, self.control)?;
        let mut buf = vec![0u8; 65_536];
        loop {
            let (n, _) = self
                .ng
                .recv_from(&mut buf)
                .context("rtpengine did not answer")?;
            let Some(body) = buf[..n].strip_prefix(format!("{cookie} ").as_bytes()) else {
                continue; // an answer to an earlier, timed-out request
            };
            let (value, _) = B::decode(body).context("rtpengine's answer is not bencode")?;
            return Ok(value);
        }
    }

    /// Sets up call `i` between phones at `caller` and `agent`; the addresses each must send
    /// its RTP to: (the caller's, the agent's). Different codecs are transcoded.
    pub fn bridge(
        &mut self,
        i: usize,
        caller: (SocketAddr, Codec),
        agent: (SocketAddr, Codec),
    ) -> Result<(SocketAddr, SocketAddr)> {
        let (call_id, from_tag, to_tag) = (format!("bench-{i}"), format!("a{i}"), format!("b{i}"));
        let mut offer = vec![
            ("command".to_string(), s("offer")),
            ("call-id".into(), s(&call_id)),
            ("from-tag".into(), s(&from_tag)),
            ("sdp".into(), s(&sdp(caller.0, caller.1))),
        ];
        if caller.1 != agent.1 {
            offer.push((
                "codec".into(),
                B::D(vec![
                    ("mask".into(), B::L(vec![s(name(caller.1))])),
                    ("transcode".into(), B::L(vec![s(name(agent.1))])),
                ]),
            ));
        }
        let to_agent = self.answer_sdp(B::D(offer), "offer")?;
        let answer = B::D(vec![
            ("command".into(), s("answer")),
            ("call-id".into(), s(&call_id)),
            ("from-tag".into(), s(&from_tag)),
            ("to-tag".into(), s(&to_tag)),
            ("sdp".into(), s(&sdp(agent.0, agent.1))),
        ]);
        let to_caller = self.answer_sdp(answer, "answer")?;
        Ok((to_caller, to_agent))
    }

    /// Sends an offer or answer; the media address in the SDP rtpengine gives back.
    fn answer_sdp(&mut self, message: B, what: &str) -> Result<SocketAddr> {
        let r = self.request(message)?;
        ensure!(
            r.get("result").and_then(B::text) == Some("ok"),
            "rtpengine refused the {what}: {r:?}"
        );
        let sdp = r.get("sdp").and_then(B::text).context("no SDP")?;
        let ip: IpAddr = sdp
            .lines()
            .find_map(|l| l.strip_prefix("c=IN IP4 "))
            .and_then(|a| a.trim().parse().ok())
            .context("no c= line")?;
        let port: u16 = sdp
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|m| m.split_whitespace().next()?.parse().ok())
            .context("no m= line")?;
        Ok(SocketAddr::new(ip, port))
    }

    /// CPU time rtpengine has used, all its threads, in nanoseconds.
    pub fn cpu_ns(&self) -> u64 {
        crate::process_cpu_ns(self.child.id())
    }
}

fn name(codec: Codec) -> &'static str {
    match codec {
        Codec::Pcmu => "PCMU",
        Codec::Pcma => "PCMA",
    }
}

fn sdp(at: SocketAddr, codec: Codec) -> String {
    let pt = match codec {
        Codec::Pcmu => 0,
        Codec::Pcma => 8,
    };
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP {pt}\r\na=rtpmap:{pt} {}/8000\r\na=sendrecv\r\n",
        name(codec),
        ip = at.ip(),
        port = at.port()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bencode_round_trips() {
        let v = B::D(vec![
            ("result".into(), s("ok")),
            ("n".into(), B::I(-3)),
            ("l".into(), B::L(vec![s("PCMU"), B::I(8)])),
        ]);
        let mut out = Vec::new();
        v.encode(&mut out);
        assert_eq!(out, b"d6:result2:ok1:ni-3e1:ll4:PCMUi8eee");
        assert_eq!(B::decode(&out), Some((v, &b""[..])));
        assert_eq!(B::decode(b"5:abc"), None);
    }
}
