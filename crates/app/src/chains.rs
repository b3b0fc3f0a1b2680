//! The audit log and the agreement ledger became keyed chains with
//! migration `m20261203_000101`: entries written before carry a plain
//! SHA-256. Once, at the first start after that, the key store records how
//! many such entries each chain begins with and the hash of the last one;
//! from then on an unkeyed entry verifies only inside that recorded
//! beginning, so whoever holds only the main database can neither rewrite
//! those entries nor pass rewritten new ones off as old.

use termino_crypto::chain::UNKEYED;
use termino_store::repo::keystore::{self, ChainCheckpoint};
use termino_store::repo::{accountability, compliance};

use crate::{App, AppResult};

/// The checkpoint saying every chain's beginning was recorded.
pub const ALL_RECORDED: &str = "*";

/// How many entries, from the first, are unkeyed, and the last one's hash.
fn unkeyed_start<'a>(entries: impl IntoIterator<Item = (i32, &'a str)>) -> (i64, String) {
    let mut n = 0;
    let mut last = String::new();
    for (version, hash) in entries {
        if version != UNKEYED {
            break;
        }
        n += 1;
        last = hash.to_string();
    }
    (n, last)
}

impl App {
    /// Records each chain's unkeyed beginning, once (a no-op ever after).
    pub async fn record_unkeyed_chain_starts(&self) -> AppResult<()> {
        let ks = self.keys().keystore().connection();
        if keystore::checkpoint(ks, ALL_RECORDED).await?.is_some() {
            return Ok(());
        }
        let db = self.db().connection();
        let now = self.now();
        let mut starts = Vec::new();
        let mut ledger = Vec::new();
        loop {
            let after = ledger
                .last()
                .map_or(0, |r: &compliance::AcceptanceRow| r.seq);
            let page = compliance::acceptances_page(db, after, 1000).await?;
            if page.is_empty() {
                break;
            }
            ledger.extend(page);
        }
        starts.push((
            crate::dpa::CHAIN.to_string(),
            unkeyed_start(
                ledger
                    .iter()
                    .map(|r| (r.mac_version, r.entry_hash.as_str())),
            ),
        ));
        for tenant in accountability::audited_tenants(db).await? {
            let rows = accountability::audit_chain(db, tenant).await?;
            starts.push((
                crate::audit::chain_name(tenant),
                unkeyed_start(rows.iter().map(|r| (r.mac_version, r.entry_hash.as_str()))),
            ));
        }
        let mut recorded = 0;
        for (chain, (unkeyed_entries, last_hash)) in starts {
            if unkeyed_entries > 0 {
                let checkpoint = ChainCheckpoint {
                    chain,
                    unkeyed_entries,
                    last_hash,
                };
                keystore::record_checkpoint(ks, &checkpoint, now).await?;
                recorded += 1;
            }
        }
        let all = ChainCheckpoint {
            chain: ALL_RECORDED.into(),
            unkeyed_entries: 0,
            last_hash: String::new(),
        };
        keystore::record_checkpoint(ks, &all, now).await?;
        if recorded > 0 {
            tracing::info!(
                event = "unkeyed_chains_recorded",
                chains = recorded,
                "the unkeyed beginnings of the ledgers were recorded in the key store"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_unkeyed_beginning_counts() {
        assert_eq!(
            unkeyed_start([(1, "a"), (1, "b"), (2, "c"), (1, "d")]),
            (2, "b".to_string())
        );
        assert_eq!(unkeyed_start([(2, "a")]), (0, String::new()));
    }
}
