//! Envelope encryption for client data.
//!
//! A master key (the KEK, from configuration or a KMS) wraps each tenant's
//! data keys (DEKs, versioned). A field is AES-256-GCM under the tenant's
//! active DEK with a random 96-bit nonce; the stored value starts with a
//! header naming the format, the algorithm and the key version; the
//! additional authenticated data binds it to tenant, table, column and row,
//! so a value copied anywhere else fails to decrypt. E-mail and phone also
//! get blind indexes: an HMAC under a key derived per column from the
//! tenant's index key.
//!
//! This crate does no I/O: the key store and the databases live elsewhere.

mod blind;
pub mod chain;
mod field;
mod keys;

pub use blind::BlindIndexer;
pub use field::{FieldContext, decrypt_field, encrypt_field, field_key_version};
pub use keys::{DataKey, Kek, LocalKek, MasterKey, WrapContext};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Wrong key, wrong context, or altered bytes: AES-GCM says no.
    #[error("decryption failed: the value was altered, moved, or the key is wrong")]
    Integrity,
    #[error("the value's header is not one this version understands")]
    UnknownFormat,
    #[error("key version {0} is not available (destroyed or unknown)")]
    KeyUnavailable(u32),
    #[error("a master key must be 32 bytes, base64-encoded")]
    BadMasterKey,
}
