//! A map keyed by agent or queue id that looks most of them up without hashing.
//!
//! Ids are numbers a tenant hands out mostly in order (0, 1, 2… in the simulator, database
//! keys in the server), and the engine looks agents and queues up by id several times per
//! input. An id below a few times the number of entries has a slot in a vector (a bounds
//! check and a load); any other id (sparse or huge) goes to a hash map. So the vector never
//! holds more than a few slots per entry, however large the ids.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::ops::Index;

use rustc_hash::FxHashMap;

/// An id with a position in a vector.
pub(crate) trait Dense: Copy + Eq + Hash {
    fn index(self) -> usize;
}

impl Dense for crate::types::AgentId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl Dense for crate::types::QueueId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// Slots a dense vector may have per entry (and a floor for small maps).
const SLOTS_PER_ENTRY: usize = 4;
const MIN_SLOTS: usize = 64;

#[derive(Debug)]
pub(crate) struct IdMap<K, V> {
    dense: Vec<Option<(K, V)>>,
    sparse: FxHashMap<K, V>,
    len: usize,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            dense: Vec::new(),
            sparse: FxHashMap::default(),
            len: 0,
        }
    }
}

impl<K: Dense, V> IdMap<K, V> {
    #[inline]
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        match self.dense.get(k.index()) {
            Some(slot) => slot.as_ref().map(|(_, v)| v),
            None => self.sparse.get(k),
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        match self.dense.get_mut(k.index()) {
            Some(slot) => slot.as_mut().map(|(_, v)| v),
            None => self.sparse.get_mut(k),
        }
    }

    pub(crate) fn contains_key(&self, k: &K) -> bool {
        self.get(k).is_some()
    }

    /// The value for `k`, made by `make` if there is none.
    pub(crate) fn get_or_insert_with(&mut self, k: K, make: impl FnOnce() -> V) -> &mut V {
        if !self.contains_key(&k) {
            self.insert(k, make());
        }
        self.get_mut(&k).expect("just inserted")
    }

    /// Inserts or replaces the value for `k`.
    pub(crate) fn insert(&mut self, k: K, v: V) {
        let i = k.index();
        let room = (SLOTS_PER_ENTRY * (self.len + 1)).max(MIN_SLOTS);
        if i >= self.dense.len() && i < room {
            // Grow the vector to take it, and any sparse ids it now covers.
            let size = room.max(self.dense.len());
            self.dense.resize_with(size, || None);
            let covered: Vec<K> = self
                .sparse
                .keys()
                .filter(|k| k.index() < size)
                .copied()
                .collect();
            for c in covered {
                let v = self.sparse.remove(&c).expect("listed");
                self.dense[c.index()] = Some((c, v));
            }
        }
        let new = match self.dense.get_mut(i) {
            Some(slot) => slot.replace((k, v)).is_none(),
            None => match self.sparse.entry(k) {
                Entry::Occupied(mut e) => {
                    e.insert(v);
                    false
                }
                Entry::Vacant(e) => {
                    e.insert(v);
                    true
                }
            },
        };
        self.len += usize::from(new);
    }

    /// Every entry: the dense ones in id order, then the sparse ones.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        let dense = self.dense.iter().flatten().map(|(k, v)| (k, v));
        dense.chain(self.sparse.iter())
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }
}

impl<K: Dense + std::fmt::Debug, V> Index<&K> for IdMap<K, V> {
    type Output = V;

    #[inline]
    fn index(&self, k: &K) -> &V {
        match self.get(k) {
            Some(v) => v,
            None => panic!("no entry for {k:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::IdMap;
    use crate::types::AgentId;

    /// Agrees with a `HashMap` for ids in order, scattered and huge, and keeps its vector
    /// within a few slots per entry.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (mut ours, mut model) = (IdMap::default(), HashMap::new());
        for step in 0..20_000_u32 {
            let id = match rng.random_range(0..3) {
                0 => step / 4,
                1 => rng.random_range(0..2_000),
                _ => rng.random(),
            };
            let k = AgentId(id);
            if rng.random_bool(0.7) {
                ours.insert(k, step);
                model.insert(k, step);
            } else {
                *ours.get_or_insert_with(k, || 7) += 1;
                *model.entry(k).or_insert(7) += 1;
            }
            assert_eq!(ours.len, model.len());
            let probe = AgentId(rng.random_range(0..3_000));
            assert_eq!(ours.get(&probe), model.get(&probe));
            assert!(ours.dense.len() <= (4 * ours.len).max(64));
        }
        let mut all: Vec<_> = ours.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort();
        let mut want: Vec<_> = model.into_iter().collect();
        want.sort();
        assert_eq!(all, want);
    }
}
