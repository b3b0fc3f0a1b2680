//! Hash chains for append-only ledgers: each entry's hash covers its own
//! fields and the hash of the entry before, so an edited, removed or
//! reordered entry breaks every hash after it.

use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) over the previous hash and the named fields, each written
/// with its length so that no two field lists encode alike.
pub fn chain_hash(prev: &str, fields: &[(&str, &str)]) -> String {
    let mut h = Sha256::new();
    h.update(b"termino-chain-v1\n");
    h.update(prev.as_bytes());
    for (name, value) in fields {
        h.update(format!("\n{}:{}:", name, value.len()).as_bytes());
        h.update(value.as_bytes());
    }
    hex::encode(h.finalize())
}

/// SHA-256 (hex) of a text, as stored for "the exact text shown".
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub problem: &'static str,
}

/// One stored entry, as the verifier sees it.
pub struct ChainEntry<'a> {
    pub seq: i64,
    pub prev_hash: &'a str,
    pub entry_hash: &'a str,
    pub fields: Vec<(&'a str, &'a str)>,
}

/// Checks entries in the order given (ascending `seq`, starting at 1).
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = ChainEntry<'a>>,
) -> Result<u64, ChainBreak> {
    let mut prev = GENESIS.to_string();
    let mut n = 0;
    for (expected_seq, entry) in (1..).zip(entries) {
        if entry.seq != expected_seq {
            return Err(ChainBreak {
                seq: entry.seq,
                problem: if entry.seq > expected_seq {
                    "an entry is missing before this one"
                } else {
                    "entries are out of order"
                },
            });
        }
        if entry.prev_hash != prev {
            return Err(ChainBreak {
                seq: entry.seq,
                problem: "does not follow the entry before it",
            });
        }
        let computed = chain_hash(entry.prev_hash, &entry.fields);
        if computed != entry.entry_hash {
            return Err(ChainBreak {
                seq: entry.seq,
                problem: "was changed after it was written",
            });
        }
        prev = computed;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn build(values: &[&'static str]) -> Vec<(i64, String, String, &'static str)> {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let hash = chain_hash(&prev, &[("v", v)]);
            out.push((i as i64 + 1, prev.clone(), hash.clone(), *v));
            prev = hash;
        }
        out
    }

    fn check(rows: &[(i64, String, String, &'static str)]) -> Result<u64, ChainBreak> {
        verify_chain(rows.iter().map(|(seq, prev, hash, v)| ChainEntry {
            seq: *seq,
            prev_hash: prev,
            entry_hash: hash,
            fields: vec![("v", v)],
        }))
    }

    #[test]
    fn detects_edits_gaps_and_reordering() {
        let rows = build(&["a", "b", "c"]);
        assert_eq!(check(&rows), Ok(3));
        let mut edited = rows.clone();
        edited[1].3 = "B";
        assert_eq!(check(&edited).unwrap_err().seq, 2);
        let mut gap = rows.clone();
        gap.remove(1);
        assert_eq!(
            check(&gap).unwrap_err().problem,
            "an entry is missing before this one"
        );
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert!(check(&swapped).is_err());
        // Renumbering after a removal still breaks the link.
        let mut renumbered = rows.clone();
        renumbered.remove(1);
        renumbered[1].0 = 2;
        assert_eq!(
            check(&renumbered).unwrap_err().problem,
            "does not follow the entry before it"
        );
        let mut tail = rows;
        tail.remove(0);
        assert!(check(&tail).is_err());
    }

    #[test]
    fn field_boundaries_matter() {
        assert_ne!(
            chain_hash(GENESIS, &[("a", "bc")]),
            chain_hash(GENESIS, &[("a", "b"), ("c", "")])
        );
    }
}
