//! A local stand-in for Stripe's API, started by the tests: it speaks the
//! request and response shapes of `POST /v1/checkout/sessions` and
//! `POST /v1/billing_portal/sessions` (form-encoded requests, bearer key,
//! `Idempotency-Key` replays, JSON objects as documented), records what it
//! was sent, and can be made to fail like an outage. Events are built here
//! in Stripe's documented shapes and signed the real way.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{Body, EndpointExt, Request, Response, Route, handler, post};
use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_termino_fake";
pub const WEBHOOK_SECRET: &str = "whsec_termino_fake";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub idempotency_key: Option<String>,
    /// Set on calls made for a connected account (none for plans).
    pub stripe_account: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct State {
    requests: Arc<Mutex<Vec<Recorded>>>,
    replies: Arc<Mutex<HashMap<String, String>>>,
    down: Arc<AtomicBool>,
    counter: Arc<AtomicU32>,
}

pub struct FakeStripe {
    pub url: String,
    state: State,
}

fn stripe_error(status: u16, kind: &str, message: &str) -> Response {
    Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .body(json!({"error": {"type": kind, "message": message}}).to_string())
}

fn form_of(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

#[handler]
async fn endpoint(req: &Request, body: Body, Data(state): Data<&State>) -> Response {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let body = body.into_vec().await.unwrap_or_default();
    let recorded = Recorded {
        path: req.uri().path().to_string(),
        idempotency_key: header("idempotency-key"),
        stripe_account: header("stripe-account"),
        form: form_of(&body),
    };
    state.requests.lock().unwrap().push(recorded.clone());
    if header("authorization").as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        return stripe_error(401, "invalid_request_error", "Invalid API Key provided");
    }
    if state.down.load(Ordering::SeqCst) {
        return stripe_error(500, "api_error", "An unknown error occurred");
    }
    if let Some(key) = &recorded.idempotency_key
        && let Some(reply) = state.replies.lock().unwrap().get(key)
    {
        return Response::builder()
            .content_type("application/json")
            .header("idempotent-replayed", "true")
            .body(reply.clone());
    }
    let n = state.counter.fetch_add(1, Ordering::SeqCst);
    let now = chrono::Utc::now().timestamp();
    let reply = match recorded.path.as_str() {
        "/v1/checkout/sessions" => checkout_session(&recorded, n, now),
        "/v1/billing_portal/sessions" => json!({
            "id": format!("bps_test_{n}"), "object": "billing_portal.session",
            "configuration": "bpc_test_1", "created": now,
            "customer": recorded.get("customer"), "flow": null, "livemode": false,
            "locale": null, "on_behalf_of": null, "return_url": recorded.get("return_url"),
            "url": format!("https://billing.stripe.com/p/session/test_{n}"),
        }),
        "/v1/accounts" => json!({
            "id": format!("acct_test_{n}"), "object": "account", "type": recorded.get("type"),
            "business_profile": null, "business_type": null, "capabilities": {},
            "charges_enabled": false, "country": "PL", "created": now,
            "default_currency": "pln", "details_submitted": false, "email": null,
            "metadata": {}, "payouts_enabled": false, "settings": null,
        }),
        "/v1/account_links" => json!({
            "object": "account_link", "created": now, "expires_at": now + 300,
            "url": format!("https://connect.stripe.com/setup/s/{}/test_{n}", recorded.get("account").unwrap_or("")),
        }),
        "/v1/refunds" => json!({
            "id": format!("re_test_{n}"), "object": "refund",
            "amount": recorded.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0),
            "balance_transaction": null, "charge": null, "created": now, "currency": "pln",
            "destination_details": null, "metadata": {}, "payment_intent": recorded.get("payment_intent"),
            "reason": null, "receipt_number": null, "source_transfer_reversal": null,
            "status": "succeeded", "transfer_reversal": null,
        }),
        _ => return stripe_error(404, "invalid_request_error", "Unrecognized request URL"),
    }
    .to_string();
    if let Some(key) = recorded.idempotency_key {
        state.replies.lock().unwrap().insert(key, reply.clone());
    }
    Response::builder()
        .content_type("application/json")
        .body(reply)
}

