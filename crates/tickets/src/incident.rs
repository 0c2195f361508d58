//! Incidents (突发事件): a burst main, an area without water. An incident names the area
//! it affects — regions (`浙江省/杭州市/西湖区`) or the start of addresses (`文三路`) — and
//! when it is expected to end; callers from that area hear it before the IVR's menu and
//! agents see it at the screen pop, so the flood of identical calls a utility gets is
//! answered once, by the announcement.

use serde::{Deserialize, Serialize};

use crate::setup::covers;

/// An incident as a tenant keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// What it is, for agents and lists: `文三路爆管停水`.
    pub title: String,
    /// What callers from the area hear before the menu, and agents read at the pop:
    /// `文三路一带因水管爆裂停水，预计18点恢复供水，给您带来不便敬请谅解。`
    pub message: String,
    /// Regions affected, each a region or its prefix (`浙江省/杭州市/西湖区`).
    #[serde(default)]
    pub regions: Vec<String>,
    /// The beginnings of addresses affected (`文三路`, `西湖区文三路`): matched against
    /// the address as written from any level of its region down.
    #[serde(default)]
    pub address_prefixes: Vec<String>,
    pub starts_ms: i64,
    /// When service should be back. The incident stops being announced then, unless it is
    /// extended: a caller is never told a time already past.
    pub expected_end_ms: i64,
    /// Ended early (service restored), when.
    #[serde(default)]
    pub ended_ms: Option<i64>,
}

/// Where a caller is, as their customer record says.
#[derive(Debug, Clone, Copy, Default)]
pub struct Place<'a> {
    /// `省/市/区`, empty parts left out.
    pub region: &'a str,
    /// The address line.
    pub line: &'a str,
}

impl Incident {
    /// Whether it is going on at `now_ms`: started, and neither ended nor past its
    /// expected end.
    pub fn active(&self, now_ms: i64) -> bool {
        self.starts_ms <= now_ms
            && now_ms < self.expected_end_ms
            && self.ended_ms.is_none_or(|e| now_ms < e)
    }

    /// Whether a caller from `place` is in its area: their region within one of its
    /// regions, or their address starting with one of its prefixes (spaces ignored).
    pub fn affects(&self, place: Place<'_>) -> bool {
        let region = place.region.trim_matches('/');
        if !region.is_empty()
            && self
                .regions
                .iter()
                .any(|r| !r.trim_matches('/').is_empty() && covers(r.trim_matches('/'), region))
        {
            return true;
        }
        // The address as written from any level down: `清泰街9号`, `上城区清泰街9号`,
        // `杭州市上城区清泰街9号`, `浙江省杭州市上城区清泰街9号`.
        // A line may repeat the region itself (`浙江省杭州市西湖区文三路1号`): its street
        // starts after it.
        let parts: Vec<&str> = region.split('/').filter(|p| !p.is_empty()).collect();
        let mut line = squash(place.line);
        for p in &parts {
            if let Some(rest) = line.strip_prefix(p) {
                line = rest.to_string();
            }
        }
        let written: Vec<String> = (0..=parts.len())
            .map(|from| format!("{}{}", squash(&parts[from..].concat()), line))
            .filter(|w| !w.is_empty())
            .collect();
        self.address_prefixes
            .iter()
            .map(|p| squash(p))
            .any(|p| !p.is_empty() && written.iter().any(|w| w.starts_with(&p)))
    }
}

/// Without whitespace (full-width spaces too), as addresses are written every which way.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The incidents going on at `now_ms` that affect a caller from `place`, by key, in key
/// order (the order callers hear them in).
pub fn affecting<'a>(
    incidents: &'a [(String, Incident)],
    now_ms: i64,
    place: Place<'_>,
) -> Vec<&'a (String, Incident)> {
    let mut found: Vec<_> = incidents
        .iter()
        .filter(|(_, i)| i.active(now_ms) && i.affects(place))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The IVR node that announces an incident: `incident:{key}`. Counting the calls that
/// reached it counts the callers who heard it.
pub fn node(key: &str) -> String {
    format!("incident:{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burst() -> Incident {
        Incident {
            title: "文三路爆管".into(),
            message: "停水".into(),
            regions: vec!["浙江省/杭州市/西湖区".into()],
            address_prefixes: vec!["上城区 清泰街".into()],
            starts_ms: 1_000,
            expected_end_ms: 5_000,
            ended_ms: None,
        }
    }

    #[test]
    fn active_between_its_start_and_its_expected_or_actual_end() {
        let mut i = burst();
        assert!(!i.active(999));
        assert!(i.active(1_000));
        assert!(i.active(4_999));
        assert!(
            !i.active(5_000),
            "never announced past the time it promises"
        );
        i.ended_ms = Some(2_000);
        assert!(i.active(1_999));
        assert!(!i.active(2_000));
    }

    #[test]
    fn affects_callers_of_its_regions_and_addresses() {
        let i = burst();
        let at = |region, line| i.affects(Place { region, line });
        assert!(at("浙江省/杭州市/西湖区", "文三路 1 号"));
        assert!(at("浙江省/杭州市/西湖区/文新街道", ""), "a sub-region");
        assert!(
            !at("浙江省/杭州市/西湖", ""),
            "a prefix of a name is not the region"
        );
        assert!(
            !at("浙江省/杭州市", ""),
            "the city is wider than the district"
        );
        assert!(at("", "上城区清泰街 9 号"), "by address, spaces ignored");
        assert!(
            at("浙江省/杭州市/上城区", "清泰街 9 号"),
            "by the whole address"
        );
        assert!(!at("浙江省/杭州市/上城区", "解放路 9 号"));
        assert!(
            at("浙江省/杭州市/上城区", "浙江省杭州市上城区清泰街 9 号"),
            "a line that repeats its region"
        );
        assert!(!at("", ""), "nowhere is in no area");
    }

    #[test]
    fn empty_regions_and_prefixes_affect_nobody() {
        let mut i = burst();
        i.regions = vec!["".into(), "/".into()];
        i.address_prefixes = vec![" ".into()];
        assert!(!i.affects(Place {
            region: "浙江省/杭州市/西湖区",
            line: "文三路"
        }));
    }

    #[test]
    fn affecting_lists_active_ones_in_key_order() {
        let mut later = burst();
        later.starts_ms = 3_000;
        let list = vec![
            ("b".to_string(), burst()),
            ("a".to_string(), burst()),
            ("c".to_string(), later),
        ];
        let place = Place {
            region: "浙江省/杭州市/西湖区",
            line: "",
        };
        let keys: Vec<_> = affecting(&list, 2_000, place)
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(affecting(&list, 3_000, place).len(), 3);
    }
}
