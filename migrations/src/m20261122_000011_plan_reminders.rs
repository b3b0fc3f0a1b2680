//! The last renewal reminder sent for a plan paid period by period (tpay):
//! `<paid_until as unix seconds>:<days before>`, so each is sent once.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    PlanReminderSent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(ColumnDef::new(Tenants::PlanReminderSent).string().null())
                    .to_owned(),
            )
            .await
    }
}
