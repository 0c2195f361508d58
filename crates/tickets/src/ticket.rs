//! A work order as the center keeps it: the [`Order`]'s life, what it is about (type,
//! category, customer, region, custom fields), and the clocks of its time limits, which
//! start, stop, pause and restart as the order moves — the SLA policy of its type and the
//! customer's segment, taken when the order is taken in, so a later change of policy does not
//! move a promise already made.

use std::collections::BTreeMap;

use calendar::Calendar;
use serde::{Deserialize, Serialize};

use crate::order::{Change, Closure, Command, Order, OrderError, Status};
use crate::setup::Policy;
use crate::sla::{Clock, Signal};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// Which time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Which {
    Accept,
    FirstAction,
    Resolve,
}

impl Which {
    /// As the API and the log name it: `accept`, `first_action`, `resolve`.
    pub fn name(self) -> &'static str {
        match self {
            Which::Accept => "accept",
            Which::FirstAction => "first_action",
            Which::Resolve => "resolve",
        }
    }
}

/// The clocks running for an order; `None` for a limit not set or not started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    pub accept: Option<Clock>,
    pub first_action: Option<Clock>,
    pub resolve: Option<Clock>,
}

impl Clocks {
    fn each_mut(&mut self) -> [(Which, &mut Option<Clock>); 3] {
        [
            (Which::Accept, &mut self.accept),
            (Which::FirstAction, &mut self.first_action),
            (Which::Resolve, &mut self.resolve),
        ]
    }

    pub fn each(&self) -> [(Which, &Option<Clock>); 3] {
        [
            (Which::Accept, &self.accept),
            (Which::FirstAction, &self.first_action),
            (Which::Resolve, &self.resolve),
        ]
    }
}

/// What a new order is about, to find open orders it may duplicate (并单).
#[derive(Debug, Clone, Default)]
pub struct Probe<'a> {
    pub customer_id: Option<i64>,
    /// `省/市/区`.
    pub region: &'a str,
    pub address: &'a str,
    pub order_type: &'a str,
    pub category: &'a str,
}

/// How an open order is like a new one, the likest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Likeness {
    /// The same customer's.
    SameCustomer,
    /// About the same address.
    SameAddress,
    /// Of the same type and category in the same region, recently: the neighbours of a
    /// burst main.
    SameArea,
}

/// A field crew's steps on site (times recorded for the on-time rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// On the way (出发).
    OnTheWay,
    /// On site (到场).
    OnSite,
    /// A note from the handler: counts as acting on it.
    Note,
}

/// What the order is about, as taken in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub order_type: String,
    /// A path in the type's category tree: `leak/main`.
    pub category: String,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub customer_id: Option<i64>,
    pub segment: Option<String>,
    /// `省/市/区`, for routing to a crew and for incidents.
    pub region: String,
    pub address: String,
    pub fields: BTreeMap<String, String>,
    /// The caller's number, if one called.
    pub caller: Option<String>,
    /// The call it was taken on.
    pub call_id: Option<String>,
    /// A business system's id of the order it sent (`billing:A-1029`).
    #[serde(default)]
    pub external_id: Option<String>,
    /// The customer's journey stage when it was taken in (`search`, `select`, `buy`,
    /// `receive`, `return`; R3.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub order: Order,
    pub intake: Intake,
    /// The calls about it (the first, repeats, merged orders' calls).
    #[serde(default)]
    pub calls: Vec<String>,
    pub created_ms: i64,
    pub created_by: Option<u64>,
    pub policy: Option<Policy>,
    #[serde(default)]
    pub clocks: Clocks,
    pub on_the_way_ms: Option<i64>,
    pub on_site_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    /// Orders merged into this one (并单).
    #[serde(default)]
    pub merged: Vec<u64>,
    /// Solved in the contact it came in on, and not called about again since (FCR).
    #[serde(default)]
    pub first_contact: bool,
    /// When the last callback (回访) failed to reach the customer.
    #[serde(default)]
    pub callback_missed_ms: Option<i64>,
    /// Photos, documents, recordings, oldest first.
    #[serde(default)]
    pub attachments: Vec<crate::Attachment>,
}

