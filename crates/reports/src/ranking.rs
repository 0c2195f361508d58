//! The star ranking (星级员工): agents (or teams) scored on a tenant's weighted metrics.
//! Each metric is scaled across those ranked — best 1, worst 0, lower-is-better metrics
//! turned round — and the score is the weighted mean, 0 to 100. Ties share a rank.

use serde::{Deserialize, Serialize};

use crate::components::Components;
use crate::metrics::{Settings, metric, value};

/// A metric's weight in the ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weight {
    /// A glossary key.
    pub metric: String,
    /// 0 to 100.
    pub weight: u32,
}

/// What a center ranks agents by until it says otherwise: calls answered, talk time,
/// satisfaction and first-contact resolution (the QA score joins when quality inspection
/// exists).
pub fn default_weights() -> Vec<Weight> {
    [
        ("answered", 40),
        ("talk_time", 20),
        ("satisfaction", 20),
        ("fcr", 20),
    ]
    .into_iter()
    .map(|(metric, weight)| Weight {
        metric: metric.into(),
        weight,
    })
    .collect()
}

/// Metrics where less is better: waits, abandons, handle times, transfers, repeats.
pub fn lower_is_better(key: &str) -> bool {
    matches!(
        key,
        "abandoned"
            | "short_abandoned"
            | "abandon_rate"
            | "asa"
            | "avg_abandon_wait"
            | "max_wait"
            | "aht"
            | "avg_hold"
            | "avg_acw"
            | "avg_ring"
            | "transfer_rate"
            | "repeat_rate"
            | "not_ready_time"
            | "flowed_out"
            | "voicemail"
    )
}

/// Checks a ranking's weights: known metrics, each once, 0–100, not all zero.
pub fn check_weights(w: &[Weight]) -> Result<(), (String, String)> {
    if w.is_empty() || w.len() > 12 {
        return Err(("ranking".into(), "1 to 12 metrics".into()));
    }
    for (i, x) in w.iter().enumerate() {
        if metric(&x.metric).is_none() {
            return Err((
                format!("ranking[{i}].metric"),
                "a metric of the glossary".into(),
            ));
        }
        if w[..i].iter().any(|y| y.metric == x.metric) {
            return Err((format!("ranking[{i}].metric"), "used twice".into()));
        }
        if x.weight > 100 {
            return Err((format!("ranking[{i}].weight"), "0 to 100".into()));
        }
    }
    if w.iter().all(|x| x.weight == 0) {
        return Err(("ranking".into(), "at least one weight above 0".into()));
    }
    Ok(())
}

/// One ranked agent or team.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub key: String,
    /// 0 to 100.
    pub score: f64,
    /// 1 for the best; ties share one.
    pub rank: usize,
    /// Each weight's metric: its value, and where it places the key between the worst (0)
    /// and the best (1).
    pub parts: Vec<(Option<f64>, f64)>,
}

/// Ranks `rows` (a key and its components over the period) by `weights`. A metric with no
/// value (nothing to divide by) places its key last on it.
pub fn rank(rows: &[(String, Components)], weights: &[Weight], s: &Settings) -> Vec<Ranked> {
    let values: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|(_, c)| weights.iter().map(|w| value(&w.metric, c, s)).collect())
        .collect();
    let total: f64 = weights.iter().map(|w| f64::from(w.weight)).sum();
    let mut ranked: Vec<Ranked> = rows
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let parts: Vec<(Option<f64>, f64)> = weights
                .iter()
                .enumerate()
                .map(|(j, w)| {
                    let column = values.iter().filter_map(|v| v[j]);
                    let (lo, hi) = column
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                            (lo.min(v), hi.max(v))
                        });
                    let placed = match values[i][j] {
                        None => 0.0,
                        Some(_) if hi <= lo => 1.0,
                        Some(v) if lower_is_better(&w.metric) => (hi - v) / (hi - lo),
                        Some(v) => (v - lo) / (hi - lo),
                    };
                    (values[i][j], placed)
                })
                .collect();
            let score = if total > 0.0 {
                100.0
                    * weights
                        .iter()
                        .zip(&parts)
                        .map(|(w, (_, p))| f64::from(w.weight) * p)
                        .sum::<f64>()
                    / total
            } else {
                0.0
            };
            Ranked {
                key: key.clone(),
                score,
                rank: 0,
                parts,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
    for i in 0..ranked.len() {
        ranked[i].rank = if i > 0 && ranked[i].score == ranked[i - 1].score {
            ranked[i - 1].rank
        } else {
            i + 1
        };
    }
    ranked
}
