//! Termino's own billing: a business moves from its trial to Pro by paying
//! through Stripe Checkout (subscription mode); Stripe's verified
//! notifications move the plan — paid until, renewed, past due, cancelled —
//! and every change is kept in `plan_changes` with its time.
//!
//! Nothing personal goes to Stripe: the tenant's id is the only reference
//! (Checkout asks the payer for their own details).

pub mod stripe_signature;

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Datelike, Utc};
use serde_json::Value;
use stripe::{ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionSubscriptionData, ProductData,
};
use termino_domain::account::Role;
use termino_domain::plan::PlanKind;
use termino_store::commit;
use termino_store::repo::billing::{self as repo, PlanChangeRow};
use termino_store::repo::tenants::Tenant;
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult, StripeConfig};

/// Pro, per active staff member (at least one), in grosze.
pub const PRO_MONTHLY_PER_STAFF_MINOR: i64 = 4_900;
/// A year for the price of ten months.
pub const PRO_YEARLY_PER_STAFF_MINOR: i64 = 49_000;
pub const PLAN_CURRENCY: &str = "pln";

/// Calls to the provider: each attempt is bounded, and a failed call is
/// tried again with the same idempotency key, so it never charges twice.
const CALL_TIMEOUT: StdDuration = StdDuration::from_secs(10);
const CALL_ATTEMPTS: u32 = 3;

pub const STATE_ACTIVE: &str = "active";
pub const STATE_PAST_DUE: &str = "past_due";
pub const STATE_CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "month" => Some(Self::Month),
            "year" => Some(Self::Year),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    pub fn per_staff_minor(self) -> i64 {
        match self {
            Self::Month => PRO_MONTHLY_PER_STAFF_MINOR,
            Self::Year => PRO_YEARLY_PER_STAFF_MINOR,
        }
    }
}

/// What the owner sees of the plan.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub plan: String,
    pub state: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub paid_until: Option<DateTime<Utc>>,
    pub interval: Option<String>,
    pub has_subscription: bool,
    /// Active staff members: the number of seats a Pro plan is priced for.
    pub seats: i64,
    pub online_payment: bool,
    /// Plans can be paid period by period through tpay.
    pub tpay_available: bool,
    pub history: Vec<PlanChangeRow>,
}

/// What became of a provider notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Verified and applied.
    Changed,
    /// Verified; applied before (same event id), nothing changed now.
    Duplicate,
    /// Verified; nothing to do for this event type or object.
    Ignored,
}

fn owner_only(principal: &Principal) -> AppResult<()> {
    principal.require(
        principal.user_id().is_some() && principal.role() == Role::Owner,
        "managing the plan",
    )
}

fn provider_down(what: &str, err: impl std::fmt::Display) -> AppError {
    // Stripe's error texts name no personal data; ours carry none either.
    tracing::warn!(call = what, error = %err, "payment provider call failed");
    AppError::Unavailable(format!("the payment provider did not answer ({what})"))
}

pub(crate) fn client_for(config: &StripeConfig) -> AppResult<stripe::Client> {
    ClientBuilder::new(config.secret_key.clone())
        .url(config.api_base.clone())
        .timeout(CALL_TIMEOUT)
        .build()
        .map_err(|e| provider_down("client", e))
}

/// Runs `call` up to [`CALL_ATTEMPTS`] times with a short back-off; the
/// caller passes the same idempotency key every time.
pub(crate) async fn with_retries<T, F, Fut>(what: &str, mut call: F) -> AppResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, stripe::StripeError>>,
{
    let mut last = None;
    for attempt in 0..CALL_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(StdDuration::from_millis(200 * 4u64.pow(attempt - 1))).await;
        }
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(provider_down(
        what,
        last.map(|e| e.to_string()).unwrap_or_default(),
    ))
}

fn idempotency(key: String) -> AppResult<RequestStrategy> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("idempotency key: {e:?}")))
}

impl App {
    fn stripe_config(&self) -> AppResult<&StripeConfig> {
        self.config().stripe.as_ref().ok_or_else(|| {
            AppError::Unavailable("online payment is not configured on this server".into())
        })
    }

