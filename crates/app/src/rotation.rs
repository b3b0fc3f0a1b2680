//! Rotation of a business's data key over every sealed column of the
//! registry (`termino_store::sealed::TABLES`). A new version becomes active
//! (new values use it at once); every stored value is re-encrypted in
//! batches while writes go on; the old version stays archived, so values
//! not yet moved still open, and a rotation stopped half-way is finished by
//! the next run. Only then is the old version destroyed, in a last pass
//! that excludes every write sealing under the business's key, so no value
//! sealed under the old version can land after the check.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use termino_crypto::field_key_version;
use termino_store::repo::clients as client_repo;
use termino_store::repo::keystore::{ARCHIVED, DATA};
use termino_store::sealed::{
    self, Encoding, RowId, RowKey, SealedColumn, SealedRow, SealedTable, Stored,
};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::keys::Keyring;
use crate::{App, AppError, AppResult};

/// Rows read and re-encrypted per transaction.
const BATCH: u64 = 200;
/// Tries for the sealing lock, 20 ms apart, before the last pass gives up
/// until the next run (PostgreSQL; SQLite never waits here).
const LOCK_TRIES: usize = 1500;

/// Where a rotation is, for a progress display.
#[derive(Debug, Clone)]
pub struct RotationProgress {
    pub table: &'static str,
    /// Rows of the table looked at so far, and how many it has.
    pub done: u64,
    pub total: u64,
}

/// Told where a rotation is, after each batch.
pub type ProgressFn = Box<dyn Fn(&RotationProgress) + Send + Sync>;

#[derive(Default)]
pub struct RotationOptions {
    /// Stop after re-encrypting this many rows, as a killed run would
    /// (the old version stays; a later run finishes).
    pub stop_after_rows: Option<usize>,
    pub progress: Option<ProgressFn>,
}

