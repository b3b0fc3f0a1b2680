//! Services, staff and their hours, closures, bookings (with the
//! no-collision constraint on PostgreSQL), idempotency keys, and sealed
//! (encrypted) mail for clients.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{text, ts, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    CancellationCutoffHours,
    PolishHolidays,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    TenantId,
    Id,
    Name,
    Description,
    DurationMin,
    PriceMinor,
    Currency,
    BufferBeforeMin,
    BufferAfterMin,
    MinNoticeMin,
    MaxAdvanceDays,
    StepMin,
    Capacity,
    RequiresApproval,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    TenantId,
    Id,
    Name,
    UserId,
    TimeZone,
    WeeklyHours,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServiceStaff {
    Table,
    TenantId,
    ServiceId,
    StaffId,
}

#[derive(DeriveIden)]
enum StaffOverrides {
    Table,
    TenantId,
    StaffId,
    Day,
    Intervals,
}

#[derive(DeriveIden)]
enum Closures {
    Table,
    TenantId,
    Id,
    StartsOn,
    EndsOn,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    TenantId,
    Id,
    ServiceId,
    StaffId,
    ClientId,
    Status,
    StartsAt,
    EndsAt,
    OccupiedStart,
    OccupiedEnd,
    ClassKey,
    Seats,
    ClientZone,
    Notes,
    ManageTokenHash,
    CancelledBy,
    CancelReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Sealed,
    AttachmentName,
    Attachment,
}

fn int(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).integer().not_null().take()
}

fn flag(col: impl IntoIden, default: bool) -> ColumnDef {
    ColumnDef::new(col)
        .boolean()
        .not_null()
        .default(default)
        .take()
}

