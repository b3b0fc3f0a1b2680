//! Where each ledger's unkeyed beginning is recorded when chains become
//! keyed: in the key store, out of reach of whoever holds only the main
//! database (who could otherwise mark rewritten entries as old ones).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChainCheckpoints {
    Table,
    /// `dpa`, `audit:<business id>`, or `*` once every chain was recorded.
    Chain,
    /// How many entries (from the first) have unkeyed hashes.
    UnkeyedEntries,
    /// The hash of the last of them.
    LastHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChainCheckpoints::Table)
                    .col(
                        ColumnDef::new(ChainCheckpoints::Chain)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ChainCheckpoints::UnkeyedEntries)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChainCheckpoints::LastHash)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ChainCheckpoints::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }
}
