//! The contact center's configuration as stored documents: skills, queues, teams, agents'
//! routing profiles, calendars, IVR flows and the center's settings, and what each becomes
//! in the routing engine. These types are the store's format, not the API's: the HTTP edge
//! has its own wire types and converts them, so a field renamed on the wire does not break
//! what is stored. Field names and shapes are those the documents have always had; the
//! tests of [`crate::configure`] keep old documents loading.
//!
//! Pure: what a document needs of the running center (which skills and queues exist, which
//! calendars are open) comes through [`Names`]. How documents are checked, written and
//! applied is [`crate::configure`].

use std::time::Duration;

use acd::{
    AgentConfig, Channel, NobodyLoggedIn, Overflow, QueueConfig, QueueId, RelaxStep, SkillId,
    SkillReq, Strategy,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{AppError, AppResult};

/// What converting a document to the engine's configuration needs of the running center.
pub trait Names {
    fn skill_id(&self, key: &str) -> Option<SkillId>;
    fn queue_id(&self, key: &str) -> Option<QueueId>;
    /// Whether the calendar is open now; `None` if there is no such calendar.
    fn is_open(&self, calendar: &str) -> Option<bool>;
}

/// A kind of stored document: its name in the store, and what people call it.
pub trait Document: Serialize + DeserializeOwned {
    /// The store's kind: `queue`.
    const KIND: &'static str;
    /// For "not found": `queue`, `agent profile`.
    const WHAT: &'static str;
}

/// Reads a stored document of kind `D`; one that does not parse says which it is.
pub fn parse<D: Document>(item: &store::ConfigItem) -> AppResult<D> {
    serde_json::from_value(item.data.clone()).map_err(|e| {
        AppError::Internal(format!(
            "the stored {} `{}` does not parse: {e}",
            D::KIND,
            item.key
        ))
    })
}

macro_rules! document {
    ($($t:ty = $kind:literal, $what:literal;)*) => {
        $(impl Document for $t {
            const KIND: &'static str = $kind;
            const WHAT: &'static str = $what;
        })*
    };
}

document! {
    Skill = "skill", "skill";
    Queue = "queue", "queue";
    Team = "team", "team";
    Agent = "agent", "agent profile";
    Calendar = "calendar", "calendar";
    IvrFlow = "ivr_flow", "IVR flow";
    CenterSettings = "settings", "settings";
    DealerRegions = "dealer", "dealer's regions";
    tickets::OrderType = "order_type", "order type";
    tickets::Group = "handling_group", "handling group";
    Integration = "integration", "integration";
    tickets::Incident = "incident", "incident";
}

/// The IVR flow (by key) a caller is passed to when the agent hangs up, if the tenant has
/// one: the satisfaction survey, whose `score` variable (collected, 1–5) is the verdict.
pub const SURVEY_FLOW: &str = "survey";

/// The first node a survey may not have: one that would hand the call on (to a queue,
/// voicemail, a callback, another number) after its agent's part has ended.
pub fn survey_refuses(flow: &ivr::Flow) -> Option<&str> {
    flow.nodes
        .iter()
        .find(|(_, n)| {
            matches!(
                n,
                ivr::Node::Queue { .. }
                    | ivr::Node::Voicemail { .. }
                    | ivr::Node::Callback { .. }
                    | ivr::Node::Transfer { .. }
            )
        })
        .map(|(k, _)| k.as_str())
}

// ----- business systems ------------------------------------------------------------------------

/// A business system (营业 billing, 报装 installation) that sends work orders to the
/// center's webhook, signing each with its shared secret (HMAC-SHA256). The secret is kept
/// to check signatures and never read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Integration {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

// ----- skills ---------------------------------------------------------------------------------

/// A skill (技能): what a queue needs and an agent has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
}

/// The longest name a configuration document may have, in characters: room for a Chinese
/// and an English name side by side (`报修 Repairs`).
pub const MAX_NAME_CHARS: usize = 60;

/// A document's name: not empty. What the engine checks when it loads documents, so those
/// saved before the limits below still load.
pub(crate) fn not_empty(name: &str) -> AppResult<()> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "must not be empty"));
    }
    Ok(())
}

/// A name being saved: not empty, at most [`MAX_NAME_CHARS`], no control characters.
pub(crate) fn check_name(name: &str) -> AppResult<()> {
    not_empty(name)?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid("name", "no control characters"));
    }
    Ok(())
}

