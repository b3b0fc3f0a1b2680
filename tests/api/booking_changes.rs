//! The business's view of changes (issue 22): cancelled bookings stay in
//! the calendar and lists, struck through and labelled with who cancelled
//! them and when (a filter hides them), and a feed of recent changes in
//! the panel, a staff member's log-in seeing only their own bookings'.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Session, TestApp, owner_email};
use crate::on_both_backends;
use crate::panel_pages::page;
use crate::scheduling::{Salon, all_week, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    cancelled_bookings_stay_in_the_calendar_struck_through_with_who_and_when,
    the_feed_lists_recent_changes_newest_first,
    a_staff_member_sees_only_their_own_bookings_changes,
);

/// Links the salon's staff member (Marta) to a new staff log-in.
pub(crate) async fn marta_logs_in(app: &TestApp, s: &Salon, email: &str) -> Session {
    let member = crate::invitations::join(app, &s.owner, email, "staff").await;
    let me: Value = member.get("/me").await.json().await.unwrap();
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}", s.staff),
            Some(json!({"name": "Marta Fryzjerka", "user_id": me["user"]["id"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    member
}

/// A second staff member (Ola, no log-in) who also performs the service.
pub(crate) async fn ola_joins(s: &Salon) -> String {
    let resp = s
        .owner
        .post("/staff", json!({"name": "Ola Stylistka"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let ola: Value = resp.json().await.unwrap();
    let ola = ola["id"].as_str().unwrap().to_string();
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{ola}/working-hours"),
            Some(all_week("09:00", "17:00")),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/services/{}", s.service),
            Some(json!({
                "name": "Strzyżenie", "duration_min": 60, "price_minor": 12000, "step_min": 60,
                "min_notice_min": 0, "max_advance_days": 730, "staff_ids": [s.staff, ola],
            })),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    ola
}

/// Books `start` for a client of their own (with `staff`, that person);
/// returns the booking's id and manage token.
pub(crate) async fn booked(
    app: &TestApp,
    s: &Salon,
    start: &str,
    email: &str,
    staff: Option<&str>,
) -> (String, String) {
    let n = email
        .bytes()
        .fold(7u64, |h, b| (h * 31 + u64::from(b)) % 100_000_000);
    let mut body = booking_body(s, start, email);
    body["client"]["phone"] = json!(format!("+48 6{n:08}"));
    body["client"]["name"] = json!(format!("Klientka {}", &email[..email.find('@').unwrap()]));
    if let Some(staff) = staff {
        body["staff_id"] = json!(staff);
    }
    let resp = book(app, s, &body).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let created: Value = resp.json().await.unwrap();
    (
        created["booking"]["id"].as_str().unwrap().to_string(),
        created["manage_token"].as_str().unwrap().to_string(),
    )
}

pub(crate) async fn client_post(app: &TestApp, slug: &str, token: &str, what: &str, body: Value) {
    let resp = app
        .client()
        .post(app.api(&format!("/public/{slug}/bookings/{token}/{what}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
}

fn start_of(slot: &Value) -> String {
    slot["start"].as_str().unwrap().to_string()
}

async fn cancelled_bookings_stay_in_the_calendar_struck_through_with_who_and_when(app: &TestApp) {
    let s = salon(app, "odwolane", json!({})).await;
    let marta = marta_logs_in(app, &s, "marta@odwolane.example.com").await;
    let day = day_ahead(5);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let (by_client, token) = booked(app, &s, &start_of(&free[0]), "anna@example.com", None).await;
    let (by_owner, _) = booked(app, &s, &start_of(&free[2]), "beata@example.com", None).await;
    let (by_staff, _) = booked(app, &s, &start_of(&free[4]), "celina@example.com", None).await;
    let (kept, _) = booked(app, &s, &start_of(&free[6]), "dorota@example.com", None).await;
    assert_eq!(
        slots(app, &s, day, "Europe/Warsaw").await.len(),
        free.len() - 4
    );

    client_post(app, "odwolane", &token, "cancel", json!({})).await;
    app.clock.advance(Duration::minutes(5));
    let resp = s
        .owner
        .post(
            &format!("/bookings/{by_owner}/cancel"),
            json!({"reason": "choroba"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    app.clock.advance(Duration::minutes(5));
    let resp = marta
        .post(&format!("/bookings/{by_staff}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Who and when, stored with each.
    let now = app.clock.now();
    for (id, by, ago) in [
        (&by_client, "client", 10),
        (&by_owner, "business", 5),
        (&by_staff, "staff", 0),
    ] {
        let b: Value = s
            .owner
            .get(&format!("/bookings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(b["status"], "cancelled");
        assert_eq!(b["cancelled_by"], by);
        let at: DateTime<Utc> = b["cancelled_at"].as_str().unwrap().parse().unwrap();
        assert!(
            (at - (now - Duration::minutes(ago))).num_seconds().abs() < 2,
            "{id}: {at}"
        );
    }
    let b: Value = s
        .owner
        .get(&format!("/bookings/{kept}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["cancelled_at"], Value::Null);
    // Cancelled time is free again.
    assert_eq!(
        slots(app, &s, day, "Europe/Warsaw").await.len(),
        free.len() - 1
    );

    // The calendar keeps them, struck through and said in words.
    let (status, html) = page(app, &s.owner, &format!("/app/calendar?view=day&date={day}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(html.matches("cal__block ").count(), 4, "{html}");
    assert_eq!(html.matches("status-cancelled").count(), 3, "{html}");
    assert_eq!(
        html.matches("<span class=\"cal__status\">Cancelled</span>")
            .count(),
        3
    );
    for who in ["the client", "the business", "the staff member"] {
        assert!(
            html.contains(&format!("Cancelled by {who}, ")),
            "{who}: {html}"
        );
    }
    assert!(html.contains("Klientka anna"));
    // Hidden on request, and the choice kept while moving around.
    let (_, hidden) = page(
        app,
        &s.owner,
        &format!("/app/calendar?view=day&date={day}&cancelled=hide"),
    )
    .await;
    assert_eq!(hidden.matches("cal__block ").count(), 1, "{hidden}");
    assert!(!hidden.contains("status-cancelled"));
    assert!(!hidden.contains("Klientka anna"));
    let next = day + Duration::days(1);
    assert!(
        hidden.contains(&format!("date={next}&#38;staff=all&#38;cancelled=hide")),
        "{hidden}"
    );
    assert!(
        hidden.contains("<option value=\"hide\" selected"),
        "{hidden}"
    );

    // The booking itself: who and when.
    let (_, one) = page(app, &s.owner, &format!("/app/bookings/{by_client}")).await;
    assert!(one.contains("Cancelled by"), "{one}");
    assert!(one.contains("<dd>the client</dd>"), "{one}");
    assert!(one.contains("Cancelled on"), "{one}");
    // The client's history lists it the same way.
    let client_id = b["client_id"].as_str().unwrap().to_string();
    let (_, history) = page(app, &s.owner, &format!("/app/clients/{client_id}")).await;
    assert!(
        !history.contains("Cancelled by"),
        "a booking still on: {history}"
    );
    let cancelled: Value = s
        .owner
        .get(&format!("/bookings/{by_owner}"))
        .await
        .json()
        .await
        .unwrap();
    let (_, history) = page(
        app,
        &s.owner,
        &format!("/app/clients/{}", cancelled["client_id"].as_str().unwrap()),
    )
    .await;
    assert!(history.contains("status-cancelled"), "{history}");
    assert!(history.contains("Cancelled by the business, "), "{history}");
}

/// Position of `needle` in `html` (it must be there).
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} missing in {html}"))
}

async fn the_feed_lists_recent_changes_newest_first(app: &TestApp) {
    let s = salon(app, "zmiany", json!({"requires_approval": true})).await;
    let day = day_ahead(4);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let (a, token_a) = booked(app, &s, &start_of(&free[0]), "ala@example.com", None).await;
    app.clock.advance(Duration::minutes(1));
    let (b, _) = booked(app, &s, &start_of(&free[2]), "basia@example.com", None).await;
    app.clock.advance(Duration::minutes(1));
    let resp = s
        .owner
        .post(&format!("/bookings/{a}/approve"), json!({}))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    app.clock.advance(Duration::minutes(1));
    let resp = s
        .owner
        .post(&format!("/bookings/{b}/decline"), json!({}))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    app.clock.advance(Duration::minutes(1));
    client_post(app, "zmiany", &token_a, "confirm", json!({})).await;
    app.clock.advance(Duration::minutes(1));
    client_post(
        app,
        "zmiany",
        &token_a,
        "reschedule",
        json!({"start": start_of(&free[4])}),
    )
    .await;
    app.clock.advance(Duration::minutes(1));
    client_post(app, "zmiany", &token_a, "cancel", json!({})).await;

    let (status, html) = page(app, &s.owner, "/app/changes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("href=\"/app/changes\" aria-current=\"page\""),
        "in the menu"
    );
    let order = [
        "Cancelled by the client",
        "Moved to another time by the client",
        "Visit confirmed by the client",
        "Declined by the business",
        "Approved by the business",
        "New booking to approve by the client",
    ];
    for pair in order.windows(2) {
        assert!(at(&html, pair[0]) < at(&html, pair[1]), "{pair:?}");
    }
    assert_eq!(
        html.matches("New booking to approve by the client").count(),
        2
    );
    assert!(html.contains(&format!("href=\"/app/bookings/{a}\"")));
    assert!(html.contains(&format!("href=\"/app/bookings/{b}\"")));
    assert!(html.contains("Klientka ala") && html.contains("Klientka basia"));
    // No name or address of a client is stored with a change.
    let (status, pl) = crate::booking_pages::get_page(
        &s.owner.client,
        &format!("{}/app/changes?lang=pl", app.url),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pl.contains("Odwołana przez klienta"), "{pl}");
    assert!(pl.contains("Odrzucona przez firmę"), "{pl}");

    // The latest few on the today page, linked to the whole feed.
    let (_, today) = page(app, &s.owner, "/app").await;
    assert!(today.contains("Recent changes"));
    assert!(today.contains("Cancelled by the client"), "{today}");
    assert!(today.contains("href=\"/app/changes\""));
    assert!(
        !today.contains("New booking to approve"),
        "only the latest five"
    );

    // Fourteen days back, no further.
    // (A session does not last that long: logged in again.)
    app.clock.advance(Duration::days(14) - Duration::minutes(3));
    let owner = app.login(&owner_email("zmiany"), PASSWORD).await;
    let (_, html) = page(app, &owner, "/app/changes").await;
    assert!(html.contains("Cancelled by the client"), "{html}");
    assert!(!html.contains("Approved by the business"), "{html}");
    app.clock.advance(Duration::days(1));
    let owner = app.login(&owner_email("zmiany"), PASSWORD).await;
    let (_, html) = page(app, &owner, "/app/changes").await;
    assert!(html.contains("No changes in the last 14 days."), "{html}");
}

async fn a_staff_member_sees_only_their_own_bookings_changes(app: &TestApp) {
    let s = salon(app, "zmiany-moje", json!({})).await;
    let marta = marta_logs_in(app, &s, "marta@zmiany-moje.example.com").await;
    let ola = ola_joins(&s).await;
    let day = day_ahead(3);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let (mine, _) = booked(
        app,
        &s,
        &start_of(&free[0]),
        "m1@example.com",
        Some(&s.staff),
    )
    .await;
    let (hers, _) = booked(app, &s, &start_of(&free[0]), "o1@example.com", Some(&ola)).await;
    let resp = s
        .owner
        .post(&format!("/bookings/{hers}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let (_, owners) = page(app, &s.owner, "/app/changes").await;
    assert!(owners.contains(&format!("/app/bookings/{mine}")));
    assert!(owners.contains(&format!("/app/bookings/{hers}")));
    let (status, martas) = page(app, &marta, "/app/changes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        martas.contains(&format!("/app/bookings/{mine}")),
        "{martas}"
    );
    assert!(
        !martas.contains(&format!("/app/bookings/{hers}")),
        "{martas}"
    );
    assert!(!martas.contains("Cancelled by"), "{martas}");
    let (_, today) = page(app, &marta, "/app").await;
    assert!(!today.contains(&format!("/app/bookings/{hers}")), "{today}");

    // Another business sees none of it.
    let other = app.signup("zmiany-obcy").await;
    let (_, theirs) = page(app, &other, "/app/changes").await;
    assert!(
        theirs.contains("No changes in the last 14 days."),
        "{theirs}"
    );
}
