//! tpay, the Polish payment operator (BLIK, bank transfers, cards), for
//! deposits paid to a business's own tpay merchant account. The business
//! enters its merchant credentials in the panel; they are sealed under its
//! tenant key. Notifications come to `/webhooks/tpay`, are verified (JWS
//! and md5sum, see [`jws`]), applied once, and answered `TRUE`.

pub mod jws;
mod plans;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use termino_domain::account::Role;
use termino_store::repo::billing;
use termino_store::repo::payments as repo;
use termino_store::sealed;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::billing::Applied;
use crate::{App, AppError, AppResult};

/// A business's tpay merchant account.
#[derive(Clone, Serialize, Deserialize)]
pub struct TpayCredentials {
    pub merchant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub security_code: String,
}

impl std::fmt::Debug for TpayCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TpayCredentials")
            .field("merchant_id", &self.merchant_id)
            .finish_non_exhaustive()
    }
}

/// tpay's amounts are decimal PLN; ours are grosze.
pub fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

fn unavailable(what: &str) -> AppError {
    tracing::warn!(call = what, "tpay call failed");
    AppError::Unavailable(format!("the payment provider did not answer ({what})"))
}

impl App {
    fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default()
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

    async fn tpay_token(&self, creds: &TpayCredentials) -> AppResult<String> {
        let base = self.config().tpay_api_base.trim_end_matches('/');
        let resp = self
            .http()
            .post(format!("{base}/oauth/auth"))
            .json(&json!({"client_id": creds.client_id, "client_secret": creds.client_secret}))
            .send()
            .await
            .map_err(|_| unavailable("token"))?;
        if !resp.status().is_success() {
            return Err(unavailable("token"));
        }
        let body: Value = resp.json().await.map_err(|_| unavailable("token"))?;
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| unavailable("token"))
    }

    /// Creates a tpay transaction; returns (transaction id, title, payment
    /// page). Tried up to three times; tpay has no idempotency key, so a
    /// retry happens only when no answer came (the transaction carries our
    /// payment id, and a duplicate one would simply expire unpaid).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn tpay_create_transaction(
        &self,
        creds: &TpayCredentials,
        amount_minor: i64,
        description: &str,
        crc: &str,
        payer: (&str, &str),
        success_url: &str,
        error_url: &str,
    ) -> AppResult<(String, String, String)> {
        let base = self
            .config()
            .tpay_api_base
            .trim_end_matches('/')
            .to_string();
        let public = self.config().public_url.trim_end_matches('/').to_string();
        let token = self.tpay_token(creds).await?;
        let body = json!({
            "amount": decimal(amount_minor).parse::<f64>().unwrap_or(0.0),
            "description": description,
            "hiddenDescription": crc,
            "lang": "pl",
            // tpay needs the payer's e-mail and name to run the payment.
            "payer": {"email": payer.0, "name": payer.1},
            "callbacks": {
                "payerUrls": {"success": success_url, "error": error_url},
                "notification": {"url": format!("{public}/webhooks/tpay")},
            },
        });
        let mut last = None;
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(
                    200 * 4u64.pow(attempt - 1),
                ))
                .await;
            }
            match self
                .http()
                .post(format!("{base}/transactions"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
            {
                Ok(resp) if resp.status().is_success() => {
                    let v: Value = resp.json().await.map_err(|_| unavailable("transaction"))?;
                    let id = v["transactionId"].as_str().unwrap_or_default().to_string();
                    let title = v["title"].as_str().unwrap_or_default().to_string();
                    let url = v["transactionPaymentUrl"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    if id.is_empty() || url.is_empty() {
                        return Err(unavailable("transaction"));
                    }
                    return Ok((id, title, url));
                }
                // An answer that is an error: tpay saw the call; do not
                // create a second transaction.
                Ok(_) => return Err(unavailable("transaction")),
                Err(e) => last = Some(e),
            }
        }
        let _ = last;
        Err(unavailable("transaction"))
    }

    pub(crate) async fn tpay_refund(
        &self,
        creds: &TpayCredentials,
        transaction_id: &str,
        amount_minor: i64,
    ) -> AppResult<()> {
        let base = self
            .config()
            .tpay_api_base
            .trim_end_matches('/')
            .to_string();
        let token = self.tpay_token(creds).await?;
        let resp = self
            .http()
            .post(format!("{base}/transactions/{transaction_id}/refunds"))
            .bearer_auth(&token)
            .json(&json!({"amount": decimal(amount_minor).parse::<f64>().unwrap_or(0.0)}))
            .send()
            .await
            .map_err(|_| unavailable("refund"))?;
        if !resp.status().is_success() {
            return Err(unavailable("refund"));
        }
        Ok(())
    }

    /// A tpay notification: JWS, merchant and md5sum verified; applied
    /// once (by transaction and status); answered `TRUE` by the caller.
    pub async fn apply_tpay_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Applied> {
        let trust = jws::Trust {
            cert_base: &self.config().tpay_cert_base,
            cache: self.tpay_certs(),
        };
        jws::verify(&trust, signature, body, self.now())
            .await
            .map_err(|e| {
                tracing::warn!(problem = %e, "a tpay notification was refused");
                AppError::invalid("x-jws-signature", "invalid_signature", e.to_string())
            })?;
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| AppError::invalid("body", "invalid_event", "not a tpay notification"))?;
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        if plans::is_plan_crc(get("tr_crc")) {
            return self.apply_tpay_plan(&form).await;
        }
        let payment_id = get("tr_crc").parse::<Uuid>().ok();
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
        check_merchant(&creds, &get)?;
        let event_id = format!("{}:{}", get("tr_id"), get("tr_status"));
        let now = self.now();
        let tx = self.db().begin().await?;
        if !billing::record_event(
            &tx,
            "tpay",
            &event_id,
            get("tr_status"),
            Some(tenant.id),
            now,
        )
        .await?
        {
            commit(tx).await?;
            return Ok(Applied::Duplicate);
        }
        let paid_status = matches!(get("tr_status"), "TRUE" | "PAID");
        let paid_amount = get("tr_paid")
            .parse::<f64>()
            .map(|v| (v * 100.0).round() as i64)
            .ok();
        let mut payment = repo::get(&tx, &scope, payment.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if payment.status == "paid" && payment.payment_ref.as_deref() != Some(get("tr_id")) {
            // Two transactions paid for one booking (possible only after a
            // creation call whose answer was lost): tpay's refund needs the
            // transaction id, which the notification does not carry.
            tracing::error!(payment_id = %payment.id, "a second tpay payment for a paid booking: refund it in tpay's panel");
        }
        if !paid_status
            || paid_amount != Some(payment.amount_minor)
            || payment.provider != "tpay"
            || !(payment.status == "pending" || payment.status == "expired")
        {
            commit(tx).await?;
            tracing::info!(payment_id = %payment.id, "tpay notification acknowledged, nothing to do");
            return Ok(Applied::Ignored);
        }
        payment.payment_ref = Some(get("tr_id").to_string());
        self.settle_paid(tx, &scope, payment, now).await?;
        Ok(Applied::Changed)
    }
}

/// The notification is for this merchant, and its md5sum was made with
/// the merchant's security code.
pub(super) fn check_merchant<'a>(
    creds: &TpayCredentials,
    get: &impl Fn(&str) -> &'a str,
) -> AppResult<()> {
    use subtle::ConstantTimeEq;
    if get("id") != creds.merchant_id {
        tracing::warn!("a tpay notification for another merchant was refused");
        return Err(AppError::invalid(
            "id",
            "wrong_merchant",
            "another merchant",
        ));
    }
    let expected = jws::md5sum(
        &creds.merchant_id,
        get("tr_id"),
        get("tr_amount"),
        get("tr_crc"),
        &creds.security_code,
    );
    if !bool::from(expected.as_bytes().ct_eq(get("md5sum").as_bytes())) {
        return Err(AppError::invalid(
            "md5sum",
            "invalid_signature",
            "md5sum mismatch",
        ));
    }
    Ok(())
}
