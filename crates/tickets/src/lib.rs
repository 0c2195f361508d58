//! Work orders (工单) as pure rules, for the closed loop a utility's hotline runs
//! (受理 → 派单 → 办理 → 办结 → 回访 → 评价): [`order`] is an order's life and the rules it
//! keeps, [`sla`] the clock of each of its time limits (限时办理) on a business calendar —
//! pausing while the order waits on the customer, warning (催办) and escalating each exactly
//! once. No clock, no I/O: the runtime feeds them `now` and stores what they say.

pub mod order;
pub mod sla;

pub use order::{Change, Closure, Command, Order, OrderError, Status};
pub use sla::{Clock, Limit, Signal};
