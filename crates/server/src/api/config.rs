//! The contact center's configuration through the API: skills, queues (every parameter of
//! the routing engine), teams, calendars, and agents' routing profiles. The wire types here
//! are converted by hand to the stored documents of `app::config`, whose one mechanism
//! checks a change against the store and the running engine, writes it with its version
//! and audit row (a stale version gets 409), and applies it at once — no restart.

use app::config as doc;
use app::config::parse;
use app::configure::Kind;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::ConfigItem;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

// ----- wire types ---------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillInput {
    /// Required to create (`repair`, `billing`): letters, digits, `-`, `_`.
    #[serde(default)]
    pub key: Option<String>,
    /// Required to change: the version you read.
    #[serde(default)]
    pub version: Option<i64>,
    /// What people see: `报修 Repairs`.
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillNeed {
    /// A skill's key.
    pub skill: String,
    /// Minimum proficiency, 1–10.
    pub min: u8,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelaxInput {
    /// Seconds of waiting after which this step applies.
    pub after: f64,
    /// Accept the queue's skills at this lower proficiency…
    pub min_proficiency: Option<u8>,
    /// …or also agents with these skills.
    pub fallback: Option<Vec<SkillNeed>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverflowInput {
    /// `queue`, `voicemail`, `callback` or `disconnect`.
    pub to: String,
    /// The queue's key when `to` is `queue`.
    pub queue: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccelerationInput {
    pub per_second: u32,
    pub cap: u32,
}

/// A queue (技能组). Durations are in seconds; left-out fields take the engine's defaults.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    /// `voice` (default), `chat`, `email`.
    pub channel: Option<String>,
    #[serde(default)]
    pub skills: Vec<SkillNeed>,
    #[serde(default)]
    pub relax: Vec<RelaxInput>,
    /// `longest_idle` (default), `fewest_calls`, `least_talk_time`, `best_proficiency`,
    /// `round_robin`, `ring_all`.
    pub strategy: Option<String>,
    pub priority: Option<i32>,
    pub acceleration: Option<AccelerationInput>,
    /// Service-level target as a fraction: 0.8 for 80 %.
    pub service_level: Option<f64>,
    /// The "20 s" of "80 % in 20 s".
    pub service_time: Option<f64>,
    /// After-call work (话后处理).
    pub wrap_up: Option<f64>,
    pub ring_timeout: Option<f64>,
    pub max_wait: Option<f64>,
    pub max_size: Option<u32>,
    pub overflow: Option<OverflowInput>,
    /// `wait` (default) or `overflow`.
    pub nobody_logged_in: Option<String>,
    /// Hold a returning customer's call this long for their last agent.
    pub sticky: Option<f64>,
    pub open: Option<bool>,
    /// A calendar's key: outside its hours the queue is closed (new calls overflow).
    pub calendar: Option<String>,
    /// Tell waiting callers their place in line and the expected wait (排队位置播报).
    pub announce: Option<AnnounceInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceInput {
    /// Seconds between announcements, 15 to 600.
    pub every: f64,
    /// Say how many callers are ahead (default yes).
    pub position: Option<bool>,
    /// Say the expected wait in minutes (default yes).
    pub wait: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    /// The team lead (班组长): a user id.
    pub leader: Option<i64>,
    #[serde(default)]
    pub members: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    pub skill: String,
    /// 1–10.
    pub proficiency: u8,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityInput {
    pub voice: u8,
    pub chat: u8,
    pub email: u8,
}

/// An agent's routing profile: extension, SIP credentials, skills, queues, capacity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    #[serde(default)]
    pub version: Option<i64>,
    /// The phone extension, digits: `8001`.
    pub extension: String,
    /// For the agent's SIP phone to register; never shown again.
    pub sip_password: Option<String>,
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    /// Queue keys.
    #[serde(default)]
    pub queues: Vec<String>,
    /// Contacts at once per channel; one call and nothing else if left out.
    pub capacity: Option<CapacityInput>,
}

/// A configuration document as stored, with its key and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigDoc {
    pub key: String,
    pub version: i64,
    pub updated_at_ms: i64,
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<&ConfigItem> for ConfigDoc {
    fn from(c: &ConfigItem) -> ConfigDoc {
        let mut data = c.data.clone();
        // SIP passwords are written, never read back, nor what is kept of them.
        if let Some(o) = data.as_object_mut() {
            // A business system's shared secret, likewise.
            if o.remove("secret").is_some_and(|p| !p.is_null()) {
                o.insert("has_secret".into(), Value::Bool(true));
            }
            let clear = o.remove("sip_password").is_some_and(|p| !p.is_null());
            let sealed = o.remove("sip_secret").is_some_and(|p| !p.is_null());
            if clear || sealed {
                o.insert("has_sip_password".into(), Value::Bool(true));
            }
        }
        ConfigDoc {
            key: c.key.clone(),
            version: c.version,
            updated_at_ms: c.updated_at_ms,
            data,
        }
    }
}

/// Business hours (a calendar): weekly hours in the center's time zone, holidays, make-up
/// workdays (调休) and special days. Queues and IVR flows open and close by it; SLA clocks
/// count only its hours.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    /// IANA zone; `Asia/Shanghai` if left out.
    pub time_zone: Option<String>,
    /// Seven lists of `HH:MM-HH:MM`, Monday first; an empty list is closed all day.
    pub weekly: Vec<Vec<String>>,
    /// Apply China's statutory holidays and make-up workdays (built in for the announced
    /// years).
    #[serde(default)]
    pub cn_statutory: bool,
    /// Closed all day: `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Open with Monday's hours although a weekend or holiday.
    #[serde(default)]
    pub workdays: Vec<String>,
    #[serde(default)]
    pub special: Vec<SpecialDayInput>,
}

/// A time limit (限时): in working minutes or working days of the policy's calendar, or in
/// minutes of the wall clock for 7×24 services.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitInput {
    pub unit: LimitUnit,
    /// At least 1.
    pub value: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    WorkingMinutes,
    /// Counted from the next working day (受理次日起算) to the close of the last.
    WorkingDays,
    WallMinutes,
}

impl LimitInput {
    fn into_doc(self) -> tickets::Limit {
        match self.unit {
            LimitUnit::WorkingMinutes => tickets::Limit::WorkingMinutes(self.value),
            LimitUnit::WorkingDays => tickets::Limit::WorkingDays(self.value),
            LimitUnit::WallMinutes => tickets::Limit::WallMinutes(self.value),
        }
    }
}

/// A node of an order type's category tree (up to four levels).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryInput {
    /// Letters, digits, `-`, `_`: `leak`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    #[serde(default)]
    #[schema(no_recursion)]
    pub children: Vec<CategoryInput>,
}

