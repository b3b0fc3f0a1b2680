//! Stripe: Checkout for plans (subscription mode, on Termino's account)
//! and for deposits (payment mode, a direct charge on the business's own
//! connected account), refunds, Connect onboarding and the Customer
//! Portal. Every call is bounded in time and retried with the same
//! idempotency key, so it never charges twice.

pub mod signature;

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use stripe::{AccountId, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionPaymentIntentData, CreateCheckoutSessionSubscriptionData, ProductData,
};
use stripe_connect::account::{CreateAccount, CreateAccountType};
use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};

use crate::{
    DepositOrder, PaymentPage, PaymentProvider, PaymentsError, PaymentsResult, Period, PlanOrder,
    Provider, RefundOrder,
};

/// Each attempt is bounded; a failed call is tried again.
const CALL_TIMEOUT: StdDuration = StdDuration::from_secs(10);
const CALL_ATTEMPTS: u32 = 3;

/// Termino's Stripe account.
#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    /// The signing secrets of the webhook endpoint (two while rolling).
    pub webhook_secrets: Vec<String>,
    /// `https://api.stripe.com`, or a local fake in tests.
    pub api_base: String,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

fn provider_down(what: &'static str, err: impl std::fmt::Display) -> PaymentsError {
    // Stripe's error texts name no personal data; ours carry none either.
    tracing::warn!(call = what, error = %err, "payment provider call failed");
    PaymentsError::Unavailable(what)
}

