//! A client moving their booking (the manage page and the public REST
//! call) passes every check a new booking passes, and a booking that needed
//! the business's approval needs it again at its new time (issue 20, 14).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::booking_pages::{get_page, input_value, links, post_form};
use crate::helpers::{TestApp, problem};
use crate::on_both_backends;
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    a_client_rescheduling_a_booking_that_needed_approval_goes_back_to_pending,
    a_reschedule_stops_while_the_account_is_read_only,
    a_reschedule_is_refused_for_a_restricted_client,
    a_reschedule_needs_the_service_and_staff_member_still_offered,
);

/// A booking on the first free time `days` ahead; returns its id, its
/// manage token and the other free times of that day.
async fn booked(app: &TestApp, s: &Salon, days: i64, email: &str) -> (String, String, Vec<String>) {
    let free: Vec<String> = slots(app, s, day_ahead(days), "Europe/Warsaw")
        .await
        .iter()
        .map(|f| f["start"].as_str().unwrap().to_string())
        .collect();
    let resp = book(app, s, &booking_body(s, &free[0], email)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    (
        created["booking"]["id"].as_str().unwrap().to_string(),
        created["manage_token"].as_str().unwrap().to_string(),
        free,
    )
}

async fn reschedule(app: &TestApp, s: &Salon, token: &str, start: &str) -> reqwest::Response {
    app.client()
        .post(app.api(&format!("/public/{}/bookings/{token}/reschedule", s.slug)))
        .json(&json!({ "start": start }))
        .send()
        .await
        .unwrap()
}

async fn status_of(s: &Salon, id: &str) -> String {
    let booking: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    booking["status"].as_str().unwrap().to_string()
}

/// The kind at the end of a problem's type.
async fn kind(resp: reqwest::Response) -> String {
    let p = problem(resp).await;
    p["type"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

async fn a_client_rescheduling_a_booking_that_needed_approval_goes_back_to_pending(app: &TestApp) {
    let s = salon(app, "zgoda-znowu", json!({"requires_approval": true})).await;
    let (id, token, free) = booked(app, &s, 5, "zgoda@example.com").await;
    assert_eq!(status_of(&s, &id).await, "requested");
    let approve = format!("/bookings/{id}/approve");
    assert_eq!(
        s.owner.post(&approve, json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(status_of(&s, &id).await, "confirmed");

    // Over REST: the new time waits for the business again.
    let resp = reschedule(app, &s, &token, &free[2]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let moved: Value = resp.json().await.unwrap();
    assert_eq!(moved["booking"]["status"], "requested");
    assert_eq!(status_of(&s, &id).await, "requested");
    assert_eq!(
        s.owner.post(&approve, json!({})).await.status(),
        StatusCode::OK
    );

    // On the manage page, the same.
    let day = day_ahead(5);
    let (status, html) = get_page(
        &app.client(),
        &format!("{}/b/{}/manage/{token}?lang=en&date={day}", app.url, s.slug),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let moves: Vec<String> = links(&html, &format!("/b/{}/manage/{token}?", s.slug))
        .into_iter()
        .filter(|l| l.contains("start="))
        .collect();
    let (_, html) = get_page(&app.client(), &format!("{}{}", app.url, moves[4])).await;
    let resp = post_form(
        &app.client(),
        &format!("{}/b/{}/manage/{token}/reschedule", app.url, s.slug),
        &[
            ("token", &input_value(&html, "token").unwrap()),
            ("start", &input_value(&html, "start").unwrap()),
            ("tz", "Europe/Warsaw"),
            ("lang", "en"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&s, &id).await, "requested");

    // The business moving it itself keeps its approval.
    assert_eq!(
        s.owner.post(&approve, json!({})).await.status(),
        StatusCode::OK
    );
    let resp = s
        .owner
        .patch(&format!("/bookings/{id}"), json!({ "start": free[6] }))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    assert_eq!(status_of(&s, &id).await, "confirmed");
}

async fn a_reschedule_stops_while_the_account_is_read_only(app: &TestApp) {
    let s = salon(app, "tylko-odczyt", json!({})).await;
    let (id, token, free) = booked(app, &s, 5, "odczyt@example.com").await;
    let resp = s.owner.post("/account/deletion", json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // A new booking is refused…
    let resp = book(app, &s, &booking_body(&s, &free[3], "inny@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // …and so is moving one.
    let resp = reschedule(app, &s, &token, &free[2]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(kind(resp).await, "deletion-requested");
    let booking: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booking["starts_at"], free[0].as_str(), "not moved");
}

async fn a_reschedule_is_refused_for_a_restricted_client(app: &TestApp) {
    let s = salon(app, "ograniczenie", json!({})).await;
    let email = "wstrzymana@example.com";
    let (id, token, free) = booked(app, &s, 5, email).await;
    crate::accountability::restrict_client(app, &s, email).await;
    let resp = reschedule(app, &s, &token, &free[2]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(kind(resp).await, "processing-restricted");
    let booking: Value = s
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booking["starts_at"], free[0].as_str(), "not moved");
}

async fn a_reschedule_needs_the_service_and_staff_member_still_offered(app: &TestApp) {
    let s = salon(app, "wycofane", json!({})).await;
    let (_, token, free) = booked(app, &s, 5, "wycofane@example.com").await;
    let service = json!({
        "name": "Strzyżenie", "duration_min": 60, "price_minor": 12000, "step_min": 60,
        "min_notice_min": 0, "max_advance_days": 730, "staff_ids": [s.staff],
    });
    let path = format!("/services/{}", s.service);
    let put_service = |active: bool| {
        let mut body = service.clone();
        body["active"] = json!(active);
        s.owner.send(reqwest::Method::PUT, &path, Some(body))
    };
    // The service is no longer offered: a new booking and a move alike fail.
    assert_eq!(put_service(false).await.status(), StatusCode::OK);
    let resp = book(app, &s, &booking_body(&s, &free[3], "nowy@example.com")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = reschedule(app, &s, &token, &free[2]).await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "inactive service"
    );
    assert_eq!(put_service(true).await.status(), StatusCode::OK);

    // The staff member left.
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}", s.staff),
            Some(json!({"name": "Marta Fryzjerka", "active": false})),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let resp = reschedule(app, &s, &token, &free[2]).await;
    assert_eq!(
        resp.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "inactive staff"
    );
}
