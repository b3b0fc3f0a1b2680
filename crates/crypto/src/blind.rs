use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::DataKey;

/// Blind indexes for exact look-up of encrypted values: an HMAC of the
/// normalised value under a key derived per table and column from the
/// tenant's index key. The same e-mail in two businesses, or in two columns,
/// gives unrelated index values.
pub struct BlindIndexer {
    root: DataKey,
}

impl BlindIndexer {
    pub fn new(index_key: DataKey) -> Self {
        Self { root: index_key }
    }

    /// Hex of the first 128 bits of the HMAC: enough to make collisions
    /// between a business's clients practically impossible, short to index.
    pub fn index(&self, table: &str, column: &str, normalised: &str) -> String {
        let hk = Hkdf::<Sha256>::new(Some(b"termino-blind-index/v1"), self.root.bytes());
        let mut column_key = zeroize::Zeroizing::new([0u8; 32]);
        let info = format!("{table}\0{column}");
        // 32 bytes is far below HKDF-SHA256's output limit.
        let _ = hk.expand(info.as_bytes(), column_key.as_mut());
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(column_key.as_ref()) else {
            return String::new();
        };
        mac.update(normalised.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_index_within_a_column_only() {
        let a = BlindIndexer::new(DataKey::from_bytes([1; 32]));
        let b = BlindIndexer::new(DataKey::from_bytes([2; 32]));
        let x = a.index("clients", "email", "zofia@example.com");
        assert_eq!(x.len(), 32);
        assert_eq!(x, a.index("clients", "email", "zofia@example.com"));
        assert_ne!(x, a.index("clients", "email", "zofia2@example.com"));
        assert_ne!(x, a.index("clients", "phone", "zofia@example.com"));
        assert_ne!(
            x,
            b.index("clients", "email", "zofia@example.com"),
            "other tenant"
        );
    }
}
