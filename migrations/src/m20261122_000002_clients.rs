//! Client records, stored only as ciphertext, with blind indexes for e-mail
//! and phone; and a per-tenant revision that tells every node when its
//! cache of decrypted clients is stale.

use sea_orm_migration::prelude::*;

use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    ClientsRevision,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    TenantId,
    Id,
    KeyVersion,
    Name,
    Email,
    Phone,
    Notes,
    DateOfBirth,
    CustomFields,
    MarketingConsent,
    EmailIndex,
    PhoneIndex,
    CreatedAt,
    UpdatedAt,
}

fn secret(col: Clients) -> ColumnDef {
    ColumnDef::new(col).binary().null().take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(
                        ColumnDef::new(Tenants::ClientsRevision)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(ColumnDef::new(Clients::TenantId).uuid().not_null())
                    .col(ColumnDef::new(Clients::Id).uuid().not_null())
                    .col(ColumnDef::new(Clients::KeyVersion).integer().not_null())
                    .col(ColumnDef::new(Clients::Name).binary().not_null())
                    .col(secret(Clients::Email))
                    .col(secret(Clients::Phone))
                    .col(secret(Clients::Notes))
                    .col(secret(Clients::DateOfBirth))
                    .col(secret(Clients::CustomFields))
                    .col(
                        ColumnDef::new(Clients::MarketingConsent)
                            .binary()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Clients::EmailIndex).string().null())
                    .col(ColumnDef::new(Clients::PhoneIndex).string().null())
                    .col(
                        ColumnDef::new(Clients::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Clients::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .primary_key(Index::create().col(Clients::TenantId).col(Clients::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Clients::Table, Clients::TenantId)
                            .to(Tenants::Table, Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One client per e-mail and per phone in a business (NULLs are
        // distinct in both backends, so clients without them are fine).
        for (name, col) in [
            ("clients_email_index_key", Clients::EmailIndex),
            ("clients_phone_index_key", Clients::PhoneIndex),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Clients::Table)
                        .col(Clients::TenantId)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("clients_key_version_idx")
                    .table(Clients::Table)
                    .col(Clients::TenantId)
                    .col(Clients::KeyVersion)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "clients", "tenant_id").await?;
        Ok(())
    }
}
