//! The data-processing agreement, the sub-processor list, retention and
//! purges. Most tables here are global: the ledger, the certificates and
//! Termino's billing records outlive the businesses they name.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use uuid::Uuid;

use crate::entities::{
    billing_record, deletion_certificate, dpa_acceptance, dpa_version, subprocessor,
    subprocessor_change, subprocessor_objection, tenant,
};
use crate::{StoreError, TenantScope};

pub type DpaVersionRow = dpa_version::Model;
pub type AcceptanceRow = dpa_acceptance::Model;
pub type SubprocessorRow = subprocessor::Model;
pub type SubprocessorChangeRow = subprocessor_change::Model;
pub type ObjectionRow = subprocessor_objection::Model;
pub type CertificateRow = deletion_certificate::Model;
pub type BillingRecordRow = billing_record::Model;

// ---- DPA versions -------------------------------------------------------

/// Adds a version unless it exists; returns whether it was added.
pub async fn publish_dpa_version(
    db: &impl ConnectionTrait,
    row: DpaVersionRow,
) -> Result<bool, StoreError> {
    let result = dpa_version::Entity::insert(dpa_version::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(dpa_version::Column::Version)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(result > 0)
}

/// The version in force at `now`: the latest published.
pub async fn current_dpa_version(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Option<DpaVersionRow>, StoreError> {
    Ok(dpa_version::Entity::find()
        .filter(dpa_version::Column::PublishedAt.lte(now))
        .order_by_desc(dpa_version::Column::PublishedAt)
        .order_by_desc(dpa_version::Column::Version)
        .one(db)
        .await?)
}

pub async fn dpa_version(
    db: &impl ConnectionTrait,
    version: &str,
) -> Result<Option<DpaVersionRow>, StoreError> {
    Ok(dpa_version::Entity::find_by_id(version.to_string())
        .one(db)
        .await?)
}

// ---- The acceptance ledger ----------------------------------------------

pub async fn last_acceptance(
    db: &impl ConnectionTrait,
) -> Result<Option<AcceptanceRow>, StoreError> {
    Ok(dpa_acceptance::Entity::find()
        .order_by_desc(dpa_acceptance::Column::Seq)
        .one(db)
        .await?)
}

/// Appends an entry; a concurrent append of the same `seq` fails with a
/// unique violation and the caller retries on the new tail.
pub async fn append_acceptance(
    db: &impl ConnectionTrait,
    row: AcceptanceRow,
) -> Result<(), StoreError> {
    dpa_acceptance::Entity::insert(dpa_acceptance::ActiveModel::from(row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn acceptances_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<AcceptanceRow>, StoreError> {
    Ok(dpa_acceptance::Entity::find()
        .filter(dpa_acceptance::Column::TenantId.eq(tenant))
        .order_by_desc(dpa_acceptance::Column::Seq)
        .all(db)
        .await?)
}

/// The whole ledger in order, a page at a time.
pub async fn acceptances_page(
    db: &impl ConnectionTrait,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<AcceptanceRow>, StoreError> {
    Ok(dpa_acceptance::Entity::find()
        .filter(dpa_acceptance::Column::Seq.gt(after_seq))
        .order_by_asc(dpa_acceptance::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn set_tenant_dpa(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    version: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::DpaVersion, Expr::value(version))
        .col_expr(tenant::Column::DpaAcceptedAt, Expr::value(at))
        .filter(tenant::Column::Id.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

/// Businesses to tell about a new version (those that accepted another).
pub async fn tenants_behind(
    db: &impl ConnectionTrait,
    version: &str,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(tenant::Column::DpaVersion.is_not_null())
        .filter(tenant::Column::DpaVersion.ne(version))
        .into_tuple()
        .all(db)
        .await?)
}

// ---- Sub-processors -------------------------------------------------------

pub async fn subprocessors(db: &impl ConnectionTrait) -> Result<Vec<SubprocessorRow>, StoreError> {
    Ok(subprocessor::Entity::find()
        .order_by_asc(subprocessor::Column::AddedIn)
        .order_by_asc(subprocessor::Column::Name)
        .all(db)
        .await?)
}

pub async fn subprocessor_changes(
    db: &impl ConnectionTrait,
) -> Result<Vec<SubprocessorChangeRow>, StoreError> {
    Ok(subprocessor_change::Entity::find()
        .order_by_asc(subprocessor_change::Column::Version)
        .all(db)
        .await?)
}

pub async fn insert_subprocessor_change(
    db: &impl ConnectionTrait,
    change: SubprocessorChangeRow,
    added: Vec<SubprocessorRow>,
    removed: &[Uuid],
) -> Result<(), StoreError> {
    let version = change.version;
    subprocessor_change::Entity::insert(subprocessor_change::ActiveModel::from(change))
        .exec_without_returning(db)
        .await?;
    for row in added {
        subprocessor::Entity::insert(subprocessor::ActiveModel::from(row))
            .exec_without_returning(db)
            .await?;
    }
    if !removed.is_empty() {
        subprocessor::Entity::update_many()
            .col_expr(subprocessor::Column::RemovedIn, Expr::value(version))
            .filter(subprocessor::Column::Id.is_in(removed.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Every business's owners are told; the caller lists them.
pub async fn all_tenant_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, StoreError> {
    Ok(tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn insert_objection(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ObjectionRow,
) -> Result<(), StoreError> {
    debug_assert_eq!(row.tenant_id, scope.id());
    subprocessor_objection::Entity::insert(subprocessor_objection::ActiveModel::from(row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn objections(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<ObjectionRow>, StoreError> {
    Ok(subprocessor_objection::Entity::find()
        .filter(subprocessor_objection::Column::TenantId.eq(scope.id()))
        .order_by_asc(subprocessor_objection::Column::Version)
        .all(db)
        .await?)
}

// ---- Retention -------------------------------------------------------------

/// Businesses the retention job has to look at: not on the free plan, or
/// asked to be deleted, or with a client retention rule.
pub async fn retention_candidates(
    db: &impl ConnectionTrait,
) -> Result<Vec<tenant::Model>, StoreError> {
    Ok(tenant::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(tenant::Column::Plan.ne("free"))
                .add(tenant::Column::DeletionRequestedAt.is_not_null())
                .add(tenant::Column::ClientRetentionMonths.is_not_null()),
        )
        .order_by_asc(tenant::Column::Id)
        .all(db)
        .await?)
}

pub async fn set_purge_reminder(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    sent: Option<String>,
) -> Result<(), StoreError> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::PurgeReminderSent, Expr::value(sent))
        .filter(tenant::Column::Id.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_deletion_request(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::DeletionRequestedAt, Expr::value(at))
        .filter(tenant::Column::Id.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_client_retention(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    months: Option<i32>,
) -> Result<(), StoreError> {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::ClientRetentionMonths, Expr::value(months))
        .filter(tenant::Column::Id.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

pub(crate) fn stmt(db: &impl ConnectionTrait, pg: &str, values: Vec<sea_orm::Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        pg.to_string()
    } else {
        // `$1` placeholders become `?` for SQLite (each used once, in order).
        let mut out = String::with_capacity(pg.len());
        let mut chars = pg.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        out
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Deletes up to `batch` rows of one business from a table; returns how
/// many went. `table` and `column` come from the caller's fixed list.
pub async fn delete_batch(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    tenant: Uuid,
    batch: u32,
) -> Result<u64, StoreError> {
    let row = if db.get_database_backend() == DbBackend::Postgres {
        "ctid"
    } else {
        "rowid"
    };
    let sql = format!(
        "DELETE FROM {table} WHERE {row} IN (SELECT {row} FROM {table} WHERE {column} = $1 LIMIT {batch})"
    );
    let result = db.execute_raw(stmt(db, &sql, vec![tenant.into()])).await?;
    Ok(result.rows_affected())
}

/// Users left without any business (after a purge), with their
/// password-reset tokens.
pub async fn delete_orphan_users(
    db: &impl ConnectionTrait,
    users: &[Uuid],
) -> Result<u64, StoreError> {
    let mut n = 0;
    for user in users {
        db.execute_raw(stmt(
            db,
            "DELETE FROM password_resets WHERE user_id = $1 AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $2)",
            vec![(*user).into(), (*user).into()],
        ))
        .await?;
        let r = db
            .execute_raw(stmt(
                db,
                "DELETE FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $2)",
                vec![(*user).into(), (*user).into()],
            ))
            .await?;
        n += r.rows_affected();
    }
    Ok(n)
}

/// Clients of a business with no booking starting at or after `cutoff` and
/// created before it: the business's own retention rule.
pub async fn clients_inactive_since(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Uuid>, StoreError> {
    let sql = format!(
        "SELECT c.id FROM clients c WHERE c.tenant_id = $1 AND c.created_at < $2
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.tenant_id = c.tenant_id
                           AND b.client_id = c.id AND b.starts_at >= $3)
         ORDER BY c.id LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(stmt(
            db,
            &sql,
            vec![scope.id().into(), cutoff.into(), cutoff.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(StoreError::from))
        .collect()
}

/// A client's past bookings go with the client (their notes are the
/// client's data); payments stay as the business's records.
pub async fn delete_client_bookings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    client: Uuid,
) -> Result<u64, StoreError> {
    let r = db
        .execute_raw(stmt(
            db,
            "DELETE FROM bookings WHERE tenant_id = $1 AND client_id = $2",
            vec![scope.id().into(), client.into()],
        ))
        .await?;
    Ok(r.rows_affected())
}

// ---- The job's claim ---------------------------------------------------------

/// Makes sure the job's row exists.
pub async fn ensure_job(
    db: &impl ConnectionTrait,
    name: &str,
    due_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = if db.get_database_backend() == DbBackend::Postgres {
        "INSERT INTO scheduled_jobs (name, due_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
    } else {
        "INSERT OR IGNORE INTO scheduled_jobs (name, due_at) VALUES ($1, $2)"
    };
    db.execute_raw(stmt(db, sql, vec![name.into(), due_at.into()]))
        .await?;
    Ok(())
}

/// PostgreSQL: locks the job's row for the caller's transaction, skipping
/// it if another node holds it; `due_before` limits it to a due job.
pub async fn lock_job_pg(
    db: &impl ConnectionTrait,
    name: &str,
    due_before: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let rows = match due_before {
        Some(t) => {
            db.query_all_raw(stmt(
                db,
                "SELECT name FROM scheduled_jobs WHERE name = $1 AND due_at <= $2 FOR UPDATE SKIP LOCKED",
                vec![name.into(), t.into()],
            ))
            .await?
        }
        None => {
            db.query_all_raw(stmt(
                db,
                "SELECT name FROM scheduled_jobs WHERE name = $1 FOR UPDATE SKIP LOCKED",
                vec![name.into()],
            ))
            .await?
        }
    };
    Ok(!rows.is_empty())
}

/// SQLite (one file, possibly several processes): a lease on the row.
pub async fn lease_job(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    due_before: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let (due_clause, mut values) = match due_before {
        Some(t) => (" AND due_at <= $4", vec![t.into()]),
        None => ("", Vec::new()),
    };
    let sql = format!(
        "UPDATE scheduled_jobs SET locked_until = $1, locked_by = $2
         WHERE name = $3 AND (locked_until IS NULL OR locked_until < $5){due_clause}"
    );
    let mut all: Vec<sea_orm::Value> = vec![until.into(), holder.into(), name.into(), now.into()];
    all.append(&mut values);
    let r = db.execute_raw(stmt(db, &sql, all)).await?;
    Ok(r.rows_affected() == 1)
}

/// Records a finished run and when the next is due; frees the lease.
pub async fn finish_job(
    db: &impl ConnectionTrait,
    name: &str,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    next_due: DateTime<Utc>,
    summary: &str,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE scheduled_jobs SET locked_until = NULL, locked_by = NULL, last_started_at = $1,
           last_finished_at = $2, due_at = $3, last_summary = $4 WHERE name = $5",
        vec![
            started.into(),
            finished.into(),
            next_due.into(),
            summary.into(),
            name.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Frees a lease after a failed run (the run is retried when due).
pub async fn release_job(db: &impl ConnectionTrait, name: &str) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE scheduled_jobs SET locked_until = NULL, locked_by = NULL WHERE name = $1",
        vec![name.into()],
    ))
    .await?;
    Ok(())
}

// ---- Certificates and Termino's records ---------------------------------------

pub async fn insert_certificate(
    db: &impl ConnectionTrait,
    row: CertificateRow,
) -> Result<(), StoreError> {
    deletion_certificate::Entity::insert(deletion_certificate::ActiveModel::from(row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn certificate_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Option<CertificateRow>, StoreError> {
    Ok(deletion_certificate::Entity::find()
        .filter(deletion_certificate::Column::TenantId.eq(tenant))
        .one(db)
        .await?)
}

pub async fn certificates(db: &impl ConnectionTrait) -> Result<Vec<CertificateRow>, StoreError> {
    Ok(deletion_certificate::Entity::find()
        .order_by_asc(deletion_certificate::Column::FinishedAt)
        .all(db)
        .await?)
}

/// Records a plan payment once (by provider and reference).
pub async fn record_billing(
    db: &impl ConnectionTrait,
    row: BillingRecordRow,
) -> Result<(), StoreError> {
    billing_record::Entity::insert(billing_record::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([
                billing_record::Column::Provider,
                billing_record::Column::Reference,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn billing_records_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<BillingRecordRow>, StoreError> {
    Ok(billing_record::Entity::find()
        .filter(billing_record::Column::TenantId.eq(tenant))
        .order_by_asc(billing_record::Column::PaidAt)
        .all(db)
        .await?)
}

/// Termino's records past their legal keeping time.
pub async fn delete_expired_billing_records(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let r = billing_record::Entity::delete_many()
        .filter(billing_record::Column::KeepUntil.lte(now))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

// ---- Export ------------------------------------------------------------------

/// The tables a business's export holds as stored (client and booking
/// fields are decrypted by the caller; secrets are left out).
pub const EXPORT_TABLES: &[&str] = &[
    "services",
    "service_staff",
    "staff",
    "staff_overrides",
    "closures",
    "payments",
    "plan_changes",
    "webhook_endpoints",
    "subprocessor_objections",
];

/// One table's rows of a business as JSON objects.
pub async fn export_rows(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    table: &str,
) -> Result<Vec<serde_json::Value>, StoreError> {
    use crate::entities::{
        closure, payment, plan_change, service, service_staff, staff, staff_override,
        webhook_endpoint,
    };
    use sea_orm::sea_query::Alias;
    use sea_orm::sea_query::ExprTrait;
    let by_tenant = Expr::col(Alias::new("tenant_id")).eq(scope.id());
    let mut rows = match table {
        "services" => {
            service::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "service_staff" => {
            service_staff::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "staff" => {
            staff::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "staff_overrides" => {
            staff_override::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "closures" => {
            closure::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "payments" => {
            payment::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "plan_changes" => {
            plan_change::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "webhook_endpoints" => {
            webhook_endpoint::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        "subprocessor_objections" => {
            subprocessor_objection::Entity::find()
                .filter(by_tenant)
                .into_json()
                .all(db)
                .await?
        }
        _ => Vec::new(),
    };
    // Sealed values stay behind: ciphertext is of no use to the business,
    // and some of it is a secret (a webhook endpoint's).
    let sealed = crate::sealed::TABLES.iter().find(|t| t.table == table);
    for row in &mut rows {
        if let (Some(obj), Some(sealed)) = (row.as_object_mut(), sealed) {
            for column in sealed.columns {
                obj.remove(column.column);
            }
        }
    }
    Ok(rows)
}
