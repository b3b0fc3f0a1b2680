//! Pro paid period by period through Termino's own tpay account
//! (`TERMINO_TPAY_*`): Termino creates the transaction and records it with
//! the seats (active staff members) and the price a seat it was made for;
//! the verified notification extends the plan only for a transaction
//! Termino recorded, and only when it paid every seat's price for the
//! period. Anything else is refused (see [`crate::billing::refusals`]).

use termino_domain::account::Role;
use termino_payments::tpay::Notification;
use termino_payments::{Payer, PaymentProvider, PlanOrder, Provider};
use termino_store::repo::billing::{self, PlanCheckoutRow};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::billing::refusals::{Refusal, Refused};
use crate::billing::{Applied, Interval, PLAN_CURRENCY};
use crate::{App, AppError, AppResult};

/// Our reference for a plan period paid through tpay.
fn plan_crc(tenant: Uuid, interval: Interval) -> String {
    let nonce: u32 = rand::random();
    format!("plan.{tenant}.{}.{nonce:08x}", interval.as_str())
}

pub(super) fn is_plan_crc(crc: &str) -> bool {
    crc.starts_with("plan.")
}

/// The business a plan reference names (only a claim until it is found
/// among the transactions Termino recorded).
fn claimed_tenant(crc: &str) -> Option<Uuid> {
    crc.split('.').nth(1)?.parse().ok()
}

impl App {
    /// One period of Pro paid through tpay (BLIK, transfer, card): the
    /// owner is sent to tpay's page; the notification extends the plan.
    pub async fn start_plan_tpay(
        &self,
        principal: &Principal,
        interval: Interval,
    ) -> AppResult<String> {
        principal.require(
            principal.user_id().is_some() && principal.role() == Role::Owner,
            "managing the plan",
        )?;
        let creds = self.config().tpay_plans.clone().ok_or_else(|| {
            AppError::Unavailable("online payment is not configured on this server".into())
        })?;
        let view = self.plan(principal).await?;
        let me = self.me(principal).await?.ok_or(AppError::Unauthenticated)?;
        let public = self.config().public_url.trim_end_matches('/').to_string();
        let crc = plan_crc(principal.tenant.id(), interval);
        // Recorded before tpay hears of it: its notification can only
        // come later, and is checked against these seats.
        let checkout = PlanCheckoutRow {
            provider: Provider::Tpay.as_str().into(),
            reference: crc.clone(),
            tenant_id: principal.tenant.id(),
            interval: interval.as_str().into(),
            seats: view.seats,
            unit_minor: interval.per_staff_minor(),
            currency: PLAN_CURRENCY.into(),
            subscription_id: None,
            created_at: self.now(),
            completed_at: None,
        };
        let order = PlanOrder {
            tenant_id: checkout.tenant_id,
            period: interval.period(),
            seats: checkout.seats,
            unit_minor: checkout.unit_minor,
            currency: PLAN_CURRENCY,
            product: crate::billing::PLAN_PRODUCT,
            reference: &crc,
            customer: None,
            payer: Payer {
                email: &me.email,
                name: &me.name,
            },
            success_url: format!("{public}/app/plan?paid=1"),
            cancel_url: format!("{public}/app/plan"),
        };
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        billing::record_checkout(&tx, checkout).await?;
        commit(tx).await?;
        let page = self
            .tpay()
            .for_merchant(creds)
            .plan_checkout(&order)
            .await?;
        // tpay always gives its page (the crate refuses an answer without).
        page.url.ok_or_else(|| {
            AppError::Unavailable("the payment provider did not answer (transaction)".into())
        })
    }

