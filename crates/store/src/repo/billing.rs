//! Termino's own billing: plan changes and applied provider events.
//!
//! Provider notifications arrive without a tenant session; they run in a
//! plain transaction and name the tenant explicitly.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::entities::payment_event::{self, Entity as PaymentEvents};
pub use crate::entities::plan_change::Model as PlanChangeRow;
use crate::entities::plan_change::{self, Entity as PlanChanges};
use crate::entities::tenant::{self, Entity as Tenants};
use crate::repo::tenants::Tenant;
use crate::{StoreError, TenantScope};

/// Records that an event is being applied. `false`: it was applied before
/// (the caller then changes nothing). Runs in the caller's transaction, so
/// the record and the change it causes commit together.
pub async fn record_event(
    db: &impl ConnectionTrait,
    provider: &str,
    event_id: &str,
    kind: &str,
    tenant: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = payment_event::ActiveModel {
        provider: Set(provider.to_string()),
        event_id: Set(event_id.to_string()),
        kind: Set(kind.to_string()),
        tenant_id: Set(tenant),
        received_at: Set(now),
    };
    match row.insert(db).await {
        Ok(_) => Ok(true),
        Err(e) => match StoreError::from(e) {
            StoreError::Unique(_) => Ok(false),
            other => Err(other),
        },
    }
}

pub async fn event_applied(
    db: &impl ConnectionTrait,
    provider: &str,
    event_id: &str,
) -> Result<bool, StoreError> {
    Ok(
        PaymentEvents::find_by_id((provider.to_string(), event_id.to_string()))
            .one(db)
            .await?
            .is_some(),
    )
}

pub async fn insert_plan_change(
    db: &impl ConnectionTrait,
    row: PlanChangeRow,
) -> Result<(), StoreError> {
    plan_change::ActiveModel::from(row).insert(db).await?;
    Ok(())
}

pub async fn plan_changes(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<PlanChangeRow>, StoreError> {
    Ok(PlanChanges::find()
        .filter(plan_change::Column::TenantId.eq(scope.id()))
        .order_by_asc(plan_change::Column::CreatedAt)
        .order_by_asc(plan_change::Column::Id)
        .all(db)
        .await?)
}

/// The tenant for a provider notification, by id.
pub async fn tenant(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find_by_id(id).one(db).await?)
}

pub async fn tenant_by_subscription(
    db: &impl ConnectionTrait,
    subscription: &str,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find()
        .filter(tenant::Column::StripeSubscriptionId.eq(subscription))
        .one(db)
        .await?)
}

/// Writes the billing columns of a tenant.
pub async fn save_billing(db: &impl ConnectionTrait, row: Tenant) -> Result<Tenant, StoreError> {
    let mut active: tenant::ActiveModel = row.clone().into();
    active.plan = Set(row.plan);
    active.plan_started_at = Set(row.plan_started_at);
    active.paid_until = Set(row.paid_until);
    active.plan_state = Set(row.plan_state);
    active.billing_interval = Set(row.billing_interval);
    active.stripe_customer_id = Set(row.stripe_customer_id);
    active.stripe_subscription_id = Set(row.stripe_subscription_id);
    active.plan_reminder_sent = Set(row.plan_reminder_sent);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

/// Paid plans without a subscription (paid period by period) ending
/// before `until`: the renewal reminders' candidates.
pub async fn plans_ending(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Tenant>, StoreError> {
    Ok(Tenants::find()
        .filter(tenant::Column::Plan.eq("pro"))
        .filter(tenant::Column::StripeSubscriptionId.is_null())
        .filter(tenant::Column::PaidUntil.gt(now))
        .filter(tenant::Column::PaidUntil.lte(until))
        .all(db)
        .await?)
}
