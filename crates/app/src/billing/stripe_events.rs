//! Stripe's notifications to `/webhooks/stripe`, verified and then sorted
//! by where they come from. A connected account's (`account` set: the
//! business's own Stripe, for deposits) go to deposits only, never to
//! plans. Termino's own account's move plans, and only through a Checkout
//! Session Termino created for the business (recorded when it was made) or
//! the subscription its verified completion named, at Pro's price, in its
//! currency, for the amount that comes to (see [`super::plan_checks`]).
//! The ids in an object's metadata are never trusted for plans.

use crate::ConflictKind;
use chrono::{DateTime, Utc};
use serde_json::Value;
use termino_domain::plan::PlanKind;
use termino_payments::{PaymentProvider, Provider};
use termino_store::commit;
use termino_store::repo::billing::{self as repo, PlanChangeRow, PlanCheckoutRow};
use termino_store::repo::tenants::Tenant;
use uuid::Uuid;

use super::plan_checks::{check_invoice, check_session, check_subscription};
use super::refusals::{Refusal, Refused};
use super::{Applied, Interval, PLAN_CURRENCY, STATE_ACTIVE, STATE_CANCELLED, STATE_PAST_DUE};
use crate::{App, AppError, AppResult};

/// How long a Checkout Session stays open on Stripe (its default).
const SESSION_HOURS: i64 = 24;

/// Events that would move a plan, if they were Termino's.
fn is_plan_kind(kind: &str) -> bool {
    kind == "checkout.session.completed"
        || kind.starts_with("invoice.")
        || kind.starts_with("customer.subscription.")
}

/// The business an object names in its metadata or client reference: a
/// claim, only ever used to say whom a refused event pretended to be for.
fn claimed_tenant(object: &Value) -> Option<Uuid> {
    [
        &object["metadata"]["tenant_id"],
        &object["client_reference_id"],
        &object["parent"]["subscription_details"]["metadata"]["tenant_id"],
        &object["subscription_details"]["metadata"]["tenant_id"],
    ]
    .into_iter()
    .find_map(|v| v.as_str().and_then(|s| s.parse::<Uuid>().ok()))
}

/// The subscription an invoice belongs to: where API 2025-03-31 and later
/// put it, or the older top-level field.
fn subscription_of(invoice: &Value) -> Option<String> {
    invoice["parent"]["subscription_details"]["subscription"]
        .as_str()
        .or_else(|| invoice["subscription"].as_str())
        .map(str::to_string)
}

/// The end of the latest period an invoice pays for.
fn period_end(invoice: &Value) -> Option<DateTime<Utc>> {
    invoice["lines"]["data"]
        .as_array()?
        .iter()
        .filter_map(|line| line["period"]["end"].as_i64())
        .max()
        .and_then(|t| DateTime::from_timestamp(t, 0))
}

fn to_pro(tenant: &mut Tenant, now: DateTime<Utc>) {
    if tenant.plan != PlanKind::Pro.as_str() {
        tenant.plan = PlanKind::Pro.as_str().into();
        tenant.plan_started_at = now;
    }
    tenant.plan_state = STATE_ACTIVE.into();
}

fn ignored(id: &str, kind: &str) -> AppResult<Applied> {
    tracing::info!(event = %id, kind = %kind, "Stripe event acknowledged, nothing to do");
    Ok(Applied::Ignored)
}

/// One verified plan event about a checkout Termino made.
struct PlanEvent<'a> {
    id: &'a str,
    kind: &'a str,
    object: &'a Value,
    checkout: PlanCheckoutRow,
    /// The subscription a subscription's or invoice's event is about.
    subscription: Option<String>,
}

impl App {
    /// A notification from Stripe: verified, applied once by its event id,
    /// in one transaction with the change it causes.
    pub async fn apply_stripe_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Applied> {
        self.stripe()?
            .verify_notification(signature, body, self.now())
            .await
            .map_err(|e| {
                tracing::warn!(problem = %e, "a Stripe notification was refused");
                AppError::from(e)
            })?;
        let event: Value = serde_json::from_slice(body)
            .map_err(|_| AppError::invalid("body", "invalid_json", "not a JSON event"))?;
        let id = event["id"].as_str().unwrap_or_default();
        let kind = event["type"].as_str().unwrap_or_default();
        if id.is_empty() || kind.is_empty() {
            return Err(AppError::invalid("body", "invalid_event", "no id or type"));
        }
        match event["account"].as_str() {
            Some(account) => self.apply_connected_event(id, kind, &event, account).await,
            None => {
                self.apply_plan_event(id, kind, &event["data"]["object"])
                    .await
            }
        }
    }

