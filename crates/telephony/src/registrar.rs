//! Where each extension's phones are: REGISTER bindings (RFC 3261 §10) with their expiry,
//! several contacts per extension. Pure: times are given, nothing here reads a clock.

use std::collections::HashMap;
use std::net::SocketAddr;

/// Shortest registration accepted (a shorter non-zero one gets 423 Interval Too Brief).
pub const MIN_EXPIRES: u32 = 60;
/// Longest granted; phones asking more are told this.
pub const MAX_EXPIRES: u32 = 3_600;
/// Granted when the phone names none.
pub const DEFAULT_EXPIRES: u32 = 3_600;
/// Phones one extension may have registered at once (desk phone, softphone, mobile…): a
/// stolen password cannot fork the extension's calls to any number of places.
pub const MAX_CONTACTS: usize = 10;

/// An extension: the tenant it belongs to and its number there.
pub type Extension = (i64, String);

/// One registered phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI the phone gave (where to send INVITEs).
    pub contact: String,
    /// The address the REGISTER came from; requests go there (the phone may be behind NAT).
    pub source: SocketAddr,
    /// The transport it registered over (`udp`, `tcp`).
    pub transport: &'static str,
    pub expires_at_ms: i64,
    /// The user the extension belongs to (the agent).
    pub user: i64,
    /// The REGISTER's Call-ID and CSeq, to tell a late one from a newer one.
    pub call_id: String,
    pub cseq: u32,
}

/// A contact in a REGISTER, as the phone wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdate {
    pub contact: String,
    /// The contact's own `expires` parameter, else the request's Expires header.
    pub expires: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("registration interval too brief; at least {MIN_EXPIRES} s")]
    TooBrief,
    #[error("an older REGISTER arrived after a newer one")]
    OutOfOrder,
    #[error("`Contact: *` is only allowed with Expires: 0")]
    BadWildcard,
    #[error("at most {MAX_CONTACTS} phones per extension")]
    TooManyContacts,
}

/// A REGISTER, once authenticated.
#[derive(Debug, Clone)]
pub struct Register<'a> {
    pub user: i64,
    pub source: SocketAddr,
    pub transport: &'static str,
    pub call_id: &'a str,
    pub cseq: u32,
    /// `None` for `Contact: *`.
    pub contacts: Option<Vec<ContactUpdate>>,
    pub expires: Option<u32>,
}

#[derive(Debug, Default)]
pub struct Registrar {
    bindings: HashMap<Extension, Vec<Binding>>,
}

impl Registrar {
    pub fn new() -> Registrar {
        Registrar::default()
    }

    /// Applies a REGISTER and returns the extension's bindings now (for the 200's Contacts).
    /// A query (no Contact) changes nothing.
    pub fn register(
        &mut self,
        now_ms: i64,
        ext: &Extension,
        req: &Register<'_>,
    ) -> Result<Vec<Binding>, RegisterError> {
        self.expire(now_ms);
        let list = self.bindings.entry(ext.clone()).or_default();
        let Some(contacts) = &req.contacts else {
            if req.expires != Some(0) {
                return Err(RegisterError::BadWildcard);
            }
            list.clear();
            self.bindings.remove(ext);
            return Ok(Vec::new());
        };
        for c in contacts {
            let wanted = c.expires.or(req.expires).unwrap_or(DEFAULT_EXPIRES);
            if wanted != 0 && wanted < MIN_EXPIRES {
                return Err(RegisterError::TooBrief);
            }
            if let Some(b) = list.iter().find(|b| b.contact == c.contact)
                && b.call_id == req.call_id
                && b.cseq >= req.cseq
            {
                return Err(RegisterError::OutOfOrder);
            }
        }
        let added = contacts
            .iter()
            .filter(|c| c.expires.or(req.expires) != Some(0))
            .filter(|c| list.iter().all(|b| b.contact != c.contact))
            .count();
        if list.len() + added > MAX_CONTACTS {
            return Err(RegisterError::TooManyContacts);
        }
        for c in contacts {
            let wanted = c.expires.or(req.expires).unwrap_or(DEFAULT_EXPIRES);
            list.retain(|b| b.contact != c.contact);
            if wanted > 0 {
                list.push(Binding {
                    contact: c.contact.clone(),
                    source: req.source,
                    transport: req.transport,
                    expires_at_ms: now_ms + i64::from(wanted.min(MAX_EXPIRES)) * 1000,
                    user: req.user,
                    call_id: req.call_id.to_string(),
                    cseq: req.cseq,
                });
            }
        }
        let now = list.clone();
        if list.is_empty() {
            self.bindings.remove(ext);
        }
        Ok(now)
    }