// ----- queues ---------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillNeed {
    pub skill: String,
    pub min: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relax {
    pub after: f64,
    pub min_proficiency: Option<u8>,
    pub fallback: Option<Vec<SkillNeed>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverflowTo {
    /// `queue`, `voicemail`, `callback` or `disconnect`.
    pub to: String,
    pub queue: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceleration {
    pub per_second: u32,
    pub cap: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Announce {
    /// Seconds between announcements.
    pub every: f64,
    pub position: Option<bool>,
    pub wait: Option<bool>,
}

/// A queue (技能组), durations in seconds; what is left out takes the engine's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    pub name: String,
    pub channel: Option<String>,
    #[serde(default)]
    pub skills: Vec<SkillNeed>,
    #[serde(default)]
    pub relax: Vec<Relax>,
    pub strategy: Option<String>,
    pub priority: Option<i32>,
    pub acceleration: Option<Acceleration>,
    pub service_level: Option<f64>,
    pub service_time: Option<f64>,
    pub wrap_up: Option<f64>,
    pub ring_timeout: Option<f64>,
    pub max_wait: Option<f64>,
    pub max_size: Option<u32>,
    pub overflow: Option<OverflowTo>,
    pub nobody_logged_in: Option<String>,
    pub sticky: Option<f64>,
    pub open: Option<bool>,
    pub calendar: Option<String>,
    pub announce: Option<Announce>,
}

fn seconds(field: &str, v: Option<f64>, default: Duration) -> AppResult<Duration> {
    match v {
        None => Ok(default),
        Some(s) if s.is_finite() && (0.0..=7.0 * 86_400.0).contains(&s) => {
            Ok(Duration::from_secs_f64(s))
        }
        Some(_) => Err(AppError::invalid(field, "seconds, from 0 to a week")),
    }
}

fn named<T: DeserializeOwned>(field: &str, v: &str, choices: &str) -> AppResult<T> {
    serde_json::from_value(Value::String(v.into()))
        .map_err(|_| AppError::invalid(field, format!("one of {choices}")))
}

fn needs(c: &impl Names, field: &str, list: &[SkillNeed]) -> AppResult<Vec<SkillReq>> {
    list.iter()
        .enumerate()
        .map(|(i, n)| {
            let skill = c.skill_id(&n.skill).ok_or_else(|| {
                AppError::invalid(
                    format!("{field}[{i}].skill"),
                    format!("no skill `{}`", n.skill),
                )
            })?;
            if !(1..=10).contains(&n.min) {
                return Err(AppError::invalid(format!("{field}[{i}].min"), "1 to 10"));
            }
            Ok(SkillReq { skill, min: n.min })
        })
        .collect()
}

impl Queue {
    /// The engine's configuration of the queue `key`, its calendar applied; the engine
    /// checks it against its state ([`crate::center::Center::queue_config`]).
    pub fn engine_config(&self, key: &str, c: &impl Names) -> AppResult<QueueConfig> {
        let q = self;
        not_empty(&q.name)?;
        let d = QueueConfig::default();
        let overflow = match &q.overflow {
            None => d.overflow,
            Some(o) => match o.to.as_str() {
                "queue" => {
                    let target = o
                        .queue
                        .as_deref()
                        .ok_or_else(|| AppError::invalid("overflow.queue", "name the queue"))?;
                    if target == key {
                        return Err(AppError::invalid(
                            "overflow.queue",
                            "a queue cannot overflow into itself",
                        ));
                    }
                    Overflow::Queue(c.queue_id(target).ok_or_else(|| {
                        AppError::invalid("overflow.queue", format!("no queue `{target}`"))
                    })?)
                }
                "voicemail" => Overflow::Voicemail,
                "callback" => Overflow::Callback,
                "disconnect" => Overflow::Disconnect,
                _ => {
                    return Err(AppError::invalid(
                        "overflow.to",
                        "one of queue, voicemail, callback, disconnect",
                    ));
                }
            },
        };
        let mut relax = Vec::new();
        for (i, r) in q.relax.iter().enumerate() {
            let after = seconds(&format!("relax[{i}].after"), Some(r.after), Duration::ZERO)?;
            let step = match (r.min_proficiency, &r.fallback) {
                (Some(m), None) => RelaxStep::MinProficiency(m),
                (None, Some(f)) => {
                    RelaxStep::Fallback(needs(c, &format!("relax[{i}].fallback"), f)?)
                }
                _ => {
                    return Err(AppError::invalid(
                        format!("relax[{i}]"),
                        "give either min_proficiency or fallback",
                    ));
                }
            };
            relax.push(acd::Relax { after, step });
        }
        let cfg = QueueConfig {
            channel: match &q.channel {
                Some(ch) => named::<Channel>("channel", ch, "voice, chat, email")?,
                None => d.channel,
            },
            skills: needs(c, "skills", &q.skills)?,
            relax,
            strategy: match &q.strategy {
                Some(s) => named::<Strategy>(
                    "strategy",
                    s,
                    "longest_idle, fewest_calls, least_talk_time, best_proficiency, round_robin, ring_all",
                )?,
                None => d.strategy,
            },
            priority: q.priority.unwrap_or(d.priority),
            acceleration: q
                .acceleration
                .as_ref()
                .map_or(acd::Acceleration::default(), |a| acd::Acceleration {
                    per_second: a.per_second,
                    cap: a.cap,
                }),
            service_level: match q.service_level {
                None => d.service_level,
                Some(x) if (0.0..=1.0).contains(&x) => x,
                Some(_) => {
                    return Err(AppError::invalid("service_level", "a fraction from 0 to 1"));
                }
            },
            service_time: seconds("service_time", q.service_time, d.service_time)?,
            wrap_up: seconds("wrap_up", q.wrap_up, d.wrap_up)?,
            ring_timeout: seconds("ring_timeout", q.ring_timeout, d.ring_timeout)?,
            max_wait: q
                .max_wait
                .map(|s| seconds("max_wait", Some(s), Duration::ZERO))
                .transpose()?,
            max_size: q.max_size,
            overflow,
            nobody_logged_in: match &q.nobody_logged_in {
                Some(n) => named::<NobodyLoggedIn>("nobody_logged_in", n, "wait, overflow")?,
                None => d.nobody_logged_in,
            },
            sticky: q
                .sticky
                .map(|s| seconds("sticky", Some(s), Duration::ZERO))
                .transpose()?,
            open: q.open.unwrap_or(true)
                && match &q.calendar {
                    None => true,
                    Some(k) => c.is_open(k).ok_or_else(|| {
                        AppError::invalid("calendar", format!("no calendar `{k}`"))
                    })?,
                },
        };
        announcements(q)?;
        Ok(cfg)
    }
}

/// The queue's announcements to waiting callers, if it makes them.
pub fn announcements(q: &Queue) -> AppResult<Option<telephony::Announce>> {
    let Some(a) = &q.announce else {
        return Ok(None);
    };
    if !(a.every.is_finite() && (15.0..=600.0).contains(&a.every)) {
        return Err(AppError::invalid(
            "announce.every",
            "seconds, from 15 to 600",
        ));
    }
    let (position, wait) = (a.position.unwrap_or(true), a.wait.unwrap_or(true));
    if !position && !wait {
        return Err(AppError::invalid(
            "announce",
            "say the position, the wait or both",
        ));
    }
    Ok(Some(telephony::Announce {
        every: Duration::from_secs_f64(a.every),
        position,
        wait,
    }))
}

// ----- teams ----------------------------------------------------------------------------------

/// A team (班组): its lead and members, by user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub name: String,
    pub leader: Option<i64>,
    #[serde(default)]
    pub members: Vec<i64>,
}

// ----- agents' routing profiles ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkillLevel {
    pub skill: String,
    pub proficiency: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    pub voice: u8,
    pub chat: u8,
    pub email: u8,
}

