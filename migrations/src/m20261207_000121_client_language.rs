//! The language a client reads (the booking page's language when they
//! booked), sealed under the business's key like the client's other
//! fields. Rows from before have none: mail to them uses the business's
//! language.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Language,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clients::Table)
                    .add_column(ColumnDef::new(Clients::Language).binary().null())
                    .to_owned(),
            )
            .await
    }
}
