//! The feed of recent changes to bookings shown in the panel: what
//! happened to which booking, who did it (a kind of actor, never a name)
//! and when. Written in the change's own transaction; no personal data.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BookingChanges {
    Table,
    Id,
    TenantId,
    BookingId,
    Kind,
    Actor,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BookingChanges::Table)
                    .col(uuid(BookingChanges::Id).primary_key())
                    .col(uuid(BookingChanges::TenantId))
                    .col(uuid(BookingChanges::BookingId))
                    .col(text(BookingChanges::Kind))
                    .col(text(BookingChanges::Actor))
                    .col(ts(BookingChanges::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BookingChanges::Table, BookingChanges::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(BookingChanges::Table)
                            .from_col(BookingChanges::TenantId)
                            .from_col(BookingChanges::BookingId)
                            .to_tbl(Alias::new("bookings"))
                            .to_col(Alias::new("tenant_id"))
                            .to_col(Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("booking_changes_recent")
                    .table(BookingChanges::Table)
                    .col(BookingChanges::TenantId)
                    .col(BookingChanges::At)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "booking_changes", "tenant_id").await
    }
}