impl Ticket {
    /// A new order at `now`: open, its resolve clock running.
    pub fn new(
        id: u64,
        intake: Intake,
        callback_required: bool,
        policy: Option<Policy>,
        created_by: Option<u64>,
        now: i64,
    ) -> Ticket {
        let mut order = Order::new(id, intake.caller.clone(), callback_required);
        order.max_callback_attempts = 3;
        let resolve = policy.as_ref().and_then(|p| {
            p.resolve
                .map(|l| Clock::new(now, l, p.warn_percent).escalating_at(p.escalate_percent))
        });
        Ticket {
            order,
            calls: intake.call_id.iter().cloned().collect(),
            intake,
            created_ms: now,
            created_by,
            policy,
            clocks: Clocks {
                resolve,
                ..Clocks::default()
            },
            on_the_way_ms: None,
            on_site_ms: None,
            resolved_ms: None,
            closed_ms: None,
            merged: Vec::new(),
            first_contact: false,
            callback_missed_ms: None,
            attachments: Vec::new(),
        }
    }

    pub fn id(&self) -> u64 {
        self.order.id
    }

    fn clock(&self, which: Which, now: i64) -> Option<Clock> {
        let p = self.policy.as_ref()?;
        let limit = match which {
            Which::Accept => p.accept,
            Which::FirstAction => p.first_action,
            Which::Resolve => p.resolve,
        }?;
        Some(Clock::new(now, limit, p.warn_percent).escalating_at(p.escalate_percent))
    }

    /// Applies a command at `now` and moves the clocks with it; refused, nothing changes.
    pub fn apply(
        &mut self,
        command: Command,
        cal: &Calendar,
        now: i64,
    ) -> Result<Option<Change>, OrderError> {
        let missed = matches!(command, Command::CallbackMissed);
        let change = self.order.apply(command)?;
        if missed {
            // A callback that did not reach the customer: tried again later.
            self.callback_missed_ms = Some(now);
        }
        let Some(change) = change else {
            return Ok(None);
        };
        use Status as S;
        match (&change.from, &change.to) {
            (_, S::Dispatched { .. }) => {
                self.clocks.accept = self.clock(Which::Accept, now);
                self.clocks.first_action = self.clock(Which::FirstAction, now);
            }
            (S::Dispatched { .. }, S::Accepted { .. }) => meet(&mut self.clocks.accept, cal, now),
            (S::Accepted { .. }, S::Waiting { .. }) => {
                meet(&mut self.clocks.first_action, cal, now);
                for (_, c) in self.clocks.each_mut() {
                    if let Some(c) = c {
                        c.pause(now);
                    }
                }
            }
            (S::Waiting { .. }, S::Accepted { .. }) => {
                for (_, c) in self.clocks.each_mut() {
                    if let Some(c) = c {
                        c.resume(cal, now);
                    }
                }
            }
            (S::Resolved { .. }, S::Accepted { .. }) => {
                // Reopened by the customer: a new limit to put it right, and its next
                // callback owed as soon as it is resolved again.
                self.resolved_ms = None;
                self.callback_missed_ms = None;
                self.clocks.resolve = self.clock(Which::Resolve, now);
            }
            (_, S::Open) => {
                self.clocks.accept = None;
                self.clocks.first_action = None;
            }
            (S::Open, S::Resolved { .. } | S::Closed(_)) => {
                self.first_contact = true;
                self.resolved_ms = Some(now);
                for (_, c) in self.clocks.each_mut() {
                    meet(c, cal, now);
                }
            }
            (_, S::Resolved { .. }) => {
                self.resolved_ms = Some(now);
                for (_, c) in self.clocks.each_mut() {
                    meet(c, cal, now);
                }
            }
            _ => {}
        }
        if self.order.status.is_closed() {
            if matches!(
                change.from,
                S::Open | S::Accepted { .. } | S::Waiting { .. }
            ) && !matches!(
                change.to,
                S::Merged { .. } | S::Closed(Closure::Override { .. })
            ) {
                self.resolved_ms.get_or_insert(now);
            }
            self.close(cal, now);
        }
        Ok(Some(change))
    }

    /// Keeps a file on the order: not once it is closed, and no more than
    /// [`crate::attachment::MAX_PER_ORDER`].
    pub fn attach(&mut self, a: crate::Attachment) -> Result<(), OrderError> {
        if self.order.status.is_closed() {
            return Err(OrderError::NotNow {
                status: self.order.status.name(),
            });
        }
        if self.attachments.len() >= crate::attachment::MAX_PER_ORDER {
            return Err(OrderError::Invalid {
                field: "file",
                reason: "at most 30 files an order",
            });
        }
        self.attachments.push(a);
        Ok(())
    }

