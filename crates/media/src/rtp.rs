//! RTP packets (RFC 3550): the fixed header, contributing sources, a header extension and
//! padding, read from untrusted bytes without panicking and written back exactly.

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("shorter than an RTP header ({0} bytes)")]
    TooShort(usize),
    #[error("version {0}, not 2")]
    Version(u8),
    #[error("the header claims more bytes than the packet has")]
    Truncated,
    #[error("the padding is longer than the payload")]
    BadPadding,
}

/// A packet, borrowing its payload from the buffer it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrc: Vec<u32>,
    /// The extension's profile id and its data (whole 32-bit words).
    pub extension: Option<(u16, &'a [u8])>,
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    pub fn parse(buf: &'a [u8]) -> Result<Packet<'a>, RtpError> {
        if buf.len() < 12 {
            return Err(RtpError::TooShort(buf.len()));
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padding = buf[0] & 0x20 != 0;
        let has_extension = buf[0] & 0x10 != 0;
        let csrc_count = usize::from(buf[0] & 0x0F);
        let mut at = 12 + 4 * csrc_count;
        if buf.len() < at {
            return Err(RtpError::Truncated);
        }
        let csrc = buf[12..at]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let extension = if has_extension {
            let head = buf.get(at..at + 4).ok_or(RtpError::Truncated)?;
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let data = buf
                .get(at + 4..at + 4 + 4 * words)
                .ok_or(RtpError::Truncated)?;
            at += 4 + 4 * words;
            Some((profile, data))
        } else {
            None
        };
        let mut end = buf.len();
        if padding {
            let n = usize::from(buf[end - 1]);
            if n == 0 || n > end - at {
                return Err(RtpError::BadPadding);
            }
            end -= n;
        }
        Ok(Packet {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7F,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            csrc,
            extension,
            payload: &buf[at..end],
        })
    }

    /// Appends the packet's bytes (without padding) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let csrc = self.csrc.len().min(15);
        out.push(0x80 | if self.extension.is_some() { 0x10 } else { 0 } | csrc as u8);
        out.push(if self.marker { 0x80 } else { 0 } | (self.payload_type & 0x7F));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for c in &self.csrc[..csrc] {
            out.extend_from_slice(&c.to_be_bytes());
        }
        if let Some((profile, data)) = self.extension {
            let words = data.len().div_ceil(4);
            out.extend_from_slice(&profile.to_be_bytes());
            out.extend_from_slice(&u16::try_from(words).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(data);
            out.resize(out.len() + (words * 4 - data.len()), 0);
        }
        out.extend_from_slice(self.payload);
    }
}

/// Counts what arrives on one stream: received, lost (gaps in the sequence) and late (older
/// than the newest seen), with 16-bit sequence numbers wrapping.
#[derive(Debug, Clone, Default)]
pub struct StreamStats {
    highest: Option<u16>,
    pub received: u64,
    pub lost: u64,
    pub late: u64,
}

impl StreamStats {
    pub fn record(&mut self, sequence: u16) {
        self.received += 1;
        match self.highest {
            None => self.highest = Some(sequence),
            Some(h) => {
                let ahead = sequence.wrapping_sub(h);
                if ahead == 0 {
                    self.late += 1; // a duplicate
                } else if ahead < 0x8000 {
                    self.lost += u64::from(ahead - 1);
                    self.highest = Some(sequence);
                } else {
                    // Behind the newest: it was counted lost, and came late after all.
                    self.late += 1;
                    self.lost = self.lost.saturating_sub(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn packet<'a>(payload: &'a [u8], ext: Option<(u16, &'a [u8])>) -> Packet<'a> {
        Packet {
            marker: true,
            payload_type: 0,
            sequence: 65_535,
            timestamp: 160 * 7,
            ssrc: 0xDEAD_BEEF,
            csrc: vec![1, 2],
            extension: ext,
            payload,
        }
    }

    #[test]
    fn packets_round_trip() {
        let audio = [0xFFu8; 160];
        for ext in [None, Some((0xBEDE, &[1u8, 2, 3, 4][..]))] {
            let p = packet(&audio, ext);
            let mut bytes = Vec::new();
            p.write(&mut bytes);
            assert_eq!(Packet::parse(&bytes).unwrap(), p);
        }
    }

    #[test]
    fn padding_is_taken_off() {
        let mut bytes = Vec::new();
        packet(&[1, 2, 3], None).write(&mut bytes);
        bytes[0] |= 0x20;
        bytes.extend_from_slice(&[0, 0, 3]);
        assert_eq!(Packet::parse(&bytes).unwrap().payload, &[1, 2, 3]);
        let n = bytes.len();
        bytes[n - 1] = 200;
        assert_eq!(Packet::parse(&bytes), Err(RtpError::BadPadding));
    }

    #[test]
    fn bad_packets_say_why() {
        assert_eq!(Packet::parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        assert_eq!(Packet::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut short_csrc = vec![0x8F; 12];
        short_csrc[0] = 0x8F;
        assert_eq!(Packet::parse(&short_csrc), Err(RtpError::Truncated));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut buf = [0u8; 64];
        for _ in 0..200_000 {
            let n = rng.random_range(0..64);
            rng.fill(&mut buf[..n]);
            buf[0] = (buf[0] & 0x3F) | 0x80;
            let _ = Packet::parse(&buf[..n]);
        }
    }

    #[test]
    fn loss_and_lateness_across_the_wrap() {
        let mut s = StreamStats::default();
        for seq in [65_533u16, 65_534, 0, 1, 65_535, 3, 3] {
            s.record(seq);
        }
        // 65535 came late (counted lost, then found); 2 never came; 3 twice.
        assert_eq!((s.received, s.lost, s.late), (7, 1, 2));
    }
}
