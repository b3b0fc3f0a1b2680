//! Deposits for bookings, paid to the business's own Stripe account
//! (Connect), against the local fake Stripe.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_payments::stripe::signature::sign;

use crate::booking_pages::{get_page, input_value, links, post_form};
use crate::fake_stripe::{
    FakeStripe, Recorded, SECRET_KEY, WEBHOOK_SECRET, account_updated, deposit_paid, event,
};
use crate::helpers::{Backend, TestApp};
use crate::scheduling::{Salon, salon, slots};

pub(crate) async fn spawn(backend: Backend, fake: &FakeStripe) -> Option<TestApp> {
    let base = fake.url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.stripe_secret_key = Some(SECRET_KEY.into());
        s.stripe_webhook_secrets = vec![WEBHOOK_SECRET.into()];
        s.stripe_api_base = base;
    })
    .await
}

pub(crate) async fn notify(app: &TestApp, body: &Value) -> Value {
    let raw = body.to_string();
    let resp = app
        .client()
        .post(format!("{}/webhooks/stripe", app.url))
        .header(
            "stripe-signature",
            sign(WEBHOOK_SECRET, app.app().now().timestamp(), raw.as_bytes()),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// A salon whose 120 PLN service asks a 30 % deposit, with its Stripe
/// account connected through the panel and enabled by Stripe.
pub(crate) async fn deposit_salon(app: &TestApp, fake: &FakeStripe, slug: &str) -> (Salon, String) {
    let s = salon(
        app,
        slug,
        json!({"payment_mode": "deposit", "deposit_percent": 30}),
    )
    .await;
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/payments/connect", app.url),
        &[("csrf_token", &s.owner.csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://connect.stripe.com/setup/")
    );
    let sent = fake.requests();
    let created = sent
        .iter()
        .rev()
        .find(|r| r.path == "/v1/accounts")
        .unwrap();
    assert_eq!(created.get("type"), Some("standard"));
    let link = sent
        .iter()
        .rev()
        .find(|r| r.path == "/v1/account_links")
        .unwrap();
    assert_eq!(link.get("type"), Some("account_onboarding"));
    let account = link.get("account").unwrap().to_string();
    // Until Stripe enables the account, bookings need no payment.
    let applied = notify(app, &account_updated(&account, true)).await;
    assert_eq!(applied["applied"], "changed");
    let (_, html) = get_page(
        &s.owner.client,
        &format!("{}/app/payments?lang=en", app.url),
    )
    .await;
    assert!(html.contains("Connected: clients can pay when booking."));
    (s, account)
}

/// Books the first free time through the booking page; returns where the
/// client was sent and the booking's id.
pub async fn book_on_page(app: &TestApp, s: &Salon, email: &str) -> (String, String) {
    book_on_page_at(app, s, email, "").await
}

/// Books the first time the page offers; `extra` adds to the page's query
/// (`&date=…` picks the day).
pub async fn book_on_page_at(
    app: &TestApp,
    s: &Salon,
    email: &str,
    extra: &str,
) -> (String, String) {
    let client = app.client();
    let (_, html) = get_page(
        &client,
        &format!(
            "{}/b/{}?lang=en&service={}{extra}",
            app.url, s.slug, s.service
        ),
    )
    .await;
    let slot = links(&html, &format!("/b/{}/details?", s.slug))
        .into_iter()
        .next()
        .unwrap();
    let (_, html) = get_page(&client, &format!("{}{slot}", app.url)).await;
    let mut pairs: Vec<(String, String)> = ["service", "staff", "start", "token", "tz", "lang"]
        .iter()
        .filter_map(|n| input_value(&html, n).map(|v| (n.to_string(), v)))
        .collect();
    pairs.push(("name".into(), "Dorota Zadatek".into()));
    pairs.push(("email".into(), email.into()));
    let body: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resp = post_form(&client, &format!("{}/b/{}/details", app.url, s.slug), &body).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let bookings: Value = s.owner.get("/bookings").await.json().await.unwrap();
    let newest = bookings["items"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|b| b["created_at"].as_str().unwrap().to_string())
        .unwrap()
        .clone();
    (location, newest["id"].as_str().unwrap().to_string())
}

pub(crate) fn checkout_of(fake: &FakeStripe) -> Recorded {
    fake.requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v1/checkout/sessions")
        .unwrap()
}

pub(crate) fn metadata(r: &Recorded) -> Value {
    json!({
        "tenant_id": r.get("metadata[tenant_id]"),
        "booking_id": r.get("metadata[booking_id]"),
        "payment_id": r.get("metadata[payment_id]"),
    })
}

async fn status_of(s: &Salon, id: &str) -> Value {
    let b: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    b["status"].clone()
}

pub(crate) fn refunds(fake: &FakeStripe) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .collect()
}

async fn a_deposit_booking_is_confirmed_once(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zadatek-raz").await;
    let (location, id) = book_on_page(&app, &s, "dorota@example.com").await;
    assert!(
        location.starts_with("https://checkout.stripe.com/c/pay/"),
        "{location}"
    );
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    // The checkout: on the business's account, 30 % of 120 PLN, ids only.
    let r = checkout_of(&fake);
    assert_eq!(r.stripe_account.as_deref(), Some(account.as_str()));
    assert_eq!(r.get("mode"), Some("payment"));
    assert_eq!(
        r.get("line_items[0][price_data][unit_amount]"),
        Some("3600")
    );
    assert_eq!(r.get("line_items[0][price_data][currency]"), Some("pln"));
    assert_eq!(r.get("metadata[booking_id]"), Some(id.as_str()));
    let everything: String = r.form.iter().map(|(k, v)| format!("{k}={v}&")).collect();
    assert!(!everything.contains("dorota") && !everything.contains("Dorota"));
    assert!(
        r.idempotency_key
            .as_deref()
            .unwrap()
            .starts_with("deposit-checkout:")
    );
    // The time is held: nobody else gets it.
    let start: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let start = start["starts_at"].as_str().unwrap().to_string();
    let day = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Warsaw)
        .date_naive();
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    assert!(!free.iter().any(|f| f["start"].as_str().unwrap() == start));
    // No confirmation before the money.
    assert_eq!(app.mails_to("dorota@example.com"), 0);

    // Out of order and twice: the intent's own event first (nothing to do
    // with it), then the completed checkout, twice.
    let md = metadata(&r);
    let mut intent_event = event(
        "evt_pi_1",
        "payment_intent.succeeded",
        json!({"id": "pi_1", "object": "payment_intent", "amount": 3600, "currency": "pln", "metadata": md}),
    );
    intent_event["account"] = json!(account);
    assert_eq!(notify(&app, &intent_event).await["applied"], "ignored");
    let paid = deposit_paid("evt_paid_1", &account, &md, 3600, "pln", "pi_1");
    assert_eq!(notify(&app, &paid).await["applied"], "changed");
    assert_eq!(notify(&app, &paid).await["applied"], "duplicate");
    assert_eq!(status_of(&s, &id).await, "confirmed");
    let (_, html) = get_page(
        &s.owner.client,
        &format!("{}/app/bookings/{id}?lang=en", app.url),
    )
    .await;
    assert!(html.contains("36 PLN · stripe · paid"), "{html}");
    // One confirmation e-mail, however many notifications.
    app.run_jobs().await;
    app.run_jobs().await;
    assert_eq!(app.mails_to("dorota@example.com"), 1);
    // It says the deposit came in, in the page's language, with the
    // visit's facts and the manage link.
    let mail = app.latest_mail_to("dorota@example.com");
    for part in [
        "Deposit received, booking confirmed",
        "we received your deposit",
        "price: PLN 120.00",
        "duration: 60 min",
        "/manage/",
    ] {
        assert!(mail.contains(part), "{part:?} missing in {mail}");
    }
    assert!(refunds(&fake).is_empty());
    app.finish().await;
}

async fn an_expired_hold_frees_the_time_and_a_late_payment_is_refunded(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zadatek-pozno").await;
    // A day ahead: after the hold's quarter of an hour the time is still to
    // come, whatever the hour the test runs at.
    let day = crate::scheduling::day_ahead(1);
    let (_, id) = book_on_page_at(
        &app,
        &s,
        "pozno@example.com",
        &format!("&month={}&date={day}", day.format("%Y-%m")),
    )
    .await;
    let r = checkout_of(&fake);
    let b: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let start = b["starts_at"].as_str().unwrap().to_string();
    // Fifteen minutes pass without payment.
    app.clock.advance(Duration::minutes(16));
    let (released, _) = app.app().settle_payments().await.unwrap();
    assert_eq!(released, 1);
    let owner = app
        .login(
            &crate::helpers::owner_email("zadatek-pozno"),
            crate::helpers::PASSWORD,
        )
        .await;
    let b: Value = owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["status"], "cancelled");
    assert_eq!(b["cancelled_by"], "system");
    // The time is free again.
    let day = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Warsaw)
        .date_naive();
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    assert!(
        free.iter().any(|f| f["start"].as_str().unwrap() == start),
        "{start} not in {free:?}"
    );
    // The payment arrives anyway: refunded in full, on the business's account.
    let paid = deposit_paid("evt_late", &account, &metadata(&r), 3600, "pln", "pi_late");
    assert_eq!(notify(&app, &paid).await["applied"], "changed");
    let made = refunds(&fake);
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].get("payment_intent"), Some("pi_late"));
    assert_eq!(made[0].get("amount"), Some("3600"));
    assert_eq!(made[0].stripe_account.as_deref(), Some(account.as_str()));
    let key = made[0].idempotency_key.clone().unwrap();
    assert!(key.starts_with("refund:"));
    let b: Value = owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["status"], "cancelled", "a late payment books nothing");
    // Done once: the worker finds nothing more to refund.
    assert_eq!(app.app().settle_payments().await.unwrap(), (0, 0));
    assert_eq!(refunds(&fake).len(), 1);
    app.finish().await;
}

