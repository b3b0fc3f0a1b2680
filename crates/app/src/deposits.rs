//! Deposits and prepayment: a service may ask clients to pay part or all
//! of its price when booking. The money goes to the business's own Stripe
//! account (Connect, Standard; a direct charge on that account); Termino
//! keeps provider ids, amounts and states only.
//!
//! A booking that needs payment waits as `awaiting_payment` and holds its
//! time for the business's hold (15 minutes by default). The verified
//! notification confirms it; the background worker releases it when the
//! hold runs out, and a payment that arrives after that is refunded.
//! Cancelling a paid booking refunds it: the client can cancel only before
//! the business's cutoff, and then gets everything back; a cancellation by
//! the business refunds in full too.

use crate::ConflictKind;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use termino_domain::account::Role;
use termino_payments::{DepositOrder, Payer, PaymentProvider, Provider, RefundOrder};
use termino_store::repo::payments::{self as repo, PaymentRow};
use termino_store::repo::scheduling::{self as scheduling, BookingRow, ServiceRow};
use termino_store::repo::{billing, tenants};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::billing::Applied;
use crate::bookings::{Actor, BookingStatus};
use crate::catalog::amount_due;
use crate::notices::Notice;
use crate::{App, AppError, AppResult};

/// Stripe's shortest Checkout lifetime; our own hold is usually shorter,
/// and a payment after the hold is refunded.
const CHECKOUT_MINUTES: i64 = 30;

/// How a business takes payments.
#[derive(Debug, Clone)]
pub struct PaymentsView {
    pub stripe_available: bool,
    pub stripe_account: Option<String>,
    pub ready: bool,
    pub hold_minutes: i32,
    /// The connected tpay merchant, if any.
    pub tpay_merchant: Option<String>,
}

/// What a booking of a paid service will ask for.
pub(crate) struct Terms {
    pub provider: Provider,
    pub amount_minor: i64,
    pub currency: String,
    pub hold_minutes: i32,
}

/// The terms for a new booking of `service`, if it takes payment and the
/// business can receive it.
pub(crate) fn terms(
    app: &App,
    tenant: &termino_store::repo::tenants::Tenant,
    service: &ServiceRow,
) -> Option<Terms> {
    let amount = amount_due(service);
    if amount <= 0 {
        return None;
    }
    // The business's connected Stripe account first; else its tpay
    // account (PLN only).
    let provider = if app.config().stripe.is_some()
        && tenant.stripe_account_ready
        && tenant.stripe_account_id.is_some()
    {
        Provider::Stripe
    } else if tenant.tpay_credentials.is_some() && service.currency == "PLN" {
        Provider::Tpay
    } else {
        return None;
    };
    Some(Terms {
        provider,
        amount_minor: amount,
        currency: service.currency.clone(),
        hold_minutes: tenant.payment_hold_minutes.max(1),
    })
}

