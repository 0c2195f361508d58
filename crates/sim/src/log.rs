//! A simulation as the center's event log would have it: the engine's events with the
//! API's names (`acd.*`) and, as each call ends, its detail record (`call.ended`), the way
//! the running center writes them — so reports can be fed a simulated day or year.
//!
//! Callers come from a pool of numbers (some call again: repeat calls), agents are users
//! `agent + 1`, and time starts at `epoch_ms`.

use std::collections::HashMap;

use acd::{AgentId, CallId, EventKind, QueueId};
use events::{AcdEvent, CallEnded, Event, Outcome};

/// Turns the engine's events ([`crate::run_with`]'s tap) into log events.
#[derive(Debug)]
pub struct Logger {
    queues: Vec<String>,
    epoch_ms: i64,
    /// How many different numbers call.
    numbers: u64,
    calls: HashMap<CallId, Open>,
}

#[derive(Debug)]
struct Open {
    arrived_ms: i64,
    first: QueueId,
    offered_ms: Option<i64>,
    answered: Option<(i64, AgentId)>,
}

impl Logger {
    /// `queues`: the model's queue names, by index; `numbers`: the size of the callers'
    /// pool (at least 1).
    pub fn new(queues: Vec<String>, epoch_ms: i64, numbers: u64) -> Logger {
        Logger {
            queues,
            epoch_ms,
            numbers: numbers.max(1),
            calls: HashMap::new(),
        }
    }

    fn key(&self, q: QueueId) -> String {
        self.queues
            .get(q.0 as usize)
            .cloned()
            .unwrap_or_else(|| format!("q{}", q.0))
    }

    /// The log events for one of the engine's events, with their times (ms).
    pub fn take(&mut self, e: &acd::Event, out: &mut Vec<(Event, i64)>) {
        let at = self.epoch_ms + i64::try_from(e.at.0).unwrap_or(i64::MAX);
        let acd_event = AcdEvent::new(e.kind, |q| Some(self.key(q)));
        // The center's agents are users: the engine's agent 0 is user 1.
        let mut acd_event = acd_event;
        acd_event.user_id = acd_event.user_id.map(|u| u + 1);
        out.push((Event::Acd(acd_event), at));
        match e.kind {
            EventKind::CallQueued { call, queue } => {
                self.calls.entry(call).or_insert(Open {
                    arrived_ms: at,
                    first: queue,
                    offered_ms: None,
                    answered: None,
                });
            }
            EventKind::CallOffered { call, .. } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.offered_ms = Some(at);
                }
            }
            EventKind::CallAnswered { call, agent, .. } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.answered = Some((at, agent));
                }
            }
            EventKind::CallEnded {
                call,
                queue,
                outcome,
            } => {
                let Some(c) = self.calls.remove(&call) else {
                    return;
                };
                let answered_ms = c.answered.map(|a| a.0);
                // A number from the pool, spread by a multiplicative hash of the call.
                let number = (call.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11) % self.numbers;
                let cdr = CallEnded {
                    call_id: format!("sim-{}", call.0),
                    caller: format!("+86139{number:08}"),
                    customer_id: None,
                    queue: self.key(queue),
                    first_queue: self.key(c.first),
                    agent_id: c.answered.map(|a| i64::from(a.1.0) + 1),
                    offered_to: None,
                    arrived_at_ms: c.arrived_ms,
                    answered_at_ms: answered_ms,
                    ended_at_ms: at,
                    wait_ms: answered_ms.unwrap_or(at) - c.arrived_ms,
                    talk_ms: answered_ms.map_or(0, |a| at - a),
                    ring_ms: answered_ms
                        .zip(c.offered_ms)
                        .map_or(0, |(a, o)| (a - o).max(0)),
                    hold_ms: 0,
                    ivr_ms: 0,
                    dialled: "95598".into(),
                    recording: None,
                    ended_by: None,
                    end_reason: None,
                    media: None,
                    outcome: Outcome::from(outcome),
                    segment: 0,
                    transferred_to: None,
                    customer_segment: None,
                };
                out.push((Event::CallEnded(cdr), at));
            }
            _ => {}
        }
    }
}
