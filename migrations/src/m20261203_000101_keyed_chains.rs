//! Keyed chains: each audit-log and agreement-ledger entry says how its
//! hash was made. Entries already there were chained with plain SHA-256
//! (1); new ones are keyed (2, HMAC-SHA256 under a key in the key store).
//! Adding a column with a constant default rewrites no row, so the
//! append-only triggers are not involved.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_events", "dpa_acceptances"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .add_column(
                            ColumnDef::new(Alias::new("mac_version"))
                                .integer()
                                .not_null()
                                .default(1),
                        )
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