/// An agent's routing profile, keyed by the user's id: extension, SIP credentials, skills,
/// queues, capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub extension: String,
    /// Given to set the password; never stored ([`Agent::sip_secret`] is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_password: Option<String>,
    /// What is kept of the SIP password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_secret: Option<SipSecret>,
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    #[serde(default)]
    pub queues: Vec<String>,
    pub capacity: Option<Capacity>,
}

/// What is kept of an extension's SIP password: its digest HA1, good only for this realm
/// (the tenant's SIP domain) and this extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SipSecret {
    pub realm: String,
    pub extension: String,
    /// `MD5(extension:realm:password)`, hex.
    pub ha1: String,
}

impl SipSecret {
    pub fn new(extension: &str, realm: &str, password: &str) -> SipSecret {
        SipSecret {
            realm: realm.to_string(),
            extension: extension.to_string(),
            ha1: telephony::digest::ha1(extension, realm, password),
        }
    }
}

impl Agent {
    /// The engine's configuration of the agent; the engine checks it against its state
    /// ([`crate::center::Center::agent_config`]).
    pub fn engine_config(&self, c: &impl Names) -> AppResult<AgentConfig> {
        let a = self;
        if a.extension.is_empty()
            || a.extension.len() > 16
            || !a.extension.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(AppError::invalid("extension", "1 to 16 digits"));
        }
        if let Some(p) = &a.sip_password
            && !(8..=128).contains(&p.chars().count())
        {
            return Err(AppError::invalid("sip_password", "8 to 128 characters"));
        }
        let mut skills = Vec::new();
        for (i, s) in a.skills.iter().enumerate() {
            let id = c.skill_id(&s.skill).ok_or_else(|| {
                AppError::invalid(
                    format!("skills[{i}].skill"),
                    format!("no skill `{}`", s.skill),
                )
            })?;
            if !(1..=10).contains(&s.proficiency) {
                return Err(AppError::invalid(
                    format!("skills[{i}].proficiency"),
                    "1 to 10",
                ));
            }
            skills.push((id, s.proficiency));
        }
        let mut queues = Vec::new();
        for (i, q) in a.queues.iter().enumerate() {
            queues.push(c.queue_id(q).ok_or_else(|| {
                AppError::invalid(format!("queues[{i}]"), format!("no queue `{q}`"))
            })?);
        }
        let capacity = a
            .capacity
            .as_ref()
            .map_or([1, 0, 0], |c| [c.voice, c.chat, c.email]);
        let cfg = AgentConfig {
            skills,
            queues,
            capacity,
            // Telephony rings every offer; auto-answer is not offered yet.
            auto_answer: false,
        };
        Ok(cfg)
    }
}

