//! Two legs of a call into one stereo stream (caller left, agent right) for the recording.
//! Packets arrive when they arrive: each side is buffered and frames come out in step. A
//! side that goes quiet (on hold, muted phones that stop sending) is filled with silence
//! once the other side is more than [`MAX_SKEW`] samples ahead, so the two stay aligned.

use std::collections::VecDeque;

/// How far one side may run ahead of the other (100 ms at 8 kHz) before the other is
/// filled with silence.
pub const MAX_SKEW: usize = 800;

/// Which leg a sample came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The caller, recorded on the left channel.
    Left,
    /// The agent, on the right.
    Right,
}

#[derive(Debug, Default)]
pub struct Stereo {
    left: VecDeque<i16>,
    right: VecDeque<i16>,
}

impl Stereo {
    pub fn new() -> Stereo {
        Stereo::default()
    }

    /// Adds one side's samples and appends the interleaved frames now complete to `out`.
    pub fn push(&mut self, side: Side, samples: &[i16], out: &mut Vec<i16>) {
        let (mine, other) = match side {
            Side::Left => (&mut self.left, &mut self.right),
            Side::Right => (&mut self.right, &mut self.left),
        };
        mine.extend(samples);
        if mine.len() > other.len() + MAX_SKEW {
            let gap = mine.len() - other.len() - MAX_SKEW;
            other.extend(std::iter::repeat_n(0, gap));
        }
        self.drain(out);
    }

    fn drain(&mut self, out: &mut Vec<i16>) {
        let n = self.left.len().min(self.right.len());
        out.reserve(2 * n);
        for (l, r) in self.left.drain(..n).zip(self.right.drain(..n)) {
            out.push(l);
            out.push(r);
        }
    }

    /// The rest, the shorter side padded with silence (at the end of the call).
    pub fn finish(&mut self, out: &mut Vec<i16>) {
        let n = self.left.len().max(self.right.len());
        self.left.resize(n, 0);
        self.right.resize(n, 0);
        self.drain(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaves_in_step() {
        let mut s = Stereo::new();
        let mut out = Vec::new();
        s.push(Side::Left, &[1, 2, 3], &mut out);
        assert!(out.is_empty());
        s.push(Side::Right, &[-1, -2], &mut out);
        assert_eq!(out, [1, -1, 2, -2]);
        out.clear();
        s.finish(&mut out);
        assert_eq!(out, [3, 0]);
    }

    #[test]
    fn a_quiet_side_is_filled_with_silence() {
        let mut s = Stereo::new();
        let mut out = Vec::new();
        for _ in 0..20 {
            s.push(Side::Right, &[5; 160], &mut out);
        }
        // 3,200 samples from the agent, none from the caller: all but MAX_SKEW are out,
        // with silence on the left.
        assert_eq!(out.len(), 2 * (3_200 - MAX_SKEW));
        assert!(out.chunks(2).all(|f| f == [0, 5]));
        // The caller speaks again: its samples line up after the silence.
        out.clear();
        s.push(Side::Left, &[7; 160], &mut out);
        assert_eq!(&out[..2], [7, 5]);
    }
}
