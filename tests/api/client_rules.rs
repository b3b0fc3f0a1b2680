//! Issue 22, rules around client communication: a read-only account sends
//! no reminders; a returning client's SMS consent is recorded when given
//! and not withdrawn by an unticked box; calendar feeds have a rate limit
//! of their own per address.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, problem};
use crate::on_both_backends;
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    a_read_only_account_sends_no_reminders,
    a_returning_client_gives_sms_consent_and_an_unticked_box_keeps_it
);

async fn first_free(app: &TestApp, s: &Salon, from: DateTime<Utc>) -> String {
    let day = from.date_naive() + Duration::days(1);
    let free = slots(app, s, day, "Europe/Warsaw").await;
    free[0]["start"].as_str().unwrap().to_string()
}

/// Chosen: the reminder job of a read-only account (trial ended, plan
/// unpaid, being deleted) ends done without sending, not failed or
/// retried: trying again cannot help, and a reminder sent late, after a
/// plan is chosen again, would be worse than none.
async fn a_read_only_account_sends_no_reminders(app: &TestApp) {
    let s = salon(app, "tylko-odczyt", json!({})).await;
    let b: Value = s.owner.get("/business").await.json().await.unwrap();
    let trial_end: DateTime<Utc> = b["trial_ends_at"].as_str().unwrap().parse().unwrap();
    // A visit two days after the trial ends, booked while it runs.
    let start = first_free(app, &s, trial_end + Duration::days(1)).await;
    let resp = book(app, &s, &booking_body(&s, &start, "po-probie@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // A visit while the trial runs still gets its reminder.
    let early = first_free(app, &s, Utc::now() + Duration::days(2)).await;
    let mut body = booking_body(&s, &early, "w-probie@example.com");
    // Another client: another phone too (clients are found by either).
    body["client"]["phone"] = json!("+48 605 333 444");
    body["client"]["name"] = json!("Wanda Wczesna");
    let resp = book(app, &s, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let early: DateTime<Utc> = early.parse().unwrap();
    app.clock
        .advance(early - Duration::hours(24) - app.clock.now() + Duration::seconds(30));
    app.run_jobs().await;
    assert!(
        app.all_mail_to("w-probie@example.com")
            .iter()
            .any(|m| m.contains("przypominamy o wizycie")),
        "the active account reminds: {:?}",
        app.all_mail_to("w-probie@example.com")
    );

    // A day before the later visit the account is read-only.
    let start: DateTime<Utc> = start.parse().unwrap();
    app.clock
        .advance(start - Duration::hours(24) - app.clock.now() + Duration::seconds(30));
    assert!(app.clock.now() > trial_end);
    let done = app.run_jobs().await;
    assert!(done.jobs.done >= 1, "{done:?}");
    assert_eq!((done.jobs.retried, done.jobs.failed), (0, 0), "{done:?}");
    // Later passes find nothing to retry either.
    app.clock.advance(Duration::hours(2));
    let again = app.run_jobs().await;
    assert_eq!((again.jobs.retried, again.jobs.failed), (0, 0), "{again:?}");
    assert!(
        !app.all_mail_to("po-probie@example.com")
            .iter()
            .any(|m| m.contains("przypominamy o wizycie")),
        "no reminder from a read-only account"
    );
}

async fn sms_consent_of(s: &Salon, email: &str) -> Value {
    let clients: Value = s.owner.get("/clients").await.json().await.unwrap();
    let found: Vec<&Value> = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"] == email)
        .collect();
    assert_eq!(found.len(), 1, "one client: {clients}");
    found[0]["sms_consent"].clone()
}

async fn a_returning_client_gives_sms_consent_and_an_unticked_box_keeps_it(app: &TestApp) {
    let s = salon(app, "zgoda-powrot", json!({})).await;
    let free = slots(app, &s, day_ahead(4), "Europe/Warsaw").await;
    let email = "wraca@example.com";
    let with = |i: usize, consent: Option<bool>| {
        let mut body = booking_body(&s, free[i]["start"].as_str().unwrap(), email);
        if let Some(c) = consent {
            body["client"]["sms_consent"] = json!(c);
        }
        body
    };
    let resp = book(app, &s, &with(0, None)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(sms_consent_of(&s, email).await, json!(false));
    // Booking again with the box ticked: recorded.
    let resp = book(app, &s, &with(1, Some(true))).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    assert_eq!(sms_consent_of(&s, email).await, json!(true));
    // Unticked the next time: kept (withdrawing is a request of its own).
    let resp = book(app, &s, &with(2, Some(false))).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(sms_consent_of(&s, email).await, json!(true));
}

/// `GET /calendar/{secret}.ics` counts per client address in a bucket of
/// its own: past its limit 429 problem+json with Retry-After, while the
/// API's budget is untouched; made-up secrets count too.
async fn calendar_feeds_have_their_own_rate_limit(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_calendar_feeds = 3;
        s.rate_limit_public = 100_000;
    })
    .await
    else {
        return;
    };
    let s = salon(&app, "kanal-limit", json!({})).await;
    let resp = s.owner.post("/calendar-feeds", json!({})).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let feed: Value = resp.json().await.unwrap();
    let url = feed["url"].as_str().unwrap();
    let path = &url[url.find("/calendar/").unwrap()..];
    let get = |path: String| {
        let client = app.client();
        let url = format!("{}{path}", app.url);
        async move { client.get(url).send().await.unwrap() }
    };
    assert_eq!(
        get("/calendar/not-a-secret.ics".into()).await.status(),
        StatusCode::NOT_FOUND
    );
    for _ in 0..2 {
        assert_eq!(get(path.to_string()).await.status(), StatusCode::OK);
    }
    let resp = get(path.to_string()).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/rate-limited")
    );
    // The API is not charged for it.
    assert_eq!(s.owner.get("/business").await.status(), StatusCode::OK);
    // The next minute (the in-memory store follows the test's clock), the
    // feed opens again.
    if !app.app().kv().is_redis() {
        app.clock.advance(Duration::seconds(61));
        assert_eq!(get(path.to_string()).await.status(), StatusCode::OK);
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_feeds_have_their_own_rate_limit_sqlite() {
    calendar_feeds_have_their_own_rate_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_feeds_have_their_own_rate_limit_postgres() {
    calendar_feeds_have_their_own_rate_limit(Backend::Postgres).await;
}

/// The reminder by text message is written in the client's language; a
/// returning client who ticks the box on a later booking gets it.
async fn the_reminder_text_speaks_the_clients_language(backend: Backend) {
    use termino_app::sms::{SmsConfig, SmsGatewayConfig};
    let fake = crate::fake_sms::FakeSms::start().await;
    let base = fake.url.clone();
    let Some(app) = TestApp::spawn_with(backend, move |s| {
        s.sms = Some(SmsConfig {
            gateway: SmsGatewayConfig::Smsapi {
                token: crate::fake_sms::SMSAPI_TOKEN.into(),
                base_url: base,
            },
            sender: crate::fake_sms::SENDER.into(),
        });
    })
    .await
    else {
        return;
    };
    let s = salon(&app, "sms-jezyk", json!({})).await;
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            "/business/reminders",
            Some(json!({
                "offsets": [{"hours_before": 24, "channel": "sms"}],
                "send_from": "08:00", "send_until": "21:00", "address": "",
            })),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let free = slots(&app, &s, day_ahead(4), "Europe/Warsaw").await;
    let body = |i: usize, consent: bool| {
        let mut b = booking_body(&s, free[i]["start"].as_str().unwrap(), "emily@example.com");
        b["client"]["name"] = json!("Emily Brown");
        b["client"]["language"] = json!("en");
        b["client"]["sms_consent"] = json!(consent);
        b
    };
    assert_eq!(
        book(&app, &s, &body(0, false)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        book(&app, &s, &body(2, true)).await.status(),
        StatusCode::CREATED
    );
    // A day before the later visit both reminders are due; the consent
    // given the second time covers both.
    let later: DateTime<Utc> = free[2]["start"].as_str().unwrap().parse().unwrap();
    app.clock
        .advance(later - Duration::hours(24) - app.clock.now() + Duration::seconds(30));
    app.run_jobs().await;
    let sent = fake.requests();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for text in sent.iter().map(|r| r.get("message").unwrap()) {
        assert!(text.contains("a reminder of your Strzyżenie"), "{text}");
        assert!(!text.contains("przypominamy"), "{text}");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_text_speaks_the_clients_language_sqlite() {
    the_reminder_text_speaks_the_clients_language(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_text_speaks_the_clients_language_postgres() {
    the_reminder_text_speaks_the_clients_language(Backend::Postgres).await;
}