// ----- calendars ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: String,
    pub hours: Vec<String>,
}

/// Business hours: weekly hours in a time zone, holidays, make-up workdays (调休), special
/// days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    pub name: String,
    pub time_zone: Option<String>,
    /// Seven lists of `HH:MM-HH:MM`, Monday first.
    pub weekly: Vec<Vec<String>>,
    #[serde(default)]
    pub cn_statutory: bool,
    #[serde(default)]
    pub holidays: Vec<String>,
    #[serde(default)]
    pub workdays: Vec<String>,
    #[serde(default)]
    pub special: Vec<SpecialDay>,
}

impl Calendar {
    /// The calendar crate's calendar for this document, checked.
    pub fn build(&self) -> AppResult<calendar::Calendar> {
        not_empty(&self.name)?;
        let weekly: [Vec<String>; 7] = self
            .weekly
            .clone()
            .try_into()
            .map_err(|_| AppError::invalid("weekly", "seven lists of hours, Monday first"))?;
        let spec = calendar::CalendarSpec {
            time_zone: self
                .time_zone
                .clone()
                .unwrap_or_else(|| "Asia/Shanghai".into()),
            weekly,
            cn_statutory: self.cn_statutory,
            holidays: self.holidays.clone(),
            workdays: self.workdays.clone(),
            special: self
                .special
                .iter()
                .map(|d| calendar::SpecialDay {
                    date: d.date.clone(),
                    hours: d.hours.clone(),
                })
                .collect(),
        };
        calendar::Calendar::new(&spec).map_err(|e| AppError::invalid(e.field, e.reason))
    }
}

// ----- dealers' regions ------------------------------------------------------------------------

/// The regions a dealer (经销商) serves: the customers there are theirs to see (until the
/// leads module assigns leads by the same regions). Keyed by the dealer's user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealerRegions {
    pub regions: Vec<Region>,
    /// A dealer of weight 2 gets twice the leads of one of weight 1 in the same region
    /// (1–10).
    #[serde(default = "weight_one")]
    pub weight: u32,
}

fn weight_one() -> u32 {
    1
}

/// A province, or a city in it, or a district in that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
    /// The product lines the dealer sells here (every line when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_lines: Vec<String>,
}

impl Region {
    /// The region as it appears in a stored customer address: the store keeps addresses as
    /// compact JSON with the fields in this order (`store::Address`).
    pub fn address_fragment(&self) -> String {
        let field = |k: &str, v: &str| format!("\"{k}\":{}", serde_json::Value::from(v));
        let mut f = field("province", &self.province);
        if !self.city.is_empty() {
            f.push(',');
            f.push_str(&field("city", &self.city));
            if !self.district.is_empty() {
                f.push(',');
                f.push_str(&field("district", &self.district));
            }
        }
        f
    }
}

/// At most this many regions a dealer.
pub const MAX_REGIONS: usize = 50;

