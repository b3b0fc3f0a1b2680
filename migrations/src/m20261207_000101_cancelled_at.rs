//! When a booking was cancelled (or declined), so the panel can show who
//! cancelled it and when. Bookings cancelled earlier keep none.

use sea_orm_migration::prelude::*;

use crate::columns::ts_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Bookings {
    Table,
    CancelledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .add_column(ts_null(Bookings::CancelledAt))
                    .to_owned(),
            )
            .await
    }
}
