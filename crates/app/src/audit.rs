//! The audit log: every read and write of client data and every
//! security-relevant event, per business, append-only and chained with a
//! keyed MAC (each entry's MAC covers the one before, see
//! `termino_crypto::chain`; the key is in the key store, not in the
//! database the log is in). It holds ids and kinds, never personal data.

use chrono::{DateTime, SubsecRound, Utc};
use termino_crypto::chain::{
    ChainBreak, ChainEntry, ChainReport, GENESIS, KEYED, UnkeyedStart, chain_mac, verify_chain,
};
use termino_domain::account::Role;
use termino_store::repo::accountability::{self as repo, AuditRow};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::auth::{Actor, Principal};
use crate::{App, AppError, AppResult};

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditActor {
    User(Uuid),
    ApiKey(Uuid),
    /// A Termino operator under the business's support grant.
    Operator(Uuid),
    /// The data subject, through a proven e-mail link.
    Client,
    /// Termino itself: jobs and the command line.
    System,
    /// Whoever holds a calendar feed's secret address (a calendar program).
    CalendarFeed(Uuid),
}

impl AuditActor {
    pub fn kind(&self) -> &'static str {
        match self {
            AuditActor::User(_) => "user",
            AuditActor::ApiKey(_) => "api_key",
            AuditActor::Operator(_) => "operator",
            AuditActor::Client => "client",
            AuditActor::System => "system",
            AuditActor::CalendarFeed(_) => "calendar_feed",
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            AuditActor::User(id)
            | AuditActor::ApiKey(id)
            | AuditActor::Operator(id)
            | AuditActor::CalendarFeed(id) => Some(*id),
            AuditActor::Client | AuditActor::System => None,
        }
    }
}

impl Principal {
    pub fn audit_actor(&self) -> AuditActor {
        match &self.actor {
            Actor::User { user_id, .. } => AuditActor::User(*user_id),
            Actor::ApiKey { key_id, .. } => AuditActor::ApiKey(*key_id),
            Actor::Operator { operator_id, .. } => AuditActor::Operator(*operator_id),
        }
    }
}

/// One event to record: `action` like `client.read`, a target by kind and
/// id, and a detail without personal data (a count, a role name).
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: AuditActor,
    pub action: &'static str,
    pub target: Option<(&'static str, Uuid)>,
    pub detail: Option<String>,
}

impl AuditEvent {
    pub fn new(actor: AuditActor, action: &'static str) -> Self {
        Self {
            actor,
            action,
            target: None,
            detail: None,
        }
    }

