//! An API key belongs to the person who made it (`created_by`) and lives
//! only as long as their right to hold keys. Keys made by people who have
//! since left their business, or who were made staff, are revoked here;
//! from now on removal and downgrade revoke them as they happen. Keys made
//! with `termino api-key create` belong to the business and stay.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    TenantId,
    CreatedBy,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    TenantId,
    UserId,
    Role,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let may_hold_keys = Query::select()
            .expr(Expr::val(1))
            .from(Memberships::Table)
            .and_where(
                Expr::col((Memberships::Table, Memberships::TenantId))
                    .equals((ApiKeys::Table, ApiKeys::TenantId)),
            )
            .and_where(
                Expr::col((Memberships::Table, Memberships::UserId))
                    .equals((ApiKeys::Table, ApiKeys::CreatedBy)),
            )
            .and_where(Expr::col((Memberships::Table, Memberships::Role)).is_in(["owner", "admin"]))
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(ApiKeys::Table)
                    .value(ApiKeys::RevokedAt, chrono::Utc::now())
                    .and_where(Expr::col(ApiKeys::RevokedAt).is_null())
                    .and_where(Expr::col(ApiKeys::CreatedBy).is_not_null())
                    .and_where(Expr::exists(may_hold_keys).not())
                    .to_owned(),
            )
            .await
    }
}
