//! Staff members' own calendars and the busy time read from them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

pub use crate::entities::external_busy::Model as BusyRow;
use crate::entities::external_busy::{self, Entity as Busy};
pub use crate::entities::external_calendar::Model as CalendarRow;
use crate::entities::external_calendar::{self, Entity as Calendars};
use crate::{StoreError, TenantScope};

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: CalendarRow,
) -> Result<CalendarRow, StoreError> {
    row.tenant_id = scope.id();
    Ok(external_calendar::ActiveModel::from(row).insert(db).await?)
}

pub async fn of_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_id: Uuid,
) -> Result<Vec<CalendarRow>, StoreError> {
    Ok(Calendars::find()
        .filter(external_calendar::Column::TenantId.eq(scope.id()))
        .filter(external_calendar::Column::StaffId.eq(staff_id))
        .order_by_asc(external_calendar::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<CalendarRow>, StoreError> {
    Ok(Calendars::find_by_id(id)
        .filter(external_calendar::Column::TenantId.eq(scope.id()))
        .one(db)
        .await?)
}

/// Removes a calendar and the busy time read from it.
pub async fn delete(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<bool, StoreError> {
    Busy::delete_many()
        .filter(external_busy::Column::TenantId.eq(scope.id()))
        .filter(external_busy::Column::CalendarId.eq(id))
        .exec(db)
        .await?;
    let gone = Calendars::delete_many()
        .filter(external_calendar::Column::TenantId.eq(scope.id()))
        .filter(external_calendar::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(gone.rows_affected > 0)
}

/// Claims calendars due for a fetch (any business: a system transaction):
/// each one's next fetch moves to `lease_until`, which is the claim.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<CalendarRow>, StoreError> {
    let mut query = Calendars::find()
        .filter(external_calendar::Column::NextFetchAt.lte(now))
        .order_by_asc(external_calendar::Column::NextFetchAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_with_behavior(
            LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let mut claimed = query.all(db).await?;
    for row in &mut claimed {
        row.next_fetch_at = lease_until;
        Calendars::update_many()
            .col_expr(
                external_calendar::Column::NextFetchAt,
                Expr::value(lease_until),
            )
            .filter(external_calendar::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(claimed)
}

/// Locks a claimed calendar for recording its fetch; `None` when another
/// node has claimed it since (its `next_fetch_at` is no longer ours) or it
/// was removed meanwhile.
pub async fn lock_claimed(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    claim: DateTime<Utc>,
) -> Result<Option<CalendarRow>, StoreError> {
    let mut query = Calendars::find_by_id(id)
        .filter(external_calendar::Column::TenantId.eq(scope.id()))
        .filter(external_calendar::Column::NextFetchAt.eq(claim));
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock(LockType::Update);
    }
    Ok(query.one(db).await?)
}

pub async fn save(db: &impl ConnectionTrait, row: CalendarRow) -> Result<(), StoreError> {
    let mut active = external_calendar::ActiveModel::from(row.clone());
    active.etag = Set(row.etag);
    active.last_modified = Set(row.last_modified);
    active.next_fetch_at = Set(row.next_fetch_at);
    active.failures = Set(row.failures);
    active.last_error = Set(row.last_error);
    active.last_success_at = Set(row.last_success_at);
    active.update(db).await?;
    Ok(())
}

/// Replaces the busy time read from one calendar.
pub async fn replace_busy(
    db: &impl ConnectionTrait,
    calendar: &CalendarRow,
    intervals: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<(), StoreError> {
    Busy::delete_many()
        .filter(external_busy::Column::TenantId.eq(calendar.tenant_id))
        .filter(external_busy::Column::CalendarId.eq(calendar.id))
        .exec(db)
        .await?;
    for chunk in intervals.chunks(200) {
        let rows = chunk.iter().map(|(start, end)| external_busy::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(calendar.tenant_id),
            calendar_id: Set(calendar.id),
            staff_id: Set(calendar.staff_id),
            starts_at: Set(*start),
            ends_at: Set(*end),
        });
        Busy::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Busy time of the given staff members overlapping [from, to).
pub async fn busy(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BusyRow>, StoreError> {
    Ok(Busy::find()
        .filter(external_busy::Column::TenantId.eq(scope.id()))
        .filter(external_busy::Column::StaffId.is_in(staff_ids.iter().copied()))
        .filter(external_busy::Column::StartsAt.lt(to))
        .filter(external_busy::Column::EndsAt.gt(from))
        .all(db)
        .await?)
}
