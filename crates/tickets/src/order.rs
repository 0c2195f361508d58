//! A work order's life (工单流转): intake (受理) → dispatch to a handling group (派单) →
//! accepted by a handler (办理), waiting on the customer at times → resolved (办结) → the
//! callback (回访) with the customer's verdict (评价) → closed. Returned (退单) it goes back
//! for dispatch; re-dispatched (改派) only with a lead's review; an unsatisfied customer
//! reopens it to its handler; a customer never reached is closed as unreachable; an order
//! that needs its callback is closed without one only by a manager's override. Merged into
//! another (并单), its callers go with it.
//!
//! [`Order::apply`] takes a command and either changes the order and says what changed, or
//! refuses and changes nothing.

use serde::{Deserialize, Serialize};

/// Where an order is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Taken in, not yet sent to anyone (受理); also after a return (退单).
    Open,
    /// Sent to a handling group, not yet taken up (派单).
    Dispatched {
        group: String,
    },
    /// A handler is on it (办理).
    Accepted {
        group: String,
        handler: u64,
    },
    /// Waiting on the customer: the time limits pause.
    Waiting {
        group: String,
        handler: u64,
    },
    /// Done by the handler (办结), the callback owed.
    Resolved {
        group: String,
        handler: u64,
    },
    Closed(Closure),
    /// Merged into another order (并单), which carries its callers on.
    Merged {
        into: u64,
    },
}

/// How an order ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "closure", rename_all = "snake_case")]
pub enum Closure {
    /// The callback reached the customer and they were satisfied (1–5).
    Satisfied { score: u8 },
    /// The callback never reached the customer in its attempts.
    Unreachable,
    /// Closed without its callback by a manager, who said why (audited).
    Override { by: u64, reason: String },
    /// Resolved, and of a kind that needs no callback (a consultation answered).
    Resolved,
}

/// What may be asked of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Dispatch {
        group: String,
    },
    /// To another group once it is being handled (改派): a lead reviews it.
    Redispatch {
        group: String,
        reviewed_by: u64,
    },
    Accept {
        handler: u64,
    },
    /// Solved by the agent in the contact it came in on (一次解决): resolved at once.
    Solve {
        handler: u64,
    },
    /// Sent back by the group or the handler (退单), with why.
    Return {
        reason: String,
    },
    Wait,
    Resume,
    Resolve,
    /// The callback reached the customer.
    Callback {
        satisfied: bool,
        score: u8,
    },
    /// The callback did not reach the customer.
    CallbackMissed,
    /// A manager closes it now, callback or not.
    Override {
        by: u64,
        reason: String,
    },
    MergeInto {
        target: u64,
    },
    /// This order takes another's callers (the other side of a merge).
    Absorb {
        callers: Vec<String>,
    },
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("not possible while the order is {status}")]
    NotNow { status: &'static str },
    #[error("`{field}` is invalid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

/// A change made, for the order's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub from: Status,
    pub to: Status,
}

/// A work order's state and the rules it keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
    pub status: Status,
    /// Everyone who called about it (numbers), merged orders' callers included.
    pub callers: Vec<String>,
    /// Complaints and repairs are called back before they close (闭环).
    pub callback_required: bool,
    /// Callbacks that did not reach the customer, since it was last resolved.
    pub callback_attempts: u32,
    /// After this many, the order closes as unreachable.
    pub max_callback_attempts: u32,
    /// Times an unsatisfied customer sent it back.
    pub reopened: u32,
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Dispatched { .. } => "dispatched",
            Status::Accepted { .. } => "accepted",
            Status::Waiting { .. } => "waiting",
            Status::Resolved { .. } => "resolved",
            Status::Closed(_) => "closed",
            Status::Merged { .. } => "merged",
        }
    }

    /// Still to be worked on or called back.
    pub fn is_open(&self) -> bool {
        !self.is_closed()
    }

    /// Ended: closed, or merged into another.
    pub fn is_closed(&self) -> bool {
        matches!(self, Status::Closed(_) | Status::Merged { .. })
    }
}