pub(crate) fn check_regions(regions: &[Region]) -> AppResult<()> {
    if regions.len() > MAX_REGIONS {
        return Err(AppError::invalid(
            "regions",
            format!("at most {MAX_REGIONS} regions"),
        ));
    }
    for (i, r) in regions.iter().enumerate() {
        for (name, v) in [
            ("province", &r.province),
            ("city", &r.city),
            ("district", &r.district),
        ] {
            let field = format!("regions[{i}].{name}");
            if v.chars().count() > 20 || v.chars().any(char::is_control) || v.trim() != v {
                return Err(AppError::invalid(
                    field,
                    "at most 20 characters, no spaces around",
                ));
            }
        }
        if r.province.is_empty() {
            return Err(AppError::invalid(
                format!("regions[{i}].province"),
                "must not be empty",
            ));
        }
        if r.city.is_empty() && !r.district.is_empty() {
            return Err(AppError::invalid(
                format!("regions[{i}].city"),
                "name the city of the district",
            ));
        }
        if r.product_lines.len() > 20 {
            return Err(AppError::invalid(
                format!("regions[{i}].product_lines"),
                "at most 20",
            ));
        }
        for (j, l) in r.product_lines.iter().enumerate() {
            if l.trim().is_empty() || l.chars().count() > 40 || l.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    format!("regions[{i}].product_lines[{j}]"),
                    "1–40 characters",
                ));
            }
        }
    }
    Ok(())
}

// ----- IVR flows ------------------------------------------------------------------------------

/// An IVR flow with its name. Documents written before flows had names (the demo's, as
/// `{start, nodes}`) still load, named after nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IvrFlow {
    pub name: String,
    pub flow: ivr::Flow,
}

impl<'de> Deserialize<'de> for IvrFlow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<IvrFlow, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        struct Named {
            name: String,
            flow: ivr::Flow,
        }
        // Told apart by shape, so a fault is reported against the shape it has.
        let v = Value::deserialize(d)?;
        if v.get("flow").is_some() {
            let Named { name, flow } = serde_json::from_value(v).map_err(D::Error::custom)?;
            Ok(IvrFlow { name, flow })
        } else {
            let flow = serde_json::from_value(v).map_err(D::Error::custom)?;
            Ok(IvrFlow {
                name: String::new(),
                flow,
            })
        }
    }
}

// ----- the center's settings ------------------------------------------------------------------

/// A wrap-up (disposition) code an agent picks after a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disposition {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// When time in a state turns amber and red on the floor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub state: String,
    pub amber_seconds: u32,
    pub red_seconds: u32,
}

/// The center's settings (one document, key `center`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CenterSettings {
    pub dispositions: Vec<Disposition>,
    pub thresholds: Vec<Threshold>,
    /// Where the center may call out; the defaults until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialing: Option<Dialing>,
    /// The closed loop's numbers; the defaults until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_loop: Option<ClosedLoop>,
    /// How reports define service level and abandons; the defaults until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<ReportSettings>,
    /// The knowledge base's synonyms and category owners; none until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<KnowledgeSettings>,
    /// Leads' deadlines and product lines; the defaults until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leads: Option<LeadSettings>,
    /// How often and when the center may call a customer; the defaults until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_policy: Option<ContactPolicy>,
}

/// Leads' settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadSettings {
    /// Working hours a dealer has to accept a lead (1–240).
    pub accept_hours: u32,
    /// Working days a dealer has for each follow-up (1–60).
    pub follow_up_days: u32,
    /// The product lines an agent picks from (none: typed freely).
    #[serde(default)]
    pub product_lines: Vec<String>,
    /// The calendar (a `calendar` document's key) the deadlines count on; the standard
    /// working week when none.
    #[serde(default)]
    pub calendar: Option<String>,
    /// A lead given back or taken back goes to the region's next dealer by rule (else it
    /// stays with the center until someone assigns it).
    #[serde(default = "yes")]
    pub reassign: bool,
}

fn yes() -> bool {
    true
}

impl Default for LeadSettings {
    fn default() -> LeadSettings {
        LeadSettings {
            accept_hours: 8,
            follow_up_days: 3,
            product_lines: Vec::new(),
            calendar: None,
            reassign: true,
        }
    }
}

/// The contact policy (R2.4): at most `per_day` calls to a customer a day and `per_week` in
/// seven days, within `hours`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactPolicy {
    pub per_day: u32,
    pub per_week: u32,
    /// When calls may be placed: every day 08:00–21:00 Beijing time but statutory holidays
    /// when left out.
    #[serde(default)]
    pub hours: Option<calendar::CalendarSpec>,
}

