//! Each tenant's routing engine, live: one tokio task per tenant owns an [`acd::Acd`], loaded
//! from the configuration in the store when the tenant is first needed, and takes its inputs
//! as jobs in order. The task reads the clock, fires the engine's timers, and writes what the
//! engine reports to the event log (so the WebSocket, CDRs and reports see it).
//!
//! Names in the API are the tenant's keys (`repair`, `vip-queue`); the engine's ids are
//! assigned here and never leave this module. Agents are users: `AgentId` is the user id.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use acd::{Acd, AgentId, CallId, QueueConfig, QueueId, SkillId, Time};
use serde_json::Value;
use store::{NewEvent, TenantId};
use tokio::sync::{mpsc, oneshot};

use crate::config::{Agent, Calendar, Names, Queue, parse};
use crate::{App, AppError, AppResult, Inner};

type Job = Box<dyn FnOnce(&mut Center) -> Deliver + Send>;

/// Hands a job's result to whoever asked for it.
type Deliver = Box<dyn FnOnce() + Send>;

/// What one job (or timer) of the engine made happen, released in order once the events
/// saying so are committed: no phone is rung and no caller answered before the log has it.
struct Release {
    committed: store::Committed,
    acts: Vec<Act>,
    deliver: Option<Deliver>,
}

/// What telephony is asked to do.
enum Act {
    Call(telephony::Action),
    /// A callback: the agent's phone rings, then the customer is dialled (the queue's key
    /// last).
    Dial(telephony::Dial, CallId, AgentId, String),
    /// A 回访 task offered on the agent's desktop (the screen pop), placed from there.
    Preview(Box<events::CallRinging>),
}

/// A work order's callback (回访) as a contact of the ACD: offered to an agent of its queue
/// on the desktop, placed by the agent (click-to-call), its verdict recorded on the order.
#[derive(Debug, Clone)]
pub struct Task {
    pub order: i64,
    /// Whom to call, normalised.
    pub number: String,
    pub customer: Option<i64>,
    pub queue: String,
    pub priority: i32,
    /// The number shown to the customer.
    pub from: String,
}

/// A task's contact id in the engine, on the desktop and on its call's record:
/// `order-{order}-callback-{queued at}`, one for each attempt.
fn task_key(order: i64, at_ms: i64) -> String {
    format!("order-{order}-callback-{at_ms}")
}

/// After a task's call ends, how long before the same order's callback is offered again if
/// its verdict was not recorded: the agent is still writing it down.
const TASK_GRACE_MS: i64 = 30 * 60_000;

/// The handle time assumed for a queue before any of its calls has ended.
const DEFAULT_HANDLE_MS: f64 = 180_000.0;

/// The running centers, by tenant.
#[derive(Debug, Default)]
pub struct Centers {
    running: Mutex<HashMap<TenantId, mpsc::Sender<Job>>>,
}

/// One tenant's engine and the names it knows.
#[derive(Debug)]
pub struct Center {
    pub acd: Acd,
    pub tenant: TenantId,
    /// The time of the job being run: the clock, never behind the engine.
    pub now: Time,
    skills: HashMap<String, SkillId>,
    queues: HashMap<String, QueueId>,
    calendars: HashMap<String, calendar::Calendar>,
    /// Queues as configured, for re-applying those on a calendar when it opens or closes.
    queue_inputs: HashMap<String, Queue>,
    /// Live calls, for their detail records.
    pub(crate) calls: HashMap<CallId, CallRecord>,
    /// The engine's id of each live call by the call's own id.
    by_key: HashMap<String, CallId>,
    next_call: u64,
    /// Each queue's handle time (talk and wrap-up), averaged over its recent calls, for
    /// telling callers the expected wait.
    handle_ms: HashMap<QueueId, f64>,
    /// Distinguishes this run's event ids from earlier runs'.
    boot: String,
    seq: u64,
    /// Today's floor: time in state, the queues' counts.
    pub floor: crate::floor::Floor,
    /// Users whose phone is on a call the engine does not follow (rung straight, consulted,
    /// placing a call): not to be offered the engine's calls meanwhile.
    engaged: HashSet<i64>,
    /// When each work order's last callback task's call ended, until its verdict is in.
    tasks_ended: HashMap<i64, i64>,
    /// Each work order's callback task in the engine.
    tasks: HashMap<i64, CallId>,
    /// SIP, once attached: whether a phone is registered.
    telephony: Arc<OnceLock<Arc<telephony::Telephony>>>,
    /// Agents whose routing profile was deleted: the engine has no removal, so they stay
    /// in it with no queues, signed out, and cannot sign in until given a profile again.
    pub(crate) retired: HashSet<AgentId>,
    /// Deleted skills and queues: no longer known by their keys, their ids kept for a
    /// skill or queue created again under the same key (the engine keeps a deleted queue,
    /// closed and empty).
    gone_skills: HashMap<String, SkillId>,
    gone_queues: HashMap<String, QueueId>,
    /// Callbacks queued and agents signed in again from the log when this engine started.
    pub(crate) restored: (usize, usize),
}

impl Center {
    /// The skill's id, assigned on first use (or given back, if it was deleted).
    pub fn skill(&mut self, key: &str) -> SkillId {
        let next = self
            .gone_skills
            .remove(key)
            .unwrap_or_else(|| SkillId(count(self.skills.len() + self.gone_skills.len())));
        *self.skills.entry(key.to_string()).or_insert(next)
    }

    /// A deleted skill: no document can name it any more.
    pub fn forget_skill(&mut self, key: &str) {
        if let Some(id) = self.skills.remove(key) {
            self.gone_skills.insert(key.to_string(), id);
        }
    }

    pub fn known_skill(&self, key: &str) -> Option<SkillId> {
        self.skills.get(key).copied()
    }

    pub fn known_queue(&self, key: &str) -> Option<QueueId> {
        self.queues.get(key).copied()
    }

