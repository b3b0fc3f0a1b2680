use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use rand::RngCore;
use rand::rngs::OsRng;

use crate::{CryptoError, DataKey};

/// The first byte of every stored value: lets the format change later.
const FORMAT_V1: u8 = 1;
/// The second byte: the algorithm.
const ALG_AES256_GCM: u8 = 1;
const HEADER_LEN: usize = 2 + 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Where a value lives. It is authenticated with the value, so a value
/// copied to another row, column or tenant fails to decrypt.
#[derive(Debug, Clone, Copy)]
pub struct FieldContext<'a> {
    pub tenant: uuid::Uuid,
    pub table: &'a str,
    pub column: &'a str,
    pub row: uuid::Uuid,
}

impl FieldContext<'_> {
    fn aad(&self, header: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(96);
        aad.extend_from_slice(b"termino-field/v1\0");
        aad.extend_from_slice(self.tenant.as_bytes());
        aad.extend_from_slice(self.table.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.column.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.row.as_bytes());
        // The header is authenticated too: a changed version byte fails.
        aad.extend_from_slice(header);
        aad
    }
}

/// `format | alg | version (u32 BE) | nonce (12) | ciphertext | tag (16)`.
pub fn encrypt_field(
    key: &DataKey,
    version: u32,
    context: FieldContext<'_>,
    plaintext: &[u8],
) -> Vec<u8> {
    let mut header = [0u8; HEADER_LEN];
    header[0] = FORMAT_V1;
    header[1] = ALG_AES256_GCM;
    header[2..].copy_from_slice(&version.to_be_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    let aad = context.aad(&header);
    // AES-GCM encryption fails only for inputs over 64 GiB.
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .unwrap_or_default();
    let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + sealed.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// The key version a stored value needs.
pub fn field_key_version(stored: &[u8]) -> Result<u32, CryptoError> {
    if stored.len() < HEADER_LEN + NONCE_LEN + TAG_LEN
        || stored[0] != FORMAT_V1
        || stored[1] != ALG_AES256_GCM
    {
        return Err(CryptoError::UnknownFormat);
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&stored[2..HEADER_LEN]);
    Ok(u32::from_be_bytes(version))
}

/// Decrypts with the key of the version the value names.
pub fn decrypt_field<'k>(
    key_for: impl FnOnce(u32) -> Option<&'k DataKey>,
    context: FieldContext<'_>,
    stored: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let version = field_key_version(stored)?;
    let key = key_for(version).ok_or(CryptoError::KeyUnavailable(version))?;
    let (header, rest) = stored.split_at(HEADER_LEN);
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let aad = context.aad(header);
    key.cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map_err(|_| CryptoError::Integrity)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use proptest::prelude::*;

    use super::*;

    fn ctx(tenant: uuid::Uuid, column: &'static str, row: uuid::Uuid) -> FieldContext<'static> {
        FieldContext {
            tenant,
            table: "clients",
            column,
            row,
        }
    }

    #[test]
    fn round_trip_and_the_header_names_the_version() {
        let key = DataKey::generate();
        let (t, r) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let stored = encrypt_field(&key, 7, ctx(t, "name", r), "Zofia Nowak".as_bytes());
        assert_eq!(stored[0], FORMAT_V1);
        assert_eq!(field_key_version(&stored).unwrap(), 7);
        let plain =
            decrypt_field(|v| (v == 7).then_some(&key), ctx(t, "name", r), &stored).unwrap();
        assert_eq!(plain, "Zofia Nowak".as_bytes());
        // Two encryptions of one value differ (random nonce).
        assert_ne!(
            stored,
            encrypt_field(&key, 7, ctx(t, "name", r), "Zofia Nowak".as_bytes())
        );
    }

    #[test]
    fn any_flipped_byte_fails() {
        let key = DataKey::generate();
        let (t, r) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let stored = encrypt_field(&key, 1, ctx(t, "email", r), b"zofia@example.com");
        for i in 0..stored.len() {
            let mut bad = stored.clone();
            bad[i] ^= 0x01;
            assert!(
                decrypt_field(|_| Some(&key), ctx(t, "email", r), &bad).is_err(),
                "flipping byte {i} went unnoticed"
            );
        }
    }

    #[test]
    fn a_value_moved_to_another_row_column_or_tenant_fails() {
        let key = DataKey::generate();
        let (t, r) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let stored = encrypt_field(&key, 1, ctx(t, "email", r), b"zofia@example.com");
        let fails = |c: FieldContext<'_>| {
            decrypt_field(|_| Some(&key), c, &stored) == Err(CryptoError::Integrity)
        };
        assert!(fails(ctx(t, "email", uuid::Uuid::new_v4())), "other row");
        assert!(fails(ctx(t, "phone", r)), "other column");
        assert!(fails(ctx(uuid::Uuid::new_v4(), "email", r)), "other tenant");
        assert!(
            fails(FieldContext {
                table: "staff",
                ..ctx(t, "email", r)
            }),
            "other table"
        );
        let other_key = DataKey::generate();
        assert_eq!(
            decrypt_field(|_| Some(&other_key), ctx(t, "email", r), &stored),
            Err(CryptoError::Integrity),
            "another tenant's key"
        );
        assert_eq!(
            decrypt_field(|_| None, ctx(t, "email", r), &stored),
            Err(CryptoError::KeyUnavailable(1)),
            "a destroyed key"
        );
    }

    proptest! {
        #[test]
        fn any_value_round_trips(value in proptest::collection::vec(any::<u8>(), 0..512), version in any::<u32>()) {
            let key = DataKey::from_bytes([3; 32]);
            let c = ctx(uuid::Uuid::nil(), "notes", uuid::Uuid::nil());
            let stored = encrypt_field(&key, version, c, &value);
            prop_assert_eq!(decrypt_field(|_| Some(&key), c, &stored).unwrap(), value);
        }

        #[test]
        fn garbage_never_panics(garbage in proptest::collection::vec(any::<u8>(), 0..64)) {
            let key = DataKey::from_bytes([3; 32]);
            let c = ctx(uuid::Uuid::nil(), "notes", uuid::Uuid::nil());
            prop_assert!(decrypt_field(|_| Some(&key), c, &garbage).is_err());
        }
    }
}
