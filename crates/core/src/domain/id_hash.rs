//! A fast, deterministic hasher for the ids the system makes itself (client order ids, fill
//! ids), for maps and sets that are looked up, never iterated.
//!
//! `std`'s SipHash resists inputs chosen to collide, which these ids cannot be (they are
//! derived from our own decisions), and hashing them was a large part of submitting an order
//! and applying a fill. This one mixes eight bytes per multiply and xor-shift (FxHash's
//! multiply alone lets ids that differ in two neighbouring words collide, e.g.
//! `sim-of-15-7-…` and `sim-of-90-7-…`), and its final rotation brings the well-mixed high
//! bits to the low bits a table indexes by. A weaker hash can only cost lookups time, never
//! change what a lookup finds.

use std::hash::{BuildHasherDefault, Hasher};

/// The `BuildHasher` of `IdHasher`, for `HashMap<K, V, IdHash>`.
pub type IdHash = BuildHasherDefault<IdHasher>;

/// See the module doc.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl IdHasher {
    fn add(&mut self, word: u64) {
        let h = (self.0 ^ word).wrapping_mul(K);
        self.0 = h ^ (h >> 29);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::hash::BuildHasher;

    #[test]
    fn equal_ids_hash_alike_and_near_ids_apart() {
        let h = |s: &str| IdHash::default().hash_one(s);
        assert_eq!(
            h("sim-of-1-2-ORCL-b-0a1b2c3d-1"),
            h("sim-of-1-2-ORCL-b-0a1b2c3d-1")
        );
        let ids: Vec<String> = (0..20_000)
            .flat_map(|n| [format!("sim-of-{n}-7-ORCL-b-0a1b2c3d-1"), format!("c{n}")])
            .chain(["".into(), "a".into(), "a\0".into(), "a\0\0".into()])
            .collect();
        let hashes: HashSet<u64> = ids.iter().map(|s| h(s)).collect();
        assert_eq!(hashes.len(), ids.len());
        // A map keyed by them finds each one.
        let at: HashMap<&str, usize, IdHash> = ids
            .iter()
            .enumerate()
            .map(|(k, s)| (s.as_str(), k))
            .collect();
        for (k, s) in ids.iter().enumerate() {
            assert_eq!(at.get(s.as_str()), Some(&k));
        }
        assert_eq!(at.get("absent"), None);
    }
}
