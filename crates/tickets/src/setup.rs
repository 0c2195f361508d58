//! How a tenant sets up its work orders: the kinds of order it takes (咨询, 投诉, 报修…) with
//! their category trees, custom fields and time limits (SLA policies per customer segment),
//! and the handling groups (后台部门, 维修班组, 二线专家) with the orders each handles. These are
//! the stored documents' shapes; [`route`] chooses the group for an order and
//! [`OrderType::policy`] its time limits.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sla::Limit;

/// A kind of work order (工单类型).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderType {
    pub name_zh: String,
    pub name_en: String,
    /// Called back (回访) before it closes: complaints and repairs.
    pub callback_required: bool,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub fields: Vec<Field>,
    /// Time limits; the one for the customer's segment, else the one without a segment.
    #[serde(default)]
    pub policies: Vec<Policy>,
}

/// A node of a type's category tree; an order names a path of codes (`leak/main`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Category>,
}

/// A custom field of a type (a repair's meter number, the photos of a leak).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// For `choice`: the values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    Choice,
    Date,
}

/// The time limits (限时) of a type for a segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The customer segment this applies to (`key_account`); `None` for everyone else.
    #[serde(default)]
    pub segment: Option<String>,
    /// The business calendar working minutes and days are counted on; wall-clock limits
    /// need none. Without one the standard working week ([`standard_calendar`]).
    #[serde(default)]
    pub calendar: Option<String>,
    /// From dispatch to a handler taking it (接单).
    #[serde(default)]
    pub accept: Option<Limit>,
    /// From dispatch to the handler's first action (on the way, a note, waiting…).
    #[serde(default)]
    pub first_action: Option<Limit>,
    /// From intake to resolved (办结).
    #[serde(default)]
    pub resolve: Option<Limit>,
    /// Chase (催办) when this share of a limit is used; 0 for no warning.
    pub warn_percent: u8,
    /// Escalate to the managers when this share of a limit is used and it is still not met
    /// (150: half the limit again past the breach); 0 for no second escalation.
    #[serde(default = "default_escalate_percent")]
    pub escalate_percent: u16,
}

/// Half a limit again past its breach.
pub fn default_escalate_percent() -> u16 {
    150
}

/// Who handles orders: a back-office department, a field crew, second-line experts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub kind: GroupKind,
    /// Users who take its orders.
    pub members: Vec<u64>,
    /// The lead (组长) who reviews re-dispatch and hears of breaches.
    #[serde(default)]
    pub lead: Option<u64>,
    /// The orders it handles; the most specific match wins (see [`route`]).
    #[serde(default)]
    pub handles: Vec<Match>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    BackOffice,
    Crew,
    Expert,
}

/// A routing rule: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    #[serde(default)]
    pub order_type: Option<String>,
    /// A category path or its prefix: `leak` matches `leak/main`.
    #[serde(default)]
    pub category: Option<String>,
    /// A region or its prefix: `浙江省/杭州市` matches `浙江省/杭州市/西湖区`.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
}

/// What routing looks at of an order.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub order_type: &'a str,
    pub category: &'a str,
    pub region: &'a str,
    pub segment: Option<&'a str>,
}

/// Whether `path` is `prefix` or under it, by whole steps (`leak` covers `leak/main`, not
/// `leakage`).
pub fn covers(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    path == prefix
        || (path.starts_with(prefix) && path[prefix.len()..].starts_with('/'))
        || prefix.is_empty()
}

impl Match {
    /// How specific the match is if it holds: conditions given, then the depth of the
    /// region and category named; `None` if it does not hold.
    pub fn score(&self, f: &Facts) -> Option<(u8, usize, usize)> {
        let mut given = 0;
        if let Some(t) = &self.order_type {
            if t != f.order_type {
                return None;
            }
            given += 1;
        }
        let mut category_depth = 0;
        if let Some(c) = &self.category {
            if !covers(c, f.category) {
                return None;
            }
            given += 1;
            category_depth = c.split('/').filter(|s| !s.is_empty()).count();
        }
        let mut region_depth = 0;
        if let Some(r) = &self.region {
            if !covers(r, f.region) {
                return None;
            }
            given += 1;
            region_depth = r.split('/').filter(|s| !s.is_empty()).count();
        }
        if let Some(s) = &self.segment {
            if Some(s.as_str()) != f.segment {
                return None;
            }
            given += 1;
        }
        Some((given, region_depth, category_depth))
    }
}

/// The group an order goes to: the one with the most specific matching rule (most
/// conditions, then the deepest region, then the deepest category); among equals the first
/// by key, so the choice never depends on the order the groups were read in. `None` when no
/// rule matches: the order stays with the center to dispatch by hand.
pub fn route<'a>(groups: &'a BTreeMap<String, Group>, f: &Facts) -> Option<&'a str> {
    let mut best: Option<((u8, usize, usize), &str)> = None;
    for (key, g) in groups {
        for m in &g.handles {
            if let Some(s) = m.score(f)
                && best.is_none_or(|(b, _)| s > b)
            {
                best = Some((s, key));
            }
        }
    }
    best.map(|(_, k)| k)
}

impl OrderType {
    /// The time limits for a customer of `segment`: the segment's own policy, else the one
    /// for everyone; `None` if the type sets no limits.
    pub fn policy(&self, segment: Option<&str>) -> Option<&Policy> {
        segment
            .and_then(|s| {
                self.policies
                    .iter()
                    .find(|p| p.segment.as_deref() == Some(s))
            })
            .or_else(|| self.policies.iter().find(|p| p.segment.is_none()))
    }

    /// Whether `path` (`leak/main`) names a category of this type. A type without
    /// categories takes only the empty path.
    pub fn has_category(&self, path: &str) -> bool {
        let mut level = &self.categories;
        if path.is_empty() {
            return level.is_empty();
        }
        for step in path.split('/') {
            match level.iter().find(|c| c.code == step) {
                Some(c) => level = &c.children,
                None => return false,
            }
        }
        true
    }
}

/// The working week SLA limits count on when a policy names no calendar: Monday to Friday,
/// 08:30–12:00 and 13:30–17:30 in Beijing time, with China's statutory holidays and make-up
/// workdays.
pub fn standard_calendar() -> calendar::Calendar {
    static STANDARD: std::sync::OnceLock<calendar::Calendar> = std::sync::OnceLock::new();
    STANDARD.get_or_init(build_standard).clone()
}

fn build_standard() -> calendar::Calendar {
    let day = || vec!["08:30-12:00".to_string(), "13:30-17:30".to_string()];
    let spec = calendar::CalendarSpec {
        time_zone: "Asia/Shanghai".into(),
        weekly: [day(), day(), day(), day(), day(), Vec::new(), Vec::new()],
        cn_statutory: true,
        holidays: Vec::new(),
        workdays: Vec::new(),
        special: Vec::new(),
    };
    calendar::Calendar::new(&spec).expect("the standard calendar is valid")
}
