//! The contact center's configuration as stored documents, and the one mechanism every kind
//! goes through: list, create, update and delete with a version; checked without side
//! effects (against the store and the running engine), written with its audit row in one
//! transaction, then applied to the running engine — no restart.
//!
//! These types are the store's format, not the API's: the HTTP edge has its own wire types
//! and converts them, so a field renamed on the wire does not break what is stored. Field
//! names and shapes here are those documents have always had; `tests` keep old documents
//! loading.

use std::future::Future;
use std::time::Duration;

use acd::{
    AgentConfig, Channel, NobodyLoggedIn, Overflow, QueueConfig, QueueId, RelaxStep, SkillReq,
    Strategy,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{ConfigItem, Role, TenantId, UserId};

use crate::center::{Center, agent_id};
use crate::{App, AppError, AppResult};

/// One kind of configuration document: its name in the store, and how it is checked and
/// applied. The mechanism ([`App::put_config`], [`App::delete_config`]) is written once.
pub trait Kind: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The store's kind: `queue`.
    const KIND: &'static str;
    /// What people call it, for "not found": `queue`, `agent profile`.
    const WHAT: &'static str;

    /// Checks that need the store (users exist, other documents' keys). No side effects.
    fn check_stored(
        &self,
        _app: &App,
        _tenant: TenantId,
        _key: &str,
    ) -> impl Future<Output = AppResult<()>> + Send {
        async { Ok(()) }
    }

    /// Checks against the running center, without changing what it runs.
    fn check(&self, _key: &str, _c: &mut Center) -> AppResult<()> {
        Ok(())
    }

    /// Applies the written document to the running center.
    fn apply(self, _key: &str, _c: &mut Center) -> AppResult<()> {
        Ok(())
    }

    /// Fills in what an update may leave out from the document it replaces.
    fn keep_from(&mut self, _old: &Self) {}

    /// Whether this document names the document `kind`/`key` (a queue its skills, a flow
    /// its queues): such a document cannot be deleted while this one names it.
    fn refers_to(&self, _kind: &str, _key: &str) -> bool {
        false
    }

    /// The running center forgets the deleted document; refuses if it cannot yet.
    fn forget(_key: &str, _c: &mut Center) -> AppResult<()> {
        Ok(())
    }
}

/// Reads a stored document of kind `K`.
pub fn parse<K: Kind>(item: &ConfigItem) -> AppResult<K> {
    serde_json::from_value(item.data.clone()).map_err(|e| {
        AppError::Internal(format!(
            "the stored {} `{}` does not parse: {e}",
            K::KIND,
            item.key
        ))
    })
}

impl App {
    /// A tenant's documents of one kind, by key.
    pub async fn config_list(&self, tenant: TenantId, kind: &str) -> AppResult<Vec<ConfigItem>> {
        Ok(self.store().scoped(tenant).config_items(kind).await?)
    }

    /// One document, or `NotFound` naming it.
    pub async fn config_get<K: Kind>(&self, tenant: TenantId, key: &str) -> AppResult<ConfigItem> {
        self.store()
            .scoped(tenant)
            .config_item(K::KIND, key)
            .await?
            .ok_or(AppError::NotFound(K::WHAT))
    }

