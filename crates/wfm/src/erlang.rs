//! Erlang B, C and A.
//!
//! Units: traffic in Erlangs (arrival rate × mean handle time), times in seconds. "Service level"
//! is always *answered within the target time / offered*, so abandoned calls count against it.

use crate::{WfmError, check};

/// What a queue with a given staffing delivers, in the long run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Metrics {
    /// Probability that an arriving caller finds every agent busy and has to wait.
    pub p_wait: f64,
    /// Answered within the target time / offered.
    pub service_level: f64,
    /// Average speed of answer: mean wait of the calls that are answered (immediate ones count 0).
    pub asa_seconds: f64,
    /// Share of agent time spent handling calls: carried traffic / agents.
    pub occupancy: f64,
    /// Probability that a caller hangs up before being answered (0 under Erlang C).
    pub p_abandon: f64,
}

/// Erlang B: the probability that a call finds all `agents` busy in a loss system (no queue).
///
/// Uses the recursion `B(n) = A·B(n−1) / (n + A·B(n−1))`, which stays in [0, 1] and is stable
/// for any load.
pub fn erlang_b(traffic: f64, agents: u32) -> Result<f64, WfmError> {
    check_traffic(traffic)?;
    Ok(erlang_b_unchecked(traffic, agents))
}

pub(crate) fn erlang_b_unchecked(traffic: f64, agents: u32) -> f64 {
    let mut b = 1.0;
    for n in 1..=agents {
        b = next_erlang_b(traffic, n, b);
    }
    b
}

/// One step of the Erlang B recursion: B(n) from B(n−1).
pub(crate) fn next_erlang_b(traffic: f64, n: u32, prev: f64) -> f64 {
    let ab = traffic * prev;
    ab / (f64::from(n) + ab)
}

/// Erlang C from an already computed Erlang B value of the same traffic and agents.
pub(crate) fn erlang_c_from_b(
    traffic: f64,
    agents: u32,
    b: f64,
    aht: f64,
    target: f64,
) -> Result<Metrics, WfmError> {
    let n = f64::from(agents);
    if n <= traffic {
        return Err(WfmError::Overload { traffic, agents });
    }
    let p_wait = n * b / (n - traffic * (1.0 - b));
    let service_level = (1.0 - p_wait * (-(n - traffic) * target / aht).exp()).max(0.0);
    Ok(Metrics {
        p_wait,
        service_level,
        asa_seconds: p_wait * aht / (n - traffic),
        occupancy: traffic / n,
        p_abandon: 0.0,
    })
}

/// Erlang C (M/M/N): Poisson arrivals, exponential handle times, callers who never give up.
///
/// Overload (agents ≤ traffic) has no steady state and is an error, not a NaN.
pub fn erlang_c(traffic: f64, agents: u32, aht: f64, target: f64) -> Result<Metrics, WfmError> {
    check_traffic(traffic)?;
    check_times(aht, target)?;
    erlang_c_from_b(
        traffic,
        agents,
        erlang_b_unchecked(traffic, agents),
        aht,
        target,
    )
}

/// Erlang A (M/M/N+M, Palm's model): like Erlang C, but each waiting caller hangs up after an
/// exponentially distributed patience with mean `patience` seconds. Defined for any load.
///
/// The number of calls in the system is a birth–death process; its stationary law is computed
/// in log space (Erlang B for the part below N, the queue part term by term) so that loads of
/// tens of thousands of Erlangs stay finite. A caller who arrives to find `k` others waiting is
/// answered if the `k + 1` departures ahead of it (services at rate N/AHT, abandonments of
/// those ahead) all happen before its own patience runs out; the probability of that within
/// the target time comes from uniformizing that small Markov chain.
pub fn erlang_a(
    traffic: f64,
    agents: u32,
    aht: f64,
    patience: f64,
    target: f64,
) -> Result<Metrics, WfmError> {
    check_traffic(traffic)?;
    check_times(aht, target)?;
    check(
        "patience",
        patience.is_finite() && patience > 0.0,
        "must be a positive number of seconds",
    )?;
    check("agents", agents >= 1, "must be at least 1")?;
    Ok(erlang_a_unchecked(
        traffic,
        agents,
        erlang_b_unchecked(traffic, agents),
        aht,
        patience,
        target,
    ))
}