    /// The queue's id, assigned on first use (or given back, if it was deleted).
    pub fn queue(&mut self, key: &str) -> QueueId {
        let next = self.next_queue_id(key);
        self.gone_queues.remove(key);
        *self.queues.entry(key.to_string()).or_insert(next)
    }

    /// The id `queue(key)` would give.
    fn next_queue_id(&self, key: &str) -> QueueId {
        self.known_queue(key)
            .or_else(|| self.gone_queues.get(key).copied())
            .unwrap_or_else(|| QueueId(count(self.queues.len() + self.gone_queues.len())))
    }

    /// Queues a call; returns the engine's id for it (answers and hang-ups use it).
    pub fn arrive(&mut self, incoming: Incoming) -> AppResult<CallId> {
        let queue = self
            .known_queue(&incoming.queue)
            .ok_or_else(|| AppError::invalid("queue", format!("no queue `{}`", incoming.queue)))?;
        if self.by_key.contains_key(&incoming.call_id) {
            return Err(AppError::invalid(
                "call_id",
                "this call is already in the center",
            ));
        }
        self.next_call += 1;
        let id = CallId(self.next_call);
        let arrival = acd::Arrival {
            queue,
            priority: incoming.priority,
            customer: incoming
                .customer
                .and_then(|c| u64::try_from(c).ok())
                .map(acd::CustomerId),
            callback: false,
        };
        let now = self.now;
        self.acd
            .handle_arrival(now, id, arrival)
            .map_err(AppError::engine_refused)?;
        self.by_key.insert(incoming.call_id.clone(), id);
        self.calls.insert(
            id,
            CallRecord {
                id: incoming.call_id,
                caller: incoming.caller,
                customer: incoming.customer,
                queue: incoming.queue,
                dialled: incoming.dialled,
                ivr_ms: incoming.ivr_ms,
                priority: incoming.priority,
                segment: incoming.segment,
                ivr_path: incoming.ivr_path,
                customer_segment: incoming.customer_segment,
                arrived_ms: ms(now),
                ..CallRecord::default()
            },
        );
        Ok(id)
    }

    /// The engine's id of a live call, by the call's own id.
    pub fn call_id(&self, key: &str) -> Option<CallId> {
        self.by_key.get(key).copied()
    }

    /// What is known of a live call (for the screen pop).
    pub fn call(&self, key: &str) -> Option<&CallRecord> {
        self.calls.get(self.by_key.get(key)?)
    }

    /// Telephony's side of a live call: hold, recording, who hung up.
    pub fn call_mut(&mut self, key: &str) -> Option<&mut CallRecord> {
        self.calls.get_mut(self.by_key.get(key)?)
    }

    /// Ends the agent's part of a connected call passed on elsewhere: its record says
    /// where it went, and the call's id is free for the next part. Returns the priority
    /// it had, for the next queue.
    pub fn end_part(&mut self, key: &str, to: &str, why: &str) -> Option<i32> {
        let id = self.by_key.remove(key)?;
        let r = self.calls.get_mut(&id)?;
        r.transferred_to = Some(to.to_string());
        r.ended_by = Some(("agent".into(), why.to_string()));
        let priority = r.priority;
        let now = self.now;
        if let Err(e) = self.acd.handle_hangup(now, id) {
            tracing::warn!(call_id = key, "ending the transferred part: {e}");
        }
        Some(priority)
    }

    /// Queues a work order's callback task, unless it is in already or ended a moment ago
    /// (its verdict is being written down). Returns whether it was queued.
    pub fn callback_task(&mut self, t: Task) -> AppResult<bool> {
        let now_ms = ms(self.now);
        let key = task_key(t.order, now_ms);
        if self.task_of(t.order).is_some()
            || self
                .tasks_ended
                .get(&t.order)
                .is_some_and(|at| now_ms - at < TASK_GRACE_MS)
        {
            return Ok(false);
        }
        // Only a queue made for callbacks: never ahead of callers in a queue of theirs.
        let Some(queue) = self.known_queue(&t.queue) else {
            return Ok(false);
        };
        let queue_name = t.queue.clone();
        self.next_call += 1;
        let id = CallId(self.next_call);
        let arrival = acd::Arrival {
            queue,
            priority: t.priority,
            customer: t
                .customer
                .and_then(|c| u64::try_from(c).ok())
                .map(acd::CustomerId),
            callback: true,
        };
        let now = self.now;
        self.acd
            .handle_arrival(now, id, arrival)
            .map_err(AppError::engine_refused)?;
        self.by_key.insert(key.clone(), id);
        self.tasks.insert(t.order, id);
        self.calls.insert(
            id,
            CallRecord {
                id: key,
                caller: t.number,
                customer: t.customer,
                queue: queue_name,
                dialled: t.from,
                priority: t.priority,
                callback: true,
                order: Some(t.order),
                arrived_ms: now_ms,
                ..CallRecord::default()
            },
        );
        Ok(true)
    }

    /// The work order's task in the engine, if any.
    fn task_of(&self, order: i64) -> Option<CallId> {
        self.tasks.get(&order).copied()
    }

    /// The work orders with a task in the engine.
    pub fn task_orders(&self) -> Vec<i64> {
        self.tasks.keys().copied().collect()
    }

    /// Takes a work order's task out of the engine if it waits or is only offered (its
    /// callback is no longer owed; one being placed goes on), and forgets when its last
    /// one ended.
    pub fn drop_task(&mut self, order: i64) {
        // Its verdict is in: the next resolution's callback waits for nothing.
        self.tasks_ended.remove(&order);
        if let Some(id) = self.task_of(order)
            && self.calls.get(&id).is_some_and(|r| r.answered_ms.is_none())
        {
            let now = self.now;
            if let Err(e) = self.acd.handle_hangup(now, id) {
                tracing::warn!(order, "callback task not taken out: {e}");
            }
        }
    }

