//! RFC 4733 telephone events: the DTMF keys as RTP payloads, sent and received.
//!
//! A key press is one event: the same RTP timestamp on every packet of it, updates as it
//! lasts, and the end bit, repeated three times for safety. [`Receiver`] turns such packets
//! (lost, repeated or reordered) into each key exactly once.

/// Why a payload is not a telephone event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DtmfError {
    #[error("a telephone event is 4 bytes, not {0}")]
    Length(usize),
    #[error("event {0} is not a DTMF key")]
    NotAKey(u8),
}

/// One telephone-event payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub key: char,
    pub end: bool,
    /// Level in −dBm0, 0–63.
    pub volume: u8,
    /// In timestamp units (1/8000 s at 8 kHz).
    pub duration: u16,
}

/// `0`–`9`, `*`, `#`, `A`–`D` as event codes 0–15.
pub fn key_code(key: char) -> Option<u8> {
    match key {
        '0'..='9' => Some(key as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(key as u8 - b'A' + 12),
        _ => None,
    }
}

fn code_key(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

impl Event {
    pub fn parse(payload: &[u8]) -> Result<Event, DtmfError> {
        let [code, flags, d0, d1] =
            <[u8; 4]>::try_from(payload).map_err(|_| DtmfError::Length(payload.len()))?;
        Ok(Event {
            key: code_key(code).ok_or(DtmfError::NotAKey(code))?,
            end: flags & 0x80 != 0,
            volume: flags & 0x3F,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            key_code(self.key).unwrap_or(0),
            if self.end { 0x80 } else { 0 } | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }
}

/// The payloads to send for one key held `duration` timestamp units: one every `step`
/// units while it lasts, then the end three times. They all carry the key's start timestamp.
pub fn send(key: char, duration: u16, step: u16) -> Vec<[u8; 4]> {
    let step = step.max(1);
    let mut out = Vec::new();
    let mut d = step.min(duration);
    while d < duration {
        out.push(
            Event {
                key,
                end: false,
                volume: 10,
                duration: d,
            }
            .to_bytes(),
        );
        d = d.saturating_add(step);
    }
    let end = Event {
        key,
        end: true,
        volume: 10,
        duration,
    }
    .to_bytes();
    out.extend([end, end, end]);
    out
}

/// Turns telephone-event packets into keys: a key counts once per RTP timestamp, when its
/// first packet arrives (the caller's intent is known then; waiting for the end would make
/// menus feel slow).
#[derive(Debug, Default)]
pub struct Receiver {
    last: Option<u32>,
}

impl Receiver {
    /// The key this packet starts, if it starts one.
    pub fn packet(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = Event::parse(payload).ok()?;
        if self.last == Some(timestamp) {
            return None;
        }
        // An old event's straggler (a timestamp behind the last key) is not a new key.
        if let Some(last) = self.last
            && timestamp.wrapping_sub(last) >= 0x8000_0000
        {
            return None;
        }
        self.last = Some(timestamp);
        Some(event.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        for key in "0123456789*#ABCD".chars() {
            let e = Event {
                key,
                end: true,
                volume: 10,
                duration: 800,
            };
            assert_eq!(Event::parse(&e.to_bytes()), Ok(e));
        }
        assert_eq!(Event::parse(&[16, 0, 0, 0]), Err(DtmfError::NotAKey(16)));
        assert_eq!(Event::parse(&[1, 0, 0]), Err(DtmfError::Length(3)));
        assert_eq!(key_code('x'), None);
    }

    #[test]
    fn a_100_ms_key_is_updates_then_three_ends() {
        let packets = send('5', 800, 160);
        assert_eq!(packets.len(), 4 + 3);
        assert!(packets[..4].iter().all(|p| !Event::parse(p).unwrap().end));
        assert!(packets[4..].iter().all(|p| Event::parse(p).unwrap()
            == Event {
                key: '5',
                end: true,
                volume: 10,
                duration: 800
            }));
    }

    #[test]
    fn each_key_counts_once_whatever_the_network_does() {
        let mut r = Receiver::default();
        let mut keys = String::new();
        // "1#": every packet of `1` twice, one of `#` lost, and a straggler of `1` late.
        let one = send('1', 800, 160);
        let hash = send('#', 800, 160);
        for p in one.iter().chain(&one) {
            keys.extend(r.packet(1_000, p));
        }
        for p in &hash[1..] {
            keys.extend(r.packet(3_000, p));
        }
        keys.extend(r.packet(1_000, &one[6]));
        keys.extend(r.packet(1_000, b"junk"));
        assert_eq!(keys, "1#");
        // The same key pressed again is a new event with a new timestamp.
        keys.extend(r.packet(5_000, &one[0]));
        assert_eq!(keys, "1#1");
    }
}
