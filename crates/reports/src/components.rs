//! What a rollup row keeps: counts, sums of milliseconds, and counts within each of a fixed
//! set of thresholds — never a ratio, so any formula (and a tenant's change of formula or
//! threshold) applies to past data too, and rows add up across half hours, queues and days.

use serde::{Deserialize, Serialize};

/// The answer and abandon thresholds (seconds) a rollup counts within. A tenant's
/// service-level time and short-abandon time are chosen among these.
pub const THRESHOLDS_S: [u32; 13] = [5, 10, 15, 20, 25, 30, 40, 45, 60, 90, 120, 180, 300];

/// The windows (days) a repeat call is counted within: "the same number again within N
/// days" with N chosen among these.
pub const REPEAT_DAYS: [u32; 5] = [1, 3, 7, 14, 30];

macro_rules! components {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// One rollup row's measures. Every field adds: two rows of the same key merge by
        /// adding field by field.
        #[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct Components {
            $($(#[$doc])* pub $name: i64,)*
            /// Answered within each of [`THRESHOLDS_S`] (waited at most that long).
            pub answered_in: [i64; THRESHOLDS_S.len()],
            /// Abandoned within each of [`THRESHOLDS_S`].
            pub abandoned_in: [i64; THRESHOLDS_S.len()],
            /// Contacts from a number that had called within each of [`REPEAT_DAYS`] before.
            pub repeat_in: [i64; REPEAT_DAYS.len()],
            /// Answered contacts whose number called again within each of [`REPEAT_DAYS`]
            /// (counted in the first contact's half hour when the second one comes).
            pub recalled_in: [i64; REPEAT_DAYS.len()],
        }

        /// The fields' names in the order [`Components::to_vec`] lays them out.
        const FIELD_NAMES: &[&str] = &[$(stringify!($name)),*];

        impl Components {
            /// The values as the store keeps them: the counts within the thresholds and the
            /// windows (their lengths are part of this layout), then the fields in order. A
            /// measure is added at the end of the list of fields, never between, and none is
            /// removed or moved: rows already kept read back by position (missing ones as 0).
            pub fn to_vec(&self) -> Vec<i64> {
                let mut v = Vec::with_capacity(64);
                v.extend(self.answered_in);
                v.extend(self.abandoned_in);
                v.extend(self.repeat_in);
                v.extend(self.recalled_in);
                v.extend([$(self.$name,)*]);
                v
            }

            /// Values as [`Components::to_vec`] gives them; missing ones are zero.
            pub fn from_slice(v: &[i64]) -> Components {
                let mut it = v.iter().copied().chain(std::iter::repeat(0));
                let mut c = Components::default();
                for x in c.answered_in.iter_mut().chain(c.abandoned_in.iter_mut())
                    .chain(c.repeat_in.iter_mut()).chain(c.recalled_in.iter_mut()) {
                    *x = it.next().unwrap_or(0);
                }
                $(c.$name = it.next().unwrap_or(0);)*
                c
            }

            /// Adds `other` field by field.
            pub fn add(&mut self, other: &Components) {
                $(self.$name += other.$name;)*
                for (a, b) in self.answered_in.iter_mut().zip(other.answered_in) { *a += b; }
                for (a, b) in self.abandoned_in.iter_mut().zip(other.abandoned_in) { *a += b; }
                for (a, b) in self.repeat_in.iter_mut().zip(other.repeat_in) { *a += b; }
                for (a, b) in self.recalled_in.iter_mut().zip(other.recalled_in) { *a += b; }
            }

            pub fn is_zero(&self) -> bool {
                self.to_vec().iter().all(|v| *v == 0)
            }
        }
    };
}