    /// The agent places the 回访 task offered to them: what telephony dials (the agent's
    /// phone, then the customer), and the order.
    pub fn place_task(&self, key: &str, user: i64) -> AppResult<(telephony::Dial, i64)> {
        let r = self
            .call(key)
            .filter(|r| r.order.is_some())
            .ok_or(AppError::NotFound("callback task"))?;
        let order = r.order.unwrap_or_default();
        if r.offered_to != Some(user) || r.answered_ms.is_some() {
            return Err(AppError::invalid(
                "call_id",
                "this callback task is not offered to you",
            ));
        }
        Ok((
            telephony::Dial {
                tenant: self.tenant.0,
                call_id: r.id.clone(),
                agent: user,
                number: r.caller.clone(),
                from: r.dialled.clone(),
                customer: r.customer,
            },
            order,
        ))
    }

    /// The waiting caller asked to be called back: their place is kept, and the line they
    /// called on may go.
    pub fn callback(&mut self, key: &str) -> Result<(), String> {
        let id = self.call_id(key).ok_or("the call is not queued")?;
        let now = self.now;
        self.acd
            .handle_callback_request(now, id)
            .map_err(|e| e.to_string())?;
        if let Some(r) = self.calls.get_mut(&id) {
            r.callback = true;
        }
        Ok(())
    }

    /// The one place that decides whether the engine may ring the user's phone: it is
    /// registered (telephony says, so never before telephony is attached) and not on a call
    /// the engine does not follow. Called whenever either may have changed. A user without
    /// a routing profile is nobody's concern here.
    pub fn refresh_phone(&mut self, user: i64) {
        let registered = self
            .telephony
            .get()
            .is_some_and(|t| t.is_reachable(self.tenant.0, user));
        let reachable = registered && !self.engaged.contains(&user);
        if let Ok(agent) = agent_id(user) {
            let now = self.now;
            let _ = self
                .acd
                .handle_reachable(now, agent, acd::Channel::Voice, reachable);
        }
    }

    /// The user's phone is on (or done with) a call the engine does not follow.
    pub fn set_engaged(&mut self, user: i64, engaged: bool) {
        if engaged {
            self.engaged.insert(user);
        } else {
            self.engaged.remove(&user);
        }
        self.refresh_phone(user);
    }

    /// At midnight in the tenant's zone: the engine's daily counters (fewest calls, least
    /// talk time) start again.
    fn new_day(&mut self) {
        let now = self.now;
        if self.floor.roll(ms(now)) {
            self.acd.handle_new_day(now);
            self.floor.changed();
        }
    }

    /// SIP, once attached.
    pub(crate) fn telephony(&self) -> Option<&Arc<telephony::Telephony>> {
        self.telephony.get()
    }

    /// The live call the agent is being offered or is connected to.
    pub fn call_of(&self, user: i64) -> Option<&CallRecord> {
        self.calls
            .values()
            .filter(|r| r.agent == Some(user) || (r.agent.is_none() && r.offered_to == Some(user)))
            .max_by_key(|r| r.arrived_ms)
    }

