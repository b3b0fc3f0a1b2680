//! tpay, the Polish payment operator (BLIK, bank transfers, cards): an
//! OAuth token per call, transactions, refunds, and notifications (form
//! bodies signed as a detached JWS, see [`jws`], carrying an md5sum made
//! with the merchant's security code). Amounts on tpay's wire are decimal
//! PLN; ours are grosze.

pub mod jws;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{
    DepositOrder, PaymentPage, PaymentProvider, PaymentsError, PaymentsResult, Period, PlanOrder,
    Provider, RefundOrder,
};

/// A tpay merchant account: a business's own, or Termino's for plans.
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

/// Grosze as tpay's decimal PLN.
pub fn decimal(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// tpay's decimal PLN in grosze.
pub fn minor(decimal: &str) -> Option<i64> {
    decimal
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| (v * 100.0).round() as i64)
}

fn unavailable(what: &'static str) -> PaymentsError {
    tracing::warn!(call = what, "tpay call failed");
    PaymentsError::Unavailable(what)
}

/// Where tpay is and what it needs from Termino, for every merchant.
#[derive(Clone)]
pub struct TpayApi {
    /// `https://api.tpay.com`; tests point it at a local fake.
    pub api_base: String,
    /// Where tpay's notification certificates and its root live.
    pub cert_base: String,
    /// Where tpay sends notifications (`…/webhooks/tpay`).
    pub notification_url: String,
    pub certs: Arc<jws::CertCache>,
}

/// tpay for one merchant account (or, without one, only to verify
/// notifications: tpay signs them all alike).
pub struct Tpay {
    api: TpayApi,
    merchant: Option<TpayCredentials>,
}

impl Tpay {
    pub fn new(api: TpayApi) -> Self {
        Self {
            api,
            merchant: None,
        }
    }

    pub fn for_merchant(mut self, creds: TpayCredentials) -> Self {
        self.merchant = Some(creds);
        self
    }

    fn merchant(&self) -> PaymentsResult<&TpayCredentials> {
        self.merchant.as_ref().ok_or(PaymentsError::NoAccount)
    }

    fn base(&self) -> &str {
        self.api.api_base.trim_end_matches('/')
    }

    fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default()
    }

    async fn token(&self, creds: &TpayCredentials) -> PaymentsResult<String> {
        let resp = self
            .http()
            .post(format!("{}/oauth/auth", self.base()))
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

    /// Creates a transaction. Tried up to three times; tpay has no
    /// idempotency key, so a retry happens only when no answer came (the
    /// transaction carries our reference, and a duplicate one would
    /// simply expire unpaid).
    async fn create_transaction(
        &self,
        amount_minor: i64,
        description: &str,
        crc: &str,
        payer: crate::Payer<'_>,
        success_url: &str,
        error_url: &str,
    ) -> PaymentsResult<PaymentPage> {
        let creds = self.merchant()?;
        let token = self.token(creds).await?;
        let body = json!({
            "amount": decimal(amount_minor).parse::<f64>().unwrap_or(0.0),
            "description": description,
            "hiddenDescription": crc,
            "lang": "pl",
            // tpay needs the payer's e-mail and name to run the payment.
            "payer": {"email": payer.email, "name": payer.name},
            "callbacks": {
                "payerUrls": {"success": success_url, "error": error_url},
                "notification": {"url": self.api.notification_url},
            },
        });
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(
                    200 * 4u64.pow(attempt - 1),
                ))
                .await;
            }
            match self
                .http()
                .post(format!("{}/transactions", self.base()))
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
                    return Ok(PaymentPage {
                        reference: id,
                        title: Some(title),
                        url: Some(url),
                    });
                }
                // An answer that is an error: tpay saw the call; do not
                // create a second transaction.
                Ok(_) => return Err(unavailable("transaction")),
                Err(_) => {}
            }
        }
        Err(unavailable("transaction"))
    }
}

#[async_trait::async_trait]
impl PaymentProvider for Tpay {
    fn provider(&self) -> Provider {
        Provider::Tpay
    }

    async fn checkout(&self, order: &DepositOrder<'_>) -> PaymentsResult<PaymentPage> {
        self.create_transaction(
            order.amount_minor,
            &format!("{} — {}", order.service, order.business),
            &order.payment_id.to_string(),
            order.payer,
            &order.success_url,
            &order.cancel_url,
        )
        .await
    }

