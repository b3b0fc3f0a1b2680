//! The `.ics` a client gets (mail attachment and manage page), read back
//! with a real iCalendar parser (issue 20, item 19).

use icalendar::{Component, EventLike};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, attachment, fields, problem};
use crate::on_both_backends;
use crate::scheduling::{book, booking_body, day_ahead, furnish, slots};

on_both_backends!(
    ics_text_values_are_escaped_per_rfc5545,
    invitations_are_updated_and_cancelled_in_place,
);

/// Checks the content lines of a calendar file and returns its one event;
/// the only attendee it may name is the client it was sent to.
fn the_event_for(ics: &str, client: Option<&str>) -> icalendar::Event {
    for line in ics.trim_end_matches("\r\n").split("\r\n") {
        assert!(!line.contains(['\r', '\n']), "bare line break: {line:?}");
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let calendar: icalendar::Calendar = ics.parse().expect("a valid calendar");
    let events: Vec<_> = calendar.events().cloned().collect();
    assert_eq!(events.len(), 1, "{ics}");
    let event = events.into_iter().next().unwrap();
    let attendees: Vec<String> = event
        .get_attendees()
        .into_iter()
        .map(|a| a.cal_address)
        .collect();
    let expected: Vec<String> = client.map(|c| format!("mailto:{c}")).into_iter().collect();
    assert_eq!(attendees, expected, "{ics}");
    assert!(event.properties().get("ATTENDEE").is_none(), "{ics}");
    event
}

/// Every message to an address as written (base64 parts intact), oldest
/// first.
fn raw_mails_to(app: &TestApp, address: &str) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .filter(|t| t.contains(&format!("To: {address}\r\n")))
        .collect()
}

/// The calendar file in a mail, with its METHOD (from the file and from
/// the MIME type, which must agree) and its one event.
fn invitation_in(mail: &str, client: &str) -> (String, icalendar::Event) {
    let ics = attachment(mail, "text/calendar");
    let calendar: icalendar::Calendar = ics.parse().expect("a valid calendar");
    let method = calendar
        .property_value("METHOD")
        .expect("a METHOD")
        .to_string();
    assert!(
        mail.contains(&format!("method={method}")),
        "the MIME type names another method: {mail}"
    );
    (method, the_event_for(&ics, Some(client)))
}

/// Issue 22: the confirmation, the reschedule and the cancellation carry
/// one event (same UID) with a growing SEQUENCE, the business as
/// ORGANIZER, an alarm an hour before; the cancellation is METHOD:CANCEL
/// with STATUS:CANCELLED, so calendars remove the event.
async fn invitations_are_updated_and_cancelled_in_place(app: &TestApp) {
    let s = crate::scheduling::salon(app, "zaproszenie", json!({})).await;
    let free = slots(app, &s, day_ahead(4), "Europe/Warsaw").await;
    let (first, second) = (
        free[0]["start"].as_str().unwrap().to_string(),
        free[2]["start"].as_str().unwrap().to_string(),
    );
    let email = "zaproszona@example.com";
    let created: Value = book(app, &s, &booking_body(&s, &first, email))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap().to_string();
    app.expect_mails(email, 1).await;
    let resp = app
        .client()
        .post(app.api(&format!("/public/zaproszenie/bookings/{token}/reschedule")))
        .json(&json!({ "start": second }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    app.expect_mails(email, 2).await;
    let resp = app
        .client()
        .post(app.api(&format!("/public/zaproszenie/bookings/{token}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    app.expect_mails(email, 3).await;

    let mails = raw_mails_to(app, email);
    assert_eq!(mails.len(), 3);
    let sent: Vec<_> = mails.iter().map(|m| invitation_in(m, email)).collect();
    let methods: Vec<&str> = sent.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["REQUEST", "REQUEST", "CANCEL"]);
    let uid = sent[0].1.get_uid().expect("a UID");
    let mut sequence = None;
    for (_, event) in &sent {
        assert_eq!(event.get_uid(), Some(uid));
        let this = event.get_sequence().expect("a SEQUENCE");
        assert!(
            sequence.is_none_or(|before| this > before),
            "{sequence:?} then {this}"
        );
        sequence = Some(this);
        let organizer = event.properties().get("ORGANIZER").expect("an ORGANIZER");
        assert_eq!(
            organizer.value(),
            format!("mailto:{}", crate::helpers::owner_email("zaproszenie"))
        );
    }
    let alarms = |e: &icalendar::Event| {
        e.components()
            .iter()
            .filter(|c| c.component_kind() == "VALARM")
            .map(|c| c.property_value("TRIGGER").unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    let (invite, moved, cancelled) = (&sent[0].1, &sent[1].1, &sent[2].1);
    assert_eq!(invite.get_status(), Some(icalendar::EventStatus::Confirmed));
    assert_eq!(alarms(invite), ["-PT3600S"]);
    assert_eq!(
        moved.get_start(),
        Some(
            chrono::DateTime::parse_from_rfc3339(&second)
                .unwrap()
                .with_timezone(&chrono::Utc)
                .into()
        )
    );
    assert_eq!(
        cancelled.get_status(),
        Some(icalendar::EventStatus::Cancelled)
    );
    assert!(alarms(cancelled).is_empty());
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
    // The download has nobody to answer; the mail names its client.
    for (ics, client) in [(from_page, None), (from_mail, Some(email))] {
        let event = the_event_for(&ics, client);
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
