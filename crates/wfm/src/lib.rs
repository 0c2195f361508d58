//! Workforce management: the queueing formulas a planner staffs a contact center with.
//!
//! Erlang B (blocking), Erlang C (M/M/N, callers wait forever) and Erlang A (M/M/N+M, callers
//! abandon after an exponential patience), and the number of agents and scheduled positions an
//! interval needs for a service-level target, a maximum occupancy and shrinkage.
//!
//! Everything here is pure arithmetic on `f64`: no clock, no I/O. The formulas are written to
//! stay finite for very large loads (tens of thousands of Erlangs): Erlang B by its stable
//! recursion, Erlang A's queue distribution in log space.
//!
//! Forecasting and shift scheduling will live here too; evaluating a schedule by simulation goes
//! through the `sim` crate, which drives the real routing engine.

mod erlang;
mod staffing;

pub use erlang::{Metrics, erlang_a, erlang_b, erlang_c};
pub use staffing::{Staffing, StaffingRequest, staff};

/// An input the formulas cannot answer. Always the caller's fault: each variant names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WfmError {
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(
        "overload: {agents} agents cannot carry {traffic:.3} Erlangs without an endless queue \
         (Erlang C needs more agents than Erlangs of traffic)"
    )]
    Overload { traffic: f64, agents: u32 },
}

pub(crate) fn check(field: &'static str, ok: bool, reason: &str) -> Result<(), WfmError> {
    if ok {
        Ok(())
    } else {
        Err(WfmError::Invalid {
            field,
            reason: reason.to_owned(),
        })
    }
}
