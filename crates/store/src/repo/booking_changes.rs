//! The feed of recent booking changes (kinds and times, no personal data).

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::entities::booking::{self, Entity as Bookings};
pub use crate::entities::booking_change::Model as BookingChangeRow;
use crate::entities::booking_change::{self, Entity as BookingChanges};
use crate::repo::scheduling::BookingRow;
use crate::{StoreError, TenantScope};

/// A change belongs to its booking (same business, same id).
fn to_booking() -> sea_orm::RelationDef {
    BookingChanges::belongs_to(Bookings)
        .from((
            booking_change::Column::TenantId,
            booking_change::Column::BookingId,
        ))
        .to((booking::Column::TenantId, booking::Column::Id))
        .into()
}

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    booking_id: Uuid,
    kind: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = booking_change::ActiveModel::from(BookingChangeRow {
        id: Uuid::now_v7(),
        tenant_id: scope.id(),
        booking_id,
        kind: kind.to_string(),
        actor: actor.to_string(),
        at,
    });
    BookingChanges::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The changes since `since`, newest first, each with its booking; with
/// `staff`, only those of bookings of these staff members.
pub async fn recent(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    since: DateTime<Utc>,
    staff: Option<&[Uuid]>,
    limit: u64,
) -> Result<Vec<(BookingChangeRow, BookingRow)>, StoreError> {
    if staff.is_some_and(|s| s.is_empty()) {
        return Ok(Vec::new());
    }
    let mut q = BookingChanges::find()
        .filter(booking_change::Column::TenantId.eq(scope.id()))
        .filter(booking_change::Column::At.gte(since))
        .join(JoinType::InnerJoin, to_booking())
        .select_also(Bookings);
    if let Some(staff) = staff {
        q = q.filter(booking::Column::StaffId.is_in(staff.to_vec()));
    }
    let rows = q
        .order_by_desc(booking_change::Column::At)
        .order_by_desc(booking_change::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, b)| b.map(|b| (c, b)))
        .collect())
}
