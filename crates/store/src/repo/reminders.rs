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

pub async fn save_settings(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ReminderSettingsRow,
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
    ReminderSettings::insert(active)
        .on_conflict(
            OnConflict::column(reminder_settings::Column::TenantId)
                .update_columns([
                    reminder_settings::Column::Offsets,
                    reminder_settings::Column::SendFrom,
                    reminder_settings::Column::SendUntil,
                    reminder_settings::Column::Address,
                    reminder_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Sets the SMS reminder text only (the row is written whole by the
/// caller when the business had none, with the default settings).
pub async fn save_sms_template(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ReminderSettingsRow,
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
    ReminderSettings::insert(active)
        .on_conflict(
            OnConflict::column(reminder_settings::Column::TenantId)
                .update_columns([
                    reminder_settings::Column::SmsTemplate,
                    reminder_settings::Column::UpdatedAt,
                ])
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
