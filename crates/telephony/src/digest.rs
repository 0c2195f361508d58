//! HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, MD5), server side:
//! challenges with nonces that carry their own issue time and a keyed hash, so a forged or
//! old nonce is refused without a table; each nonce is used once, or with a growing `nc`
//! (RFC 2617 §3.2.2), so a captured request cannot be replayed. The server keeps only HA1
//! (`MD5(user:realm:password)`), never the password.

use std::collections::HashMap;
use std::sync::Mutex;

use md5::{Digest as _, Md5};
use sha2::Sha256;

/// How long a nonce is good for; an older one gets a fresh challenge with `stale=true`.
pub const NONCE_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// The fields of an `Authorization: Digest …` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
}

/// Reads `Digest username="1001", realm="…", …`. `None` if it is not a digest header or a
/// required field is missing.
pub fn parse(header: &str) -> Option<Credentials> {
    let rest = header.trim_start();
    let (scheme, params) = rest.split_at(rest.find(char::is_whitespace)?);
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut c = Credentials::default();
    let mut chars = params.trim();
    while !chars.is_empty() {
        let eq = chars.find('=')?;
        let name = chars[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        chars = chars[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = chars.strip_prefix('"') {
            let end = quoted.find('"')?;
            value = &quoted[..end];
            chars = quoted[end + 1..].trim_start();
        } else {
            let end = chars.find(',').unwrap_or(chars.len());
            value = chars[..end].trim();
            chars = &chars[end..];
        }
        chars = chars.trim_start().trim_start_matches(',').trim_start();
        let value = value.to_string();
        match name.as_str() {
            "username" => c.username = value,
            "realm" => c.realm = value,
            "nonce" => c.nonce = value,
            "uri" => c.uri = value,
            "response" => c.response = value.to_ascii_lowercase(),
            "algorithm" => c.algorithm = Some(value),
            "qop" => c.qop = Some(value),
            "nc" => c.nc = Some(value),
            "cnonce" => c.cnonce = Some(value),
            _ => {}
        }
    }
    (!c.username.is_empty() && !c.nonce.is_empty() && !c.response.is_empty()).then_some(c)
}

fn md5_hex(parts: &[&str]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// What the server keeps of a password: `MD5(user:realm:password)`, in hex.
pub fn ha1(user: &str, realm: &str, password: &str) -> String {
    md5_hex(&[user, realm, password])
}

/// The response a client with `password` computes for `method` (RFC 2617 §3.2.2).
pub fn response(c: &Credentials, password: &str, method: &str) -> String {
    response_from_ha1(c, &ha1(&c.username, &c.realm, password), method)
}

/// The response from the user's HA1, as the server computes it.
fn response_from_ha1(c: &Credentials, ha1: &str, method: &str) -> String {
    let ha2 = md5_hex(&[method, &c.uri]);
    match (&c.qop, &c.nc, &c.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) => md5_hex(&[ha1, &c.nonce, nc, cnonce, qop, &ha2]),
        _ => md5_hex(&[ha1, &c.nonce, &ha2]),
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The right password on an expired nonce: challenge again with `stale=true`.
    Stale,
    /// The right password on a nonce (and `nc`) already used: a replay, or a phone that
    /// reuses nonces; a fresh challenge tells them apart.
    Replayed,
    /// Wrong password, a nonce we did not issue, or another realm.
    Refused,
}

/// Most nonces remembered as used; only a valid response adds one, so only holders of a
/// password can fill it. Past it, the oldest are forgotten — and refused from then on, so
/// forgetting never lets a replay in.
const MAX_USED: usize = 100_000;

/// Issues and checks nonces under a secret key, and remembers the ones used.
#[derive(Debug)]
pub struct Nonces {
    key: [u8; 32],
    /// Nonce → (issued at, highest `nc` used; 0 without `qop`).
    used: Mutex<HashMap<String, (i64, u32)>>,
    /// Nonces issued before this were forgotten: refused.
    forgotten_before: Mutex<i64>,
    /// Tells apart nonces issued in the same millisecond (each is used once).
    issued: std::sync::atomic::AtomicU64,
}

impl Nonces {
    pub fn new(key: [u8; 32]) -> Nonces {
        Nonces {
            key,
            used: Mutex::new(HashMap::new()),
            forgotten_before: Mutex::new(i64::MIN),
            issued: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Nonces {
        let mut key = [0; 32];
        // Without randomness the nonces are still unforgeable per boot time; never panics.
        if getrandom::fill(&mut key).is_err() {
            key[..16].copy_from_slice(&std::process::id().to_le_bytes().repeat(4));
        }
        Nonces::new(key)
    }

    fn tag(&self, issued_ms: i64, n: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(issued_ms.to_be_bytes());
        h.update(n.to_be_bytes());
        hex(&h.finalize()[..12])
    }

    /// `<ms>.<n>.<tag>`: the issue time, a serial number, and a keyed hash of both.
    pub fn issue(&self, now_ms: i64) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{now_ms:x}.{n:x}.{}", self.tag(now_ms, n))
    }

    /// The `WWW-Authenticate` value of a challenge.
    pub fn challenge(&self, realm: &str, now_ms: i64, stale: bool) -> String {
        format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}",
            self.issue(now_ms),
            if stale { ", stale=true" } else { "" }
        )
    }

    /// Checks credentials for `method` against the user's HA1 in `realm`; an accepted
    /// nonce (with its `nc`) cannot be used again.
    pub fn check(
        &self,
        c: &Credentials,
        realm: &str,
        ha1: &str,
        method: &str,
        now_ms: i64,
    ) -> Verdict {
        let mut parts = c.nonce.splitn(3, '.');
        let issued = (|| {
            let t = i64::from_str_radix(parts.next()?, 16).ok()?;
            let n = u64::from_str_radix(parts.next()?, 16).ok()?;
            (self.tag(t, n) == parts.next()?).then_some(t)
        })();
        let Some(issued) = issued else {
            return Verdict::Refused;
        };
        let md5 = c
            .algorithm
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case("md5"));
        if c.realm != realm || !md5 || response_from_ha1(c, ha1, method) != c.response {
            return Verdict::Refused;
        }
        if now_ms - issued > NONCE_LIFETIME_MS || issued > now_ms + 60_000 {
            return Verdict::Stale;
        }
        self.use_once(&c.nonce, issued, c.nc.as_deref(), now_ms)
    }

    /// Records a use of `nonce`: the first, or one with a higher `nc` than any before.
    fn use_once(&self, nonce: &str, issued: i64, nc: Option<&str>, now_ms: i64) -> Verdict {
        let nc = match nc.map(|n| u32::from_str_radix(n, 16)) {
            None => 0,
            Some(Ok(n)) if n > 0 => n,
            Some(_) => return Verdict::Refused,
        };
        let mut forgotten = self
            .forgotten_before
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if issued < *forgotten {
            return Verdict::Replayed;
        }
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        match used.get_mut(nonce) {
            Some((_, last)) if nc == 0 || nc <= *last => return Verdict::Replayed,
            Some((_, last)) => *last = nc,
            None => {
                if used.len() >= MAX_USED {
                    used.retain(|_, (at, _)| now_ms - *at <= NONCE_LIFETIME_MS);
                }
                if used.len() >= MAX_USED {
                    // Forget the older half: refused from now on.
                    let mut times: Vec<i64> = used.values().map(|(at, _)| *at).collect();
                    times.sort_unstable();
                    let cut = times[times.len() / 2];
                    used.retain(|_, (at, _)| *at >= cut);
                    *forgotten = (*forgotten).max(cut);
                    if issued < cut {
                        return Verdict::Replayed;
                    }
                }
                used.insert(nonce.to_string(), (issued, nc));
            }
        }
        Verdict::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_2617_example_response() {
        // RFC 2617 §3.5, with the method and URI of its example.
        let c = Credentials {
            username: "Mufasa".into(),
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            uri: "/dir/index.html".into(),
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
            cnonce: Some("0a4f113b".into()),
            ..Credentials::default()
        };
        assert_eq!(
            response(&c, "Circle Of Life", "GET"),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn parses_what_softphones_send() {
        let h = r#"Digest username="1001",realm="demo.hotline.local",nonce="1a.bc",uri="sip:127.0.0.1:5060",response="ABCDEF",algorithm=MD5,cnonce="xyz", qop=auth, nc=00000001"#;
        let c = parse(h).unwrap();
        assert_eq!(c.username, "1001");
        assert_eq!(c.uri, "sip:127.0.0.1:5060");
        assert_eq!(c.response, "abcdef");
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert_eq!(c.nc.as_deref(), Some("00000001"));
        assert!(parse("Basic abc").is_none());
        assert!(parse("Digest realm=\"x\"").is_none());
        assert!(parse("Digest username=\"unterminated").is_none());
    }

    #[test]
    fn checks_password_nonce_and_age() {
        let nonces = Nonces::new([7; 32]);
        let mut c = Credentials {
            username: "1001".into(),
            realm: "r".into(),
            nonce: nonces.issue(1_000),
            uri: "sip:r".into(),
            ..Credentials::default()
        };
        c.response = response(&c, "secret1001", "REGISTER");
        let good = ha1("1001", "r", "secret1001");
        assert_eq!(
            nonces.check(&c, "r", &ha1("1001", "r", "wrong"), "REGISTER", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(&c, "r", &good, "INVITE", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(&c, "other", &good, "REGISTER", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(&c, "r", &good, "REGISTER", 1_000 + NONCE_LIFETIME_MS + 1),
            Verdict::Stale
        );
        let forged = Nonces::new([8; 32]);
        assert_eq!(
            forged.check(&c, "r", &good, "REGISTER", 2_000),
            Verdict::Refused
        );
        assert_eq!(nonces.check(&c, "r", &good, "REGISTER", 2_000), Verdict::Ok);
    }

    /// Issue 20: a captured REGISTER replayed (with the same nonce, or the same `nc`) is
    /// refused; a phone counting `nc` up on its nonce goes on.
    #[test]
    fn issue_20_a_digest_response_cannot_be_replayed() {
        let nonces = Nonces::new([7; 32]);
        assert_ne!(nonces.issue(5), nonces.issue(5), "each nonce its own");
        let good = ha1("1001", "r", "secret1001");
        let mut c = Credentials {
            username: "1001".into(),
            realm: "r".into(),
            nonce: nonces.issue(1_000),
            uri: "sip:r".into(),
            ..Credentials::default()
        };
        c.response = response(&c, "secret1001", "REGISTER");
        assert_eq!(nonces.check(&c, "r", &good, "REGISTER", 2_000), Verdict::Ok);
        assert_eq!(
            nonces.check(&c, "r", &good, "REGISTER", 2_500),
            Verdict::Replayed,
            "no qop: the nonce is single-use"
        );
        let mut q = Credentials {
            nonce: nonces.issue(3_000),
            qop: Some("auth".into()),
            nc: Some("00000001".into()),
            cnonce: Some("abc".into()),
            ..c.clone()
        };
        q.response = response(&q, "secret1001", "REGISTER");
        assert_eq!(nonces.check(&q, "r", &good, "REGISTER", 3_100), Verdict::Ok);
        assert_eq!(
            nonces.check(&q, "r", &good, "REGISTER", 3_200),
            Verdict::Replayed,
            "the same nc again"
        );
        q.nc = Some("00000002".into());
        q.response = response(&q, "secret1001", "REGISTER");
        assert_eq!(nonces.check(&q, "r", &good, "REGISTER", 3_300), Verdict::Ok);
        q.nc = Some("zz".into());
        q.response = response(&q, "secret1001", "REGISTER");
        assert_eq!(
            nonces.check(&q, "r", &good, "REGISTER", 3_400),
            Verdict::Refused
        );
    }
}
