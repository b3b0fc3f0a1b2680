//! The public booking page, the details form and the client's manage page
//! over plain HTTP, as a browser without JavaScript uses them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    the_booking_page_walks_to_a_booking,
    forged_and_foreign_forms_are_refused,
    a_taken_slot_keeps_the_details,
    the_manage_page_reschedules_and_cancels,
    a_business_without_services_says_so,
    the_widget_script_and_frame_policy,
    the_marketing_consent_is_recorded
);

pub fn html_unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// Every `href` in a page that starts with `prefix`, unescaped.
pub fn links(html: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("href=\"") {
        rest = &rest[at + 6..];
        let end = rest.find('"').unwrap();
        let href = html_unescape(&rest[..end]);
        if href.starts_with(prefix) {
            out.push(href);
        }
        rest = &rest[end..];
    }
    out
}

/// The value of the first input named `name`.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    if tag.starts_with("<textarea") {
        let body = &html[end + 1..];
        return Some(html_unescape(&body[..body.find("</textarea>")?]));
    }
    let v = tag.find("value=\"")? + 7;
    Some(html_unescape(&tag[v..v + tag[v..].find('"')?]))
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::scheduling::urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn get_page(client: &reqwest::Client, url: &str) -> (StatusCode, String) {
    let resp = client.get(url).send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

pub async fn post_form(
    client: &reqwest::Client,
    url: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .unwrap()
}

/// The details page of the first free time on the first free day.
async fn details_page(app: &TestApp, s: &Salon) -> (String, String) {
    let client = app.client();
    let (status, html) = get_page(
        &client,
        &format!("{}/b/{}?lang=en&service={}", app.url, s.slug, s.service),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let slot = links(&html, &format!("/b/{}/details?", s.slug))
        .into_iter()
        .next()
        .expect("a free time");
    let url = format!("{}{slot}", app.url);
    let (status, html) = get_page(&client, &url).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    (url, html)
}

fn details_fields<'a>(html: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = ["service", "staff", "start", "token", "tz", "lang"]
        .iter()
        .filter_map(|n| input_value(html, n).map(|v| (n.to_string(), v)))
        .collect();
    for (k, v) in extra {
        pairs.push((k.to_string(), v.to_string()));
    }
    pairs
}

async fn post_details(
    app: &TestApp,
    s: &Salon,
    pairs: &[(String, String)],
    origin: Option<&str>,
) -> reqwest::Response {
    let body: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut req = app
        .client()
        .post(format!("{}/b/{}/details", app.url, s.slug))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&body));
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    req.send().await.unwrap()
}

async fn bookings_of(s: &Salon) -> Vec<Value> {
    let list: Value = s.owner.get("/bookings").await.json().await.unwrap();
    list["items"].as_array().unwrap().clone()
}

