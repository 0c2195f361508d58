//! What to simulate: traffic per queue, routing rules, agents and their roster.
//!
//! The same structure is read from TOML by `hotline simulate --config`, see
//! `examples/water-utility.toml` in the repository for a commented example.

use acd::{QueueConfig, Reason, SkillId};
use serde::{Deserialize, Serialize};

/// A whole simulation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Seed of the one random number generator; the same seed gives the same run.
    #[serde(default = "one")]
    pub seed: u64,
    /// Length of the run. Calls still in the system at the end are followed to their end.
    pub hours: f64,
    /// Reporting interval, and the step of the arrival-rate curves.
    #[serde(default = "half_hour")]
    pub interval_minutes: f64,
    /// How long agents take to answer an offer (ringing time); 0 gives every agent auto-answer.
    #[serde(default)]
    pub answer_seconds: f64,
    #[serde(rename = "queue")]
    pub queues: Vec<QueueModel>,
    #[serde(rename = "agents")]
    pub agents: Vec<AgentGroup>,
}

/// A queue's traffic and routing. Queues get ids 0, 1, … in the order they are listed; an
/// overflow to another queue names it by that id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueModel {
    pub name: String,
    /// Arrival rate per hour, one value per interval of the day, repeated every day; a single
    /// value is a constant rate. Arrivals are Poisson within each interval.
    pub calls_per_hour: Vec<f64>,
    /// Mean talk time in seconds (after-call work comes from `routing.wrap_up`).
    pub aht: f64,
    #[serde(default)]
    pub handle: HandleTime,
    /// Standard deviation of the talk time, for `handle = "lognormal"`.
    #[serde(default)]
    pub handle_sd: f64,
    /// Mean patience in seconds (exponential); none means nobody abandons.
    #[serde(default)]
    pub patience: Option<f64>,
    /// Customer segments as (share of calls, priority points), e.g. key customers first.
    #[serde(default)]
    pub segments: Vec<Segment>,
    #[serde(default)]
    pub routing: QueueConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleTime {
    #[default]
    Exponential,
    Lognormal,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub share: f64,
    pub priority: i32,
}

/// A group of identical agents and their daily roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    pub name: String,
    pub count: u32,
    /// Skills as (skill id, proficiency 1–10).
    #[serde(default)]
    pub skills: Vec<(SkillId, u8)>,
    /// Queue names this group serves.
    pub queues: Vec<String>,
    /// Contacts at once per channel: voice, chat, e-mail.
    #[serde(default = "voice_only")]
    pub capacity: [u8; 3],
    /// Shifts every day; none means logged in for the whole run.
    #[serde(default)]
    pub shifts: Vec<Shift>,
}

/// A shift within a day, in hours from midnight (end may pass 24 for a night shift).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub start: f64,
    pub end: f64,
    #[serde(default)]
    pub breaks: Vec<Break>,
}

/// Not ready for a while during a shift (小休, meal…), starting at an hour of the day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Break {
    pub at: f64,
    pub minutes: f64,
    #[serde(default = "break_reason")]
    pub reason: Reason,
}

fn one() -> u64 {
    1
}

fn half_hour() -> f64 {
    30.0
}

fn voice_only() -> [u8; 3] {
    [1, 0, 0]
}

fn break_reason() -> Reason {
    Reason::Break
}

/// A model that does not make sense, with the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{field}` is invalid: {reason}")]
pub struct ModelError {
    pub field: String,
    pub reason: String,
}

impl Model {
    /// The single-queue M/M/N(+M) model: Poisson arrivals, exponential talk times, `agents`
    /// always logged in, longest-idle routing, no wrap-up, answered as soon as offered.
    pub fn single_queue(
        calls_per_hour: f64,
        aht: f64,
        agents: u32,
        target_seconds: f64,
        patience: Option<f64>,
        hours: f64,
        seed: u64,
    ) -> Model {
        let routing = QueueConfig {
            service_time: std::time::Duration::from_secs_f64(target_seconds.max(0.0)),
            ..QueueConfig::default()
        };
        Model {
            seed,
            hours,
            interval_minutes: 30.0,
            answer_seconds: 0.0,
            queues: vec![QueueModel {
                name: "queue".into(),
                calls_per_hour: vec![calls_per_hour],
                aht,
                handle: HandleTime::Exponential,
                handle_sd: 0.0,
                patience,
                segments: Vec::new(),
                routing,
            }],
            agents: vec![AgentGroup {
                name: "agents".into(),
                count: agents,
                skills: Vec::new(),
                queues: vec!["queue".into()],
                capacity: voice_only(),
                shifts: Vec::new(),
            }],
        }
    }

    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |field: &str, reason: &str| {
            Err(ModelError {
                field: field.into(),
                reason: reason.into(),
            })
        };
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(self.hours) {
            return bad("hours", "must be a positive number of hours");
        }
        if !positive(self.interval_minutes) {
            return bad("interval_minutes", "must be a positive number of minutes");
        }
        if !(self.answer_seconds.is_finite() && self.answer_seconds >= 0.0) {
            return bad("answer_seconds", "must be zero or more seconds");
        }
        if self.queues.is_empty() {
            return bad("queue", "at least one queue is needed");
        }
        for q in &self.queues {
            let field = |f: &str| format!("queue.{}.{f}", q.name);
            let fail = |f: &str, reason: &str| {
                Err(ModelError {
                    field: field(f),
                    reason: reason.into(),
                })
            };
            if q.calls_per_hour.is_empty()
                || q.calls_per_hour
                    .iter()
                    .any(|r| !(r.is_finite() && *r >= 0.0))
            {
                return fail("calls_per_hour", "one or more non-negative rates per hour");
            }
            if !positive(q.aht) {
                return fail("aht", "must be a positive number of seconds");
            }
            if q.handle == HandleTime::Lognormal && !positive(q.handle_sd) {
                return fail("handle_sd", "a lognormal talk time needs a positive spread");
            }
            if q.patience.is_some_and(|p| !positive(p)) {
                return fail("patience", "must be a positive number of seconds");
            }
            let shares: f64 = q.segments.iter().map(|s| s.share).sum();
            let valid = |s: &Segment| s.share.is_finite() && s.share >= 0.0;
            if !q.segments.iter().all(valid) || shares > 1.0 + 1e-9 {
                return fail(
                    "segments",
                    "shares must be non-negative and add up to at most 1",
                );
            }
        }
        for g in &self.agents {
            for name in &g.queues {
                if !self.queues.iter().any(|q| &q.name == name) {
                    return Err(ModelError {
                        field: format!("agents.{}.queues", g.name),
                        reason: format!("no queue is named `{name}`"),
                    });
                }
            }
            for s in &g.shifts {
                if !(s.start.is_finite() && s.end > s.start && s.end - s.start <= 24.0) {
                    return Err(ModelError {
                        field: format!("agents.{}.shifts", g.name),
                        reason: "a shift ends after it starts, within 24 hours".into(),
                    });
                }
            }
        }
        Ok(())
    }
}