impl CategoryInput {
    fn into_doc(self) -> tickets::setup::Category {
        tickets::setup::Category {
            code: self.code,
            name_zh: self.name_zh,
            name_en: self.name_en,
            children: self.children.into_iter().map(Self::into_doc).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKindInput {
    Text,
    Number,
    Choice,
    Date,
}

/// A custom field of an order type (a repair's meter number).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub key: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: FieldKindInput,
    #[serde(default)]
    pub required: bool,
    /// The values of a `choice`.
    #[serde(default)]
    pub options: Vec<String>,
}

/// The time limits of an order type for a customer segment (or for everyone).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// `key_account`…; left out for everyone else.
    #[serde(default)]
    pub segment: Option<String>,
    /// A calendar's key; left out for the standard working week (Monday–Friday
    /// 08:30–12:00, 13:30–17:30, China's holidays and make-up days).
    #[serde(default)]
    pub calendar: Option<String>,
    #[serde(default)]
    pub accept: Option<LimitInput>,
    #[serde(default)]
    pub first_action: Option<LimitInput>,
    #[serde(default)]
    pub resolve: Option<LimitInput>,
    /// Chase (催办) at this share of a limit, 0–99; 0 for no warning.
    pub warn_percent: u8,
    /// Escalate to the managers at this share of a limit still not met, 101–1000 (150:
    /// half the limit again past the breach, the default); 0 for no second escalation.
    #[serde(default = "tickets::setup::default_escalate_percent")]
    pub escalate_percent: u16,
}

/// A kind of work order (工单类型): 咨询, 投诉, 报修….
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderTypeInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name_zh: String,
    pub name_en: String,
    /// Called back (回访) before it closes.
    pub callback_required: bool,
    #[serde(default)]
    pub categories: Vec<CategoryInput>,
    #[serde(default)]
    pub fields: Vec<FieldInput>,
    #[serde(default)]
    pub policies: Vec<PolicyInput>,
}

