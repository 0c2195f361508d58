//! Tones: generating them (ring-back, test tones, DTMF in band) and finding them (Goertzel's
//! algorithm), at 8 kHz — how the tests tell the caller's voice from the agent's in a
//! recording.

/// The telephone sample rate.
pub const RATE: f64 = 8_000.0;

/// `n` samples of the sum of `freqs` (each at `amplitude`), starting at sample `from` so
/// consecutive calls join without a click.
pub fn generate(freqs: &[f64], amplitude: f64, from: u64, n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = (from + i as u64) as f64 / RATE;
            let v: f64 = freqs
                .iter()
                .map(|f| (2.0 * std::f64::consts::PI * f * t).sin())
                .sum::<f64>()
                * amplitude;
            v.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// The power of one frequency in the samples (Goertzel), normalised by their count.
pub fn power(samples: &[i16], freq: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / RATE).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let n = samples.len().max(1) as f64;
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (n * n)
}

/// Which of `candidates` is strongest in the samples.
pub fn strongest(samples: &[i16], candidates: &[f64]) -> Option<f64> {
    candidates
        .iter()
        .copied()
        .max_by(|a, b| power(samples, *a).total_cmp(&power(samples, *b)))
}

/// The two frequencies of a DTMF key (low, high).
pub fn dtmf_pair(key: char) -> Option<(f64, f64)> {
    const LOW: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const HIGH: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let (r, c) = match key {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((LOW[r], HIGH[c]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g711;

    #[test]
    fn goertzel_finds_the_tone_through_g711() {
        // 40 ms of 440 Hz through μ-law and back, as a recording would hold it.
        let tone: Vec<i16> = generate(&[440.0], 8_000.0, 0, 320)
            .into_iter()
            .map(|s| g711::ulaw_decode(g711::ulaw_encode(s)))
            .collect();
        assert_eq!(strongest(&tone, &[440.0, 620.0, 1_000.0]), Some(440.0));
        assert!(power(&tone, 440.0) > 100.0 * power(&tone, 1_000.0));
    }

    #[test]
    fn dtmf_keys_are_told_apart_in_band() {
        const LOW: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
        const HIGH: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
        for key in "0123456789*#ABCD".chars() {
            let (lo, hi) = dtmf_pair(key).unwrap();
            let s = generate(&[lo, hi], 6_000.0, 0, 400);
            assert_eq!(
                (strongest(&s, &LOW), strongest(&s, &HIGH)),
                (Some(lo), Some(hi)),
                "{key}"
            );
        }
        assert_eq!(dtmf_pair('x'), None);
    }

    #[test]
    fn consecutive_blocks_join_without_a_click() {
        let whole = generate(&[1_000.0], 10_000.0, 0, 320);
        let mut parts = generate(&[1_000.0], 10_000.0, 0, 160);
        parts.extend(generate(&[1_000.0], 10_000.0, 160, 160));
        assert_eq!(whole, parts);
    }
}
