//! The children `chain["segment"]` hands out by reference, without
//! `unsafe`: an append-only table of `OnceLock` slots, in chunks that
//! double in size, so a slot never moves once filled.
//!
//! Keys are `&'static str`, so what the table can hold is bounded by the
//! string literals of the program; strings made at run time go through
//! [`Chain::chain`](super::Chain::chain), whose memory is bounded.

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
};

use super::Chain;

/// Slots in the first chunk; chunk `k` holds `FIRST << k`.
const FIRST: usize = 8;
/// Enough chunks that the table cannot fill before memory does.
const CHUNKS: usize = 40;

pub(crate) struct Children {
    slots_by_key: Mutex<HashMap<&'static str, usize>>,
    chunks: [OnceLock<Box<[OnceLock<Chain>]>>; CHUNKS],
}

impl Default for Children {
    fn default() -> Self {
        Self {
            slots_by_key: Mutex::default(),
            chunks: std::array::from_fn(|_| OnceLock::new()),
        }
    }
}

/// The chunk and offset of slot `n`.
fn locate(n: usize) -> (usize, usize) {
    let q = n / FIRST + 1;
    let chunk = (usize::BITS - 1 - q.leading_zeros()) as usize;
    (chunk, n - FIRST * ((1 << chunk) - 1))
}

impl Children {
    /// The child for `key`, made by `make` the first time.
    pub(crate) fn get_or_insert(&self, key: &'static str, make: impl FnOnce() -> Chain) -> &Chain {
        let slot = {
            let mut slots = match self.slots_by_key.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            let next = slots.len();
            *slots.entry(key).or_insert(next)
        };
        let (chunk, offset) = locate(slot);
        let Some(cell) = self.chunks.get(chunk) else {
            // Beyond 8 × 2^40 distinct literals: unreachable in practice.
            return Box::leak(Box::new(make()));
        };
        let chunk = cell.get_or_init(|| (0..FIRST << chunk).map(|_| OnceLock::new()).collect());
        chunk[offset].get_or_init(make)
    }

    /// How many children are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        match self.slots_by_key.lock() {
            Ok(g) => g.len(),
            Err(p) => p.into_inner().len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn slots_fill_chunks_in_order() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(7), (0, 7));
        assert_eq!(locate(8), (1, 0));
        assert_eq!(locate(23), (1, 15));
        assert_eq!(locate(24), (2, 0));
        let mut last = (0, 0);
        for n in 1..100_000 {
            let (c, o) = locate(n);
            assert!(o < super::FIRST << c, "{n}");
            assert!((c, o) > last, "{n}");
            last = (c, o);
        }
    }
}