/// A business system (营业 billing, 报装 installation) allowed to send work orders to
/// `POST /api/hooks/{tenant}/orders`, signing each with the shared secret.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    /// 32–256 characters; written, never read back. Left out when changing the name, the
    /// one set before is kept.
    #[serde(default)]
    pub secret: Option<String>,
}

/// An incident (a burst main, an area without water): callers from its area hear the
/// message before the IVR's menu until it ends or its expected end passes.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub title: String,
    /// What callers hear and agents read, 1–500 characters.
    pub message: String,
    /// Regions affected (`浙江省/杭州市/西湖区`, or a prefix of one).
    #[serde(default)]
    pub regions: Vec<String>,
    /// Beginnings of addresses affected (`文三路`).
    #[serde(default)]
    pub address_prefixes: Vec<String>,
    pub starts_ms: i64,
    /// When service should be back; it is announced until then (extend it if need be).
    pub expected_end_ms: i64,
    /// Service restored early: the announcement stops.
    #[serde(default)]
    pub ended_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupKindInput {
    BackOffice,
    Crew,
    Expert,
}

/// A routing rule: every condition given must hold; the most specific rule of all groups
/// wins.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchInput {
    #[serde(default)]
    pub order_type: Option<String>,
    /// A category path or its start: `leak` covers `leak/main`.
    #[serde(default)]
    pub category: Option<String>,
    /// `省/市/区` or its start: `浙江省/杭州市`.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
}

/// A handling group: a back-office department, a field crew, second-line experts.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandlingGroupInput {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    pub name: String,
    pub kind: GroupKindInput,
    /// User ids of those who take its orders.
    #[serde(default)]
    pub members: Vec<u64>,
    /// The lead (组长): reviews re-dispatch, hears of breaches.
    #[serde(default)]
    pub lead: Option<u64>,
    #[serde(default)]
    pub handles: Vec<MatchInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecialDayInput {
    pub date: String,
    pub hours: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarStatus {
    pub open: bool,
    /// When it next opens or closes; absent if not within a year.
    pub next_change_ms: Option<i64>,
}

// ----- wire to stored ------------------------------------------------------------------------

/// A request body for one kind of document: the key (to create) and version (to change) it
/// carries, and the stored document it becomes.
pub(super) trait Wire: DeserializeOwned + Send + 'static {
    type Doc: Kind;
    fn key(&self) -> &Option<String>;
    fn version(&self) -> Option<i64>;
    fn into_doc(self) -> ApiResult<Self::Doc>;
}

macro_rules! wire {
    ($input:ty => $doc:ty, |$i:ident| $body:expr) => {
        impl Wire for $input {
            type Doc = $doc;
            fn key(&self) -> &Option<String> {
                &self.key
            }
            fn version(&self) -> Option<i64> {
                self.version
            }
            fn into_doc(self) -> ApiResult<$doc> {
                let $i = self;
                Ok($body)
            }
        }
    };
}

fn needs(list: Vec<SkillNeed>) -> Vec<doc::SkillNeed> {
    list.into_iter()
        .map(|n| doc::SkillNeed {
            skill: n.skill,
            min: n.min,
        })
        .collect()
}

wire!(SkillInput => doc::Skill, |i| doc::Skill { name: i.name });

wire!(QueueInput => doc::Queue, |i| doc::Queue {
    name: i.name,
    channel: i.channel,
    skills: needs(i.skills),
    relax: i
        .relax
        .into_iter()
        .map(|r| doc::Relax {
            after: r.after,
            min_proficiency: r.min_proficiency,
            fallback: r.fallback.map(needs),
        })
        .collect(),
    strategy: i.strategy,
    priority: i.priority,
    acceleration: i.acceleration.map(|a| doc::Acceleration {
        per_second: a.per_second,
        cap: a.cap,
    }),
    service_level: i.service_level,
    service_time: i.service_time,
    wrap_up: i.wrap_up,
    ring_timeout: i.ring_timeout,
    max_wait: i.max_wait,
    max_size: i.max_size,
    overflow: i.overflow.map(|o| doc::OverflowTo {
        to: o.to,
        queue: o.queue,
    }),
    nobody_logged_in: i.nobody_logged_in,
    sticky: i.sticky,
    open: i.open,
    calendar: i.calendar,
    announce: i.announce.map(|a| doc::Announce {
        every: a.every,
        position: a.position,
        wait: a.wait,
    }),
});