#[derive(Debug, Clone)]
pub struct RotationReport {
    /// The active version now.
    pub version: u32,
    /// This run finished a rotation an earlier run had started.
    pub resumed: bool,
    /// Every value is under `version` and the old versions are destroyed
    /// (but for those that undecryptable values still name).
    pub finished: bool,
    /// Rows re-encrypted, per table of the registry.
    pub tables: Vec<(&'static str, usize)>,
    pub reencrypted: usize,
    /// Values that do not open (damaged); they keep their version.
    pub unreadable: usize,
    pub destroyed: Vec<u32>,
}

/// What one stored value is.
enum Held {
    /// Nothing sealed (an emptied payload, a sent mail's body).
    Empty,
    /// Sealed bytes bound to `row`, under `version`.
    Sealed {
        bytes: Vec<u8>,
        row: Uuid,
        version: u32,
    },
    /// Not a value this version of Termino can read at all.
    Unknown,
}

fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// The sealed bytes of a stored value and the row they are bound to.
fn held(table: &SealedTable, column: &SealedColumn, row: &SealedRow, stored: &Stored) -> Held {
    let bound = match (table.key, &row.id) {
        (RowKey::Tenant, _) => Some(row.tenant),
        (_, RowId::Uuid(id)) => Some(*id),
        (_, RowId::Text(_)) => None,
    };
    let (bytes, bound) = match (column.encoding, stored) {
        (Encoding::Bytes, Stored::Bytes(b)) => (Some(b.clone()), bound),
        (Encoding::Base64, Stored::Text(t)) if t.is_empty() => return Held::Empty,
        (Encoding::Base64, Stored::Text(t)) => (decode(t), bound),
        (Encoding::JsonBase64 { field, row_field }, Stored::Text(t)) => {
            let json: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
            (
                json[field].as_str().and_then(decode),
                json[row_field].as_str().and_then(|r| r.parse().ok()),
            )
        }
        _ => (None, None),
    };
    match (bytes, bound) {
        (Some(b), _) if b.is_empty() => Held::Empty,
        (Some(bytes), Some(row)) => match field_key_version(&bytes) {
            Ok(version) => Held::Sealed {
                bytes,
                row,
                version,
            },
            Err(_) => Held::Unknown,
        },
        _ => Held::Unknown,
    }
}

/// A stored value with its sealed bytes replaced, in the column's encoding.
fn restore(column: &SealedColumn, before: &Stored, sealed: Vec<u8>) -> Stored {
    match (column.encoding, before) {
        (Encoding::Bytes, _) => Stored::Bytes(sealed),
        (Encoding::Base64, _) => Stored::Text(STANDARD.encode(sealed)),
        (Encoding::JsonBase64 { field, .. }, Stored::Text(t)) => {
            let mut json: serde_json::Value = serde_json::from_str(t).unwrap_or_default();
            json[field] = STANDARD.encode(sealed).into();
            Stored::Text(json.to_string())
        }
        (Encoding::JsonBase64 { .. }, Stored::Bytes(_)) => Stored::Bytes(sealed),
    }
}

/// One row re-sealed under the keyring's active version: the new values
/// (`Some` where changed), the versions of values that did not open, and
/// the encryptions done.
fn reseal_row(
    keyring: &Keyring,
    table: &SealedTable,
    row: &SealedRow,
) -> AppResult<(Vec<Option<Stored>>, Vec<u32>, i64)> {
    let target = keyring.active.ok_or_else(crate::keys::keys_destroyed)?;
    let mut new = Vec::with_capacity(row.values.len());
    let mut unreadable = Vec::new();
    let mut sealed = 0;
    for (column, value) in table.columns.iter().zip(&row.values) {
        let changed = match value.as_ref().map(|v| (v, held(table, column, row, v))) {
            Some((
                stored,
                Held::Sealed {
                    bytes,
                    row,
                    version,
                },
            )) if version != target => match keyring.open(column, row, &bytes) {
                Ok(plain) => {
                    sealed += 1;
                    Some(restore(column, stored, keyring.seal(column, row, &plain)?))
                }
                Err(_) => {
                    unreadable.push(version);
                    None
                }
            },
            _ => None,
        };
        new.push(changed);
    }
    Ok((new, unreadable, sealed))
}

/// What a business's sealed columns hold: values per key version, and
/// those that do not open.
#[derive(Debug, Clone, Default)]
pub struct ColumnCensus {
    pub versions: BTreeMap<u32, u64>,
    pub unreadable: u64,
}

impl App {
    /// Counts encryptions. Counts gather in memory and reach the key store
    /// in batches (a write per booking would serialise on it); a crash loses
    /// at most one batch, far inside the margin between the rotation limit
    /// (2^30) and the random-nonce bound (2^32).
    pub(crate) fn after_encrypting(&self, tenant: Uuid, version: u32, count: i64) {
        let limit = self.config().rotate_after_encryptions;
        let batch = (limit / 8).clamp(1, 1024);
        if self.keys().note(tenant, version, count) >= batch {
            let app = self.clone();
            tokio::spawn(async move { app.flush_encryption_counts().await });
        }
    }

    /// Writes the gathered counts; rotates any key that reached its limit.
    pub async fn flush_encryption_counts(&self) {
        let limit = self.config().rotate_after_encryptions;
        for ((tenant, version), count) in self.keys().take_pending() {
            match self.keys().count(tenant, version, count, limit).await {
                Ok(true) => {
                    tracing::info!(event = "key_rotation_due", tenant_id = %tenant, version, "encryption count reached; rotation queued");
                    if let Err(e) = self.queue_rotation(tenant, version).await {
                        // Counted again with the next batch, which queues it.
                        tracing::warn!(event = "key_rotation_not_queued", tenant_id = %tenant, error = %e, "could not queue the rotation");
                    }
                }
                Ok(false) => {}
                Err(e) => {
                    // Put it back: counted later rather than never.
                    self.keys().note(tenant, version, count);
                    tracing::warn!(event = "encryption_count_failed", error = %e, "could not count encryptions");
                }
            }
        }
    }

