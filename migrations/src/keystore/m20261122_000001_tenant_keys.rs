use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantKeys {
    Table,
    TenantId,
    Purpose,
    Version,
    State,
    Wrapped,
    KekId,
    Encryptions,
    CreatedAt,
    RetiredAt,
    DestroyedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantKeys::Table)
                    .col(ColumnDef::new(TenantKeys::TenantId).uuid().not_null())
                    // `data` (field encryption) or `index` (blind indexes).
                    .col(ColumnDef::new(TenantKeys::Purpose).string().not_null())
                    .col(ColumnDef::new(TenantKeys::Version).integer().not_null())
                    // `active`, `archived` (decrypt only) or `destroyed`.
                    .col(ColumnDef::new(TenantKeys::State).string().not_null())
                    // Gone (NULL) once destroyed: that is the crypto-shredding.
                    .col(ColumnDef::new(TenantKeys::Wrapped).binary().null())
                    .col(ColumnDef::new(TenantKeys::KekId).string().not_null())
                    .col(
                        ColumnDef::new(TenantKeys::Encryptions)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(TenantKeys::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantKeys::RetiredAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(TenantKeys::DestroyedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(TenantKeys::TenantId)
                            .col(TenantKeys::Purpose)
                            .col(TenantKeys::Version),
                    )
                    .to_owned(),
            )
            .await
    }
}
