//! Chains for append-only ledgers: each entry's MAC covers its own fields
//! and the MAC of the entry before, so an edited, removed or reordered
//! entry breaks every link after it. The MAC is keyed (HMAC-SHA256 under a
//! key kept in the key store, never in the database the chain is in), so
//! whoever holds only that database cannot compute a consistent chain after
//! changing it. Entries written before chains were keyed carry a plain
//! SHA-256 (`UNKEYED`); they are accepted only as the chain's beginning, as
//! recorded in the key store when keyed chains began ([`UnkeyedStart`]).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::DataKey;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry's hash is SHA-256 with no key (entries from before keyed chains).
pub const UNKEYED: i32 = 1;
/// An entry's hash is HMAC-SHA256 under the chain key.
pub const KEYED: i32 = 2;

fn feed(update: &mut impl FnMut(&[u8]), prev: &str, fields: &[(&str, &str)]) {
    update(prev.as_bytes());
    for (name, value) in fields {
        update(format!("\n{}:{}:", name, value.len()).as_bytes());
        update(value.as_bytes());
    }
}

/// SHA-256 (hex) over the previous hash and the named fields, each written
/// with its length so that no two field lists encode alike: how entries
/// were chained before chains were keyed.
pub fn chain_hash(prev: &str, fields: &[(&str, &str)]) -> String {
    let mut h = Sha256::new();
    h.update(b"termino-chain-v1\n");
    feed(&mut |b| h.update(b), prev, fields);
    hex::encode(h.finalize())
}

/// HMAC-SHA256 (hex) under `key` over the same encoding.
pub fn chain_mac(key: &DataKey, prev: &str, fields: &[(&str, &str)]) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.bytes()) else {
        return String::new();
    };
    mac.update(b"termino-chain-v2\n");
    feed(&mut |b| mac.update(b), prev, fields);
    hex::encode(mac.finalize().into_bytes())
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
    /// [`UNKEYED`] or [`KEYED`].
    pub mac_version: i32,
    pub fields: Vec<(&'a str, &'a str)>,
}

/// The unkeyed beginning of a chain, as recorded (outside the chain's
/// database) when keyed chains began: how many entries, and the last one's
/// hash, which binds every one of them.
#[derive(Debug, Clone, Copy)]
pub struct UnkeyedStart<'a> {
    pub entries: i64,
    pub last_hash: &'a str,
}

/// A chain that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainReport {
    pub entries: u64,
    /// Entries 1 to `unkeyed` have unkeyed hashes (older than keyed chains).
    pub unkeyed: u64,
}