impl Order {
    pub fn new(id: u64, caller: Option<String>, callback_required: bool) -> Order {
        Order {
            id,
            status: Status::Open,
            callers: caller.into_iter().collect(),
            callback_required,
            callback_attempts: 0,
            max_callback_attempts: 3,
            reopened: 0,
        }
    }

    /// Applies a command: the change made, or why not (and nothing changed).
    pub fn apply(&mut self, command: Command) -> Result<Option<Change>, OrderError> {
        use Command as C;
        use Status as S;
        let not_now = |s: &Status| OrderError::NotNow { status: s.name() };
        let next = match (&self.status, command) {
            (S::Closed(_) | S::Merged { .. }, _) => return Err(not_now(&self.status)),
            (_, C::Absorb { callers }) => {
                for c in callers {
                    if !self.callers.contains(&c) {
                        self.callers.push(c);
                    }
                }
                return Ok(None);
            }
            (S::Open, C::Dispatch { group }) => S::Dispatched {
                group: non_empty("group", group)?,
            },
            (S::Dispatched { .. } | S::Accepted { .. }, C::Redispatch { group, .. }) => {
                S::Dispatched {
                    group: non_empty("group", group)?,
                }
            }
            (S::Open, C::Solve { handler }) => {
                if self.callback_required {
                    S::Resolved {
                        group: String::new(),
                        handler,
                    }
                } else {
                    S::Closed(Closure::Resolved)
                }
            }
            (S::Dispatched { group }, C::Accept { handler }) => S::Accepted {
                group: group.clone(),
                handler,
            },
            (S::Dispatched { .. } | S::Accepted { .. }, C::Return { reason }) => {
                non_empty("reason", reason)?;
                S::Open
            }
            (S::Accepted { group, handler }, C::Wait) => S::Waiting {
                group: group.clone(),
                handler: *handler,
            },
            (S::Waiting { group, handler }, C::Resume) => S::Accepted {
                group: group.clone(),
                handler: *handler,
            },
            (S::Accepted { group, handler }, C::Resolve) => {
                if self.callback_required {
                    S::Resolved {
                        group: group.clone(),
                        handler: *handler,
                    }
                } else {
                    S::Closed(Closure::Resolved)
                }
            }
            (S::Resolved { group, handler }, C::Callback { satisfied, score }) => {
                if !(1..=5).contains(&score) {
                    return Err(OrderError::Invalid {
                        field: "score",
                        reason: "1 to 5",
                    });
                }
                if satisfied {
                    S::Closed(Closure::Satisfied { score })
                } else {
                    // Back to its handler, with the customer's words on the timeline.
                    self.reopened += 1;
                    self.callback_attempts = 0;
                    S::Accepted {
                        group: group.clone(),
                        handler: *handler,
                    }
                }
            }
            (S::Resolved { .. }, C::CallbackMissed) => {
                self.callback_attempts += 1;
                if self.callback_attempts < self.max_callback_attempts {
                    return Ok(None);
                }
                S::Closed(Closure::Unreachable)
            }
            (_, C::Override { by, reason }) => S::Closed(Closure::Override {
                by,
                reason: non_empty("reason", reason)?,
            }),
            (_, C::MergeInto { target }) => {
                if target == self.id {
                    return Err(OrderError::Invalid {
                        field: "target",
                        reason: "not into itself",
                    });
                }
                S::Merged { into: target }
            }
            (s, _) => return Err(not_now(s)),
        };
        let from = std::mem::replace(&mut self.status, next.clone());
        Ok(Some(Change { from, to: next }))
    }
}

fn non_empty(field: &'static str, value: String) -> Result<String, OrderError> {
    if value.trim().is_empty() {
        return Err(OrderError::Invalid {
            field,
            reason: "must not be empty",
        });
    }
    Ok(value)
}
