//! An ordered set kept as a sorted ring buffer.
//!
//! The queues' sets of available agents change mostly at their ends: under longest-idle the
//! agent who has idled longest is taken from the front and an agent who becomes free joins
//! at the back. A sorted `VecDeque` does both in constant time, and finds anything else by
//! binary search over contiguous memory, shifting the shorter side on an insert or removal
//! in the middle. A B-tree pays a search through its nodes for every change, ends included.

use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortedDeque<T>(VecDeque<T>);

impl<T> Default for SortedDeque<T> {
    fn default() -> Self {
        SortedDeque(VecDeque::new())
    }
}

impl<T: Ord> SortedDeque<T> {
    /// Adds `x`; false if it was there already.
    pub(crate) fn insert(&mut self, x: T) -> bool {
        // The back first: where new members of a longest-idle set go.
        if self.0.back().is_none_or(|last| *last < x) {
            self.0.push_back(x);
            return true;
        }
        match self.0.binary_search(&x) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, x);
                true
            }
        }
    }

    /// Removes `x`; false if it was not there.
    pub(crate) fn remove(&mut self, x: &T) -> bool {
        if self.0.front() == Some(x) {
            self.0.pop_front();
            return true;
        }
        match self.0.binary_search(x) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn contains(&self, x: &T) -> bool {
        self.0.binary_search(x).is_ok()
    }

    pub(crate) fn first(&self) -> Option<&T> {
        self.0.front()
    }

    /// The first member not less than `x`.
    pub(crate) fn first_from(&self, x: &T) -> Option<&T> {
        self.0.get(self.0.partition_point(|y| y < x))
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}

impl<'a, T> IntoIterator for &'a SortedDeque<T> {
    type Item = &'a T;
    type IntoIter = std::collections::vec_deque::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::SortedDeque;

    /// Behaves as a `BTreeSet` under a long random mix of inserts and removals.
    #[test]
    fn agrees_with_a_btree_set() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let (mut ours, mut model) = (SortedDeque::default(), BTreeSet::new());
        for _ in 0..100_000 {
            let x: u8 = rng.random_range(0..40);
            if rng.random_bool(0.5) {
                assert_eq!(ours.insert(x), model.insert(x));
            } else {
                assert_eq!(ours.remove(&x), model.remove(&x));
            }
            assert!((&ours).into_iter().eq(model.iter()));
            assert_eq!(ours.first(), model.first());
            assert_eq!(ours.first_from(&20), model.range(20..).next());
            assert_eq!(ours.contains(&x), model.contains(&x));
            assert_eq!(ours.len(), model.len());
        }
    }
}
