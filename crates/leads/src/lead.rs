//! A lead's life. It is with the center ([`Status::Open`]) until offered to a dealer; the
//! dealer accepts it by a deadline and then follows it up (a call, a visit, a quote) by the
//! next; it ends won (with the amount) or lost (with the reason). A dealer may give a lead
//! back with a reason; one who lets a deadline pass has it taken back (回收) and is not
//! offered it again by rule. The center may work a lead itself.
//!
//! At every step a lead has exactly one [`Owner`], and every change is one [`Move`]: the
//! runtime writes each as an event, so a lead's and its customer's timelines show them all.

use serde::{Deserialize, Serialize};

/// Where the customer is on their way (R3.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Journey {
    /// 搜索: looking around.
    #[default]
    Search,
    /// 选择: comparing, asking for quotes.
    Select,
    /// 购买: buying.
    Buy,
    /// 收货: taking delivery, installation.
    Receive,
    /// 退换: returning or exchanging.
    Return,
}

impl Journey {
    pub const ALL: [Journey; 5] = [
        Journey::Search,
        Journey::Select,
        Journey::Buy,
        Journey::Receive,
        Journey::Return,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Journey::Search => "search",
            Journey::Select => "select",
            Journey::Buy => "buy",
            Journey::Receive => "receive",
            Journey::Return => "return",
        }
    }

    pub fn parse(s: &str) -> Option<Journey> {
        Journey::ALL.into_iter().find(|j| j.as_str() == s)
    }

    /// Its Chinese name (搜索, 选择, 购买, 收货, 退换).
    pub fn zh(self) -> &'static str {
        match self {
            Journey::Search => "搜索",
            Journey::Select => "选择",
            Journey::Buy => "购买",
            Journey::Receive => "收货",
            Journey::Return => "退换",
        }
    }
}

/// Who a lead is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Owner {
    Center,
    Dealer(u64),
}

/// A lead's status; the deadlines are instants (ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Status {
    /// With the center: no dealer for it, or given back, or taken back.
    Open,
    /// Offered to a dealer, who must accept it by `accept_by`.
    Offered {
        dealer: u64,
        accept_by: i64,
    },
    /// Accepted; the next follow-up is due by `follow_by`.
    Working {
        dealer: u64,
        follow_by: i64,
    },
    /// The center works it itself (`user` took it).
    CenterWorking {
        user: u64,
        follow_by: i64,
    },
    /// Won, with the amount in fen (分).
    Won {
        by: Owner,
        amount: i64,
    },
    Lost {
        by: Owner,
        reason: String,
    },
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Offered { .. } => "offered",
            Status::Working { .. } => "working",
            Status::CenterWorking { .. } => "center_working",
            Status::Won { .. } => "won",
            Status::Lost { .. } => "lost",
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, Status::Won { .. } | Status::Lost { .. })
    }

    /// Who has it.
    pub fn owner(&self) -> Owner {
        match self {
            Status::Offered { dealer, .. } | Status::Working { dealer, .. } => {
                Owner::Dealer(*dealer)
            }
            Status::Open | Status::CenterWorking { .. } => Owner::Center,
            Status::Won { by, .. } | Status::Lost { by, .. } => *by,
        }
    }

    /// When the sweep must look at it: the deadline of a dealer's step.
    pub fn due(&self) -> Option<i64> {
        match self {
            Status::Offered { accept_by, .. } => Some(*accept_by),
            Status::Working { follow_by, .. } => Some(*follow_by),
            _ => None,
        }
    }
}

/// A follow-up's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    Call,
    Visit,
    Quote,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A user of the center (an agent, a team lead, an administrator).
    Center(u64),
    Dealer(u64),
    /// The reclaim sweep.
    Sweep,
}

/// What can be done to a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Offer it to a dealer (by rule or by a manager's choice).
    Assign {
        dealer: u64,
        accept_by: i64,
    },
    Accept {
        follow_by: i64,
    },
    FollowUp {
        kind: FollowUp,
        follow_by: i64,
    },
    /// Amount in fen (分), more than 0.
    Win {
        amount: i64,
    },
    Lose {
        reason: String,
    },
    /// The dealer gives it back.
    Return {
        reason: String,
    },
    /// Taken back from the dealer: by the sweep once the deadline has passed, or by a
    /// manager at any time.
    Reclaim,
    /// A center user takes it to work it.
    Take {
        follow_by: i64,
    },
}

