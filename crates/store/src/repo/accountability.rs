//! The audit log, operators and support grants, data-subject requests and
//! the breach register. Raw SQL over both backends (`$n` placeholders, each
//! used once and in order, so SQLite's `?` line up).

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Value};
use uuid::Uuid;

use super::compliance::stmt;
use crate::{StoreError, TenantScope};

async fn all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<T>, StoreError> {
    let rows = db.query_all_raw(stmt(db, sql, values)).await?;
    rows.iter()
        .map(|r| T::from_query_result(r, "").map_err(StoreError::from))
        .collect()
}

async fn one<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Option<T>, StoreError> {
    Ok(all(db, sql, values).await?.into_iter().next())
}

async fn exec(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<u64, StoreError> {
    Ok(db.execute_raw(stmt(db, sql, values)).await?.rows_affected())
}

// ---- The audit log ----------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct AuditRow {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<Uuid>,
    pub detail: Option<String>,
    pub prev_hash: String,
    pub entry_hash: String,
    /// How `entry_hash` was made: 1 unkeyed (older entries), 2 keyed.
    pub mac_version: i32,
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// The chain's head, locked for the caller's transaction (created on first
/// use with `genesis`).
pub async fn lock_audit_head(
    tx: &impl ConnectionTrait,
    scope: &TenantScope,
    genesis: &str,
) -> Result<AuditHead, StoreError> {
    // One statement: creates the head on first use, and otherwise touches
    // it, which on PostgreSQL locks the row until the transaction ends.
    one(
        tx,
        "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET seq = audit_heads.seq
         RETURNING seq, hash",
        vec![scope.id().into(), genesis.into()],
    )
    .await?
    .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotFound("audit head".into())))
}

/// Appends an entry and moves the head (the head is locked by the caller).
pub async fn append_audit(tx: &impl ConnectionTrait, row: &AuditRow) -> Result<(), StoreError> {
    let insert = "INSERT INTO audit_events (tenant_id, seq, at, actor_kind, actor_id, action, target_kind, target_id, detail, prev_hash, entry_hash, mac_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let mut values: Vec<Value> = vec![
        row.tenant_id.into(),
        row.seq.into(),
        row.at.into(),
        row.actor_kind.clone().into(),
        row.actor_id.into(),
        row.action.clone().into(),
        row.target_kind.clone().into(),
        row.target_id.into(),
        row.detail.clone().into(),
        row.prev_hash.clone().into(),
        row.entry_hash.clone().into(),
        row.mac_version.into(),
    ];
    let head: Vec<Value> = vec![
        row.seq.into(),
        row.entry_hash.clone().into(),
        row.tenant_id.into(),
    ];
    if tx.get_database_backend() == DbBackend::Postgres {
        // Entry and head in one round trip.
        values.extend(head);
        exec(
            tx,
            &format!(
                "WITH entry AS ({insert}) UPDATE audit_heads SET seq = $13, hash = $14 WHERE tenant_id = $15"
            ),
            values,
        )
        .await?;
    } else {
        exec(tx, insert, values).await?;
        exec(
            tx,
            "UPDATE audit_heads SET seq = $1, hash = $2 WHERE tenant_id = $3",
            head,
        )
        .await?;
    }
    Ok(())
}

const AUDIT_COLUMNS: &str = "tenant_id, seq, at, actor_kind, actor_id, action, target_kind, target_id, detail, prev_hash, entry_hash, mac_version";

/// A page of the log, newest first, before `before_seq`, within `[from, to)`.
pub async fn audit_page(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    before_seq: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<AuditRow>, StoreError> {
    all(
        db,
        &format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE tenant_id = $1 AND seq < $2 AND at >= $3 AND at < $4
             ORDER BY seq DESC LIMIT {limit}"
        ),
        vec![
            scope.id().into(),
            before_seq.unwrap_or(i64::MAX).into(),
            from.into(),
            to.into(),
        ],
    )
    .await
}