wire!(OrderTypeInput => tickets::OrderType, |i| tickets::OrderType {
    name_zh: i.name_zh,
    name_en: i.name_en,
    callback_required: i.callback_required,
    categories: i.categories.into_iter().map(CategoryInput::into_doc).collect(),
    fields: i
        .fields
        .into_iter()
        .map(|f| tickets::setup::Field {
            key: f.key,
            label_zh: f.label_zh,
            label_en: f.label_en,
            kind: match f.kind {
                FieldKindInput::Text => tickets::setup::FieldKind::Text,
                FieldKindInput::Number => tickets::setup::FieldKind::Number,
                FieldKindInput::Choice => tickets::setup::FieldKind::Choice,
                FieldKindInput::Date => tickets::setup::FieldKind::Date,
            },
            required: f.required,
            options: f.options,
        })
        .collect(),
    policies: i
        .policies
        .into_iter()
        .map(|p| tickets::Policy {
            segment: p.segment,
            calendar: p.calendar,
            accept: p.accept.map(LimitInput::into_doc),
            first_action: p.first_action.map(LimitInput::into_doc),
            resolve: p.resolve.map(LimitInput::into_doc),
            warn_percent: p.warn_percent,
            escalate_percent: p.escalate_percent,
        })
        .collect(),
});

wire!(IntegrationInput => doc::Integration, |i| doc::Integration {
    name: i.name,
    secret: i.secret,
});

wire!(IncidentInput => tickets::Incident, |i| tickets::Incident {
    title: i.title,
    message: i.message,
    regions: i.regions,
    address_prefixes: i.address_prefixes,
    starts_ms: i.starts_ms,
    expected_end_ms: i.expected_end_ms,
    ended_ms: i.ended_ms,
});

wire!(HandlingGroupInput => tickets::Group, |i| tickets::Group {
    name: i.name,
    kind: match i.kind {
        GroupKindInput::BackOffice => tickets::GroupKind::BackOffice,
        GroupKindInput::Crew => tickets::GroupKind::Crew,
        GroupKindInput::Expert => tickets::GroupKind::Expert,
    },
    members: i.members,
    lead: i.lead,
    handles: i
        .handles
        .into_iter()
        .map(|m| tickets::setup::Match {
            order_type: m.order_type,
            category: m.category,
            region: m.region,
            segment: m.segment,
        })
        .collect(),
});

wire!(TeamInput => doc::Team, |i| doc::Team {
    name: i.name,
    leader: i.leader,
    members: i.members,
});

wire!(CalendarInput => doc::Calendar, |i| doc::Calendar {
    name: i.name,
    time_zone: i.time_zone,
    weekly: i.weekly,
    cn_statutory: i.cn_statutory,
    holidays: i.holidays,
    workdays: i.workdays,
    special: i
        .special
        .into_iter()
        .map(|d| doc::SpecialDay {
            date: d.date,
            hours: d.hours,
        })
        .collect(),
});

impl AgentInput {
    fn into_doc(self) -> doc::Agent {
        doc::Agent {
            extension: self.extension,
            sip_password: self.sip_password,
            sip_secret: None,
            skills: self
                .skills
                .into_iter()
                .map(|s| doc::SkillLevel {
                    skill: s.skill,
                    proficiency: s.proficiency,
                })
                .collect(),
            queues: self.queues,
            capacity: self.capacity.map(|c| doc::Capacity {
                voice: c.voice,
                chat: c.chat,
                email: c.email,
            }),
        }
    }
}

// ----- the mechanism, for each kind ------------------------------------------------------------

pub(super) fn create_key(key: &Option<String>, version: Option<i64>) -> ApiResult<String> {
    if version.is_some() {
        return Err(ApiError::invalid("version", "leave out when creating"));
    }
    key.clone()
        .ok_or_else(|| ApiError::invalid("key", "name it: letters, digits, `-`, `_`"))
}

pub(super) fn update_version(key: &Option<String>, version: Option<i64>) -> ApiResult<i64> {
    if key.is_some() {
        return Err(ApiError::invalid(
            "key",
            "the key is in the path and cannot change",
        ));
    }
    version.ok_or_else(|| ApiError::invalid("version", "send the version you read"))
}

pub(super) async fn list_kind<K: Kind>(
    state: &AppState,
    caller: &Caller,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    let items = state.app().config_list(caller.tenant()?, K::KIND).await?;
    Ok(Json(items.iter().map(ConfigDoc::from).collect()))
}

