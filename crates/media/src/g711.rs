//! G.711 (ITU-T): 16-bit linear PCM to and from 8-bit μ-law (North America, Japan) and
//! A-law (Europe, China). Encoding finds the segment from the highest set bit; decoding is
//! arithmetic. Both are exact to the standard's tables.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32_635;

/// One sample to μ-law.
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    // 0x84 ..= 0x7FFF: the highest set bit is bit 7 to bit 14, the segment 0 to 7.
    s = s.min(CLIP) + BIAS;
    let exponent = (31 - (s as u32).leading_zeros()) as i32 - 7;
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !(sign | ((exponent as u8) << 4) | mantissa as u8)
}

/// One μ-law byte to a sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

/// One sample to A-law.
pub fn alaw_encode(sample: i16) -> u8 {
    let s = i32::from(sample);
    let (sign, mut m) = if s >= 0 { (0x80, s) } else { (0x00, -s - 1) };
    m = m.min(0x7FFF) >> 3; // 13-bit magnitude
    let byte = if m < 32 {
        (m >> 1) as u8
    } else {
        let mut exponent = 1;
        while exponent < 7 && m >= (64 << (exponent - 1)) {
            exponent += 1;
        }
        let mantissa = (m >> exponent) & 0x0F;
        ((exponent << 4) | mantissa) as u8
    };
    (byte | sign) ^ 0x55
}

/// One A-law byte to a sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let b = byte ^ 0x55;
    let sign = b & 0x80;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

/// μ-law bytes to A-law bytes (a caller on one and an agent on the other), through linear.
pub fn ulaw_to_alaw(byte: u8) -> u8 {
    alaw_encode(ulaw_decode(byte))
}

pub fn alaw_to_ulaw(byte: u8) -> u8 {
    ulaw_encode(alaw_decode(byte))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_values() {
        // ITU-T G.711: silence and full scale.
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(ulaw_decode(0x80), 32_124);
        assert_eq!(ulaw_decode(0x00), -32_124);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_decode(0xAA), 32_256);
        assert_eq!(alaw_decode(0x2A), -32_256);
    }

    #[test]
    fn every_code_decodes_and_encodes_back_to_itself() {
        for b in 0..=255u8 {
            // μ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
            if b != 0x7F {
                assert_eq!(ulaw_encode(ulaw_decode(b)), b, "μ-law {b:#04x}");
            }
            assert_eq!(alaw_encode(alaw_decode(b)), b, "A-law {b:#04x}");
        }
    }

    #[test]
    fn the_error_is_within_half_a_step_and_the_order_kept() {
        let mut last = (i16::MIN, i16::MIN);
        for s in (i16::MIN..=i16::MAX).step_by(7) {
            let (u, a) = (ulaw_decode(ulaw_encode(s)), alaw_decode(alaw_encode(s)));
            // The step grows with the level: 1/16 of the segment, so the error stays within
            // about 3 % of the sample (plus the smallest steps near zero).
            let tolerance = (i32::from(s).abs() / 16).max(16);
            assert!(
                (i32::from(u) - i32::from(s)).abs() <= tolerance + 132,
                "μ {s} → {u}"
            );
            assert!(
                (i32::from(a) - i32::from(s)).abs() <= tolerance + 16,
                "A {s} → {a}"
            );
            assert!(u >= last.0 && a >= last.1, "monotonic at {s}");
            last = (u, a);
        }
    }

    #[test]
    fn transcoding_keeps_the_level() {
        for b in 0..=255u8 {
            let there = ulaw_to_alaw(b);
            let a = i32::from(alaw_decode(there));
            let u = i32::from(ulaw_decode(b));
            assert!(
                (a - u).abs() <= (u.abs() / 16).max(16),
                "{b:#04x}: {u} vs {a}"
            );
        }
    }
}
