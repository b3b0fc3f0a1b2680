//! Compliance in the workflows: the data-processing agreement (versions and
//! an append-only, hash-chained acceptance ledger), the sub-processor list
//! with announced changes and objections, the retention job's claim row,
//! deletion certificates and Termino's own billing records (both outlive a
//! purged business), and the business's retention settings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    DpaVersion,
    DpaAcceptedAt,
    PurgeReminderSent,
    DeletionRequestedAt,
    ClientRetentionMonths,
}

#[derive(DeriveIden)]
enum DpaVersions {
    Table,
    Version,
    PublishedAt,
    AcceptBy,
    TextEn,
    TextPl,
}

#[derive(DeriveIden)]
enum DpaAcceptances {
    Table,
    Seq,
    Id,
    TenantId,
    DpaVersion,
    TextSha256,
    Language,
    SubprocessorListVersion,
    UserId,
    UserEmail,
    AuthorityStatement,
    CompanyName,
    TaxId,
    AcceptedAt,
    Ip,
    UserAgent,
    Method,
    PrevHash,
    EntryHash,
}

#[derive(DeriveIden)]
enum Subprocessors {
    Table,
    Id,
    Name,
    Purpose,
    Location,
    TransferMechanism,
    AddedIn,
    RemovedIn,
}

#[derive(DeriveIden)]
enum SubprocessorChanges {
    Table,
    Version,
    AnnouncedAt,
    EffectiveAt,
    Summary,
}