pub(super) async fn create_kind<W: Wire>(
    state: &AppState,
    caller: &Caller,
    input: W,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    let key = create_key(input.key(), input.version())?;
    let item = state
        .app()
        .put_config(
            caller.tenant()?,
            Some(caller.user.id),
            &key,
            input.into_doc()?,
            None,
        )
        .await
        .map_err(|e| {
            // A key taken is the key field's fault, shown next to it.
            let e = ApiError::from(e);
            if e.code == crate::error::Code::AlreadyExists {
                e.with_details(serde_json::json!({"field": "key"}))
            } else {
                e
            }
        })?;
    Ok((StatusCode::CREATED, Json(ConfigDoc::from(&item))))
}

pub(super) async fn update_kind<W: Wire>(
    state: &AppState,
    caller: &Caller,
    key: &str,
    input: W,
) -> ApiResult<Json<ConfigDoc>> {
    let tenant = caller.tenant()?;
    state.app().config_get::<W::Doc>(tenant, key).await?;
    let version = update_version(input.key(), input.version())?;
    let item = state
        .app()
        .put_config(
            tenant,
            Some(caller.user.id),
            key,
            input.into_doc()?,
            Some(version),
        )
        .await?;
    Ok(Json(ConfigDoc::from(&item)))
}

/// The version a deletion is based on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// The version you read (409 if someone changed it since).
    pub version: i64,
}

/// `?version=`, or its rejection naming the field.
pub(super) type VersionParam =
    Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>;

/// Deletes the document at the version the query names; another tenant's is not found
/// whatever the query says.
pub(super) async fn delete_kind<K: Kind>(
    state: &AppState,
    caller: &Caller,
    key: &str,
    version: VersionParam,
) -> ApiResult<StatusCode> {
    let tenant = caller.tenant()?;
    state.app().config_get::<K>(tenant, key).await?;
    let version = version
        .map(|Query(v)| v.version)
        .map_err(|_| ApiError::invalid("version", "send the version you read: `?version=3`"))?;
    state
        .app()
        .delete_config::<K>(tenant, Some(caller.user.id), key, version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! handlers {
    ($tag:tt, $path:tt, $one:tt, $key:tt, $input:ty, $doc:ty,
     $list:ident, $create:ident, $update:ident, $delete:ident) => {
        #[utoipa::path(get, path = $path, tag = $tag, responses((status = 200, body = Vec<ConfigDoc>)))]
        pub async fn $list(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
        ) -> ApiResult<Json<Vec<ConfigDoc>>> {
            list_kind::<$doc>(&state, &caller).await
        }

        /// Create it; applied at once.
        #[utoipa::path(post, path = $path, tag = $tag, request_body = $input,
            responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody),
                      (status = 409, body = ErrorBody)))]
        pub async fn $create(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            ApiJson(input): ApiJson<$input>,
        ) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
            create_kind(&state, &caller, input).await
        }

        /// Change it at the version you read; applied at once, calls in progress go on.
        #[utoipa::path(put, path = $one, tag = $tag, request_body = $input,
            params(($key = String, Path)),
            responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody),
                      (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
        pub async fn $update(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            ApiPath(key): ApiPath<String>,
            ApiJson(input): ApiJson<$input>,
        ) -> ApiResult<Json<ConfigDoc>> {
            update_kind(&state, &caller, &key, input).await
        }

        /// Delete it at the version you read; refused (409) while anything uses it.
        #[utoipa::path(delete, path = $one, tag = $tag,
            params(($key = String, Path), VersionQuery),
            responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
                      (status = 409, body = ErrorBody)))]
        pub async fn $delete(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            ApiPath(key): ApiPath<String>,
            q: VersionParam,
        ) -> ApiResult<StatusCode> {
            delete_kind::<$doc>(&state, &caller, &key, q).await
        }
    };
}

