//! Text messages end to end: a test message through the fake SMSAPI and
//! Twilio (the real request shapes checked), delivery reports moving its
//! status (forged ones refused), errors retried only when the gateway says
//! a retry can help, and the plan's monthly limit.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_sms::{FakeSms, SENDER, SMSAPI_TOKEN, TWILIO_SID, TWILIO_TOKEN, spawn};
use crate::helpers::{Backend, Session, TestApp, owner_email, problem};

async fn send_test(owner: &Session, text: &str) -> Value {
    let resp = owner
        .post("/sms/test", json!({"to": "601 234 567", "text": text}))
        .await;
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn status_of(owner: &Session, id: &str) -> Value {
    let resp = owner.get(&format!("/sms/{id}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

/// The path (and query) of an address Termino gave a gateway, on the
/// test server.
fn on_app(app: &TestApp, address: &str) -> String {
    let path = address
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap();
    format!("{}{path}", app.url)
}

async fn smsapi_test_message_is_sent_and_reported(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let owner = app.signup("sms-smsapi").await;
    let on: Value = owner.get("/sms").await.json().await.unwrap();
    assert_eq!(on, json!({"enabled": true, "provider": "smsapi"}));

    // A landline cannot receive texts: refused, naming the field.
    let resp = owner
        .post("/sms/test", json!({"to": "22 123 45 67", "text": "Test"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(resp).await;
    assert_eq!(p["invalid-params"][0]["name"], "to");
    assert_eq!(p["invalid-params"][0]["code"], "not_mobile");

    let text = "Przypomnienie: jutro 10:00, Salon Łąka";
    let sms = send_test(&owner, text).await;
    assert_eq!(sms["status"], "queued");
    assert_eq!(sms["segments"], 1);
    let id = sms["id"].as_str().unwrap();
    // Nothing goes out inside the request: the worker sends it.
    assert!(fake.requests().is_empty());
    let done = app.run_jobs().await;
    assert_eq!(done.sms, 1);

    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(r.path, "/sms.do");
    assert_eq!(
        r.authorization.as_deref(),
        Some(format!("Bearer {SMSAPI_TOKEN}").as_str())
    );
    assert_eq!(r.get("to"), Some("48601234567"));
    assert_eq!(r.get("message"), Some(text));
    assert_eq!(r.get("from"), Some(SENDER));
    assert_eq!(r.get("encoding"), Some("utf-8"));
    assert_eq!(r.get("format"), Some("json"));
    let notify_url = r.get("notify_url").unwrap().to_string();
    assert!(notify_url.contains("/webhooks/sms/smsapi/"), "{notify_url}");

    let sms = status_of(&owner, id).await;
    assert_eq!(sms["status"], "sent");
    assert_eq!(sms["attempts"], 1);
    // A second step sends nothing again.
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 1);

    // A report to an address that is not ours changes nothing.
    let msg_id = "6a3b9c1f0000000000000000";
    let forged = app
        .client()
        .get(format!(
            "{}/webhooks/sms/smsapi/00000000000000000000000000000000?MsgId={msg_id}&status=404",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&owner, id).await["status"], "sent");

    // SMSAPI's report: GET with MsgId and status, answered "OK".
    let report = app
        .client()
        .get(format!(
            "{}?MsgId={msg_id}&status=404&status_name=DELIVERED&to=48601234567&donedate=1765051200",
            on_app(&app, &notify_url)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert_eq!(report.text().await.unwrap(), "OK");
    let sms = status_of(&owner, id).await;
    assert_eq!(sms["status"], "delivered");
    assert!(sms["delivered_at"].is_string());
    // A late "sent" does not move it back.
    let late = app
        .client()
        .post(on_app(&app, &notify_url))
        .form(&[("MsgId", msg_id), ("status", "403")])
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(status_of(&owner, id).await["status"], "delivered");

    // "Without Polish characters": the same text goes as GSM-7.
    let resp = owner
        .patch("/business", json!({"sms_without_polish_characters": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["sms_without_polish_characters"], true);
    send_test(&owner, text).await;
    app.run_jobs().await;
    assert_eq!(
        fake.requests().last().unwrap().get("message"),
        Some("Przypomnienie: jutro 10:00, Salon Laka")
    );
    app.finish().await;
}

async fn smsapi_errors_are_retried_only_when_that_can_help(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let owner = app.signup("sms-retry").await;
    // SMSAPI's own failure (201): worth another attempt.
    fake.answer_next(
        200,
        json!({"error": 201, "message": "System internal error"}),
    );
    let id = send_test(&owner, "Test 1").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.run_jobs().await;
    let sms = status_of(&owner, &id).await;
    assert_eq!(sms["status"], "queued");
    assert!(sms["error"].as_str().unwrap().contains("201"));
    // Not before its back-off…
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 1);
    // …and then it goes.
    app.clock.advance(chrono::Duration::minutes(3));
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(status_of(&owner, &id).await["status"], "sent");

    // No valid recipient (13): another attempt would fail the same way.
    fake.answer_next(
        200,
        json!({"error": 13, "message": "No correct phone numbers"}),
    );
    let id = send_test(&owner, "Test 2").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.run_jobs().await;
    let sms = status_of(&owner, &id).await;
    assert_eq!(sms["status"], "failed");
    assert!(sms["error"].as_str().unwrap().contains("SMSAPI error 13"));
    app.clock.advance(chrono::Duration::hours(5));
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(status_of(&owner, &id).await["status"], "failed");
    app.finish().await;
}

async fn twilio_message_is_sent_and_signed_callbacks_apply(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, true).await else {
        return;
    };
    let owner = app.signup("sms-twilio").await;
    let id = send_test(&owner, "Reminder: tomorrow 10:00").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.run_jobs().await;
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    let r = &sent[0];
    assert_eq!(
        r.path,
        format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    );
    assert_eq!(r.get("To"), Some("+48601234567"));
    assert_eq!(r.get("From"), Some(SENDER));
    assert_eq!(r.get("Body"), Some("Reminder: tomorrow 10:00"));
    let callback = r.get("StatusCallback").unwrap().to_string();
    assert!(callback.ends_with("/webhooks/sms/twilio"), "{callback}");
    assert_eq!(status_of(&owner, &id).await["status"], "sent");
    let sid = format!("SM{:032}", 0);

    let params: Vec<(String, String)> = [
        ("AccountSid", TWILIO_SID),
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30006"),
        ("To", "+48601234567"),
        ("From", SENDER),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let post = |signature: String| {
        let params = params.clone();
        let url = on_app(&app, &callback);
        let client = app.client();
        async move {
            client
                .post(url)
                .header("x-twilio-signature", signature)
                .form(&params)
                .send()
                .await
                .unwrap()
        }
    };
    // Signed with another token: refused, nothing changes.
    let forged = termino_notify::sms::twilio::signature("not-the-token", &callback, &params);
    assert_eq!(post(forged).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&owner, &id).await["status"], "sent");
    let good = termino_notify::sms::twilio::signature(TWILIO_TOKEN, &callback, &params);
    assert_eq!(post(good).await.status(), StatusCode::OK);
    let sms = status_of(&owner, &id).await;
    assert_eq!(sms["status"], "failed");
    assert_eq!(sms["error"], "Twilio error 30006");

    // Twilio refusing the number (21211) is not retried.
    fake.answer_next(
        400,
        json!({"code": 21211, "message": "The 'To' number +48601234567 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
    );
    let id = send_test(&owner, "Again").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.run_jobs().await;
    app.clock.advance(chrono::Duration::hours(5));
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 2);
    let sms = status_of(&owner, &id).await;
    assert_eq!(sms["status"], "failed");
    assert!(sms["error"].as_str().unwrap().contains("21211"));
    app.finish().await;
}

async fn the_monthly_limit_stops_texts_and_tells_the_owner(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let owner = app.signup("sms-limit").await;
    app.run_jobs().await;
    let mails_before = app.mails_to(&owner_email("sms-limit"));
    // A trial includes 10 a month.
    for n in 0..10 {
        send_test(&owner, &format!("Test {n}")).await;
    }
    for _ in 0..2 {
        let resp = owner
            .post(
                "/sms/test",
                json!({"to": "601234567", "text": "One too many"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(
            problem(resp).await["type"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next(),
            Some("sms-limit-reached")
        );
    }
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 10);
    // Told once, in the business's language (Polish).
    assert_eq!(app.mails_to(&owner_email("sms-limit")), mails_before + 1);
    let notice = app.latest_mail_to(&owner_email("sms-limit"));
    assert!(notice.contains("limit SMS"), "{notice}");
    app.finish().await;
}

async fn without_a_gateway_sms_is_off(app: &TestApp) {
    let owner = app.signup("sms-off").await;
    let off: Value = owner.get("/sms").await.json().await.unwrap();
    assert_eq!(off["enabled"], false);
    let resp = owner
        .post("/sms/test", json!({"to": "601234567", "text": "Test"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // The template editor's count: Polish letters make UCS-2…
    let l: Value = owner
        .post("/sms/length", json!({"text": "Zażółć gęślą jaźń"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(l, json!({"encoding": "ucs2", "length": 17, "segments": 1}));
    // …unless the texts go without them; `€` counts twice in GSM-7.
    let l: Value = owner
        .post(
            "/sms/length",
            json!({"text": format!("{}€", "ż".repeat(159)), "without_polish_characters": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(l, json!({"encoding": "gsm7", "length": 161, "segments": 2}));
}

crate::on_both_backends!(without_a_gateway_sms_is_off);

crate::for_each_backend!(
    smsapi_test_message_is_sent_and_reported,
    smsapi_errors_are_retried_only_when_that_can_help,
    twilio_message_is_sent_and_signed_callbacks_apply,
    the_monthly_limit_stops_texts_and_tells_the_owner
);

/// A reminder set to go by text reaches only the client who ticked "remind
/// me by text message" on the booking page.
async fn a_reminder_goes_by_text_only_to_a_client_who_consented(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let s = crate::scheduling::salon(&app, "sms-przypomnienie", json!({})).await;
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
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );

    // The booking page offers the checkbox while SMS is on.
    let day = crate::scheduling::day_ahead(4);
    let free = crate::scheduling::slots(&app, &s, day, "Europe/Warsaw").await;
    let (first, second) = (
        free[1]["start"].as_str().unwrap(),
        free[3]["start"].as_str().unwrap(),
    );
    let page = app
        .client()
        .get(format!(
            "{}/b/{}/details?service={}&staff=any&start={}",
            app.url,
            s.slug,
            s.service,
            crate::scheduling::urlencode(first)
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"sms\""), "{page}");

    let mut yes = crate::scheduling::booking_body(&s, first, "zgoda@example.com");
    yes["client"]["phone"] = json!("+48 601 100 200");
    yes["client"]["sms_consent"] = json!(true);
    let resp = crate::scheduling::book(&app, &s, &yes).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let mut no = crate::scheduling::booking_body(&s, second, "bez-zgody@example.com");
    no["client"]["phone"] = json!("+48 601 300 400");
    no["client"]["name"] = json!("Bez Zgody");
    let resp = crate::scheduling::book(&app, &s, &no).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // A day before the later visit both reminders are due: one text.
    let start: chrono::DateTime<chrono::Utc> = second.parse().unwrap();
    app.clock.advance(
        start - chrono::Duration::hours(24) - app.clock.now() + chrono::Duration::seconds(30),
    );
    app.run_jobs().await;
    let sent = fake.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].get("to"), Some("48601100200"));
    let text = sent[0].get("message").unwrap();
    assert!(text.contains("przypominamy o wizycie"), "{text}");
    assert!(text.contains("/b/sms-przypomnienie/manage/"), "{text}");
    // No e-mail reminder on an SMS-only offset.
    assert!(
        !app.all_mail_to("zgoda@example.com")
            .iter()
            .any(|m| m.contains("przypominamy o wizycie"))
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_by_text_only_to_a_client_who_consented_sqlite() {
    a_reminder_goes_by_text_only_to_a_client_who_consented(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_goes_by_text_only_to_a_client_who_consented_postgres() {
    a_reminder_goes_by_text_only_to_a_client_who_consented(Backend::Postgres).await;
}