    /// Puts back a binding kept across a restart (one already expired is not).
    pub fn restore(&mut self, now_ms: i64, ext: Extension, b: Binding) {
        if b.expires_at_ms <= now_ms {
            return;
        }
        let list = self.bindings.entry(ext).or_default();
        list.retain(|old| old.contact != b.contact);
        if list.len() < MAX_CONTACTS {
            list.push(b);
        }
    }

    /// Drops every binding of a user (deactivated): the extensions they had.
    pub fn forget_user(&mut self, tenant: i64, user: i64) -> Vec<Extension> {
        let mut gone = Vec::new();
        self.bindings.retain(|ext, list| {
            let before = list.len();
            list.retain(|b| !(ext.0 == tenant && b.user == user));
            if list.len() != before {
                gone.push(ext.clone());
            }
            !list.is_empty()
        });
        gone
    }

    /// Drops bindings past their expiry; returns the (tenant, user) of extensions left
    /// with none.
    pub fn expire(&mut self, now_ms: i64) -> Vec<(i64, i64)> {
        let mut gone = Vec::new();
        self.bindings.retain(|ext, list| {
            let user = list.first().map(|b| b.user);
            list.retain(|b| b.expires_at_ms > now_ms);
            if let Some(user) = user
                && list.is_empty()
            {
                gone.push((ext.0, user));
            }
            !list.is_empty()
        });
        gone
    }

    /// The phones of an extension, newest registration last.
    pub fn contacts(&self, ext: &Extension) -> &[Binding] {
        self.bindings.get(ext).map_or(&[], Vec::as_slice)
    }

    /// The phones of a user (an agent may only have one extension, but look by user).
    pub fn of_user(&self, tenant: i64, user: i64) -> Vec<&Binding> {
        self.bindings
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .flat_map(|(_, l)| l.iter())
            .filter(|b| b.user == user)
            .collect()
    }

    /// Whether any phone is registered from this address.
    pub fn has_source(&self, ip: std::net::IpAddr) -> bool {
        self.bindings
            .values()
            .flatten()
            .any(|b| b.source.ip() == ip)
    }

    /// When the next binding expires.
    pub fn next_expiry(&self) -> Option<i64> {
        self.bindings
            .values()
            .flat_map(|l| l.iter().map(|b| b.expires_at_ms))
            .min()
    }

    pub fn len(&self) -> usize {
        self.bindings.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(
        call_id: &'a str,
        cseq: u32,
        contacts: &[(&str, Option<u32>)],
        expires: Option<u32>,
    ) -> Register<'a> {
        Register {
            user: 7,
            source: "127.0.0.1:5070".parse().unwrap(),
            transport: "udp",
            call_id,
            cseq,
            contacts: Some(
                contacts
                    .iter()
                    .map(|(c, e)| ContactUpdate {
                        contact: (*c).into(),
                        expires: *e,
                    })
                    .collect(),
            ),
            expires,
        }
    }

