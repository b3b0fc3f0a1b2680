//! A client's consent to text messages (reminders by SMS), sealed under
//! the business's key like the marketing consent. Rows from before have
//! none: no consent.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    SmsConsent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(ColumnDef::new(Clients::SmsConsent).binary().null())
                    .to_owned(),
            )
            .await
    }
}