    pub async fn plan(&self, principal: &Principal) -> AppResult<PlanView> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let tenant = termino_store::repo::tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        let history = repo::plan_changes(&tx, &principal.tenant).await?;
        let seats = termino_store::repo::scheduling::staff(&tx, &principal.tenant, true)
            .await?
            .len()
            .max(1) as i64;
        commit(tx).await?;
        Ok(PlanView {
            plan: tenant.plan,
            state: tenant.plan_state,
            trial_ends_at: tenant.trial_ends_at,
            paid_until: tenant.paid_until,
            interval: tenant.billing_interval,
            has_subscription: tenant.stripe_customer_id.is_some(),
            seats,
            online_payment: self.config().stripe.is_some(),
            tpay_available: self.config().tpay_plans.is_some(),
            history,
        })
    }

    /// A Stripe Checkout page for Pro, priced per active staff member.
    /// Returns its address.
    pub async fn start_plan_checkout(
        &self,
        principal: &Principal,
        interval: Interval,
    ) -> AppResult<String> {
        owner_only(principal)?;
        let config = self.stripe_config()?;
        let view = self.plan(principal).await?;
        let tenant = principal.tenant.id();
        let mut metadata = HashMap::new();
        metadata.insert("tenant_id".to_string(), tenant.to_string());
        metadata.insert("interval".to_string(), interval.as_str().to_string());
        let public = self.config().public_url.trim_end_matches('/').to_string();
        // One key per business, choice and day: a retried or repeated
        // click within the day gets the same session, never a second one.
        let key = format!(
            "plan-checkout:{tenant}:{}:{}:{}",
            interval.as_str(),
            view.seats,
            self.now().date_naive()
        );
        let client = client_for(config)?;
        let strategy = idempotency(key)?;
        let customer = self.stripe_customer(principal).await?;
        let session = with_retries("checkout", || {
            let mut price =
                CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::PLN);
            price.unit_amount = Some(interval.per_staff_minor());
            price.product_data = Some(ProductData::new("Termino Pro"));
            price.recurring = Some(CreateCheckoutSessionLineItemsPriceDataRecurring::new(
                match interval {
                    Interval::Month => {
                        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month
                    }
                    Interval::Year => {
                        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year
                    }
                },
            ));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(view.seats as u64);
            let mut subscription = CreateCheckoutSessionSubscriptionData::new();
            subscription.metadata = Some(metadata.clone());
            let mut create = CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Subscription)
                .line_items(vec![item])
                .subscription_data(subscription)
                .client_reference_id(tenant.to_string())
                .metadata(metadata.clone())
                .success_url(format!("{public}/app/plan?paid=1"))
                .cancel_url(format!("{public}/app/plan"));
            if let Some(customer) = &customer {
                create = create.customer(customer.clone());
            }
            create
                .customize()
                .request_strategy(strategy.clone())
                .send(&client)
        })
        .await?;
        session
            .url
            .ok_or_else(|| provider_down("checkout", "the session has no address"))
    }

    async fn stripe_customer(&self, principal: &Principal) -> AppResult<Option<String>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let tenant = termino_store::repo::tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        Ok(tenant.stripe_customer_id)
    }

    /// Stripe's Customer Portal (card changes, invoices, cancellation).
    pub async fn billing_portal(&self, principal: &Principal) -> AppResult<String> {
        owner_only(principal)?;
        let config = self.stripe_config()?;
        let customer = self
            .stripe_customer(principal)
            .await?
            .ok_or(AppError::Conflict {
                kind: "no-subscription",
                field: None,
                message: "there is no paid plan to manage yet".into(),
            })?;
        let client = client_for(config)?;
        let public = self.config().public_url.trim_end_matches('/').to_string();
        let session = with_retries("portal", || {
            stripe_billing::billing_portal_session::CreateBillingPortalSession::new()
                .customer(customer.clone())
                .return_url(format!("{public}/app/plan"))
                .customize()
                .send(&client)
        })
        .await?;
        Ok(session.url)
    }

    /// A notification from Stripe: verified, applied once by its event id,
    /// in one transaction with the change it causes.
    pub async fn apply_stripe_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Applied> {
        let config = self.stripe_config()?;
        stripe_signature::verify(signature, body, &config.webhook_secrets, self.now()).map_err(
            |e| {
                tracing::warn!(problem = %e, "a Stripe notification was refused");
                AppError::invalid("stripe-signature", "invalid_signature", e.to_string())
            },
        )?;
        let event: Value = serde_json::from_slice(body)
            .map_err(|_| AppError::invalid("body", "invalid_json", "not a JSON event"))?;
        let id = event["id"].as_str().unwrap_or_default().to_string();
        let kind = event["type"].as_str().unwrap_or_default().to_string();
        if id.is_empty() || kind.is_empty() {
            return Err(AppError::invalid("body", "invalid_event", "no id or type"));
        }
        let object = &event["data"]["object"];
        // A connected account's news, or a client's payment for a booking:
        // not Termino's own billing.
        if kind == "account.updated" {
            return self.apply_account_update(&id, &kind, object).await;
        }
        if object["metadata"]["payment_id"].is_string() {
            return self.apply_deposit_event(&id, &kind, &event).await;
        }
        let now = self.now();
        let tx = self.db().begin().await?;
        let tenant = self.tenant_of_stripe_object(&tx, &kind, object).await?;
        if !repo::record_event(
            &tx,
            "stripe",
            &id,
            &kind,
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
            tracing::info!(event = %id, kind = %kind, "Stripe event acknowledged, nothing to do");
            return Ok(Applied::Ignored);
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
        match kind.as_str() {
            "checkout.session.completed"
                if object["mode"] == "subscription" && object["payment_status"] != "unpaid" =>
            {
                tenant.stripe_customer_id = object["customer"].as_str().map(str::to_string);
                tenant.stripe_subscription_id = object["subscription"].as_str().map(str::to_string);
                tenant.billing_interval = object["metadata"]["interval"]
                    .as_str()
                    .and_then(Interval::parse)
                    .map(|i| i.as_str().to_string())
                    .or(tenant.billing_interval);
                self.to_pro(&mut tenant, now);
            }
            "invoice.paid" | "invoice.payment_succeeded" => {
                if object["currency"].as_str() != Some(PLAN_CURRENCY) {
                    tracing::warn!(event = %id, "a plan invoice in an unexpected currency was not applied");
                } else if let Some(end) = period_end(object) {
                    // Termino's own tax record, kept apart from the
                    // business's data.
                    if let Some(invoice) = object["id"].as_str() {
                        termino_store::repo::compliance::record_billing(
                            &tx,
                            termino_store::repo::compliance::BillingRecordRow {
                                id: Uuid::now_v7(),
                                tenant_id: tenant.id,
                                provider: "stripe".into(),
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
                    if let Some(customer) = object["customer"].as_str() {
                        tenant.stripe_customer_id = Some(customer.to_string());
                    }
                    if let Some(sub) = subscription_of(object) {
                        tenant.stripe_subscription_id = Some(sub);
                    }
                    self.to_pro(&mut tenant, now);
                    tenant.plan_state = STATE_ACTIVE.into();
                }
            }
            "invoice.payment_failed" => {
                // A failure for a period already paid (an old, late event)
                // changes nothing.
                let stale = period_end(object)
                    .zip(tenant.paid_until)
                    .is_some_and(|(end, paid)| end <= paid);
                if !stale && tenant.plan == PlanKind::Pro.as_str() {
                    tenant.plan_state = STATE_PAST_DUE.into();
                }
            }
            "customer.subscription.updated" => match object["status"].as_str() {
                Some("past_due" | "unpaid") => tenant.plan_state = STATE_PAST_DUE.into(),
                Some("active") => tenant.plan_state = STATE_ACTIVE.into(),
                Some("canceled") => tenant.plan_state = STATE_CANCELLED.into(),
                _ => {}
            },
            "customer.subscription.deleted" => {
                // Paid time stays paid; what happens after it ends is the
                // retention rules' business.
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
            // The plan stands; ids learnt from the event are still kept.
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
                reason: kind.clone(),
                provider: "stripe".into(),
                event_id: Some(id.clone()),
                created_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        tracing::info!(event = %id, kind = %kind, tenant = %saved.id, plan = %saved.plan, state = %saved.plan_state, "plan changed");
        Ok(Applied::Changed)
    }

    fn to_pro(&self, tenant: &mut Tenant, now: DateTime<Utc>) {
        if tenant.plan != PlanKind::Pro.as_str() {
            tenant.plan = PlanKind::Pro.as_str().into();
            tenant.plan_started_at = now;
        }
        tenant.plan_state = STATE_ACTIVE.into();
    }

    /// Our tenant for a Stripe object: the id we put in its metadata (or
    /// as the client reference), else the subscription we recorded.
    async fn tenant_of_stripe_object(
        &self,
        tx: &termino_store::Tx,
        kind: &str,
        object: &Value,
    ) -> AppResult<Option<Tenant>> {
        let from_metadata = [
            &object["metadata"]["tenant_id"],
            &object["client_reference_id"],
            &object["parent"]["subscription_details"]["metadata"]["tenant_id"],
            &object["subscription_details"]["metadata"]["tenant_id"],
        ]
        .into_iter()
        .find_map(|v| v.as_str().and_then(|s| s.parse::<Uuid>().ok()));
        if let Some(id) = from_metadata {
            return Ok(repo::tenant(tx, id).await?);
        }
        let subscription = if kind.starts_with("customer.subscription.") {
            object["id"].as_str().map(str::to_string)
        } else {
            subscription_of(object)
        };
        match subscription {
            Some(sub) => Ok(repo::tenant_by_subscription(tx, &sub).await?),
            None => Ok(None),
        }
    }
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

fn plan_limit(message: String) -> AppError {
    AppError::Conflict {
        kind: "plan-limit",
        field: None,
        message,
    }
}

/// The free plan keeps one active staff member (`except`: the one being
/// changed, already counted or not).
pub(crate) async fn check_staff_limit(
    tx: &termino_store::Tx,
    scope: &termino_store::TenantScope,
    except: Option<Uuid>,
) -> AppResult<()> {
    let tenant = termino_store::repo::tenants::get(tx, scope)
        .await?
        .ok_or(AppError::NotFound)?;
    if tenant.plan != PlanKind::Free.as_str() {
        return Ok(());
    }
    let active = termino_store::repo::scheduling::staff(tx, scope, true)
        .await?
        .into_iter()
        .filter(|s| Some(s.id) != except)
        .count();
    if active >= termino_domain::plan::FREE_STAFF_LIMIT {
        return Err(plan_limit(format!(
            "the free plan has {} active staff member; upgrade to Pro for more",
            termino_domain::plan::FREE_STAFF_LIMIT
        )));
    }
    Ok(())
}

/// The free plan takes a limited number of bookings a calendar month.
pub(crate) async fn check_booking_cap(
    tx: &termino_store::Tx,
    scope: &termino_store::TenantScope,
    tenant: &Tenant,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if tenant.plan != PlanKind::Free.as_str() {
        return Ok(());
    }
    let month_start = now
        .date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now);
    let taken =
        termino_store::repo::scheduling::count_created_since(tx, scope, month_start).await?;
    if taken >= termino_domain::plan::FREE_MONTHLY_BOOKINGS {
        return Err(plan_limit(format!(
            "the free plan takes {} bookings a month; this month's are used",
            termino_domain::plan::FREE_MONTHLY_BOOKINGS
        )));
    }
    Ok(())
}

impl App {
    /// The owner keeps Termino for free, within the free plan's limits:
    /// from the trial, or after a paid plan was cancelled.
    pub async fn choose_free_plan(&self, principal: &Principal) -> AppResult<()> {
        owner_only(principal)?;
        let scope = principal.tenant;
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        let mut tenant = termino_store::repo::tenants::get(&tx, &scope)
            .await?
            .ok_or(AppError::NotFound)?;
        let paid_running = tenant.plan == PlanKind::Pro.as_str()
            && tenant.plan_state != STATE_CANCELLED
            && tenant.paid_until.is_some_and(|p| p > now);
        if tenant.plan == PlanKind::Free.as_str() || paid_running {
            return Err(AppError::Conflict {
                kind: "plan-change",
                field: None,
                message: "cancel the paid plan first (in Stripe's portal)".into(),
            });
        }
        let active = termino_store::repo::scheduling::staff(&tx, &scope, true)
            .await?
            .len();
        if active > termino_domain::plan::FREE_STAFF_LIMIT {
            return Err(plan_limit(format!(
                "the free plan has {} active staff member; set the others inactive first",
                termino_domain::plan::FREE_STAFF_LIMIT
            )));
        }
        tenant.plan = PlanKind::Free.as_str().into();
        tenant.plan_state = STATE_ACTIVE.into();
        tenant.plan_started_at = now;
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
                reason: "chose the free plan".into(),
                provider: "termino".into(),
                event_id: None,
                created_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        tracing::info!(event = "plan_changed", tenant = %saved.id, plan = "free", "plan changed");
        Ok(())
    }
}

/// The account's standing now (see [`termino_domain::plan::standing`]).
pub fn standing_of(tenant: &Tenant, now: DateTime<Utc>) -> termino_domain::plan::Standing {
    termino_domain::plan::standing(
        PlanKind::parse(&tenant.plan).unwrap_or(PlanKind::Trial),
        tenant.trial_ends_at,
        tenant.paid_until,
        now,
    )
}
