//! A staff member's own calendars (Google, Outlook, Apple) as busy time:
//! the secret iCal address, sealed under the business's key, fetched on a
//! schedule, and the busy intervals of the last good fetch.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExternalCalendars {
    Table,
    Id,
    TenantId,
    StaffId,
    Url,
    Host,
    Etag,
    LastModified,
    NextFetchAt,
    Failures,
    LastError,
    LastSuccessAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ExternalBusy {
    Table,
    Id,
    TenantId,
    CalendarId,
    StaffId,
    StartsAt,
    EndsAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExternalCalendars::Table)
                    .col(uuid(ExternalCalendars::Id).primary_key())
                    .col(uuid(ExternalCalendars::TenantId))
                    .col(uuid(ExternalCalendars::StaffId))
                    .col(ColumnDef::new(ExternalCalendars::Url).binary().not_null())
                    .col(text(ExternalCalendars::Host))
                    .col(ColumnDef::new(ExternalCalendars::Etag).string().null())
                    .col(
                        ColumnDef::new(ExternalCalendars::LastModified)
                            .string()
                            .null(),
                    )
                    .col(ts(ExternalCalendars::NextFetchAt))
                    .col(
                        ColumnDef::new(ExternalCalendars::Failures)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(ExternalCalendars::LastError).string().null())
                    .col(ts_null(ExternalCalendars::LastSuccessAt))
                    .col(ts(ExternalCalendars::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("external_calendars_due_idx")
                    .table(ExternalCalendars::Table)
                    .col(ExternalCalendars::NextFetchAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExternalBusy::Table)
                    .col(uuid(ExternalBusy::Id).primary_key())
                    .col(uuid(ExternalBusy::TenantId))
                    .col(uuid(ExternalBusy::CalendarId))
                    .col(uuid(ExternalBusy::StaffId))
                    .col(ts(ExternalBusy::StartsAt))
                    .col(ts(ExternalBusy::EndsAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("external_busy_staff_idx")
                    .table(ExternalBusy::Table)
                    .col(ExternalBusy::TenantId)
                    .col(ExternalBusy::StaffId)
                    .col(ExternalBusy::StartsAt)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "external_calendars", "tenant_id").await?;
        rls::protect_tenant_table(manager, "external_busy", "tenant_id").await
    }
}
