//! Tenant keys: created on first use, cached in this process (never in
//! Redis), rotated, destroyed. The wrapped keys live in the key store.
//!
//! A cached keyring is trusted for [`RECHECK`] at most: then one look at the
//! key store tells whether another node (or the command line) rotated or
//! destroyed the business's keys meanwhile. The key store is what every
//! node and the command line share (Redis is optional, and a published
//! message can be missed while a node reconnects; a look cannot).

use crate::ConflictKind;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use termino_crypto::{
    BlindIndexer, CryptoError, DataKey, FieldContext, Kek, WrapContext, decrypt_field,
    encrypt_field,
};
use termino_store::repo::keystore::{
    self, ACTIVE, ARCHIVED, CHAIN, ChainCheckpoint, DESTROYED, TenantKeyRow,
};
pub use termino_store::repo::keystore::{DATA, INDEX};
use termino_store::sealed::SealedColumn;
use termino_store::{Database, StoreError};
use uuid::Uuid;

use crate::{AppError, AppResult};

/// How long a node trusts its cached keys of a business before it looks
/// at the key store again: destroyed keys stop working everywhere within
/// this.
pub const RECHECK: chrono::Duration = chrono::Duration::seconds(2);

pub(crate) fn keys_destroyed() -> AppError {
    AppError::Conflict {
        kind: ConflictKind::KeysDestroyed,
        field: None,
        message: "this business's client data has been erased".into(),
    }
}

/// The usable keys of one tenant, unwrapped.
pub struct Keyring {
    pub tenant: Uuid,
    /// The version new values are encrypted under; `None` once destroyed.
    pub active: Option<u32>,
    data: HashMap<u32, DataKey>,
    index: Option<BlindIndexer>,
}

impl Keyring {
    pub fn data_key(&self, version: u32) -> Option<&DataKey> {
        self.data.get(&version)
    }

    pub fn active_key(&self) -> Option<(u32, &DataKey)> {
        let v = self.active?;
        self.data.get(&v).map(|k| (v, k))
    }

    pub fn indexer(&self) -> Option<&BlindIndexer> {
        self.index.as_ref()
    }

    pub fn is_destroyed(&self) -> bool {
        self.active.is_none()
    }

    /// Where a value of `column` in `row` is bound (see the registry).
    fn context<'c>(&self, column: &'c SealedColumn, row: Uuid) -> FieldContext<'c> {
        FieldContext {
            tenant: self.tenant,
            table: column.bound_table,
            column: column.bound_column,
            row,
        }
    }

    /// Seals a value of a registered column under the active version.
    pub fn seal(&self, column: &SealedColumn, row: Uuid, plain: &[u8]) -> AppResult<Vec<u8>> {
        let (version, key) = self.active_key().ok_or_else(keys_destroyed)?;
        Ok(encrypt_field(
            key,
            version,
            self.context(column, row),
            plain,
        ))
    }

    /// The same, as standard base64 (text columns).
    pub fn seal_base64(&self, column: &SealedColumn, row: Uuid, plain: &[u8]) -> AppResult<String> {
        Ok(STANDARD.encode(self.seal(column, row, plain)?))
    }

    /// Opens a value of a registered column, with the version it names.
    pub fn open(
        &self,
        column: &SealedColumn,
        row: Uuid,
        stored: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        decrypt_field(|v| self.data_key(v), self.context(column, row), stored)
    }

    /// Opens a value holding text; `None` if it does not open.
    pub fn open_text(&self, column: &SealedColumn, row: Uuid, stored: &[u8]) -> Option<String> {
        String::from_utf8(self.open(column, row, stored).ok()?).ok()
    }

    /// Opens a base64 value holding text.
    pub fn open_base64(&self, column: &SealedColumn, row: Uuid, stored: &str) -> Option<String> {
        self.open_text(column, row, &STANDARD.decode(stored).ok()?)
    }
}

/// What the key store says of a business's keys: a cached keyring is good
/// while this is unchanged.
type KeyStates = Vec<(String, i32, String)>;

fn states(rows: &[TenantKeyRow]) -> KeyStates {
    rows.iter()
        .map(|r| (r.purpose.clone(), r.version, r.state.clone()))
        .collect()
}