    /// Queues the rotation of a key version that reached its limit (once:
    /// the job's key names the version).
    async fn queue_rotation(&self, tenant: Uuid, version: u32) -> AppResult<()> {
        let tx = self.db().begin().await?;
        let job = crate::jobs::RotateKey { tenant, version };
        let key = format!("rotate:{tenant}:{version}");
        self.enqueue_job(&tx, None, key, &job, self.now()).await?;
        commit(tx).await?;
        self.wake_mail();
        Ok(())
    }

    /// The rotation a [`crate::jobs::RotateKey`] job asks for.
    pub(crate) async fn rotate_if_active(&self, tenant: Uuid, version: u32) -> AppResult<()> {
        self.rotate(tenant, Some(version), &RotationOptions::default())
            .await
            .map(|_| ())
    }

    /// Crypto-shredding: destroys every key of the business. Its client data
    /// is unreadable from then on, in this database and in every backup;
    /// other nodes stop using their cached keys within `keys::RECHECK`; the
    /// mailer's copies of its mail (`.eml` files) go too.
    pub async fn destroy_tenant_keys(&self, tenant: Uuid) -> AppResult<usize> {
        let n = self.keys().destroy_all(tenant, self.now()).await?;
        let scope = TenantScope::authenticated(tenant);
        let tx = self.db().begin_tenant(&scope).await?;
        client_repo::bump_revision(&tx, &scope).await?;
        commit(tx).await?;
        self.forget_mail_copies(tenant).await?;
        Ok(n)
    }

    /// Rotates a business's data key (or finishes a rotation an earlier run
    /// did not): see the module's documentation.
    pub async fn rotate_tenant_key(&self, tenant: Uuid) -> AppResult<RotationReport> {
        self.rotate_tenant_key_with(tenant, &RotationOptions::default())
            .await
    }

    pub async fn rotate_tenant_key_with(
        &self,
        tenant: Uuid,
        options: &RotationOptions,
    ) -> AppResult<RotationReport> {
        self.rotate(tenant, None, options)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the rotation did not start")))
    }

    /// Rotates, if `expected` is still the active version (or always, for
    /// `None`); `None` back when another rotation got there first.
    pub(crate) async fn rotate(
        &self,
        tenant: Uuid,
        expected: Option<u32>,
        options: &RotationOptions,
    ) -> AppResult<Option<RotationReport>> {
        let lock = self.keys().rotation_lock(tenant);
        let _held = lock.lock().await;
        let rows =
            termino_store::repo::keystore::keys_of(self.keys().keystore().connection(), tenant)
                .await?;
        let unfinished = rows
            .iter()
            .any(|r| r.purpose == DATA && r.state == ARCHIVED && r.wrapped.is_some());
        if expected.is_none() && unfinished {
            let keyring = self.keys().load(tenant, self.now()).await?;
            let version = keyring.active.ok_or_else(crate::keys::keys_destroyed)?;
            let report = self.reencrypt(tenant, version, true, options).await?;
            // Nothing to move and nothing destroyed: the archived versions
            // are kept by damaged values only, so this is a new rotation.
            if !report.finished || report.reencrypted > 0 || !report.destroyed.is_empty() {
                return Ok(Some(report));
            }
        }
        let Some(version) = self
            .keys()
            .start_rotation(tenant, expected, self.now())
            .await?
        else {
            return Ok(None);
        };
        let scope = TenantScope::authenticated(tenant);
        let tx = self.db().begin_tenant(&scope).await?;
        // Every node's cache of decrypted clients goes stale.
        client_repo::bump_revision(&tx, &scope).await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(AuditActor::System, "key.rotated")
                .detail(format!("data key version {version}")),
        )
        .await?;
        commit(tx).await?;
        // Other nodes look at the key store at least this often: after it,
        // every node that reads a moved value knows the new version.
        if let Ok(wait) = crate::keys::RECHECK.to_std() {
            tokio::time::sleep(wait).await;
        }
        self.reencrypt(tenant, version, false, options)
            .await
            .map(Some)
    }