    /// A connected account's event: its onboarding or a client's deposit.
    async fn apply_connected_event(
        &self,
        id: &str,
        kind: &str,
        event: &Value,
        account: &str,
    ) -> AppResult<Applied> {
        let object = &event["data"]["object"];
        if kind == "account.updated" {
            return self.apply_account_update(id, kind, object).await;
        }
        if object["metadata"]["payment_id"].is_string() {
            return self.apply_deposit_event(id, kind, event).await;
        }
        // The business's own account naming a business in a plan event:
        // an attempt at a plan Termino never sold.
        if is_plan_kind(kind)
            && let Some(tenant) = claimed_tenant(object)
        {
            let refused = Refused {
                provider: Provider::Stripe,
                event_id: id,
                kind,
                account: Some(account),
                tenant: Some(tenant),
            };
            return self.refuse(refused, Refusal::ConnectedAccount).await;
        }
        ignored(id, kind)
    }

    /// An event of Termino's own account: checked against the checkout it
    /// is about, then applied.
    async fn apply_plan_event(&self, id: &str, kind: &str, object: &Value) -> AppResult<Applied> {
        let db = self.db().connection();
        let refused = |tenant| Refused {
            provider: Provider::Stripe,
            event_id: id,
            kind,
            account: None,
            tenant,
        };
        let (checkout, subscription) = if kind == "checkout.session.completed" {
            if object["mode"] != "subscription" {
                return ignored(id, kind);
            }
            let session = object["id"].as_str().unwrap_or_default();
            let Some(checkout) = repo::checkout(db, Provider::Stripe.as_str(), session).await?
            else {
                return self
                    .refuse(refused(claimed_tenant(object)), Refusal::UnknownSession)
                    .await;
            };
            let again = checkout.completed_at.is_some()
                && checkout.subscription_id.as_deref() != object["subscription"].as_str();
            let checked = if again {
                Err(Refusal::AlreadyCompleted)
            } else {
                check_session(object, &checkout)
            };
            if let Err(reason) = checked {
                return self.refuse(refused(Some(checkout.tenant_id)), reason).await;
            }
            (checkout, None)
        } else if is_plan_kind(kind) {
            let subscription = if kind.starts_with("customer.subscription.") {
                object["id"].as_str().map(str::to_string)
            } else {
                subscription_of(object)
            };
            // An invoice of no subscription is not a plan's.
            let Some(subscription) = subscription else {
                return ignored(id, kind);
            };
            let Some(checkout) = repo::checkout_by_subscription(db, &subscription).await? else {
                return self.unknown_subscription(id, kind, object).await;
            };
            let checked = match kind {
                "invoice.paid" | "invoice.payment_succeeded" => check_invoice(object, &checkout),
                "customer.subscription.updated" => check_subscription(object, &checkout),
                _ => Ok(()),
            };
            if let Err(reason) = checked {
                return self.refuse(refused(Some(checkout.tenant_id)), reason).await;
            }
            (checkout, Some(subscription))
        } else {
            return ignored(id, kind);
        };
        self.apply_plan_change(PlanEvent {
            id,
            kind,
            object,
            checkout,
            subscription,
        })
        .await
    }

    /// A subscription no Termino checkout completed with. Stripe may send
    /// a new subscription's invoice before the checkout that made it: while
    /// a checkout of the business it names is open, it is not acknowledged
    /// (Stripe sends it again later, when the subscription is known).
    /// Otherwise it is refused.
    async fn unknown_subscription(
        &self,
        id: &str,
        kind: &str,
        object: &Value,
    ) -> AppResult<Applied> {
        let claimed = claimed_tenant(object);
        let since = self.now() - chrono::Duration::hours(SESSION_HOURS);
        if let Some(tenant) = claimed
            && repo::has_open_checkout(self.db().connection(), tenant, since).await?
        {
            tracing::info!(event = %id, kind = %kind, "a subscription's event before its checkout completed; Stripe sends it again");
            return Err(AppError::Conflict {
                kind: ConflictKind::UnknownSubscription,
                field: None,
                message: "the checkout of this subscription is not confirmed yet".into(),
            });
        }
        let refused = Refused {
            provider: Provider::Stripe,
            event_id: id,
            kind,
            account: None,
            tenant: claimed,
        };
        self.refuse(refused, Refusal::UnknownSubscription).await
    }