    /// A plan period paid through Termino's own tpay account.
    pub(super) async fn apply_tpay_plan(&self, note: &Notification) -> AppResult<Applied> {
        let creds = self
            .config()
            .tpay_plans
            .clone()
            .ok_or_else(|| AppError::invalid("id", "wrong_merchant", "no tpay account"))?;
        note.check_merchant(&creds)?;
        let now = self.now();
        let crc = note.crc.as_str();
        let event_id = note.event_id();
        let refused = |tenant| Refused {
            provider: Provider::Tpay,
            event_id: &event_id,
            kind: "plan",
            account: None,
            tenant,
        };
        let Some(checkout) =
            billing::checkout(self.db().connection(), Provider::Tpay.as_str(), crc).await?
        else {
            return self
                .refuse(refused(claimed_tenant(crc)), Refusal::UnknownPayment)
                .await;
        };
        let Some(interval) = Interval::parse(&checkout.interval) else {
            return self
                .refuse(refused(Some(checkout.tenant_id)), Refusal::Price)
                .await;
        };
        let paid = note.paid_minor().unwrap_or(0);
        let paid_status = note.is_paid();
        // Every seat the transaction was made for, at the period's price.
        if paid_status && paid < checkout.unit_minor * checkout.seats {
            return self
                .refuse(refused(Some(checkout.tenant_id)), Refusal::Underpaid)
                .await;
        }
        let tx = self.db().begin().await?;
        let tenant = billing::tenant(&tx, checkout.tenant_id).await?;
        if !billing::record_event(
            &tx,
            Provider::Tpay.as_str(),
            &event_id,
            "plan",
            tenant.as_ref().map(|t| t.id),
            now,
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
        if !paid_status {
            commit(tx).await?;
            tracing::info!(tenant = %tenant.id, "a tpay plan notification without payment; nothing to do");
            return Ok(Applied::Ignored);
        }
        let from = tenant.paid_until.filter(|p| *p > now).unwrap_or(now);
        let months = match interval {
            Interval::Month => 1,
            Interval::Year => 12,
        };
        let until = from
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(from);
        if tenant.plan != "pro" {
            tenant.plan = "pro".into();
            tenant.plan_started_at = now;
        }
        tenant.plan_state = crate::billing::STATE_ACTIVE.into();
        tenant.paid_until = Some(until);
        tenant.billing_interval = Some(interval.as_str().into());
        tenant.updated_at = now;
        let saved = billing::save_billing(&tx, tenant).await?;
        termino_store::repo::compliance::record_billing(
            &tx,
            termino_store::repo::compliance::BillingRecordRow {
                id: Uuid::now_v7(),
                tenant_id: saved.id,
                provider: Provider::Tpay.as_str().into(),
                reference: note.transaction.clone(),
                amount_minor: paid,
                currency: "PLN".into(),
                paid_at: now,
                keep_until: termino_domain::retention::tax_record_keep_until(now),
            },
        )
        .await?;
        billing::insert_plan_change(
            &tx,
            billing::PlanChangeRow {
                tenant_id: saved.id,
                id: Uuid::now_v7(),
                plan: saved.plan.clone(),
                state: saved.plan_state.clone(),
                paid_until: saved.paid_until,
                reason: "paid a period through tpay".into(),
                provider: Provider::Tpay.as_str().into(),
                event_id: Some(event_id.clone()),
                created_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        tracing::info!(tenant = %saved.id, "plan period paid through tpay");
        Ok(Applied::Changed)
    }

    /// Owners of plans paid period by period hear 7 days and 1 day before
    /// the paid time ends (once each). The worker calls this.
    pub async fn remind_plan_renewals(&self) -> AppResult<usize> {
        let now = self.now();
        let ending =
            billing::plans_ending(self.db().connection(), now, now + chrono::Duration::days(7))
                .await?;
        let mut sent = 0;
        for mut tenant in ending {
            let Some(until) = tenant.paid_until else {
                continue;
            };
            let stage = if until - now <= chrono::Duration::days(1) {
                1
            } else {
                7
            };
            let key = format!("{}:{stage}", until.timestamp());
            let later = format!("{}:1", until.timestamp());
            if tenant.plan_reminder_sent.as_deref() == Some(key.as_str())
                || tenant.plan_reminder_sent.as_deref() == Some(later.as_str())
            {
                continue;
            }
            let scope = TenantScope::authenticated(tenant.id);
            let tx = self.db().begin_tenant(&scope).await?;
            let owners = crate::mail::owner_emails(&tx, &scope).await?;
            let date = until.format("%Y-%m-%d").to_string();
            let link = self.link("/app/plan");
            for to in owners {
                let message = termino_notify::texts::Message {
                    subject: format!(
                        "Termino Pro ends on {date} / Plan Termino Pro kończy się {date}"
                    ),
                    body: format!(
                        "Your Termino Pro plan is paid until {date}. To keep it, pay the next period: {link}\n\nTwój plan Termino Pro jest opłacony do {date}. Aby go zachować, opłać kolejny okres: {link}\n\n— Termino"
                    ),
                };
                self.enqueue_mail(&tx, Some(tenant.id), &to, message)
                    .await?;
            }
            tenant.plan_reminder_sent = Some(key);
            tenant.updated_at = now;
            billing::save_billing(&tx, tenant).await?;
            commit(tx).await?;
            sent += 1;
        }
        if sent > 0 {
            self.wake_mail();
        }
        Ok(sent)
    }
}
