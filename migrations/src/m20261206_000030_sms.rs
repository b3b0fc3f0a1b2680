//! The text-message queue: each message's phone number and text sealed
//! under the business's key, its status as the gateway reports it
//! (queued, sent, delivered, failed), a lease for the sender and the
//! attempt count. Rows also make the monthly count a plan's limit is
//! checked against. A business may choose texts without Polish letters
//! (GSM-7: 160 characters a part instead of 70).

use sea_orm_migration::prelude::*;

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsMessages {
    Table,
    Id,
    TenantId,
    BookingId,
    Phone,
    Body,
    Provider,
    ProviderId,
    Status,
    Segments,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    SmsWithoutPolishCharacters,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsMessages::Table)
                    .col(uuid(SmsMessages::Id).primary_key())
                    .col(uuid(SmsMessages::TenantId))
                    // No foreign key: bookings are keyed by business and id.
                    .col(ColumnDef::new(SmsMessages::BookingId).uuid().null())
                    .col(ColumnDef::new(SmsMessages::Phone).binary().not_null())
                    // Dropped once sent: what was said is not kept.
                    .col(ColumnDef::new(SmsMessages::Body).binary().null())
                    .col(text(SmsMessages::Provider))
                    .col(ColumnDef::new(SmsMessages::ProviderId).string().null())
                    .col(text(SmsMessages::Status))
                    .col(ColumnDef::new(SmsMessages::Segments).integer().not_null())
                    .col(
                        ColumnDef::new(SmsMessages::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ts(SmsMessages::NextAttemptAt))
                    .col(ColumnDef::new(SmsMessages::LastError).text().null())
                    .col(ts(SmsMessages::CreatedAt))
                    .col(ts_null(SmsMessages::SentAt))
                    .col(ts_null(SmsMessages::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SmsMessages::Table, SmsMessages::TenantId)
                            .to(Alias::new("tenants"), Alias::new("id"))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "sms_messages_due",
                vec![SmsMessages::Status, SmsMessages::NextAttemptAt],
            ),
            (
                "sms_messages_month",
                vec![SmsMessages::TenantId, SmsMessages::CreatedAt],
            ),
            (
                "sms_messages_provider",
                vec![SmsMessages::Provider, SmsMessages::ProviderId],
            ),
            ("sms_messages_booking", vec![SmsMessages::BookingId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(SmsMessages::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        rls::protect_tenant_table(manager, "sms_messages", "tenant_id").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tenants::Table)
                    .add_column(
                        ColumnDef::new(Tenants::SmsWithoutPolishCharacters)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }
}
