//! SMS as the owner sees it (issue 22): the reminder's own text with its
//! length and parts (REST and the panel page), used by the reminder SMS;
//! a booking's messages or why it has none; STOP replies from both
//! gateways withdrawing the consent of that business's client only.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::fake_sms::{FakeSms, TWILIO_TOKEN, spawn};
use crate::helpers::{Backend, TestApp, problem};
use crate::panel_pages::{page, submit};
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

async fn sms_reminders_on(s: &Salon) {
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
}

/// Books `start` for a client with this phone (and SMS consent if so);
/// returns the booking's id.
async fn booked(
    app: &TestApp,
    s: &Salon,
    start: &str,
    email: &str,
    phone: &str,
    consent: bool,
) -> (String, String) {
    let mut body = booking_body(s, start, email);
    body["client"]["phone"] = json!(phone);
    body["client"]["name"] = json!(format!("Klient {email}"));
    body["client"]["sms_consent"] = json!(consent);
    let resp = book(app, s, &body).await;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{v}");
    (
        v["booking"]["id"].as_str().unwrap().to_string(),
        v["booking"]["client_id"].as_str().unwrap().to_string(),
    )
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

/// The text of the booking page's SMS section.
async fn sms_section(app: &TestApp, owner: &crate::helpers::Session, booking: &str) -> String {
    let (status, html) = page(app, owner, &format!("/app/bookings/{booking}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let start = html.find("class=\"booking-sms\"").expect("the SMS section");
    let end = html[start..].find("</section>").unwrap() + start;
    html[start..end].to_string()
}

async fn template_of(s: &Salon) -> Value {
    let resp = s.owner.get("/sms/template").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn the_owner_writes_the_sms_reminder(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let s = salon(&app, "sms-tresc", json!({})).await;
    let t = template_of(&s).await;
    assert_eq!(t["custom"], false);
    assert_eq!(t["enabled"], true);
    assert_eq!(t["text"], t["default_text"]);
    assert!(t["text"].as_str().unwrap().contains("{link}"), "{t}");
    assert_eq!(t["monthly_limit"], 10);
    assert_eq!(t["sent_this_month"], 0);
    // The default is written without Polish letters: GSM-7.
    assert_eq!(t["encoding"], "gsm7");
    assert!(t["segments"].as_u64().unwrap() >= 1, "{t}");

    // Refused, naming the field: an unknown placeholder, an empty text.
    for (text, code) in [("Hi {name}", "unknown_placeholder"), ("   ", "required")] {
        let resp = s
            .owner
            .send(
                reqwest::Method::PUT,
                "/sms/template",
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p = problem(resp).await;
        assert_eq!(p["invalid-params"][0]["name"], "text", "{p}");
        assert_eq!(p["invalid-params"][0]["code"], code, "{p}");
    }
    assert_eq!(template_of(&s).await["custom"], false);

    let text = "{business}: wizyta {service} {date} o {time}. Zmiana: {link}";
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            "/sms/template",
            Some(json!({"text": text, "without_polish_characters": true})),
        )
        .await;
    let status = resp.status();
    let t: Value = resp.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{t}");
    assert_eq!(t["custom"], true);
    assert_eq!(t["text"], text);
    assert_eq!(t["without_polish_characters"], true);
    // Without Polish letters the example ("Konsultacja", the link) is GSM-7.
    assert_eq!(t["encoding"], "gsm7");
    let preview = t["preview"].as_str().unwrap();
    assert!(preview.contains("wizyta Konsultacja"), "{preview}");
    assert_eq!(
        t["length"].as_u64().unwrap() as usize,
        preview.chars().count(),
        "GSM-7 without extension characters: one septet each"
    );
    // Saving the reminder settings keeps the text.
    sms_reminders_on(&s).await;
    assert_eq!(template_of(&s).await["text"], text);

    // The panel page: the text, its length and parts, the month's count,
    // linked from the menu and from the reminder settings.
    let (status, html) = page(&app, &s.owner, "/app/settings/sms").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/app/settings/sms\""), "menu link");
    assert!(html.contains("{business}: wizyta {service}"), "{html}");
    assert!(
        html.contains(&format!("data-sms-segments>{}<", t["segments"])),
        "{html}"
    );
    assert!(
        html.contains("0 of 10 text messages of your plan"),
        "{html}"
    );
    assert!(!html.contains("SMS is off"), "{html}");
    let (_, reminders) = page(&app, &s.owner, "/app/settings/reminders").await;
    assert!(reminders.contains("href=\"/app/settings/sms\""));
    assert!(!reminders.contains("SMS is off"));

    // "Count again" counts what was typed without saving it.
    let typed = "Zażółć {time} {business}";
    let resp = submit(
        &app,
        &s.owner,
        "/app/settings/sms",
        &[("sms_template", typed), ("action", "preview")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Zażółć 10:00"), "{html}");
    assert!(html.contains("Unicode"), "{html}");
    assert_eq!(template_of(&s).await["text"], text);
    // A bad placeholder: the page again, the typed text kept, the field named.
    let resp = submit(
        &app,
        &s.owner,
        "/app/settings/sms",
        &[("sms_template", "Wizyta {kiedy}"), ("action", "save")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains(">Wizyta {kiedy}</textarea>"), "{html}");
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("{kiedy} is not a placeholder"), "{html}");
    // Saved from the panel (the checkbox unticked: Polish letters kept).
    let resp = submit(
        &app,
        &s.owner,
        "/app/settings/sms",
        &[("sms_template", text), ("action", "save")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(template_of(&s).await["without_polish_characters"], false);

    // The reminder goes with the business's text.
    let day = day_ahead(4);
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    let start = free[1]["start"].as_str().unwrap();
    booked(
        &app,
        &s,
        start,
        "tresc@example.com",
        "+48 601 100 200",
        true,
    )
    .await;
    let at: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
    app.clock.advance(
        at - chrono::Duration::hours(24) - app.clock.now() + chrono::Duration::seconds(30),
    );
    app.run_jobs().await;
    let sent = fake.requests();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let message = sent[0].get("message").unwrap();
    assert!(message.contains(": wizyta Strzyżenie "), "{message}");
    assert!(message.contains("/b/sms-tresc/manage/"), "{message}");
    assert!(!message.contains('{'), "{message}");
    // (A day later the session has expired: signed in again.)
    let owner = app
        .login(
            &crate::helpers::owner_email("sms-tresc"),
            crate::helpers::PASSWORD,
        )
        .await;
    let t: Value = owner.get("/sms/template").await.json().await.unwrap();
    assert_eq!(t["sent_this_month"], 1, "{t}");
    app.finish().await;
}

async fn a_booking_shows_its_texts_or_why_none(backend: Backend) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, false).await else {
        return;
    };
    let s = salon(&app, "sms-wizyta", json!({})).await;
    sms_reminders_on(&s).await;
    let free = slots(&app, &s, day_ahead(4), "Europe/Warsaw").await;
    let later = slots(&app, &s, day_ahead(8), "Europe/Warsaw").await;
    let start = free[1]["start"].as_str().unwrap();
    let (yes, _) = booked(&app, &s, start, "tak@example.com", "601 100 200", true).await;
    let (no, no_client) = booked(
        &app,
        &s,
        free[2]["start"].as_str().unwrap(),
        "nie@example.com",
        "601 100 300",
        false,
    )
    .await;
    let (landline, landline_client) = booked(
        &app,
        &s,
        free[3]["start"].as_str().unwrap(),
        "stacjonarny@example.com",
        "22 123 45 67",
        true,
    )
    .await;
    let (full, _) = booked(
        &app,
        &s,
        later[1]["start"].as_str().unwrap(),
        "limit@example.com",
        "601 100 400",
        true,
    )
    .await;
    let section = sms_section(&app, &s.owner, &no).await;
    assert!(
        section.contains("No SMS: the client gave no phone with consent to text messages."),
        "{section}"
    );
    let section = sms_section(&app, &s.owner, &landline).await;
    assert!(
        section.contains("number is not a mobile number."),
        "{section}"
    );
    let section = sms_section(&app, &s.owner, &yes).await;
    assert!(
        section.contains("The SMS reminder goes with the reminder."),
        "{section}"
    );
    // The client cards say so too.
    let (_, card) = page(&app, &s.owner, &format!("/app/clients/{landline_client}")).await;
    assert!(
        card.contains("This number is not a mobile number"),
        "{card}"
    );
    let (_, card) = page(&app, &s.owner, &format!("/app/clients/{no_client}")).await;
    assert!(card.contains("No consent to text messages"), "{card}");

    // The reminder day: one text (the others had none to go).
    let at: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
    app.clock.advance(
        at - chrono::Duration::hours(24) - app.clock.now() + chrono::Duration::seconds(30),
    );
    app.run_jobs().await;
    assert_eq!(fake.requests().len(), 1);
    let owner = app
        .login(
            &crate::helpers::owner_email("sms-wizyta"),
            crate::helpers::PASSWORD,
        )
        .await;
    let section = sms_section(&app, &owner, &yes).await;
    assert!(section.contains("sms-status-sent"), "{section}");
    // The gateway reports it undelivered: the booking shows it, and why.
    let notify_url = fake.requests()[0].get("notify_url").unwrap().to_string();
    let report = app
        .client()
        .post(on_app(&app, &notify_url))
        .form(&[("MsgId", "6a3b9c1f0000000000000000"), ("status", "406")])
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    let section = sms_section(&app, &owner, &yes).await;
    assert!(section.contains("sms-status-failed"), "{section}");
    assert!(section.contains("not delivered"), "{section}");
    assert!(section.contains("SMSAPI status 406"), "{section}");

    // The month's ten texts of the trial used up: the later booking says so.
    for _ in 0..9 {
        let resp = owner
            .post("/sms/test", json!({"to": "601 234 567", "text": "Test"}))
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let section = sms_section(&app, &owner, &full).await;
    assert!(
        section.contains("text messages of the plan are used up."),
        "{section}"
    );
    // Another business's booking is not found.
    let other = app.signup("sms-inna").await;
    let (status, _) = page(&app, &other, &format!("/app/bookings/{yes}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.finish().await;
}

/// The business's address for incoming messages, as its SMS page shows it.
async fn replies_address(app: &TestApp, owner: &crate::helpers::Session) -> String {
    let (_, html) = page(app, owner, "/app/settings/sms").await;
    let start = html
        .find("<code class=\"sms-replies\">")
        .expect("the address")
        + 26;
    let end = html[start..].find("</code>").unwrap() + start;
    html[start..end]
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
}

async fn client_consent(owner: &crate::helpers::Session, client: &str) -> bool {
    let resp = owner.get(&format!("/clients/{client}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let c: Value = resp.json().await.unwrap();
    c["sms_consent"].as_bool().unwrap()
}

/// A client's STOP reply withdraws their SMS consent at that business
/// only and drops what was waiting for them; a forged one gets 403, one
/// from a number no client has changes nothing and gets 200.
async fn a_stop_reply_withdraws_the_sms_consent(backend: Backend, twilio: bool) {
    let fake = FakeSms::start().await;
    let Some(app) = spawn(backend, &fake, twilio).await else {
        return;
    };
    let slug = if twilio { "stop-twilio" } else { "stop-smsapi" };
    let s = salon(&app, slug, json!({})).await;
    let other = salon(&app, &format!("{slug}-inny"), json!({})).await;
    sms_reminders_on(&s).await;
    let free = slots(&app, &s, day_ahead(4), "Europe/Warsaw").await;
    let start = free[1]["start"].as_str().unwrap();
    let (booking, client) = booked(&app, &s, start, "stop@example.com", "601 100 200", true).await;
    let (_, elsewhere) = booked(
        &app,
        &other,
        slots(&app, &other, day_ahead(4), "Europe/Warsaw").await[1]["start"]
            .as_str()
            .unwrap(),
        "stop@example.com",
        "601 100 200",
        true,
    )
    .await;
    // A text waiting for the number (not sent yet).
    let resp = s
        .owner
        .post(
            "/sms/test",
            json!({"to": "+48 601 100 200", "text": "Test"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let pending: Value = resp.json().await.unwrap();
    let address = replies_address(&app, &s.owner).await;
    let url = on_app(&app, &address);

    let (forged, unknown, stop) = if twilio {
        assert!(
            !address.ends_with("/inbound/") && address.contains("/webhooks/sms/twilio/inbound/"),
            "{address}"
        );
        (
            crate::fake_sms::twilio_reply(
                &url,
                &address,
                "not-the-token",
                "+48601100200",
                "STOP",
                Some("STOP"),
            )
            .await,
            crate::fake_sms::twilio_reply(
                &url,
                &address,
                TWILIO_TOKEN,
                "+48609999999",
                "STOP",
                Some("STOP"),
            )
            .await,
            {
                // START and HELP are not a STOP.
                let start = crate::fake_sms::twilio_reply(
                    &url,
                    &address,
                    TWILIO_TOKEN,
                    "+48601100200",
                    "START",
                    Some("START"),
                )
                .await;
                assert_eq!(start.status(), StatusCode::OK);
                assert!(client_consent(&s.owner, &client).await);
                crate::fake_sms::twilio_reply(
                    &url,
                    &address,
                    TWILIO_TOKEN,
                    "+48601100200",
                    "Stop",
                    Some("STOP"),
                )
                .await
            },
        )
    } else {
        assert!(
            address.contains("/webhooks/sms/smsapi/inbound/"),
            "{address}"
        );
        let (base, _) = address.rsplit_once('/').unwrap();
        let forged_url = on_app(&app, &format!("{base}/00000000000000000000000000000000"));
        (
            crate::fake_sms::smsapi_reply(&forged_url, "48601100200", "STOP").await,
            crate::fake_sms::smsapi_reply(&url, "48609999999", "STOP").await,
            {
                // Any other reply is not a STOP.
                let nie = crate::fake_sms::smsapi_reply(&url, "48601100200", "Nie przyjde").await;
                assert_eq!(nie.status(), StatusCode::OK);
                assert!(client_consent(&s.owner, &client).await);
                crate::fake_sms::smsapi_reply(&url, "48601100200", " stop ").await
            },
        )
    };
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(stop.status(), StatusCode::OK);
    if !twilio {
        assert_eq!(stop.text().await.unwrap(), "OK");
    }
    // Withdrawn here, not at the other business.
    assert!(!client_consent(&s.owner, &client).await);
    assert!(client_consent(&other.owner, &elsewhere).await);
    // The waiting text is dropped; nothing goes to the number.
    let id = pending["id"].as_str().unwrap();
    let sms: Value = s
        .owner
        .get(&format!("/sms/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sms["status"], "failed", "{sms}");
    app.run_jobs().await;
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // The booking says why no reminder goes by text.
    let section = sms_section(&app, &s.owner, &booking).await;
    assert!(
        section.contains("No SMS: the client gave no phone with consent"),
        "{section}"
    );
    // The reminder day: nothing by text.
    let at: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
    app.clock.advance(
        at - chrono::Duration::hours(24) - app.clock.now() + chrono::Duration::seconds(30),
    );
    app.run_jobs().await;
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.get("to") != Some("48601100200")),
        "{:?}",
        fake.requests()
    );
    app.finish().await;
}

async fn a_stop_reply_through_smsapi(backend: Backend) {
    a_stop_reply_withdraws_the_sms_consent(backend, false).await;
}

async fn a_stop_reply_through_twilio(backend: Backend) {
    a_stop_reply_withdraws_the_sms_consent(backend, true).await;
}

async fn without_a_gateway_the_pages_say_sms_is_off(app: &TestApp) {
    let s = salon(app, "sms-wylaczony", json!({})).await;
    let free = slots(app, &s, day_ahead(4), "Europe/Warsaw").await;
    let (booking, _) = booked(
        app,
        &s,
        free[1]["start"].as_str().unwrap(),
        "off@example.com",
        "601 100 200",
        true,
    )
    .await;
    let section = sms_section(app, &s.owner, &booking).await;
    assert!(
        section.contains("No SMS: SMS is off (no gateway is configured on this server)."),
        "{section}"
    );
    assert_eq!(template_of(&s).await["enabled"], false);
    for path in ["/app/settings/sms", "/app/settings/reminders"] {
        let (status, html) = page(app, &s.owner, path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("SMS is off: no SMS gateway is configured on this server"),
            "{path}: {html}"
        );
    }
}

crate::on_both_backends!(without_a_gateway_the_pages_say_sms_is_off);

crate::for_each_backend!(
    the_owner_writes_the_sms_reminder,
    a_booking_shows_its_texts_or_why_none,
    a_stop_reply_through_smsapi,
    a_stop_reply_through_twilio
);
