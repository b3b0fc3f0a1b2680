//! Private calendar feeds (iCal subscriptions) of a staff member or of the
//! whole business: a secret address, stored as a hash, revocable.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    TenantId,
    StaffId,
    TokenHash,
    ClientDetails,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarFeeds::Table)
                    .col(uuid(CalendarFeeds::Id).primary_key())
                    .col(uuid(CalendarFeeds::TenantId))
                    .col(ColumnDef::new(CalendarFeeds::StaffId).uuid().null())
                    .col(text(CalendarFeeds::TokenHash).unique_key())
                    .col(text(CalendarFeeds::ClientDetails))
                    .col(ts(CalendarFeeds::CreatedAt))
                    .col(ts_null(CalendarFeeds::RevokedAt))
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "calendar_feeds", "tenant_id").await
    }
}