/// Runs `call` up to [`CALL_ATTEMPTS`] times with a short back-off; the
/// caller passes the same idempotency key every time.
async fn with_retries<T, F, Fut>(what: &'static str, mut call: F) -> PaymentsResult<T>
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

fn idempotency(key: String) -> PaymentsResult<RequestStrategy> {
    IdempotencyKey::new(key)
        .map(RequestStrategy::Idempotent)
        .map_err(|e| PaymentsError::Malformed(format!("idempotency key: {e:?}")))
}

fn currency(code: &str) -> PaymentsResult<stripe_types::Currency> {
    code.to_ascii_lowercase()
        .parse()
        .map_err(|_| PaymentsError::Malformed("a currency Stripe does not know".into()))
}

/// Stripe for Termino's own account, or (see [`Stripe::on_account`]) for
/// a business's connected one.
pub struct Stripe {
    client: stripe::Client,
    webhook_secrets: Vec<String>,
    account: Option<AccountId>,
}

impl Stripe {
    pub fn new(config: &StripeConfig) -> PaymentsResult<Self> {
        let client = ClientBuilder::new(config.secret_key.clone())
            .url(config.api_base.clone())
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| provider_down("client", e))?;
        Ok(Self {
            client,
            webhook_secrets: config.webhook_secrets.clone(),
            account: None,
        })
    }

    /// The same Stripe, acting on a business's connected account (deposits
    /// and their refunds are direct charges there).
    pub fn on_account(mut self, account: &str) -> PaymentsResult<Self> {
        self.account = Some(
            account
                .parse()
                .map_err(|_| PaymentsError::Malformed("a malformed Stripe account id".into()))?,
        );
        Ok(self)
    }

    fn account(&self) -> PaymentsResult<&AccountId> {
        self.account.as_ref().ok_or(PaymentsError::NoAccount)
    }

    /// A Standard connected account for a business; `key` makes a
    /// repeated call return the same account. Returns its id.
    pub async fn create_account(&self, key: String) -> PaymentsResult<String> {
        let strategy = idempotency(key)?;
        let created = with_retries("account", || {
            CreateAccount::new()
                .type_(CreateAccountType::Standard)
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(created.id.as_str().to_string())
    }

    /// Stripe's onboarding page for a connected account.
    pub async fn onboarding_link(
        &self,
        account: &str,
        refresh_url: &str,
        return_url: &str,
    ) -> PaymentsResult<String> {
        let link = with_retries("account link", || {
            CreateAccountLink::new(account, CreateAccountLinkType::AccountOnboarding)
                .refresh_url(refresh_url)
                .return_url(return_url)
                .customize()
                .send(&self.client)
        })
        .await?;
        Ok(link.url)
    }

    /// The Customer Portal (card changes, invoices, cancellation).
    pub async fn portal(&self, customer: &str, return_url: &str) -> PaymentsResult<String> {
        let session = with_retries("portal", || {
            stripe_billing::billing_portal_session::CreateBillingPortalSession::new()
                .customer(customer)
                .return_url(return_url)
                .customize()
                .send(&self.client)
        })
        .await?;
        Ok(session.url)
    }
}

fn page(session: stripe_checkout::CheckoutSession) -> PaymentPage {
    PaymentPage {
        reference: session.id.as_str().to_string(),
        title: None,
        url: session.url,
    }
}

#[async_trait::async_trait]
impl PaymentProvider for Stripe {
    fn provider(&self) -> Provider {
        Provider::Stripe
    }

    /// Checkout in payment mode on the business's account; the same
    /// payment always gets the same session.
    async fn checkout(&self, order: &DepositOrder<'_>) -> PaymentsResult<PaymentPage> {
        let account = self.account()?;
        let currency = currency(order.currency)?;
        let mut metadata = HashMap::new();
        metadata.insert("tenant_id".to_string(), order.tenant_id.to_string());
        metadata.insert("booking_id".to_string(), order.booking_id.to_string());
        metadata.insert("payment_id".to_string(), order.payment_id.to_string());
        let strategy = idempotency(format!("deposit-checkout:{}", order.payment_id))?;
        let session = with_retries("deposit checkout", || {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
            price.unit_amount = Some(order.amount_minor);
            // The service's name: what the business sells, nobody's data.
            price.product_data = Some(ProductData::new(order.service));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(1);
            let mut intent = CreateCheckoutSessionPaymentIntentData::new();
            intent.metadata = Some(metadata.clone());
            CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Payment)
                .line_items(vec![item])
                .payment_intent_data(intent)
                .client_reference_id(order.payment_id.to_string())
                .metadata(metadata.clone())
                .expires_at(order.expires_at.timestamp())
                .success_url(order.success_url.as_str())
                .cancel_url(order.cancel_url.as_str())
                .customize()
                .account_id(account.clone())
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(page(session))
    }

    async fn refund(&self, order: &RefundOrder<'_>) -> PaymentsResult<()> {
        let account = self.account()?;
        let strategy = idempotency(format!("refund:{}", order.payment_id))?;
        with_retries("refund", || {
            stripe_core::refund::CreateRefund::new()
                .payment_intent(order.target)
                .amount(order.amount_minor)
                .customize()
                .account_id(account.clone())
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(())
    }

    async fn verify_notification(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> PaymentsResult<()> {
        signature::verify(signature, body, &self.webhook_secrets, now)?;
        Ok(())
    }

    /// Checkout in subscription mode on Termino's account, `seats` at the
    /// period's price; `order.reference` is the idempotency key.
    async fn plan_checkout(&self, order: &PlanOrder<'_>) -> PaymentsResult<PaymentPage> {
        let currency = currency(order.currency)?;
        let mut metadata = HashMap::new();
        metadata.insert("tenant_id".to_string(), order.tenant_id.to_string());
        metadata.insert("interval".to_string(), order.period.as_str().to_string());
        let strategy = idempotency(order.reference.to_string())?;
        let session = with_retries("checkout", || {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
            price.unit_amount = Some(order.unit_minor);
            price.product_data = Some(ProductData::new(order.product));
            price.recurring = Some(CreateCheckoutSessionLineItemsPriceDataRecurring::new(
                match order.period {
                    Period::Month => {
                        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month
                    }
                    Period::Year => CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year,
                },
            ));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(order.seats as u64);
            let mut subscription = CreateCheckoutSessionSubscriptionData::new();
            subscription.metadata = Some(metadata.clone());
            let mut create = CreateCheckoutSession::new()
                .mode(CheckoutSessionMode::Subscription)
                .line_items(vec![item])
                .subscription_data(subscription)
                .client_reference_id(order.tenant_id.to_string())
                .metadata(metadata.clone())
                .success_url(order.success_url.as_str())
                .cancel_url(order.cancel_url.as_str());
            if let Some(customer) = order.customer {
                create = create.customer(customer);
            }
            create
                .customize()
                .request_strategy(strategy.clone())
                .send(&self.client)
        })
        .await?;
        Ok(page(session))
    }
}
