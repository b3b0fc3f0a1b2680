//! Services, staff, hours, closures and bookings.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

pub use crate::entities::booking::Model as BookingRow;
use crate::entities::booking::{self, Entity as Bookings};
pub use crate::entities::closure::Model as ClosureRow;
use crate::entities::closure::{self, Entity as Closures};
pub use crate::entities::idempotency_key::Model as IdempotencyRow;
use crate::entities::idempotency_key::{self, Entity as IdempotencyKeys};
pub use crate::entities::service::Model as ServiceRow;
use crate::entities::service::{self, Entity as Services};
use crate::entities::service_staff::{self, Entity as ServiceStaff};
pub use crate::entities::staff::Model as StaffRow;
use crate::entities::staff::{self, Entity as Staff};
pub use crate::entities::staff_override::Model as OverrideRow;
use crate::entities::staff_override::{self, Entity as Overrides};
use crate::{StoreError, TenantScope};

/// Booking states that hold their time (what collides).
pub const BLOCKING: [&str; 4] = ["confirmed", "awaiting_payment", "completed", "no_show"];

fn in_scope<T>(scope: &TenantScope, tenant_id: Uuid, value: T) -> Result<T, StoreError> {
    if tenant_id == scope.id() {
        Ok(value)
    } else {
        Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "row outside scope".into(),
        )))
    }
}

// ---- services ----

pub async fn insert_service(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ServiceRow,
) -> Result<ServiceRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    Ok(service::ActiveModel::from(row).insert(db).await?)
}

pub async fn save_service(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ServiceRow,
) -> Result<ServiceRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    let mut active = service::ActiveModel::from(row.clone());
    active.name = Set(row.name);
    active.description = Set(row.description);
    active.duration_min = Set(row.duration_min);
    active.price_minor = Set(row.price_minor);
    active.currency = Set(row.currency);
    active.buffer_before_min = Set(row.buffer_before_min);
    active.buffer_after_min = Set(row.buffer_after_min);
    active.min_notice_min = Set(row.min_notice_min);
    active.max_advance_days = Set(row.max_advance_days);
    active.step_min = Set(row.step_min);
    active.capacity = Set(row.capacity);
    active.requires_approval = Set(row.requires_approval);
    active.payment_mode = Set(row.payment_mode);
    active.deposit_minor = Set(row.deposit_minor);
    active.deposit_percent = Set(row.deposit_percent);
    active.active = Set(row.active);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

pub async fn get_service(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<ServiceRow>, StoreError> {
    Ok(Services::find_by_id((scope.id(), id)).one(db).await?)
}

pub async fn services(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    active_only: bool,
) -> Result<Vec<ServiceRow>, StoreError> {
    let mut q = Services::find().filter(service::Column::TenantId.eq(scope.id()));
    if active_only {
        q = q.filter(service::Column::Active.eq(true));
    }
    Ok(q.order_by_asc(service::Column::Name).all(db).await?)
}

pub async fn set_service_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    service_id: Uuid,
    staff_ids: &[Uuid],
) -> Result<(), StoreError> {
    ServiceStaff::delete_many()
        .filter(service_staff::Column::TenantId.eq(scope.id()))
        .filter(service_staff::Column::ServiceId.eq(service_id))
        .exec(db)
        .await?;
    for staff_id in staff_ids {
        service_staff::ActiveModel {
            tenant_id: Set(scope.id()),
            service_id: Set(service_id),
            staff_id: Set(*staff_id),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// (service, staff) pairs of the business.
pub async fn service_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
    Ok(ServiceStaff::find()
        .filter(service_staff::Column::TenantId.eq(scope.id()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.service_id, r.staff_id))
        .collect())
}

// ---- staff ----

pub async fn insert_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: StaffRow,
) -> Result<StaffRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    Ok(staff::ActiveModel::from(row).insert(db).await?)
}

