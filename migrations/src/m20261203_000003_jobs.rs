//! Durable one-off background jobs (a reminder due at a time, a key
//! rotation): written in the transaction of the change that causes them,
//! claimed with a lease by any node, done once. `dedupe_key` makes a job
//! that is enqueued twice (a retried request, two nodes) exist once.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    TenantId,
    Kind,
    DedupeKey,
    Payload,
    RunAt,
    Status,
    Attempts,
    LeaseUntil,
    LastError,
    CreatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(ColumnDef::new(Jobs::TenantId).uuid().null())
                    .col(text(Jobs::Kind))
                    .col(text(Jobs::DedupeKey).unique_key())
                    .col(ColumnDef::new(Jobs::Payload).text().not_null())
                    .col(ts(Jobs::RunAt))
                    .col(text(Jobs::Status))
                    .col(
                        ColumnDef::new(Jobs::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts_null(Jobs::LeaseUntil))
                    .col(ColumnDef::new(Jobs::LastError).text().null())
                    .col(ts(Jobs::CreatedAt))
                    .col(ts_null(Jobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_due_idx")
                    .table(Jobs::Table)
                    .col(Jobs::Status)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_tenant_idx")
                    .table(Jobs::Table)
                    .col(Jobs::TenantId)
                    .col(Jobs::Kind)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "jobs", "tenant_id").await
    }
}
