//! Durable one-off jobs: enqueued in the caller's transaction, claimed with
//! a lease (SKIP LOCKED on PostgreSQL, the write lock on SQLite), each
//! attempt numbered at its claim so that a late outcome of an attempt whose
//! lease ran out cannot overwrite a newer one.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
pub use crate::entities::job::Model as JobRow;
use crate::entities::job::{self, Entity as Jobs};

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

pub struct NewJob {
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub dedupe_key: String,
    pub payload: String,
    pub run_at: DateTime<Utc>,
}

/// Enqueues a job; one with the same key is kept as it is (false back).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    new: NewJob,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = job::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(new.tenant_id),
        kind: Set(new.kind),
        dedupe_key: Set(new.dedupe_key),
        payload: Set(new.payload),
        run_at: Set(new.run_at),
        status: Set(PENDING.into()),
        attempts: Set(0),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        finished_at: Set(None),
    };
    let n = Jobs::insert(row)
        .on_conflict(
            OnConflict::column(job::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n > 0)
}

/// Moves a pending job to another time (a booking that moved); false when
/// there is no such pending job.
pub async fn reschedule(
    db: &impl ConnectionTrait,
    dedupe_key: &str,
    run_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = Jobs::update_many()
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .filter(job::Column::DedupeKey.eq(dedupe_key))
        .filter(job::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Cancels the pending jobs whose key starts with `prefix` (every reminder
/// of a cancelled booking); returns how many.
pub async fn cancel_prefix(db: &impl ConnectionTrait, prefix: &str) -> Result<u64, StoreError> {
    let r = Jobs::update_many()
        .col_expr(job::Column::Status, Expr::value(CANCELLED))
        .filter(job::Column::DedupeKey.starts_with(prefix))
        .filter(job::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Claims due jobs: each claimed attempt is counted and leased until
/// `lease_until`, in the caller's short transaction.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<JobRow>, StoreError> {
    let mut q = Jobs::find()
        .filter(job::Column::Status.eq(PENDING))
        .filter(job::Column::RunAt.lte(now))
        .filter(
            sea_orm::Condition::any()
                .add(job::Column::LeaseUntil.is_null())
                .add(job::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(job::Column::RunAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let mut claimed = q.all(db).await?;
    for row in &mut claimed {
        row.attempts += 1;
        row.lease_until = Some(lease_until);
        Jobs::update_many()
            .col_expr(job::Column::Attempts, Expr::value(row.attempts))
            .col_expr(job::Column::LeaseUntil, Expr::value(Some(lease_until)))
            .filter(job::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(claimed)
}

/// How an attempt ended.
pub enum Outcome<'a> {
    Done,
    /// Tried again at `retry`, or given up (`None`).
    Failed {
        error: &'a str,
        retry: Option<DateTime<Utc>>,
    },
}

/// Records attempt `attempt` of a job, unless a newer attempt claimed it
/// since (false then). Call it in the transaction that made the job's
/// effects, so the effects and "done" commit together.
pub async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: i32,
    outcome: Outcome<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut update =
        Jobs::update_many().col_expr(job::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>));
    update = match outcome {
        Outcome::Done => update
            .col_expr(job::Column::Status, Expr::value(DONE))
            .col_expr(job::Column::FinishedAt, Expr::value(Some(now)))
            .col_expr(job::Column::LastError, Expr::value(None::<String>)),
        Outcome::Failed { error, retry } => {
            let error: String = error.chars().take(500).collect();
            let update = update.col_expr(job::Column::LastError, Expr::value(Some(error)));
            match retry {
                Some(at) => update.col_expr(job::Column::RunAt, Expr::value(at)),
                None => update
                    .col_expr(job::Column::Status, Expr::value(FAILED))
                    .col_expr(job::Column::FinishedAt, Expr::value(Some(now))),
            }
        }
    };
    let r = update
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::Attempts.eq(attempt))
        .filter(job::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// How many jobs are due and not yet done, and since when the oldest has
/// waited (queue depth and age, for metrics).
pub async fn backlog(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
    use sea_orm::PaginatorTrait;
    let due = || {
        Jobs::find()
            .filter(job::Column::Status.eq(PENDING))
            .filter(job::Column::RunAt.lte(now))
    };
    let count = due().count(db).await?;
    let oldest = due().order_by_asc(job::Column::RunAt).one(db).await?;
    Ok((count, oldest.map(|j| j.run_at)))
}

/// Every job of a business, for tests and the operator's view.
pub async fn of_tenant(db: &impl ConnectionTrait, tenant: Uuid) -> Result<Vec<JobRow>, StoreError> {
    Ok(Jobs::find()
        .filter(job::Column::TenantId.eq(tenant))
        .order_by_asc(job::Column::RunAt)
        .all(db)
        .await?)
}
