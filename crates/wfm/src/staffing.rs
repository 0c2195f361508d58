//! How many agents an interval needs.

use crate::erlang::{Metrics, erlang_a_unchecked, erlang_c_from_b, next_erlang_b};
use crate::{WfmError, check};

/// One interval's workload and service target.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct StaffingRequest {
    /// Calls offered in the interval.
    pub calls: f64,
    /// Length of the interval in seconds (1800 for a half hour).
    pub interval_seconds: f64,
    /// Average handle time in seconds: talk + hold + after-call work.
    pub aht: f64,
    /// Service-level target as a fraction, e.g. 0.8 for "80 % in 20 s".
    pub target_sl: f64,
    /// The "20 s" of "80 % in 20 s".
    pub target_seconds: f64,
    /// Share of paid time agents are not available for calls (breaks, meetings, absence).
    pub shrinkage: f64,
    /// Highest acceptable occupancy; more agents are added to stay at or below it.
    pub max_occupancy: f64,
    /// Mean patience in seconds: staff with Erlang A instead of Erlang C.
    pub patience: Option<f64>,
}

/// The answer: agents on the phones, positions to schedule, and what they deliver.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Staffing {
    /// Offered load in Erlangs.
    pub traffic: f64,
    /// Agents needed on the phones (before shrinkage).
    pub agents: u32,
    /// Positions to schedule: agents / (1 − shrinkage), rounded up.
    pub positions: u32,
    pub metrics: Metrics,
}

/// The fewest agents that meet the service level and keep occupancy at or under its maximum,
/// and the positions to schedule once shrinkage is taken out.
///
/// Erlang B is carried along as the agent count grows, so a request costs O(agents).
pub fn staff(req: &StaffingRequest) -> Result<Staffing, WfmError> {
    validate(req)?;
    let traffic = req.calls * req.aht / req.interval_seconds;
    if traffic == 0.0 {
        let idle = Metrics {
            p_wait: 0.0,
            service_level: 1.0,
            asa_seconds: 0.0,
            occupancy: 0.0,
            p_abandon: 0.0,
        };
        return Ok(Staffing {
            traffic,
            agents: 0,
            positions: 0,
            metrics: idle,
        });
    }
    let evaluate = |agents: u32, b: f64| match req.patience {
        None => erlang_c_from_b(traffic, agents, b, req.aht, req.target_seconds),
        Some(patience) => Ok(erlang_a_unchecked(
            traffic,
            agents,
            b,
            req.aht,
            patience,
            req.target_seconds,
        )),
    };
    // Erlang C needs more agents than Erlangs; Erlang A is defined from one agent up.
    let first = match req.patience {
        None => traffic.floor() as u32 + 1,
        Some(_) => 1,
    };
    // Far more than any target below 100 % needs; a bound so bad input cannot spin forever.
    let limit = (traffic + 50.0 * traffic.sqrt() + 1000.0).min(f64::from(u32::MAX - 1)) as u32;
    let mut b = 1.0;
    for n in 1..first {
        b = next_erlang_b(traffic, n, b);
    }
    let mut agents = first;
    b = next_erlang_b(traffic, agents, b);
    let mut metrics = evaluate(agents, b)?;
    while metrics.service_level < req.target_sl || metrics.occupancy > req.max_occupancy {
        if agents >= limit {
            return Err(WfmError::Invalid {
                field: "target_sl",
                reason: format!("not reachable with up to {limit} agents"),
            });
        }
        agents += 1;
        b = next_erlang_b(traffic, agents, b);
        metrics = evaluate(agents, b)?;
    }
    // 14 / 0.7 is 20.000000000000004 in floating point; a hair of tolerance keeps it 20.
    let positions = (f64::from(agents) / (1.0 - req.shrinkage) - 1e-9).ceil() as u32;
    Ok(Staffing {
        traffic,
        agents,
        positions,
        metrics,
    })
}

fn validate(req: &StaffingRequest) -> Result<(), WfmError> {
    let finite = |x: f64| x.is_finite();
    check(
        "calls",
        finite(req.calls) && req.calls >= 0.0,
        "must be a non-negative number",
    )?;
    check(
        "interval_seconds",
        finite(req.interval_seconds) && req.interval_seconds > 0.0,
        "must be a positive number of seconds",
    )?;
    check(
        "aht",
        finite(req.aht) && req.aht > 0.0,
        "must be a positive number of seconds",
    )?;
    check(
        "target_sl",
        finite(req.target_sl) && req.target_sl > 0.0 && req.target_sl < 1.0,
        "must be a fraction between 0 and 1, e.g. 0.8",
    )?;
    check(
        "target_seconds",
        finite(req.target_seconds) && req.target_seconds >= 0.0,
        "must be a non-negative number of seconds",
    )?;
    check(
        "shrinkage",
        finite(req.shrinkage) && (0.0..1.0).contains(&req.shrinkage),
        "must be a fraction from 0 up to (not including) 1, e.g. 0.3",
    )?;
    check(
        "max_occupancy",
        finite(req.max_occupancy) && req.max_occupancy > 0.0 && req.max_occupancy <= 1.0,
        "must be a fraction above 0 and at most 1, e.g. 0.85",
    )?;
    if let Some(p) = req.patience {
        check(
            "patience",
            finite(p) && p > 0.0,
            "must be a positive number of seconds",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> StaffingRequest {
        StaffingRequest {
            calls: 100.0,
            interval_seconds: 1800.0,
            aht: 180.0,
            target_sl: 0.8,
            target_seconds: 20.0,
            shrinkage: 0.3,
            max_occupancy: 0.85,
            patience: None,
        }
    }

    #[test]
    fn issue_2_reference_staffing() {
        let s = staff(&request()).unwrap();
        assert_eq!((s.traffic, s.agents, s.positions), (10.0, 14, 20));
        assert!((s.metrics.service_level - 0.8884).abs() < 1e-4);
    }

    #[test]
    fn occupancy_cap_adds_agents() {
        // 1000 calls/half hour at 180 s = 100 Erlangs: the service level alone needs ~107,
        // 85 % occupancy needs ⌈100 / 0.85⌉ = 118.
        let s = staff(&StaffingRequest {
            calls: 1000.0,
            ..request()
        })
        .unwrap();
        assert_eq!(s.agents, 118);
        let loose = staff(&StaffingRequest {
            calls: 1000.0,
            max_occupancy: 1.0,
            ..request()
        })
        .unwrap();
        assert!(loose.agents < 118 && loose.metrics.service_level >= 0.8);
        let fewer = crate::erlang_c(100.0, loose.agents - 1, 180.0, 20.0).unwrap();
        assert!(fewer.service_level < 0.8, "the answer is the fewest agents");
    }

    #[test]
    fn erlang_a_staffing_needs_no_more_than_erlang_c() {
        let c = staff(&request()).unwrap();
        let a = staff(&StaffingRequest {
            patience: Some(120.0),
            max_occupancy: 1.0,
            ..request()
        })
        .unwrap();
        assert!(a.agents <= c.agents);
        assert!(a.metrics.service_level >= 0.8);
    }

    #[test]
    fn bad_input_names_the_field() {
        let err = staff(&StaffingRequest {
            shrinkage: 1.0,
            ..request()
        })
        .unwrap_err();
        assert!(
            matches!(
                err,
                WfmError::Invalid {
                    field: "shrinkage",
                    ..
                }
            ),
            "{err}"
        );
        let zero = staff(&StaffingRequest {
            calls: 0.0,
            ..request()
        })
        .unwrap();
        assert_eq!((zero.agents, zero.positions), (0, 0));
    }
}
