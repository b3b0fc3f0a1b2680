//! The text-message queue: written in the transaction of the change that
//! causes a message, claimed with a lease by the sender, its status moved
//! on by the gateway's delivery reports.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

pub use crate::entities::sms_message::Model as SmsRow;
use crate::entities::sms_message::{self, Column, Entity as Sms};
use crate::{StoreError, TenantScope};

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

pub struct NewSms {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub booking_id: Option<Uuid>,
    /// Sealed.
    pub phone: Vec<u8>,
    /// Sealed.
    pub body: Vec<u8>,
    pub provider: String,
    pub segments: i32,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewSms,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sms_message::ActiveModel {
        id: Set(new.id),
        tenant_id: Set(new.tenant_id),
        booking_id: Set(new.booking_id),
        phone: Set(new.phone),
        body: Set(Some(new.body)),
        provider: Set(new.provider),
        provider_id: Set(None),
        status: Set(QUEUED.into()),
        segments: Set(new.segments),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        delivered_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Messages a business queued since `since` that count against its plan:
/// all but those the gateway never took.
pub async fn count_since(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(Sms::find()
        .filter(Column::TenantId.eq(scope.id()))
        .filter(Column::CreatedAt.gte(since))
        .filter(
            sea_orm::Condition::any()
                .add(Column::Status.ne(FAILED))
                .add(Column::ProviderId.is_not_null()),
        )
        .count(db)
        .await?)
}

/// Claims due messages for one attempt each: the attempt is counted and
/// the message leased until `lease_until` in the caller's short
/// transaction (SKIP LOCKED on PostgreSQL), so the gateway call happens
/// outside any transaction.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<SmsRow>, StoreError> {
    let mut query = Sms::find()
        .filter(Column::Status.eq(QUEUED))
        .filter(Column::ProviderId.is_null())
        .filter(Column::NextAttemptAt.lte(now))
        .order_by_asc(Column::CreatedAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let mut claimed = query.all(db).await?;
    for row in &mut claimed {
        row.attempts += 1;
        row.next_attempt_at = lease_until;
        Sms::update_many()
            .col_expr(Column::Attempts, Expr::value(row.attempts))
            .col_expr(Column::NextAttemptAt, Expr::value(lease_until))
            .filter(Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(claimed)
}

/// How one claimed attempt ended.
pub enum Outcome<'a> {
    /// The gateway took it: the text is dropped, its id kept.
    Accepted {
        provider_id: &'a str,
        segments: Option<i32>,
        at: DateTime<Utc>,
    },
    /// Tried again at `retry`, or failed for good (`None`).
    Failed {
        error: &'a str,
        retry: Option<DateTime<Utc>>,
    },
}

/// Records attempt number `attempt`'s outcome unless a newer attempt
/// claimed the message since; false then.
pub async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: i32,
    outcome: Outcome<'_>,
) -> Result<bool, StoreError> {
    let mut update = Sms::update_many();
    match outcome {
        Outcome::Accepted {
            provider_id,
            segments,
            at,
        } => {
            update = update
                .col_expr(
                    Column::ProviderId,
                    Expr::value(Some(provider_id.to_string())),
                )
                .col_expr(Column::Status, Expr::value(SENT))
                .col_expr(Column::SentAt, Expr::value(Some(at)))
                .col_expr(Column::LastError, Expr::value(None::<String>))
                .col_expr(Column::Body, Expr::value(None::<Vec<u8>>));
            if let Some(n) = segments {
                update = update.col_expr(Column::Segments, Expr::value(n));
            }
        }
        Outcome::Failed { error, retry } => {
            let error: String = error.chars().take(500).collect();
            update = update.col_expr(Column::LastError, Expr::value(Some(error)));
            update = match retry {
                Some(at) => update.col_expr(Column::NextAttemptAt, Expr::value(at)),
                None => update
                    .col_expr(Column::Status, Expr::value(FAILED))
                    .col_expr(Column::Body, Expr::value(None::<Vec<u8>>)),
            };
        }
    }
    let done = update
        .filter(Column::Id.eq(id))
        .filter(Column::Attempts.eq(attempt))
        .filter(Column::Status.eq(QUEUED))
        .filter(Column::ProviderId.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// A delivery report: moves the message named by the gateway's id on,
/// never back (a late "sent" after "delivered" changes nothing). Returns
/// the business, when a message changed.
pub async fn report(
    db: &impl ConnectionTrait,
    provider: &str,
    provider_id: &str,
    status: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    let earlier: &[&str] = match status {
        SENT => &[QUEUED],
        DELIVERED | FAILED => &[QUEUED, SENT],
        _ => &[],
    };
    let Some(row) = Sms::find()
        .filter(Column::Provider.eq(provider))
        .filter(Column::ProviderId.eq(provider_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if !earlier.contains(&row.status.as_str()) {
        return Ok(None);
    }
    let mut update = Sms::update_many().col_expr(Column::Status, Expr::value(status));
    if status == DELIVERED {
        update = update.col_expr(Column::DeliveredAt, Expr::value(Some(at)));
    }
    if let Some(e) = error {
        let e: String = e.chars().take(500).collect();
        update = update.col_expr(Column::LastError, Expr::value(Some(e)));
    }
    let done = update
        .filter(Column::Id.eq(row.id))
        .filter(Column::Status.eq(row.status.clone()))
        .exec(db)
        .await?;
    Ok((done.rows_affected == 1).then_some(row.tenant_id))
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<SmsRow>, StoreError> {
    Ok(Sms::find_by_id(id)
        .filter(Column::TenantId.eq(scope.id()))
        .one(db)
        .await?)
}

/// A booking's messages, oldest first.
pub async fn of_booking(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    booking: Uuid,
) -> Result<Vec<SmsRow>, StoreError> {
    Ok(Sms::find()
        .filter(Column::TenantId.eq(scope.id()))
        .filter(Column::BookingId.eq(booking))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?)
}

/// A business's messages not yet handed to the gateway.
pub async fn queued_of(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<SmsRow>, StoreError> {
    Ok(Sms::find()
        .filter(Column::TenantId.eq(scope.id()))
        .filter(Column::Status.eq(QUEUED))
        .filter(Column::ProviderId.is_null())
        .all(db)
        .await?)
}

/// Drops a message not yet sent (its text erased), e.g. after a STOP.
pub async fn drop_queued(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    reason: &str,
) -> Result<bool, StoreError> {
    let done = Sms::update_many()
        .col_expr(Column::Status, Expr::value(FAILED))
        .col_expr(Column::LastError, Expr::value(Some(reason.to_string())))
        .col_expr(Column::Body, Expr::value(None::<Vec<u8>>))
        .filter(Column::TenantId.eq(scope.id()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(QUEUED))
        .filter(Column::ProviderId.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}