pub(crate) fn erlang_a_unchecked(
    traffic: f64,
    agents: u32,
    b: f64,
    aht: f64,
    patience: f64,
    target: f64,
) -> Metrics {
    if traffic == 0.0 {
        return Metrics {
            p_wait: 0.0,
            service_level: 1.0,
            asa_seconds: 0.0,
            occupancy: 0.0,
            p_abandon: 0.0,
        };
    }
    let n = f64::from(agents);
    let lambda = traffic / aht;
    let service = n / aht; // total service rate while all agents are busy
    let theta = 1.0 / patience;

    // ln of π(N+k)/π(N) for k = 0, 1, …: the product of λ / (Nμ + iθ), i = 1..=k. Stop once
    // the terms fall 40 nats (e⁻⁴⁰ ≈ 4e-18) below the largest one and are decreasing.
    let mut ln_q = vec![0.0_f64];
    let mut peak = 0.0_f64;
    let mut k = 0_u64;
    loop {
        k += 1;
        let ratio = lambda / (service + k as f64 * theta);
        let next = ln_q[ln_q.len() - 1] + ratio.ln();
        peak = peak.max(next);
        ln_q.push(next);
        if ratio < 1.0 && next < peak - 40.0 {
            break;
        }
    }
    // Weights relative to e^peak. The states below N weigh (1/B − 1)·π(N).
    let scale = |x: f64| (x - peak).exp();
    let below = (1.0 / b - 1.0) * scale(0.0);
    let queue: Vec<f64> = ln_q.iter().map(|&l| scale(l)).collect();
    let total = below + queue.iter().sum::<f64>();
    let p_immediate = below / total;

    // For a caller with k ahead: P(served) and E[wait; served], by recursion on k.
    let rate = |j: usize| service + j as f64 * theta; // departures ahead of a caller with j ahead
    let mut p_served = Vec::with_capacity(queue.len());
    let mut wait_served = Vec::with_capacity(queue.len());
    let (mut p_prev, mut g_prev) = (1.0, 0.0);
    for j in 0..queue.len() {
        let r = rate(j);
        let p = r / (r + theta);
        let g = p * (p_prev / (r + theta) + g_prev);
        p_served.push(p * p_prev);
        wait_served.push(g);
        (p_prev, g_prev) = (p * p_prev, g);
    }
    let within = served_within(&queue, target, theta, rate);

    let mut answered = p_immediate;
    let mut answered_in_time = p_immediate;
    let mut wait_sum = 0.0;
    for (j, &w) in queue.iter().enumerate() {
        let w = w / total;
        answered += w * p_served[j];
        answered_in_time += w * within[j];
        wait_sum += w * wait_served[j];
    }
    let p_abandon = (1.0 - answered).max(0.0);
    Metrics {
        p_wait: 1.0 - p_immediate,
        service_level: answered_in_time.min(1.0),
        asa_seconds: wait_sum / answered,
        occupancy: traffic * (1.0 - p_abandon) / n,
        p_abandon,
    }
}

/// For every start state j (callers ahead), the probability of being answered within `t`
/// seconds, by uniformization of the chain j → j−1 (rate `rate(j)`), j → abandoned (rate θ).
/// Time is cut into slices short enough that the Poisson weights stay representable.
fn served_within(queue: &[f64], t: f64, theta: f64, rate: impl Fn(usize) -> f64) -> Vec<f64> {
    let len = queue.len();
    let big = rate(len) + theta; // uniformization rate: the largest total outflow
    let slices = (big * t / 20.0).ceil().max(1.0);
    let h = big * t / slices; // expected jumps per slice, ≤ 20
    let stay: Vec<f64> = (0..len).map(|j| 1.0 - (rate(j) + theta) / big).collect();
    let down: Vec<f64> = (0..len).map(|j| rate(j) / big).collect();
    // u[j]: P(answered by the current time | j ahead); "answered" is an absorbing 1.
    let mut u = vec![0.0; len];
    for _ in 0..slices as u64 {
        let mut term = u.clone(); // Pⁿ u, n = 0
        let mut weight = (-h).exp();
        let mut acc: Vec<f64> = term.iter().map(|x| x * weight).collect();
        let mut mass = weight;
        let mut n = 0.0;
        while 1.0 - mass > 1e-15 && n < h + 200.0 {
            n += 1.0;
            let mut next = vec![0.0; len];
            for j in 0..len {
                let ahead = if j == 0 { 1.0 } else { term[j - 1] };
                next[j] = down[j] * ahead + stay[j] * term[j];
            }
            term = next;
            weight *= h / n;
            mass += weight;
            for j in 0..len {
                acc[j] += weight * term[j];
            }
        }
        u = acc;
    }
    u
}

fn check_traffic(traffic: f64) -> Result<(), WfmError> {
    check(
        "traffic",
        traffic.is_finite() && traffic >= 0.0,
        "must be a non-negative number of Erlangs",
    )
}

