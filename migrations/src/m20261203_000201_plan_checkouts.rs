//! Plan payments Termino itself started (a Stripe Checkout Session or a
//! tpay transaction, with the seats and price it was made for), so that a
//! notification moves a plan only through one of them; and the verified
//! notifications that were refused, kept with a reason.

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PlanCheckouts {
    Table,
    Provider,
    Reference,
    TenantId,
    Interval,
    Seats,
    UnitMinor,
    Currency,
    SubscriptionId,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum RefusedPaymentEvents {
    Table,
    Provider,
    EventId,
    Kind,
    Reason,
    Account,
    TenantId,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PlanCheckouts::Table)
                    .col(text(PlanCheckouts::Provider))
                    .col(text(PlanCheckouts::Reference))
                    .col(uuid(PlanCheckouts::TenantId))
                    .col(text(PlanCheckouts::Interval))
                    .col(
                        ColumnDef::new(PlanCheckouts::Seats)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PlanCheckouts::UnitMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(PlanCheckouts::Currency))
                    .col(ColumnDef::new(PlanCheckouts::SubscriptionId).text().null())
                    .col(ts(PlanCheckouts::CreatedAt))
                    .col(ts_null(PlanCheckouts::CompletedAt))
                    .primary_key(
                        Index::create()
                            .col(PlanCheckouts::Provider)
                            .col(PlanCheckouts::Reference),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanCheckouts::Table, PlanCheckouts::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plan_checkouts_subscription")
                    .table(PlanCheckouts::Table)
                    .col(PlanCheckouts::SubscriptionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plan_checkouts_tenant")
                    .table(PlanCheckouts::Table)
                    .col(PlanCheckouts::TenantId)
                    .col(PlanCheckouts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "plan_checkouts", "tenant_id").await?;
        manager
            .create_table(
                Table::create()
                    .table(RefusedPaymentEvents::Table)
                    .col(text(RefusedPaymentEvents::Provider))
                    .col(text(RefusedPaymentEvents::EventId))
                    .col(text(RefusedPaymentEvents::Kind))
                    .col(text(RefusedPaymentEvents::Reason))
                    .col(ColumnDef::new(RefusedPaymentEvents::Account).text().null())
                    .col(ColumnDef::new(RefusedPaymentEvents::TenantId).uuid().null())
                    .col(ts(RefusedPaymentEvents::ReceivedAt))
                    .primary_key(
                        Index::create()
                            .col(RefusedPaymentEvents::Provider)
                            .col(RefusedPaymentEvents::EventId),
                    )
                    .to_owned(),
            )
            .await
    }
}