    /// The calendars open now.
    pub fn open_calendars(&self) -> Vec<String> {
        let now = ms(self.now);
        self.calendars
            .iter()
            .filter(|(_, c)| c.is_open(now))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Whether the calendar is open now; `None` if there is no such calendar.
    pub fn calendar_open(&self, key: &str) -> Option<bool> {
        let now = ms(self.now);
        self.calendars.get(key).map(|c| c.is_open(now))
    }

    /// The engine's configuration of queue `key` as `q` says, its calendar applied, checked
    /// by the engine; assigns the queue's id if it is new.
    /// Assigns nothing: the id is the one applying it would give.
    pub fn queue_config(&self, key: &str, q: &Queue) -> AppResult<(QueueId, QueueConfig)> {
        let cfg = q.engine_config(key, self)?;
        let id = self.next_queue_id(key);
        self.acd
            .check_queue(id, &cfg)
            .map_err(AppError::engine_refused)?;
        Ok((id, cfg))
    }

    /// The engine's configuration of an agent as `a` says, checked by the engine.
    pub fn agent_config(&self, a: &Agent) -> AppResult<acd::AgentConfig> {
        let cfg = a.engine_config(self)?;
        self.acd
            .check_agent(&cfg)
            .map_err(AppError::engine_refused)?;
        Ok(cfg)
    }

    /// Gives the agent the routing profile `a`; calls in progress go on.
    pub fn apply_agent(&mut self, agent: AgentId, a: &Agent) -> AppResult<()> {
        let cfg = self.agent_config(a)?;
        let now = self.now;
        self.acd
            .handle_agent(now, agent, cfg)
            .map_err(AppError::engine_refused)?;
        self.retired.remove(&agent);
        Ok(())
    }

    /// Builds the queue's engine configuration (its calendar applied) and applies it.
    pub fn apply_queue(&mut self, key: &str, input: Queue) -> AppResult<()> {
        let (_, cfg) = self.queue_config(key, &input)?;
        let id = self.queue(key);
        let now = self.now;
        self.acd
            .handle_queue(now, id, cfg)
            .map_err(AppError::engine_refused)?;
        self.queue_inputs.insert(key.to_string(), input);
        Ok(())
    }

    /// A deleted queue: closed for good (the engine keeps its id, which a queue created
    /// again under the key takes back). Refused while calls wait in it.
    pub fn close_queue(&mut self, key: &str) -> AppResult<()> {
        let Some(id) = self.known_queue(key) else {
            return Ok(());
        };
        if self.acd.waiting(id).unwrap_or(0) > 0 {
            return Err(AppError::InvalidState(
                "calls are waiting in this queue; let them be answered or move them first".into(),
            ));
        }
        if let Some(mut cfg) = self.acd.queue_config(id).cloned() {
            cfg.open = false;
            let now = self.now;
            self.acd
                .handle_queue(now, id, cfg)
                .map_err(AppError::engine_refused)?;
        }
        self.queue_inputs.remove(key);
        self.queues.remove(key);
        self.gone_queues.insert(key.to_string(), id);
        Ok(())
    }

    /// A deleted calendar: nothing opens or closes by it any more.
    pub fn forget_calendar(&mut self, key: &str) {
        self.calendars.remove(key);
    }

    /// A deleted routing profile: the agent takes no more contacts. Refused while they are
    /// signed in.
    pub fn forget_agent(&mut self, agent: AgentId) -> AppResult<()> {
        if !matches!(
            self.acd.agent_state(agent),
            None | Some(acd::AgentState::Offline)
        ) {
            return Err(AppError::InvalidState(
                "the agent is signed in; sign them out first".into(),
            ));
        }
        if self.acd.agent_config(agent).is_some() {
            let now = self.now;
            self.acd
                .handle_agent(now, agent, acd::AgentConfig::default())
                .map_err(AppError::engine_refused)?;
            self.retired.insert(agent);
        }
        Ok(())
    }

    /// A new or changed calendar: the queues on it open or close by it at once.
    pub fn set_calendar(&mut self, key: &str, cal: calendar::Calendar) {
        self.calendars.insert(key.to_string(), cal);
        self.reapply_calendars(Some(key));
    }

    /// Re-applies the queues on `only` (or on any calendar) whose calendar now says
    /// otherwise than the engine's configuration.
    fn reapply_calendars(&mut self, only: Option<&str>) {
        let now = ms(self.now);
        let stale: Vec<(String, Queue)> = self
            .queue_inputs
            .iter()
            .filter(|(_, q)| {
                q.calendar
                    .as_deref()
                    .is_some_and(|c| only.is_none_or(|o| o == c))
            })
            .filter(|(key, q)| {
                let wanted = q.open.unwrap_or(true)
                    && q.calendar
                        .as_deref()
                        .and_then(|c| self.calendars.get(c))
                        .is_some_and(|c| c.is_open(now));
                let live = self
                    .queues
                    .get(*key)
                    .and_then(|id| self.acd.queue_config(*id))
                    .map(|c| c.open);
                live != Some(wanted)
            })
            .map(|(k, q)| (k.clone(), q.clone()))
            .collect();
        for (key, input) in stale {
            if let Err(e) = self.apply_queue(&key, input) {
                tracing::error!(queue = key, "re-applying the queue's calendar: {e}");
            }
        }
    }

    /// Every queue: open now (by its flag and its calendar), and how many calls wait.
    pub fn queue_status(&self) -> Vec<(String, bool, usize)> {
        let mut out: Vec<_> = self
            .queues
            .iter()
            .filter_map(|(k, id)| {
                let cfg = self.acd.queue_config(*id)?;
                Some((k.clone(), cfg.open, self.acd.waiting(*id).unwrap_or(0)))
            })
            .collect();
        out.sort();
        out
    }

    /// The next instant a calendar in use opens or closes.
    fn next_calendar_change(&self) -> Option<Time> {
        let now = ms(self.now);
        self.queue_inputs
            .values()
            .filter_map(|q| q.calendar.as_deref())
            .filter_map(|k| self.calendars.get(k)?.next_change(now))
            .min()
            .map(|t| Time(u64::try_from(t).unwrap_or(0)))
    }

    /// The announcements the queue makes to waiting callers.
    pub fn announcements(&self, key: &str) -> Option<telephony::Announce> {
        let input = self.queue_inputs.get(key)?;
        crate::config::announcements(input).ok().flatten()
    }

    /// Where a waiting call stands: calls ahead, and the expected wait — one handle time
    /// (the queue's recent average, or three minutes before it has one) for each caller
    /// ahead and this one, shared among the agents logged in to the queue.
    pub fn place(&self, key: &str) -> Option<telephony::Place> {
        let p = self.acd.place(*self.by_key.get(key)?)?;
        let handle_ms = self
            .handle_ms
            .get(&p.queue)
            .copied()
            .unwrap_or(DEFAULT_HANDLE_MS);
        let wait = (p.agents > 0).then(|| {
            let ms = f64::from(p.ahead + 1) * handle_ms / f64::from(p.agents);
            Duration::from_millis(ms as u64)
        });
        Some(telephony::Place {
            ahead: p.ahead,
            wait,
        })
    }

    pub fn queue_key(&self, id: QueueId) -> Option<&str> {
        self.queues
            .iter()
            .find(|(_, q)| **q == id)
            .map(|(k, _)| k.as_str())
    }
}

impl Names for Center {
    fn skill_id(&self, key: &str) -> Option<SkillId> {
        self.known_skill(key)
    }

    fn queue_id(&self, key: &str) -> Option<QueueId> {
        self.known_queue(key)
    }

    fn is_open(&self, calendar: &str) -> Option<bool> {
        self.calendar_open(calendar)
    }
}

/// A call offered to the center by telephony (or any channel that queues contacts).
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// The call's own id, unique in the tenant (the SIP Call-ID): the detail record's key.
    pub call_id: String,
    /// The caller's number, normalised.
    pub caller: String,
    pub customer: Option<i64>,
    pub queue: String,
    /// The customer segment's base priority.
    pub priority: i32,
    /// The number the caller dialled.
    pub dialled: String,
    /// Time spent in the IVR before queueing.
    pub ivr_ms: u64,
    /// Which part of the call (0, then one more per transfer).
    pub segment: u32,
    /// The IVR nodes the caller went through.
    pub ivr_path: Vec<String>,
    /// The known caller's segment, for the reports.
    pub customer_segment: Option<String>,
}