/// A Checkout Session as `POST /v1/checkout/sessions` answers it.
fn checkout_session(r: &Recorded, n: u32, now: i64) -> Value {
    let metadata: serde_json::Map<String, Value> = r
        .form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_string(), json!(v)))
        })
        .collect();
    let amount: i64 = r
        .get("line_items[0][price_data][unit_amount]")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
        * r.get("line_items[0][quantity]")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(1);
    let id = format!("cs_test_{n}");
    json!({
        "id": id, "object": "checkout.session",
        "adaptive_pricing": null, "after_expiration": null, "allow_promotion_codes": null,
        "amount_subtotal": amount, "amount_total": amount,
        "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
        "billing_address_collection": null, "cancel_url": r.get("cancel_url"),
        "client_reference_id": r.get("client_reference_id"), "client_secret": null,
        "collected_information": null, "consent": null, "consent_collection": null,
        "created": now, "currency": r.get("line_items[0][price_data][currency]"),
        "currency_conversion": null, "custom_fields": [],
        "custom_text": {"after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null},
        "customer": r.get("customer"), "customer_creation": null, "customer_details": null,
        "customer_email": null, "discounts": [], "expires_at": now + 86_400, "invoice": null,
        "invoice_creation": null, "livemode": false, "locale": null, "metadata": metadata,
        "mode": r.get("mode"), "payment_intent": null, "payment_link": null,
        "payment_method_collection": "always", "payment_method_configuration_details": null,
        "payment_method_options": {}, "payment_method_types": ["card"],
        "payment_status": "unpaid", "permissions": null,
        "phone_number_collection": {"enabled": false}, "recovered_from": null,
        "saved_payment_method_options": null, "setup_intent": null,
        "shipping_address_collection": null, "shipping_cost": null, "shipping_options": [],
        "status": "open", "submit_type": null, "subscription": null,
        "success_url": r.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted", "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "wallet_options": null,
    })
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let state = State::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let app = Route::new()
            .at("/v1/checkout/sessions", post(endpoint))
            .at("/v1/billing_portal/sessions", post(endpoint))
            .at("/v1/accounts", post(endpoint))
            .at("/v1/account_links", post(endpoint))
            .at("/v1/refunds", post(endpoint))
            .data(state.clone());
        tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(app).await });
        FakeStripe {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// An outage: every call answers 500.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }
}

/// A Stripe event envelope around `object`.
pub fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive",
        "created": chrono::Utc::now().timestamp(), "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": kind,
        "data": {"object": object},
    })
}

/// Pro's price a seat a month, as Termino asks Stripe for it.
pub const MONTH_SEAT: i64 = 4900;

/// A Checkout Session of a subscription, completed and paid: one seat
/// a month at Pro's price.
pub fn checkout_completed(
    session: &str,
    tenant: &str,
    customer: &str,
    subscription: &str,
) -> Value {
    session_paid(session, tenant, customer, subscription, MONTH_SEAT, 0)
}

/// A completed subscription Checkout Session for `subtotal`, less a
/// `discount` recorded by Stripe (a coupon of the account's own).
pub fn session_paid(
    session: &str,
    tenant: &str,
    customer: &str,
    subscription: &str,
    subtotal: i64,
    discount: i64,
) -> Value {
    let total = subtotal - discount;
    json!({
        "id": session, "object": "checkout.session",
        "mode": "subscription", "status": "complete",
        "payment_status": if total == 0 { "no_payment_required" } else { "paid" },
        "client_reference_id": tenant, "customer": customer, "subscription": subscription,
        "amount_subtotal": subtotal, "amount_total": total, "currency": "pln",
        "total_details": {"amount_discount": discount, "amount_shipping": 0, "amount_tax": 0},
        "invoice": "in_first", "metadata": {"tenant_id": tenant, "interval": "month"},
    })
}

