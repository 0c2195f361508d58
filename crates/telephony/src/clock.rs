//! Wall time for telephony: when registrations and nonces expire, when calls arrive and
//! connect. Taken from the caller, so the in-process harness runs it on tokio's clock and
//! a paused test moves it with `tokio::time::advance`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Where telephony reads the time of day, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    /// The system's clock (what a running server uses).
    #[default]
    System,
    /// The wall time at `start` plus the time elapsed on tokio's clock since: paused and
    /// advanced with the runtime's clock, so expiries pass at once in tests.
    Tokio {
        start: tokio::time::Instant,
        start_ms: i64,
    },
}

impl Clock {
    /// Tokio's clock, from the wall time now. Read inside the runtime whose clock it follows.
    pub fn tokio() -> Clock {
        Clock::Tokio {
            start: tokio::time::Instant::now(),
            start_ms: Clock::System.now_ms(),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Clock::Tokio { start, start_ms } => {
                let elapsed = i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX);
                start_ms.saturating_add(elapsed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_moves_with_the_runtime() {
        let clock = Clock::tokio();
        let before = clock.now_ms();
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now_ms() - before, 90_000);
        assert!((Clock::System.now_ms() - before).abs() < 60_000);
    }
}
