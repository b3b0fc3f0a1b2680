//! Appointment reminders (issue 22): a business's reminder settings, and on
//! each booking its manage token (sealed under the business's key, so that
//! a reminder can carry the manage link) and when the client confirmed it.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReminderSettings {
    Table,
    TenantId,
    /// JSON: `[{"hours_before": 24, "channel": "email"}, …]`.
    Offsets,
    SendFrom,
    SendUntil,
    Address,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    ManageToken,
    ConfirmedByClientAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReminderSettings::Table)
                    .col(uuid(ReminderSettings::TenantId).primary_key())
                    .col(ColumnDef::new(ReminderSettings::Offsets).text().not_null())
                    .col(text(ReminderSettings::SendFrom))
                    .col(text(ReminderSettings::SendUntil))
                    .col(text(ReminderSettings::Address))
                    .col(ts(ReminderSettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "reminder_settings", "tenant_id").await?;
        // One column per statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .add_column(ColumnDef::new(Bookings::ManageToken).binary().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .add_column(ts_null(Bookings::ConfirmedByClientAt))
                    .to_owned(),
            )
            .await
    }
}