handlers!(
    "config",
    "/api/skills",
    "/api/skills/{skill_key}",
    "skill_key",
    SkillInput,
    doc::Skill,
    list_skills,
    create_skill,
    update_skill,
    delete_skill
);
handlers!(
    "config",
    "/api/queues",
    "/api/queues/{queue_key}",
    "queue_key",
    QueueInput,
    doc::Queue,
    list_queues,
    create_queue,
    update_queue,
    delete_queue
);
handlers!(
    "config",
    "/api/calendars",
    "/api/calendars/{calendar_key}",
    "calendar_key",
    CalendarInput,
    doc::Calendar,
    list_calendars,
    create_calendar,
    update_calendar,
    delete_calendar
);
handlers!(
    "config",
    "/api/teams",
    "/api/teams/{team_key}",
    "team_key",
    TeamInput,
    doc::Team,
    list_teams,
    create_team,
    update_team,
    delete_team
);
handlers!(
    "orders",
    "/api/order-types",
    "/api/order-types/{order_type_key}",
    "order_type_key",
    OrderTypeInput,
    tickets::OrderType,
    list_order_types,
    create_order_type,
    update_order_type,
    delete_order_type
);
handlers!(
    "orders",
    "/api/integrations",
    "/api/integrations/{integration_key}",
    "integration_key",
    IntegrationInput,
    doc::Integration,
    list_integrations,
    create_integration,
    update_integration,
    delete_integration
);
handlers!(
    "orders",
    "/api/incidents",
    "/api/incidents/{incident_key}",
    "incident_key",
    IncidentInput,
    tickets::Incident,
    list_incidents,
    create_incident,
    update_incident,
    delete_incident
);
handlers!(
    "orders",
    "/api/handling-groups",
    "/api/handling-groups/{group_key}",
    "group_key",
    HandlingGroupInput,
    tickets::Group,
    list_groups,
    create_group,
    update_group,
    delete_group
);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPreviewInput {
    /// A calendar's key; left out for the standard working week.
    #[serde(default)]
    pub calendar: Option<String>,
    pub limit: LimitInput,
    /// 0–99.
    #[serde(default)]
    pub warn_percent: u8,
    /// 0 or 101–1000; 150 when left out.
    #[serde(default = "tickets::setup::default_escalate_percent")]
    pub escalate_percent: u16,
    /// When the order is taken in (dispatched, for the limits to accept and to act).
    pub from_ms: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPreview {
    /// When the limit runs out.
    pub due_ms: Option<i64>,
    /// When the handler is chased (催办).
    pub warn_ms: Option<i64>,
    /// When, still not met, it goes to the managers.
    pub escalate_ms: Option<i64>,
}

/// What a time limit means on a calendar: "taken in Friday 17:55 before National Day →
/// due …", for the administrator setting it.
#[utoipa::path(post, path = "/api/order-types/preview", tag = "orders", request_body = SlaPreviewInput,
    responses((status = 200, body = SlaPreview), (status = 400, body = ErrorBody)))]
pub async fn sla_preview(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(i): ApiJson<SlaPreviewInput>,
) -> ApiResult<Json<SlaPreview>> {
    let tenant = caller.tenant()?;
    if i.limit.value == 0 {
        return Err(ApiError::invalid("limit", "a limit of at least 1"));
    }
    if i.warn_percent > 99 {
        return Err(ApiError::invalid("warn_percent", "0 (no warning) to 99"));
    }
    // Within the years anyone plans for: 1970–2200.
    if !(0..=7_258_118_400_000).contains(&i.from_ms) {
        return Err(ApiError::invalid("from_ms", "a time between 1970 and 2200"));
    }
    if let Some(c) = &i.calendar {
        state
            .app()
            .config_get::<doc::Calendar>(tenant, c)
            .await
            .map_err(|_| ApiError::invalid("calendar", format!("no calendar `{c}` here")))?;
    }
    let policy = tickets::Policy {
        segment: None,
        calendar: i.calendar,
        accept: None,
        first_action: None,
        resolve: None,
        warn_percent: i.warn_percent,
        escalate_percent: i.escalate_percent,
    };
    if i.escalate_percent != 0 && !(101..=1000).contains(&i.escalate_percent) {
        return Err(ApiError::invalid(
            "escalate_percent",
            "0 (none) or 101 to 1000",
        ));
    }
    let cal = state.app().sla_calendar(tenant, Some(&policy)).await?;
    let clock = tickets::Clock::new(i.from_ms, i.limit.into_doc(), i.warn_percent)
        .escalating_at(i.escalate_percent);
    Ok(Json(SlaPreview {
        due_ms: clock.due_ms(&cal, i.from_ms),
        warn_ms: clock.warn_ms(&cal, i.from_ms),
        escalate_ms: clock.escalate_ms(&cal, i.from_ms),
    }))
}