    /// Issue 20: one extension cannot have more than [`MAX_CONTACTS`] phones; refreshing
    /// or removing one of them still works at the cap.
    #[test]
    fn issue_20_an_extension_has_a_cap_on_its_phones() {
        let mut r = Registrar::new();
        let ext = (1, "1001".to_string());
        for i in 0..MAX_CONTACTS {
            let c = format!("sip:1001@phone{i}");
            r.register(0, &ext, &req("a", i as u32 + 1, &[(&c, None)], None))
                .unwrap();
        }
        assert_eq!(
            r.register(0, &ext, &req("a", 99, &[("sip:1001@attacker", None)], None)),
            Err(RegisterError::TooManyContacts)
        );
        assert_eq!(r.contacts(&ext).len(), MAX_CONTACTS);
        r.register(1, &ext, &req("a", 100, &[("sip:1001@phone0", None)], None))
            .unwrap();
        r.register(
            1,
            &ext,
            &req("a", 101, &[("sip:1001@phone1", Some(0))], None),
        )
        .unwrap();
        assert_eq!(r.contacts(&ext).len(), MAX_CONTACTS - 1);
        assert_eq!(r.forget_user(1, 7), vec![ext.clone()]);
        assert!(r.is_empty());
    }

    #[test]
    fn several_phones_refresh_and_expire() {
        let mut r = Registrar::new();
        let ext = (1, "1001".to_string());
        r.register(0, &ext, &req("a", 1, &[("sip:1001@desk", None)], Some(120)))
            .unwrap();
        let now = r
            .register(
                1_000,
                &ext,
                &req("b", 1, &[("sip:1001@mobile", Some(600))], None),
            )
            .unwrap();
        assert_eq!(now.len(), 2);
        assert_eq!(r.of_user(1, 7).len(), 2);
        assert!(r.of_user(2, 7).is_empty());
        // Refresh the desk phone; the mobile keeps its own expiry.
        r.register(
            100_000,
            &ext,
            &req("a", 2, &[("sip:1001@desk", None)], Some(120)),
        )
        .unwrap();
        assert_eq!(r.contacts(&ext)[1].expires_at_ms, 220_000);
        assert_eq!(r.next_expiry(), Some(220_000));
        assert!(r.expire(220_000).is_empty());
        assert_eq!(r.contacts(&ext).len(), 1);
        assert_eq!(r.expire(601_000), vec![(1, 7)]);
        assert!(r.is_empty());
    }

    #[test]
    fn unregister_one_or_all() {
        let mut r = Registrar::new();
        let ext = (1, "1001".to_string());
        r.register(
            0,
            &ext,
            &req("a", 1, &[("sip:x", None), ("sip:y", None)], None),
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        r.register(0, &ext, &req("a", 2, &[("sip:x", Some(0))], None))
            .unwrap();
        assert_eq!(r.len(), 1);
        let mut all = req("a", 3, &[], Some(0));
        all.contacts = None;
        assert!(r.register(0, &ext, &all).unwrap().is_empty());
        assert!(r.is_empty());
    }

    #[test]
    fn refuses_brief_stale_and_bad_wildcards() {
        let mut r = Registrar::new();
        let ext = (1, "1001".to_string());
        assert_eq!(
            r.register(0, &ext, &req("a", 1, &[("sip:x", Some(10))], None)),
            Err(RegisterError::TooBrief)
        );
        r.register(0, &ext, &req("a", 5, &[("sip:x", None)], None))
            .unwrap();
        assert_eq!(
            r.register(0, &ext, &req("a", 4, &[("sip:x", None)], None)),
            Err(RegisterError::OutOfOrder)
        );
        let mut all = req("a", 6, &[], Some(60));
        all.contacts = None;
        assert_eq!(r.register(0, &ext, &all), Err(RegisterError::BadWildcard));
        // Large requests are granted the maximum.
        r.register(0, &ext, &req("a", 7, &[("sip:x", Some(99_999))], None))
            .unwrap();
        assert_eq!(
            r.contacts(&ext)[0].expires_at_ms,
            i64::from(MAX_EXPIRES) * 1000
        );
    }
}
