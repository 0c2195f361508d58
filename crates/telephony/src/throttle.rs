//! Failed authentications counted per key (a source address, an extension) in a window;
//! past a limit the key is barred for a while, and its requests are refused before any
//! password is looked at. Pure: times are given.

use std::collections::HashMap;
use std::hash::Hash;

/// How many failures, over how long, bar a key for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub failures: u32,
    pub window_ms: i64,
    pub bar_ms: i64,
}

/// A source address: 10 failures a minute bar it for five minutes.
pub const PER_SOURCE: Policy = Policy {
    failures: 10,
    window_ms: 60_000,
    bar_ms: 300_000,
};

/// An extension: 20 failures a minute, from anywhere, bar it for five minutes — to sources
/// it is not already registered from, so its own phone goes on.
pub const PER_EXTENSION: Policy = Policy {
    failures: 20,
    window_ms: 60_000,
    bar_ms: 300_000,
};

/// Keys remembered at most; past it the stalest are forgotten (a flood from many addresses
/// costs memory only up to here).
const MAX_KEYS: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Entry {
    since_ms: i64,
    failures: u32,
    barred_until_ms: i64,
}

#[derive(Debug)]
pub struct Throttle<K> {
    policy: Policy,
    entries: HashMap<K, Entry>,
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    pub fn new(policy: Policy) -> Throttle<K> {
        Throttle {
            policy,
            entries: HashMap::new(),
        }
    }

    /// Whether `key` is barred now.
    pub fn barred(&self, key: &K, now_ms: i64) -> bool {
        self.entries
            .get(key)
            .is_some_and(|e| e.barred_until_ms > now_ms)
    }

    /// Counts a failure; true if `key` is barred from now on.
    pub fn fail(&mut self, key: K, now_ms: i64) -> bool {
        if self.entries.len() >= MAX_KEYS && !self.entries.contains_key(&key) {
            self.forget_stale(now_ms);
        }
        let p = self.policy;
        let e = self.entries.entry(key).or_insert(Entry {
            since_ms: now_ms,
            failures: 0,
            barred_until_ms: i64::MIN,
        });
        if now_ms - e.since_ms > p.window_ms {
            e.since_ms = now_ms;
            e.failures = 0;
        }
        e.failures += 1;
        if e.failures >= p.failures {
            e.barred_until_ms = now_ms + p.bar_ms;
        }
        e.barred_until_ms > now_ms
    }

    /// A success clears the key's failures (a phone whose password was just fixed).
    pub fn succeed(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Keys being counted or barred.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn forget_stale(&mut self, now_ms: i64) {
        let p = self.policy;
        self.entries
            .retain(|_, e| e.barred_until_ms > now_ms || now_ms - e.since_ms <= p.window_ms);
        if self.entries.len() >= MAX_KEYS {
            // Still full of live keys: forget the half counted longest ago, but never a
            // bar (each took a run of failures to earn, and lapses by itself).
            let mut since: Vec<i64> = self.entries.values().map(|e| e.since_ms).collect();
            since.sort_unstable();
            let cut = since[since.len() / 2];
            self.entries
                .retain(|_, e| e.barred_until_ms > now_ms || e.since_ms > cut);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_barred_after_its_failures_and_freed_after_the_bar() {
        let mut t = Throttle::new(PER_SOURCE);
        for i in 0..9 {
            assert!(!t.fail("a", i));
        }
        assert!(!t.barred(&"a", 10));
        assert!(t.fail("a", 10));
        assert!(t.barred(&"a", 11));
        assert!(!t.barred(&"b", 11), "another key is not");
        assert!(!t.barred(&"a", 10 + PER_SOURCE.bar_ms));
        // Failures spread wider than the window never bar.
        let mut t = Throttle::new(PER_SOURCE);
        for i in 0..100 {
            assert!(!t.fail("slow", i * 7_000));
        }
        t.succeed(&"slow");
        assert!(t.is_empty());
    }

    #[test]
    fn memory_is_bounded_under_a_flood_of_keys() {
        let mut t = Throttle::new(PER_SOURCE);
        for i in 0..200_000u32 {
            t.fail(i, 0);
        }
        assert!(t.len() <= MAX_KEYS);
    }
}
