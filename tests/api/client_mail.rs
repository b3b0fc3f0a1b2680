//! Issue 22, client communication: every mail to a client in the client's
//! own language, from the business by name with its `Reply-To`, in text
//! and HTML, with the visit's facts; read from a real SMTP exchange.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::booking_pages::{get_page, input_value, links, post_form};
use crate::helpers::{Backend, TestApp, decode_quoted_printable, fields, problem};
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};
use crate::smtp::SmtpSink;

async fn spawn(backend: Backend) -> Option<(TestApp, SmtpSink)> {
    let (sink, port) = SmtpSink::start(0).await;
    let app = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await?;
    Some((app, sink))
}

/// Every message the SMTP server received for an address: the headers as
/// sent, then each text part decoded.
async fn received(app: &TestApp, sink: &SmtpSink, address: &str) -> Vec<String> {
    app.run_jobs().await;
    sink.messages()
        .iter()
        .filter(|m| m.contains(&format!("To: {address}")))
        .map(|m| readable(m))
        .collect()
}

/// The message's headers as they are, and its parts with their transfer
/// encoding (base64 or quoted-printable) undone.
fn readable(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let split = raw.find("\n\n").unwrap_or(raw.len());
    let mut out = raw[..split].to_string();
    out.push_str("\n\n");
    for part in raw[split..].split("\n--") {
        let Some(body_at) = part.find("\n\n") else {
            out.push_str(part);
            continue;
        };
        let (head, body) = part.split_at(body_at);
        out.push_str(head);
        out.push_str("\n\n");
        if head.contains("Content-Transfer-Encoding: base64") {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined.as_bytes())
                .unwrap_or_default();
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else if head.contains("Content-Transfer-Encoding: quoted-printable") {
            out.push_str(&decode_quoted_printable(body));
        } else {
            out.push_str(body);
        }
        out.push_str("\n--");
    }
    out
}

/// A header's value (unfolded).
fn header(mail: &str, name: &str) -> Option<String> {
    let head = &mail[..mail.find("\n\n").unwrap_or(mail.len())];
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(value) = line.strip_prefix(&format!("{name}: ")) {
            let mut value = value.to_string();
            while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                value.push_str(lines.next().unwrap_or_default().trim_start());
            }
            return Some(value);
        }
    }
    None
}

/// A display name as RFC 2047 writes it (how lettre sends one with Polish
/// letters).
fn encoded_word(name: &str) -> String {
    format!(
        "=?utf-8?b?{}?=",
        base64::engine::general_purpose::STANDARD.encode(name)
    )
}

