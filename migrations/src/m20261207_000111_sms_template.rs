//! A business's own text of the SMS reminder, kept with its reminder
//! settings; none (the rows from before) means the default text of the
//! business's language.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReminderSettings {
    Table,
    SmsTemplate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReminderSettings::Table)
                    .add_column(ColumnDef::new(ReminderSettings::SmsTemplate).text().null())
                    .to_owned(),
            )
            .await
    }
}