#[derive(DeriveIden)]
enum SubprocessorObjections {
    Table,
    TenantId,
    Version,
    UserId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScheduledJobs {
    Table,
    Name,
    DueAt,
    LockedUntil,
    LockedBy,
    LastStartedAt,
    LastFinishedAt,
    LastSummary,
}

#[derive(DeriveIden)]
enum DeletionCertificates {
    Table,
    Id,
    TenantId,
    Slug,
    Reason,
    RequestedAt,
    DueAt,
    Deadline,
    StartedAt,
    FinishedAt,
    KeysDestroyed,
    RowsDeleted,
    Digest,
}

#[derive(DeriveIden)]
enum BillingRecords {
    Table,
    Id,
    TenantId,
    Provider,
    Reference,
    AmountMinor,
    Currency,
    PaidAt,
    KeepUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut col in [
            ColumnDef::new(Tenants::DpaVersion).string().null().take(),
            ts_null(Tenants::DpaAcceptedAt),
            ColumnDef::new(Tenants::PurgeReminderSent)
                .string()
                .null()
                .take(),
            ts_null(Tenants::DeletionRequestedAt),
            ColumnDef::new(Tenants::ClientRetentionMonths)
                .integer()
                .null()
                .take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(DpaVersions::Table)
                    .col(text(DpaVersions::Version).primary_key())
                    .col(ts(DpaVersions::PublishedAt))
                    .col(ts(DpaVersions::AcceptBy))
                    .col(ColumnDef::new(DpaVersions::TextEn).text().not_null())
                    .col(ColumnDef::new(DpaVersions::TextPl).text().not_null())
                    .to_owned(),
            )
            .await?;
        // One ledger for every business: a global chain, so that removing a
        // whole business's entries breaks it too. Kept after a purge as
        // evidence of the contract.
        manager
            .create_table(
                Table::create()
                    .table(DpaAcceptances::Table)
                    .col(
                        ColumnDef::new(DpaAcceptances::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(uuid(DpaAcceptances::Id))
                    .col(uuid(DpaAcceptances::TenantId))
                    .col(text(DpaAcceptances::DpaVersion))
                    .col(text(DpaAcceptances::TextSha256))
                    .col(text(DpaAcceptances::Language))
                    .col(
                        ColumnDef::new(DpaAcceptances::SubprocessorListVersion)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(DpaAcceptances::UserId).uuid().null())
                    .col(text(DpaAcceptances::UserEmail))
                    .col(text(DpaAcceptances::AuthorityStatement))
                    .col(text(DpaAcceptances::CompanyName))
                    .col(text(DpaAcceptances::TaxId))
                    .col(ts(DpaAcceptances::AcceptedAt))
                    .col(text(DpaAcceptances::Ip))
                    .col(text(DpaAcceptances::UserAgent))
                    .col(text(DpaAcceptances::Method))
                    .col(text(DpaAcceptances::PrevHash))
                    .col(text(DpaAcceptances::EntryHash))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("dpa_acceptances_tenant")
                    .table(DpaAcceptances::Table)
                    .col(DpaAcceptances::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Subprocessors::Table)
                    .col(uuid(Subprocessors::Id).primary_key())
                    .col(text(Subprocessors::Name))
                    .col(text(Subprocessors::Purpose))
                    .col(text(Subprocessors::Location))
                    .col(text(Subprocessors::TransferMechanism))
                    .col(ColumnDef::new(Subprocessors::AddedIn).integer().not_null())
                    .col(ColumnDef::new(Subprocessors::RemovedIn).integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubprocessorChanges::Table)
                    .col(
                        ColumnDef::new(SubprocessorChanges::Version)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ts(SubprocessorChanges::AnnouncedAt))
                    .col(ts(SubprocessorChanges::EffectiveAt))
                    .col(text(SubprocessorChanges::Summary))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SubprocessorObjections::Table)
                    .col(uuid(SubprocessorObjections::TenantId))
                    .col(
                        ColumnDef::new(SubprocessorObjections::Version)
                            .integer()
                            .not_null(),
                    )
                    .col(uuid(SubprocessorObjections::UserId))
                    .col(
                        ColumnDef::new(SubprocessorObjections::Reason)
                            .text()
                            .not_null(),
                    )
                    .col(ts(SubprocessorObjections::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(SubprocessorObjections::TenantId)
                            .col(SubprocessorObjections::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                SubprocessorObjections::Table,
                                SubprocessorObjections::TenantId,
                            )
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "subprocessor_objections", "tenant_id").await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledJobs::Table)
                    .col(text(ScheduledJobs::Name).primary_key())
                    .col(ts(ScheduledJobs::DueAt))
                    .col(ts_null(ScheduledJobs::LockedUntil))
                    .col(ColumnDef::new(ScheduledJobs::LockedBy).string().null())
                    .col(ts_null(ScheduledJobs::LastStartedAt))
                    .col(ts_null(ScheduledJobs::LastFinishedAt))
                    .col(ColumnDef::new(ScheduledJobs::LastSummary).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeletionCertificates::Table)
                    .col(uuid(DeletionCertificates::Id).primary_key())
                    .col(uuid(DeletionCertificates::TenantId).unique_key())
                    .col(text(DeletionCertificates::Slug))
                    .col(text(DeletionCertificates::Reason))
                    .col(ts_null(DeletionCertificates::RequestedAt))
                    .col(ts(DeletionCertificates::DueAt))
                    .col(ts_null(DeletionCertificates::Deadline))
                    .col(ts(DeletionCertificates::StartedAt))
                    .col(ts(DeletionCertificates::FinishedAt))
                    .col(
                        ColumnDef::new(DeletionCertificates::KeysDestroyed)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(DeletionCertificates::RowsDeleted)
                            .text()
                            .not_null(),
                    )
                    .col(text(DeletionCertificates::Digest))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BillingRecords::Table)
                    .col(uuid(BillingRecords::Id).primary_key())
                    .col(uuid(BillingRecords::TenantId))
                    .col(text(BillingRecords::Provider))
                    .col(text(BillingRecords::Reference))
                    .col(
                        ColumnDef::new(BillingRecords::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(BillingRecords::Currency))
                    .col(ts(BillingRecords::PaidAt))
                    .col(ts(BillingRecords::KeepUntil))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("billing_records_reference")
                    .table(BillingRecords::Table)
                    .col(BillingRecords::Provider)
                    .col(BillingRecords::Reference)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // The reference deployment's sub-processors (list version 1).
        let seed = [
            (
                "Hetzner Online GmbH",
                "Hosting: servers, databases and backups",
                "Germany (EU)",
                "None needed: data stays in the EU",
            ),
            (
                "Stripe Payments Europe, Limited",
                "Card and online payments (plans and client deposits)",
                "Ireland (EU); Stripe, Inc. in the USA for fraud prevention",
                "EU-US Data Privacy Framework and Standard Contractual Clauses",
            ),
            (
                "Krajowy Integrator Płatności S.A. (tpay)",
                "BLIK and bank transfer payments",
                "Poland (EU)",
                "None needed: data stays in the EU",
            ),
        ];
        let mut insert = Query::insert()
            .into_table(Subprocessors::Table)
            .columns([
                Subprocessors::Id,
                Subprocessors::Name,
                Subprocessors::Purpose,
                Subprocessors::Location,
                Subprocessors::TransferMechanism,
                Subprocessors::AddedIn,
            ])
            .to_owned();
        for (i, (name, purpose, location, transfer)) in seed.into_iter().enumerate() {
            let id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 + i as u128 + 1);
            insert.values_panic([
                id.into(),
                name.into(),
                purpose.into(),
                location.into(),
                transfer.into(),
                1.into(),
            ]);
        }
        manager.exec_stmt(insert).await?;
        // 2026-11-01T00:00:00Z.
        let start = chrono::DateTime::<chrono::Utc>::from_timestamp(1_793_491_200, 0)
            .ok_or_else(|| DbErr::Custom("the first list's date".into()))?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(SubprocessorChanges::Table)
                    .columns([
                        SubprocessorChanges::Version,
                        SubprocessorChanges::AnnouncedAt,
                        SubprocessorChanges::EffectiveAt,
                        SubprocessorChanges::Summary,
                    ])
                    .values_panic([
                        1.into(),
                        start.into(),
                        start.into(),
                        "The first list.".into(),
                    ])
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // Append-only at the database too; the hash chain still catches
            // whoever can switch the trigger off.
            db.execute_unprepared(
                "CREATE FUNCTION termino_append_only() RETURNS trigger AS $$
                 BEGIN RAISE EXCEPTION 'the % table is append-only', TG_TABLE_NAME; END $$
                 LANGUAGE plpgsql;
                 CREATE TRIGGER dpa_acceptances_append_only BEFORE UPDATE OR DELETE
                   ON dpa_acceptances FOR EACH ROW EXECUTE FUNCTION termino_append_only();",
            )
            .await?;
        }
        for table in ["dpa_versions", "subprocessors", "subprocessor_changes"] {
            rls::grant_read(manager, table).await?;
        }
        Ok(())
    }
}