fn tenant_fk(table: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(Tenants::CancellationCutoffHours)
                .integer()
                .not_null()
                .default(24)
                .take(),
            flag(Tenants::PolishHolidays, false),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(uuid(Services::TenantId))
                    .col(uuid(Services::Id))
                    .col(text(Services::Name))
                    .col(ColumnDef::new(Services::Description).text().not_null())
                    .col(int(Services::DurationMin))
                    .col(
                        ColumnDef::new(Services::PriceMinor)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Services::Currency))
                    .col(int(Services::BufferBeforeMin))
                    .col(int(Services::BufferAfterMin))
                    .col(int(Services::MinNoticeMin))
                    .col(int(Services::MaxAdvanceDays))
                    .col(int(Services::StepMin))
                    .col(int(Services::Capacity))
                    .col(flag(Services::RequiresApproval, false))
                    .col(flag(Services::Active, true))
                    .col(ts(Services::CreatedAt))
                    .col(ts(Services::UpdatedAt))
                    .primary_key(Index::create().col(Services::TenantId).col(Services::Id))
                    .foreign_key(&mut tenant_fk(Services::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Staff::Table)
                    .col(uuid(Staff::TenantId))
                    .col(uuid(Staff::Id))
                    .col(text(Staff::Name))
                    .col(ColumnDef::new(Staff::UserId).uuid().null())
                    .col(text(Staff::TimeZone))
                    .col(ColumnDef::new(Staff::WeeklyHours).text().not_null())
                    .col(flag(Staff::Active, true))
                    .col(ts(Staff::CreatedAt))
                    .col(ts(Staff::UpdatedAt))
                    .primary_key(Index::create().col(Staff::TenantId).col(Staff::Id))
                    .foreign_key(&mut tenant_fk(Staff::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceStaff::Table)
                    .col(uuid(ServiceStaff::TenantId))
                    .col(uuid(ServiceStaff::ServiceId))
                    .col(uuid(ServiceStaff::StaffId))
                    .primary_key(
                        Index::create()
                            .col(ServiceStaff::TenantId)
                            .col(ServiceStaff::ServiceId)
                            .col(ServiceStaff::StaffId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(ServiceStaff::Table)
                            .from_col(ServiceStaff::TenantId)
                            .from_col(ServiceStaff::ServiceId)
                            .to_tbl(Services::Table)
                            .to_col(Services::TenantId)
                            .to_col(Services::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(ServiceStaff::Table)
                            .from_col(ServiceStaff::TenantId)
                            .from_col(ServiceStaff::StaffId)
                            .to_tbl(Staff::Table)
                            .to_col(Staff::TenantId)
                            .to_col(Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffOverrides::Table)
                    .col(uuid(StaffOverrides::TenantId))
                    .col(uuid(StaffOverrides::StaffId))
                    .col(text(StaffOverrides::Day))
                    .col(ColumnDef::new(StaffOverrides::Intervals).text().not_null())
                    .primary_key(
                        Index::create()
                            .col(StaffOverrides::TenantId)
                            .col(StaffOverrides::StaffId)
                            .col(StaffOverrides::Day),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(StaffOverrides::Table)
                            .from_col(StaffOverrides::TenantId)
                            .from_col(StaffOverrides::StaffId)
                            .to_tbl(Staff::Table)
                            .to_col(Staff::TenantId)
                            .to_col(Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Closures::Table)
                    .col(uuid(Closures::TenantId))
                    .col(uuid(Closures::Id))
                    .col(text(Closures::StartsOn))
                    .col(text(Closures::EndsOn))
                    .col(text(Closures::Reason))
                    .col(ts(Closures::CreatedAt))
                    .primary_key(Index::create().col(Closures::TenantId).col(Closures::Id))
                    .foreign_key(&mut tenant_fk(Closures::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Bookings::Table)
                    .col(uuid(Bookings::TenantId))
                    .col(uuid(Bookings::Id))
                    .col(uuid(Bookings::ServiceId))
                    .col(uuid(Bookings::StaffId))
                    .col(uuid(Bookings::ClientId))
                    .col(text(Bookings::Status))
                    .col(ts(Bookings::StartsAt))
                    .col(ts(Bookings::EndsAt))
                    .col(ts(Bookings::OccupiedStart))
                    .col(ts(Bookings::OccupiedEnd))
                    .col(text(Bookings::ClassKey))
                    .col(int(Bookings::Seats))
                    .col(text(Bookings::ClientZone))
                    .col(ColumnDef::new(Bookings::Notes).binary().null())
                    .col(text(Bookings::ManageTokenHash))
                    .col(ColumnDef::new(Bookings::CancelledBy).string().null())
                    .col(ColumnDef::new(Bookings::CancelReason).binary().null())
                    .col(ts(Bookings::CreatedAt))
                    .col(ts(Bookings::UpdatedAt))
                    .primary_key(Index::create().col(Bookings::TenantId).col(Bookings::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(Bookings::Table)
                            .from_col(Bookings::TenantId)
                            .from_col(Bookings::StaffId)
                            .to_tbl(Staff::Table)
                            .to_col(Staff::TenantId)
                            .to_col(Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(Bookings::Table)
                            .from_col(Bookings::TenantId)
                            .from_col(Bookings::ServiceId)
                            .to_tbl(Services::Table)
                            .to_col(Services::TenantId)
                            .to_col(Services::Id),
                    )
                    .index(
                        Index::create()
                            .name("bookings_manage_token_key")
                            .col(Bookings::ManageTokenHash)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bookings_staff_time_idx")
                    .table(Bookings::Table)
                    .col(Bookings::TenantId)
                    .col(Bookings::StaffId)
                    .col(Bookings::OccupiedStart)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("bookings_time_idx")
                    .table(Bookings::Table)
                    .col(Bookings::TenantId)
                    .col(Bookings::StartsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::TenantId))
                    .col(text(IdempotencyKeys::Key))
                    .col(text(IdempotencyKeys::RequestHash))
                    .col(int(IdempotencyKeys::Status))
                    .col(ColumnDef::new(IdempotencyKeys::Body).text().not_null())
                    .col(ts(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::TenantId)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(&mut tenant_fk(IdempotencyKeys::Table))
                    .to_owned(),
            )
            .await?;

        for col in [
            flag(MailOutbox::Sealed, false),
            ColumnDef::new(MailOutbox::AttachmentName)
                .string()
                .null()
                .take(),
            ColumnDef::new(MailOutbox::Attachment)
                .binary()
                .null()
                .take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MailOutbox::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }

        if manager.get_database_backend() == DbBackend::Postgres {
            // The last line of defence: two active bookings of one staff
            // member never overlap (buffers included), whatever the
            // application does. Seats of one class share a class key.
            let db = manager.get_connection();
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
                   tenant_id WITH =,
                   staff_id WITH =,
                   class_key WITH <>,
                   tstzrange(occupied_start, occupied_end, '[)') WITH &&
                 ) WHERE (status IN ('confirmed', 'awaiting_payment', 'completed', 'no_show'))",
            )
            .await?;
        }
        for table in [
            "services",
            "staff",
            "service_staff",
            "staff_overrides",
            "closures",
            "bookings",
            "idempotency_keys",
        ] {
            rls::protect_tenant_table(manager, table, "tenant_id").await?;
        }
        Ok(())
    }
}