/// What a call's detail record needs, kept while the call lives.
#[derive(Debug, Default)]
pub struct CallRecord {
    pub id: String,
    pub caller: String,
    pub customer: Option<i64>,
    pub queue: String,
    pub dialled: String,
    pub ivr_ms: u64,
    pub priority: i32,
    pub segment: u32,
    /// A queue or extension the call was passed on to.
    pub transferred_to: Option<String>,
    /// The caller asked to be called back (virtual hold).
    pub callback: bool,
    pub ivr_path: Vec<String>,
    pub arrived_ms: i64,
    offered_ms: Option<i64>,
    /// The agent last offered the call.
    pub offered_to: Option<i64>,
    pub answered_ms: Option<i64>,
    pub agent: Option<i64>,
    /// Since when the call is on hold, and the hold time before that.
    pub hold_since_ms: Option<i64>,
    pub hold_ms: i64,
    pub recording: Option<String>,
    /// `caller`, `agent` or `system`, and why, as telephony saw the end.
    pub ended_by: Option<(String, String)>,
    /// RTP counts of both legs.
    pub media: Option<events::MediaCounts>,
    /// A 回访 task: the work order called back.
    pub order: Option<i64>,
    pub customer_segment: Option<String>,
}

impl CallRecord {
    /// An answered call still going on, as its record would read if it ended at `now_ms`.
    pub(crate) fn in_progress(&self, now_ms: i64) -> Option<events::CallEnded> {
        let answered = self.answered_ms?;
        Some(events::CallEnded {
            call_id: self.id.clone(),
            caller: self.caller.clone(),
            customer_id: self.customer,
            queue: self.queue.clone(),
            first_queue: self.queue.clone(),
            agent_id: self.agent,
            offered_to: self.offered_to,
            arrived_at_ms: self.arrived_ms,
            answered_at_ms: Some(answered),
            ended_at_ms: now_ms,
            wait_ms: answered - self.arrived_ms,
            talk_ms: (now_ms - answered).max(0),
            ring_ms: self.offered_ms.map_or(0, |o| (answered - o).max(0)),
            hold_ms: self.hold_ms + self.hold_since_ms.map_or(0, |h| (now_ms - h).max(0)),
            ivr_ms: self.ivr_ms,
            dialled: self.dialled.clone(),
            recording: None,
            ended_by: None,
            end_reason: None,
            media: None,
            outcome: events::Outcome::Answered,
            segment: self.segment,
            transferred_to: None,
            customer_segment: self.customer_segment.clone(),
        })
    }
}

/// An id from a count of ids handed out.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An engine instant as the API's milliseconds.
pub fn ms(t: Time) -> i64 {
    i64::try_from(t.0).unwrap_or(i64::MAX)
}

/// An agent's engine id from a user id.
pub fn agent_id(user: i64) -> AppResult<AgentId> {
    u32::try_from(user)
        .map(AgentId)
        .map_err(|_| AppError::invalid("user_id", "out of range"))
}

impl Center {
    /// Puts back into a freshly loaded engine what the log says it had: agents signed in
    /// (ready, or not ready with their reason), callbacks owed. Returns how many callbacks
    /// and agents.
    fn restore(&mut self, left: crate::recovery::Unfinished) -> (usize, usize) {
        use acd::Presence;
        let now = self.now;
        let mut agents = 0;
        for (user, p) in left.presence {
            let Ok(id) = agent_id(user) else { continue };
            if self.acd.handle_login(now, id).is_err() {
                continue;
            }
            agents += 1;
            let _ = match p {
                Presence::NotReady(reason) => self.acd.handle_not_ready(now, id, reason),
                _ => self.acd.handle_ready(now, id),
            };
        }
        let mut callbacks = 0;
        for owed in left.callbacks {
            let key = owed.call_id.clone();
            let incoming = Incoming {
                call_id: owed.call_id,
                caller: owed.caller,
                customer: owed.customer,
                queue: owed.queue,
                priority: 0,
                dialled: owed.dialled,
                ivr_ms: owed.ivr_ms,
                segment: 0,
                ivr_path: owed.ivr_path,
                customer_segment: None,
            };
            if self.arrive(incoming).is_ok() && self.callback(&key).is_ok() {
                callbacks += 1;
            }
        }
        (callbacks, agents)
    }
}

impl App {
    /// The tenants whose engine is running.
    pub fn running_centers(&self) -> Vec<TenantId> {
        let running = self
            .0
            .centers
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        running.keys().copied().collect()
    }

    /// Runs `job` on the tenant's engine, starting it if need be, and returns its result.
    pub async fn center<R: Send + 'static>(
        &self,
        tenant: TenantId,
        job: impl FnOnce(&mut Center) -> R + Send + 'static,
    ) -> AppResult<R> {
        let sender = {
            let mut running = self
                .0
                .centers
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            running
                .entry(tenant)
                .or_insert_with(|| {
                    let (tx, rx) = mpsc::channel(1024);
                    let me = tx.downgrade();
                    tokio::spawn(run(std::sync::Arc::downgrade(&self.0), tenant, rx, me));
                    tx
                })
                .clone()
        };
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |c| {
            let result = job(c);
            Box::new(move || {
                let _ = reply.send(result);
            })
        });
        if sender.send(job).await.is_err() {
            self.0
                .centers
                .running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&tenant);
            return Err(AppError::Internal(format!(
                "the routing engine of tenant {} stopped",
                tenant.0
            )));
        }
        answer
            .await
            .map_err(|_| AppError::Internal("the routing engine dropped a job".into()))
    }
}