    /// Creates (`version` `None`) or replaces (the version read) a document: checked against
    /// the store and the running engine, written with its audit row by `actor`, applied.
    /// A document refused is not written; one written is applied before this returns.
    pub async fn put_config<K: Kind>(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        key: &str,
        mut doc: K,
        version: Option<i64>,
    ) -> AppResult<ConfigItem> {
        let _one_at_a_time = self.0.config_writes.lock().await;
        let old = self
            .store()
            .scoped(tenant)
            .config_item(K::KIND, key)
            .await?;
        match (&old, version) {
            (Some(_), None) => {
                return Err(store::StoreError::Conflict {
                    what: match K::KIND {
                        "skill" => "a skill with this key",
                        "queue" => "a queue with this key",
                        "team" => "a team with this key",
                        "calendar" => "a calendar with this key",
                        "ivr_flow" => "an IVR flow with this key",
                        _ => "a document with this key",
                    },
                }
                .into());
            }
            (None, Some(_)) => return Err(AppError::NotFound(K::WHAT)),
            (Some(old), Some(_)) => doc.keep_from(&parse::<K>(old)?),
            (None, None) => {}
        }
        doc.check_stored(self, tenant, key).await?;
        let (k, d) = (key.to_string(), doc.clone());
        self.center(tenant, move |c| d.check(&k, c)).await??;
        let data = serde_json::to_value(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
        let item = self
            .store()
            .scoped(tenant)
            .put_config(K::KIND, key, &data, version, self.now_ms(), actor)
            .await?;
        let k = key.to_string();
        self.center(tenant, move |c| doc.apply(&k, c)).await??;
        Ok(item)
    }

    /// Deletes a document at the version read, with its audit row by `actor`; refused while
    /// another document names it or the running center still needs it.
    pub async fn delete_config<K: Kind>(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        key: &str,
        version: i64,
    ) -> AppResult<()> {
        let _one_at_a_time = self.0.config_writes.lock().await;
        self.config_get::<K>(tenant, key).await?;
        for kind in [Skill::KIND, Queue::KIND, Agent::KIND, IvrFlow::KIND] {
            for item in self.store().scoped(tenant).config_items(kind).await? {
                let refers = match kind {
                    "skill" => false,
                    "queue" => parse::<Queue>(&item)?.refers_to(K::KIND, key),
                    "agent" => parse::<Agent>(&item)?.refers_to(K::KIND, key),
                    _ => parse::<IvrFlow>(&item)?.refers_to(K::KIND, key),
                };
                if refers && !(kind == K::KIND && item.key == key) {
                    return Err(AppError::InvalidState(format!(
                        "the {} `{}` uses this {}; change it first",
                        kind.replace('_', " "),
                        item.key,
                        K::WHAT
                    )));
                }
            }
        }
        let k = key.to_string();
        self.center(tenant, move |c| K::forget(&k, c)).await??;
        self.store()
            .scoped(tenant)
            .delete_config(K::KIND, key, version, self.now_ms(), actor)
            .await?;
        Ok(())
    }
}

// ----- skills ---------------------------------------------------------------------------------

/// A skill (技能): what a queue needs and an agent has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skill {
    pub name: String,
}

impl Kind for Skill {
    const KIND: &'static str = "skill";
    const WHAT: &'static str = "skill";

    fn check(&self, _key: &str, _c: &mut Center) -> AppResult<()> {
        not_empty(&self.name)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.skill(key);
        Ok(())
    }
}

