//! Deposits through a business's own tpay account, against the fake tpay
//! and its test certificate authority.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::booking_pages::{get_page, post_form};
use crate::deposits::book_on_page;
use crate::fake_tpay::{CLIENT_ID, CLIENT_SECRET, FakeTpay, MERCHANT_ID, SECURITY_CODE};
use crate::helpers::{Backend, Session, TestApp};
use crate::scheduling::{Salon, salon};

pub(crate) async fn spawn(backend: Backend, fake: &FakeTpay) -> Option<TestApp> {
    let base = fake.url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.tpay_api_base = base.clone();
        s.tpay_cert_base = base;
    })
    .await
}

pub(crate) async fn tpay_salon(app: &TestApp, slug: &str) -> Salon {
    let s = salon(
        app,
        slug,
        json!({"payment_mode": "deposit", "deposit_percent": 30}),
    )
    .await;
    // A mistake first: nothing is stored, the secret is not shown back.
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/payments/tpay?lang=en", app.url),
        &[
            ("csrf_token", &s.owner.csrf),
            ("merchant_id", "abc"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("security_code", SECURITY_CODE),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"merchant_id-error\""));
    assert!(!html.contains(CLIENT_SECRET) && !html.contains(SECURITY_CODE));
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/payments/tpay", app.url),
        &[
            ("csrf_token", &s.owner.csrf),
            ("merchant_id", MERCHANT_ID),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("security_code", SECURITY_CODE),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = get_page(
        &s.owner.client,
        &format!("{}/app/payments?lang=en", app.url),
    )
    .await;
    assert!(html.contains(&format!("tpay connected, merchant {MERCHANT_ID}")));
    assert!(!html.contains(CLIENT_SECRET) && !html.contains(SECURITY_CODE));
    s
}

pub(crate) async fn notify(app: &TestApp, body: &str, jws: Option<&str>) -> (StatusCode, String) {
    let mut req = app
        .client()
        .post(format!("{}/webhooks/tpay", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    if let Some(jws) = jws {
        req = req.header("x-jws-signature", jws);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

pub(crate) async fn status_of(s: &Salon, id: &str) -> Value {
    let b: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    b["status"].clone()
}

async fn a_tpay_deposit_is_confirmed_once(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let s = tpay_salon(&app, "tpay-raz").await;
    let (location, id) = book_on_page(&app, &s, "tomasz@example.com").await;
    assert!(
        location.starts_with("https://secure.tpay.com/?title=TR-TEST-"),
        "{location}"
    );
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    let sent = fake.transactions();
    assert_eq!(sent.len(), 1);
    let t = &sent[0];
    assert_eq!(t["amount"], json!(36.0));
    let crc = t["hiddenDescription"].as_str().unwrap().to_string();
    assert!(crc.parse::<uuid::Uuid>().is_ok(), "our payment id only");
    assert!(
        t["callbacks"]["notification"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/webhooks/tpay")
    );

    let body = fake.notification(MERCHANT_ID, SECURITY_CODE, &crc, "TR-TEST-0000", "36.00");
    let (status, answer) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    assert_eq!(status_of(&s, &id).await, "confirmed");
    // tpay sends again: acknowledged, nothing changes.
    let (status, answer) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    app.run_jobs().await;
    app.run_jobs().await;
    assert_eq!(app.mails_to("tomasz@example.com"), 1);

    // Cancelled by the business: refunded through tpay.
    let resp = s
        .owner
        .post(
            &format!("/bookings/{id}/cancel"),
            json!({"reason": "awaria"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].0, "ta_test_0");
    assert_eq!(refunds[0].1["amount"], json!(36.0));
    app.finish().await;
}

async fn forged_tpay_notifications_change_nothing(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let s = tpay_salon(&app, "tpay-falsz").await;
    let (_, id) = book_on_page(&app, &s, "forged@example.com").await;
    let crc = fake.transactions()[0]["hiddenDescription"]
        .as_str()
        .unwrap()
        .to_string();
    let good = fake.notification(MERCHANT_ID, SECURITY_CODE, &crc, "TR-TEST-0000", "36.00");
    let refused = |(status, answer): (StatusCode, String), what: &str| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(answer, "FALSE", "{what}");
    };
    // Another authority's certificate.
    refused(
        notify(&app, &good, Some(&fake.signed_by_rogue(&good))).await,
        "rogue CA",
    );
    // tpay's key, but the certificate named on another host.
    refused(
        notify(&app, &good, Some(&fake.signed_elsewhere(&good))).await,
        "x5u host",
    );
    // An expired certificate.
    refused(
        notify(&app, &good, Some(&fake.signed_by_expired(&good))).await,
        "expired",
    );
    // No signature.
    refused(notify(&app, &good, None).await, "unsigned");
    // Tampered after signing: the amount paid raised.
    let tampered = good.replace("tr_paid=36.00", "tr_paid=360.00");
    assert_ne!(tampered, good);
    refused(
        notify(&app, &tampered, Some(&fake.signed(&good))).await,
        "tampered",
    );
    // Signed properly, but for another merchant (its own md5sum).
    let other = fake.notification("2020", SECURITY_CODE, &crc, "TR-TEST-0000", "36.00");
    refused(
        notify(&app, &other, Some(&fake.signed(&other))).await,
        "wrong merchant",
    );
    // Signed properly, with an md5sum made without our security code.
    let wrong_code = fake.notification(MERCHANT_ID, "guessed", &crc, "TR-TEST-0000", "36.00");
    refused(
        notify(&app, &wrong_code, Some(&fake.signed(&wrong_code))).await,
        "md5sum",
    );
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    // The real one still works afterwards.
    let (status, answer) = notify(&app, &good, Some(&fake.signed(&good))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    assert_eq!(status_of(&s, &id).await, "confirmed");
    app.finish().await;
}

crate::for_each_backend!(
    a_tpay_deposit_is_confirmed_once,
    forged_tpay_notifications_change_nothing
);

/// Termino's own tpay account for plans (merchant 7070).
const PLAN_MERCHANT: &str = "7070";
const PLAN_CODE: &str = "termino-code";

async fn spawn_with_plans(backend: Backend, fake: &FakeTpay) -> Option<TestApp> {
    let base = fake.url.clone();
    TestApp::spawn_with(backend, move |s| {
        s.tpay_api_base = base.clone();
        s.tpay_cert_base = base;
        s.tpay_plans = Some(termino_app::tpay::TpayCredentials {
            merchant_id: PLAN_MERCHANT.into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            security_code: PLAN_CODE.into(),
        });
    })
    .await
}

/// The owner pays a month of Pro through tpay: the transaction Termino
/// created.
async fn start_plan(app: &TestApp, fake: &FakeTpay, owner: &Session) -> Value {
    let resp = post_form(
        &owner.client,
        &format!("{}/app/plan/tpay", app.url),
        &[("csrf_token", &owner.csrf), ("interval", "month")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://secure.tpay.com/")
    );
    fake.transactions().pop().unwrap()
}

async fn a_plan_period_paid_through_tpay_and_reminders(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn_with_plans(backend, &fake).await else {
        return;
    };
    let owner = app.signup("tpay-plan").await;
    let t = start_plan(&app, &fake, &owner).await;
    assert_eq!(t["amount"], json!(49.0));
    let crc = t["hiddenDescription"].as_str().unwrap().to_string();
    assert!(crc.starts_with("plan."), "{crc}");
    let body = fake.notification(PLAN_MERCHANT, PLAN_CODE, &crc, "TR-PLAN-1", "49.00");
    let (status, answer) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    let b: Value = owner.get("/business").await.json().await.unwrap();
    assert_eq!(b["plan"], "pro");
    let until = chrono::DateTime::parse_from_rfc3339(b["paid_until"].as_str().unwrap()).unwrap();
    let now = app.app().now();
    let days = (until.with_timezone(&chrono::Utc) - now).num_days();
    assert!((27..=31).contains(&days), "a month: {days} days");
    // Sent again: nothing moves.
    let (status, _) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!(status, StatusCode::OK);
    let again: Value = owner.get("/business").await.json().await.unwrap();
    assert_eq!(again["paid_until"], b["paid_until"]);
    // A merchant's notification for this plan is not Termino's.
    let foreign = fake.notification(MERCHANT_ID, SECURITY_CODE, &crc, "TR-PLAN-X", "49.00");
    let (status, _) = notify(&app, &foreign, Some(&fake.signed(&foreign))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Reminders: a week before, then a day before, each once.
    let owner_email = crate::helpers::owner_email("tpay-plan");
    let before = app.mails_to(&owner_email);
    app.clock
        .advance(until.with_timezone(&chrono::Utc) - now - chrono::Duration::days(6));
    assert_eq!(app.app().remind_plan_renewals().await.unwrap(), 1);
    assert_eq!(app.app().remind_plan_renewals().await.unwrap(), 0);
    app.clock
        .advance(chrono::Duration::days(5) + chrono::Duration::hours(12));
    assert_eq!(app.app().remind_plan_renewals().await.unwrap(), 1);
    assert_eq!(app.app().remind_plan_renewals().await.unwrap(), 0);
    app.expect_mails(&owner_email, before + 2).await;
    assert!(
        app.latest_mail_to(&owner_email)
            .contains("Termino Pro ends on")
    );
    // Paid again before the end: the next month starts where this ends.
    let body = fake.notification(PLAN_MERCHANT, PLAN_CODE, &crc, "TR-PLAN-2", "49.00");
    let (status, _) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!(status, StatusCode::OK);
    let owner = app.login(&owner_email, crate::helpers::PASSWORD).await;
    let b: Value = owner.get("/business").await.json().await.unwrap();
    let next = chrono::DateTime::parse_from_rfc3339(b["paid_until"].as_str().unwrap()).unwrap();
    let added = (next - until).num_days();
    assert!((28..=31).contains(&added), "{added}");
    app.finish().await;
}

mod plan_by_tpay {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_plan_period_paid_through_tpay_and_reminders(crate::helpers::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_plan_period_paid_through_tpay_and_reminders(crate::helpers::Backend::Postgres)
            .await;
    }
}

/// Issue 20, item 2, through tpay: a plan period is paid for every seat
/// (the active staff when the transaction was created), and only by a
/// transaction Termino created.
async fn a_business_cannot_give_itself_a_paid_plan_through_tpay(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn_with_plans(backend, &fake).await else {
        return;
    };
    let owner = app.signup("tpay-miejsca").await;
    let tenant = owner.get("/business").await.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for name in ["Anna", "Beata", "Celina"] {
        let resp = owner.post("/staff", json!({"name": name})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let t = start_plan(&app, &fake, &owner).await;
    assert_eq!(t["amount"], json!(147.0), "three seats");
    let crc = t["hiddenDescription"].as_str().unwrap().to_string();
    let plan =
        || async { owner.get("/business").await.json::<Value>().await.unwrap()["plan"].clone() };
    // One seat's price for this transaction: signed by tpay, for
    // Termino's merchant, and still not a period of Pro.
    let one_seat = fake.notification(PLAN_MERCHANT, PLAN_CODE, &crc, "TR-SEAT-1", "49.00");
    let (status, answer) = notify(&app, &one_seat, Some(&fake.signed(&one_seat))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    assert_eq!(plan().await, "trial", "one seat's price");
    // A plan payment Termino never created, for the full amount.
    let made_up = format!("plan.{tenant}.month.0badc0de");
    let forged = fake.notification(PLAN_MERCHANT, PLAN_CODE, &made_up, "TR-SEAT-2", "147.00");
    let (status, _) = notify(&app, &forged, Some(&fake.signed(&forged))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(plan().await, "trial", "a transaction Termino never created");
    // A fourth person joins after the transaction was made: its amount,
    // for the seats it was made for, pays the period.
    let resp = owner.post("/staff", json!({"name": "Dorota"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let full = fake.notification(PLAN_MERCHANT, PLAN_CODE, &crc, "TR-SEAT-3", "147.00");
    let (status, answer) = notify(&app, &full, Some(&fake.signed(&full))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    assert_eq!(plan().await, "pro");
    // The two refused are kept, with their reasons.
    let mut refused: Vec<(String, String, Option<String>)> = app
        .app()
        .refused_payment_events(10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            assert_eq!(r.provider, "tpay");
            (r.event_id, r.reason, r.tenant_id.map(|t| t.to_string()))
        })
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        vec![
            (
                "TR-SEAT-1:TRUE".to_string(),
                "underpaid".to_string(),
                Some(tenant.clone())
            ),
            (
                "TR-SEAT-2:TRUE".to_string(),
                "unknown_payment".to_string(),
                Some(tenant.clone())
            ),
        ]
    );
    app.finish().await;
}

mod a_business_cannot_give_itself_a_paid_plan_through_tpay {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_business_cannot_give_itself_a_paid_plan_through_tpay(
            crate::helpers::Backend::Sqlite,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_business_cannot_give_itself_a_paid_plan_through_tpay(
            crate::helpers::Backend::Postgres,
        )
        .await;
    }
}
