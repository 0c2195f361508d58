//! The contact center's configuration through the API: skills, queues (every parameter of
//! the routing engine), teams, and agents' routing profiles. Every change is checked against
//! the running engine first, then written with its version (a stale version gets 409), then
//! applied to the engine at once — no restart — and audited.

use std::time::Duration;

use acd::{
    Acceleration, AgentConfig, Channel, NobodyLoggedIn, Overflow, QueueConfig, QueueId, Relax,
    RelaxStep, SkillReq, Strategy,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{ConfigItem, Role, TenantId, UserId};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Caller;
use crate::center::{Center, agent_id};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};

// ----- wire types ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillInput {
    /// Required to create (`repair`, `billing`): letters, digits, `-`, `_`.
    #[serde(default, skip_serializing)]
    pub key: Option<String>,
    /// Required to change: the version you read.
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
    /// What people see: `报修 Repairs`.
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillNeed {
    /// A skill's key.
    pub skill: String,
    /// Minimum proficiency, 1–10.
    pub min: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelaxInput {
    /// Seconds of waiting after which this step applies.
    pub after: f64,
    /// Accept the queue's skills at this lower proficiency…
    pub min_proficiency: Option<u8>,
    /// …or also agents with these skills.
    pub fallback: Option<Vec<SkillNeed>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverflowInput {
    /// `queue`, `voicemail`, `callback` or `disconnect`.
    pub to: String,
    /// The queue's key when `to` is `queue`.
    pub queue: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccelerationInput {
    pub per_second: u32,
    pub cap: u32,
}

/// A queue (技能组). Durations are in seconds; left-out fields take the engine's defaults.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    #[serde(default, skip_serializing)]
    pub key: Option<String>,
    #[serde(default, skip_serializing)]
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceInput {
    /// Seconds between announcements, 15 to 600.
    pub every: f64,
    /// Say how many callers are ahead (default yes).
    pub position: Option<bool>,
    /// Say the expected wait in minutes (default yes).
    pub wait: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    #[serde(default, skip_serializing)]
    pub key: Option<String>,
    #[serde(default, skip_serializing)]
    pub version: Option<i64>,
    pub name: String,
    /// The team lead (班组长): a user id.
    pub leader: Option<i64>,
    #[serde(default)]
    pub members: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    pub skill: String,
    /// 1–10.
    pub proficiency: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityInput {
    pub voice: u8,
    pub chat: u8,
    pub email: u8,
}

/// An agent's routing profile: extension, SIP credentials, skills, queues, capacity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentInput {
    #[serde(default, skip_serializing)]
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
        // SIP passwords are written, never read back.
        if let Some(o) = data.as_object_mut()
            && o.remove("sip_password").is_some_and(|p| !p.is_null())
        {
            o.insert("has_sip_password".into(), Value::Bool(true));
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
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    #[serde(default, skip_serializing)]
    pub key: Option<String>,
    #[serde(default, skip_serializing)]
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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

/// The calendar crate's spec for `input`, checked.
pub fn calendar_of(input: &CalendarInput) -> ApiResult<calendar::Calendar> {
    if input.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    let weekly: [Vec<String>; 7] = input
        .weekly
        .clone()
        .try_into()
        .map_err(|_| ApiError::invalid("weekly", "seven lists of hours, Monday first"))?;
    let spec = calendar::CalendarSpec {
        time_zone: input
            .time_zone
            .clone()
            .unwrap_or_else(|| "Asia/Shanghai".into()),
        weekly,
        cn_statutory: input.cn_statutory,
        holidays: input.holidays.clone(),
        workdays: input.workdays.clone(),
        special: input
            .special
            .iter()
            .map(|d| calendar::SpecialDay {
                date: d.date.clone(),
                hours: d.hours.clone(),
            })
            .collect(),
    };
    calendar::Calendar::new(&spec).map_err(|e| ApiError::invalid(&e.field, e.reason))
}

// ----- conversion to the engine's types -------------------------------------------------------

fn seconds(field: &str, v: Option<f64>, default: Duration) -> ApiResult<Duration> {
    match v {
        None => Ok(default),
        Some(s) if s.is_finite() && (0.0..=7.0 * 86_400.0).contains(&s) => {
            Ok(Duration::from_secs_f64(s))
        }
        Some(_) => Err(ApiError::invalid(field, "seconds, from 0 to a week")),
    }
}

fn named<T: serde::de::DeserializeOwned>(field: &str, v: &str, choices: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(v.into()))
        .map_err(|_| ApiError::invalid(field, format!("one of {choices}")))
}

fn needs(c: &Center, field: &str, list: &[SkillNeed]) -> ApiResult<Vec<SkillReq>> {
    list.iter()
        .enumerate()
        .map(|(i, n)| {
            let skill = c.known_skill(&n.skill).ok_or_else(|| {
                ApiError::invalid(
                    &format!("{field}[{i}].skill"),
                    format!("no skill `{}`", n.skill),
                )
            })?;
            if !(1..=10).contains(&n.min) {
                return Err(ApiError::invalid(&format!("{field}[{i}].min"), "1 to 10"));
            }
            Ok(SkillReq { skill, min: n.min })
        })
        .collect()
}

/// The engine's queue configuration for `input`; assigns the queue's id if it is new.
pub fn queue_config(
    c: &mut Center,
    key: &str,
    q: &QueueInput,
) -> ApiResult<(QueueId, QueueConfig)> {
    if q.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    let d = QueueConfig::default();
    let overflow = match &q.overflow {
        None => d.overflow,
        Some(o) => match o.to.as_str() {
            "queue" => {
                let target = o
                    .queue
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("overflow.queue", "name the queue"))?;
                if target == key {
                    return Err(ApiError::invalid(
                        "overflow.queue",
                        "a queue cannot overflow into itself",
                    ));
                }
                Overflow::Queue(c.known_queue(target).ok_or_else(|| {
                    ApiError::invalid("overflow.queue", format!("no queue `{target}`"))
                })?)
            }
            "voicemail" => Overflow::Voicemail,
            "callback" => Overflow::Callback,
            "disconnect" => Overflow::Disconnect,
            _ => {
                return Err(ApiError::invalid(
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
            (None, Some(f)) => RelaxStep::Fallback(needs(c, &format!("relax[{i}].fallback"), f)?),
            _ => {
                return Err(ApiError::invalid(
                    &format!("relax[{i}]"),
                    "give either min_proficiency or fallback",
                ));
            }
        };
        relax.push(Relax { after, step });
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
            .map_or(Acceleration::default(), |a| Acceleration {
                per_second: a.per_second,
                cap: a.cap,
            }),
        service_level: match q.service_level {
            None => d.service_level,
            Some(x) if (0.0..=1.0).contains(&x) => x,
            Some(_) => return Err(ApiError::invalid("service_level", "a fraction from 0 to 1")),
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
                Some(k) => c
                    .calendar_open(k)
                    .ok_or_else(|| ApiError::invalid("calendar", format!("no calendar `{k}`")))?,
            },
    };
    announcements(q)?;
    let id = c.known_queue(key).unwrap_or_else(|| c.queue(key));
    c.acd.check_queue(id, &cfg).map_err(engine_refused)?;
    Ok((id, cfg))
}

/// The queue's announcements to waiting callers, if it makes them.
pub fn announcements(q: &QueueInput) -> ApiResult<Option<telephony::Announce>> {
    let Some(a) = &q.announce else {
        return Ok(None);
    };
    if !(a.every.is_finite() && (15.0..=600.0).contains(&a.every)) {
        return Err(ApiError::invalid(
            "announce.every",
            "seconds, from 15 to 600",
        ));
    }
    let (position, wait) = (a.position.unwrap_or(true), a.wait.unwrap_or(true));
    if !position && !wait {
        return Err(ApiError::invalid(
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

pub fn agent_config(c: &Center, a: &AgentInput) -> ApiResult<AgentConfig> {
    if a.extension.is_empty()
        || a.extension.len() > 16
        || !a.extension.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ApiError::invalid("extension", "1 to 16 digits"));
    }
    if let Some(p) = &a.sip_password
        && !(8..=128).contains(&p.chars().count())
    {
        return Err(ApiError::invalid("sip_password", "8 to 128 characters"));
    }
    let mut skills = Vec::new();
    for (i, s) in a.skills.iter().enumerate() {
        let id = c.known_skill(&s.skill).ok_or_else(|| {
            ApiError::invalid(
                &format!("skills[{i}].skill"),
                format!("no skill `{}`", s.skill),
            )
        })?;
        if !(1..=10).contains(&s.proficiency) {
            return Err(ApiError::invalid(
                &format!("skills[{i}].proficiency"),
                "1 to 10",
            ));
        }
        skills.push((id, s.proficiency));
    }
    let mut queues = Vec::new();
    for (i, q) in a.queues.iter().enumerate() {
        queues.push(c.known_queue(q).ok_or_else(|| {
            ApiError::invalid(&format!("queues[{i}]"), format!("no queue `{q}`"))
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
    c.acd.check_agent(&cfg).map_err(engine_refused)?;
    Ok(cfg)
}

pub fn engine_refused(e: acd::AcdError) -> ApiError {
    match e {
        acd::AcdError::InvalidConfig { field, reason } => ApiError::invalid(field, reason),
        other => ApiError::invalid("body", other.to_string()),
    }
}

pub(super) fn stored(v: &impl Serialize) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

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

pub(super) async fn existing(
    state: &AppState,
    tenant: TenantId,
    kind: &str,
    key: &str,
    what: &str,
) -> ApiResult<ConfigItem> {
    state
        .store()
        .config_item(tenant, kind, key)
        .await?
        .ok_or_else(|| ApiError::not_found(what))
}

pub(super) async fn list_kind(
    state: &AppState,
    caller: &Caller,
    kind: &str,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    let items = state.store().config_items(caller.tenant()?, kind).await?;
    Ok(Json(items.iter().map(ConfigDoc::from).collect()))
}

pub(super) async fn saved(
    state: &AppState,
    caller: &Caller,
    item: &ConfigItem,
    created: bool,
) -> ApiResult<()> {
    let action = format!(
        "config.{}.{}",
        item.kind,
        if created { "create" } else { "update" }
    );
    super::audit(
        state,
        caller,
        &action,
        &item.kind,
        &item.key,
        json!({ "version": item.version }),
    )
    .await
}

// ----- skills ---------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/skills", tag = "config", responses((status = 200, body = Vec<ConfigDoc>)))]
pub async fn list_skills(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    list_kind(&state, &caller, "skill").await
}

#[utoipa::path(post, path = "/api/skills", tag = "config", request_body = SkillInput,
    responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_skill(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<SkillInput>,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    let tenant = caller.tenant()?;
    let key = create_key(&input.key, input.version)?;
    if input.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    let item = state
        .store()
        .put_config(
            tenant,
            "skill",
            &key,
            &stored(&input)?,
            None,
            state.now_ms(),
        )
        .await?;
    state
        .center(tenant, move |c| {
            c.skill(&key);
        })
        .await?;
    saved(&state, &caller, &item, true).await?;
    Ok((StatusCode::CREATED, Json(ConfigDoc::from(&item))))
}

#[utoipa::path(put, path = "/api/skills/{skill_key}", tag = "config", request_body = SkillInput,
    params(("skill_key" = String, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_skill(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<SkillInput>,
) -> ApiResult<Json<ConfigDoc>> {
    let tenant = caller.tenant()?;
    existing(&state, tenant, "skill", &key, "skill").await?;
    let version = update_version(&input.key, input.version)?;
    if input.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    let item = state
        .store()
        .put_config(
            tenant,
            "skill",
            &key,
            &stored(&input)?,
            Some(version),
            state.now_ms(),
        )
        .await?;
    saved(&state, &caller, &item, false).await?;
    Ok(Json(ConfigDoc::from(&item)))
}

// ----- queues ---------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/queues", tag = "config", responses((status = 200, body = Vec<ConfigDoc>)))]
pub async fn list_queues(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    list_kind(&state, &caller, "queue").await
}

/// Check against the engine, write with the version, apply at once.
async fn put_queue(
    state: &AppState,
    caller: &Caller,
    key: String,
    input: QueueInput,
    version: Option<i64>,
) -> ApiResult<ConfigItem> {
    let tenant = caller.tenant()?;
    let _one_at_a_time = state.0.config_writes.lock().await;
    let (k, i) = (key.clone(), input.clone());
    state
        .center(tenant, move |c| queue_config(c, &k, &i).map(drop))
        .await??;
    let item = state
        .store()
        .put_config(
            tenant,
            "queue",
            &key,
            &stored(&input)?,
            version,
            state.now_ms(),
        )
        .await?;
    let k = key.clone();
    state
        .center(tenant, move |c| c.apply_queue(&k, input))
        .await??;
    saved(state, caller, &item, version.is_none()).await?;
    Ok(item)
}

#[utoipa::path(post, path = "/api/queues", tag = "config", request_body = QueueInput,
    responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_queue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<QueueInput>,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    let key = create_key(&input.key, input.version)?;
    if state
        .store()
        .config_item(caller.tenant()?, "queue", &key)
        .await?
        .is_some()
    {
        return Err(ApiError::from(store::StoreError::Conflict {
            what: "a queue with this key",
        }));
    }
    let item = put_queue(&state, &caller, key, input, None).await?;
    Ok((StatusCode::CREATED, Json(ConfigDoc::from(&item))))
}

/// Change a queue; calls waiting in it are re-ranked under the new rules, none is dropped.
#[utoipa::path(put, path = "/api/queues/{queue_key}", tag = "config", request_body = QueueInput,
    params(("queue_key" = String, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_queue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<QueueInput>,
) -> ApiResult<Json<ConfigDoc>> {
    existing(&state, caller.tenant()?, "queue", &key, "queue").await?;
    let version = update_version(&input.key, input.version)?;
    let item = put_queue(&state, &caller, key, input, Some(version)).await?;
    Ok(Json(ConfigDoc::from(&item)))
}

// ----- calendars ----------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/calendars", tag = "config", responses((status = 200, body = Vec<ConfigDoc>)))]
pub async fn list_calendars(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    list_kind(&state, &caller, "calendar").await
}

async fn put_calendar(
    state: &AppState,
    caller: &Caller,
    key: String,
    input: CalendarInput,
    version: Option<i64>,
) -> ApiResult<ConfigItem> {
    let tenant = caller.tenant()?;
    let cal = calendar_of(&input)?;
    let _one_at_a_time = state.0.config_writes.lock().await;
    let item = state
        .store()
        .put_config(
            tenant,
            "calendar",
            &key,
            &stored(&input)?,
            version,
            state.now_ms(),
        )
        .await?;
    // Queues on this calendar open or close by the new hours at once.
    state
        .center(tenant, move |c| c.set_calendar(&key, cal))
        .await?;
    saved(state, caller, &item, version.is_none()).await?;
    Ok(item)
}

#[utoipa::path(post, path = "/api/calendars", tag = "config", request_body = CalendarInput,
    responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_calendar(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    let key = create_key(&input.key, input.version)?;
    let item = put_calendar(&state, &caller, key, input, None).await?;
    Ok((StatusCode::CREATED, Json(ConfigDoc::from(&item))))
}

#[utoipa::path(put, path = "/api/calendars/{calendar_key}", tag = "config", request_body = CalendarInput,
    params(("calendar_key" = String, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_calendar(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<CalendarInput>,
) -> ApiResult<Json<ConfigDoc>> {
    existing(&state, caller.tenant()?, "calendar", &key, "calendar").await?;
    let version = update_version(&input.key, input.version)?;
    let item = put_calendar(&state, &caller, key, input, Some(version)).await?;
    Ok(Json(ConfigDoc::from(&item)))
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
    let item = existing(&state, caller.tenant()?, "calendar", &key, "calendar").await?;
    let input: CalendarInput = serde_json::from_value(item.data).map_err(ApiError::internal)?;
    let cal = calendar_of(&input)?;
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

// ----- teams ----------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/teams", tag = "config", responses((status = 200, body = Vec<ConfigDoc>)))]
pub async fn list_teams(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Vec<ConfigDoc>>> {
    list_kind(&state, &caller, "team").await
}

async fn check_team(state: &AppState, tenant: TenantId, t: &TeamInput) -> ApiResult<()> {
    if t.name.trim().is_empty() {
        return Err(ApiError::invalid("name", "must not be empty"));
    }
    for (field, id) in t.leader.iter().map(|l| ("leader".to_string(), *l)).chain(
        t.members
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("members[{i}]"), *m)),
    ) {
        if state
            .store()
            .user(Some(tenant), UserId(id))
            .await?
            .is_none()
        {
            return Err(ApiError::invalid(&field, format!("no user {id} here")));
        }
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/teams", tag = "config", request_body = TeamInput,
    responses((status = 201, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<(StatusCode, Json<ConfigDoc>)> {
    let tenant = caller.tenant()?;
    let key = create_key(&input.key, input.version)?;
    check_team(&state, tenant, &input).await?;
    let item = state
        .store()
        .put_config(tenant, "team", &key, &stored(&input)?, None, state.now_ms())
        .await?;
    saved(&state, &caller, &item, true).await?;
    Ok((StatusCode::CREATED, Json(ConfigDoc::from(&item))))
}

#[utoipa::path(put, path = "/api/teams/{team_key}", tag = "config", request_body = TeamInput,
    params(("team_key" = String, Path)),
    responses((status = 200, body = ConfigDoc), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_team(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(key): ApiPath<String>,
    ApiJson(input): ApiJson<TeamInput>,
) -> ApiResult<Json<ConfigDoc>> {
    let tenant = caller.tenant()?;
    existing(&state, tenant, "team", &key, "team").await?;
    let version = update_version(&input.key, input.version)?;
    check_team(&state, tenant, &input).await?;
    let item = state
        .store()
        .put_config(
            tenant,
            "team",
            &key,
            &stored(&input)?,
            Some(version),
            state.now_ms(),
        )
        .await?;
    saved(&state, &caller, &item, false).await?;
    Ok(Json(ConfigDoc::from(&item)))
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
        .user(Some(tenant), UserId(user_id))
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if !matches!(user.role, Role::Agent | Role::Expert | Role::Supervisor) {
        return Err(ApiError::invalid(
            "user_id",
            "only agents, experts and supervisors take contacts",
        ));
    }
    let id = agent_id(user_id)?;
    let _one_at_a_time = state.0.config_writes.lock().await;
    let mut input = input;
    // Leaving the SIP password out keeps the one set before.
    if input.sip_password.is_none()
        && let Some(old) = state
            .store()
            .config_item(tenant, "agent", &user_id.to_string())
            .await?
    {
        input.sip_password = old.data["sip_password"].as_str().map(String::from);
    }
    let i = input.clone();
    state
        .center(tenant, move |c| agent_config(c, &i).map(drop))
        .await??;
    let key = user_id.to_string();
    let version = input.version;
    let item = state
        .store()
        .put_config(
            tenant,
            "agent",
            &key,
            &stored(&input)?,
            version,
            state.now_ms(),
        )
        .await?;
    state
        .center(tenant, move |c| {
            let cfg = agent_config(c, &input)?;
            let now = c.now;
            c.acd.handle_agent(now, id, cfg).map_err(engine_refused)
        })
        .await??;
    saved(&state, &caller, &item, version.is_none()).await?;
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
    let item = existing(
        &state,
        caller.tenant()?,
        "agent",
        &user_id.to_string(),
        "agent profile",
    )
    .await?;
    Ok(Json(ConfigDoc::from(&item)))
}
