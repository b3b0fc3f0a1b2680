//! Reminder settings per business, and a client's confirmation of a booking.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::entities::booking::{self, Entity as Bookings};
pub use crate::entities::reminder_settings::Model as ReminderSettingsRow;
use crate::entities::reminder_settings::{self, Entity as ReminderSettings};
use crate::{StoreError, TenantScope};

/// The business's settings; `None` means the defaults.
pub async fn settings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Option<ReminderSettingsRow>, StoreError> {
    Ok(ReminderSettings::find_by_id(scope.id()).one(db).await?)
}

/// Writes the settings; the SMS template stays as it was (it has its own
/// page and its own save).
pub async fn save_settings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ReminderSettingsRow,
) -> Result<(), StoreError> {
    upsert(
        db,
        scope,
        row,
        &[
            reminder_settings::Column::Offsets,
            reminder_settings::Column::SendFrom,
            reminder_settings::Column::SendUntil,
            reminder_settings::Column::Address,
        ],
    )
    .await
}

/// Sets the SMS reminder text only (the row is written whole by the
/// caller when the business had none, with the default settings).
pub async fn save_sms_template(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ReminderSettingsRow,
) -> Result<(), StoreError> {
    upsert(db, scope, row, &[reminder_settings::Column::SmsTemplate]).await
}

/// Inserts the business's row, or on a second write changes only
/// `columns` (and the time of the change).
async fn upsert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ReminderSettingsRow,
    columns: &[reminder_settings::Column],
) -> Result<(), StoreError> {
    let active = reminder_settings::ActiveModel {
        tenant_id: Set(scope.id()),
        offsets: Set(row.offsets),
        send_from: Set(row.send_from),
        send_until: Set(row.send_until),
        address: Set(row.address),
        sms_template: Set(row.sms_template),
        updated_at: Set(row.updated_at),
    };
    let mut update = columns.to_vec();
    update.push(reminder_settings::Column::UpdatedAt);
    ReminderSettings::insert(active)
        .on_conflict(
            OnConflict::column(reminder_settings::Column::TenantId)
                .update_columns(update)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records (or, with `None`, clears) the client's confirmation.
pub async fn set_confirmed_by_client(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    booking_id: Uuid,
    at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    Bookings::update_many()
        .col_expr(booking::Column::ConfirmedByClientAt, Expr::value(at))
        .filter(booking::Column::TenantId.eq(scope.id()))
        .filter(booking::Column::Id.eq(booking_id))
        .exec(db)
        .await?;
    Ok(())
}
