//! Work orders (工单) as pure rules, for the closed loop a utility's hotline runs
//! (受理 → 派单 → 办理 → 办结 → 回访 → 评价): [`order`] is an order's life and the rules it
//! keeps, [`sla`] the clock of each of its time limits (限时办理) on a business calendar —
//! pausing while the order waits on the customer, warning (催办) and escalating each exactly
//! once; [`ticket`] an order as the center keeps it, its clocks moving with it; [`setup`]
//! a tenant's kinds of order, handling groups and the rule that routes an order to one;
//! [`attachment`] the files an order keeps and which are accepted; [`incident`] an outage callers from its area hear about before the menu. No
//! clock, no I/O: the runtime feeds them `now` and stores what they say.

pub mod attachment;
pub mod incident;
pub mod order;
pub mod setup;
pub mod sla;
pub mod ticket;

pub use attachment::{Attachment, FileKind};
pub use incident::Incident;
pub use order::{Change, Closure, Command, Order, OrderError, Status};
pub use setup::{Facts, Group, GroupKind, OrderType, Policy, route, standard_calendar};
pub use sla::{Clock, Limit, Signal};
pub use ticket::{Intake, Likeness, Priority, Probe, Step, Ticket, Which};
