//! Outbound webhooks: endpoints a business registers, and the deliveries
//! written in the same transaction as the change they announce.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    TenantId,
    Id,
    Url,
    Description,
    Events,
    IncludePersonalData,
    Secret,
    Active,
    FailingSince,
    FailureNotifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    TenantId,
    Id,
    EndpointId,
    EventType,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::TenantId))
                    .col(uuid(WebhookEndpoints::Id))
                    .col(text(WebhookEndpoints::Url))
                    .col(text(WebhookEndpoints::Description))
                    .col(text(WebhookEndpoints::Events))
                    .col(
                        ColumnDef::new(WebhookEndpoints::IncludePersonalData)
                            .boolean()
                            .not_null(),
                    )
                    // The signing secret, ciphertext under the tenant key.
                    .col(ColumnDef::new(WebhookEndpoints::Secret).binary().not_null())
                    .col(
                        ColumnDef::new(WebhookEndpoints::Active)
                            .boolean()
                            .not_null(),
                    )
                    .col(ts_null(WebhookEndpoints::FailingSince))
                    .col(ts_null(WebhookEndpoints::FailureNotifiedAt))
                    .col(ts(WebhookEndpoints::CreatedAt))
                    .col(ts(WebhookEndpoints::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookEndpoints::TenantId)
                            .col(WebhookEndpoints::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::TenantId))
                    .col(uuid(WebhookDeliveries::Id))
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(text(WebhookDeliveries::EventType))
                    // The JSON payload, ciphertext under the tenant key.
                    .col(
                        ColumnDef::new(WebhookDeliveries::Payload)
                            .binary()
                            .not_null(),
                    )
                    .col(text(WebhookDeliveries::Status))
                    .col(
                        ColumnDef::new(WebhookDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ts(WebhookDeliveries::NextAttemptAt))
                    .col(
                        ColumnDef::new(WebhookDeliveries::LastStatusCode)
                            .integer()
                            .null(),
                    )
                    .col(ColumnDef::new(WebhookDeliveries::LastError).string().null())
                    .col(ts(WebhookDeliveries::CreatedAt))
                    .col(ts_null(WebhookDeliveries::DeliveredAt))
                    .primary_key(
                        Index::create()
                            .col(WebhookDeliveries::TenantId)
                            .col(WebhookDeliveries::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(WebhookDeliveries::Table)
                            .from_col(WebhookDeliveries::TenantId)
                            .from_col(WebhookDeliveries::EndpointId)
                            .to_tbl(WebhookEndpoints::Table)
                            .to_col(WebhookEndpoints::TenantId)
                            .to_col(WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due_idx")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        for table in ["webhook_endpoints", "webhook_deliveries"] {
            rls::protect_tenant_table(manager, table, "tenant_id").await?;
        }
        Ok(())
    }
}