async fn run(
    state: Weak<Inner>,
    tenant: TenantId,
    mut jobs: mpsc::Receiver<Job>,
    me: mpsc::WeakSender<Job>,
) {
    let mut center = match load(&state, tenant).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(tenant = tenant.0, "cannot start the routing engine: {e}");
            return;
        }
    };
    let (releases, released) = mpsc::channel(1024);
    tokio::spawn(release(state.clone(), tenant, released, me));
    loop {
        let next = match (center.acd.poll_timeout(), center.next_calendar_change()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let wait = match (next, clock(&state)) {
            (Some(t), Some(now)) => Duration::from_millis(t.0.saturating_sub(now.0)),
            _ => Duration::from_secs(3600),
        };
        let step = tokio::select! {
            job = jobs.recv() => {
                let Some(job) = job else { return };
                let Some(now) = clock(&state) else { return };
                catch_unwind(AssertUnwindSafe(|| {
                    center.now = now.max(center.acd.now());
                    center.new_day();
                    center.reapply_calendars(None);
                    Some(job(&mut center))
                }))
            }
            () = tokio::time::sleep(wait), if next.is_some() => {
                let Some(now) = clock(&state) else { return };
                catch_unwind(AssertUnwindSafe(|| {
                    center.now = now.max(center.acd.now());
                    center.new_day();
                    center.acd.handle_timeout(center.now);
                    center.reapply_calendars(None);
                    None
                }))
            }
        };
        let deliver = match step {
            Ok(deliver) => deliver,
            Err(panic) => {
                // Whatever the engine held may be half-changed: it is built again from the
                // configuration and the log, and supervisors are told. The job that failed
                // gets no answer (its caller sees an error).
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                tracing::error!(
                    tenant = tenant.0,
                    "routing engine failed ({reason}); restarting it from the log"
                );
                // What the engine logged before is read back: wait until it is all written.
                if let Some(inner) = state.upgrade() {
                    let _ = App(inner).events().flush().await;
                }
                center = match load(&state, tenant).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(
                            tenant = tenant.0,
                            "cannot restart the routing engine: {e}"
                        );
                        return;
                    }
                };
                let Some(inner) = state.upgrade() else { return };
                let app = App(inner);
                app.0
                    .center_restarts
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let at = app.now_ms();
                center.floor.alert(at, &reason);
                let (callbacks, agents) = center.restored;
                let restarted = events::CenterRestarted {
                    reason,
                    agents: agents as u64,
                    callbacks: callbacks as u64,
                };
                app.record(tenant, events::CenterRestarted::id(at), &restarted)
                    .await;
                // Callers still on the line and waiting go back in line.
                if let Some(t) = app.telephony() {
                    t.requeue(tenant.0);
                }
                None
            }
        };
        let Some(state) = state.upgrade() else { return };
        let app = App(state);
        let acts = actions(&app, &mut center);
        let events = observe(&mut center);
        let (committed, invalid) = app.events().submit(events).await;
        if let Some(e) = invalid {
            tracing::error!(tenant = tenant.0, "routing event not logged: {e}");
        }
        let release = Release {
            committed,
            acts,
            deliver,
        };
        if releases.send(release).await.is_err() {
            return;
        }
    }
}

/// Carries out what the engine decided, in order, each once its events are committed; the
/// engine goes on meanwhile (its next jobs' events share the commits).
async fn release(
    state: Weak<Inner>,
    tenant: TenantId,
    mut released: mpsc::Receiver<Release>,
    engine: mpsc::WeakSender<Job>,
) {
    while let Some(r) = released.recv().await {
        if r.committed.await.is_err() {
            // Shutting down: what was not logged is not done, and nobody is told it was.
            tracing::warn!(
                tenant = tenant.0,
                "event log closed; engine's actions dropped"
            );
            continue;
        }
        let Some(inner) = state.upgrade() else { return };
        let app = App(inner);
        for act in r.acts {
            if let Act::Preview(pop) = &act {
                let id = events::CallRinging::id(&pop.call_id, pop.user_id, app.now_ms());
                app.record(tenant, id, &**pop).await;
            } else if let Some(t) = app.telephony() {
                match act {
                    Act::Call(a) => t.act(a),
                    Act::Preview(_) => {}
                    Act::Dial(dial, call, agent, queue) => {
                        let call_id = dial.call_id.clone();
                        // The contact policy first: what it does not let through now waits
                        // as the customer's callback topic, and the engine lets it go.
                        if !app.callback_allowed(tenant, &dial, &queue).await {
                            let job: Job = Box::new(move |c| {
                                let now = c.now;
                                let _ = c.acd.handle_hangup(now, call);
                                Box::new(|| {})
                            });
                            if let Some(engine) = engine.upgrade() {
                                tokio::spawn(async move { engine.send(job).await });
                            }
                            continue;
                        }
                        let audit = store::AuditEntry {
                            tenant: Some(tenant),
                            at_ms: app.now_ms(),
                            actor: None,
                            action: "call.callback".into(),
                            target_kind: "call".into(),
                            target_id: call_id.clone(),
                            detail: serde_json::json!({
                                "number": dial.number, "agent_id": dial.agent,
                            }),
                        };
                        let placed = t.dial(dial);
                        if placed.is_ok()
                            && let Err(e) = app.store().append_audit(&audit).await
                        {
                            tracing::error!(call_id, "callback's audit row not written: {e}");
                        }
                        if let Err(e) = placed {
                            tracing::warn!(call_id, "callback not placed: {e}");
                            if let Err(e) = app.unplace_contact(tenant, &call_id).await {
                                tracing::warn!(call_id, "callback still counted: {e}");
                            }
                            // The next agent, as for a phone that refused. Not awaited: the
                            // engine may be waiting on this task.
                            let job: Job = Box::new(move |c| {
                                let now = c.now;
                                let _ = c.acd.handle_decline(now, call, agent);
                                Box::new(|| {})
                            });
                            if let Some(engine) = engine.upgrade() {
                                tokio::spawn(async move { engine.send(job).await });
                            }
                        }
                    }
                }
            }
        }
        if let Some(deliver) = r.deliver {
            deliver();
        }
    }
}

fn clock(state: &Weak<Inner>) -> Option<Time> {
    let inner = state.upgrade()?;
    Some(Time(u64::try_from(inner.clock.now_ms()).unwrap_or(0)))
}