/// An invoice of a subscription (API 2025-03-31 and later: the
/// subscription under `parent.subscription_details`, each line's price
/// under `pricing`), one seat at Pro's monthly price.
pub fn invoice(
    id: &str,
    tenant: &str,
    subscription: &str,
    period_start: i64,
    period_end: i64,
    paid: bool,
    currency: &str,
) -> Value {
    let mut i = invoice_priced(
        id,
        tenant,
        subscription,
        (period_start, period_end),
        (MONTH_SEAT, 1),
        currency,
    );
    if !paid {
        i["amount_paid"] = json!(0);
        i["status"] = json!("open");
    }
    i
}

/// A paid invoice of `quantity` seats at `unit` each.
pub fn invoice_priced(
    id: &str,
    tenant: &str,
    subscription: &str,
    (period_start, period_end): (i64, i64),
    (unit, quantity): (i64, i64),
    currency: &str,
) -> Value {
    let amount = unit * quantity;
    json!({
        "id": id, "object": "invoice", "customer": "cus_test_1", "currency": currency,
        "amount_due": amount, "amount_paid": amount, "subtotal": amount, "total": amount,
        "total_discount_amounts": [],
        "status": "paid", "billing_reason": "subscription_cycle",
        "parent": {"type": "subscription_details", "quote_details": null,
            "subscription_details": {"metadata": {"tenant_id": tenant}, "subscription": subscription}},
        "lines": {"object": "list", "has_more": false, "data": [{
            "id": format!("il_{id}"), "object": "line_item", "amount": amount, "currency": currency,
            "period": {"start": period_start, "end": period_end}, "quantity": quantity,
            "pricing": {"type": "price_details", "unit_amount_decimal": unit.to_string(),
                "price_details": {"price": format!("price_{unit}"), "product": "prod_termino_pro"}},
            "parent": {"type": "subscription_item_details", "subscription_item_details": {
                "subscription": subscription, "subscription_item": "si_1", "proration": false}},
        }]},
    })
}

/// A subscription of one seat at `unit` a month.
pub fn subscription_priced(
    id: &str,
    tenant: &str,
    status: &str,
    period_end: i64,
    unit: i64,
) -> Value {
    json!({
        "id": id, "object": "subscription", "status": status, "customer": "cus_test_1",
        "cancel_at_period_end": false, "metadata": {"tenant_id": tenant},
        "items": {"object": "list", "data": [{
            "id": "si_1", "object": "subscription_item", "current_period_end": period_end,
            "quantity": 1,
            "price": {"id": format!("price_{unit}"), "object": "price", "currency": "pln",
                "unit_amount": unit, "recurring": {"interval": "month", "interval_count": 1},
                "product": "prod_termino_pro", "type": "recurring"},
        }]},
    })
}

pub fn subscription(id: &str, tenant: &str, status: &str, period_end: i64) -> Value {
    subscription_priced(id, tenant, status, period_end, MONTH_SEAT)
}

/// A connected account's news, as a Connect endpoint receives it.
pub fn account_updated(account: &str, charges_enabled: bool) -> Value {
    let mut e = event(
        &format!("evt_acct_{account}_{charges_enabled}"),
        "account.updated",
        json!({"id": account, "object": "account", "charges_enabled": charges_enabled,
            "payouts_enabled": charges_enabled, "details_submitted": true}),
    );
    e["account"] = json!(account);
    e
}

/// A Checkout Session in payment mode, paid, on a connected account.
pub fn deposit_paid(
    event_id: &str,
    account: &str,
    metadata: &Value,
    amount: i64,
    currency: &str,
    intent: &str,
) -> Value {
    let mut e = event(
        event_id,
        "checkout.session.completed",
        json!({
            "id": format!("cs_paid_{intent}"), "object": "checkout.session", "mode": "payment",
            "status": "complete", "payment_status": "paid", "amount_total": amount,
            "currency": currency, "payment_intent": intent, "metadata": metadata,
            "client_reference_id": metadata["payment_id"],
        }),
    );
    e["account"] = json!(account);
    e
}