    pub fn on(mut self, kind: &'static str, id: Uuid) -> Self {
        self.target = Some((kind, id));
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// The fields an entry's hash covers, in order.
pub fn entry_fields(row: &AuditRow) -> [(&'static str, String); 9] {
    [
        ("tenant", row.tenant_id.to_string()),
        ("seq", row.seq.to_string()),
        (
            "at",
            row.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        ),
        ("actor_kind", row.actor_kind.clone()),
        (
            "actor_id",
            row.actor_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        ("action", row.action.clone()),
        ("target_kind", row.target_kind.clone().unwrap_or_default()),
        (
            "target_id",
            row.target_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        ("detail", row.detail.clone().unwrap_or_default()),
    ]
}

/// A page of the log, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    /// Pass as `before` for the next (older) page.
    pub next: Option<i64>,
}

/// The result of verifying one business's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerdict {
    pub tenant: Uuid,
    pub result: Result<ChainReport, ChainBreak>,
}

/// The name of a business's audit chain in the key store's checkpoints.
pub fn chain_name(tenant: Uuid) -> String {
    format!("audit:{tenant}")
}

impl App {
    /// Appends to the business's chain in the caller's transaction: the
    /// entry commits or rolls back with what it records.
    pub(crate) async fn audit_in(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        event: AuditEvent,
    ) -> AppResult<()> {
        let key = self.keys().chain_key(self.now()).await?;
        let head = repo::lock_audit_head(tx, scope, GENESIS).await?;
        let mut row = AuditRow {
            tenant_id: scope.id(),
            seq: head.seq + 1,
            // Stored as microseconds on PostgreSQL: hash what is stored.
            at: self.now().trunc_subsecs(6),
            actor_kind: event.actor.kind().to_string(),
            actor_id: event.actor.id(),
            action: event.action.to_string(),
            target_kind: event.target.map(|(k, _)| k.to_string()),
            target_id: event.target.map(|(_, id)| id),
            detail: event.detail,
            prev_hash: head.hash,
            entry_hash: String::new(),
            mac_version: KEYED,
        };
        let f = entry_fields(&row);
        let named: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
        row.entry_hash = chain_mac(&key, &row.prev_hash, &named);
        repo::append_audit(tx, &row).await?;
        Ok(())
    }

    /// Appends in a transaction of its own (reads, log-ins).
    pub async fn audit(&self, scope: &TenantScope, event: AuditEvent) -> AppResult<()> {
        let tx = self.db().begin_tenant(scope).await?;
        self.audit_in(&tx, scope, event).await?;
        commit(tx).await?;
        Ok(())
    }

    /// A read of client data by this caller.
    pub(crate) async fn audit_read(
        &self,
        principal: &Principal,
        action: &'static str,
        target: Option<(&'static str, Uuid)>,
        detail: Option<String>,
    ) -> AppResult<()> {
        let mut event = AuditEvent::new(principal.audit_actor(), action);
        event.target = target;
        event.detail = detail;
        self.audit(&principal.tenant, event).await
    }

    /// The log for the business's owners and admins, newest first.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        before: Option<i64>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        limit: u64,
    ) -> AppResult<AuditPage> {
        principal.require(
            matches!(principal.role(), Role::Owner | Role::Admin)
                && !matches!(principal.actor, Actor::Operator { .. })
                && principal.allows(
                    termino_domain::scope::Area::Business,
                    termino_domain::scope::Access::Read,
                ),
            "only the owner or an admin can read the audit log",
        )?;
        let limit = limit.clamp(1, 1000);
        // Bounds that sort as text too (SQLite keeps times as text).
        let from = from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let to = to.unwrap_or_else(|| {
            chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.and_utc())
        });
        if from >= to {
            return Err(AppError::invalid("to", "before_from", "must be after from"));
        }
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let mut items = repo::audit_page(&tx, &scope, before, from, to, limit + 1).await?;
        commit(tx).await?;
        let next = if items.len() as u64 > limit {
            items.truncate(limit as usize);
            items.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(AuditPage { items, next })
    }

    /// Verifies one business's chain, and that its head matches its last
    /// entry (a deleted tail shows too). Entries older than keyed chains
    /// verify unkeyed, only as far as the key store recorded them.
    pub async fn verify_audit(&self, tenant: Uuid) -> AppResult<AuditVerdict> {
        let db = self.db().connection();
        let key = self.keys().chain_key(self.now()).await?;
        let checkpoint = self.keys().chain_checkpoint(&chain_name(tenant)).await?;
        let rows = repo::audit_chain(db, tenant).await?;
        let head = repo::audit_head(db, tenant).await?;
        let owned: Vec<[(&'static str, String); 9]> = rows.iter().map(entry_fields).collect();
        let entries = rows.iter().zip(&owned).map(|(r, f)| ChainEntry {
            seq: r.seq,
            prev_hash: &r.prev_hash,
            entry_hash: &r.entry_hash,
            mac_version: r.mac_version,
            fields: f.iter().map(|(n, v)| (*n, v.as_str())).collect(),
        });
        let start = checkpoint.as_ref().map(|c| UnkeyedStart {
            entries: c.unkeyed_entries,
            last_hash: &c.last_hash,
        });
        let mut result = verify_chain(&key, start, entries);
        if let (Ok(report), Some(head)) = (&result, head) {
            let last = rows
                .last()
                .map(|r| r.entry_hash.as_str())
                .unwrap_or(GENESIS);
            if head.seq != report.entries as i64 || head.hash != last {
                result = Err(ChainBreak {
                    seq: head.seq,
                    problem: "entries after this one are missing",
                });
            }
        }
        Ok(AuditVerdict { tenant, result })
    }

    /// Every business's chain.
    pub async fn verify_all_audit(&self) -> AppResult<Vec<AuditVerdict>> {
        let mut out = Vec::new();
        for tenant in repo::audited_tenants(self.db().connection()).await? {
            out.push(self.verify_audit(tenant).await?);
        }
        Ok(out)
    }
}

impl App {
    /// The whole log as CSV, oldest first, for the business to keep.
    pub async fn audit_csv(&self, principal: &Principal) -> AppResult<String> {
        // The same rights as browsing.
        self.audit_log(principal, None, None, None, 1).await?;
        let rows = repo::audit_chain(self.db().connection(), principal.tenant.id()).await?;
        let json: Vec<serde_json::Value> = rows
            .into_iter()
            .map(|r| {
                serde_json::json!({
                    "seq": r.seq, "at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    "actor_kind": r.actor_kind, "actor_id": r.actor_id, "action": r.action,
                    "target_kind": r.target_kind, "target_id": r.target_id, "detail": r.detail,
                    "prev_hash": r.prev_hash, "entry_hash": r.entry_hash,
                })
            })
            .collect();
        self.audit(
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "export").detail("the audit log"),
        )
        .await?;
        crate::export::to_csv(&json).map_err(AppError::Internal)
    }
}