impl Default for ContactPolicy {
    fn default() -> ContactPolicy {
        ContactPolicy {
            per_day: 1,
            per_week: 3,
            hours: None,
        }
    }
}

impl ContactPolicy {
    /// The rules' policy, checked; errors name the field under `contact_policy`.
    pub fn build(&self) -> AppResult<leads::Policy> {
        if !(1..=10).contains(&self.per_day) {
            return Err(AppError::invalid("contact_policy.per_day", "1 to 10"));
        }
        if !(self.per_day..=30).contains(&self.per_week) {
            return Err(AppError::invalid(
                "contact_policy.per_week",
                "at least a day's and at most 30",
            ));
        }
        let hours = self
            .hours
            .clone()
            .unwrap_or_else(leads::Policy::default_hours);
        leads::Policy::new(self.per_day, self.per_week, &hours)
            .map_err(|e| AppError::invalid(format!("contact_policy.hours.{}", e.field), e.reason))
    }
}

impl LeadSettings {
    pub fn check(&self) -> AppResult<()> {
        if !(1..=240).contains(&self.accept_hours) {
            return Err(AppError::invalid("leads.accept_hours", "1 to 240"));
        }
        if !(1..=60).contains(&self.follow_up_days) {
            return Err(AppError::invalid("leads.follow_up_days", "1 to 60"));
        }
        if self.product_lines.len() > 100 {
            return Err(AppError::invalid("leads.product_lines", "at most 100"));
        }
        for (i, l) in self.product_lines.iter().enumerate() {
            let field = format!("leads.product_lines[{i}]");
            if l.trim().is_empty() || l.chars().count() > 40 || l.chars().any(char::is_control) {
                return Err(AppError::invalid(field, "1–40 characters"));
            }
            if self.product_lines[..i].contains(l) {
                return Err(AppError::invalid(field, "named twice"));
            }
        }
        Ok(())
    }
}

/// The knowledge base's settings: words searched as one, and who keeps each category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeSettings {
    /// Groups of words meaning the same (水表 / 表计 / 计量表): a search for one finds the
    /// others.
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
    /// The expert who keeps each category (and those below it): flags and questions of
    /// the category go to them.
    #[serde(default)]
    pub owners: Vec<CategoryOwner>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryOwner {
    /// `水表` or `水表/计量`.
    pub category: String,
    pub user_id: i64,
}

impl KnowledgeSettings {
    /// The owner of `category`: the one of the most specific category above or at it.
    pub fn owner_of(&self, category: &str) -> Option<i64> {
        let parts: Vec<&str> = category.split('/').map(str::trim).collect();
        self.owners
            .iter()
            .filter_map(|o| {
                let own: Vec<&str> = o.category.split('/').map(str::trim).collect();
                parts.starts_with(&own).then_some((own.len(), o.user_id))
            })
            .max_by_key(|(depth, _)| *depth)
            .map(|(_, user)| user)
    }

    /// Bounds and forms, each field named.
    pub fn check(&self) -> AppResult<()> {
        if self.synonyms.len() > 2000 {
            return Err(AppError::invalid(
                "knowledge.synonyms",
                "at most 2,000 groups",
            ));
        }
        let text = |field: String, w: &str, max: usize| -> AppResult<()> {
            let n = w.trim().chars().count();
            if n == 0 || n > max || w.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    field,
                    format!("1–{max} characters, no control characters"),
                ));
            }
            Ok(())
        };
        for (i, g) in self.synonyms.iter().enumerate() {
            if !(2..=20).contains(&g.len()) {
                return Err(AppError::invalid(
                    format!("knowledge.synonyms[{i}]"),
                    "2 to 20 words",
                ));
            }
            for (j, w) in g.iter().enumerate() {
                text(format!("knowledge.synonyms[{i}][{j}]"), w, 40)?;
            }
        }
        if self.owners.len() > 500 {
            return Err(AppError::invalid("knowledge.owners", "at most 500"));
        }
        for (i, o) in self.owners.iter().enumerate() {
            text(format!("knowledge.owners[{i}].category"), &o.category, 200)?;
            if self.owners[..i]
                .iter()
                .any(|p| p.category.trim() == o.category.trim())
            {
                return Err(AppError::invalid(
                    format!("knowledge.owners[{i}].category"),
                    "has an owner already",
                ));
            }
        }
        Ok(())
    }
}

