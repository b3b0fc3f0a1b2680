//! Termino's own plans, paid through Stripe: the panel starts a Checkout
//! session on the local fake Stripe; signed notifications move the plan.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_payments::stripe::signature::sign;

use crate::booking_pages::{get_page, post_form};
use crate::fake_stripe::{
    FakeStripe, SECRET_KEY, WEBHOOK_SECRET, checkout_completed, event, invoice, subscription,
};
use crate::helpers::{Backend, Session, TestApp};

pub(crate) async fn spawn(backend: Backend, fake: &FakeStripe) -> Option<TestApp> {
    let base = fake.url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.stripe_secret_key = Some(SECRET_KEY.into());
        s.stripe_webhook_secrets = vec![WEBHOOK_SECRET.into()];
        s.stripe_api_base = base;
    })
    .await
}

/// Posts an event as Stripe does: raw JSON, signed now with `secret`.
pub(crate) async fn notify_with(
    app: &TestApp,
    body: &Value,
    secret: &str,
    at: i64,
) -> reqwest::Response {
    let raw = body.to_string();
    app.client()
        .post(format!("{}/webhooks/stripe", app.url))
        .header("content-type", "application/json")
        .header("stripe-signature", sign(secret, at, raw.as_bytes()))
        .body(raw)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn notify(app: &TestApp, body: &Value) -> Value {
    let now = app.app().now().timestamp();
    let resp = notify_with(app, body, WEBHOOK_SECRET, now).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

pub(crate) async fn business(owner: &Session) -> Value {
    owner.get("/business").await.json().await.unwrap()
}

pub(crate) async fn tenant_id(owner: &Session) -> String {
    business(owner).await["id"].as_str().unwrap().to_string()
}

pub(crate) fn paid_until(b: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(b["paid_until"].as_str().expect("paid_until"))
        .unwrap()
        .timestamp()
}

async fn checkout(app: &TestApp, owner: &Session, interval: &str) -> reqwest::Response {
    post_form(
        &owner.client,
        &format!("{}/app/plan/checkout?lang=en", app.url),
        &[("csrf_token", &owner.csrf), ("interval", interval)],
    )
    .await
}

/// The owner goes to Stripe's Checkout page; the session's id.
pub(crate) async fn start_checkout(app: &TestApp, owner: &Session, interval: &str) -> String {
    let resp = checkout(app, owner, interval).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    location.rsplit('/').next().unwrap().to_string()
}

async fn a_plan_upgrade_moves_paid_until(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-pro").await;
    let tenant = tenant_id(&owner).await;
    let (status, html) = get_page(&owner.client, &format!("{}/app/plan?lang=en", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Trial"));

    // The owner goes to Stripe's Checkout page.
    let resp = checkout(&app, &owner, "month").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"],
        "https://checkout.stripe.com/c/pay/cs_test_0"
    );
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.path, "/v1/checkout/sessions");
    // Plans are paid to Termino's own account, not a connected one.
    assert_eq!(r.stripe_account, None);
    assert_eq!(r.get("mode"), Some("subscription"));
    assert_eq!(r.get("client_reference_id"), Some(tenant.as_str()));
    assert_eq!(r.get("metadata[tenant_id]"), Some(tenant.as_str()));
    assert_eq!(r.get("line_items[0][price_data][currency]"), Some("pln"));
    assert_eq!(
        r.get("line_items[0][price_data][unit_amount]"),
        Some("4900")
    );
    assert_eq!(
        r.get("line_items[0][price_data][recurring][interval]"),
        Some("month")
    );
    assert_eq!(r.get("line_items[0][quantity]"), Some("1"));
    // Ids only: nothing personal goes to Stripe.
    let everything: String = r.form.iter().map(|(k, v)| format!("{k}={v}&")).collect();
    assert!(!everything.contains('@'), "{everything}");
    assert!(!everything.contains("Salon"), "{everything}");
    let key = r.idempotency_key.clone().expect("an idempotency key");
    assert!(key.contains(&tenant));
    // A second click the same day gets the same session, not a new one.
    let again = checkout(&app, &owner, "month").await;
    assert_eq!(
        again.headers()["location"],
        "https://checkout.stripe.com/c/pay/cs_test_0"
    );
    assert_eq!(
        fake.requests()[1].idempotency_key.as_deref(),
        Some(key.as_str())
    );

    // Stripe tells us: paid, for a month.
    let now = app.app().now().timestamp();
    let end = now + 30 * 86_400;
    let done = notify(
        &app,
        &event(
            "evt_checkout_1",
            "checkout.session.completed",
            checkout_completed("cs_test_0", &tenant, "cus_test_1", "sub_test_1"),
        ),
    )
    .await;
    assert_eq!(done["applied"], "changed");
    let b = business(&owner).await;
    assert_eq!(b["plan"], "pro");
    let paid = notify(
        &app,
        &event(
            "evt_invoice_1",
            "invoice.paid",
            invoice("in_1", &tenant, "sub_test_1", now, end, true, "pln"),
        ),
    )
    .await;
    assert_eq!(paid["applied"], "changed");
    let b = business(&owner).await;
    assert_eq!(b["plan"], "pro");
    assert_eq!(b["plan_state"], "active");
    assert_eq!(paid_until(&b), end);

    // Renewed: the next period's invoice moves it on.
    let next_end = end + 30 * 86_400;
    notify(
        &app,
        &event(
            "evt_invoice_2",
            "invoice.paid",
            invoice("in_2", &tenant, "sub_test_1", end, next_end, true, "pln"),
        ),
    )
    .await;
    assert_eq!(paid_until(&business(&owner).await), next_end);

    // The panel shows it, with its history; the portal is offered.
    let (_, html) = get_page(&owner.client, &format!("{}/app/plan?lang=en", app.url)).await;
    assert!(html.contains("Pro (active)"), "{html}");
    assert!(html.contains("class=\"paid-until\""));
    assert_eq!(html.matches("list__row").count(), 3, "three changes");
    let resp = post_form(
        &owner.client,
        &format!("{}/app/plan/portal", app.url),
        &[("csrf_token", &owner.csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://billing.stripe.com/p/session/")
    );
    let portal = fake.requests().pop().unwrap();
    assert_eq!(portal.get("customer"), Some("cus_test_1"));

    // Another business's plan did not move.
    let other = app.signup("plan-inna").await;
    assert_eq!(business(&other).await["plan"], "trial");
    app.finish().await;
}

async fn a_failed_renewal_makes_the_plan_past_due(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-zalega").await;
    let tenant = tenant_id(&owner).await;
    let session = start_checkout(&app, &owner, "month").await;
    let now = app.app().now().timestamp();
    let end = now + 30 * 86_400;
    notify(
        &app,
        &event(
            "evt_c",
            "checkout.session.completed",
            checkout_completed(&session, &tenant, "cus_test_1", "sub_z"),
        ),
    )
    .await;
    notify(
        &app,
        &event(
            "evt_i1",
            "invoice.paid",
            invoice("in_1", &tenant, "sub_z", now, end, true, "pln"),
        ),
    )
    .await;
    // The renewal fails.
    notify(
        &app,
        &event(
            "evt_f",
            "invoice.payment_failed",
            invoice(
                "in_2",
                &tenant,
                "sub_z",
                end,
                end + 30 * 86_400,
                false,
                "pln",
            ),
        ),
    )
    .await;
    let b = business(&owner).await;
    assert_eq!(b["plan_state"], "past_due");
    assert_eq!(paid_until(&b), end, "what was paid stays paid");
    let (_, html) = get_page(&owner.client, &format!("{}/app/plan?lang=en", app.url)).await;
    assert!(html.contains("Your last payment did not go through"));
    // Paid after all: active again, a period further.
    notify(
        &app,
        &event(
            "evt_i2",
            "invoice.paid",
            invoice(
                "in_2",
                &tenant,
                "sub_z",
                end,
                end + 30 * 86_400,
                true,
                "pln",
            ),
        ),
    )
    .await;
    let b = business(&owner).await;
    assert_eq!(b["plan_state"], "active");
    assert_eq!(paid_until(&b), end + 30 * 86_400);
    // Cancelled in the portal: the subscription ends, paid time stays.
    notify(
        &app,
        &event(
            "evt_d",
            "customer.subscription.deleted",
            subscription("sub_z", &tenant, "canceled", end + 30 * 86_400),
        ),
    )
    .await;
    let b = business(&owner).await;
    assert_eq!(b["plan_state"], "cancelled");
    assert_eq!(paid_until(&b), end + 30 * 86_400);
    app.finish().await;
}

async fn notifications_apply_once_in_any_order(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-kolejnosc").await;
    let tenant = tenant_id(&owner).await;
    let session = start_checkout(&app, &owner, "month").await;
    let now = app.app().now().timestamp();
    let (e1, e2) = (now + 30 * 86_400, now + 60 * 86_400);
    // The second period's invoice arrives first, then the first's, then
    // the checkout — and Stripe sends each again (it retries what was not
    // acknowledged, and may repeat what was).
    let events = [
        event(
            "evt_p2",
            "invoice.paid",
            invoice("in_p2", &tenant, "sub_o", e1, e2, true, "pln"),
        ),
        event(
            "evt_p1",
            "invoice.paid",
            invoice("in_p1", &tenant, "sub_o", now, e1, true, "pln"),
        ),
        event(
            "evt_co",
            "checkout.session.completed",
            checkout_completed(&session, &tenant, "cus_test_1", "sub_o"),
        ),
    ];
    let mut outcomes = Vec::new();
    for e in events.iter().chain(events.iter()).chain(events.iter()) {
        let now = app.app().now().timestamp();
        let resp = notify_with(&app, e, WEBHOOK_SECRET, now).await;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        outcomes.push(if status == StatusCode::OK {
            body["applied"].clone()
        } else {
            json!(status.as_u16())
        });
    }
    // An invoice of a subscription whose checkout is not confirmed yet is
    // not acknowledged, so Stripe sends it again; by then it is known.
    assert_eq!(
        outcomes,
        vec![
            json!(409),
            json!(409),
            json!("changed"),
            json!("changed"),
            json!("ignored"),
            json!("duplicate"),
            json!("duplicate"),
            json!("duplicate"),
            json!("duplicate"),
        ]
    );
    let b = business(&owner).await;
    assert_eq!(b["plan"], "pro");
    assert_eq!(paid_until(&b), e2, "an older invoice never moves it back");
    // A stale failure (for a period already paid) changes nothing.
    let stale = notify(
        &app,
        &event(
            "evt_stale",
            "invoice.payment_failed",
            invoice("in_p1", &tenant, "sub_o", now, e1, false, "pln"),
        ),
    )
    .await;
    assert_eq!(stale["applied"], "ignored");
    assert_eq!(business(&owner).await["plan_state"], "active");
    // An invoice in another currency is not what Termino sold: refused.
    let odd = notify(
        &app,
        &event(
            "evt_usd",
            "invoice.paid",
            invoice(
                "in_usd",
                &tenant,
                "sub_o",
                e2,
                e2 + 86_400 * 30,
                true,
                "usd",
            ),
        ),
    )
    .await;
    assert_eq!(odd["applied"], "refused");
    assert_eq!(paid_until(&business(&owner).await), e2);
    // An event type we do not handle is acknowledged.
    let unknown = notify(
        &app,
        &event("evt_x", "customer.created", json!({"id": "cus_x"})),
    )
    .await;
    assert_eq!(unknown["applied"], "ignored");
    app.finish().await;
}

async fn forged_notifications_change_nothing(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-falszywe").await;
    let tenant = tenant_id(&owner).await;
    let session = start_checkout(&app, &owner, "month").await;
    let now = app.app().now().timestamp();
    let paid = event(
        "evt_forged",
        "checkout.session.completed",
        checkout_completed(&session, &tenant, "cus_test_1", "sub_f"),
    );
    let refused = |resp: reqwest::Response| async move {
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let p: Value = resp.json().await.unwrap();
        assert!(
            p["type"].as_str().unwrap().ends_with("/invalid-signature"),
            "{p}"
        );
    };
    // Signed with another secret.
    refused(notify_with(&app, &paid, "whsec_someone_else", now).await).await;
    // Signed long ago (a replay of a captured notification).
    refused(notify_with(&app, &paid, WEBHOOK_SECRET, now - 3600).await).await;
    // Tampered after signing.
    let raw = paid.to_string();
    let header = sign(WEBHOOK_SECRET, now, raw.as_bytes());
    let tampered = raw.replace("\"amount_total\":4900", "\"amount_total\":49");
    assert_ne!(tampered, raw);
    let resp = app
        .client()
        .post(format!("{}/webhooks/stripe", app.url))
        .header("stripe-signature", header)
        .body(tampered)
        .send()
        .await
        .unwrap();
    refused(resp).await;
    // No signature at all.
    let resp = app
        .client()
        .post(format!("{}/webhooks/stripe", app.url))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    refused(resp).await;
    let b = business(&owner).await;
    assert_eq!(b["plan"], "trial");
    assert!(b.get("paid_until").is_none() || b["paid_until"].is_null());
    // While Stripe rolls its secret it signs twice: one good v1 is enough.
    let good = sign(WEBHOOK_SECRET, now, raw.as_bytes());
    let v1 = good.split(",v1=").nth(1).unwrap();
    let rolled = format!("t={now},v1={},v1={v1}", "ab".repeat(32));
    let resp = app
        .client()
        .post(format!("{}/webhooks/stripe", app.url))
        .header("stripe-signature", rolled)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(business(&owner).await["plan"], "pro");
    app.finish().await;
}

async fn an_outage_leaves_the_plan_as_it_was(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-awaria").await;
    fake.set_down(true);
    let resp = checkout(&app, &owner, "year").await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = resp.text().await.unwrap();
    assert!(html.contains("temporarily unavailable"), "{html}");
    // Bounded retries, all with the same key: never two charges.
    let sent = fake.requests();
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter()
            .all(|r| r.idempotency_key == sent[0].idempotency_key)
    );
    assert_eq!(
        sent[0].get("line_items[0][price_data][unit_amount]"),
        Some("49000")
    );
    assert_eq!(business(&owner).await["plan"], "trial");
    // Back up: the same click works.
    fake.set_down(false);
    let resp = checkout(&app, &owner, "year").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Only the owner manages the plan.
    owner
        .post(
            "/invitations",
            json!({"email": "admin@plan.example.com", "role": "admin"}),
        )
        .await;
    let token =
        crate::helpers::link_token(&app.mail_to("admin@plan.example.com").await, "/invite/");
    app.client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "name": "Ada Admin", "password": "Ada-Ma-Kota-2026"}))
        .send()
        .await
        .unwrap();
    let admin = app
        .login("admin@plan.example.com", "Ada-Ma-Kota-2026")
        .await;
    let resp = checkout(&app, &admin, "month").await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let _ = Utc::now() + Duration::zero();
    app.finish().await;
}

