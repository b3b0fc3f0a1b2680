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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends, delivery_row, endpoint_row};

    async fn endpoints_are_kept_per_business(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let mut row = endpoint_row(&anna);
        // The scope decides the business, whatever the row says.
        row.tenant_id = bob.id();
        let saved = insert_endpoint(&tx, &anna, row).await.unwrap();
        assert_eq!(saved.tenant_id, anna.id());

        let mut changed = saved.clone();
        changed.url = "https://hooks.example.com/v2".into();
        changed.active = false;
        changed.failing_since = Some(at(5));
        save_endpoint(&tx, &anna, changed).await.unwrap();
        let got = endpoint(&tx, &anna, saved.id).await.unwrap().unwrap();
        assert_eq!(got.url, "https://hooks.example.com/v2");
        assert!(!got.active);
        assert_eq!(got.failing_since, Some(at(5)));
        assert_eq!(endpoints(&tx, &anna).await.unwrap().len(), 1);
        // Saving under another business's scope is refused.
        assert!(save_endpoint(&tx, &bob, got.clone()).await.is_err());
        tx.commit().await.unwrap();

        let tx = t.db.begin_tenant(&bob).await.unwrap();
        assert!(endpoint(&tx, &bob, saved.id).await.unwrap().is_none());
        assert!(endpoints(&tx, &bob).await.unwrap().is_empty());
        assert!(!delete_endpoint(&tx, &bob, saved.id).await.unwrap());
        tx.commit().await.unwrap();

        let db = t.db.connection();
        assert!(
            endpoint_any(db, anna.id(), saved.id)
                .await
                .unwrap()
                .is_some()
        );
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        assert!(delete_endpoint(&tx, &anna, saved.id).await.unwrap());
        assert!(endpoint(&tx, &anna, saved.id).await.unwrap().is_none());
        tx.commit().await.unwrap();
    }

    async fn deliveries_are_claimed_when_due_and_saved_by_their_attempt(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let ep = insert_endpoint(&tx, &anna, endpoint_row(&anna))
            .await
            .unwrap();
        let older = delivery_row(&ep, at(0));
        let newer = delivery_row(&ep, at(10));
        insert_delivery(&tx, &anna, older.clone()).await.unwrap();
        insert_delivery(&tx, &anna, newer.clone()).await.unwrap();
        tx.commit().await.unwrap();

        let db = t.db.connection();
        assert!(claim_due(db, at(-1), 10).await.unwrap().is_empty());
        let due = claim_due(db, at(5), 10).await.unwrap();
        assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![older.id]);

        // The worker leases it as attempt 1 (as crates/app does).
        let mut leased = due[0].clone();
        leased.attempts = 1;
        leased.next_attempt_at = at(65);
        save_delivery(db, leased.clone()).await.unwrap();
        let due = claim_due(db, at(20), 10).await.unwrap();
        assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![newer.id]);

        // The lease ran out and attempt 2 took over.
        let mut second = leased.clone();
        second.attempts = 2;
        second.next_attempt_at = at(130);
        save_delivery(db, second.clone()).await.unwrap();

        let mut late = leased.clone();
        late.status = "delivered".into();
        late.delivered_at = Some(at(70));
        late.last_status_code = Some(200);
        assert!(!save_attempt(db, late).await.unwrap(), "attempt 1 is stale");
        let mut outcome = second.clone();
        outcome.status = "delivered".into();
        outcome.delivered_at = Some(at(71));
        outcome.last_status_code = Some(204);
        assert!(save_attempt(db, outcome).await.unwrap());

        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let row = delivery(&tx, &anna, older.id).await.unwrap().unwrap();
        assert_eq!(row.status, "delivered");
        assert_eq!(row.attempts, 2);
        assert_eq!(row.last_status_code, Some(204));
        assert_eq!(row.delivered_at, Some(at(71)));
        let listed: Vec<Uuid> = deliveries(&tx, &anna, ep.id, 10)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(listed, vec![newer.id, older.id], "newest first");
        assert_eq!(deliveries(&tx, &anna, ep.id, 1).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
        // Delivered is no longer due.
        let due = claim_due(db, at(1000), 10).await.unwrap();
        assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![newer.id]);
    }

    async fn a_client_is_taken_out_of_payloads_carrying_them(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let ep = insert_endpoint(&tx, &anna, endpoint_row(&anna))
            .await
            .unwrap();
        let client = Uuid::now_v7();
        let mut carrying = delivery_row(&ep, at(0));
        carrying.client_id = Some(client);
        insert_delivery(&tx, &anna, carrying.clone()).await.unwrap();
        insert_delivery(&tx, &anna, delivery_row(&ep, at(1)))
            .await
            .unwrap();

        let found = deliveries_carrying(&tx, &anna, client).await.unwrap();
        assert_eq!(
            found.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![carrying.id]
        );
        replace_payload(&tx, &anna, carrying.id, b"scrubbed".to_vec())
            .await
            .unwrap();
        assert!(
            deliveries_carrying(&tx, &anna, client)
                .await
                .unwrap()
                .is_empty()
        );
        let row = delivery(&tx, &anna, carrying.id).await.unwrap().unwrap();
        assert_eq!(row.payload, b"scrubbed".to_vec());
        assert_eq!(row.client_id, None);
        tx.commit().await.unwrap();
    }

    both_backends!(
        endpoints_are_kept_per_business,
        deliveries_are_claimed_when_due_and_saved_by_their_attempt,
        a_client_is_taken_out_of_payloads_carrying_them,
    );
}
