//! Termino's own billing: the plan's state and its Stripe ids on the
//! tenant, an append-only history of plan changes, and the provider events
//! already applied (each applied once, by its id).

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    PlanState,
    BillingInterval,
    StripeCustomerId,
    StripeSubscriptionId,
}

#[derive(DeriveIden)]
enum PlanChanges {
    Table,
    TenantId,
    Id,
    Plan,
    State,
    PaidUntil,
    Reason,
    Provider,
    EventId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Provider,
    EventId,
    Kind,
    TenantId,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(Tenants::PlanState)
                .text()
                .not_null()
                .default("active")
                .to_owned(),
            ColumnDef::new(Tenants::BillingInterval)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Tenants::StripeCustomerId)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Tenants::StripeSubscriptionId)
                .text()
                .null()
                .to_owned(),
        ] {
            let mut col = col;
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
                    .table(PlanChanges::Table)
                    .col(uuid(PlanChanges::TenantId))
                    .col(uuid(PlanChanges::Id))
                    .col(text(PlanChanges::Plan))
                    .col(text(PlanChanges::State))
                    .col(ts_null(PlanChanges::PaidUntil))
                    .col(text(PlanChanges::Reason))
                    .col(text(PlanChanges::Provider))
                    .col(ColumnDef::new(PlanChanges::EventId).text().null())
                    .col(ts(PlanChanges::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(PlanChanges::TenantId)
                            .col(PlanChanges::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanChanges::Table, PlanChanges::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "plan_changes", "tenant_id").await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(text(PaymentEvents::Provider))
                    .col(text(PaymentEvents::EventId))
                    .col(text(PaymentEvents::Kind))
                    .col(ColumnDef::new(PaymentEvents::TenantId).uuid().null())
                    .col(ts(PaymentEvents::ReceivedAt))
                    .primary_key(
                        Index::create()
                            .col(PaymentEvents::Provider)
                            .col(PaymentEvents::EventId),
                    )
                    .to_owned(),
            )
            .await
    }
}