/// The report definitions a tenant chooses (指标口径): which service-level formula, its
/// time, what a short abandon is, what the star ranking weighs. Applied when reports are
/// read, so to past data too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSettings {
    pub service_level_formula: reports::SlFormula,
    /// One of `reports::THRESHOLDS_S`.
    pub service_level_s: u32,
    /// One of `reports::THRESHOLDS_S`.
    pub short_abandon_s: u32,
    pub exclude_short_abandons: bool,
    pub count_flow_outs: bool,
    /// The star ranking's weights; `reports::default_weights()` until set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<Vec<reports::Weight>>,
}

impl Default for ReportSettings {
    fn default() -> ReportSettings {
        let d = reports::Settings::default();
        ReportSettings {
            service_level_formula: d.service_level_formula,
            service_level_s: d.service_level_s,
            short_abandon_s: d.short_abandon_s,
            exclude_short_abandons: d.exclude_short_abandons,
            count_flow_outs: d.count_flow_outs,
            ranking: None,
        }
    }
}

impl ReportSettings {
    /// The reports' settings, with the closed loop's window as the repeat-call window.
    pub fn with_repeat_days(&self, repeat_days: u32) -> reports::Settings {
        reports::Settings {
            service_level_formula: self.service_level_formula,
            service_level_s: self.service_level_s,
            short_abandon_s: self.short_abandon_s,
            exclude_short_abandons: self.exclude_short_abandons,
            count_flow_outs: self.count_flow_outs,
            repeat_days,
        }
    }
}

/// The closed loop (闭环) of work orders: first-contact resolution and the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedLoop {
    /// A repeat contact about an order within this many days of intake breaks its
    /// first-contact resolution.
    pub fcr_days: u32,
    /// Callbacks not reaching the customer before the order closes as unreachable.
    pub callback_attempts: u32,
    /// Over how many days those attempts are spread (the first at once).
    pub callback_days: u32,
}

impl Default for ClosedLoop {
    fn default() -> ClosedLoop {
        ClosedLoop {
            fcr_days: 7,
            callback_attempts: 3,
            callback_days: 2,
        }
    }
}

impl ClosedLoop {
    /// The wait after a callback that did not reach the customer: the days spread over the
    /// attempts after the first, and never under two hours.
    pub fn retry_ms(&self) -> i64 {
        let gaps = i64::from(self.callback_attempts.saturating_sub(1).max(1));
        (i64::from(self.callback_days) * 86_400_000 / gaps).max(2 * 3_600_000)
    }
}

/// Where calls the center places (click-to-call, callbacks) may go, and how fast: the
/// guard against toll fraud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialing {
    /// Numbers abroad.
    pub international: bool,
    /// When any: only numbers starting with one of these (E.164: `+861`, `+86571`).
    pub allowed_prefixes: Vec<String>,
    /// Calls one agent may place in a minute.
    pub per_agent_per_minute: u32,
}

impl Default for Dialing {
    fn default() -> Dialing {
        Dialing {
            international: false,
            allowed_prefixes: Vec::new(),
            per_agent_per_minute: 10,
        }
    }
}

/// The states and not-ready reasons the floor can colour.
const STATES: [&str; 11] = [
    "after_call_work",
    "talking",
    "hold",
    "reserved",
    "ready",
    "break",
    "meal",
    "training",
    "meeting",
    "away",
    "missed",
];

impl CenterSettings {
    /// What a center works with until an administrator saves its own.
    pub fn defaults() -> CenterSettings {
        let d = |code: &str, zh: &str, en: &str| Disposition {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
        };
        let t = |state: &str, amber: u32, red: u32| Threshold {
            state: state.into(),
            amber_seconds: amber,
            red_seconds: red,
        };
        CenterSettings {
            dispositions: vec![
                d("inquiry", "业务咨询", "Inquiry"),
                d("repair", "故障报修", "Repair request"),
                d("billing", "缴费查询", "Billing"),
                d("complaint", "投诉", "Complaint"),
                d("suggestion", "建议", "Suggestion"),
                d("outage", "停水通知", "Outage notice"),
                d("wrong_number", "打错电话", "Wrong number"),
                d("other", "其他", "Other"),
            ],
            thresholds: vec![
                t("after_call_work", 60, 120),
                t("talking", 600, 900),
                t("hold", 60, 180),
                t("ready", 600, 1800),
                t("break", 900, 1200),
                t("meal", 1800, 2700),
                t("training", 3600, 7200),
                t("meeting", 3600, 7200),
                t("away", 300, 600),
                t("missed", 60, 180),
            ],
            dialing: None,
            closed_loop: None,
            reports: None,
            knowledge: None,
            leads: None,
            contact_policy: None,
        }
    }
}