struct Cached {
    keyring: Arc<Keyring>,
    states: KeyStates,
    checked_at: DateTime<Utc>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("tenant", &self.tenant)
            .field("active", &self.active)
            .field("versions", &self.data.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// How a key store relates to the configured master key.
#[derive(Debug, PartialEq, Eq)]
pub enum KeystoreCheck {
    Empty,
    Matches,
    /// Keys were wrapped with another master key (its fingerprint).
    WrongMasterKey(String),
}

pub struct KeyService {
    keystore: Database,
    kek: Arc<dyn Kek>,
    cache: Mutex<HashMap<Uuid, Cached>>,
    /// Termino's key for the ledgers' chains, once loaded.
    chain: Mutex<Option<Arc<DataKey>>>,
    /// One rotation of a tenant at a time in this process.
    rotations: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    /// Encryptions not yet added to the key store's counts.
    pending: Mutex<HashMap<(Uuid, u32), i64>>,
}

fn wrap_ctx(row: &TenantKeyRow) -> WrapContext<'_> {
    WrapContext {
        tenant: row.tenant_id,
        purpose: &row.purpose,
        version: row.version as u32,
    }
}

impl KeyService {
    pub fn new(keystore: Database, kek: Arc<dyn Kek>) -> Self {
        Self {
            keystore,
            kek,
            cache: Mutex::new(HashMap::new()),
            chain: Mutex::new(None),
            rotations: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Adds to the pending count of a key version; returns the pending total.
    pub fn note(&self, tenant: Uuid, version: u32, n: i64) -> i64 {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let entry = pending.entry((tenant, version)).or_insert(0);
        *entry += n;
        *entry
    }

    pub fn take_pending(&self) -> Vec<((Uuid, u32), i64)> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.drain().collect()
    }

    pub fn rotation_lock(&self, tenant: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        self.rotations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant)
            .or_default()
            .clone()
    }

    pub fn keystore(&self) -> &Database {
        &self.keystore
    }

    /// Start-up check: every wrapped key must belong to the configured
    /// master key, and one must really unwrap with it.
    pub async fn check_master_key(
        keystore: &Database,
        kek: &dyn Kek,
    ) -> Result<KeystoreCheck, StoreError> {
        let rows = keystore::all(keystore.connection()).await?;
        let wrapped: Vec<&TenantKeyRow> = rows.iter().filter(|r| r.wrapped.is_some()).collect();
        if rows.is_empty() {
            return Ok(KeystoreCheck::Empty);
        }
        if let Some(other) = wrapped.iter().find(|r| r.kek_id != kek.id()) {
            return Ok(KeystoreCheck::WrongMasterKey(other.kek_id.clone()));
        }
        if let Some(row) = wrapped.first()
            && let Some(bytes) = &row.wrapped
            && kek.unwrap(bytes, wrap_ctx(row)).is_err()
        {
            return Ok(KeystoreCheck::WrongMasterKey(row.kek_id.clone()));
        }
        Ok(KeystoreCheck::Matches)
    }

    /// The cached keyring and what the key store said when it was cached.
    fn cached(&self, tenant: Uuid) -> Option<(Arc<Keyring>, KeyStates, DateTime<Utc>)> {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tenant)
            .map(|c| (c.keyring.clone(), c.states.clone(), c.checked_at))
    }