    async fn apply_plan_change(&self, e: PlanEvent<'_>) -> AppResult<Applied> {
        let (id, kind, object) = (e.id, e.kind, e.object);
        let now = self.now();
        let tx = self.db().begin().await?;
        let tenant = repo::tenant(&tx, e.checkout.tenant_id).await?;
        if !repo::record_event(
            &tx,
            Provider::Stripe.as_str(),
            id,
            kind,
            tenant.as_ref().map(|t| t.id),
            now,
        )
        .await?
        {
            commit(tx).await?;
            tracing::info!(event = %id, kind = %kind, "Stripe event already applied");
            return Ok(Applied::Duplicate);
        }
        let Some(mut tenant) = tenant else {
            commit(tx).await?;
            return ignored(id, kind);
        };
        let before = (
            tenant.plan.clone(),
            tenant.plan_state.clone(),
            tenant.paid_until,
        );
        let ids_before = (
            tenant.stripe_customer_id.clone(),
            tenant.stripe_subscription_id.clone(),
            tenant.billing_interval.clone(),
        );
        // A state change counts for the business's current subscription
        // only, not an earlier one it replaced.
        let current = e.subscription.is_some() && tenant.stripe_subscription_id == e.subscription;
        match kind {
            "checkout.session.completed" if object["payment_status"] != "unpaid" => {
                let subscription = object["subscription"].as_str().map(str::to_string);
                tenant.stripe_customer_id = object["customer"].as_str().map(str::to_string);
                tenant.stripe_subscription_id = subscription.clone();
                tenant.billing_interval = Interval::parse(&e.checkout.interval)
                    .map(|i| i.as_str().to_string())
                    .or(tenant.billing_interval);
                to_pro(&mut tenant, now);
                repo::complete_checkout(&tx, e.checkout, subscription, now).await?;
            }
            "invoice.paid" | "invoice.payment_succeeded" => {
                if let Some(end) = period_end(object) {
                    // Termino's own tax record, kept apart from the
                    // business's data.
                    if let Some(invoice) = object["id"].as_str() {
                        termino_store::repo::compliance::record_billing(
                            &tx,
                            termino_store::repo::compliance::BillingRecordRow {
                                id: Uuid::now_v7(),
                                tenant_id: tenant.id,
                                provider: Provider::Stripe.as_str().into(),
                                reference: invoice.to_string(),
                                amount_minor: object["amount_paid"].as_i64().unwrap_or(0),
                                currency: PLAN_CURRENCY.to_string(),
                                paid_at: now,
                                keep_until: termino_domain::retention::tax_record_keep_until(now),
                            },
                        )
                        .await?;
                    }
                    if tenant.paid_until.is_none_or(|p| p < end) {
                        tenant.paid_until = Some(end);
                    }
                    to_pro(&mut tenant, now);
                }
            }
            "invoice.payment_failed" if current => {
                // A failure for a period already paid (an old, late event)
                // changes nothing.
                let stale = period_end(object)
                    .zip(tenant.paid_until)
                    .is_some_and(|(end, paid)| end <= paid);
                if !stale && tenant.plan == PlanKind::Pro.as_str() {
                    tenant.plan_state = STATE_PAST_DUE.into();
                }
            }
            "customer.subscription.updated" if current => match object["status"].as_str() {
                Some("past_due" | "unpaid") => tenant.plan_state = STATE_PAST_DUE.into(),
                Some("active") => tenant.plan_state = STATE_ACTIVE.into(),
                Some("canceled") => tenant.plan_state = STATE_CANCELLED.into(),
                _ => {}
            },
            // Paid time stays paid; what happens after it ends is the
            // retention rules' business.
            "customer.subscription.deleted" if current => {
                tenant.plan_state = STATE_CANCELLED.into();
            }
            _ => {}
        }
        let after = (
            tenant.plan.clone(),
            tenant.plan_state.clone(),
            tenant.paid_until,
        );
        let ids_after = (
            tenant.stripe_customer_id.clone(),
            tenant.stripe_subscription_id.clone(),
            tenant.billing_interval.clone(),
        );
        if after == before {
            // The plan stands; ids learnt from the completion are kept.
            if ids_after != ids_before {
                tenant.updated_at = now;
                repo::save_billing(&tx, tenant).await?;
            }
            commit(tx).await?;
            tracing::info!(event = %id, kind = %kind, "Stripe event acknowledged, the plan stands");
            return Ok(Applied::Ignored);
        }
        tenant.updated_at = now;
        let saved = repo::save_billing(&tx, tenant).await?;
        repo::insert_plan_change(
            &tx,
            PlanChangeRow {
                tenant_id: saved.id,
                id: Uuid::now_v7(),
                plan: saved.plan.clone(),
                state: saved.plan_state.clone(),
                paid_until: saved.paid_until,
                reason: kind.to_string(),
                provider: Provider::Stripe.as_str().into(),
                event_id: Some(id.to_string()),
                created_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        tracing::info!(event = %id, kind = %kind, tenant = %saved.id, plan = %saved.plan, state = %saved.plan_state, "plan changed");
        Ok(Applied::Changed)
    }
}