pub(crate) fn check_settings(s: &CenterSettings) -> AppResult<()> {
    if s.dispositions.is_empty() {
        return Err(AppError::invalid("dispositions", "at least one code"));
    }
    for (i, d) in s.dispositions.iter().enumerate() {
        let field = |f: &str| format!("dispositions[{i}].{f}");
        let ok = !d.code.is_empty()
            && d.code.len() <= 32
            && d.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(AppError::invalid(
                field("code"),
                "1–32 lowercase letters, digits or `_`",
            ));
        }
        if s.dispositions[..i].iter().any(|o| o.code == d.code) {
            return Err(AppError::invalid(field("code"), "used twice"));
        }
        if d.name_zh.trim().is_empty() || d.name_zh.chars().count() > 40 {
            return Err(AppError::invalid(field("name_zh"), "1–40 characters"));
        }
        if d.name_en.trim().is_empty() || d.name_en.chars().count() > 60 {
            return Err(AppError::invalid(field("name_en"), "1–60 characters"));
        }
    }
    for (i, t) in s.thresholds.iter().enumerate() {
        let field = |f: &str| format!("thresholds[{i}].{f}");
        if !STATES.contains(&t.state.as_str()) {
            return Err(AppError::invalid(
                field("state"),
                format!("one of {}", STATES.join(", ")),
            ));
        }
        if s.thresholds[..i].iter().any(|o| o.state == t.state) {
            return Err(AppError::invalid(field("state"), "used twice"));
        }
        if t.amber_seconds == 0 || t.amber_seconds >= t.red_seconds {
            return Err(AppError::invalid(
                field("red_seconds"),
                "amber must be above 0 and below red",
            ));
        }
    }
    if let Some(d) = &s.dialing {
        if !(1..=120).contains(&d.per_agent_per_minute) {
            return Err(AppError::invalid(
                "dialing.per_agent_per_minute",
                "1 to 120",
            ));
        }
        if d.allowed_prefixes.len() > 100 {
            return Err(AppError::invalid("dialing.allowed_prefixes", "at most 100"));
        }
        for (i, p) in d.allowed_prefixes.iter().enumerate() {
            let digits = p.strip_prefix('+').unwrap_or_default();
            if !(1..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::invalid(
                    format!("dialing.allowed_prefixes[{i}]"),
                    "`+` and 1 to 15 digits (E.164: `+861`, `+86571`)",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod knowledge_tests {
    use super::*;

    #[test]
    fn a_category_goes_to_the_owner_of_the_most_specific_one_above_it() {
        let k = KnowledgeSettings {
            synonyms: vec![vec!["水表".into(), "表计".into()]],
            owners: vec![
                CategoryOwner {
                    category: "水表".into(),
                    user_id: 1,
                },
                CategoryOwner {
                    category: "水表/计量".into(),
                    user_id: 2,
                },
            ],
        };
        assert_eq!(k.owner_of("水表/计量/快表"), Some(2));
        assert_eq!(k.owner_of("水表/井盖"), Some(1));
        assert_eq!(k.owner_of("水表计量"), None);
        assert_eq!(k.owner_of("水费"), None);
        assert!(k.check().is_ok());
        let mut bad = k.clone();
        bad.synonyms = vec![vec!["水表".into()]];
        assert!(
            matches!(bad.check(), Err(AppError::Invalid { field, .. }) if field == "knowledge.synonyms[0]")
        );
        let mut bad = k;
        bad.owners.push(CategoryOwner {
            category: " 水表 ".into(),
            user_id: 3,
        });
        assert!(
            matches!(bad.check(), Err(AppError::Invalid { field, .. }) if field == "knowledge.owners[2].category")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_settings_pass_their_own_check() {
        check_settings(&CenterSettings::defaults()).unwrap();
    }

    #[test]
    fn a_bad_threshold_names_its_field() {
        let mut s = CenterSettings::defaults();
        s.thresholds[1].red_seconds = s.thresholds[1].amber_seconds;
        let e = check_settings(&s).unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field, .. } if field == "thresholds[1].red_seconds"),
            "{e:?}"
        );
        let mut s = CenterSettings::defaults();
        s.dispositions[2].code = "repair".into();
        let e = check_settings(&s).unwrap_err();
        assert!(
            matches!(&e, AppError::Invalid { field, .. } if field == "dispositions[2].code"),
            "{e:?}"
        );
    }
}
