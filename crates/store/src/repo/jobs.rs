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

/// Plans a cancelled job again (a setting turned off and on again):
/// pending at `run_at` with a fresh payload; false when there is no such
/// cancelled job (a job that ran stays done).
pub async fn revive(
    db: &impl ConnectionTrait,
    dedupe_key: &str,
    payload: &str,
    run_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = Jobs::update_many()
        .col_expr(job::Column::Status, Expr::value(PENDING))
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .col_expr(job::Column::Payload, Expr::value(payload))
        .col_expr(job::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(job::Column::DedupeKey.eq(dedupe_key))
        .filter(job::Column::Status.eq(CANCELLED))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{Backend, TestDb, at, both_backends};

    fn job(tenant: Option<Uuid>, key: &str, payload: &str, run_at: DateTime<Utc>) -> NewJob {
        NewJob {
            tenant_id: tenant,
            kind: "reminder".into(),
            dedupe_key: key.into(),
            payload: payload.into(),
            run_at,
        }
    }

    async fn enqueue_keeps_the_first_of_one_key(t: &TestDb) {
        let scope = t.tenant("anna").await;
        let tx = t.db.begin_tenant(&scope).await.unwrap();
        let first = job(Some(scope.id()), "reminder:b1:24h", "{\"n\":1}", at(60));
        assert!(enqueue(&tx, first, at(0)).await.unwrap());
        let again = job(Some(scope.id()), "reminder:b1:24h", "{\"n\":2}", at(120));
        assert!(!enqueue(&tx, again, at(1)).await.unwrap());
        tx.commit().await.unwrap();

        let jobs = of_tenant(t.db.connection(), scope.id()).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].payload, "{\"n\":1}");
        assert_eq!(jobs[0].run_at, at(60));
        assert_eq!(jobs[0].status, PENDING);
        assert_eq!(jobs[0].attempts, 0);
    }

    async fn claim_leases_due_jobs_once_and_counts_the_attempt(t: &TestDb) {
        let db = t.db.connection();
        enqueue(db, job(None, "due", "{}", at(0)), at(0))
            .await
            .unwrap();
        enqueue(db, job(None, "later", "{}", at(3600)), at(0))
            .await
            .unwrap();

        let tx = t.db.begin().await.unwrap();
        let claimed = claim_due(&tx, at(10), at(70), 10).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(claimed.len(), 1, "only the due job");
        assert_eq!(claimed[0].dedupe_key, "due");
        assert_eq!(claimed[0].attempts, 1);
        assert_eq!(claimed[0].lease_until, Some(at(70)));

        // The stored row says the same, not only the returned copy.
        let tx = t.db.begin().await.unwrap();
        let stored = Jobs::find_by_id(claimed[0].id)
            .one(&tx)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.attempts, 1);
        assert_eq!(stored.lease_until, Some(at(70)));
        // While the lease holds, another claim gets nothing.
        assert!(claim_due(&tx, at(30), at(90), 10).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        // Once it ran out, the next claim is attempt 2.
        let tx = t.db.begin().await.unwrap();
        let again = claim_due(&tx, at(71), at(131), 10).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, claimed[0].id);
        assert_eq!(again[0].attempts, 2);
    }

    async fn record_only_by_the_attempt_that_owns_the_job(t: &TestDb) {
        let db = t.db.connection();
        enqueue(db, job(None, "k", "{}", at(0)), at(0))
            .await
            .unwrap();
        let first = claim_due(db, at(1), at(61), 10).await.unwrap().remove(0);
        let second = claim_due(db, at(62), at(122), 10).await.unwrap().remove(0);
        assert_eq!((first.attempts, second.attempts), (1, 2));

        // The late outcome of attempt 1 is refused...
        assert!(
            !record(db, first.id, 1, Outcome::Done, at(63))
                .await
                .unwrap()
        );
        let row = Jobs::find_by_id(first.id).one(db).await.unwrap().unwrap();
        assert_eq!(row.status, PENDING);
        assert_eq!(row.lease_until, Some(at(122)));

        // ...attempt 2's failure with a retry moves the job and frees it...
        let retry = Outcome::Failed {
            error: "smtp down",
            retry: Some(at(300)),
        };
        assert!(record(db, first.id, 2, retry, at(64)).await.unwrap());
        let row = Jobs::find_by_id(first.id).one(db).await.unwrap().unwrap();
        assert_eq!(row.status, PENDING);
        assert_eq!(row.run_at, at(300));
        assert_eq!(row.lease_until, None);
        assert_eq!(row.last_error.as_deref(), Some("smtp down"));
        assert!(
            claim_due(db, at(299), at(359), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // ...and attempt 3's success finishes it, once.
        let third = claim_due(db, at(300), at(360), 10).await.unwrap().remove(0);
        assert_eq!(third.attempts, 3);
        assert!(
            record(db, third.id, 3, Outcome::Done, at(301))
                .await
                .unwrap()
        );
        assert!(
            !record(db, third.id, 3, Outcome::Done, at(302))
                .await
                .unwrap()
        );
        let row = Jobs::find_by_id(first.id).one(db).await.unwrap().unwrap();
        assert_eq!(row.status, DONE);
        assert_eq!(row.finished_at, Some(at(301)));
        assert_eq!(row.last_error, None);
        assert!(
            claim_due(db, at(1000), at(1060), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Giving up marks it failed.
        enqueue(db, job(None, "g", "{}", at(0)), at(0))
            .await
            .unwrap();
        let g = claim_due(db, at(1000), at(1060), 10)
            .await
            .unwrap()
            .remove(0);
        let give_up = Outcome::Failed {
            error: &"x".repeat(600),
            retry: None,
        };
        assert!(record(db, g.id, 1, give_up, at(1001)).await.unwrap());
        let row = Jobs::find_by_id(g.id).one(db).await.unwrap().unwrap();
        assert_eq!(row.status, FAILED);
        assert_eq!(row.last_error.map(|e| e.len()), Some(500));
    }

    async fn cancel_prefix_cancels_only_pending_jobs_of_the_prefix(t: &TestDb) {
        let db = t.db.connection();
        for key in ["reminder:b1:24h", "reminder:b1:2h", "reminder:b2:24h"] {
            enqueue(db, job(None, key, "{}", at(100)), at(0))
                .await
                .unwrap();
        }
        enqueue(db, job(None, "reminder:b1:done", "{}", at(0)), at(0))
            .await
            .unwrap();
        let done = claim_due(db, at(1), at(61), 10).await.unwrap().remove(0);
        record(db, done.id, 1, Outcome::Done, at(2)).await.unwrap();

        assert_eq!(cancel_prefix(db, "reminder:b1:").await.unwrap(), 2);
        let by_key = |key: &'static str| async move {
            Jobs::find()
                .filter(job::Column::DedupeKey.eq(key))
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .status
        };
        assert_eq!(by_key("reminder:b1:24h").await, CANCELLED);
        assert_eq!(by_key("reminder:b1:2h").await, CANCELLED);
        assert_eq!(by_key("reminder:b2:24h").await, PENDING);
        assert_eq!(by_key("reminder:b1:done").await, DONE);
        // Cancelled jobs are never claimed, nor rescheduled.
        let due = claim_due(db, at(200), at(260), 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].dedupe_key, "reminder:b2:24h");
        assert!(!reschedule(db, "reminder:b1:24h", at(500)).await.unwrap());
    }

    async fn reschedule_moves_a_pending_job(t: &TestDb) {
        let db = t.db.connection();
        enqueue(db, job(None, "r", "{}", at(100)), at(0))
            .await
            .unwrap();
        assert!(reschedule(db, "r", at(500)).await.unwrap());
        assert!(!reschedule(db, "missing", at(500)).await.unwrap());
        assert!(
            claim_due(db, at(499), at(559), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(claim_due(db, at(500), at(560), 10).await.unwrap().len(), 1);
    }

    async fn backlog_counts_due_pending_jobs_and_the_oldest(t: &TestDb) {
        let db = t.db.connection();
        assert_eq!(backlog(db, at(0)).await.unwrap(), (0, None));
        enqueue(db, job(None, "a", "{}", at(20)), at(0))
            .await
            .unwrap();
        enqueue(db, job(None, "b", "{}", at(10)), at(0))
            .await
            .unwrap();
        enqueue(db, job(None, "c", "{}", at(999)), at(0))
            .await
            .unwrap();
        assert_eq!(backlog(db, at(30)).await.unwrap(), (2, Some(at(10))));
    }

    /// A tenant transaction sees its own jobs only (row-level security on
    /// PostgreSQL; on SQLite the query's own filter).
    async fn jobs_of_another_business_stay_out_of_sight(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        enqueue(&tx, job(Some(anna.id()), "a", "{}", at(0)), at(0))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tx = t.db.begin_tenant(&bob).await.unwrap();
        // `of_tenant` names a business itself (the operator's view): on
        // PostgreSQL row-level security still hides the other's rows; SQLite
        // has no such second wall.
        let seen = of_tenant(&tx, anna.id()).await.unwrap().len();
        let expected = if t.backend == Backend::Postgres { 0 } else { 1 };
        assert_eq!(seen, expected);
        tx.commit().await.unwrap();
        assert_eq!(
            of_tenant(t.db.connection(), anna.id()).await.unwrap().len(),
            1
        );
    }

    both_backends!(
        enqueue_keeps_the_first_of_one_key,
        claim_leases_due_jobs_once_and_counts_the_attempt,
        record_only_by_the_attempt_that_owns_the_job,
        cancel_prefix_cancels_only_pending_jobs_of_the_prefix,
        reschedule_moves_a_pending_job,
        backlog_counts_due_pending_jobs_and_the_oldest,
        jobs_of_another_business_stay_out_of_sight,
    );
}