    /// How this order is like a new one about `p`, if it is open and alike: the same
    /// customer; the same address in the same region; or the same type and category in
    /// the same region, taken in within `window_ms` of `now`.
    pub fn likeness(&self, p: &Probe<'_>, now: i64, window_ms: i64) -> Option<Likeness> {
        if !matches!(
            self.order.status,
            Status::Open
                | Status::Dispatched { .. }
                | Status::Accepted { .. }
                | Status::Waiting { .. }
        ) {
            return None;
        }
        let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let i = &self.intake;
        if p.customer_id.is_some() && p.customer_id == i.customer_id {
            return Some(Likeness::SameCustomer);
        }
        let same_region = !p.region.is_empty() && p.region == i.region;
        if same_region && !p.address.trim().is_empty() && squash(p.address) == squash(&i.address) {
            return Some(Likeness::SameAddress);
        }
        if same_region
            && p.order_type == i.order_type
            && p.category == i.category
            && now.saturating_sub(self.created_ms) <= window_ms
        {
            return Some(Likeness::SameArea);
        }
        None
    }

    /// Whether its callback (回访) is owed now: resolved, and not tried in vain within the
    /// last `retry_ms`.
    pub fn callback_due(&self, now: i64, retry_ms: i64) -> bool {
        matches!(self.order.status, Status::Resolved { .. })
            && self
                .callback_missed_ms
                .is_none_or(|at| now.saturating_sub(at) >= retry_ms)
    }

    fn close(&mut self, cal: &Calendar, now: i64) {
        self.closed_ms.get_or_insert(now);
        for (_, c) in self.clocks.each_mut() {
            meet(c, cal, now);
        }
    }

    /// A handler's step: recorded, and it meets the first-action limit. Only while a
    /// handler has the order.
    pub fn step(&mut self, step: Step, cal: &Calendar, now: i64) -> Result<(), OrderError> {
        if !matches!(
            self.order.status,
            Status::Accepted { .. } | Status::Waiting { .. }
        ) {
            return Err(OrderError::NotNow {
                status: self.order.status.name(),
            });
        }
        match step {
            Step::OnTheWay => {
                self.on_the_way_ms.get_or_insert(now);
            }
            Step::OnSite => {
                self.on_site_ms.get_or_insert(now);
            }
            Step::Note => {}
        }
        meet(&mut self.clocks.first_action, cal, now);
        Ok(())
    }

    /// Warnings and breaches due by `now` and not yet said, each once in a clock's life.
    pub fn poll(&mut self, cal: &Calendar, now: i64) -> Vec<(Which, Signal)> {
        let mut out = Vec::new();
        for (which, c) in self.clocks.each_mut() {
            if let Some(c) = c {
                out.extend(c.poll(cal, now).into_iter().map(|s| (which, s)));
            }
        }
        out
    }

    /// When the next warning or breach falls due (for the sweep's index); `None` when no
    /// clock runs.
    pub fn next_due(&self, cal: &Calendar, now: i64) -> Option<i64> {
        self.clocks
            .each()
            .into_iter()
            .filter_map(|(_, c)| {
                let c = c.as_ref()?;
                if !c.warned && c.warn_percent > 0 {
                    c.warn_ms(cal, now)
                } else if !c.breached {
                    c.due_ms(cal, now)
                } else if !c.escalated {
                    c.escalate_ms(cal, now)
                } else {
                    None
                }
            })
            .min()
    }

    /// The customer called again about it: the call joins it, and within `fcr_days` of
    /// intake it was not solved at first contact after all.
    pub fn called_again(&mut self, call_id: &str, fcr_days: u32, now: i64) {
        if !self.calls.iter().any(|c| c == call_id) {
            self.calls.push(call_id.to_string());
        }
        if now - self.created_ms <= i64::from(fcr_days) * 86_400_000 {
            self.first_contact = false;
        }
    }

    /// When it must be resolved by, if nothing pauses it.
    pub fn due_ms(&self, cal: &Calendar, now: i64) -> Option<i64> {
        self.clocks.resolve.as_ref()?.due_ms(cal, now)
    }

    /// Whether any limit was breached.
    pub fn breached(&self) -> bool {
        self.clocks
            .each()
            .iter()
            .any(|(_, c)| c.as_ref().is_some_and(|c| c.breached))
    }

    /// Resolved within its resolve limit (维修及时): `None` until resolved or without one.
    pub fn on_time(&self, cal: &Calendar) -> Option<bool> {
        let resolved = self.resolved_ms?;
        let c = self.clocks.resolve.as_ref()?;
        Some(!c.breached && c.used_ms(cal, resolved) <= c.budget_ms(cal)?)
    }
}

fn meet(c: &mut Option<Clock>, cal: &Calendar, now: i64) {
    if let Some(c) = c {
        c.meet(cal, now);
    }
}
