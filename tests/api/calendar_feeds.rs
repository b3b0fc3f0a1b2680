//! Private calendar feeds (issue 22): the address a calendar program
//! subscribes to, read back with a real iCalendar parser; "no client
//! details" shows none; each fetch is in the audit log; a revoked or
//! regenerated address stops working; another business cannot touch it.

use icalendar::Component;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::scheduling::{book, booking_body, day_ahead, salon, slots};

on_both_backends!(a_calendar_feed_is_private_and_can_be_revoked);

async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    // The address is given for the public URL; the test server is that.
    let path = &url[url.find("/calendar/").unwrap()..];
    app.client()
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap()
}

fn events(ics: &str) -> Vec<icalendar::Event> {
    let calendar: icalendar::Calendar = ics.parse().expect("a valid calendar");
    calendar.events().cloned().collect()
}

async fn a_calendar_feed_is_private_and_can_be_revoked(app: &TestApp) {
    let s = salon(app, "kanal-kalendarza", json!({})).await;
    let day = day_ahead(5);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let start = free[2]["start"].as_str().unwrap().to_string();
    let resp = book(app, &s, &booking_body(&s, &start, "karolina.k@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let booking: Value = resp.json().await.unwrap();
    let booking_id = booking["booking"]["id"].as_str().unwrap().to_string();

    // Bad input names the field.
    let resp = s
        .owner
        .post("/calendar-feeds", json!({"client_details": "everything"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The staff member's feed, with the client's first name (the default).
    let resp = s
        .owner
        .post("/calendar-feeds", json!({"staff_id": s.staff}))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let staff_feed: Value = resp.json().await.unwrap();
    assert!(
        staff_feed["webcal_url"]
            .as_str()
            .unwrap()
            .starts_with("webcal://"),
        "{staff_feed}"
    );
    let url = staff_feed["url"].as_str().unwrap().to_string();
    let resp = fetch(app, &url).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = resp.text().await.unwrap();
    let found = events(&ics);
    assert_eq!(found.len(), 1, "{ics}");
    let event = &found[0];
    assert_eq!(
        event.get_uid(),
        Some(format!("{booking_id}@termino").as_str())
    );
    assert_eq!(event.get_summary(), Some("Strzyżenie — Karolina"));
    assert!(
        !ics.contains("Klientka") && !ics.contains("karolina.k@"),
        "{ics}"
    );
    assert!(!ics.contains("605"), "no phone: {ics}");

    // The business's feed without client details leaks none.
    let resp = s
        .owner
        .post("/calendar-feeds", json!({"client_details": "none"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let business_feed: Value = resp.json().await.unwrap();
    let ics = fetch(app, business_feed["url"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let found = events(&ics);
    assert_eq!(found.len(), 1, "{ics}");
    assert_eq!(found[0].get_summary(), Some("Strzyżenie"));
    assert!(!ics.contains("Karolina"), "{ics}");
    assert!(ics.contains("Marta Fryzjerka"), "whose booking: {ics}");

    // Every fetch is an audited read.
    let audit: Value = s.owner.get("/audit-events").await.json().await.unwrap();
    let reads = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "calendar_feed.read")
        .count();
    assert_eq!(reads, 2, "{audit}");

    // Another business can neither see nor revoke it.
    let other = app.signup("inna-firma-kanal").await;
    let id = staff_feed["feed"]["id"].as_str().unwrap();
    let theirs: Value = other.get("/calendar-feeds").await.json().await.unwrap();
    assert_eq!(theirs, json!([]));
    assert_eq!(
        other
            .delete(&format!("/calendar-feeds/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(fetch(app, &url).await.status(), StatusCode::OK);

    // Regenerated: the old address is dead, the new one works.
    let resp = s
        .owner
        .post(&format!("/calendar-feeds/{id}/regenerate"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let renewed: Value = resp.json().await.unwrap();
    assert_eq!(fetch(app, &url).await.status(), StatusCode::NOT_FOUND);
    let new_url = renewed["url"].as_str().unwrap().to_string();
    assert_ne!(new_url, url);
    assert_eq!(fetch(app, &new_url).await.status(), StatusCode::OK);

    // Revoked: gone.
    let new_id = renewed["feed"]["id"].as_str().unwrap();
    let resp = s.owner.delete(&format!("/calendar-feeds/{new_id}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(fetch(app, &new_url).await.status(), StatusCode::NOT_FOUND);
    let left: Value = s.owner.get("/calendar-feeds").await.json().await.unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1, "the business feed stays");
    // A made-up address is not found either.
    assert_eq!(
        fetch(app, "http://x/calendar/not-a-real-secret.ics")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
