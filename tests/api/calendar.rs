//! The `.ics` a client gets (mail attachment and manage page), read back
//! with a real iCalendar parser (issue 20, item 19).

use icalendar::{Component, EventLike};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, attachment, fields, problem};
use crate::on_both_backends;
use crate::scheduling::{book, booking_body, day_ahead, furnish, slots};

on_both_backends!(ics_text_values_are_escaped_per_rfc5545);

/// Checks the content lines of a calendar file and returns its one event.
fn the_event(ics: &str) -> icalendar::Event {
    for line in ics.trim_end_matches("\r\n").split("\r\n") {
        assert!(!line.contains(['\r', '\n']), "bare line break: {line:?}");
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let calendar: icalendar::Calendar = ics.parse().expect("a valid calendar");
    let events: Vec<_> = calendar.events().cloned().collect();
    assert_eq!(events.len(), 1, "{ics}");
    let event = events.into_iter().next().unwrap();
    assert!(event.multi_properties().get("ATTENDEE").is_none(), "{ics}");
    assert!(event.properties().get("ATTENDEE").is_none(), "{ics}");
    event
}

async fn ics_text_values_are_escaped_per_rfc5545(app: &TestApp) {
    let owner = app.signup("kalendarz").await;
    let business = r"Salon; Ola, \ Kraków";
    let resp = owner.patch("/business", json!({ "name": business })).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let service = r"Cut; wash, dry \ style";
    let s = furnish(owner, "kalendarz", json!({ "name": service })).await;

    // First defence: a name that would break a content line is refused,
    // on creation and on change.
    let evil = json!({
        "name": "Cut\r\nATTENDEE:mailto:evil@example.com",
        "duration_min": 60, "staff_ids": [s.staff],
    });
    let resp = s.owner.post("/services", evil.clone()).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), ["name"]);
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/services/{}", s.service),
            Some(evil),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), ["name"]);

    let start = slots(app, &s, day_ahead(3), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let email = "kalendarz@example.com";
    let created: Value = book(app, &s, &booking_body(&s, &start, email))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let from_page = app
        .client()
        .get(format!(
            "{}/b/kalendarz/manage/{token}/booking.ics",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let from_mail = attachment(&app.raw_mail_to(email).await, "text/calendar");
    for ics in [from_page, from_mail] {
        let event = the_event(&ics);
        assert_eq!(
            event.get_summary(),
            Some(format!("{service} — {business}").as_str())
        );
        assert_eq!(event.get_location(), Some(business));
        assert!(
            event
                .get_description()
                .is_some_and(|d| d.ends_with(&format!("/b/kalendarz/manage/{token}"))),
            "{ics}"
        );
    }
}
