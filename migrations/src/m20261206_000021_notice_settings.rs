//! Which notices of bookings a member of a business gets by e-mail: the
//! ones they turned off, per business (no row: every notice).

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NoticeSettings {
    Table,
    TenantId,
    UserId,
    Muted,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NoticeSettings::Table)
                    .col(uuid(NoticeSettings::TenantId))
                    .col(uuid(NoticeSettings::UserId))
                    .col(text(NoticeSettings::Muted))
                    .col(ts(NoticeSettings::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(NoticeSettings::TenantId)
                            .col(NoticeSettings::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NoticeSettings::Table, NoticeSettings::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(NoticeSettings::Table, NoticeSettings::UserId)
                            .to(Alias::new("users"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "notice_settings", "tenant_id").await
    }
}
