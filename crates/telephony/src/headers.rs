//! Values of the SIP headers we read ourselves, from untrusted bytes: the contacts of a
//! REGISTER and the target of a REFER. Pure functions, fuzzed (`fuzz/`).

use crate::registrar::ContactUpdate;

/// The contacts of one Contact header value: `<sip:a@b>;expires=60, "x" <sip:c@d>`.
pub fn contacts(value: &str) -> Vec<ContactUpdate> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.trim().is_empty() {
        let (uri, params, tail) = if let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                break;
            };
            let uri = &rest[open + 1..open + close];
            let after = &rest[open + close + 1..];
            let end = after.find(',').unwrap_or(after.len());
            (uri, &after[..end], &after[end..])
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let part = &rest[..end];
            let (uri, params) = part.split_once(';').unwrap_or((part, ""));
            (uri.trim(), params, &rest[end..])
        };
        let expires = params
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("expires"))
            .and_then(|(_, v)| v.trim().parse().ok());
        if !uri.is_empty() {
            out.push(ContactUpdate {
                contact: uri.to_string(),
                expires,
            });
        }
        rest = tail.trim_start_matches(',');
    }
    out
}

/// The user part of a Refer-To value (`<sip:1002@host;transport=udp>` → `1002`).
pub fn refer_target(value: &str) -> Option<String> {
    let v = value.trim();
    let v = v.find('<').map_or(v, |open| {
        let rest = &v[open + 1..];
        &rest[..rest.find('>').unwrap_or(rest.len())]
    });
    let v = v
        .strip_prefix("sips:")
        .or_else(|| v.strip_prefix("sip:"))
        .or_else(|| v.strip_prefix("tel:"))?;
    let user = v.split(['@', ';', '?', '>']).next()?.trim();
    (!user.is_empty() && user.len() <= 64).then(|| user.to_string())
}

/// The address of a SIP URI whose host is an IP address (`sip:1001@10.0.0.2:5062;…` →
/// 10.0.0.2:5062, port 5060 if none); `None` for a domain name.
pub fn uri_addr(uri: &str) -> Option<std::net::SocketAddr> {
    let rest = uri
        .trim()
        .strip_prefix("sip:")
        .or_else(|| uri.trim().strip_prefix("sips:"))?;
    let hostport = rest.split([';', '?', '>']).next()?;
    let hostport = hostport.rsplit_once('@').map_or(hostport, |(_, h)| h);
    if let Ok(addr) = hostport.parse() {
        return Some(addr);
    }
    let host = hostport.trim_start_matches('[').trim_end_matches(']');
    host.parse()
        .ok()
        .map(|ip| std::net::SocketAddr::new(ip, 5060))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_of_a_uri() {
        let a = |s: &str| uri_addr(s).map(|a| a.to_string());
        assert_eq!(
            a("sip:1001@10.0.0.2:5062;transport=udp").as_deref(),
            Some("10.0.0.2:5062")
        );
        assert_eq!(a("sip:1001@10.0.0.2").as_deref(), Some("10.0.0.2:5060"));
        assert_eq!(a("sip:[::1]:5070").as_deref(), Some("[::1]:5070"));
        assert_eq!(a("sip:1001@[::1]").as_deref(), Some("[::1]:5060"));
        assert_eq!(a("sip:1001@desk.example"), None);
        assert_eq!(a("tel:+8657196332"), None);
    }

    #[test]
    fn reads_contact_lists() {
        let c =
            contacts("<sip:1001@10.0.0.2:5062;transport=udp>;expires=60, \"Desk\" <sip:1001@desk>");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].contact, "sip:1001@10.0.0.2:5062;transport=udp");
        assert_eq!(c[0].expires, Some(60));
        assert_eq!(c[1].contact, "sip:1001@desk");
        assert_eq!(c[1].expires, None);
        let bare = contacts("sip:1001@10.0.0.2;expires=0");
        assert_eq!(bare[0].contact, "sip:1001@10.0.0.2");
        assert_eq!(bare[0].expires, Some(0));
    }

    #[test]
    fn refer_to_names_a_user() {
        assert_eq!(
            refer_target("<sip:1002@10.0.0.1:5060;transport=udp>").as_deref(),
            Some("1002")
        );
        assert_eq!(
            refer_target("sip:complaint@hotline").as_deref(),
            Some("complaint")
        );
        assert_eq!(
            refer_target("\"Expert\" <sip:expert@h?Replaces=x>").as_deref(),
            Some("expert")
        );
        assert_eq!(refer_target("<tel:+8610123>").as_deref(), Some("+8610123"));
        assert_eq!(refer_target("<sip:@host>"), None);
        assert_eq!(refer_target("<http://x>"), None);
        assert_eq!(refer_target(""), None);
    }
}