/// Checks entries in the order given (ascending `seq`, starting at 1).
pub fn verify_chain<'a>(
    key: &DataKey,
    start: Option<UnkeyedStart<'_>>,
    entries: impl IntoIterator<Item = ChainEntry<'a>>,
) -> Result<ChainReport, ChainBreak> {
    let unkeyed_allowed = start.map_or(0, |s| s.entries);
    let mut prev = GENESIS.to_string();
    let mut report = ChainReport {
        entries: 0,
        unkeyed: 0,
    };
    let broken = |seq, problem| Err(ChainBreak { seq, problem });
    for (expected_seq, entry) in (1..).zip(entries) {
        if entry.seq != expected_seq {
            return broken(
                entry.seq,
                if entry.seq > expected_seq {
                    "an entry is missing before this one"
                } else {
                    "entries are out of order"
                },
            );
        }
        if entry.prev_hash != prev {
            return broken(entry.seq, "does not follow the entry before it");
        }
        let computed = match entry.mac_version {
            KEYED => chain_mac(key, entry.prev_hash, &entry.fields),
            UNKEYED if entry.seq <= unkeyed_allowed => {
                report.unkeyed += 1;
                chain_hash(entry.prev_hash, &entry.fields)
            }
            UNKEYED => {
                return broken(
                    entry.seq,
                    "has an unkeyed hash where the chain is keyed (rewritten without the key)",
                );
            }
            _ => return broken(entry.seq, "names no hash this version knows"),
        };
        if computed.is_empty() || computed != entry.entry_hash {
            return broken(entry.seq, "was changed after it was written");
        }
        if let Some(s) = start
            && entry.seq == s.entries
            && computed != s.last_hash
        {
            return broken(
                entry.seq,
                "differs from the unkeyed entries recorded when the chain became keyed",
            );
        }
        prev = computed;
        report.entries += 1;
    }
    if (report.entries as i64) < unkeyed_allowed {
        return broken(
            report.entries as i64 + 1,
            "is missing: the chain held more entries when it became keyed",
        );
    }
    Ok(report)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    type Row = (i64, String, String, i32, &'static str);

    fn build(key: &DataKey, unkeyed: usize, values: &[&'static str]) -> Vec<Row> {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let (hash, version) = if i < unkeyed {
                (chain_hash(&prev, &[("v", v)]), UNKEYED)
            } else {
                (chain_mac(key, &prev, &[("v", v)]), KEYED)
            };
            out.push((i as i64 + 1, prev.clone(), hash.clone(), version, *v));
            prev = hash;
        }
        out
    }

    fn check(
        key: &DataKey,
        start: Option<UnkeyedStart<'_>>,
        rows: &[Row],
    ) -> Result<ChainReport, ChainBreak> {
        verify_chain(
            key,
            start,
            rows.iter().map(|(seq, prev, hash, version, v)| ChainEntry {
                seq: *seq,
                prev_hash: prev,
                entry_hash: hash,
                mac_version: *version,
                fields: vec![("v", v)],
            }),
        )
    }

    #[test]
    fn detects_edits_gaps_and_reordering() {
        let key = DataKey::generate();
        let rows = build(&key, 0, &["a", "b", "c"]);
        assert_eq!(
            check(&key, None, &rows),
            Ok(ChainReport {
                entries: 3,
                unkeyed: 0
            })
        );
        let mut edited = rows.clone();
        edited[1].4 = "B";
        assert_eq!(check(&key, None, &edited).unwrap_err().seq, 2);
        let mut gap = rows.clone();
        gap.remove(1);
        assert_eq!(
            check(&key, None, &gap).unwrap_err().problem,
            "an entry is missing before this one"
        );
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert!(check(&key, None, &swapped).is_err());
        // Renumbering after a removal still breaks the link.
        let mut renumbered = rows.clone();
        renumbered.remove(1);
        renumbered[1].0 = 2;
        assert_eq!(
            check(&key, None, &renumbered).unwrap_err().problem,
            "does not follow the entry before it"
        );
        let mut tail = rows;
        tail.remove(0);
        assert!(check(&key, None, &tail).is_err());
    }

    #[test]
    fn a_chain_rebuilt_without_the_key_does_not_verify() {
        let key = DataKey::generate();
        let rows = build(&key, 0, &["a", "b", "c"]);
        // Edited, then every hash recomputed the unkeyed way, as marked…
        let mut rebuilt = build(&key, 3, &["a", "B", "c"]);
        for r in &mut rebuilt {
            r.3 = KEYED;
        }
        assert_eq!(check(&key, None, &rebuilt).unwrap_err().seq, 1);
        // …or marked unkeyed too: unkeyed entries were never recorded.
        let downgraded = build(&key, 3, &["a", "B", "c"]);
        assert!(
            check(&key, None, &downgraded)
                .unwrap_err()
                .problem
                .contains("unkeyed")
        );
        // With another key it does not verify either.
        assert!(check(&DataKey::generate(), None, &rows).is_err());
    }

    #[test]
    fn an_unkeyed_beginning_verifies_only_as_recorded() {
        let key = DataKey::generate();
        let rows = build(&key, 2, &["a", "b", "c", "d"]);
        let start = UnkeyedStart {
            entries: 2,
            last_hash: &rows[1].2,
        };
        assert_eq!(
            check(&key, Some(start), &rows),
            Ok(ChainReport {
                entries: 4,
                unkeyed: 2
            })
        );
        // Without the record, unkeyed entries are a break.
        assert_eq!(check(&key, None, &rows).unwrap_err().seq, 1);
        // The unkeyed part rewritten consistently still shows: its last
        // hash is not the one recorded (and the first keyed link breaks).
        let forged = build(&key, 2, &["A", "b"]);
        let mut rewritten = rows.clone();
        rewritten[0] = forged[0].clone();
        rewritten[1] = forged[1].clone();
        assert_eq!(check(&key, Some(start), &rewritten).unwrap_err().seq, 2);
        // A keyed entry turned unkeyed after the recorded beginning.
        let mut downgraded = build(&key, 3, &["a", "b", "c"]);
        downgraded.truncate(3);
        assert_eq!(
            check(&key, Some(start), &downgraded).unwrap_err().seq,
            3,
            "{:?}",
            check(&key, Some(start), &downgraded)
        );
        // Fewer entries than were recorded.
        assert_eq!(check(&key, Some(start), &rows[..1]).unwrap_err().seq, 2);
    }

    #[test]
    fn field_boundaries_matter() {
        assert_ne!(
            chain_hash(GENESIS, &[("a", "bc")]),
            chain_hash(GENESIS, &[("a", "b"), ("c", "")])
        );
        let key = DataKey::generate();
        assert_ne!(
            chain_mac(&key, GENESIS, &[("a", "bc")]),
            chain_mac(&key, GENESIS, &[("a", "b"), ("c", "")])
        );
        assert_ne!(
            chain_mac(&key, GENESIS, &[("a", "b")]),
            chain_hash(GENESIS, &[("a", "b")])
        );
    }
}