pub async fn save_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: StaffRow,
) -> Result<StaffRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    let mut active = staff::ActiveModel::from(row.clone());
    active.name = Set(row.name);
    active.user_id = Set(row.user_id);
    active.time_zone = Set(row.time_zone);
    active.weekly_hours = Set(row.weekly_hours);
    active.active = Set(row.active);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

pub async fn get_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<StaffRow>, StoreError> {
    Ok(Staff::find_by_id((scope.id(), id)).one(db).await?)
}

/// Locks a staff member's row until the transaction ends: bookings of one
/// staff member are made one at a time (PostgreSQL; SQLite's write
/// transactions are serial already).
pub async fn lock_staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<StaffRow>, StoreError> {
    let mut q = Staff::find_by_id((scope.id(), id));
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(db).await?)
}

pub async fn staff(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    active_only: bool,
) -> Result<Vec<StaffRow>, StoreError> {
    let mut q = Staff::find().filter(staff::Column::TenantId.eq(scope.id()));
    if active_only {
        q = q.filter(staff::Column::Active.eq(true));
    }
    Ok(q.order_by_asc(staff::Column::Name).all(db).await?)
}

// ---- overrides ----

pub async fn put_override(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_id: Uuid,
    day: &str,
    intervals: String,
) -> Result<(), StoreError> {
    delete_override(db, scope, staff_id, day).await?;
    staff_override::ActiveModel {
        tenant_id: Set(scope.id()),
        staff_id: Set(staff_id),
        day: Set(day.to_string()),
        intervals: Set(intervals),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn delete_override(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_id: Uuid,
    day: &str,
) -> Result<bool, StoreError> {
    let r = Overrides::delete_many()
        .filter(staff_override::Column::TenantId.eq(scope.id()))
        .filter(staff_override::Column::StaffId.eq(staff_id))
        .filter(staff_override::Column::Day.eq(day))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn overrides(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_ids: &[Uuid],
    from_day: &str,
    to_day: &str,
) -> Result<Vec<OverrideRow>, StoreError> {
    Ok(Overrides::find()
        .filter(staff_override::Column::TenantId.eq(scope.id()))
        .filter(staff_override::Column::StaffId.is_in(staff_ids.to_vec()))
        .filter(staff_override::Column::Day.gte(from_day))
        .filter(staff_override::Column::Day.lte(to_day))
        .order_by_asc(staff_override::Column::Day)
        .all(db)
        .await?)
}

// ---- closures ----

pub async fn insert_closure(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ClosureRow,
) -> Result<ClosureRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    Ok(closure::ActiveModel::from(row).insert(db).await?)
}

pub async fn delete_closure(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<bool, StoreError> {
    let r = Closures::delete_many()
        .filter(closure::Column::TenantId.eq(scope.id()))
        .filter(closure::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn closures(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<ClosureRow>, StoreError> {
    Ok(Closures::find()
        .filter(closure::Column::TenantId.eq(scope.id()))
        .order_by_asc(closure::Column::StartsOn)
        .all(db)
        .await?)
}

// ---- bookings ----

pub async fn insert_booking(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: BookingRow,
) -> Result<BookingRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    Ok(booking::ActiveModel::from(row).insert(db).await?)
}

pub async fn save_booking(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: BookingRow,
) -> Result<BookingRow, StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    let mut active = booking::ActiveModel::from(row.clone());
    active.staff_id = Set(row.staff_id);
    active.status = Set(row.status);
    active.starts_at = Set(row.starts_at);
    active.ends_at = Set(row.ends_at);
    active.occupied_start = Set(row.occupied_start);
    active.occupied_end = Set(row.occupied_end);
    active.class_key = Set(row.class_key);
    active.client_zone = Set(row.client_zone);
    active.cancelled_by = Set(row.cancelled_by);
    active.payment_due_by = Set(row.payment_due_by);
    active.cancel_reason = Set(row.cancel_reason);
    active.sequence = Set(row.sequence);
    active.updated_at = Set(row.updated_at);
    active.confirmed_by_client_at = Set(row.confirmed_by_client_at);
    active.cancelled_at = Set(row.cancelled_at);
    Ok(active.update(db).await?)
}

pub async fn get_booking(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<BookingRow>, StoreError> {
    Ok(Bookings::find_by_id((scope.id(), id)).one(db).await?)
}

/// Global: a manage link names its booking only through the token.
pub async fn booking_by_token_hash(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<BookingRow>, StoreError> {
    Ok(Bookings::find()
        .filter(booking::Column::ManageTokenHash.eq(hash))
        .one(db)
        .await?)
}

/// Bookings that hold time of these staff members and overlap [from, to).
pub async fn busy(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    staff_ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BookingRow>, StoreError> {
    Ok(Bookings::find()
        .filter(booking::Column::TenantId.eq(scope.id()))
        .filter(booking::Column::StaffId.is_in(staff_ids.to_vec()))
        .filter(booking::Column::Status.is_in(BLOCKING))
        .filter(booking::Column::OccupiedStart.lt(to))
        .filter(booking::Column::OccupiedEnd.gt(from))
        .order_by_asc(booking::Column::OccupiedStart)
        .all(db)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct BookingFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub staff_id: Option<Uuid>,
    pub service_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub status: Option<String>,
    /// Continue after this booking (ordered by start, then id).
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: u64,
    /// Only bookings the client has not confirmed (from a reminder).
    pub unconfirmed: bool,
}

pub async fn bookings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    f: &BookingFilter,
) -> Result<Vec<BookingRow>, StoreError> {
    let mut q = Bookings::find().filter(booking::Column::TenantId.eq(scope.id()));
    if let Some(from) = f.from {
        q = q.filter(booking::Column::StartsAt.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(booking::Column::StartsAt.lt(to));
    }
    if let Some(s) = f.staff_id {
        q = q.filter(booking::Column::StaffId.eq(s));
    }
    if let Some(s) = f.service_id {
        q = q.filter(booking::Column::ServiceId.eq(s));
    }
    if let Some(c) = f.client_id {
        q = q.filter(booking::Column::ClientId.eq(c));
    }
    if let Some(st) = &f.status {
        q = q.filter(booking::Column::Status.eq(st.clone()));
    }
    if f.unconfirmed {
        q = q.filter(booking::Column::ConfirmedByClientAt.is_null());
    }
    if let Some((at, id)) = f.after {
        q = q.filter(
            Condition::any().add(booking::Column::StartsAt.gt(at)).add(
                Condition::all()
                    .add(booking::Column::StartsAt.eq(at))
                    .add(booking::Column::Id.gt(id)),
            ),
        );
    }
    Ok(q.order_by_asc(booking::Column::StartsAt)
        .order_by_asc(booking::Column::Id)
        .limit(f.limit)
        .all(db)
        .await?)
}

// ---- idempotency ----

pub async fn idempotency(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    key: &str,
) -> Result<Option<IdempotencyRow>, StoreError> {
    Ok(IdempotencyKeys::find_by_id((scope.id(), key.to_string()))
        .one(db)
        .await?)
}

pub async fn insert_idempotency(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: IdempotencyRow,
) -> Result<(), StoreError> {
    let row = in_scope(scope, row.tenant_id, row)?;
    idempotency_key::ActiveModel::from(row).insert(db).await?;
    Ok(())
}

pub async fn forget_idempotency_before(
    db: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(IdempotencyKeys::delete_many()
        .filter(idempotency_key::Column::CreatedAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Bookings a business has taken since `since` (the free plan's cap).
pub async fn count_created_since(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(Bookings::find()
        .filter(booking::Column::TenantId.eq(scope.id()))
        .filter(booking::Column::CreatedAt.gte(since))
        .count(db)
        .await?)
}

#[cfg(test)]
#[path = "tests/scheduling.rs"]
mod tests;