    async fn reencrypt(
        &self,
        tenant: Uuid,
        version: u32,
        resumed: bool,
        options: &RotationOptions,
    ) -> AppResult<RotationReport> {
        let scope = TenantScope::authenticated(tenant);
        let keyring = self.keys().load(tenant, self.now()).await?;
        let mut report = RotationReport {
            version,
            resumed,
            finished: false,
            tables: sealed::TABLES.iter().map(|t| (t.table, 0)).collect(),
            reencrypted: 0,
            unreadable: 0,
            destroyed: Vec::new(),
        };
        if keyring.active != Some(version) {
            // Another rotation made a newer version meanwhile: it finishes.
            return Ok(report);
        }
        // In batches, writes going on meanwhile (they seal under `version`).
        for (at, table) in sealed::TABLES.iter().enumerate() {
            let total = {
                let tx = self.db().begin_tenant(&scope).await?;
                let n = sealed::count(&tx, &scope, table).await?;
                commit(tx).await?;
                n
            };
            let mut after: Option<RowId> = None;
            let mut done = 0;
            loop {
                let tx = self.db().begin_tenant(&scope).await?;
                let (rows, moved) = self
                    .reencrypt_batch(&tx, &scope, &keyring, table, after.as_ref(), None)
                    .await?;
                commit(tx).await?;
                report.tables[at].1 += moved;
                report.reencrypted += moved;
                done += rows.len() as u64;
                if let Some(progress) = &options.progress {
                    progress(&RotationProgress {
                        table: table.table,
                        done,
                        total: total.max(done),
                    });
                }
                if options
                    .stop_after_rows
                    .is_some_and(|n| report.reencrypted >= n)
                {
                    tracing::warn!(event = "key_rotation_stopped", tenant_id = %tenant, version, "key rotation stopped before the end; a rerun finishes it");
                    return Ok(report);
                }
                match rows.last() {
                    Some(last) if rows.len() as u64 == BATCH => after = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        self.finish_rotation(&scope, version, &mut report).await?;
        Ok(report)
    }

    /// Re-encrypts one batch in `tx`; returns the rows read and how many
    /// were rewritten. Unreadable values' versions go to `unreadable`.
    async fn reencrypt_batch(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        table: &SealedTable,
        after: Option<&RowId>,
        mut unreadable: Option<&mut BTreeSet<u32>>,
    ) -> AppResult<(Vec<SealedRow>, usize)> {
        let version = keyring.active.ok_or_else(crate::keys::keys_destroyed)?;
        let rows = sealed::page(tx, scope, table, after, BATCH).await?;
        let mut moved = 0;
        let mut encryptions = 0;
        for row in &rows {
            let (new, bad, n) = reseal_row(keyring, table, row)?;
            if let Some(set) = unreadable.as_deref_mut() {
                set.extend(bad);
            }
            // A row changed meanwhile was rewritten under the new version
            // by its writer; the last pass catches anything else.
            if sealed::replace(tx, scope, table, row, &new, version as i32).await? {
                moved += 1;
                encryptions += n;
            }
        }
        if encryptions > 0 {
            // Counted, never a trigger: this very rotation is running.
            self.keys()
                .count(scope.id(), version, encryptions, i64::MAX)
                .await?;
        }
        Ok((rows, moved))
    }

    /// The last pass: with every sealing write of the business held off,
    /// moves what is still under an old version, then destroys the old
    /// versions no stored value names any more.
    async fn finish_rotation(
        &self,
        scope: &TenantScope,
        version: u32,
        report: &mut RotationReport,
    ) -> AppResult<()> {
        let tenant = scope.id();
        let tx = self.db().begin_tenant(scope).await?;
        let mut locked = false;
        for _ in 0..LOCK_TRIES {
            locked = termino_store::try_lock_sealing(&tx, scope).await?;
            if locked {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        if !locked {
            tracing::warn!(event = "key_rotation_busy", tenant_id = %tenant, "writes kept the business busy; the rotation finishes on the next run");
            return Ok(());
        }
        let keyring = self.keys().load(tenant, self.now()).await?;
        if keyring.active != Some(version) {
            return Ok(());
        }
        let mut in_use = BTreeSet::from([version]);
        for (at, table) in sealed::TABLES.iter().enumerate() {
            let mut after = None;
            loop {
                let (rows, moved) = self
                    .reencrypt_batch(
                        &tx,
                        scope,
                        &keyring,
                        table,
                        after.as_ref(),
                        Some(&mut in_use),
                    )
                    .await?;
                report.tables[at].1 += moved;
                report.reencrypted += moved;
                match rows.last() {
                    Some(last) if rows.len() as u64 == BATCH => after = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        report.unreadable = self
            .census_in(&tx, scope, &keyring)
            .await?
            .values()
            .map(|c| c.unreadable as usize)
            .sum();
        let in_use: Vec<i32> = in_use.into_iter().map(|v| v as i32).collect();
        report.destroyed = self
            .keys()
            .destroy_unused(tenant, &in_use, self.now())
            .await?;
        client_repo::bump_revision(&tx, scope).await?;
        if !report.destroyed.is_empty() {
            self.audit_in(
                &tx,
                scope,
                AuditEvent::new(AuditActor::System, "key.destroyed").detail(format!(
                    "data key versions {:?}, after re-encryption",
                    report.destroyed
                )),
            )
            .await?;
        }
        commit(tx).await?;
        report.finished = true;
        tracing::info!(event = "key_rotation_done", tenant_id = %tenant, version, reencrypted = report.reencrypted, unreadable = report.unreadable, "key rotation finished");
        Ok(())
    }

    /// Every registered column of a business: its values per key version
    /// and those that do not open (for tests and operators).
    pub async fn sealed_census(
        &self,
        tenant: Uuid,
    ) -> AppResult<BTreeMap<(&'static str, &'static str), ColumnCensus>> {
        let scope = TenantScope::authenticated(tenant);
        let keyring = self.keys().load(tenant, self.now()).await?;
        let tx = self.db().begin_tenant(&scope).await?;
        let census = self.census_in(&tx, &scope, &keyring).await?;
        commit(tx).await?;
        Ok(census)
    }

    async fn census_in(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
    ) -> AppResult<BTreeMap<(&'static str, &'static str), ColumnCensus>> {
        let mut out = BTreeMap::new();
        for table in sealed::TABLES {
            for column in table.columns {
                out.insert((table.table, column.column), ColumnCensus::default());
            }
            let mut after = None;
            loop {
                let rows = sealed::page(tx, scope, table, after.as_ref(), BATCH).await?;
                for row in &rows {
                    for (column, value) in table.columns.iter().zip(&row.values) {
                        let Some(stored) = value else { continue };
                        let entry = out.entry((table.table, column.column)).or_default();
                        match held(table, column, row, stored) {
                            Held::Empty => {}
                            Held::Unknown => entry.unreadable += 1,
                            Held::Sealed {
                                bytes,
                                row,
                                version,
                            } => {
                                if keyring.open(column, row, &bytes).is_ok() {
                                    *entry.versions.entry(version).or_default() += 1;
                                } else {
                                    entry.unreadable += 1;
                                }
                            }
                        }
                    }
                }
                match rows.last() {
                    Some(last) if rows.len() as u64 == BATCH => after = Some(last.id.clone()),
                    _ => break,
                }
            }
        }
        Ok(out)
    }
}
