//! The payment providers' side of Termino: Stripe (Checkout, Connect,
//! Billing) and tpay. Each provider makes a page to pay on, refunds, and
//! verifies its notifications; it answers with plain values (ids,
//! addresses, amounts, states) and a [`PaymentsError`]. What a payment
//! does to a booking or a plan is the application's business, not this
//! crate's: there is no database here.

pub mod stripe;
pub mod tpay;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who takes a payment. Stored by [`Provider::as_str`] in payments,
/// checkouts, events and plan changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Stripe,
    Tpay,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::Tpay => "tpay",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "stripe" => Some(Self::Stripe),
            "tpay" => Some(Self::Tpay),
            _ => None,
        }
    }

    /// tpay runs a payment only with the payer's e-mail and name; Stripe's
    /// page asks the payer itself.
    pub fn asks_payer(self) -> bool {
        self == Self::Tpay
    }

    /// Of a payment's two references (`provider_ref`: the page or
    /// transaction; `payment_ref`: what was paid), the one a refund names:
    /// Stripe refunds a PaymentIntent, tpay a transaction.
    pub fn refund_target<'a>(
        self,
        provider_ref: Option<&'a str>,
        payment_ref: Option<&'a str>,
    ) -> Option<&'a str> {
        match self {
            Self::Stripe => payment_ref,
            Self::Tpay => provider_ref,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    /// The call failed or its answer was unusable (already logged, without
    /// personal data).
    #[error("the payment provider did not answer ({0})")]
    Unavailable(&'static str),
    #[error(transparent)]
    StripeSignature(#[from] stripe::signature::SignatureError),
    #[error(transparent)]
    TpaySignature(#[from] tpay::jws::JwsError),
    /// A tpay notification for another merchant.
    #[error("another merchant")]
    WrongMerchant,
    /// A tpay notification whose md5sum was not made with the merchant's
    /// security code.
    #[error("md5sum mismatch")]
    Md5Mismatch,
    /// The business has no account at the provider to take this payment.
    #[error("no account at the payment provider")]
    NoAccount,
    /// Something we built is not what the provider accepts (an id, a key,
    /// a currency): a bug or bad stored data, not the provider's fault.
    #[error("{0}")]
    Malformed(String),
}

pub type PaymentsResult<T> = Result<T, PaymentsError>;

/// The payer, for providers that ask ([`Provider::asks_payer`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Payer<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

/// A deposit (or prepayment) for one booking, paid to the business.
#[derive(Debug, Clone)]
pub struct DepositOrder<'a> {
    /// Our payment's id: Stripe's idempotency key and reference, tpay's
    /// `crc` (it comes back in the notification).
    pub payment_id: Uuid,
    pub tenant_id: Uuid,
    pub booking_id: Uuid,
    pub amount_minor: i64,
    pub currency: &'a str,
    /// What is sold: the service's name.
    pub service: &'a str,
    /// Who sells it: the business's name.
    pub business: &'a str,
    pub payer: Payer<'a>,
    pub success_url: String,
    pub cancel_url: String,
    /// When the page stops taking payment (Stripe; tpay's expire alone).
    pub expires_at: DateTime<Utc>,
}

/// How long a plan's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Year,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }
}

/// A plan Termino sells a business: a subscription (Stripe) or one paid
/// period (tpay), for `seats` at `unit_minor` a seat.
#[derive(Debug, Clone)]
pub struct PlanOrder<'a> {
    pub tenant_id: Uuid,
    pub period: Period,
    pub seats: i64,
    pub unit_minor: i64,
    pub currency: &'a str,
    /// `Termino Pro`.
    pub product: &'a str,
    /// Our reference: Stripe's idempotency key, tpay's `crc`.
    pub reference: &'a str,
    /// The business's Stripe customer, once it has one.
    pub customer: Option<&'a str>,
    pub payer: Payer<'a>,
    pub success_url: String,
    pub cancel_url: String,
}

/// A page to pay on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPage {
    /// The provider's id of it: a Checkout Session, a tpay transaction.
    pub reference: String,
    /// tpay's title of the transaction (what the payer sees).
    pub title: Option<String>,
    /// Where to send the payer; Stripe may, in principle, give none.
    pub url: Option<String>,
}

/// Money back for one payment.
#[derive(Debug, Clone)]
pub struct RefundOrder<'a> {
    pub payment_id: Uuid,
    /// What [`Provider::refund_target`] names.
    pub target: &'a str,
    pub amount_minor: i64,
}

/// One provider, ready for one account: Termino's own (plans) or a
/// business's (deposits).
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync {
    fn provider(&self) -> Provider;

    /// A page on which a client pays a booking's deposit.
    async fn checkout(&self, order: &DepositOrder<'_>) -> PaymentsResult<PaymentPage>;

    /// Pays back `order.amount_minor` of a payment; safe to call again for
    /// the same payment where the provider knows idempotency keys.
    async fn refund(&self, order: &RefundOrder<'_>) -> PaymentsResult<()>;

    /// The provider signed this body: Stripe-Signature, or tpay's JWS
    /// with its certificate chain.
    async fn verify_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> PaymentsResult<()>;

    /// A page on which an owner buys a plan (a subscription or a period).
    async fn plan_checkout(&self, order: &PlanOrder<'_>) -> PaymentsResult<PaymentPage>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_stored_by_their_old_names() {
        for p in [Provider::Stripe, Provider::Tpay] {
            assert_eq!(Provider::parse(p.as_str()), Some(p));
        }
        assert_eq!(Provider::Stripe.as_str(), "stripe");
        assert_eq!(Provider::Tpay.as_str(), "tpay");
        assert_eq!(Provider::parse("termino"), None);
    }

    #[test]
    fn a_refund_names_what_each_provider_refunds() {
        let (page, paid) = (Some("cs_1"), Some("pi_1"));
        assert_eq!(Provider::Stripe.refund_target(page, paid), Some("pi_1"));
        assert_eq!(Provider::Tpay.refund_target(page, paid), Some("cs_1"));
    }
}
