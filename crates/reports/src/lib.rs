//! Contact-center KPIs defined once (指标口径): the glossary ([`GLOSSARY`]), the half-hour
//! rollups every report reads as a fold over the event log ([`Fold`]), the formulas that
//! turn a rollup's components into metrics under a tenant's [`Settings`] ([`value`]), and
//! periods in the tenant's time zone, and saved reports' ranges and schedules.
//!
//! Pure: no clock, no I/O. The runtime (`app::reports`) feeds the fold from the log and
//! keeps its rows in the store; what a report shows is computed here.

mod components;
mod fold;
mod metrics;
mod periods;
mod ranking;
mod schedule;
mod slots;

pub use components::{Components, REPEAT_DAYS, THRESHOLDS_S, repeat_index, threshold_index};
pub use fold::{
    AgentSpan, Dim, Fold, HALF_HOUR_MS, Rollup, RowKey, bucket, call_rows, reason_name,
};
pub use metrics::{
    GLOSSARY, Metric, Settings, SlFormula, Unit, glossary_markdown, metric, service_level_parts,
    value,
};
pub use periods::{Granularity, period_start, previous};
pub use ranking::{Ranked, Weight, check_weights, default_weights, lower_is_better, rank};
pub use schedule::{Every, RelativeRange, Schedule, Wrong};
pub use slots::{DayRow, SLOT_WIDTH, SLOTS, day_rows, half_hours, merge_halves, merge_sum};
