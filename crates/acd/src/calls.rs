//! Live calls by id, looked up without hashing when ids come in order.
//!
//! A driver hands out call ids mostly in order (a counter, a database sequence), and the
//! engine looks a call up several times per input. Ids from the oldest live one on sit in a
//! sliding window (a ring buffer, one slot per id); an id out of order goes to a hash map. An
//! old call that stays (a long hold) does not pin the window: when the window holds more than
//! a few slots per live call, its oldest calls move to the hash map and it slides on.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::types::CallId;

/// Slots the window may have per live call in it (and a floor for small windows).
const SLOTS_PER_CALL: usize = 4;
const MIN_SLOTS: usize = 64;
/// How far past the window's end a new id may be and still extend it (the ids skipped get
/// empty slots).
const MAX_GAP: u64 = 16;

#[derive(Debug)]
pub(crate) struct CallMap<V> {
    /// The id of `window[0]`.
    base: u64,
    window: VecDeque<Option<V>>,
    /// Calls in the window.
    in_window: usize,
    /// Calls outside the window.
    others: FxHashMap<CallId, V>,
}

impl<V> Default for CallMap<V> {
    fn default() -> Self {
        CallMap {
            base: 0,
            window: VecDeque::new(),
            in_window: 0,
            others: FxHashMap::default(),
        }
    }
}

impl<V> CallMap<V> {
    /// The window's slot for `id`, if it has one.
    #[inline]
    fn slot(&self, id: CallId) -> Option<usize> {
        let i = id.0.wrapping_sub(self.base);
        (i < self.window.len() as u64).then_some(i as usize)
    }

    #[inline]
    pub(crate) fn get(&self, id: &CallId) -> Option<&V> {
        match self.slot(*id) {
            Some(i) => self.window[i].as_ref(),
            None => self.others.get(id),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, id: &CallId) -> Option<&mut V> {
        match self.slot(*id) {
            Some(i) => self.window[i].as_mut(),
            None => self.others.get_mut(id),
        }
    }

    pub(crate) fn contains_key(&self, id: &CallId) -> bool {
        self.get(id).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.in_window + self.others.len()
    }

    /// Adds a call under a new id (one not in the map).
    pub(crate) fn insert_new(&mut self, id: CallId, v: V) {
        debug_assert!(!self.contains_key(&id), "{id:?} is in the map already");
        if self.window.is_empty() {
            self.base = id.0;
        }
        let end = self.base.wrapping_add(self.window.len() as u64);
        if let Some(i) = self.slot(id) {
            self.window[i] = Some(v);
        } else if id.0.wrapping_sub(end) <= MAX_GAP {
            // The window grows to the id; skipped ids the hash map holds move in.
            for skipped in end..id.0 {
                let moved = self.others.remove(&CallId(skipped));
                self.in_window += usize::from(moved.is_some());
                self.window.push_back(moved);
            }
            self.window.push_back(Some(v));
        } else {
            self.others.insert(id, v);
            return;
        }
        self.in_window += 1;
        self.limit();
    }

    pub(crate) fn remove(&mut self, id: &CallId) -> Option<V> {
        let Some(i) = self.slot(*id) else {
            return self.others.remove(id);
        };
        let v = self.window[i].take();
        self.in_window -= usize::from(v.is_some());
        self.trim();
        self.limit();
        v
    }

    /// Drops the empty slots at the window's front.
    fn trim(&mut self) {
        while let Some(None) = self.window.front() {
            self.window.pop_front();
            self.base = self.base.wrapping_add(1);
        }
    }

    /// Keeps the window within a few slots per call in it: its oldest calls move out.
    fn limit(&mut self) {
        while self.window.len() > (SLOTS_PER_CALL * self.in_window).max(MIN_SLOTS) {
            if let Some(Some(v)) = self.window.pop_front() {
                self.in_window -= 1;
                self.others.insert(CallId(self.base), v);
            }
            self.base = self.base.wrapping_add(1);
            self.trim();
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (CallId, &V)> {
        let base = self.base;
        let window =
            self.window.iter().enumerate().filter_map(move |(i, v)| {
                v.as_ref().map(|v| (CallId(base.wrapping_add(i as u64)), v))
            });
        window.chain(self.others.iter().map(|(k, v)| (*k, v)))
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }
}

impl<V> std::ops::Index<&CallId> for CallMap<V> {
    type Output = V;

    #[inline]
    fn index(&self, id: &CallId) -> &V {
        match self.get(id) {
            Some(v) => v,
            None => panic!("no call {id:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::CallMap;
    use crate::types::CallId;

    /// Agrees with a `HashMap` for ids in order, with gaps, out of order and huge, with calls
    /// that end soon and calls that stay long; the window stays within a few slots per call.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (mut ours, mut model) = (CallMap::default(), HashMap::new());
        let mut next = 1_000_u64;
        for step in 0..50_000_u64 {
            if model.is_empty() || rng.random_bool(0.5) {
                let id = match rng.random_range(0..10) {
                    0 => rng.random::<u64>(),                           // anywhere
                    1 => next.saturating_sub(rng.random_range(0..200)), // late
                    2 => next + rng.random_range(1..40),                // a gap
                    _ => next,                                          // in order
                };
                next = next.max(id + 1);
                let id = CallId(id);
                if model.contains_key(&id) {
                    continue;
                }
                ours.insert_new(id, step);
                model.insert(id, step);
            } else {
                // Mostly the newer calls end; some stay for a long time.
                let keys: Vec<CallId> = model.keys().copied().collect();
                let id = keys[rng.random_range(0..keys.len())];
                if id.0.is_multiple_of(7) && rng.random_bool(0.9) {
                    continue;
                }
                assert_eq!(ours.remove(&id), model.remove(&id));
            }
            assert_eq!(ours.len(), model.len());
            let probe = CallId(next.saturating_sub(rng.random_range(0..300)));
            assert_eq!(ours.get(&probe), model.get(&probe));
            assert!(ours.window.len() <= (4 * ours.in_window).max(64));
        }
        let mut all: Vec<_> = ours.iter().map(|(k, v)| (k, *v)).collect();
        all.sort();
        let mut want: Vec<_> = model.into_iter().collect();
        want.sort();
        assert_eq!(all, want);
    }
}