fn check_times(aht: f64, target: f64) -> Result<(), WfmError> {
    check(
        "aht",
        aht.is_finite() && aht > 0.0,
        "must be a positive number of seconds",
    )?;
    check(
        "target_seconds",
        target.is_finite() && target >= 0.0,
        "must be a non-negative number of seconds",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "expected {expected} ± {tol}, got {actual}"
        );
    }

    #[test]
    fn erlang_b_textbook_values() {
        // Classic table values: 10 Erlangs on 10 trunks blocks 21.5 %, on 15 trunks 3.65 %.
        close(erlang_b(10.0, 10).unwrap(), 0.2146, 1e-4);
        close(erlang_b(10.0, 15).unwrap(), 0.0365, 1e-4);
        assert_eq!(erlang_b(0.0, 3).unwrap(), 0.0);
        assert_eq!(erlang_b(5.0, 0).unwrap(), 1.0);
    }

    #[test]
    fn erlang_c_issue_2_reference_point() {
        // The check the issue starts from: A = 10, AHT 180 s, T = 20 s, N = 14.
        let m = erlang_c(10.0, 14, 180.0, 20.0).unwrap();
        close(m.p_wait, 0.1741, 1e-4);
        close(m.service_level, 0.8884, 1e-4);
        close(m.asa_seconds, 0.1741 * 180.0 / 4.0, 0.01);
        close(m.occupancy, 10.0 / 14.0, 1e-12);
    }

    #[test]
    fn erlang_c_overload_is_an_error_not_nan() {
        assert_eq!(
            erlang_c(10.0, 10, 180.0, 20.0),
            Err(WfmError::Overload {
                traffic: 10.0,
                agents: 10
            })
        );
        assert!(matches!(
            erlang_c(f64::NAN, 10, 180.0, 20.0),
            Err(WfmError::Invalid {
                field: "traffic",
                ..
            })
        ));
        assert!(matches!(
            erlang_c(1.0, 10, 0.0, 20.0),
            Err(WfmError::Invalid { field: "aht", .. })
        ));
    }

    #[test]
    fn large_loads_stay_finite() {
        let m = erlang_c(12_345.0, 12_400, 180.0, 20.0).unwrap();
        assert!(
            m.p_wait.is_finite() && (0.0..=1.0).contains(&m.p_wait),
            "{m:?}"
        );
        assert!(m.service_level > 0.0 && m.service_level < 1.0, "{m:?}");
        let a = erlang_a(12_345.0, 12_400, 180.0, 300.0, 20.0).unwrap();
        assert!(a.p_wait.is_finite() && a.p_abandon.is_finite(), "{a:?}");
        assert!(
            a.p_wait <= m.p_wait + 1e-9,
            "abandonment shortens the queue"
        );
        // Heavy overload is fine for Erlang A: most callers abandon, agents are saturated.
        let o = erlang_a(12_345.0, 10_000, 180.0, 300.0, 20.0).unwrap();
        assert!(o.p_abandon > 0.15 && o.p_abandon < 0.25, "{o:?}");
        assert!(o.occupancy > 0.99 && o.occupancy <= 1.0 + 1e-9, "{o:?}");
    }

    #[test]
    fn erlang_a_tends_to_erlang_c_as_patience_grows() {
        let c = erlang_c(10.0, 14, 180.0, 20.0).unwrap();
        let a = erlang_a(10.0, 14, 180.0, 1e9, 20.0).unwrap();
        close(a.p_wait, c.p_wait, 1e-5);
        close(a.service_level, c.service_level, 1e-5);
        close(a.asa_seconds, c.asa_seconds, 1e-3);
        assert!(a.p_abandon < 1e-6);
    }

    #[test]
    fn erlang_a_matches_a_brute_force_birth_death_chain() {
        // Independent check on a small case: the stationary law of the number in system by
        // plain products, truncated far out; P(abandon) = θ·E[queue length] / λ.
        let (traffic, agents, aht, patience) = (10.0, 12_u32, 180.0, 300.0);
        let (lambda, mu, theta) = (traffic / aht, 1.0 / aht, 1.0 / patience);
        let mut pi = vec![1.0_f64];
        for n in 1..2000_u32 {
            let death = f64::from(n.min(agents)) * mu + f64::from(n.saturating_sub(agents)) * theta;
            pi.push(pi[n as usize - 1] * lambda / death);
        }
        let total: f64 = pi.iter().sum();
        let p_wait: f64 = pi[agents as usize..].iter().sum::<f64>() / total;
        let queue: f64 = (agents as usize..pi.len())
            .map(|n| (n - agents as usize) as f64 * pi[n])
            .sum::<f64>()
            / total;
        let m = erlang_a(traffic, agents, aht, patience, 20.0).unwrap();
        close(m.p_wait, p_wait, 1e-9);
        close(m.p_abandon, theta * queue / lambda, 1e-9);
        assert!(m.service_level < 1.0 - m.p_abandon);
        let fewer = erlang_a(traffic, agents - 1, aht, patience, 20.0).unwrap();
        assert!(fewer.p_abandon > m.p_abandon && fewer.service_level < m.service_level);
    }
}