/// The engine's decisions, for telephony (ring this phone…); until telephony is attached
/// they have nobody to go to.
fn actions(app: &App, c: &mut Center) -> Vec<Act> {
    let mut acts = Vec::new();
    while let Some(action) = c.acd.poll_action() {
        // A task's preview is the desktop's; everything else is telephony's.
        let preview = matches!(action, acd::Action::Offer { call, callback: true, .. }
            if c.calls.get(&call).is_some_and(|r| r.order.is_some()));
        if app.telephony().is_none() && !preview {
            continue;
        }
        let key = |call: &CallId| c.calls.get(call).map(|r| r.id.clone());
        let action = match action {
            acd::Action::Offer {
                call,
                agent,
                callback: true,
                ..
            } => {
                if let Some(r) = c.calls.get(&call)
                    && let Some(order) = r.order
                {
                    let user = i64::from(agent.0);
                    acts.push(Act::Preview(Box::new(events::CallRinging {
                        call_id: r.id.clone(),
                        user_id: user,
                        to_user_id: user,
                        extension: String::new(),
                        caller: r.caller.clone(),
                        customer_id: r.customer,
                        queue: r.queue.clone(),
                        dialled: r.dialled.clone(),
                        ivr_ms: 0,
                        ivr_path: Vec::new(),
                        waited_ms: ms(c.now) - r.arrived_ms,
                        order_id: Some(order),
                    })));
                } else if let Some(r) = c.calls.get(&call) {
                    let dial = telephony::Dial {
                        tenant: c.tenant.0,
                        call_id: r.id.clone(),
                        agent: i64::from(agent.0),
                        number: r.caller.clone(),
                        from: r.dialled.clone(),
                        customer: r.customer,
                    };
                    acts.push(Act::Dial(dial, call, agent, r.queue.clone()));
                }
                None
            }
            acd::Action::Offer { call, agent, .. } => {
                key(&call).map(|call_id| telephony::Action::Offer {
                    call_id,
                    agent: i64::from(agent.0),
                })
            }
            acd::Action::CancelOffer { call, agent } => {
                key(&call).map(|call_id| telephony::Action::CancelOffer {
                    call_id,
                    agent: i64::from(agent.0),
                })
            }
            acd::Action::Overflow { call, target } => {
                let to = match target {
                    acd::Overflow::Voicemail => Some(telephony::Overflow::Voicemail),
                    acd::Overflow::Callback => Some(telephony::Overflow::Callback),
                    acd::Overflow::Disconnect => Some(telephony::Overflow::Disconnect),
                    // The engine moves the call itself.
                    acd::Overflow::Queue(_) => None,
                };
                key(&call)
                    .zip(to)
                    .map(|(call_id, to)| telephony::Action::Overflow { call_id, to })
            }
        };
        if let Some(a) = action {
            acts.push(Act::Call(a));
        }
    }
    acts
}

/// The engine's reports: onto the floor view, and as events (with a call's detail record
/// when it ends) for the log.
fn observe(c: &mut Center) -> Vec<NewEvent> {
    let mut out = Vec::new();
    while let Some(event) = c.acd.poll_event() {
        let at_ms = ms(event.at);
        c.floor.observe(&event.kind, at_ms);
        let record = call_record(c, &event.kind, at_ms);
        let payload = events::AcdEvent::new(event.kind, |q| c.queue_key(q).map(String::from));
        c.seq += 1;
        out.push(NewEvent {
            tenant: c.tenant,
            id: format!("acd:{}:{}", c.boot, c.seq),
            at_ms,
            kind: payload.kind(),
            payload: payload.to_value(),
            order: None,
            lead: None,
        });
        out.extend(record);
    }
    if !out.is_empty() {
        c.floor.changed();
    }
    out
}

/// Follows a call through the engine's events; when it ends, its detail record (CDR) as a
/// `call.ended` event, keyed by the call's id so it is logged once. CDR queries and the
/// customer's timeline read these.
fn call_record(c: &mut Center, kind: &acd::EventKind, at_ms: i64) -> Option<NewEvent> {
    use acd::EventKind;
    use events::{CallEnded, Outcome, Payload};
    match *kind {
        EventKind::CallOffered { call, agent } => {
            if let Some(r) = c.calls.get_mut(&call) {
                r.offered_ms = Some(at_ms);
                r.offered_to = Some(i64::from(agent.0));
            }
            None
        }
        // Rang out or refused: no longer that agent's call (their desktop closes the pop).
        EventKind::CallReturned { call, agent, .. } => {
            if let Some(r) = c.calls.get_mut(&call)
                && r.offered_to == Some(i64::from(agent.0))
            {
                r.offered_to = None;
            }
            None
        }
        EventKind::CallAnswered { call, agent, .. } => {
            if let Some(r) = c.calls.get_mut(&call) {
                r.answered_ms = Some(at_ms);
                r.agent = Some(i64::from(agent.0));
            }
            None
        }
        EventKind::CallEnded {
            call,
            queue,
            outcome,
        } => {
            let r = c.calls.remove(&call)?;
            if c.by_key.get(&r.id) == Some(&call) {
                c.by_key.remove(&r.id);
            }
            if let Some(order) = r.order {
                c.tasks.remove(&order);
                // A task never placed is no call: no record, and nothing to wait for.
                r.answered_ms?;
                c.tasks_ended.insert(order, at_ms);
            }
            let outcome = Outcome::from(outcome);
            let wait_ms = r.answered_ms.unwrap_or(at_ms) - r.arrived_ms;
            let talk_ms = r.answered_ms.map_or(0, |a| at_ms - a);
            if outcome == Outcome::Answered {
                // A moving average over about the last twenty calls.
                let wrap_ms = c
                    .acd
                    .queue_config(queue)
                    .map_or(0.0, |q| q.wrap_up.as_millis() as f64);
                let handle = talk_ms as f64 + wrap_ms;
                c.handle_ms
                    .entry(queue)
                    .and_modify(|h| *h += (handle - *h) / 20.0)
                    .or_insert(handle);
            }
            let ring_ms = r
                .answered_ms
                .zip(r.offered_ms)
                .map_or(0, |(a, o)| (a - o).max(0));
            let hold_ms = r.hold_ms + r.hold_since_ms.map_or(0, |h| at_ms - h);
            let (ended_by, end_reason) = r.ended_by.unzip();
            let cdr = CallEnded {
                queue: c.queue_key(queue).unwrap_or(&r.queue).to_string(),
                first_queue: r.queue,
                call_id: r.id,
                caller: r.caller,
                customer_id: r.customer,
                agent_id: r.agent,
                offered_to: r.offered_to,
                arrived_at_ms: r.arrived_ms,
                answered_at_ms: r.answered_ms,
                ended_at_ms: at_ms,
                wait_ms,
                talk_ms,
                ring_ms,
                hold_ms,
                ivr_ms: r.ivr_ms,
                dialled: r.dialled,
                recording: r.recording,
                ended_by,
                end_reason,
                media: r.media,
                outcome,
                segment: r.segment,
                transferred_to: r.transferred_to,
                customer_segment: r.customer_segment,
            };
            Some(NewEvent {
                tenant: c.tenant,
                id: CallEnded::id(&cdr.call_id, cdr.segment),
                at_ms,
                kind: CallEnded::KIND.into(),
                payload: cdr.to_value(),
                order: None,
                lead: None,
            })
        }
        _ => None,
    }
}