async fn the_free_plan_has_limits(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let s = crate::scheduling::salon(
        &app,
        "plan-free",
        json!({"duration_min": 15, "step_min": 15}),
    )
    .await;
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/plan/free", app.url),
        &[("csrf_token", &s.owner.csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let b = business(&s.owner).await;
    assert_eq!(b["plan"], "free");
    // One active staff member.
    let resp = s.owner.post("/staff", json!({"name": "Druga Osoba"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let p: Value = resp.json().await.unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("/plan-limit"), "{p}");
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/staff?lang=en", app.url),
        &[("csrf_token", &s.owner.csrf), ("name", "Druga Osoba")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("limit is reached"));
    // An inactive one may be added (and not switched on).
    let resp = s
        .owner
        .post("/staff", json!({"name": "Zapas", "active": false}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // A hundred bookings a month, then no more.
    let from = crate::scheduling::day_ahead(2);
    let to = from + chrono::Duration::days(6);
    let free: Value = app
        .client()
        .get(app.api(&format!(
            "/public/plan-free/availability?service_id={}&staff_id=any&from={from}&to={to}&zone=Europe/Warsaw",
            s.service
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let starts: Vec<String> = free["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["start"].as_str().unwrap().to_string())
        .collect();
    assert!(starts.len() > 101);
    for (i, start) in starts.iter().take(100).enumerate() {
        let body = crate::scheduling::booking_body(&s, start, &format!("k{i}@example.com"));
        let resp = crate::scheduling::book(&app, &s, &body).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "booking {i}");
    }
    let body = crate::scheduling::booking_body(&s, &starts[100], "over@example.com");
    let resp = crate::scheduling::book(&app, &s, &body).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let p: Value = resp.json().await.unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("/plan-limit"));
    // The history says so.
    let (_, html) = get_page(&s.owner.client, &format!("{}/app/plan?lang=en", app.url)).await;
    assert!(html.contains("Free (active)"));
    app.finish().await;
}

async fn an_ended_trial_closes_the_booking_page(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let s = crate::scheduling::salon(&app, "plan-koniec", json!({})).await;
    let b = business(&s.owner).await;
    let trial_end = chrono::DateTime::parse_from_rfc3339(b["trial_ends_at"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    app.clock.advance(Duration::days(15));
    let owner = app
        .login(
            &crate::helpers::owner_email("plan-koniec"),
            crate::helpers::PASSWORD,
        )
        .await;
    // No more bookings, said plainly on the page and by the API.
    let (status, html) =
        get_page(&app.client(), &format!("{}/b/plan-koniec?lang=en", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Online booking is not available"));
    let day = crate::scheduling::day_ahead(20);
    let resp = app
        .client()
        .get(app.api(&format!(
            "/public/plan-koniec/availability?service_id={}&staff_id=any&from={day}&to={day}&zone=Europe/Warsaw",
            s.service
        )))
        .send()
        .await
        .unwrap();
    let free: Value = resp.json().await.unwrap();
    let start = free["slots"][0]["start"].as_str().unwrap().to_string();
    let resp = crate::scheduling::book(
        &app,
        &s,
        &crate::scheduling::booking_body(&s, &start, "late@example.com"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let p: Value = resp.json().await.unwrap();
    assert!(
        p["type"].as_str().unwrap().ends_with("/plan-expired"),
        "{p}"
    );
    // The panel says until when the data is kept: three months after.
    let (_, html) = get_page(&owner.client, &format!("{}/app?lang=en", app.url)).await;
    assert!(html.contains("The account is read-only"), "{html}");
    let purge = trial_end
        .checked_add_months(chrono::Months::new(3))
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Warsaw);
    assert!(
        html.contains(&purge.format("%-d %B %Y").to_string()),
        "{html}"
    );
    // The free plan opens it again.
    let resp = post_form(
        &owner.client,
        &format!("{}/app/plan/free", app.url),
        &[("csrf_token", &owner.csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = crate::scheduling::book(
        &app,
        &s,
        &crate::scheduling::booking_body(&s, &start, "late@example.com"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    app.finish().await;
}

crate::for_each_backend!(
    a_plan_upgrade_moves_paid_until,
    a_failed_renewal_makes_the_plan_past_due,
    notifications_apply_once_in_any_order,
    forged_notifications_change_nothing,
    an_outage_leaves_the_plan_as_it_was,
    the_free_plan_has_limits,
    an_ended_trial_closes_the_booking_page
);
