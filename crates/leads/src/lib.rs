//! Sales leads (销售线索) passed to dealers (经销商), and the one contact policy every call the
//! center places goes through — as pure rules: nothing here reads a clock, a socket or a
//! database; every function takes `now` (milliseconds since the Unix epoch).
//!
//! - [`territory`]: which dealers serve a place and a product line (the most specific
//!   territory first) and which of them gets the next lead (weighted round robin).
//! - [`lead`]: a lead's life — offered to a dealer, accepted, followed up, won or lost;
//!   returned by the dealer or reclaimed (回收) when a deadline passes — with exactly one owner
//!   at every step and one [`lead::Move`] for every change.
//! - [`policy`]: whether a customer may be called now (calls a day and a week, quiet hours,
//!   the blacklist and "do not call", the customer's own hours), and when instead; pending
//!   contacts of one customer merged into one task.
//!
//! Not here: storage, who is logged in, notifications (the runtime, `app::leads`).

pub mod lead;
pub mod policy;
pub mod scorecard;
pub mod territory;

pub use lead::{Actor, Command, Journey, Lead, LeadError, Limits, Move, Owner, Status};
pub use policy::{Contact, Pending, Policy, Reason, Task, Verdict};
pub use territory::{Candidate, Place, Rule, Rules, Territory, choose};