/// Books the first free time through the booking page in `lang`.
async fn book_on_the_page(app: &TestApp, s: &Salon, lang: &str, name: &str, email: &str) {
    let client = app.client();
    let (status, html) = get_page(
        &client,
        &format!("{}/b/{}?lang={lang}&service={}", app.url, s.slug, s.service),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let slot = links(&html, &format!("/b/{}/details?", s.slug))
        .into_iter()
        .next()
        .expect("a free time");
    let (status, html) = get_page(&client, &format!("{}{slot}", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    let mut pairs: Vec<(String, String)> = ["service", "staff", "start", "token", "tz", "lang"]
        .iter()
        .filter_map(|n| input_value(&html, n).map(|v| (n.to_string(), v)))
        .collect();
    assert!(
        pairs.iter().any(|(k, v)| k == "lang" && v == lang),
        "{pairs:?}"
    );
    pairs.push(("name".into(), name.into()));
    pairs.push(("email".into(), email.into()));
    let body: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let resp = post_form(&client, &format!("{}/b/{}/details", app.url, s.slug), &body).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

async fn client_named(s: &Salon, name: &str) -> Value {
    let clients: Value = s.owner.get("/clients").await.json().await.unwrap();
    clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no client {name}: {clients}"))
}

async fn bookings(s: &Salon) -> Vec<Value> {
    let list: Value = s.owner.get("/bookings").await.json().await.unwrap();
    list["items"].as_array().unwrap().clone()
}

/// A client who books on the English page of a Polish business reads
/// English, one on the Polish page Polish; the language stays with the
/// client for later mail (the business cancelling); REST and GraphQL set
/// it on creation, the business's language by default.
async fn each_client_reads_their_own_language(backend: Backend) {
    let Some((app, sink)) = spawn(backend).await else {
        return;
    };
    let s = salon(&app, "jezyk-klienta", json!({})).await;
    book_on_the_page(&app, &s, "en", "Emily Brown", "emily@example.com").await;
    book_on_the_page(&app, &s, "pl", "Ola Nowak", "ola@example.com").await;

    let en = received(&app, &sink, "emily@example.com").await;
    assert_eq!(en.len(), 1);
    assert!(
        en[0].contains("Subject: Your booking at Salon jezyk-klienta"),
        "{}",
        en[0]
    );
    for part in [
        "Hello,",
        "thank you for your booking",
        "duration: 60 min",
        "PLN 120.00",
    ] {
        assert!(en[0].contains(part), "{part:?} missing in {}", en[0]);
    }
    assert!(!en[0].contains("Dzień dobry"), "{}", en[0]);
    let pl = received(&app, &sink, "ola@example.com").await;
    assert_eq!(pl.len(), 1);
    for part in [
        "Dzień dobry,",
        "dziękujemy za rezerwację",
        "czas trwania: 60 min",
        "120,00 zł",
    ] {
        assert!(pl[0].contains(part), "{part:?} missing in {}", pl[0]);
    }
    assert_eq!(client_named(&s, "Emily Brown").await["language"], "en");
    assert_eq!(client_named(&s, "Ola Nowak").await["language"], "pl");

    // Later mail keeps to the client's language: the business cancels.
    for b in bookings(&s).await {
        let resp = s
            .owner
            .post(
                &format!("/bookings/{}/cancel", b["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{}",
            resp.text().await.unwrap()
        );
    }
    let en = received(&app, &sink, "emily@example.com").await;
    assert_eq!(en.len(), 2);
    assert!(en[1].contains("Subject: Booking cancelled"), "{}", en[1]);
    let pl = received(&app, &sink, "ola@example.com").await;
    assert!(pl[1].contains("została odwołana"), "{}", pl[1]);

    // REST: optional, pl or en, the business's by default.
    let resp = s
        .owner
        .post("/clients", json!({"name": "Jan Smith", "language": "en"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["language"], "en");
    let resp = s.owner.post("/clients", json!({"name": "Jan Kowal"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.json::<Value>().await.unwrap()["language"], "pl");
    let resp = s
        .owner
        .post("/clients", json!({"name": "Hans", "language": "de"}))
        .await;
    assert!(resp.status().is_client_error());
    assert_eq!(fields(&problem(resp).await), vec!["language"]);

    // A booking through the API in English.
    let day = day_ahead(6);
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    let mut body = booking_body(&s, free[0]["start"].as_str().unwrap(), "api.en@example.com");
    body["client"]["language"] = json!("en");
    let resp = book(&app, &s, &body).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let mail = received(&app, &sink, "api.en@example.com").await;
    assert!(mail[0].contains("Hello,"), "{}", mail[0]);

    // GraphQL: `language` on the client input.
    let key = crate::graphql::api_key(&s.owner).await;
    let made = crate::graphql::gql(
        &app,
        &key,
        "mutation($i: ClientInput!) { createClient(input: $i) { language } }",
        json!({"i": {"name": "Grace Hopper", "language": "EN"}}),
    )
    .await;
    assert_eq!(made["data"]["createClient"]["language"], "EN", "{made}");
    app.finish().await;
}

/// The business writes as itself: its name as the sender (encoded for
/// Polish letters), `Reply-To` its contact e-mail when it has one, a text
/// and an HTML part, and the visit's facts: the time with its zone, the
/// duration, the price by locale, the address and the manage link.
async fn client_mail_comes_from_the_business_with_the_facts(backend: Backend) {
    let Some((app, sink)) = spawn(backend).await else {
        return;
    };
    let s = salon(&app, "nadawca", json!({"requires_approval": true})).await;
    // Without a contact e-mail: the business's name, no Reply-To.
    let day = day_ahead(5);
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    let resp = book(
        &app,
        &s,
        &booking_body(&s, free[0]["start"].as_str().unwrap(), "bez@example.com"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mail = &received(&app, &sink, "bez@example.com").await[0];
    let from = header(mail, "From").unwrap_or_default();
    assert!(
        from.contains("Salon nadawca") && from.ends_with("<no-reply@termino.localhost>"),
        "{mail}"
    );
    assert_eq!(header(mail, "Reply-To"), None, "{mail}");

    let resp = s
        .owner
        .patch(
            "/business",
            json!({"name": "Zakład Łąka", "contact_email": "kontakt@laka.example.com"}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    assert_eq!(
        resp.json::<Value>().await.unwrap()["contact_email"],
        "kontakt@laka.example.com"
    );
    let resp = s
        .owner
        .patch("/business", json!({"contact_email": "nie adres"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["contact_email"]);
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            "/business/reminders",
            Some(json!({"offsets": [{"hours_before": 24, "channel": "email"}], "send_from": "08:00", "send_until": "20:00", "address": "ul. Kwiatowa 5, Kraków"})),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );

    // Pending (approval asked), then approved, then declined: each has it all.
    let start = free[2]["start"].as_str().unwrap();
    let mut body = booking_body(&s, start, "ola@example.com");
    body["client"]["phone"] = json!("+48 605 999 000");
    body["client"]["name"] = json!("Ola Łącka");
    let resp = book(&app, &s, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let id = created["booking"]["id"].as_str().unwrap().to_string();
    let token = created["manage_token"].as_str().unwrap().to_string();
    let resp = s
        .owner
        .post(&format!("/bookings/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let mut body = booking_body(&s, free[3]["start"].as_str().unwrap(), "ola@example.com");
    body["client"]["name"] = json!("Ola Łącka");
    let resp = book(&app, &s, &body).await;
    let second: Value = resp.json().await.unwrap();
    let resp = s
        .owner
        .post(
            &format!(
                "/bookings/{}/decline",
                second["booking"]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );

    let mails = received(&app, &sink, "ola@example.com").await;
    assert_eq!(mails.len(), 4, "{mails:#?}");
    let clock = |at: &str| {
        let at: chrono::DateTime<chrono::FixedOffset> = at.parse().unwrap();
        at.with_timezone(&chrono_tz::Europe::Warsaw)
            .format("%H:%M")
            .to_string()
    };
    let later = free[3]["start"].as_str().unwrap();
    let expectations = [
        ("czeka na potwierdzenie", true, clock(start)),
        ("została potwierdzona", true, clock(start)),
        ("czeka na potwierdzenie", true, clock(later)),
        ("nie może przyjąć tej rezerwacji", false, clock(later)),
    ];
    for (mail, (lead, manage, clock)) in mails.iter().zip(expectations) {
        let name = encoded_word("Zakład Łąka");
        assert_eq!(
            header(mail, "From"),
            Some(format!("{name} <no-reply@termino.localhost>")),
            "{mail}"
        );
        assert_eq!(
            header(mail, "Reply-To"),
            Some(format!("{name} <kontakt@laka.example.com>")),
            "{mail}"
        );
        assert!(mail.contains("multipart/alternative"), "{mail}");
        assert!(
            mail.contains("Content-Type: text/plain; charset=utf-8"),
            "{mail}"
        );
        assert!(
            mail.contains("Content-Type: text/html; charset=utf-8"),
            "{mail}"
        );
        assert!(mail.contains("Content-Type: text/calendar"), "{mail}");
        for part in [
            lead,
            "Strzyżenie",
            "z: Marta Fryzjerka",
            &format!("{clock} (CET)"),
            "czas trwania: 60 min",
            "cena: 120,00 zł",
            "adres: ul. Kwiatowa 5, Kraków",
            "— Zakład Łąka",
        ] {
            assert!(mail.contains(part), "{part:?} missing in {mail}");
        }
        assert_eq!(mail.contains("/b/nadawca/manage/"), manage, "{mail}");
    }
    assert!(mails[0].contains(&format!("/b/nadawca/manage/{token}")));
    // The HTML part says the same, the link clickable.
    let html = &mails[0][mails[0].find("Content-Type: text/html").unwrap()..];
    assert!(html.contains("<p>Dzień dobry,</p>"), "{html}");
    assert!(
        html.contains(&format!("/b/nadawca/manage/{token}\">")) && html.contains("<a href=\""),
        "{html}"
    );

    // The reminder too, with the client's language: English here.
    let mut body = booking_body(&s, free[5]["start"].as_str().unwrap(), "emily@example.com");
    body["client"]["name"] = json!("Emily Brown");
    body["client"]["phone"] = json!("+48 605 123 987");
    body["client"]["language"] = json!("en");
    let resp = book(&app, &s, &body).await;
    let third: Value = resp.json().await.unwrap();
    let resp = s
        .owner
        .post(
            &format!(
                "/bookings/{}/approve",
                third["booking"]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let visit: chrono::DateTime<chrono::Utc> = free[5]["start"].as_str().unwrap().parse().unwrap();
    app.clock.advance(
        visit - chrono::Duration::hours(24) - app.clock.now() + chrono::Duration::seconds(30),
    );
    let mails = received(&app, &sink, "emily@example.com").await;
    let reminder = mails
        .iter()
        .find(|m| m.contains("a reminder of your visit"))
        .unwrap_or_else(|| panic!("{mails:#?}"));
    for part in [
        "Subject: Reminder of your visit",
        "duration: 60 min",
        "price: PLN 120.00",
        "address: ul. Kwiatowa 5, Kraków",
        "(CET)",
        "/b/nadawca/manage/",
        "Reply-To:",
    ] {
        assert!(reminder.contains(part), "{part:?} missing in {reminder}");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_reads_their_own_language_sqlite() {
    each_client_reads_their_own_language(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_reads_their_own_language_postgres() {
    each_client_reads_their_own_language(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_mail_comes_from_the_business_with_the_facts_sqlite() {
    client_mail_comes_from_the_business_with_the_facts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_mail_comes_from_the_business_with_the_facts_postgres() {
    client_mail_comes_from_the_business_with_the_facts(Backend::Postgres).await;
}
