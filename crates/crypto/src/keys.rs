use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::CryptoError;

/// A tenant's data key (or index key): 256 bits, wiped from memory on drop,
/// with its AES key schedule prepared once (listing 20,000 clients decrypts
/// 100,000 fields; expanding the key for each would dominate).
#[derive(Clone, ZeroizeOnDrop)]
pub struct DataKey {
    bytes: [u8; 32],
    // aes-gcm's `zeroize` feature wipes the round keys when this drops.
    #[zeroize(skip)]
    cipher: Aes256Gcm,
}

impl DataKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    pub(crate) fn cipher(&self) -> &Aes256Gcm {
        &self.cipher
    }

    pub fn from_bytes(mut bytes: [u8; 32]) -> Self {
        let cipher = Aes256Gcm::new((&bytes).into());
        let key = Self { bytes, cipher };
        bytes.zeroize();
        key
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

/// What a wrapped key is for: wrapping binds it to its tenant, purpose and
/// version, so a wrapped key moved to another row does not unwrap.
#[derive(Debug, Clone, Copy)]
pub struct WrapContext<'a> {
    pub tenant: uuid::Uuid,
    pub purpose: &'a str,
    pub version: u32,
}

impl WrapContext<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "termino-dek/v1\0{}\0{}\0{}",
            self.tenant, self.purpose, self.version
        )
        .into_bytes()
    }
}

/// The key-encryption key. The local implementation holds the master key in
/// memory; a KMS or Vault implementation wraps remotely behind the same
/// trait, and no caller changes.
pub trait Kek: Send + Sync {
    /// A stable fingerprint of this master key, stored beside each wrapped
    /// key: it tells which master key a wrapped key needs, so old master keys
    /// can be retired once nothing refers to them.
    fn id(&self) -> &str;
    fn wrap(&self, key: &DataKey, context: WrapContext<'_>) -> Vec<u8>;
    fn unwrap(&self, wrapped: &[u8], context: WrapContext<'_>) -> Result<DataKey, CryptoError>;
    /// A secret shared by every node, derived for one purpose (for example
    /// sealing stored API responses); never the master key itself.
    fn derive_secret(&self, purpose: &str) -> DataKey;
}

/// The master key itself: 32 random bytes, base64 in files and variables.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let decoded = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| CryptoError::BadMasterKey)?,
        );
        let bytes: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::BadMasterKey)?;
        Ok(Self(bytes))
    }

    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0))
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

/// A KEK held in this process.
pub struct LocalKek {
    key: MasterKey,
    id: String,
}

impl LocalKek {
    pub fn new(key: MasterKey) -> Self {
        // The fingerprint is a hash of a derived value, never of the key
        // alone, so it says nothing about the key.
        let id =
            hex::encode(&Sha256::digest([b"termino-kek-id/v1".as_slice(), &key.0].concat())[..8]);
        Self { key, id }
    }
}

const NONCE_LEN: usize = 12;

impl Kek for LocalKek {
    fn id(&self) -> &str {
        &self.id
    }

    fn wrap(&self, key: &DataKey, context: WrapContext<'_>) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.key.0).into());
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = context.aad();
        // Encrypting 32 bytes with a valid key cannot fail.
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: key.bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        [nonce.as_slice(), &sealed].concat()
    }

    fn derive_secret(&self, purpose: &str) -> DataKey {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"termino-derived/v1"), &self.key.0);
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's output limit.
        let _ = hk.expand(purpose.as_bytes(), &mut out);
        DataKey::from_bytes(out)
    }

    fn unwrap(&self, wrapped: &[u8], context: WrapContext<'_>) -> Result<DataKey, CryptoError> {
        if wrapped.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Integrity);
        }
        let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new((&self.key.0).into());
        let aad = context.aad();
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| CryptoError::Integrity)?,
        );
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| CryptoError::Integrity)?;
        Ok(DataKey::from_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ctx(tenant: uuid::Uuid, version: u32) -> WrapContext<'static> {
        WrapContext {
            tenant,
            purpose: "data",
            version,
        }
    }

    #[test]
    fn wrapped_keys_unwrap_only_in_their_context_and_with_their_master_key() {
        let kek = LocalKek::new(MasterKey::generate());
        let tenant = uuid::Uuid::new_v4();
        let key = DataKey::generate();
        let wrapped = kek.wrap(&key, ctx(tenant, 1));
        assert_eq!(
            kek.unwrap(&wrapped, ctx(tenant, 1)).unwrap().bytes(),
            key.bytes()
        );
        assert!(kek.unwrap(&wrapped, ctx(tenant, 2)).is_err());
        assert!(kek.unwrap(&wrapped, ctx(uuid::Uuid::new_v4(), 1)).is_err());
        let other = LocalKek::new(MasterKey::generate());
        assert!(other.unwrap(&wrapped, ctx(tenant, 1)).is_err());
        assert_ne!(kek.id(), other.id());
        let mut tampered = wrapped.clone();
        tampered[20] ^= 1;
        assert!(kek.unwrap(&tampered, ctx(tenant, 1)).is_err());
    }

    #[test]
    fn master_keys_round_trip_through_base64_and_reject_bad_lengths() {
        let key = MasterKey::generate();
        let again = MasterKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(LocalKek::new(key).id(), LocalKek::new(again).id());
        assert_eq!(
            MasterKey::from_base64("c2hvcnQ=").err(),
            Some(CryptoError::BadMasterKey)
        );
        assert_eq!(
            MasterKey::from_base64("not base64!").err(),
            Some(CryptoError::BadMasterKey)
        );
    }

    #[test]
    fn debug_output_never_shows_key_bytes() {
        assert_eq!(format!("{:?}", DataKey::from_bytes([7; 32])), "DataKey(…)");
        assert_eq!(format!("{:?}", MasterKey::generate()), "MasterKey(…)");
    }
}
