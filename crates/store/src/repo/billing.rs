//! Termino's own billing: plan changes, applied and refused provider
//! events, and the plan payments Termino started.
//!
//! Provider notifications arrive without a tenant session; they run in a
//! plain transaction and name the tenant explicitly.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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

// ---- Plan payments Termino started, and refused notifications -----------

pub use crate::entities::plan_checkout::Model as PlanCheckoutRow;
pub use crate::entities::refused_payment_event::Model as RefusedEventRow;
use crate::entities::{plan_checkout, refused_payment_event};

/// Records a plan payment Termino started (the same one again, e.g. the
/// same Checkout Session replayed by its idempotency key, is kept once).
pub async fn record_checkout(
    db: &impl ConnectionTrait,
    row: PlanCheckoutRow,
) -> Result<(), StoreError> {
    plan_checkout::Entity::insert(plan_checkout::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([
                plan_checkout::Column::Provider,
                plan_checkout::Column::Reference,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn checkout(
    db: &impl ConnectionTrait,
    provider: &str,
    reference: &str,
) -> Result<Option<PlanCheckoutRow>, StoreError> {
    Ok(
        plan_checkout::Entity::find_by_id((provider.to_string(), reference.to_string()))
            .one(db)
            .await?,
    )
}

/// The Stripe checkout whose verified completion named `subscription`.
pub async fn checkout_by_subscription(
    db: &impl ConnectionTrait,
    subscription: &str,
) -> Result<Option<PlanCheckoutRow>, StoreError> {
    Ok(plan_checkout::Entity::find()
        .filter(plan_checkout::Column::Provider.eq("stripe"))
        .filter(plan_checkout::Column::SubscriptionId.eq(subscription))
        .one(db)
        .await?)
}

/// Whether the business has a Stripe checkout started since `since` and
/// not completed yet.
pub async fn has_open_checkout(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    since: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(plan_checkout::Entity::find()
        .filter(plan_checkout::Column::Provider.eq("stripe"))
        .filter(plan_checkout::Column::TenantId.eq(tenant))
        .filter(plan_checkout::Column::CompletedAt.is_null())
        .filter(plan_checkout::Column::CreatedAt.gt(since))
        .one(db)
        .await?
        .is_some())
}

/// The checkout was completed, for `subscription`.
pub async fn complete_checkout(
    db: &impl ConnectionTrait,
    row: PlanCheckoutRow,
    subscription: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut active: plan_checkout::ActiveModel = row.into();
    active.subscription_id = Set(subscription);
    active.completed_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}

/// Keeps a refused notification (once per event).
pub async fn record_refusal(
    db: &impl ConnectionTrait,
    row: RefusedEventRow,
) -> Result<(), StoreError> {
    refused_payment_event::Entity::insert(refused_payment_event::ActiveModel::from(row))
        .on_conflict(
            OnConflict::columns([
                refused_payment_event::Column::Provider,
                refused_payment_event::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The latest refused notifications, newest first.
pub async fn refused_events(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<RefusedEventRow>, StoreError> {
    Ok(refused_payment_event::Entity::find()
        .order_by_desc(refused_payment_event::Column::ReceivedAt)
        .order_by_asc(refused_payment_event::Column::EventId)
        .limit(limit)
        .all(db)
        .await?)
}