/// A change, as the lead's timeline and the dealers' scorecard read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// `assign`, `accept`, `follow_up`, `win`, `lose`, `return`, `reclaim`, `take`.
    pub action: String,
    pub from: Owner,
    pub to: Owner,
    /// The status before and after.
    pub was: String,
    pub now: String,
    /// For a dealer's step (accept, follow-up, win, lose): whether it came by its deadline;
    /// for a reclaim by the sweep, false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time: Option<bool>,
    /// For an acceptance: how long the lead waited for it (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited_ms: Option<i64>,
}

/// A lead as the rules keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    #[serde(flatten)]
    pub status: Status,
    /// Dealers who gave it back or had it taken back: not offered it again by rule.
    #[serde(default)]
    pub tried: Vec<u64>,
    /// When it was last offered (for the acceptance time).
    #[serde(default)]
    pub offered_ms: Option<i64>,
    #[serde(default)]
    pub journey: Journey,
    /// Changes so far.
    #[serde(default)]
    pub moves: u32,
}

impl Default for Lead {
    fn default() -> Lead {
        Lead::new()
    }
}

/// Why a command was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadError {
    #[error("not possible while the lead is {status}")]
    NotNow { status: &'static str },
    #[error("this lead is not yours to {action}")]
    NotYours { action: &'static str },
    #[error("`{field}` is invalid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
}

impl Lead {
    /// A new lead, with the center.
    pub fn new() -> Lead {
        Lead {
            status: Status::Open,
            tried: Vec::new(),
            offered_ms: None,
            journey: Journey::Search,
            moves: 0,
        }
    }

    pub fn owner(&self) -> Owner {
        self.status.owner()
    }

    /// Applies `command` by `actor` at `now`: the move it made, or why not (and then the
    /// lead is as it was).
    pub fn apply(&mut self, actor: Actor, command: Command, now: i64) -> Result<Move, LeadError> {
        let was = self.status.clone();
        let not_now = || LeadError::NotNow { status: was.name() };
        let dealer_here = |d: u64| matches!(actor, Actor::Dealer(a) if a == d);
        let center = matches!(actor, Actor::Center(_));
        let mut on_time = None;
        let mut waited_ms = None;
        let (action, next) = match command {
            Command::Assign { dealer, accept_by } => {
                if !(center || actor == Actor::Sweep) {
                    return Err(LeadError::NotYours { action: "assign" });
                }
                if !matches!(was, Status::Open | Status::CenterWorking { .. }) {
                    return Err(not_now());
                }
                if accept_by <= now {
                    return Err(LeadError::Invalid {
                        field: "accept_by",
                        reason: "must be later than now",
                    });
                }
                self.offered_ms = Some(now);
                ("assign", Status::Offered { dealer, accept_by })
            }
            Command::Accept { follow_by } => {
                let Status::Offered { dealer, accept_by } = was else {
                    return Err(not_now());
                };
                if !dealer_here(dealer) {
                    return Err(LeadError::NotYours { action: "accept" });
                }
                on_time = Some(now <= accept_by);
                waited_ms = self.offered_ms.map(|t| (now - t).max(0));
                ("accept", Status::Working { dealer, follow_by })
            }
            Command::FollowUp { follow_by, .. } => {
                let next = self.working(actor, "follow up", &was, &mut on_time, now)?;
                let next = match next {
                    Status::Working { dealer, .. } => Status::Working { dealer, follow_by },
                    Status::CenterWorking { user, .. } => Status::CenterWorking { user, follow_by },
                    _ => return Err(not_now()),
                };
                ("follow_up", next)
            }
            Command::Win { amount } => {
                if amount <= 0 {
                    return Err(LeadError::Invalid {
                        field: "amount",
                        reason: "more than 0",
                    });
                }
                let by = self.working(actor, "win", &was, &mut on_time, now)?.owner();
                self.journey = self.journey.max_with(Journey::Buy);
                ("win", Status::Won { by, amount })
            }
            Command::Lose { reason } => {
                if reason.trim().is_empty() {
                    return Err(LeadError::Invalid {
                        field: "reason",
                        reason: "required",
                    });
                }
                let by = self
                    .working(actor, "close", &was, &mut on_time, now)?
                    .owner();
                ("lose", Status::Lost { by, reason })
            }
            Command::Return { reason } => {
                let dealer = match was {
                    Status::Offered { dealer, .. } | Status::Working { dealer, .. } => dealer,
                    _ => return Err(not_now()),
                };
                if !dealer_here(dealer) {
                    return Err(LeadError::NotYours { action: "return" });
                }
                if reason.trim().is_empty() {
                    return Err(LeadError::Invalid {
                        field: "reason",
                        reason: "required",
                    });
                }
                self.tried.push(dealer);
                ("return", Status::Open)
            }
            Command::Reclaim => {
                let (dealer, due) = match was {
                    Status::Offered { dealer, accept_by } => (dealer, accept_by),
                    Status::Working { dealer, follow_by } => (dealer, follow_by),
                    _ => return Err(not_now()),
                };
                match actor {
                    Actor::Center(_) => {}
                    Actor::Sweep if now >= due => on_time = Some(false),
                    Actor::Sweep => return Err(not_now()),
                    Actor::Dealer(_) => return Err(LeadError::NotYours { action: "reclaim" }),
                }
                self.tried.push(dealer);
                ("reclaim", Status::Open)
            }
            Command::Take { follow_by } => {
                let Actor::Center(user) = actor else {
                    return Err(LeadError::NotYours { action: "take" });
                };
                if was != Status::Open {
                    return Err(not_now());
                }
                ("take", Status::CenterWorking { user, follow_by })
            }
        };
        self.status = next;
        self.moves += 1;
        Ok(Move {
            action: action.to_string(),
            from: was.owner(),
            to: self.status.owner(),
            was: was.name().to_string(),
            now: self.status.name().to_string(),
            on_time,
            waited_ms,
        })
    }

    /// The status of a lead being worked by `actor` (its dealer, or any center user while
    /// the center works it), and whether this step came by its deadline.
    fn working(
        &self,
        actor: Actor,
        action: &'static str,
        was: &Status,
        on_time: &mut Option<bool>,
        now: i64,
    ) -> Result<Status, LeadError> {
        match (was, actor) {
            (Status::Working { dealer, follow_by }, Actor::Dealer(a)) if a == *dealer => {
                *on_time = Some(now <= *follow_by);
                Ok(was.clone())
            }
            (Status::CenterWorking { .. }, Actor::Center(_)) => Ok(was.clone()),
            (Status::Working { .. } | Status::CenterWorking { .. }, _) => {
                Err(LeadError::NotYours { action })
            }
            _ => Err(LeadError::NotNow { status: was.name() }),
        }
    }
}

impl Journey {
    fn max_with(self, other: Journey) -> Journey {
        let rank = |j: Journey| Journey::ALL.iter().position(|x| *x == j).unwrap_or(0);
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// How long a dealer has: to accept, in the tenant's working hours; to follow up, in
/// working days (counted from the next working day, 受理次日起算).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub accept_hours: u32,
    pub follow_up_days: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            accept_hours: 8,
            follow_up_days: 3,
        }
    }
}

/// A day in ms: the fallback when a calendar has no open hours within a year.
const DAY_MS: i64 = 86_400_000;

impl Limits {
    /// When a lead offered at `now` must be accepted by.
    pub fn accept_by(&self, cal: &calendar::Calendar, now: i64) -> i64 {
        let ms = i64::from(self.accept_hours.max(1)) * 3_600_000;
        cal.add_business_ms(now, ms).unwrap_or(now + ms)
    }

    /// When the next follow-up of a lead accepted or followed up at `now` is due.
    pub fn follow_by(&self, cal: &calendar::Calendar, now: i64) -> i64 {
        cal.working_days_after(now, self.follow_up_days.max(1))
            .unwrap_or(now + i64::from(self.follow_up_days.max(1)) * DAY_MS)
    }
}
