//! Clients' payments for bookings, and the holds they wait under.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::entities::booking::{self, Entity as Bookings};
pub use crate::entities::payment::Model as PaymentRow;
use crate::entities::payment::{self, Entity as Payments};
use crate::entities::tenant::{self, Entity as Tenants};
use crate::repo::scheduling::BookingRow;
use crate::repo::tenants::Tenant;
use crate::{StoreError, TenantScope};

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: PaymentRow,
) -> Result<PaymentRow, StoreError> {
    row.tenant_id = scope.id();
    Ok(payment::ActiveModel::from(row).insert(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<PaymentRow>, StoreError> {
    Ok(Payments::find_by_id((scope.id(), id)).one(db).await?)
}

pub async fn for_booking(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    booking: Uuid,
) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(Payments::find()
        .filter(payment::Column::TenantId.eq(scope.id()))
        .filter(payment::Column::BookingId.eq(booking))
        .order_by_asc(payment::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn save(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: PaymentRow,
) -> Result<PaymentRow, StoreError> {
    if row.tenant_id != scope.id() {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "payment outside scope".into(),
        )));
    }
    let mut active = payment::ActiveModel::from(row.clone());
    active.provider_ref = Set(row.provider_ref);
    active.payment_ref = Set(row.payment_ref);
    active.status = Set(row.status);
    active.refund_minor = Set(row.refund_minor);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

/// Global: refunds still to make, for the background worker.
pub async fn refunds_due(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<PaymentRow>, StoreError> {
    Ok(Payments::find()
        .filter(payment::Column::Status.is_in(["refund_due", "refunding"]))
        .order_by_asc(payment::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Global: bookings whose payment hold has run out.
pub async fn expired_holds(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<BookingRow>, StoreError> {
    Ok(Bookings::find()
        .filter(booking::Column::Status.eq("awaiting_payment"))
        .filter(booking::Column::PaymentDueBy.lt(now))
        .order_by_asc(booking::Column::PaymentDueBy)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn tenant_by_stripe_account(
    db: &impl ConnectionTrait,
    account: &str,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find()
        .filter(tenant::Column::StripeAccountId.eq(account))
        .one(db)
        .await?)
}

/// Writes the connected-account columns of a tenant (not the sealed tpay
/// credentials: a row read earlier must not write back an old ciphertext
/// over one a key rotation has since re-encrypted).
pub async fn save_connection(db: &impl ConnectionTrait, row: Tenant) -> Result<Tenant, StoreError> {
    let mut active: tenant::ActiveModel = row.clone().into();
    active.stripe_account_id = Set(row.stripe_account_id);
    active.stripe_account_ready = Set(row.stripe_account_ready);
    active.payment_hold_minutes = Set(row.payment_hold_minutes);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

/// Stores a business's tpay credentials, sealed.
pub async fn save_tpay_credentials(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    sealed: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    Tenants::update_many()
        .col_expr(tenant::Column::TpayCredentials, Expr::value(sealed))
        .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
        .filter(tenant::Column::Id.eq(scope.id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims a due refund for one caller: the worker and the request that
/// caused it may both try; one wins. A claim older than `stale_before`
/// (a crash mid-call) can be taken again — the provider's idempotency key
/// makes the repeat harmless.
pub async fn claim_refund(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool, StoreError> {
    use sea_orm::sea_query::{Condition, Expr};
    let r = Payments::update_many()
        .col_expr(payment::Column::Status, Expr::value("refunding"))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::TenantId.eq(scope.id()))
        .filter(payment::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(payment::Column::Status.eq("refund_due"))
                .add(
                    Condition::all()
                        .add(payment::Column::Status.eq("refunding"))
                        .add(payment::Column::UpdatedAt.lt(stale_before)),
                ),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Global: a payment by its id alone (a provider's notification names it
/// before we know its business).
pub async fn find_any(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<PaymentRow>, StoreError> {
    Ok(Payments::find()
        .filter(payment::Column::Id.eq(id))
        .one(db)
        .await?)
}
