//! The purge journal: one row per business being purged, written before
//! anything is deleted and advanced with every step, so that a purge cut
//! short (a crash, a failing statement) is finished by the next run from
//! what the journal knows (its members, its counts) rather than from rows
//! that may already be gone. It holds ids and counts only.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PurgeJournal {
    Table,
    TenantId,
    Slug,
    Reason,
    RequestedAt,
    DueAt,
    StartedAt,
    Members,
    Owners,
    KeysDestroyed,
    RowsDeleted,
    Attempts,
    LastError,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PurgeJournal::Table)
                    .col(uuid(PurgeJournal::TenantId).primary_key())
                    .col(text(PurgeJournal::Slug))
                    .col(text(PurgeJournal::Reason))
                    .col(ts_null(PurgeJournal::RequestedAt))
                    .col(ts(PurgeJournal::DueAt))
                    .col(ts(PurgeJournal::StartedAt))
                    .col(ColumnDef::new(PurgeJournal::Members).text().not_null())
                    .col(ColumnDef::new(PurgeJournal::Owners).text().not_null())
                    .col(ColumnDef::new(PurgeJournal::KeysDestroyed).text().null())
                    .col(ColumnDef::new(PurgeJournal::RowsDeleted).text().not_null())
                    .col(
                        ColumnDef::new(PurgeJournal::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(PurgeJournal::LastError).text().null())
                    .col(ts_null(PurgeJournal::FinishedAt))
                    .to_owned(),
            )
            .await
    }
}