pub(crate) async fn record_pending(
    tx: &Tx,
    scope: &TenantScope,
    booking: &BookingRow,
    terms: &Terms,
    now: DateTime<Utc>,
) -> AppResult<()> {
    repo::insert(
        tx,
        scope,
        PaymentRow {
            tenant_id: scope.id(),
            id: Uuid::now_v7(),
            booking_id: booking.id,
            provider: terms.provider.as_str().into(),
            provider_ref: None,
            payment_ref: None,
            amount_minor: terms.amount_minor,
            currency: terms.currency.clone(),
            status: "pending".into(),
            refund_minor: 0,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    Ok(())
}

/// A booking left its open states: a pending payment lapses; a paid one
/// is to be refunded (made after commit, see [`App::refund_due_payments`]).
pub(crate) async fn on_booking_status(
    tx: &Tx,
    scope: &TenantScope,
    booking: &BookingRow,
    to: BookingStatus,
    by: Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if to != BookingStatus::Cancelled {
        return Ok(());
    }
    let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
    for mut p in repo::for_booking(tx, scope, booking.id).await? {
        let next = match p.status.as_str() {
            "pending" => "expired",
            // The client may cancel only before the cutoff, and then gets
            // it back unless the business keeps deposits; a cancellation
            // by the business always refunds in full.
            "paid" if by == Actor::Client && !tenant.refund_client_cancellations => continue,
            "paid" => "refund_due",
            _ => continue,
        };
        if next == "refund_due" {
            p.refund_minor = p.amount_minor;
        }
        tracing::info!(event = "payment_status", tenant_id = %scope.id(), payment_id = %p.id, from = %p.status, to = next, cancelled_by = by.as_str(), "payment follows its booking");
        p.status = next.into();
        p.updated_at = now;
        repo::save(tx, scope, p).await?;
    }
    Ok(())
}

impl App {
    pub async fn payments_settings(&self, principal: &Principal) -> AppResult<PaymentsView> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let tenant = tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let tpay_merchant = self
            .tpay_credentials_of(&tenant)
            .await?
            .map(|c| c.merchant_id);
        Ok(PaymentsView {
            tpay_merchant,
            stripe_available: self.config().stripe.is_some(),
            stripe_account: tenant.stripe_account_id,
            ready: tenant.stripe_account_ready,
            hold_minutes: tenant.payment_hold_minutes,
        })
    }

    /// Stripe's onboarding for the business's own account (created on the
    /// first call). Returns the address to send the owner to.
    pub async fn connect_stripe(&self, principal: &Principal) -> AppResult<String> {
        self.check_writable(principal).await?;
        principal.require(
            principal.user_id().is_some() && principal.role() == Role::Owner,
            "connecting a payment account",
        )?;
        let stripe = self.stripe()?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let mut tenant = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let account = match tenant.stripe_account_id.clone() {
            Some(id) => id,
            None => {
                let id = stripe
                    .create_account(format!("connect-account:{}", scope.id()))
                    .await?;
                tenant.stripe_account_id = Some(id.clone());
                tenant.updated_at = self.now();
                let tx = self.db().begin_tenant(&scope).await?;
                repo::save_connection(&tx, tenant).await?;
                commit(tx).await?;
                id
            }
        };
        let public = self.config().public_url.trim_end_matches('/').to_string();
        Ok(stripe
            .onboarding_link(
                &account,
                &format!("{public}/app/payments"),
                &format!("{public}/app/payments?connected=1"),
            )
            .await?)
    }

    /// The provider a business's deposits are paid through, on its own
    /// account there.
    async fn deposit_provider(
        &self,
        provider: Provider,
        tenant: &termino_store::repo::tenants::Tenant,
    ) -> AppResult<Box<dyn PaymentProvider>> {
        Ok(match provider {
            Provider::Stripe => {
                let stripe = self.stripe()?;
                let account = tenant
                    .stripe_account_id
                    .as_deref()
                    .ok_or(AppError::NotFound)?;
                Box::new(stripe.on_account(account)?)
            }
            Provider::Tpay => {
                let creds = self
                    .tpay_credentials_of(tenant)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Box::new(self.tpay().for_merchant(creds))
            }
        })
    }

    /// Stripe Checkout for a booking that waits for payment, on the
    /// business's account. The same booking always gets the same session.
    pub async fn deposit_checkout(&self, slug: &str, token: &str) -> AppResult<String> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        let scope = business.scope;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = scheduling::get_booking(&tx, &scope, booking.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let payment = repo::for_booking(&tx, &scope, booking.id)
            .await?
            .into_iter()
            .find(|p| p.status == "pending");
        let service = scheduling::get_service(&tx, &scope, row.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let tenant = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let (Some(payment), Some(due_by)) = (payment, row.payment_due_by) else {
            return Err(AppError::Conflict {
                kind: ConflictKind::NothingToPay,
                field: None,
                message: "this booking waits for no payment".into(),
            });
        };
        if booking.status != BookingStatus::AwaitingPayment || due_by <= self.now() {
            return Err(AppError::Conflict {
                kind: ConflictKind::HoldExpired,
                field: None,
                message: "the time to pay for this booking has run out".into(),
            });
        }
        let manage = format!(
            "{}/b/{}/manage/{token}",
            self.config().public_url.trim_end_matches('/'),
            business.slug
        );
        let provider = stored_provider(&payment)?;
        let checkout = self.deposit_provider(provider, &tenant).await?;
        // Only a provider that asks for the payer hears who pays.
        let contact = if provider.asks_payer() {
            let tx = self.db().begin_tenant(&scope).await?;
            let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
            let contact = self
                .client_contact(&tx, &scope, &keyring, row.client_id)
                .await?
                .unwrap_or_default();
            commit(tx).await?;
            contact
        } else {
            Value::Null
        };
        let page = checkout
            .checkout(&DepositOrder {
                payment_id: payment.id,
                tenant_id: scope.id(),
                booking_id: booking.id,
                amount_minor: payment.amount_minor,
                currency: &payment.currency,
                service: &service.name,
                business: &business.name,
                payer: Payer {
                    email: contact["email"].as_str().unwrap_or_default(),
                    name: contact["name"].as_str().unwrap_or_default(),
                },
                success_url: format!("{manage}?paid=1"),
                cancel_url: manage.clone(),
                expires_at: self.now() + Duration::minutes(CHECKOUT_MINUTES),
            })
            .await?;
        let tx = self.db().begin_tenant(&scope).await?;
        if let Some(mut p) = repo::get(&tx, &scope, payment.id).await? {
            p.provider_ref = Some(page.reference);
            if page.title.is_some() {
                p.payment_ref = page.title;
            }
            p.updated_at = self.now();
            repo::save(&tx, &scope, p).await?;
        }
        commit(tx).await?;
        page.url.ok_or_else(|| {
            AppError::Unavailable("the payment provider gave no payment page".into())
        })
    }

    /// `account.updated` for a connected account: can it take charges?
    pub(crate) async fn apply_account_update(
        &self,
        event_id: &str,
        kind: &str,
        object: &Value,
    ) -> AppResult<Applied> {
        let account = object["id"].as_str().unwrap_or_default();
        let tx = self.db().begin().await?;
        let tenant = repo::tenant_by_stripe_account(&tx, account).await?;
        if !billing::record_event(
            &tx,
            Provider::Stripe.as_str(),
            event_id,
            kind,
            tenant.as_ref().map(|t| t.id),
            self.now(),
        )
        .await?
        {
            commit(tx).await?;
            return Ok(Applied::Duplicate);
        }
        let Some(mut tenant) = tenant else {
            commit(tx).await?;
            return Ok(Applied::Ignored);
        };
        let ready = object["charges_enabled"].as_bool().unwrap_or(false);
        if tenant.stripe_account_ready == ready {
            commit(tx).await?;
            return Ok(Applied::Ignored);
        }
        tenant.stripe_account_ready = ready;
        tenant.updated_at = self.now();
        let saved = repo::save_connection(&tx, tenant).await?;
        commit(tx).await?;
        tracing::info!(event = %event_id, tenant = %saved.id, ready, "connected Stripe account changed");
        Ok(Applied::Changed)
    }

    /// A notification about a booking's payment (its metadata names it).
    pub(crate) async fn apply_deposit_event(
        &self,
        event_id: &str,
        kind: &str,
        event: &Value,
    ) -> AppResult<Applied> {
        let object = &event["data"]["object"];
        let ids = (
            object["metadata"]["tenant_id"]
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok()),
            object["metadata"]["payment_id"]
                .as_str()
                .and_then(|s| s.parse::<Uuid>().ok()),
        );
        let (Some(tenant_id), Some(payment_id)) = ids else {
            return Err(AppError::invalid(
                "body",
                "invalid_event",
                "no payment named",
            ));
        };
        let now = self.now();
        let scope = TenantScope::authenticated(tenant_id);
        let tx = self.db().begin().await?;
        let tenant = billing::tenant(&tx, tenant_id).await?;
        if !billing::record_event(
            &tx,
            Provider::Stripe.as_str(),
            event_id,
            kind,
            tenant.as_ref().map(|t| t.id),
            now,
        )
        .await?
        {
            commit(tx).await?;
            return Ok(Applied::Duplicate);
        }
        let (Some(tenant), Some(mut payment)) = (tenant, repo::get(&tx, &scope, payment_id).await?)
        else {
            commit(tx).await?;
            return Ok(Applied::Ignored);
        };
        let paid = kind == "checkout.session.completed"
            && object["payment_status"] == "paid"
            && object["mode"] == "payment";
        if !paid {
            commit(tx).await?;
            tracing::info!(event = %event_id, kind = %kind, "payment event acknowledged, nothing to do");
            return Ok(Applied::Ignored);
        }
        // Only the business's own account, the amount and the currency we
        // asked for.
        let right_account = event["account"].as_str() == tenant.stripe_account_id.as_deref();
        let right_amount = object["amount_total"].as_i64() == Some(payment.amount_minor);
        let right_currency = object["currency"]
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case(&payment.currency));
        if !(right_account && right_amount && right_currency) {
            commit(tx).await?;
            tracing::warn!(event = %event_id, payment_id = %payment.id, right_account, right_amount, right_currency, "a payment notification did not match its payment; not applied");
            return Ok(Applied::Ignored);
        }
        if payment.status != "pending" && payment.status != "expired" {
            commit(tx).await?;
            return Ok(Applied::Ignored);
        }
        payment.payment_ref = object["payment_intent"].as_str().map(str::to_string);
        self.settle_paid(tx, &scope, payment, now).await?;
        tracing::info!(event = %event_id, "Stripe payment applied");
        Ok(Applied::Changed)
    }

    /// A payment arrived (its provider verified, its amount checked): the
    /// booking waiting for it is confirmed, in the notification's own
    /// transaction; one whose hold ran out is not revived, the money is
    /// refunded instead. Commits `tx`.
    pub(crate) async fn settle_paid(
        &self,
        tx: Tx,
        scope: &TenantScope,
        mut payment: PaymentRow,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        payment.updated_at = now;
        let booking = scheduling::get_booking(&tx, scope, payment.booking_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let waiting = payment.status == "pending"
            && booking.status == BookingStatus::AwaitingPayment.as_str();
        if waiting {
            payment.status = "paid".into();
            repo::save(&tx, scope, payment.clone()).await?;
            let (saved, from, hook) = self
                .transition_in(
                    &tx,
                    scope,
                    booking.id,
                    BookingStatus::Confirmed,
                    Actor::Payment,
                    None,
                )
                .await?;
            self.notice_to_business(&tx, scope, &saved, Notice::DepositPaid)
                .await?;
            commit(tx).await?;
            self.after_transition(scope, &saved, from, BookingStatus::Confirmed, hook)
                .await;
            tracing::info!(payment_id = %payment.id, booking_id = %saved.id, "paid: booking confirmed");
        } else {
            // Paid after the hold ran out and the time was released.
            payment.status = "refund_due".into();
            payment.refund_minor = payment.amount_minor;
            repo::save(&tx, scope, payment.clone()).await?;
            commit(tx).await?;
            tracing::info!(payment_id = %payment.id, "paid after the hold: refunding");
            self.refund_due_payments(scope, payment.booking_id).await;
        }
        Ok(())
    }

    /// The business hears of a refund with the refund's own commit.
    async fn notice_of_refund(&self, tx: &Tx, scope: &TenantScope, booking: Uuid) -> AppResult<()> {
        if let Some(row) = scheduling::get_booking(tx, scope, booking).await? {
            self.notice_to_business(tx, scope, &row, Notice::DepositRefunded)
                .await?;
        }
        Ok(())
    }

    /// Makes the refunds due for a booking. A failure leaves them due; the
    /// worker tries again (the idempotency key makes that safe).
    pub(crate) async fn refund_due_payments(&self, scope: &TenantScope, booking: Uuid) {
        let due = async {
            let tx = self.db().begin_tenant(scope).await?;
            let rows = repo::for_booking(&tx, scope, booking).await?;
            commit(tx).await?;
            Ok::<_, AppError>(rows)
        }
        .await;
        for p in due.unwrap_or_default() {
            if (p.status == "refund_due" || p.status == "refunding")
                && let Err(err) = self.refund(scope, p).await
            {
                tracing::warn!(error = %err, "a refund is still due");
            }
        }
    }

    /// `true` when this call made the refund.
    async fn refund(&self, scope: &TenantScope, mut payment: PaymentRow) -> AppResult<bool> {
        let tx = self.db().begin_tenant(scope).await?;
        let tenant = tenants::get(&tx, scope).await?.ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let provider = stored_provider(&payment)?;
        let Some(target) = provider
            .refund_target(
                payment.provider_ref.as_deref(),
                payment.payment_ref.as_deref(),
            )
            .map(str::to_string)
        else {
            return Ok(false);
        };
        let refunds = self.deposit_provider(provider, &tenant).await?;
        let now = self.now();
        let tx = self.db().begin_tenant(scope).await?;
        let claimed =
            repo::claim_refund(&tx, scope, payment.id, now, now - Duration::minutes(10)).await?;
        commit(tx).await?;
        if !claimed {
            return Ok(false);
        }
        let made = refunds
            .refund(&RefundOrder {
                payment_id: payment.id,
                target: &target,
                amount_minor: payment.refund_minor,
            })
            .await;
        let tx = self.db().begin_tenant(scope).await?;
        let current = repo::get(&tx, scope, payment.id).await?;
        if let Err(err) = made {
            // Due again: the worker tries later (Stripe with the same key).
            if let Some(mut current) = current {
                current.status = "refund_due".into();
                current.updated_at = self.now();
                repo::save(&tx, scope, current).await?;
            }
            commit(tx).await?;
            return Err(err.into());
        }
        if let Some(current) = current
            && current.status == "refunding"
        {
            payment = current;
            payment.status = "refunded".into();
            payment.updated_at = self.now();
            repo::save(&tx, scope, payment.clone()).await?;
            self.notice_of_refund(&tx, scope, payment.booking_id)
                .await?;
        }
        commit(tx).await?;
        tracing::info!(event = "payment_refunded", tenant_id = %scope.id(), provider = provider.as_str(), payment_id = %payment.id, amount = payment.refund_minor, "refunded");
        Ok(true)
    }

    /// The worker's part: release bookings whose hold ran out, and retry
    /// refunds that are still due.
    pub async fn settle_payments(&self) -> AppResult<(usize, usize)> {
        let now = self.now();
        let expired = repo::expired_holds(self.db().connection(), now, 100).await?;
        let mut released = 0;
        for b in expired {
            let scope = TenantScope::authenticated(b.tenant_id);
            match self
                .transition(
                    &scope,
                    b.id,
                    BookingStatus::Cancelled,
                    Actor::System,
                    Some("payment not received in time"),
                )
                .await
            {
                Ok(_) => released += 1,
                Err(err) => {
                    tracing::warn!(booking_id = %b.id, error = %err, "could not release a hold")
                }
            }
        }
        let due = repo::refunds_due(self.db().connection(), 50).await?;
        let mut refunded = 0;
        for p in due {
            let scope = TenantScope::authenticated(p.tenant_id);
            if let Ok(true) = self.refund(&scope, p).await {
                refunded += 1;
            }
        }
        Ok((released, refunded))
    }

    /// Payments of one booking, for the business.
    pub async fn booking_payments(
        &self,
        principal: &Principal,
        booking: Uuid,
    ) -> AppResult<Vec<PaymentRow>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = repo::for_booking(&tx, &principal.tenant, booking).await?;
        commit(tx).await?;
        Ok(rows)
    }
}

/// What a client still has to pay for a booking, and by when.
#[derive(Debug, Clone)]
pub struct PaymentDue {
    pub amount_minor: i64,
    pub currency: String,
    pub due_by: DateTime<Utc>,
}

impl App {
    pub async fn payment_due(&self, slug: &str, token: &str) -> AppResult<Option<PaymentDue>> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        if booking.status != BookingStatus::AwaitingPayment {
            return Ok(None);
        }
        let scope = business.scope;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = scheduling::get_booking(&tx, &scope, booking.id).await?;
        let pending = repo::for_booking(&tx, &scope, booking.id)
            .await?
            .into_iter()
            .find(|p| p.status == "pending");
        commit(tx).await?;
        Ok(pending
            .zip(row.and_then(|r| r.payment_due_by))
            .map(|(p, due_by)| PaymentDue {
                amount_minor: p.amount_minor,
                currency: p.currency,
                due_by,
            }))
    }
}

/// The provider a stored payment was made with.
fn stored_provider(payment: &PaymentRow) -> AppResult<Provider> {
    Provider::parse(&payment.provider)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a payment of an unknown provider")))
}