/// The whole chain of one business in order, for verification.
pub async fn audit_chain(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<AuditRow>, StoreError> {
    all(
        db,
        &format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE tenant_id = $1 ORDER BY seq"),
        vec![tenant.into()],
    )
    .await
}

pub async fn audit_head(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Option<AuditHead>, StoreError> {
    one(
        db,
        "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1",
        vec![tenant.into()],
    )
    .await
}

/// Businesses with an audit log.
pub async fn audited_tenants(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, StoreError> {
    #[derive(FromQueryResult)]
    struct T {
        tenant_id: Uuid,
    }
    Ok(all::<T>(
        db,
        "SELECT tenant_id FROM audit_heads ORDER BY tenant_id",
        vec![],
    )
    .await?
    .into_iter()
    .map(|t| t.tenant_id)
    .collect())
}

/// The purge of a whole business removes its log too; the database refuses
/// any other delete.
pub async fn delete_audit_log(tx: &crate::Tx, tenant: Uuid) -> Result<u64, StoreError> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared("SET LOCAL termino.purging = 'on'")
            .await?;
    }
    let n = exec(
        tx,
        "DELETE FROM audit_events WHERE tenant_id = $1",
        vec![tenant.into()],
    )
    .await?;
    exec(
        tx,
        "DELETE FROM audit_heads WHERE tenant_id = $1",
        vec![tenant.into()],
    )
    .await?;
    Ok(n)
}

// ---- Operators and support access --------------------------------------------

#[derive(Debug, Clone, FromQueryResult)]
pub struct OperatorRow {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_operator(
    db: &impl ConnectionTrait,
    row: &OperatorRow,
) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO operators (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            row.id.into(),
            row.email.clone().into(),
            row.name.clone().into(),
            row.password_hash.clone().into(),
            row.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn operator_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<OperatorRow>, StoreError> {
    one(
        db,
        "SELECT id, email, name, password_hash, created_at FROM operators WHERE email = $1",
        vec![email.into()],
    )
    .await
}

pub async fn operator(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<OperatorRow>, StoreError> {
    one(
        db,
        "SELECT id, email, name, password_hash, created_at FROM operators WHERE id = $1",
        vec![id.into()],
    )
    .await
}

pub async fn operators(db: &impl ConnectionTrait) -> Result<Vec<OperatorRow>, StoreError> {
    all(
        db,
        "SELECT id, email, name, password_hash, created_at FROM operators ORDER BY email",
        vec![],
    )
    .await
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct GrantRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub reason: String,
}

pub async fn insert_grant(db: &impl ConnectionTrait, row: &GrantRow) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO support_grants (id, tenant_id, granted_by, granted_at, expires_at, revoked_at, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            row.id.into(),
            row.tenant_id.into(),
            row.granted_by.into(),
            row.granted_at.into(),
            row.expires_at.into(),
            row.revoked_at.into(),
            row.reason.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn grants(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<GrantRow>, StoreError> {
    all(
        db,
        "SELECT id, tenant_id, granted_by, granted_at, expires_at, revoked_at, reason FROM support_grants
         WHERE tenant_id = $1 ORDER BY granted_at DESC",
        vec![scope.id().into()],
    )
    .await
}

/// Ends a grant early; false if there was none open.
pub async fn revoke_grant(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE support_grants SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL AND expires_at > $4",
        vec![at.into(), scope.id().into(), id.into(), at.into()],
    )
    .await?
        > 0)
}

// ---- Data-subject requests --------------------------------------------------

#[derive(Debug, Clone, FromQueryResult)]
pub struct DataRequestRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub client_id: Option<Uuid>,
    pub kind: String,
    pub status: String,
    pub key_version: i32,
    pub contact: Option<Vec<u8>>,
    pub details: Option<Vec<u8>>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub extended_due_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<Uuid>,
    pub outcome: Option<String>,
}

const REQUEST_COLUMNS: &str = "id, tenant_id, client_id, kind, status, key_version, contact, details, received_at, due_at, extended_due_at, extension_reason, completed_at, completed_by, outcome";

pub async fn insert_request(
    db: &impl ConnectionTrait,
    r: &DataRequestRow,
) -> Result<(), StoreError> {
    exec(
        db,
        &format!(
            "INSERT INTO data_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ),
        vec![
            r.id.into(),
            r.tenant_id.into(),
            r.client_id.into(),
            r.kind.clone().into(),
            r.status.clone().into(),
            r.key_version.into(),
            r.contact.clone().into(),
            r.details.clone().into(),
            r.received_at.into(),
            r.due_at.into(),
            r.extended_due_at.into(),
            r.extension_reason.clone().into(),
            r.completed_at.into(),
            r.completed_by.into(),
            r.outcome.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Open requests first (soonest deadline first), then the answered ones.
pub async fn requests(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<DataRequestRow>, StoreError> {
    all(
        db,
        &format!(
            "SELECT {REQUEST_COLUMNS} FROM data_requests WHERE tenant_id = $1
             ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, COALESCE(extended_due_at, due_at), received_at"
        ),
        vec![scope.id().into()],
    )
    .await
}

pub async fn request(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<DataRequestRow>, StoreError> {
    one(
        db,
        &format!("SELECT {REQUEST_COLUMNS} FROM data_requests WHERE tenant_id = $1 AND id = $2"),
        vec![scope.id().into(), id.into()],
    )
    .await
}

pub async fn extend_request(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    until: DateTime<Utc>,
    reason: &str,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE data_requests SET extended_due_at = $1, extension_reason = $2
         WHERE tenant_id = $3 AND id = $4 AND status = 'open' AND extended_due_at IS NULL",
        vec![until.into(), reason.into(), scope.id().into(), id.into()],
    )
    .await?
        > 0)
}

/// Closes a request; the contact address goes once the answer is queued
/// (`keep_contact` false) — the record of what was done stays.
pub async fn complete_request(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    status: &str,
    at: DateTime<Utc>,
    by: Option<Uuid>,
    outcome: &str,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE data_requests SET status = $1, completed_at = $2, completed_by = $3, outcome = $4, contact = NULL, details = NULL
         WHERE tenant_id = $5 AND id = $6 AND status = 'open'",
        vec![
            status.into(),
            at.into(),
            by.into(),
            outcome.into(),
            scope.id().into(),
            id.into(),
        ],
    )
    .await?
        > 0)
}

/// A client's processing restricted (Art. 18) or released.
pub async fn set_client_restricted(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    client: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE clients SET restricted_at = $1 WHERE tenant_id = $2 AND id = $3",
        vec![at.into(), scope.id().into(), client.into()],
    )
    .await?
        > 0)
}

// ---- The breach register ------------------------------------------------------

#[derive(Debug, Clone, FromQueryResult)]
pub struct IncidentRow {
    pub id: Uuid,
    pub reference: String,
    pub opened_by: Uuid,
    pub opened_at: DateTime<Utc>,
    pub aware_at: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub nature: String,
    /// JSON array of strings.
    pub systems: String,
    /// JSON array of strings.
    pub categories: String,
    /// `window` (what was written or read in the window) or `stored`
    /// (everything stored at the window's end).
    pub exposure: String,
    pub encrypted: bool,
    pub key_exposed: bool,
    pub consequences: String,
    pub measures: String,
    /// `open` or `closed`.
    pub status: String,
    pub escalations_sent: i32,
    pub decision: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub report: Option<String>,
}

const INCIDENT_COLUMNS: &str = "id, reference, opened_by, opened_at, aware_at, window_start, window_end, nature, systems, categories, exposure, encrypted, key_exposed, consequences, measures, status, escalations_sent, decision, closed_at, report";

pub async fn insert_incident(db: &impl ConnectionTrait, r: &IncidentRow) -> Result<(), StoreError> {
    exec(
        db,
        &format!(
            "INSERT INTO incidents ({INCIDENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ),
        vec![
            r.id.into(),
            r.reference.clone().into(),
            r.opened_by.into(),
            r.opened_at.into(),
            r.aware_at.into(),
            r.window_start.into(),
            r.window_end.into(),
            r.nature.clone().into(),
            r.systems.clone().into(),
            r.categories.clone().into(),
            r.exposure.clone().into(),
            r.encrypted.into(),
            r.key_exposed.into(),
            r.consequences.clone().into(),
            r.measures.clone().into(),
            r.status.clone().into(),
            r.escalations_sent.into(),
            r.decision.clone().into(),
            r.closed_at.into(),
            r.report.clone().into(),
        ],
    )
    .await?;
    Ok(())
}

pub async fn incidents(db: &impl ConnectionTrait) -> Result<Vec<IncidentRow>, StoreError> {
    all(
        db,
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY opened_at DESC, reference DESC"
        ),
        vec![],
    )
    .await
}

/// Incidents still open (the escalation pass looks at these only).
pub async fn open_incidents(db: &impl ConnectionTrait) -> Result<Vec<IncidentRow>, StoreError> {
    all(
        db,
        &format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE status = 'open' ORDER BY opened_at"
        ),
        vec![],
    )
    .await
}

pub async fn incident(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<IncidentRow>, StoreError> {
    one(
        db,
        &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"),
        vec![id.into()],
    )
    .await
}

pub async fn incident_by_reference(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<IncidentRow>, StoreError> {
    one(
        db,
        &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE reference = $1"),
        vec![reference.into()],
    )
    .await
}

pub async fn count_incidents_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<i64, StoreError> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    Ok(one::<N>(
        db,
        "SELECT COUNT(*) AS n FROM incidents WHERE opened_at >= $1",
        vec![since.into()],
    )
    .await?
    .map_or(0, |n| n.n))
}

/// Moves an incident's escalation stage forward; false if another node
/// (or an earlier run) already did, so each stage is sent once.
pub async fn advance_incident_escalation(
    db: &impl ConnectionTrait,
    id: Uuid,
    stage: i32,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE incidents SET escalations_sent = $1 WHERE id = $2 AND escalations_sent < $3",
        vec![stage.into(), id.into(), stage.into()],
    )
    .await?
        > 0)
}

pub async fn advance_notice_escalation(
    db: &impl ConnectionTrait,
    id: Uuid,
    stage: i32,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE incident_notices SET escalations_sent = $1 WHERE id = $2 AND escalations_sent < $3",
        vec![stage.into(), id.into(), stage.into()],
    )
    .await?
        > 0)
}