/// Open now? And when does that change — for the IVR's "we are closed" and for people.
#[utoipa::path(get, path = "/api/calendars/{calendar_key}/status", tag = "config",
    params(("calendar_key" = String, Path)),
    responses((status = 200, body = CalendarStatus), (status = 404, body = ErrorBody)))]
pub async fn calendar_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<CalendarStatus>> {
    let item = state
        .app()
        .config_get::<doc::Calendar>(caller.tenant()?, &key)
        .await?;
    let cal = parse::<doc::Calendar>(&item)?.build()?;
    let now = state.now_ms();
    Ok(Json(CalendarStatus {
        open: cal.is_open(now),
        next_change_ms: cal.next_change(now),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueStatus {
    pub key: String,
    /// Taking new calls now: its own flag and its calendar agree.
    pub open: bool,
    pub waiting: usize,
}

/// The queues as the routing engine runs them now.
#[utoipa::path(get, path = "/api/queues/status", tag = "config",
    responses((status = 200, body = Vec<QueueStatus>)))]
pub async fn queue_status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<QueueStatus>>> {
    let list = state.center(caller.tenant()?, |c| c.queue_status()).await?;
    Ok(Json(
        list.into_iter()
            .map(|(key, open, waiting)| QueueStatus { key, open, waiting })
            .collect(),
    ))
}

// ----- agents' profiles -----------------------------------------------------------------------

/// Set a user's routing profile (create it without `version`); applied to the engine at once,
/// calls in progress go on.
#[utoipa::path(put, path = "/api/agents/{user_id}/profile", tag = "config", request_body = AgentInput,
    params(("user_id" = i64, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put_agent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
    ApiJson(input): ApiJson<AgentInput>,
) -> ApiResult<Json<ConfigDoc>> {
    let tenant = caller.tenant()?;
    let user = state
        .store()
        .user(Some(tenant), store::UserId(user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let version = input.version;
    let new_password = input.sip_password.is_some();
    let item = state
        .app()
        .put_config(
            tenant,
            Some(caller.user.id),
            &user.id.0.to_string(),
            input.into_doc(),
            version,
        )
        .await?;
    // A new SIP password (a stolen one replaced): phones registered with the old one are
    // forgotten now, and must register again.
    if new_password && let Some(t) = state.telephony() {
        t.forget_user(tenant.0, user.id.0).await;
    }
    Ok(Json(ConfigDoc::from(&item)))
}

#[utoipa::path(get, path = "/api/agents/{user_id}/profile", tag = "config",
    params(("user_id" = i64, Path)),
    responses((status = 200, body = ConfigDoc), (status = 404, body = ErrorBody)))]
pub async fn get_agent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
) -> ApiResult<Json<ConfigDoc>> {
    let item = state
        .app()
        .config_get::<doc::Agent>(caller.tenant()?, &user_id.to_string())
        .await?;
    Ok(Json(ConfigDoc::from(&item)))
}

/// Take away a user's routing profile at the version you read: they take no more contacts.
/// Refused (409) while they are signed in.
#[utoipa::path(delete, path = "/api/agents/{user_id}/profile", tag = "config",
    params(("user_id" = i64, Path), VersionQuery),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn delete_agent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(user_id): ApiPath<i64>,
    q: VersionParam,
) -> ApiResult<StatusCode> {
    delete_kind::<doc::Agent>(&state, &caller, &user_id.to_string(), q).await
}

/// China's statutory holidays and make-up workdays (调休) of one year, as the calendars
/// built with `cn_statutory` apply them.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatutoryYear {
    pub year: i16,
    /// `YYYY-MM-DD`, closed.
    pub holidays: Vec<String>,
    /// `YYYY-MM-DD`, open with Monday's hours although a weekend.
    pub workdays: Vec<String>,
}

/// Every year the built-in table of statutory holidays covers.
#[utoipa::path(get, path = "/api/calendar-holidays", tag = "config",
    responses((status = 200, body = Vec<StatutoryYear>)))]
pub async fn statutory() -> Json<Vec<StatutoryYear>> {
    Json(
        calendar::cn_statutory_years()
            .into_iter()
            .filter_map(|year| {
                let (h, w) = calendar::cn_statutory(year)?;
                Some(StatutoryYear {
                    year,
                    holidays: h.iter().map(ToString::to_string).collect(),
                    workdays: w.iter().map(ToString::to_string).collect(),
                })
            })
            .collect(),
    )
}