async fn cancellation_refunds_per_policy(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zadatek-zwrot").await;
    let resp = s
        .owner
        .patch("/business", json!({"cancellation_cutoff_hours": 0}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mut paid = Vec::new();
    for (i, who) in ["a@example.com", "b@example.com", "c@example.com"]
        .iter()
        .enumerate()
    {
        let (_, id) = book_on_page(&app, &s, who).await;
        let r = checkout_of(&fake);
        let e = deposit_paid(
            &format!("evt_z{i}"),
            &account,
            &metadata(&r),
            3600,
            "pln",
            &format!("pi_z{i}"),
        );
        notify(&app, &e).await;
        assert_eq!(status_of(&s, &id).await, "confirmed");
        // Stripe sends the client back to the manage page.
        let back = r.get("success_url").unwrap().to_string();
        let manage = back.split('?').next().unwrap().to_string();
        let path = manage[manage.find("/b/").unwrap()..].to_string();
        paid.push((id, path));
    }
    // The client cancels before the cutoff: the deposit comes back.
    let (_, html) = get_page(&app.client(), &format!("{}{}?lang=en", app.url, paid[0].1)).await;
    assert!(!html.contains("pay-title"), "paid: nothing more to pay");
    let token = input_value(&html, "token").unwrap();
    let resp = post_form(
        &app.client(),
        &format!("{}{}/cancel", app.url, paid[0].1),
        &[("token", &token), ("reason", "wyjazd")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&s, &paid[0].0).await, "cancelled");
    // The business cancels: a full refund too.
    let resp = s
        .owner
        .post(
            &format!("/bookings/{}/cancel", paid[1].0),
            json!({"reason": "choroba"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let made = refunds(&fake);
    assert_eq!(made.len(), 2);
    assert_eq!(made[0].get("payment_intent"), Some("pi_z0"));
    assert_eq!(made[1].get("payment_intent"), Some("pi_z1"));
    assert!(made.iter().all(|r| r.get("amount") == Some("3600")));
    // Past the cutoff the client cannot cancel, and nothing is refunded.
    s.owner
        .patch("/business", json!({"cancellation_cutoff_hours": 720}))
        .await;
    let (_, html) = get_page(&app.client(), &format!("{}{}?lang=en", app.url, paid[2].1)).await;
    assert!(html.contains("Changes are no longer possible online"));
    let resp = post_form(
        &app.client(),
        &format!("{}{}/cancel", app.url, paid[2].1),
        &[("token", &token)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(status_of(&s, &paid[2].0).await, "confirmed");
    assert_eq!(refunds(&fake).len(), 2);
    app.finish().await;
}

async fn a_wrong_account_or_amount_changes_nothing(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zadatek-obcy").await;
    let (_, id) = book_on_page(&app, &s, "obcy@example.com").await;
    let md = metadata(&checkout_of(&fake));
    for (event_id, acct, amount, currency) in [
        ("evt_w1", "acct_someone_else", 3600, "pln"),
        ("evt_w2", account.as_str(), 100, "pln"),
        ("evt_w3", account.as_str(), 3600, "eur"),
    ] {
        let e = deposit_paid(event_id, acct, &md, amount, currency, "pi_w");
        assert_eq!(notify(&app, &e).await["applied"], "ignored", "{event_id}");
        assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    }
    assert!(refunds(&fake).is_empty());
    app.finish().await;
}

async fn an_outage_keeps_the_hold_and_offers_to_pay_again(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, _) = deposit_salon(&app, &fake, "zadatek-awaria").await;
    fake.set_down(true);
    let (location, id) = book_on_page(&app, &s, "awaria@example.com").await;
    assert!(
        location.contains("/manage/") && location.contains("pay=1"),
        "{location}"
    );
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    let (status, html) = get_page(&app.client(), &format!("{}{location}", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("could not be opened just now"), "{html}");
    assert!(html.contains("36 PLN"));
    // Back up: "Pay now" opens the same session the first try asked for.
    fake.set_down(false);
    let token = input_value(&html, "token").unwrap();
    let manage = location.split('?').next().unwrap().to_string();
    let resp = post_form(
        &app.client(),
        &format!("{}{manage}/pay", app.url),
        &[("token", &token), ("lang", "en")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://checkout.stripe.com/")
    );
    let keys: Vec<Option<String>> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .map(|r| r.idempotency_key)
        .collect();
    assert!(keys.len() >= 4, "three tries while down, one after");
    assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    app.finish().await;
}

async fn the_business_sets_the_hold_and_the_refund_policy(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zadatek-zasady").await;
    let resp = s
        .owner
        .patch(
            "/business",
            json!({"payment_hold_minutes": 5, "refund_client_cancellations": false, "cancellation_cutoff_hours": 0}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = s
        .owner
        .patch("/business", json!({"payment_hold_minutes": 1}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A five-minute hold.
    let (_, id) = book_on_page(&app, &s, "krotko@example.com").await;
    app.clock.advance(Duration::minutes(4));
    assert_eq!(app.app().settle_payments().await.unwrap().0, 0);
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.app().settle_payments().await.unwrap().0, 1);
    // The business keeps deposits when clients cancel.
    let (_, id) = book_on_page(&app, &s, "zostaje@example.com").await;
    let r = checkout_of(&fake);
    notify(
        &app,
        &deposit_paid("evt_keep", &account, &metadata(&r), 3600, "pln", "pi_keep"),
    )
    .await;
    assert_eq!(status_of(&s, &id).await, "confirmed");
    let back = r.get("success_url").unwrap().to_string();
    let manage = back.split('?').next().unwrap().to_string();
    let path = manage[manage.find("/b/").unwrap()..].to_string();
    let (_, html) = get_page(&app.client(), &format!("{}{path}?lang=en", app.url)).await;
    let token = input_value(&html, "token").unwrap();
    let resp = post_form(
        &app.client(),
        &format!("{}{path}/cancel", app.url),
        &[("token", &token)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&s, &id).await, "cancelled");
    assert!(refunds(&fake).is_empty(), "the deposit is kept");
    app.finish().await;
}

crate::for_each_backend!(
    a_deposit_booking_is_confirmed_once,
    an_expired_hold_frees_the_time_and_a_late_payment_is_refunded,
    cancellation_refunds_per_policy,
    a_wrong_account_or_amount_changes_nothing,
    an_outage_keeps_the_hold_and_offers_to_pay_again,
    the_business_sets_the_hold_and_the_refund_policy
);