// Rows kept read back by position: a new measure goes at the end of this list.
components!(
    /// Contacts that entered a queue (see the counting rule in the glossary).
    offered,
    answered,
    /// The caller hung up while waiting in the queue.
    abandoned,
    /// Sent on to another queue by overflow (counted in the queue it left).
    flowed_out,
    /// Arrived in this queue by overflow from another.
    overflow_in,
    /// Left the queue for a callback (the caller keeps their place).
    callback_requested,
    voicemail,
    /// Sent away by the queue's overflow rule (no agent, closed).
    disconnected,
    /// Live when the center stopped; closed when it came back.
    interrupted,
    /// Ended in the IVR, never queued.
    ivr_ended,
    /// Passed on by the agent to a queue or an extension.
    transferred_out,
    /// A later part of a transferred call.
    transferred_in,
    /// Placed by agents (click-to-call and callbacks).
    outbound,
    outbound_answered,
    outbound_talk_ms,
    /// Of answered calls: waiting (from arrival in the first queue) before the answer.
    wait_answered_ms,
    /// Of abandoned calls: waiting before hanging up.
    wait_abandoned_ms,
    /// Longest wait of an answered or abandoned call (the one measure merged by maximum).
    max_wait_ms,
    talk_ms,
    hold_ms,
    /// The agent's phone ringing before the answer.
    ring_ms,
    /// In the IVR before the queue.
    ivr_ms,
    /// After-call work (from the agents' states).
    acw_ms,
    /// Answered calls with a survey verdict, the verdicts' sum, and those of 4 or 5.
    surveys,
    survey_score_sum,
    survey_satisfied,
    /// Wrap-ups recorded (the disposition dimension counts these).
    wrapups,
    /// Visits to an IVR node (or steps along an IVR edge).
    ivr_visits,
    /// Callers whose last IVR node this was and who went on from the IVR (to a queue, a
    /// transfer, voicemail); those who ended there count in `ivr_ended`.
    ivr_passed,
    /// Agents' time: signed in (not offline), ready and idle, ringing, talking, holding,
    /// not ready (their after-call work is `acw_ms`).
    staffed_ms,
    ready_ms,
    reserved_ms,
    talking_ms,
    holding_ms,
    not_ready_ms,
    /// Work orders taken in (受理), resolved (办结), resolved with a resolve limit and of
    /// those within it (维修及时), closed, and closed after a callback that reached the
    /// customer (闭环).
    orders_created,
    orders_resolved,
    orders_timed,
    orders_on_time,
    orders_closed,
    orders_closed_loop,
    /// Contacts an agent marked as solved by a knowledge article (at the mark's time).
    kb_solved,
    /// Sales leads captured, won, and the wins' amounts in fen (at each's time).
    leads_captured,
    leads_won,
    leads_won_fen,
);

/// Where `name` is among `names` (at compile time).
const fn position(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        let (a, b) = (names[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such field")
}

/// Where `max_wait_ms` is in [`Components::to_vec`]'s layout.
const MAX_WAIT_AT: usize =
    2 * THRESHOLDS_S.len() + 2 * REPEAT_DAYS.len() + position(FIELD_NAMES, "max_wait_ms");

impl Components {
    /// Merges `other` into `self`: sums, and the maximum for `max_wait_ms`.
    pub fn merge(&mut self, other: &Components) {
        let max = self.max_wait_ms.max(other.max_wait_ms);
        self.add(other);
        self.max_wait_ms = max;
    }

    /// [`Components::merge`] one value at a time, on values laid out as
    /// [`Components::to_vec`] gives them: value `v` at index `i` merged into `into` (added,
    /// or the larger for the longest wait); an index past `into` is ignored.
    pub fn merge_value(into: &mut [i64], i: usize, v: i64) {
        if let Some(x) = into.get_mut(i) {
            *x = if i == MAX_WAIT_AT {
                (*x).max(v)
            } else {
                *x + v
            };
        }
    }
}

/// The index of `threshold_s` in [`THRESHOLDS_S`], or of the largest one below it.
pub fn threshold_index(threshold_s: u32) -> usize {
    THRESHOLDS_S
        .iter()
        .rposition(|t| *t <= threshold_s)
        .unwrap_or(0)
}

/// The index of `days` in [`REPEAT_DAYS`], or of the largest one below it.
pub fn repeat_index(days: u32) -> usize {
    REPEAT_DAYS.iter().rposition(|d| *d <= days).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_value_by_value_is_merging() {
        let a = Components {
            offered: 2,
            max_wait_ms: 9_000,
            answered_in: [1; THRESHOLDS_S.len()],
            ..Components::default()
        };
        let b = Components {
            offered: 3,
            max_wait_ms: 4_000,
            orders_closed_loop: 7,
            ..Components::default()
        };
        let mut values = a.to_vec();
        for (i, v) in b.to_vec().into_iter().enumerate() {
            Components::merge_value(&mut values, i, v);
        }
        Components::merge_value(&mut values, 10_000, 1);
        let mut merged = a.clone();
        merged.merge(&b);
        assert_eq!(Components::from_slice(&values), merged);
        assert_eq!((merged.offered, merged.max_wait_ms), (5, 9_000));
    }
}
