//! Webhook endpoints and their deliveries.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

pub use crate::entities::webhook_delivery::Model as DeliveryRow;
use crate::entities::webhook_delivery::{self, Entity as Deliveries};
pub use crate::entities::webhook_endpoint::Model as EndpointRow;
use crate::entities::webhook_endpoint::{self, Entity as Endpoints};
use crate::{StoreError, TenantScope};

pub async fn insert_endpoint(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: EndpointRow,
) -> Result<EndpointRow, StoreError> {
    row.tenant_id = scope.id();
    Ok(webhook_endpoint::ActiveModel::from(row).insert(db).await?)
}

pub async fn save_endpoint(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: EndpointRow,
) -> Result<EndpointRow, StoreError> {
    if row.tenant_id != scope.id() {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "endpoint outside scope".into(),
        )));
    }
    let mut active = webhook_endpoint::ActiveModel::from(row.clone());
    active.url = Set(row.url);
    active.description = Set(row.description);
    active.events = Set(row.events);
    active.include_personal_data = Set(row.include_personal_data);
    active.active = Set(row.active);
    active.failing_since = Set(row.failing_since);
    active.failure_notified_at = Set(row.failure_notified_at);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

pub async fn endpoint(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<EndpointRow>, StoreError> {
    Ok(Endpoints::find_by_id((scope.id(), id)).one(db).await?)
}

/// Global: the delivery worker reaches every business's endpoints.
pub async fn endpoint_any(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    id: Uuid,
) -> Result<Option<EndpointRow>, StoreError> {
    Ok(Endpoints::find_by_id((tenant, id)).one(db).await?)
}

pub async fn endpoints(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<EndpointRow>, StoreError> {
    Ok(Endpoints::find()
        .filter(webhook_endpoint::Column::TenantId.eq(scope.id()))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn delete_endpoint(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<bool, StoreError> {
    let r = Endpoints::delete_many()
        .filter(webhook_endpoint::Column::TenantId.eq(scope.id()))
        .filter(webhook_endpoint::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn insert_delivery(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: DeliveryRow,
) -> Result<(), StoreError> {
    row.tenant_id = scope.id();
    webhook_delivery::ActiveModel::from(row).insert(db).await?;
    Ok(())
}

/// Due deliveries of every business, oldest first; locked with SKIP LOCKED
/// on PostgreSQL so several nodes never send one delivery twice.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let mut q = Deliveries::find()
        .filter(webhook_delivery::Column::Status.eq("pending"))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    Ok(q.all(db).await?)
}

pub async fn save_delivery(db: &impl ConnectionTrait, row: DeliveryRow) -> Result<(), StoreError> {
    let mut active = webhook_delivery::ActiveModel::from(row.clone());
    active.status = Set(row.status);
    active.attempts = Set(row.attempts);
    active.next_attempt_at = Set(row.next_attempt_at);
    active.last_status_code = Set(row.last_status_code);
    active.last_error = Set(row.last_error);
    active.delivered_at = Set(row.delivered_at);
    active.update(db).await?;
    Ok(())
}

/// Records the outcome of one attempt, unless a newer attempt has claimed
/// the delivery since (its number is higher): false then.
pub async fn save_attempt(db: &impl ConnectionTrait, row: DeliveryRow) -> Result<bool, StoreError> {
    let done = Deliveries::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(row.status))
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(row.next_attempt_at),
        )
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::value(row.last_status_code),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(row.last_error),
        )
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value(row.delivered_at),
        )
        .filter(webhook_delivery::Column::Id.eq(row.id))
        .filter(webhook_delivery::Column::Attempts.eq(row.attempts))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Deliveries whose payload carries this client's contact details.
pub async fn deliveries_carrying(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    client: Uuid,
) -> Result<Vec<DeliveryRow>, StoreError> {
    Ok(Deliveries::find()
        .filter(webhook_delivery::Column::TenantId.eq(scope.id()))
        .filter(webhook_delivery::Column::ClientId.eq(client))
        .all(db)
        .await?)
}

/// A payload rewritten without the client's details.
pub async fn replace_payload(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    payload: Vec<u8>,
) -> Result<(), StoreError> {
    Deliveries::update_many()
        .col_expr(webhook_delivery::Column::Payload, Expr::value(payload))
        .col_expr(
            webhook_delivery::Column::ClientId,
            Expr::value(Option::<Uuid>::None),
        )
        .filter(webhook_delivery::Column::TenantId.eq(scope.id()))
        .filter(webhook_delivery::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn deliveries(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    endpoint_id: Uuid,
    limit: u64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    Ok(Deliveries::find()
        .filter(webhook_delivery::Column::TenantId.eq(scope.id()))
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(webhook_delivery::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn delivery(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<DeliveryRow>, StoreError> {
    Ok(Deliveries::find_by_id((scope.id(), id)).one(db).await?)
}