fn not_empty(name: &str) -> AppResult<()> {
    if name.trim().is_empty() {
        return Err(AppError::invalid("name", "must not be empty"));
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

impl Kind for Queue {
    const KIND: &'static str = "queue";
    const WHAT: &'static str = "queue";

    fn check(&self, key: &str, c: &mut Center) -> AppResult<()> {
        queue_config(c, key, self).map(drop)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.apply_queue(key, self)
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        match kind {
            "skill" => self
                .skills
                .iter()
                .chain(self.relax.iter().flat_map(|r| r.fallback.iter().flatten()))
                .any(|n| n.skill == key),
            "queue" => self
                .overflow
                .as_ref()
                .is_some_and(|o| o.queue.as_deref() == Some(key)),
            "calendar" => self.calendar.as_deref() == Some(key),
            _ => false,
        }
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        c.close_queue(key)
    }
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

fn needs(c: &Center, field: &str, list: &[SkillNeed]) -> AppResult<Vec<SkillReq>> {
    list.iter()
        .enumerate()
        .map(|(i, n)| {
            let skill = c.known_skill(&n.skill).ok_or_else(|| {
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

/// The engine's queue configuration for `q`, its calendar applied, checked by the engine;
/// assigns the queue's id if it is new.
pub fn queue_config(c: &mut Center, key: &str, q: &Queue) -> AppResult<(QueueId, QueueConfig)> {
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
                Overflow::Queue(c.known_queue(target).ok_or_else(|| {
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
            (None, Some(f)) => RelaxStep::Fallback(needs(c, &format!("relax[{i}].fallback"), f)?),
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
            Some(_) => return Err(AppError::invalid("service_level", "a fraction from 0 to 1")),
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
                    .ok_or_else(|| AppError::invalid("calendar", format!("no calendar `{k}`")))?,
            },
    };
    announcements(q)?;
    let id = c.known_queue(key).unwrap_or_else(|| c.queue(key));
    c.acd
        .check_queue(id, &cfg)
        .map_err(AppError::engine_refused)?;
    Ok((id, cfg))
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

impl Kind for Team {
    const KIND: &'static str = "team";
    const WHAT: &'static str = "team";

    async fn check_stored(&self, app: &App, tenant: TenantId, _key: &str) -> AppResult<()> {
        not_empty(&self.name)?;
        let people = self
            .leader
            .iter()
            .map(|l| ("leader".to_string(), *l))
            .chain(
                self.members
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (format!("members[{i}]"), *m)),
            );
        for (field, id) in people {
            if app.store().user(Some(tenant), UserId(id)).await?.is_none() {
                return Err(AppError::invalid(field, format!("no user {id} here")));
            }
        }
        Ok(())
    }
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
    pub sip_password: Option<String>,
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    #[serde(default)]
    pub queues: Vec<String>,
    pub capacity: Option<Capacity>,
}

impl Kind for Agent {
    const KIND: &'static str = "agent";
    const WHAT: &'static str = "agent profile";

    async fn check_stored(&self, app: &App, tenant: TenantId, key: &str) -> AppResult<()> {
        let user_id: i64 = key
            .parse()
            .map_err(|_| AppError::invalid("user_id", "not a user id"))?;
        let user = app
            .store()
            .user(Some(tenant), UserId(user_id))
            .await?
            .ok_or(AppError::NotFound("user"))?;
        if !matches!(user.role, Role::Agent | Role::Expert | Role::Supervisor) {
            return Err(AppError::invalid(
                "user_id",
                "only agents, experts and supervisors take contacts",
            ));
        }
        agent_id(user_id).map(drop)
    }

    fn check(&self, _key: &str, c: &mut Center) -> AppResult<()> {
        agent_config(c, self).map(drop)
    }

    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        let id = key
            .parse()
            .map_err(|_| AppError::invalid("user_id", "not a user id"))
            .and_then(agent_id)?;
        let cfg = agent_config(c, &self)?;
        let now = c.now;
        c.acd
            .handle_agent(now, id, cfg)
            .map_err(AppError::engine_refused)?;
        c.retired.remove(&id);
        Ok(())
    }

    /// Leaving the SIP password out keeps the one set before.
    fn keep_from(&mut self, old: &Agent) {
        if self.sip_password.is_none() {
            self.sip_password.clone_from(&old.sip_password);
        }
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        match kind {
            "skill" => self.skills.iter().any(|s| s.skill == key),
            "queue" => self.queues.iter().any(|q| q == key),
            _ => false,
        }
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        let id = key
            .parse()
            .map_err(|_| AppError::invalid("user_id", "not a user id"))
            .and_then(agent_id)?;
        c.forget_agent(id)
    }
}

/// The engine's configuration of an agent, checked by the engine.
pub fn agent_config(c: &Center, a: &Agent) -> AppResult<AgentConfig> {
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
        let id = c.known_skill(&s.skill).ok_or_else(|| {
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
        queues.push(
            c.known_queue(q).ok_or_else(|| {
                AppError::invalid(format!("queues[{i}]"), format!("no queue `{q}`"))
            })?,
        );
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
    c.acd.check_agent(&cfg).map_err(AppError::engine_refused)?;
    Ok(cfg)
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

impl Kind for Calendar {
    const KIND: &'static str = "calendar";
    const WHAT: &'static str = "calendar";

    fn check(&self, _key: &str, _c: &mut Center) -> AppResult<()> {
        self.build().map(drop)
    }

    /// Queues on this calendar open or close by the new hours at once.
    fn apply(self, key: &str, c: &mut Center) -> AppResult<()> {
        c.set_calendar(key, self.build()?);
        Ok(())
    }

    fn forget(key: &str, c: &mut Center) -> AppResult<()> {
        c.forget_calendar(key);
        Ok(())
    }
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
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Named { name: String, flow: ivr::Flow },
            Bare(ivr::Flow),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Named { name, flow } => IvrFlow { name, flow },
            Stored::Bare(flow) => IvrFlow {
                name: String::new(),
                flow,
            },
        })
    }
}

impl Kind for IvrFlow {
    const KIND: &'static str = "ivr_flow";
    const WHAT: &'static str = "IVR flow";

    /// No caller can be stranded: every queue and calendar it names exists.
    async fn check_stored(&self, app: &App, tenant: TenantId, _key: &str) -> AppResult<()> {
        not_empty(&self.name)?;
        let keys = |items: Vec<ConfigItem>| items.into_iter().map(|i| i.key).collect::<Vec<_>>();
        let queues = keys(app.store().scoped(tenant).config_items(Queue::KIND).await?);
        let calendars = keys(
            app.store()
                .scoped(tenant)
                .config_items(Calendar::KIND)
                .await?,
        );
        self.flow
            .check(Some(&queues), Some(&calendars))
            .map_err(|e| AppError::invalid(format!("flow.{}", e.field), e.reason))
    }

    fn refers_to(&self, kind: &str, key: &str) -> bool {
        self.flow.nodes.values().any(|n| match (kind, n) {
            ("queue", ivr::Node::Queue { queue, .. } | ivr::Node::Callback { queue }) => {
                queue == key
            }
            (
                "calendar",
                ivr::Node::Branch {
                    when: ivr::Condition::Open { calendar },
                    ..
                },
            ) => calendar == key,
            _ => false,
        })
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
}

impl Kind for CenterSettings {
    const KIND: &'static str = "settings";
    const WHAT: &'static str = "settings";

    fn check(&self, _key: &str, _c: &mut Center) -> AppResult<()> {
        check_settings(self)
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
        }
    }
}

fn check_settings(s: &CenterSettings) -> AppResult<()> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn loads<K: Kind + std::fmt::Debug>(data: Value) -> K {
        let item = ConfigItem {
            kind: K::KIND.into(),
            key: "k".into(),
            data,
            version: 1,
            updated_at_ms: 0,
        };
        parse::<K>(&item).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Documents as the API stored them before configuration had types of its own (the
    /// wire types serialised, `null` for what was left out) still load.
    #[test]
    fn issue_19_documents_stored_before_the_change_still_load() {
        let q: Queue = loads(json!({
            "name": "报修 Repairs", "channel": null,
            "skills": [{"skill": "water", "min": 3}],
            "relax": [{"after": 30.0, "min_proficiency": 1, "fallback": null}],
            "strategy": "longest_idle", "priority": null, "acceleration": null,
            "service_level": 0.8, "service_time": 20.0, "wrap_up": 15.0, "ring_timeout": null,
            "max_wait": null, "max_size": null, "overflow": {"to": "voicemail", "queue": null},
            "nobody_logged_in": null, "sticky": null, "open": null, "calendar": "office",
            "announce": {"every": 30.0, "position": null, "wait": true}
        }));
        assert_eq!(q.skills[0].skill, "water");
        assert_eq!(q.calendar.as_deref(), Some("office"));
        assert!(q.refers_to("calendar", "office") && q.refers_to("skill", "water"));
        // The demo's seed wrote queues with only some fields.
        let q: Queue = loads(json!({"name": "总队列", "skills": [], "wrap_up": 10}));
        assert_eq!(q.wrap_up, Some(10.0));
        let a: Agent = loads(json!({
            "extension": "1001", "sip_password": "secret1001",
            "skills": [{"skill": "water", "proficiency": 5}], "queues": ["repair"],
            "capacity": null
        }));
        assert!(a.refers_to("queue", "repair"));
        let c: Calendar = loads(json!({
            "name": "office", "time_zone": null,
            "weekly": [["08:30-17:30"], ["08:30-17:30"], ["08:30-17:30"], ["08:30-17:30"],
                       ["08:30-17:30"], [], []],
            "cn_statutory": true, "holidays": [], "workdays": [], "special": []
        }));
        c.build().unwrap();
        let t: Team = loads(json!({"name": "一班", "leader": 3, "members": [4, 5]}));
        assert_eq!(t.members, [4, 5]);
        loads::<Skill>(json!({"name": "水务"}));
        let s: CenterSettings = loads(json!({
            "dispositions": [{"code": "repair", "name_zh": "故障报修", "name_en": "Repair"}],
            "thresholds": [{"state": "talking", "amber_seconds": 600, "red_seconds": 900}]
        }));
        assert_eq!(s.dispositions[0].code, "repair");
    }

    /// The demo seeded its IVR flow bare (`{start, nodes}`), the API with a name
    /// (`{name, flow}`); both load, and the flow is the same.
    #[test]
    fn issue_19_ivr_flows_load_in_both_stored_shapes() {
        let flow = json!({"start": "q", "nodes": {"q": {"type": "queue", "queue": "repair"}}});
        let bare: IvrFlow = loads(flow.clone());
        let named: IvrFlow = loads(json!({"name": "主流程", "flow": flow}));
        assert_eq!(bare.flow, named.flow);
        assert_eq!(named.name, "主流程");
        assert!(named.refers_to("queue", "repair"));
        assert!(!named.refers_to("queue", "billing"));
        // What is written now is the named shape.
        let again = serde_json::to_value(&named).unwrap();
        assert_eq!(again["name"], "主流程");
        assert_eq!(loads::<IvrFlow>(again), named);
    }

    /// A document that does not parse says which one, never loads as something else.
    #[test]
    fn issue_19_a_document_that_does_not_parse_names_itself() {
        let item = ConfigItem {
            kind: "queue".into(),
            key: "broken".into(),
            data: json!({"skills": "not a list"}),
            version: 1,
            updated_at_ms: 0,
        };
        let e = parse::<Queue>(&item).unwrap_err().to_string();
        assert!(e.contains("queue `broken`"), "{e}");
    }

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
