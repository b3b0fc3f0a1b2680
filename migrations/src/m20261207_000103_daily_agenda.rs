//! A member's daily agenda by e-mail: off (null) or the hour (0–23, in
//! the business's zone) it is sent at.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NoticeSettings {
    Table,
    AgendaHour,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(NoticeSettings::Table)
                    .add_column(ColumnDef::new(NoticeSettings::AgendaHour).integer().null())
                    .to_owned(),
            )
            .await
    }
}
