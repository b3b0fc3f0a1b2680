//! Deposits and prepayment for bookings: what a service asks for, the
//! business's connected Stripe account and rules, the hold on a booking
//! that waits for payment, and the payments themselves (provider ids,
//! amounts and states only; no card data).

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Services {
    Table,
    PaymentMode,
    DepositMinor,
    DepositPercent,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    StripeAccountId,
    StripeAccountReady,
    PaymentHoldMinutes,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    PaymentDueBy,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    TenantId,
    Id,
    BookingId,
    Provider,
    ProviderRef,
    PaymentRef,
    AmountMinor,
    Currency,
    Status,
    RefundMinor,
    CreatedAt,
    UpdatedAt,
}

async fn add(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    col: ColumnDef,
) -> Result<(), DbErr> {
    let mut col = col;
    manager
        .alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add(
            manager,
            Services::Table,
            ColumnDef::new(Services::PaymentMode)
                .string()
                .not_null()
                .default("none")
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Services::Table,
            ColumnDef::new(Services::DepositMinor)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Services::Table,
            ColumnDef::new(Services::DepositPercent)
                .integer()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Tenants::Table,
            ColumnDef::new(Tenants::StripeAccountId)
                .string()
                .null()
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Tenants::Table,
            ColumnDef::new(Tenants::StripeAccountReady)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        )
        .await?;
        add(
            manager,
            Tenants::Table,
            ColumnDef::new(Tenants::PaymentHoldMinutes)
                .integer()
                .not_null()
                .default(15)
                .to_owned(),
        )
        .await?;
        add(manager, Bookings::Table, ts_null(Bookings::PaymentDueBy)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(uuid(Payments::TenantId))
                    .col(uuid(Payments::Id))
                    .col(uuid(Payments::BookingId))
                    .col(text(Payments::Provider))
                    .col(ColumnDef::new(Payments::ProviderRef).string().null())
                    .col(ColumnDef::new(Payments::PaymentRef).string().null())
                    .col(
                        ColumnDef::new(Payments::AmountMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Payments::Currency))
                    .col(text(Payments::Status))
                    .col(
                        ColumnDef::new(Payments::RefundMinor)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts(Payments::CreatedAt))
                    .col(ts(Payments::UpdatedAt))
                    .primary_key(Index::create().col(Payments::TenantId).col(Payments::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payments_booking_idx")
                    .table(Payments::Table)
                    .col(Payments::TenantId)
                    .col(Payments::BookingId)
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "payments", "tenant_id").await
    }
}
