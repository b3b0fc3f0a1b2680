//! tpay, the Polish payment operator (BLIK, bank transfers, cards), for
//! deposits paid to a business's own tpay merchant account. The business
//! enters its merchant credentials in the panel; they are sealed under its
//! tenant key. Notifications come to `/webhooks/tpay`, are verified (JWS
//! and md5sum, see [`termino_payments::tpay`]), applied once, and answered `TRUE`.

mod plans;

use termino_domain::account::Role;
use termino_payments::tpay::{Notification, Tpay, TpayApi};
use termino_payments::{PaymentProvider, Provider};
use termino_store::repo::billing;
use termino_store::repo::payments as repo;
use termino_store::sealed;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::billing::Applied;
use crate::{App, AppError, AppResult};

/// A business's tpay merchant account (the payments crate's).
pub use termino_payments::tpay::TpayCredentials;

impl App {
    /// tpay as this server reaches it; [`Tpay::for_merchant`] picks the
    /// account.
    pub(crate) fn tpay(&self) -> Tpay {
        let public = self.config().public_url.trim_end_matches('/');
        Tpay::new(TpayApi {
            api_base: self.config().tpay_api_base.clone(),
            cert_base: self.config().tpay_cert_base.clone(),
            notification_url: format!("{public}/webhooks/tpay"),
            certs: self.tpay_certs().clone(),
        })
    }

    /// Stores (replaces) the business's tpay credentials, sealed.
    pub async fn save_tpay_credentials(
        &self,
        principal: &Principal,
        creds: TpayCredentials,
    ) -> AppResult<()> {
        self.check_writable(principal).await?;
        principal.require(
            principal.user_id().is_some() && principal.role() == Role::Owner,
            "connecting a payment account",
        )?;
        let mut errors = termino_domain::ValidationErrors::new();
        for (field, value) in [
            ("merchant_id", &creds.merchant_id),
            ("client_id", &creds.client_id),
            ("client_secret", &creds.client_secret),
            ("security_code", &creds.security_code),
        ] {
            if value.trim().is_empty() || value.len() > 200 {
                errors.add(field, "required", "must not be empty");
            }
        }
        if !creds.merchant_id.trim().chars().all(|c| c.is_ascii_digit()) {
            errors.add(
                "merchant_id",
                "invalid_number",
                "tpay merchant ids are digits",
            );
        }
        errors.into_result()?;
        let scope = principal.tenant;
        let plain = serde_json::to_vec(&creds)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("credentials: {e}")))?;
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let sealed = keyring.seal(&sealed::TPAY_CREDENTIALS, scope.id(), &plain)?;
        repo::save_tpay_credentials(&tx, &scope, sealed, self.now()).await?;
        commit(tx).await?;
        tracing::info!(event = "tpay_connected", tenant_id = %scope.id(), "tpay credentials saved");
        Ok(())
    }

    pub(crate) async fn tpay_credentials_of(
        &self,
        tenant: &termino_store::repo::tenants::Tenant,
    ) -> AppResult<Option<TpayCredentials>> {
        let Some(stored) = &tenant.tpay_credentials else {
            return Ok(None);
        };
        let keyring = self.keys().for_read(tenant.id, None, self.now()).await?;
        let plain = keyring
            .open_text(&sealed::TPAY_CREDENTIALS, tenant.id, stored)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("tpay credentials unreadable")))?;
        serde_json::from_str(&plain)
            .map(Some)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("tpay credentials: {e}")))
    }

    /// A tpay notification: JWS, merchant and md5sum verified; applied
    /// once (by transaction and status); answered `TRUE` by the caller.
    pub async fn apply_tpay_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Applied> {
        self.tpay()
            .verify_notification(signature, body, self.now())
            .await
            .map_err(|e| {
                tracing::warn!(problem = %e, "a tpay notification was refused");
                AppError::from(e)
            })?;
        let note = Notification::parse(body)
            .ok_or_else(|| AppError::invalid("body", "invalid_event", "not a tpay notification"))?;
        if plans::is_plan_crc(&note.crc) {
            return self.apply_tpay_plan(&note).await;
        }
        let payment_id = note.crc.parse::<Uuid>().ok();
        let Some(payment_id) = payment_id else {
            return Err(AppError::invalid(
                "tr_crc",
                "invalid_event",
                "names no payment",
            ));
        };
        // The payment names its business; its credentials check the rest.
        let found =
            termino_store::repo::payments::find_any(self.db().connection(), payment_id).await?;
        let Some(payment) = found else {
            return Err(AppError::invalid(
                "tr_crc",
                "invalid_event",
                "no such payment",
            ));
        };
        let scope = TenantScope::authenticated(payment.tenant_id);
        let tenant = billing::tenant(self.db().connection(), payment.tenant_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let creds = self
            .tpay_credentials_of(&tenant)
            .await?
            .ok_or_else(|| AppError::invalid("id", "wrong_merchant", "no tpay account"))?;
        note.check_merchant(&creds)?;
        let event_id = note.event_id();
        let now = self.now();
        let tx = self.db().begin().await?;
        if !billing::record_event(
            &tx,
            Provider::Tpay.as_str(),
            &event_id,
            &note.status,
            Some(tenant.id),
            now,
        )
        .await?
        {
            commit(tx).await?;
            return Ok(Applied::Duplicate);
        }
        let paid_status = note.is_paid();
        let paid_amount = note.paid_minor();
        let mut payment = repo::get(&tx, &scope, payment.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if payment.status == "paid"
            && payment.payment_ref.as_deref() != Some(note.transaction.as_str())
        {
            // Two transactions paid for one booking (possible only after a
            // creation call whose answer was lost): tpay's refund needs the
            // transaction id, which the notification does not carry.
            tracing::error!(payment_id = %payment.id, "a second tpay payment for a paid booking: refund it in tpay's panel");
        }
        if !paid_status
            || paid_amount != Some(payment.amount_minor)
            || Provider::parse(&payment.provider) != Some(Provider::Tpay)
            || !(payment.status == "pending" || payment.status == "expired")
        {
            commit(tx).await?;
            tracing::info!(payment_id = %payment.id, "tpay notification acknowledged, nothing to do");
            return Ok(Applied::Ignored);
        }
        payment.payment_ref = Some(note.transaction.clone());
        self.settle_paid(tx, &scope, payment, now).await?;
        Ok(Applied::Changed)
    }
}