pub async fn close_incident(
    db: &impl ConnectionTrait,
    id: Uuid,
    decision: &str,
    at: DateTime<Utc>,
    report: &str,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE incidents SET status = 'closed', decision = $1, closed_at = $2, report = $3 WHERE id = $4 AND status = 'open'",
        vec![decision.into(), at.into(), report.into(), id.into()],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct IncidentUpdateRow {
    pub incident_id: Uuid,
    pub seq: i32,
    pub at: DateTime<Utc>,
    pub operator_id: Uuid,
    pub phase: String,
    pub body: String,
}

pub async fn incident_updates(
    db: &impl ConnectionTrait,
    incident: Uuid,
) -> Result<Vec<IncidentUpdateRow>, StoreError> {
    all(
        db,
        "SELECT incident_id, seq, at, operator_id, phase, body FROM incident_updates WHERE incident_id = $1 ORDER BY seq",
        vec![incident.into()],
    )
    .await
}

pub async fn add_incident_update(
    db: &impl ConnectionTrait,
    incident: Uuid,
    at: DateTime<Utc>,
    operator: Uuid,
    phase: &str,
    body: &str,
) -> Result<i32, StoreError> {
    let seq = incident_updates(db, incident).await?.len() as i32 + 1;
    exec(
        db,
        "INSERT INTO incident_updates (incident_id, seq, at, operator_id, phase, body) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            incident.into(),
            seq.into(),
            at.into(),
            operator.into(),
            phase.into(),
            body.into(),
        ],
    )
    .await?;
    Ok(seq)
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct NoticeRow {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub tenant_id: Uuid,
    pub data_subjects: i64,
    pub records: i64,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub mail_id: Option<Uuid>,
    pub seen_at: Option<DateTime<Utc>>,
    pub business_decision: Option<String>,
    pub business_decided_at: Option<DateTime<Utc>>,
    pub client_notice_sent_at: Option<DateTime<Utc>>,
    pub client_notice_recipients: Option<i64>,
    pub escalations_sent: i32,
}

const NOTICE_COLUMNS: &str = "id, incident_id, tenant_id, data_subjects, records, subject, body, created_at, mail_id, seen_at, business_decision, business_decided_at, client_notice_sent_at, client_notice_recipients, escalations_sent";

/// Adds a notice unless this business already has one for the incident.
pub async fn insert_notice(db: &impl ConnectionTrait, n: &NoticeRow) -> Result<bool, StoreError> {
    let conflict = if db.get_database_backend() == DbBackend::Postgres {
        " ON CONFLICT (incident_id, tenant_id) DO NOTHING"
    } else {
        ""
    };
    let verb = if db.get_database_backend() == DbBackend::Postgres {
        "INSERT"
    } else {
        "INSERT OR IGNORE"
    };
    Ok(exec(
        db,
        &format!(
            "{verb} INTO incident_notices ({NOTICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15){conflict}"
        ),
        vec![
            n.id.into(),
            n.incident_id.into(),
            n.tenant_id.into(),
            n.data_subjects.into(),
            n.records.into(),
            n.subject.clone().into(),
            n.body.clone().into(),
            n.created_at.into(),
            n.mail_id.into(),
            n.seen_at.into(),
            n.business_decision.clone().into(),
            n.business_decided_at.into(),
            n.client_notice_sent_at.into(),
            n.client_notice_recipients.into(),
            n.escalations_sent.into(),
        ],
    )
    .await?
        > 0)
}

pub async fn notices_of_incident(
    db: &impl ConnectionTrait,
    incident: Uuid,
) -> Result<Vec<NoticeRow>, StoreError> {
    all(
        db,
        &format!("SELECT {NOTICE_COLUMNS} FROM incident_notices WHERE incident_id = $1 ORDER BY created_at, tenant_id"),
        vec![incident.into()],
    )
    .await
}

pub async fn notices_of_business(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<NoticeRow>, StoreError> {
    all(
        db,
        &format!("SELECT {NOTICE_COLUMNS} FROM incident_notices WHERE tenant_id = $1 ORDER BY created_at DESC"),
        vec![scope.id().into()],
    )
    .await
}

pub async fn notice_of_business(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    incident: Uuid,
) -> Result<Option<NoticeRow>, StoreError> {
    one(
        db,
        &format!("SELECT {NOTICE_COLUMNS} FROM incident_notices WHERE tenant_id = $1 AND incident_id = $2"),
        vec![scope.id().into(), incident.into()],
    )
    .await
}

/// One column of a notice set (from a fixed list in the caller).
pub async fn update_notice(
    db: &impl ConnectionTrait,
    id: Uuid,
    assignments: &str,
    mut values: Vec<Value>,
) -> Result<(), StoreError> {
    let n = values.len() + 1;
    values.push(id.into());
    exec(
        db,
        &format!("UPDATE incident_notices SET {assignments} WHERE id = ${n}"),
        values,
    )
    .await?;
    Ok(())
}

/// Claims the sending of a business's client notice: true for exactly one
/// caller however many race, as the row changes only while it is unsent.
pub async fn claim_client_notice(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let claimed = exec(
        db,
        "UPDATE incident_notices SET client_notice_sent_at = $1 \
         WHERE id = $2 AND client_notice_sent_at IS NULL",
        vec![now.into(), id.into()],
    )
    .await?;
    Ok(claimed == 1)
}

/// When the outbox sent a mail, if it has.
pub async fn mail_sent_at(
    db: &impl ConnectionTrait,
    mail: Uuid,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    #[derive(FromQueryResult)]
    struct S {
        sent_at: Option<DateTime<Utc>>,
    }
    Ok(one::<S>(
        db,
        "SELECT sent_at FROM mail_outbox WHERE id = $1",
        vec![mail.into()],
    )
    .await?
    .and_then(|s| s.sent_at))
}

/// One record touched by a breach: a client or a booking, and whose.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ExposedRecord {
    pub tenant_id: Uuid,
    pub kind: String,
    pub record_id: Uuid,
    pub client_id: Option<Uuid>,
}

/// Records exposed by a breach: written or read in `[start, end]`
/// (`stored` false), or everything stored by `end` (`stored` true); all
/// businesses, or one.
pub async fn exposed_records(
    db: &impl ConnectionTrait,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    stored: bool,
    tenant: Option<Uuid>,
) -> Result<Vec<ExposedRecord>, StoreError> {
    let mut values: Vec<Value> = Vec::new();
    let mut parts = Vec::new();
    let mut next = 0;
    let mut p = |values: &mut Vec<Value>, v: Value| {
        next += 1;
        values.push(v);
        format!("${next}")
    };
    for (table, kind, client) in [
        ("clients", "client", "id"),
        ("bookings", "booking", "client_id"),
    ] {
        let when = if stored {
            format!("created_at <= {}", p(&mut values, end.into()))
        } else {
            let a = p(&mut values, start.into());
            let b = p(&mut values, end.into());
            let c = p(&mut values, start.into());
            let d = p(&mut values, end.into());
            format!("(created_at BETWEEN {a} AND {b} OR updated_at BETWEEN {c} AND {d})")
        };
        let only = match tenant {
            Some(t) => format!(" AND tenant_id = {}", p(&mut values, t.into())),
            None => String::new(),
        };
        parts.push(format!(
            "SELECT tenant_id, '{kind}' AS kind, id AS record_id, {client} AS client_id FROM {table} WHERE {when}{only}"
        ));
    }
    if !stored {
        let a = p(&mut values, start.into());
        let b = p(&mut values, end.into());
        let only = match tenant {
            Some(t) => format!(" AND tenant_id = {}", p(&mut values, t.into())),
            None => String::new(),
        };
        parts.push(format!(
            "SELECT tenant_id, 'client' AS kind, target_id AS record_id, target_id AS client_id FROM audit_events
             WHERE target_kind = 'client' AND target_id IS NOT NULL AND at BETWEEN {a} AND {b}{only}"
        ));
    }
    all(db, &parts.join(" UNION ALL "), values).await
}

/// Every business, for the processor's record.
#[derive(Debug, Clone, FromQueryResult)]
pub struct TenantBrief {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

pub async fn all_tenants(db: &impl ConnectionTrait) -> Result<Vec<TenantBrief>, StoreError> {
    all(
        db,
        "SELECT id, slug, name FROM tenants ORDER BY slug",
        vec![],
    )
    .await
}
