//! HTTP digest authentication as SIP uses it (RFC 3261 §22, RFC 2617, MD5), server side:
//! challenges with nonces that carry their own issue time and a keyed hash, so checking
//! one needs no table and a forged or old nonce is refused.

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

/// The response a client with `password` computes for `method` (RFC 2617 §3.2.2).
pub fn response(c: &Credentials, password: &str, method: &str) -> String {
    let ha1 = md5_hex(&[&c.username, &c.realm, password]);
    let ha2 = md5_hex(&[method, &c.uri]);
    match (&c.qop, &c.nc, &c.cnonce) {
        (Some(qop), Some(nc), Some(cnonce)) => md5_hex(&[&ha1, &c.nonce, nc, cnonce, qop, &ha2]),
        _ => md5_hex(&[&ha1, &c.nonce, &ha2]),
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The right password on an expired nonce: challenge again with `stale=true`.
    Stale,
    /// Wrong password, a nonce we did not issue, or another realm.
    Refused,
}

/// Issues and checks nonces under a secret key.
#[derive(Debug, Clone)]
pub struct Nonces {
    key: [u8; 32],
}

impl Nonces {
    pub fn new(key: [u8; 32]) -> Nonces {
        Nonces { key }
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Nonces {
        let mut key = [0; 32];
        // Without randomness the nonces are still unforgeable per boot time; never panics.
        if getrandom::fill(&mut key).is_err() {
            key[..16].copy_from_slice(&std::process::id().to_le_bytes().repeat(4));
        }
        Nonces { key }
    }

    fn tag(&self, issued_ms: i64) -> String {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(issued_ms.to_be_bytes());
        hex(&h.finalize()[..12])
    }

    pub fn issue(&self, now_ms: i64) -> String {
        format!("{now_ms:x}.{}", self.tag(now_ms))
    }

    /// The `WWW-Authenticate` value of a challenge.
    pub fn challenge(&self, realm: &str, now_ms: i64, stale: bool) -> String {
        format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", algorithm=MD5, qop=\"auth\"{}",
            self.issue(now_ms),
            if stale { ", stale=true" } else { "" }
        )
    }

    /// Checks credentials for `method` against the user's `password` in `realm`.
    pub fn check(
        &self,
        c: &Credentials,
        realm: &str,
        password: &str,
        method: &str,
        now_ms: i64,
    ) -> Verdict {
        let issued = c.nonce.split_once('.').and_then(|(t, tag)| {
            let t = i64::from_str_radix(t, 16).ok()?;
            (self.tag(t) == tag).then_some(t)
        });
        let Some(issued) = issued else {
            return Verdict::Refused;
        };
        let md5 = c
            .algorithm
            .as_deref()
            .is_none_or(|a| a.eq_ignore_ascii_case("md5"));
        if c.realm != realm || !md5 || response(c, password, method) != c.response {
            return Verdict::Refused;
        }
        if now_ms - issued > NONCE_LIFETIME_MS || issued > now_ms + 60_000 {
            return Verdict::Stale;
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
        assert_eq!(
            nonces.check(&c, "r", "secret1001", "REGISTER", 2_000),
            Verdict::Ok
        );
        assert_eq!(
            nonces.check(&c, "r", "wrong", "REGISTER", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(&c, "r", "secret1001", "INVITE", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(&c, "other", "secret1001", "REGISTER", 2_000),
            Verdict::Refused
        );
        assert_eq!(
            nonces.check(
                &c,
                "r",
                "secret1001",
                "REGISTER",
                1_000 + NONCE_LIFETIME_MS + 1
            ),
            Verdict::Stale
        );
        let forged = Nonces::new([8; 32]);
        assert_eq!(
            forged.check(&c, "r", "secret1001", "REGISTER", 2_000),
            Verdict::Refused
        );
    }
}
