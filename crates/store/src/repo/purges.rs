//! The purge journal (see the migration): a purge is started once, each
//! step adds to it in the transaction of the step, and a rerun continues
//! from it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::StoreError;
pub use crate::entities::purge_journal::Model as PurgeJournalRow;
use crate::entities::purge_journal::{self, Entity as PurgeJournal};

/// Writes the journal of a purge unless one exists; returns the journal in
/// force (the earlier one when a purge was already started).
pub async fn start(
    db: &impl ConnectionTrait,
    row: PurgeJournalRow,
) -> Result<PurgeJournalRow, StoreError> {
    let tenant = row.tenant_id;
    PurgeJournal::insert(purge_journal::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(purge_journal::Column::TenantId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    PurgeJournal::find_by_id(tenant)
        .one(db)
        .await?
        .ok_or_else(|| {
            StoreError::Db(sea_orm::DbErr::RecordNotFound(
                "the purge journal entry".into(),
            ))
        })
}

/// Purges started and not finished, oldest first.
pub async fn unfinished(db: &impl ConnectionTrait) -> Result<Vec<PurgeJournalRow>, StoreError> {
    Ok(PurgeJournal::find()
        .filter(purge_journal::Column::FinishedAt.is_null())
        .order_by_asc(purge_journal::Column::StartedAt)
        .all(db)
        .await?)
}

pub async fn of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Option<PurgeJournalRow>, StoreError> {
    Ok(PurgeJournal::find_by_id(tenant).one(db).await?)
}

async fn set(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    column: purge_journal::Column,
    value: sea_orm::Value,
) -> Result<(), StoreError> {
    PurgeJournal::update_many()
        .col_expr(column, Expr::value(value))
        .filter(purge_journal::Column::TenantId.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn record_keys(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    keys: String,
) -> Result<(), StoreError> {
    set(
        db,
        tenant,
        purge_journal::Column::KeysDestroyed,
        keys.into(),
    )
    .await
}

/// The rows deleted so far (JSON), in the transaction that deleted them.
pub async fn record_rows(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    rows: String,
) -> Result<(), StoreError> {
    set(db, tenant, purge_journal::Column::RowsDeleted, rows.into()).await
}

/// A run failed part-way; returns how many runs have failed so far.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    error: &str,
) -> Result<i32, StoreError> {
    PurgeJournal::update_many()
        .col_expr(
            purge_journal::Column::Attempts,
            Expr::col(purge_journal::Column::Attempts).add(1),
        )
        .col_expr(
            purge_journal::Column::LastError,
            Expr::value(Some(error.chars().take(500).collect::<String>())),
        )
        .filter(purge_journal::Column::TenantId.eq(tenant))
        .exec(db)
        .await?;
    Ok(of(db, tenant).await?.map_or(0, |j| j.attempts))
}

pub async fn finish(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    set(
        db,
        tenant,
        purge_journal::Column::FinishedAt,
        Some(at).into(),
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends};

    fn journal(tenant: Uuid, slug: &str, reason: &str, started: DateTime<Utc>) -> PurgeJournalRow {
        PurgeJournalRow {
            tenant_id: tenant,
            slug: slug.into(),
            reason: reason.into(),
            requested_at: None,
            due_at: started,
            started_at: started,
            members: "[]".into(),
            owners: "[]".into(),
            keys_destroyed: None,
            rows_deleted: "{}".into(),
            attempts: 0,
            last_error: None,
            finished_at: None,
        }
    }

    async fn a_purge_is_journalled_once_and_continues_from_the_journal(t: &TestDb) {
        let anna = t.tenant("anna").await.id();
        let bob = t.tenant("bob").await.id();
        let tx = t.db.begin().await.unwrap();
        let first = start(&tx, journal(anna, "anna", "requested", at(0)))
            .await
            .unwrap();
        assert_eq!(first.reason, "requested");
        // A rerun finds the journal in force, not its own.
        let again = start(&tx, journal(anna, "anna", "unpaid", at(50)))
            .await
            .unwrap();
        assert_eq!(
            (again.reason.as_str(), again.started_at),
            ("requested", at(0))
        );
        start(&tx, journal(bob, "bob", "unpaid", at(10)))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let db = t.db.connection();
        let open: Vec<Uuid> = unfinished(db)
            .await
            .unwrap()
            .iter()
            .map(|j| j.tenant_id)
            .collect();
        assert_eq!(open, vec![anna, bob], "oldest first");

        record_keys(db, anna, "[{\"version\":1}]".into())
            .await
            .unwrap();
        record_rows(db, anna, "{\"clients\":3}".into())
            .await
            .unwrap();
        assert_eq!(record_failure(db, anna, "timeout").await.unwrap(), 1);
        assert_eq!(record_failure(db, anna, &"e".repeat(900)).await.unwrap(), 2);
        let row = of(db, anna).await.unwrap().unwrap();
        assert_eq!(row.keys_destroyed.as_deref(), Some("[{\"version\":1}]"));
        assert_eq!(row.rows_deleted, "{\"clients\":3}");
        assert_eq!(row.attempts, 2);
        assert_eq!(row.last_error.map(|e| e.len()), Some(500));
        // Bob's journal is untouched.
        assert_eq!(of(db, bob).await.unwrap().unwrap().attempts, 0);

        finish(db, anna, at(100)).await.unwrap();
        assert_eq!(
            of(db, anna).await.unwrap().unwrap().finished_at,
            Some(at(100))
        );
        let open: Vec<Uuid> = unfinished(db)
            .await
            .unwrap()
            .iter()
            .map(|j| j.tenant_id)
            .collect();
        assert_eq!(open, vec![bob]);
        assert!(of(db, Uuid::now_v7()).await.unwrap().is_none());
    }

    both_backends!(a_purge_is_journalled_once_and_continues_from_the_journal);
}
