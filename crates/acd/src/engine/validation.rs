//! What a queue's or an agent's configuration must satisfy before the engine takes it.

use std::time::Duration;

use super::{Call, Queue};
use crate::calls::CallMap;
use crate::ids::IdMap;
use crate::types::*;

fn invalid(field: &'static str, reason: impl Into<String>) -> AcdError {
    AcdError::InvalidConfig {
        field,
        reason: reason.into(),
    }
}

fn check_skills(field: &'static str, reqs: &[SkillReq]) -> Result<(), AcdError> {
    match reqs.iter().find(|r| !(1..=10).contains(&r.min)) {
        Some(r) => Err(invalid(
            field,
            format!(
                "proficiency {} for skill {} is not within 1–10",
                r.min, r.skill.0
            ),
        )),
        None => Ok(()),
    }
}

/// The longest duration any setting may have: keeps every time the engine computes far from
/// overflow, and no contact center waits a week for anything.
const LONGEST: Duration = Duration::from_secs(7 * 24 * 3600);

pub(super) fn check_duration(field: &'static str, d: Duration) -> Result<(), AcdError> {
    if d > LONGEST {
        return Err(invalid(field, "must be at most a week"));
    }
    Ok(())
}

pub(super) fn validate_queue(
    id: QueueId,
    cfg: &QueueConfig,
    queues: &IdMap<QueueId, Queue>,
    calls: &CallMap<Call>,
) -> Result<(), AcdError> {
    check_skills("skills", &cfg.skills)?;
    if cfg.ring_timeout.is_zero() {
        return Err(invalid("ring_timeout", "must be longer than zero"));
    }
    for (field, d) in [
        ("ring_timeout", Some(cfg.ring_timeout)),
        ("wrap_up", Some(cfg.wrap_up)),
        ("service_time", Some(cfg.service_time)),
        ("max_wait", cfg.max_wait),
        ("sticky", cfg.sticky),
    ] {
        check_duration(field, d.unwrap_or_default())?;
    }
    if let Some(r) = cfg.relax.last() {
        check_duration("relax", r.after)?;
    }
    // A contact keeps its channel for life: a voice call never becomes a chat.
    if let Some(old) = queues.get(&id).filter(|q| q.cfg.channel != cfg.channel) {
        let live = calls.values().any(|c| c.queue == id);
        let fed = queues
            .values()
            .any(|q| q.cfg.overflow == Overflow::Queue(id));
        if live || fed {
            return Err(invalid(
                "channel",
                format!(
                    "cannot change from {:?} while contacts are in the queue or another queue \
                     overflows into it",
                    old.cfg.channel
                ),
            ));
        }
    }
    if let Overflow::Queue(to) = cfg.overflow
        && queues
            .get(&to)
            .is_some_and(|q| q.cfg.channel != cfg.channel)
    {
        return Err(invalid(
            "overflow",
            format!("queue {} takes another channel", to.0),
        ));
    }
    if cfg.relax.len() > 250 {
        return Err(invalid("relax", "at most 250 steps"));
    }
    for pair in cfg.relax.windows(2) {
        if pair[0].after >= pair[1].after {
            return Err(invalid(
                "relax",
                "steps must come in increasing `after` order",
            ));
        }
    }
    for r in &cfg.relax {
        match &r.step {
            RelaxStep::MinProficiency(m) if !(1..=10).contains(m) => {
                return Err(invalid(
                    "relax",
                    format!("proficiency {m} is not within 1–10"),
                ));
            }
            RelaxStep::Fallback(set) => check_skills("relax", set)?,
            _ => {}
        }
    }
    if cfg.acceleration.per_second > 1000 {
        return Err(invalid("acceleration", "at most 1000 points per second"));
    }
    if cfg.max_wait.is_some_and(|d| d.is_zero()) {
        return Err(invalid("max_wait", "must be longer than zero (or unset)"));
    }
    if cfg.sticky.is_some_and(|d| d.is_zero()) {
        return Err(invalid("sticky", "must be longer than zero (or unset)"));
    }
    match cfg.overflow {
        Overflow::Queue(to) if to == id => {
            Err(invalid("overflow", "a queue cannot overflow into itself"))
        }
        Overflow::Queue(to) if !queues.contains_key(&to) => Err(invalid(
            "overflow",
            format!("queue {} does not exist", to.0),
        )),
        _ => Ok(()),
    }
}

pub(super) fn validate_agent(
    cfg: &AgentConfig,
    queues: &IdMap<QueueId, Queue>,
) -> Result<(), AcdError> {
    if let Some((s, p)) = cfg.skills.iter().find(|(_, p)| !(1..=10).contains(p)) {
        return Err(invalid(
            "skills",
            format!("proficiency {p} for skill {} is not within 1–10", s.0),
        ));
    }
    if let Some(q) = cfg.queues.iter().find(|q| !queues.contains_key(q)) {
        return Err(invalid("queues", format!("queue {} does not exist", q.0)));
    }
    Ok(())
}