async fn the_booking_page_walks_to_a_booking(app: &TestApp) {
    let s = salon(app, "strona-rez", json!({})).await;
    let client = app.client();
    // Step 1: the services.
    let resp = client
        .get(format!("{}/b/strona-rez?lang=en", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors *")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("1. Choose a service"));
    assert!(html.contains("Strzyżenie"));
    assert!(html.contains("60 min · 120 PLN"));
    let service_link = links(&html, "/b/strona-rez?service=");
    assert_eq!(service_link.len(), 1);

    // Steps 2–4: one performer, so the month and the first free day's
    // times come at once; days with times are links, others are not.
    let (_, html) = get_page(&client, &format!("{}{}", app.url, service_link[0])).await;
    assert!(html.contains("Marta Fryzjerka"));
    let days = links(&html, "/b/strona-rez?service=");
    assert!(days.iter().any(|d| d.contains("&date=")));
    let times = links(&html, "/b/strona-rez/details?");
    // 09:00–17:00 hourly, 60 minutes: eight times on a full day (the first
    // free day may be today, with fewer).
    assert!(!times.is_empty() && times.len() <= 8, "{times:?}");

    // The details form, then a mistake: the input stays, the error is
    // beside the field.
    let (url, html) = details_page(app, &s).await;
    assert!(html.contains("Your details"));
    let mut pairs = details_fields(
        &html,
        &[
            ("name", "Ewa Nowak"),
            ("email", ""),
            ("phone", "+48 601 000 222"),
            ("notes", "alergia na lateks"),
        ],
    );
    let resp = post_details(app, &s, &pairs, None).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert_eq!(input_value(&html, "name").unwrap(), "Ewa Nowak");
    assert_eq!(input_value(&html, "notes").unwrap(), "alergia na lateks");
    assert!(bookings_of(&s).await.is_empty());

    // Fixed: booked, and sent to the manage page.
    pairs.retain(|(k, _)| k != "email");
    pairs.push(("email".into(), "ewa@example.com".into()));
    let resp = post_details(app, &s, &pairs, Some(&app.url)).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/b/strona-rez/manage/"), "{location}");
    assert!(location.contains("booked=1"));
    // A double click sends the form twice: one booking, the same page.
    let again = post_details(app, &s, &pairs, Some(&app.url)).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let bookings = bookings_of(&s).await;
    assert_eq!(bookings.len(), 1);
    assert_eq!(bookings[0]["status"], "confirmed");

    // The confirmation, the calendar file, the e-mail.
    let (status, html) = get_page(&client, &format!("{}{location}", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Booked!"), "{html}");
    let ics = links(&html, "/b/strona-rez/manage/")
        .into_iter()
        .find(|l| l.ends_with("/booking.ics"))
        .unwrap();
    let resp = client
        .get(format!("{}{ics}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = resp.text().await.unwrap();
    assert!(ics.contains("BEGIN:VEVENT") && ics.contains("Strzyżenie"));
    let mail = app.mail_to("ewa@example.com").await;
    let token = location
        .trim_start_matches("/b/strona-rez/manage/")
        .split('?')
        .next()
        .unwrap();
    assert!(mail.contains(token));
    let _ = url;
}

async fn forged_and_foreign_forms_are_refused(app: &TestApp) {
    let s = salon(app, "strona-csrf", json!({})).await;
    let other = salon(app, "strona-inna", json!({})).await;
    let (_, html) = details_page(app, &s).await;
    let good = details_fields(&html, &[("name", "Ewa"), ("email", "ewa@example.com")]);

    // A made-up token.
    let mut forged = good.clone();
    for (k, v) in forged.iter_mut() {
        if k == "token" {
            *v = "not-a-token".into();
        }
    }
    let resp = post_details(app, &s, &forged, None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Another business's token.
    let (_, other_html) = details_page(app, &other).await;
    let other_token = input_value(&other_html, "token").unwrap();
    let mut foreign = good.clone();
    for (k, v) in foreign.iter_mut() {
        if k == "token" {
            *v = other_token.clone();
        }
    }
    let resp = post_details(app, &s, &foreign, None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A good token sent from another site.
    let resp = post_details(app, &s, &good, Some("https://evil.example")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // An expired one: forms last 12 hours.
    app.clock.advance(chrono::Duration::hours(13));
    let resp = post_details(app, &s, &good, None).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let html = resp.text().await.unwrap();
    // The refused form keeps the input and carries a fresh token.
    assert_eq!(input_value(&html, "name").unwrap(), "Ewa");
    let good_token = &good.iter().find(|(k, _)| k == "token").unwrap().1;
    assert_ne!(&input_value(&html, "token").unwrap(), good_token);
    // (The owners' sessions idled out meanwhile: the REST list needs a
    // new log-in.)
    for slug in ["strona-csrf", "strona-inna"] {
        let owner = app
            .login(&crate::helpers::owner_email(slug), crate::helpers::PASSWORD)
            .await;
        let list: Value = owner.get("/bookings").await.json().await.unwrap();
        assert_eq!(list["items"], json!([]), "{slug}");
    }
}

async fn a_taken_slot_keeps_the_details(app: &TestApp) {
    let s = salon(app, "strona-zajete", json!({})).await;
    let (_, html) = details_page(app, &s).await;
    let start = input_value(&html, "start").unwrap();
    // Someone else takes the time first.
    let resp = book(app, &s, &booking_body(&s, &start, "pierwsza@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let pairs = details_fields(
        &html,
        &[
            ("name", "Druga Osoba"),
            ("email", "druga@example.com"),
            ("notes", "proszę o ciszę"),
        ],
    );
    let resp = post_details(app, &s, &pairs, None).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let html = resp.text().await.unwrap();
    assert!(html.contains("has just been taken"), "{html}");
    assert_eq!(input_value(&html, "name").unwrap(), "Druga Osoba");
    assert_eq!(input_value(&html, "notes").unwrap(), "proszę o ciszę");
    assert!(html.contains("Choose another time"));
    assert_eq!(bookings_of(&s).await.len(), 1);
}

async fn manage_page(app: &TestApp, url: &str) -> String {
    let (status, html) = get_page(&app.client(), url).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

async fn the_manage_page_reschedules_and_cancels(app: &TestApp) {
    let s = salon(app, "strona-zmiana", json!({})).await;
    let day = day_ahead(4);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let start = free[0]["start"].as_str().unwrap().to_string();
    let created: Value = book(app, &s, &booking_body(&s, &start, "zmiana@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let id = created["booking"]["id"].as_str().unwrap();
    let url = format!(
        "{}/b/strona-zmiana/manage/{token}?lang=en&date={day}",
        app.url
    );
    let html = manage_page(app, &url).await;
    assert!(html.contains("Change the time"));
    // The booked time itself counts as free for moving (same staff).
    let times = links(&html, &format!("/b/strona-zmiana/manage/{token}?"));
    let moves: Vec<&String> = times.iter().filter(|l| l.contains("start=")).collect();
    assert_eq!(moves.len(), 8, "{moves:?}");
    // Choosing a time asks to confirm; confirming moves the booking.
    let html = manage_page(app, &format!("{}{}", app.url, moves[3])).await;
    let new_start = input_value(&html, "start").unwrap();
    let form_token = input_value(&html, "token").unwrap();
    let resp = post_form(
        &app.client(),
        &format!("{}/b/strona-zmiana/manage/{token}/reschedule", app.url),
        &[
            ("token", &form_token),
            ("start", &new_start),
            ("tz", "Europe/Warsaw"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("moved=1")
    );
    let booking: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(booking["starts_at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&new_start).unwrap()
    );
    // Cancelled with a reason.
    let resp = post_form(
        &app.client(),
        &format!("{}/b/strona-zmiana/manage/{token}/cancel", app.url),
        &[
            ("token", &form_token),
            ("reason", "choroba"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let booking: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booking["status"], "cancelled");
    assert_eq!(booking["cancel_reason"], "choroba");
    let html = manage_page(app, &url).await;
    assert!(html.contains("This booking is cancelled."));
    assert!(!html.contains("/cancel\""));

    // Inside the cutoff the page says so and refuses changes.
    s.owner
        .patch("/business", json!({"cancellation_cutoff_hours": 72}))
        .await;
    let other = free[1]["start"].as_str().unwrap().to_string();
    let created: Value = book(app, &s, &booking_body(&s, &other, "blisko@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap();
    app.clock.advance(chrono::Duration::days(2));
    let url = format!("{}/b/strona-zmiana/manage/{token}?lang=en", app.url);
    let html = manage_page(app, &url).await;
    assert!(html.contains("Changes are no longer possible online"));
    // A fresh form token (the old one expired): still refused, by the rule.
    let (_, details) = details_page(app, &s).await;
    let fresh = input_value(&details, "token").unwrap();
    let resp = post_form(
        &app.client(),
        &format!("{}/b/strona-zmiana/manage/{token}/cancel", app.url),
        &[("token", &fresh), ("lang", "en")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // A wrong manage token is simply not found.
    let (status, _) = get_page(
        &app.client(),
        &format!("{}/b/strona-zmiana/manage/nope", app.url),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_business_without_services_says_so(app: &TestApp) {
    app.signup("strona-pusta").await;
    let (status, html) = get_page(
        &app.client(),
        &format!("{}/b/strona-pusta?lang=en", app.url),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Online booking is not available"));
    assert!(!html.contains("1. Choose a service"));
    let (status, _) = get_page(&app.client(), &format!("{}/b/nie-ma-takiej", app.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_widget_script_and_frame_policy(app: &TestApp) {
    let resp = app
        .client()
        .get(format!("{}/embed.js", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let js = resp.text().await.unwrap();
    assert!(js.contains("data-business") && js.contains("data-mode"));
    assert!(js.contains("?embed=1"));
    // The panel may not be framed; the booking page may.
    let s = salon(app, "strona-ramka", json!({})).await;
    let resp = s
        .owner
        .client
        .get(format!("{}/app", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let (_, html) = get_page(
        &app.client(),
        &format!("{}/b/strona-ramka?embed=1&service={}", app.url, s.service),
    )
    .await;
    // Embedded: the page knows it, and every link keeps it so.
    assert!(html.contains("class=\"public embedded\""));
    let inner = links(&html, "/b/strona-ramka");
    assert!(!inner.is_empty());
    assert!(inner.iter().all(|l| l.contains("embed=1")), "{inner:?}");
}

async fn the_marketing_consent_is_recorded(app: &TestApp) {
    let s = salon(app, "strona-zgoda", json!({})).await;
    let resp = s
        .owner
        .patch(
            "/business",
            json!({"marketing_consent_text": "Chcę dostawać promocje e-mailem", "privacy_notice_url": "https://example.com/prywatnosc"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, html) = details_page(app, &s).await;
    assert!(html.contains("Chcę dostawać promocje e-mailem"));
    assert!(html.contains("href=\"https://example.com/prywatnosc\""));
    let pairs = details_fields(
        &html,
        &[
            ("name", "Zgoda Tak"),
            ("email", "zgoda@example.com"),
            ("marketing", "on"),
        ],
    );
    let resp = post_details(app, &s, &pairs, None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = details_page(app, &s).await;
    let pairs = details_fields(
        &html,
        &[("name", "Zgoda Nie"), ("email", "nie@example.com")],
    );
    let resp = post_details(app, &s, &pairs, None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let clients: Value = s.owner.get("/clients").await.json().await.unwrap();
    let consent = |name: &str| {
        clients["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["marketing_consent"]
            .clone()
    };
    assert_eq!(consent("Zgoda Tak"), json!(true));
    assert_eq!(consent("Zgoda Nie"), json!(false));
}