    fn checked(&self, tenant: Uuid, now: DateTime<Utc>) {
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&tenant)
        {
            c.checked_at = now;
        }
    }

    pub fn forget(&self, tenant: Uuid) {
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&tenant);
    }

    /// The keyring as the key store has it now (creating the first keys of
    /// a tenant that has none).
    pub async fn load(
        &self,
        tenant: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<Arc<Keyring>> {
        let mut rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        if rows.is_empty() {
            self.create_first_keys(tenant, now).await?;
            rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        }
        let mut data = HashMap::new();
        let mut index = None;
        let mut active = None;
        for row in &rows {
            let Some(bytes) = &row.wrapped else { continue };
            let key = self.kek.unwrap(bytes, wrap_ctx(row)).map_err(|_| {
                AppError::Internal(anyhow::anyhow!(
                    "a tenant key does not unwrap with the configured master key"
                ))
            })?;
            match row.purpose.as_str() {
                DATA => {
                    if row.state == ACTIVE {
                        active = Some(row.version as u32);
                    }
                    data.insert(row.version as u32, key);
                }
                INDEX => index = Some(BlindIndexer::new(key)),
                _ => {}
            }
        }
        let keyring = Arc::new(Keyring {
            tenant,
            active,
            data,
            index,
        });
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(
            tenant,
            Cached {
                keyring: keyring.clone(),
                states: states(&rows),
                checked_at: now,
            },
        );
        Ok(keyring)
    }

    /// For reading: the cached keyring, reloaded when a value names a
    /// version it lacks or when the key store changed since (looked at
    /// every [`RECHECK`]).
    pub async fn for_read(
        &self,
        tenant: Uuid,
        needs: Option<u32>,
        now: DateTime<Utc>,
    ) -> AppResult<Arc<Keyring>> {
        if let Some((keyring, known, checked_at)) = self.cached(tenant)
            && needs.is_none_or(|v| keyring.data.contains_key(&v))
        {
            let age = now - checked_at;
            if age >= chrono::Duration::zero() && age < RECHECK {
                return Ok(keyring);
            }
            let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
            if !rows.is_empty() && states(&rows) == known {
                self.checked(tenant, now);
                return Ok(keyring);
            }
        }
        self.load(tenant, now).await
    }

    /// For writing: always checked against the key store, so that every node
    /// encrypts under the version that is active now.
    pub async fn for_write(&self, tenant: Uuid, now: DateTime<Utc>) -> AppResult<Arc<Keyring>> {
        let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        match self.cached(tenant) {
            Some((keyring, known, _)) if !rows.is_empty() && states(&rows) == known => {
                self.checked(tenant, now);
                Ok(keyring)
            }
            _ => self.load(tenant, now).await,
        }
    }

    async fn create_first_keys(
        &self,
        tenant: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<()> {
        for purpose in [DATA, INDEX] {
            let row = self.new_key_row(tenant, purpose, 1, now);
            match keystore::insert(self.keystore.connection(), row).await {
                Ok(()) => {}
                // Another node created them first: theirs are as good.
                Err(StoreError::Unique(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(event = "tenant_keys_created", tenant_id = %tenant, "tenant keys created");
        Ok(())
    }

    fn new_key_row(
        &self,
        tenant: Uuid,
        purpose: &str,
        version: i32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> TenantKeyRow {
        let key = DataKey::generate();
        let ctx = WrapContext {
            tenant,
            purpose,
            version: version as u32,
        };
        TenantKeyRow {
            tenant_id: tenant,
            purpose: purpose.to_string(),
            version,
            state: ACTIVE.to_string(),
            wrapped: Some(self.kek.wrap(&key, ctx)),
            kek_id: self.kek.id().to_string(),
            encryptions: 0,
            created_at: now,
            retired_at: None,
            destroyed_at: None,
        }
    }

    /// Termino's key for the chains of its ledgers: created on first use
    /// and wrapped by the master key like every other key, so it survives a
    /// master-key rotation and never sits in the main database.
    pub async fn chain_key(&self, now: DateTime<Utc>) -> AppResult<Arc<DataKey>> {
        if let Some(key) = self.chain.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(key);
        }
        let owner = Uuid::nil();
        let conn = self.keystore.connection();
        let mut rows = keystore::keys_of(conn, owner).await?;
        if !rows.iter().any(|r| r.purpose == CHAIN) {
            match keystore::insert(conn, self.new_key_row(owner, CHAIN, 1, now)).await {
                // Another node made it first: theirs is the one.
                Ok(()) | Err(StoreError::Unique(_)) => {}
                Err(e) => return Err(e.into()),
            }
            rows = keystore::keys_of(conn, owner).await?;
        }
        let unwrapped = rows
            .iter()
            .find(|r| r.purpose == CHAIN)
            .and_then(|r| r.wrapped.as_ref().map(|w| self.kek.unwrap(w, wrap_ctx(r))));
        let Some(Ok(key)) = unwrapped else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the ledgers' chain key is missing or does not unwrap"
            )));
        };
        let key = Arc::new(key);
        *self.chain.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
        Ok(key)
    }

    /// The key store's record of a ledger's unkeyed beginning.
    pub async fn chain_checkpoint(&self, chain: &str) -> AppResult<Option<ChainCheckpoint>> {
        Ok(keystore::checkpoint(self.keystore.connection(), chain).await?)
    }

    /// A new active data-key version; the old one stays for decryption
    /// until re-encryption is done. With `expected`, only if that version is
    /// still the active one (`None` back means someone else rotated it).
    pub async fn start_rotation(
        &self,
        tenant: Uuid,
        expected: Option<u32>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<Option<u32>> {
        let keyring = self.load(tenant, now).await?;
        let Some(current) = keyring.active else {
            return Err(AppError::Conflict {
                kind: ConflictKind::KeysDestroyed,
                field: None,
                message: "this business's keys were destroyed".into(),
            });
        };
        if expected.is_some_and(|v| v != current) {
            return Ok(None);
        }
        let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        let next = rows
            .iter()
            .filter(|r| r.purpose == DATA)
            .map(|r| r.version)
            .max()
            .unwrap_or(0)
            + 1;
        let tx = self.keystore.begin().await?;
        if !keystore::archive_if_active(&tx, tenant, current as i32, now).await? {
            return Ok(None);
        }
        keystore::insert(&tx, self.new_key_row(tenant, DATA, next, now)).await?;
        termino_store::commit(tx).await?;
        self.forget(tenant);
        tracing::info!(event = "tenant_key_rotated", tenant_id = %tenant, version = next, "data key rotated");
        Ok(Some(next as u32))
    }

    /// Destroys the archived data-key versions no stored value needs.
    pub async fn destroy_unused(
        &self,
        tenant: Uuid,
        in_use: &[i32],
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<Vec<u32>> {
        let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        let mut destroyed = Vec::new();
        for row in rows
            .iter()
            .filter(|r| r.purpose == DATA && r.state == ARCHIVED && !in_use.contains(&r.version))
        {
            keystore::set_state(
                self.keystore.connection(),
                tenant,
                DATA,
                row.version,
                DESTROYED,
                now,
            )
            .await?;
            destroyed.push(row.version as u32);
        }
        self.forget(tenant);
        Ok(destroyed)
    }

    /// The tenant's keys as a deletion certificate names them (no key
    /// material).
    pub async fn describe(&self, tenant: Uuid) -> AppResult<Vec<KeyDescription>> {
        let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        Ok(rows
            .into_iter()
            .map(|r| KeyDescription {
                purpose: r.purpose,
                version: r.version,
                state: r.state,
                created_at: r.created_at,
                destroyed_at: r.destroyed_at,
            })
            .collect())
    }

    /// Crypto-shredding: every key of the tenant is destroyed.
    pub async fn destroy_all(
        &self,
        tenant: Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> AppResult<usize> {
        let rows = keystore::keys_of(self.keystore.connection(), tenant).await?;
        let tx = self.keystore.begin().await?;
        for row in &rows {
            keystore::set_state(&tx, tenant, &row.purpose, row.version, DESTROYED, now).await?;
        }
        termino_store::commit(tx).await?;
        self.forget(tenant);
        tracing::warn!(event = "tenant_keys_destroyed", tenant_id = %tenant, keys = rows.len(), "tenant keys destroyed");
        Ok(rows.len())
    }

    /// Counts encryptions under a version; true when it is time to rotate.
    pub async fn count(&self, tenant: Uuid, version: u32, n: i64, limit: i64) -> AppResult<bool> {
        let total =
            keystore::count_encryptions(self.keystore.connection(), tenant, version as i32, n)
                .await?;
        Ok(total >= limit)
    }

    /// Master-key rotation: every wrapped key re-wrapped under `new`, in one
    /// transaction; no data is re-encrypted.
    pub async fn rewrap_all(&self, new: &dyn Kek) -> AppResult<usize> {
        let tx = self.keystore.begin().await?;
        let rows = keystore::all(&tx).await?;
        let mut count = 0;
        for row in rows.iter() {
            let Some(bytes) = &row.wrapped else { continue };
            let key = self.kek.unwrap(bytes, wrap_ctx(row)).map_err(|_| {
                AppError::Internal(anyhow::anyhow!(
                    "a key does not unwrap with the current master key"
                ))
            })?;
            keystore::rewrap(&tx, row, new.wrap(&key, wrap_ctx(row)), new.id()).await?;
            count += 1;
        }
        termino_store::commit(tx).await?;
        Ok(count)
    }
}

/// A key as a certificate names it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyDescription {
    pub purpose: String,
    pub version: i32,
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub destroyed_at: Option<chrono::DateTime<chrono::Utc>>,
}