    async fn refund(&self, order: &RefundOrder<'_>) -> PaymentsResult<()> {
        let creds = self.merchant()?;
        let token = self.token(creds).await?;
        let resp = self
            .http()
            .post(format!(
                "{}/transactions/{}/refunds",
                self.base(),
                order.target
            ))
            .bearer_auth(&token)
            .json(&json!({"amount": decimal(order.amount_minor).parse::<f64>().unwrap_or(0.0)}))
            .send()
            .await
            .map_err(|_| unavailable("refund"))?;
        if !resp.status().is_success() {
            return Err(unavailable("refund"));
        }
        Ok(())
    }

    async fn verify_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> PaymentsResult<()> {
        let trust = jws::Trust {
            cert_base: &self.api.cert_base,
            cache: &self.api.certs,
        };
        jws::verify(&trust, signature, body, now).await?;
        Ok(())
    }

    /// One period, paid once: `seats` times the period's price.
    async fn plan_checkout(&self, order: &PlanOrder<'_>) -> PaymentsResult<PaymentPage> {
        let period = match order.period {
            Period::Month => "1 month",
            Period::Year => "1 year",
        };
        self.create_transaction(
            order.unit_minor * order.seats,
            &format!("{}, {period}", order.product),
            order.reference,
            order.payer,
            &order.success_url,
            &order.cancel_url,
        )
        .await
    }
}

/// A tpay notification's fields (verify its signature first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notification {
    /// `id`: the merchant it is for.
    pub merchant_id: String,
    /// `tr_id`: tpay's transaction.
    pub transaction: String,
    /// `tr_status`: `TRUE`/`PAID` when paid.
    pub status: String,
    /// `tr_amount`, decimal PLN as sent (it enters the md5sum as is).
    pub amount: String,
    /// `tr_paid`, decimal PLN.
    pub paid: String,
    /// `tr_crc`: our reference.
    pub crc: String,
    pub md5sum: String,
}

impl Notification {
    /// `None`: not a form body.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Some(Self {
            merchant_id: get("id"),
            transaction: get("tr_id"),
            status: get("tr_status"),
            amount: get("tr_amount"),
            paid: get("tr_paid"),
            crc: get("tr_crc"),
            md5sum: get("md5sum"),
        })
    }

    pub fn is_paid(&self) -> bool {
        matches!(self.status.as_str(), "TRUE" | "PAID")
    }

    /// What was paid, in grosze.
    pub fn paid_minor(&self) -> Option<i64> {
        minor(&self.paid)
    }

    /// One event per transaction and status (tpay repeats a notification
    /// until it is answered `TRUE`).
    pub fn event_id(&self) -> String {
        format!("{}:{}", self.transaction, self.status)
    }

    /// The notification is for this merchant, and its md5sum was made with
    /// the merchant's security code.
    pub fn check_merchant(&self, creds: &TpayCredentials) -> PaymentsResult<()> {
        use subtle::ConstantTimeEq;
        if self.merchant_id != creds.merchant_id {
            tracing::warn!("a tpay notification for another merchant was refused");
            return Err(PaymentsError::WrongMerchant);
        }
        let expected = jws::md5sum(
            &creds.merchant_id,
            &self.transaction,
            &self.amount,
            &self.crc,
            &creds.security_code,
        );
        if !bool::from(expected.as_bytes().ct_eq(self.md5sum.as_bytes())) {
            return Err(PaymentsError::Md5Mismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn creds() -> TpayCredentials {
        TpayCredentials {
            merchant_id: "1010".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            security_code: "code".into(),
        }
    }

    #[test]
    fn amounts_cross_between_grosze_and_decimal_pln() {
        assert_eq!(decimal(3_600), "36.00");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(minor("36.00"), Some(3_600));
        assert_eq!(minor("0.1"), Some(10));
        assert_eq!(minor("inf"), None);
        assert_eq!(minor("x"), None);
    }

    #[test]
    fn a_notification_is_checked_against_its_merchant() {
        let md5 = jws::md5sum("1010", "TR-1", "36.00", "crc", "code");
        let body = format!(
            "id=1010&tr_id=TR-1&tr_amount=36.00&tr_paid=36.00&tr_crc=crc&tr_status=TRUE&md5sum={md5}"
        );
        let n = Notification::parse(body.as_bytes()).unwrap();
        assert!(n.is_paid());
        assert_eq!(n.paid_minor(), Some(3_600));
        assert_eq!(n.event_id(), "TR-1:TRUE");
        assert!(n.check_merchant(&creds()).is_ok());
        let other = TpayCredentials {
            merchant_id: "1011".into(),
            ..creds()
        };
        assert!(matches!(
            n.check_merchant(&other),
            Err(PaymentsError::WrongMerchant)
        ));
        let forged = Notification {
            paid: "99.00".into(),
            amount: "99.00".into(),
            ..n
        };
        assert!(matches!(
            forged.check_merchant(&creds()),
            Err(PaymentsError::Md5Mismatch)
        ));
    }
}
