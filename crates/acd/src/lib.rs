//! The routing core (ACD): queues and skill groups, agent states with reason codes, routing
//! strategies, caller priorities with acceleration, skill relaxation, sticky agents,
//! ring-no-answer, overflow and callbacks in queue.
//!
//! A deterministic state machine in the style of `quinn-proto`: the driver feeds inputs with
//! `handle_*(now, …)`, drains what to do with [`Acd::poll_action`] and what happened with
//! [`Acd::poll_event`], and calls [`Acd::handle_timeout`] when [`Acd::poll_timeout`] falls due.
//! No clock, no I/O, no randomness: the same inputs give the same outputs, which is what lets
//! a seeded driver throw a million random inputs at it and check its invariants after each.
//!
//! It knows nothing of SIP, SQL, HTTP or tokio. The telephony layer turns actions into rings
//! and bridges; the server turns events into the event log, CDRs and the wallboard.
//!
//! What the engine guarantees after every input (see [`Acd::check_invariants`]):
//! - an agent rings for at most one contact at a time, and a contact is in exactly one place
//!   (waiting, held for its sticky agent, ringing, connected);
//! - every ringing offer, after-call work and waiting step has a pending timer, so no agent or
//!   call can be stuck in a state it cannot leave;
//! - no available agent idles while a call it qualifies for waits;
//! - an agent is always given the highest-scoring call it qualifies for;
//! - every contact ends with exactly one [`Outcome`], and events come in time order.
//!
//! Semantics a supervisor should know:
//! - Declining an offer counts as missing it: the agent goes not ready (missed), as after a
//!   ring-no-answer, and the call keeps its place in the queue.
//! - An agent with auto-answer is connected the moment a call is offered (no ringing, no ring
//!   timeout, no `handle_answer`); ring-all queues ring them like everybody else.
//! - Ring-all rings every available agent who qualifies; when nobody answers, nobody is made
//!   not ready and the call rings everyone again.
//! - Closing a queue turns new calls away (to its overflow target); callers already waiting
//!   are still served.
//! - An agent on a break still counts as logged in: a queue set to overflow when nobody is
//!   logged in does so only when the last agent logs out (or stops qualifying).
//! - Overflowing into another queue starts the wait there afresh (with its own max wait and
//!   relaxation), keeping the caller's priority; after four hops the call is disconnected.
//! - A caller who asked for a callback may hang up: the driver does not report that hang-up,
//!   since `handle_hangup` on a callback cancels it.
//! - Max wait does not run out while a call rings; a call back from an unanswered offer past
//!   its max wait overflows at once.

mod calls;
mod engine;
mod ids;
mod invariants;
mod sorted;
mod types;

pub use engine::Acd;
pub use types::*;
