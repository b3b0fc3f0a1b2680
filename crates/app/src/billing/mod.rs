//! Termino's own billing: a business moves from its trial to Pro by paying
//! through Stripe Checkout (subscription mode); Stripe's verified
//! notifications move the plan — paid until, renewed, past due, cancelled —
//! and every change is kept in `plan_changes` with its time.
//!
//! Nothing personal goes to Stripe: the tenant's id is the only reference
//! (Checkout asks the payer for their own details).

mod plan_checks;
pub mod refusals;
mod stripe_events;

use crate::ConflictKind;

use chrono::{DateTime, Datelike, Utc};
use termino_domain::account::Role;
use termino_domain::plan::PlanKind;
use termino_payments::stripe::Stripe;
use termino_payments::{Payer, PaymentProvider, Period, PlanOrder, Provider};
use termino_store::commit;
use termino_store::repo::billing::{self as repo, PlanChangeRow};
use termino_store::repo::tenants::Tenant;
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// Pro, per active staff member (at least one), in grosze.
pub const PRO_MONTHLY_PER_STAFF_MINOR: i64 = 4_900;
/// A year for the price of ten months.
pub const PRO_YEARLY_PER_STAFF_MINOR: i64 = 49_000;
pub const PLAN_CURRENCY: &str = "pln";
/// What a plan is called on the provider's page.
pub(crate) const PLAN_PRODUCT: &str = "Termino Pro";

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

    pub(crate) fn period(self) -> Period {
        match self {
            Self::Month => Period::Month,
            Self::Year => Period::Year,
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
    /// Verified, but not what Termino sold (see [`refusals`]): kept as
    /// refused, nothing changed.
    Refused,
}

fn owner_only(principal: &Principal) -> AppResult<()> {
    principal.require(
        principal.user_id().is_some() && principal.role() == Role::Owner,
        "managing the plan",
    )
}

fn not_configured() -> AppError {
    AppError::Unavailable("online payment is not configured on this server".into())
}

impl App {
    /// Stripe on Termino's own account (plans, and the one webhook
    /// endpoint); see [`Stripe::on_account`] for a business's.
    pub(crate) fn stripe(&self) -> AppResult<Stripe> {
        let config = self.config().stripe.as_ref().ok_or_else(not_configured)?;
        Ok(Stripe::new(config)?)
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
        let stripe = self.stripe()?;
        let view = self.plan(principal).await?;
        let tenant = principal.tenant.id();
        let public = self.config().public_url.trim_end_matches('/').to_string();
        // One key per business, choice and day: a retried or repeated
        // click within the day gets the same session, never a second one.
        let key = format!(
            "plan-checkout:{tenant}:{}:{}:{}",
            interval.as_str(),
            view.seats,
            self.now().date_naive()
        );
        let customer = self.stripe_customer(principal).await?;
        let session = stripe
            .plan_checkout(&PlanOrder {
                tenant_id: tenant,
                period: interval.period(),
                seats: view.seats,
                unit_minor: interval.per_staff_minor(),
                currency: PLAN_CURRENCY,
                product: PLAN_PRODUCT,
                reference: &key,
                customer: customer.as_deref(),
                payer: Payer::default(),
                success_url: format!("{public}/app/plan?paid=1"),
                cancel_url: format!("{public}/app/plan"),
            })
            .await?;
        // Kept with what it sold: only this session (and the subscription
        // its verified completion names) moves the plan.
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        repo::record_checkout(
            &tx,
            repo::PlanCheckoutRow {
                provider: Provider::Stripe.as_str().into(),
                reference: session.reference,
                tenant_id: tenant,
                interval: interval.as_str().into(),
                seats: view.seats,
                unit_minor: interval.per_staff_minor(),
                currency: PLAN_CURRENCY.into(),
                subscription_id: None,
                created_at: self.now(),
                completed_at: None,
            },
        )
        .await?;
        commit(tx).await?;
        session.url.ok_or_else(|| {
            tracing::warn!(call = "checkout", "the session has no address");
            AppError::Unavailable("the payment provider did not answer (checkout)".into())
        })
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
        let stripe = self.stripe()?;
        let customer = self
            .stripe_customer(principal)
            .await?
            .ok_or(AppError::Conflict {
                kind: ConflictKind::NoSubscription,
                field: None,
                message: "there is no paid plan to manage yet".into(),
            })?;
        let public = self.config().public_url.trim_end_matches('/').to_string();
        Ok(stripe
            .portal(&customer, &format!("{public}/app/plan"))
            .await?)
    }
}

fn plan_limit(message: String) -> AppError {
    AppError::Conflict {
        kind: ConflictKind::PlanLimit,
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
                kind: ConflictKind::PlanChange,
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
