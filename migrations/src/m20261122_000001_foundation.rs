//! Businesses, their accounts, API keys, invitations, password resets and the
//! mail outbox.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    TimeZone,
    Language,
    Plan,
    PlanStartedAt,
    TrialEndsAt,
    PaidUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    Phone,
    PasswordHash,
    SessionsValidAfter,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    TenantId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    TenantId,
    Id,
    Name,
    Prefix,
    KeyHash,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    TenantId,
    Id,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    TenantId,
    Recipient,
    Subject,
    BodyText,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rls::ensure_role(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(text(Tenants::Slug))
                    .col(text(Tenants::Name))
                    .col(text(Tenants::TimeZone))
                    .col(text(Tenants::Language))
                    .col(text(Tenants::Plan))
                    .col(ts(Tenants::PlanStartedAt))
                    .col(ts_null(Tenants::TrialEndsAt))
                    .col(ts_null(Tenants::PaidUntil))
                    .col(ts(Tenants::CreatedAt))
                    .col(ts(Tenants::UpdatedAt))
                    .index(
                        Index::create()
                            .name("tenants_slug_key")
                            .col(Tenants::Slug)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid(Users::Id).primary_key())
                    .col(text(Users::Email))
                    .col(text(Users::Name))
                    .col(ColumnDef::new(Users::Phone).string().null())
                    .col(text(Users::PasswordHash))
                    .col(ts(Users::SessionsValidAfter))
                    .col(ts(Users::CreatedAt))
                    .col(ts(Users::UpdatedAt))
                    .index(
                        Index::create()
                            .name("users_email_key")
                            .col(Users::Email)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(uuid(Memberships::TenantId))
                    .col(uuid(Memberships::UserId))
                    .col(text(Memberships::Role))
                    .col(ts(Memberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::TenantId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_user_idx")
                    .table(Memberships::Table)
                    .col(Memberships::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid(ApiKeys::TenantId))
                    .col(uuid(ApiKeys::Id))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::Prefix))
                    .col(text(ApiKeys::KeyHash))
                    .col(ColumnDef::new(ApiKeys::CreatedBy).uuid().null())
                    .col(ts(ApiKeys::CreatedAt))
                    .col(ts_null(ApiKeys::LastUsedAt))
                    .col(ts_null(ApiKeys::RevokedAt))
                    .primary_key(Index::create().col(ApiKeys::TenantId).col(ApiKeys::Id))
                    .index(
                        Index::create()
                            .name("api_keys_hash_key")
                            .col(ApiKeys::KeyHash)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(uuid(Invitations::TenantId))
                    .col(uuid(Invitations::Id))
                    .col(text(Invitations::Email))
                    .col(text(Invitations::Role))
                    .col(text(Invitations::TokenHash))
                    .col(uuid(Invitations::InvitedBy))
                    .col(ts(Invitations::CreatedAt))
                    .col(ts(Invitations::ExpiresAt))
                    .col(ts_null(Invitations::AcceptedAt))
                    .col(ts_null(Invitations::RevokedAt))
                    .primary_key(
                        Index::create()
                            .col(Invitations::TenantId)
                            .col(Invitations::Id),
                    )
                    .index(
                        Index::create()
                            .name("invitations_token_key")
                            .col(Invitations::TokenHash)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordResets::Table)
                    .col(uuid(PasswordResets::Id).primary_key())
                    .col(uuid(PasswordResets::UserId))
                    .col(text(PasswordResets::TokenHash))
                    .col(ts(PasswordResets::CreatedAt))
                    .col(ts(PasswordResets::ExpiresAt))
                    .col(ts_null(PasswordResets::UsedAt))
                    .index(
                        Index::create()
                            .name("password_resets_token_key")
                            .col(PasswordResets::TokenHash)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordResets::Table, PasswordResets::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(uuid(MailOutbox::Id).primary_key())
                    .col(ColumnDef::new(MailOutbox::TenantId).uuid().null())
                    .col(text(MailOutbox::Recipient))
                    .col(text(MailOutbox::Subject))
                    .col(ColumnDef::new(MailOutbox::BodyText).text().not_null())
                    .col(text(MailOutbox::Status))
                    .col(ColumnDef::new(MailOutbox::Attempts).integer().not_null())
                    .col(ts(MailOutbox::NextAttemptAt))
                    .col(ColumnDef::new(MailOutbox::LastError).string().null())
                    .col(ts(MailOutbox::CreatedAt))
                    .col(ts_null(MailOutbox::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("mail_outbox_due_idx")
                    .table(MailOutbox::Table)
                    .col(MailOutbox::Status)
                    .col(MailOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        rls::protect_tenant_table(manager, "tenants", "id").await?;
        for table in ["memberships", "api_keys", "invitations"] {
            rls::protect_tenant_table(manager, table, "tenant_id").await?;
        }
        // Accounts are global (one person may work for several businesses);
        // tenant transactions read members' names and queue mail.
        rls::grant_write(manager, "users").await?;
        rls::grant_write(manager, "mail_outbox").await?;
        Ok(())
    }
}