/// A tenant's engine as its configuration says: skills, queues (twice, so overflow targets
/// exist whatever the order), agents.
async fn load(state: &Weak<Inner>, tenant: TenantId) -> Result<Center, String> {
    let inner = state.upgrade().ok_or("shutting down")?;
    let store = inner.store.clone();
    let now = Time(u64::try_from(inner.clock.now_ms()).unwrap_or(0));
    let telephony = inner.telephony.clone();
    drop(inner);
    let zone = store
        .tenant(tenant)
        .await
        .map_err(|e| e.to_string())?
        .map_or_else(|| "Asia/Shanghai".to_string(), |t| t.time_zone);
    let mut c = Center {
        acd: Acd::new(),
        tenant,
        now,
        skills: HashMap::new(),
        queues: HashMap::new(),
        calendars: HashMap::new(),
        queue_inputs: HashMap::new(),
        calls: HashMap::new(),
        by_key: HashMap::new(),
        next_call: 0,
        handle_ms: HashMap::new(),
        boot: crate::random_hex(12),
        seq: 0,
        floor: crate::floor::Floor::new(&zone, i64::try_from(now.0).unwrap_or(0)),
        engaged: HashSet::new(),
        tasks_ended: HashMap::new(),
        tasks: HashMap::new(),
        telephony: telephony.clone(),
        retired: HashSet::new(),
        gone_skills: HashMap::new(),
        gone_queues: HashMap::new(),
        restored: (0, 0),
    };
    let items = |kind: &'static str| {
        let store = store.clone();
        async move {
            store
                .scoped(tenant)
                .config_items(kind)
                .await
                .map_err(|e| e.to_string())
        }
    };
    // A document the engine refuses (written by an older version, say) is logged and left
    // out, so one bad queue cannot keep a whole center from starting.
    let skip = |what: &str, key: &str, e: String| {
        tracing::error!(
            tenant = tenant.0,
            "{what} `{key}` left out of the routing engine: {e}"
        );
    };
    for s in items("skill").await? {
        c.skill(&s.key);
    }
    for cal in items("calendar").await? {
        match parse::<Calendar>(&cal).and_then(|i| i.build()) {
            Ok(parsed) => {
                c.calendars.insert(cal.key.clone(), parsed);
            }
            Err(e) => skip("calendar", &cal.key, e.to_string()),
        }
    }
    // Every queue first as a placeholder on its own channel, so that overflow targets exist
    // whatever the order; then as configured.
    let mut queues = Vec::new();
    for q in items("queue").await? {
        match parse::<Queue>(&q) {
            Ok(input) => {
                let channel = input
                    .channel
                    .as_deref()
                    .and_then(|ch| serde_json::from_value(Value::String(ch.into())).ok())
                    .unwrap_or(acd::Channel::Voice);
                let id = c.queue(&q.key);
                let placeholder = QueueConfig {
                    channel,
                    ..QueueConfig::default()
                };
                match c.acd.handle_queue(now, id, placeholder) {
                    Ok(()) => queues.push((q.key, input)),
                    Err(e) => skip("queue", &q.key, e.to_string()),
                }
            }
            Err(e) => skip("queue", &q.key, e.to_string()),
        }
    }
    for (key, input) in queues {
        if let Err(e) = c.apply_queue(&key, input) {
            skip("queue", &key, e.to_string());
        }
    }
    for a in items("agent").await? {
        let loaded = parse::<Agent>(&a).and_then(|doc| {
            let user: i64 = a
                .key
                .parse()
                .map_err(|_| AppError::invalid("user_id", "not a user id"))?;
            c.apply_agent(agent_id(user)?, &doc)
        });
        if let Err(e) = loaded {
            skip("agent", &a.key, e.to_string());
        }
    }
    // With telephony attached, an agent can be rung only once a phone is registered.
    if c.telephony.get().is_some() {
        for id in c.acd.agent_ids() {
            c.refresh_phone(i64::from(id.0));
        }
    }
    // What loading reported (nothing observable yet) is not news.
    while c.acd.poll_event().is_some() {}
    // What the log says this engine had: agents signed in, callbacks owed (their events
    // go to the floor and the log as the engine's first).
    let now_ms = i64::try_from(now.0).unwrap_or(0);
    let left = crate::recovery::unfinished(&store.scoped(tenant), now_ms)
        .await
        .map_err(|e| e.to_string())?;
    c.restored = c.restore(left);
    Ok(c)
}
