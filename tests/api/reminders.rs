//! Reminders before a visit (issue 22): due at the right wall-clock time
//! across a DST change, out of quiet hours, skipped when booked inside an
//! offset, recomputed by a reschedule, removed by a cancellation, sent
//! once across a restart and with two nodes, and the client's confirmation
//! from the reminder's link shown to the business.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_app::Clock;

use crate::booking_pages::get_page;
use crate::helpers::{Backend, PASSWORD, TestApp, fields, link_token, owner_email, problem};
use crate::on_both_backends;
use crate::panel_pages::{page, submit};
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    a_reminder_a_day_before_keeps_the_wall_clock_across_the_dst_change,
    quiet_hours_move_a_reminder_and_a_booking_inside_an_offset_skips_it,
    a_reschedule_recomputes_reminders_and_a_cancellation_removes_them,
    a_booking_waiting_for_approval_gets_its_reminders_when_approved,
    a_client_confirms_from_the_reminder_and_the_business_sees_it,
    reminder_settings_are_validated_naming_the_field,
    the_panel_edits_reminder_settings,
);

/// A whole hour of a day in Warsaw, as an instant.
fn warsaw(day: chrono::NaiveDate, hour: u32) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    chrono_tz::Europe::Warsaw
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Moves a clock to an instant (RFC 3339).
fn set_now(clock: &Clock, at: &str) {
    let at: DateTime<Utc> = at.parse().unwrap();
    clock.advance(at - clock.now());
}

/// The reminders written to an address so far, after sending what is due.
async fn reminders_to(app: &TestApp, address: &str) -> Vec<String> {
    app.run_jobs().await;
    app.all_mail_to(address)
        .into_iter()
        .filter(|m| m.contains("przypominamy o wizycie"))
        .collect()
}

/// Books `start` (RFC 3339) for a client; returns the booking's id and
/// manage token.
async fn booked_at(app: &TestApp, s: &Salon, start: &str, email: &str) -> (String, String) {
    // A client of their own: another phone and name than the others.
    let n = email
        .bytes()
        .fold(7u64, |h, b| (h * 31 + u64::from(b)) % 100_000_000);
    let mut body = booking_body(s, start, email);
    body["client"]["phone"] = json!(format!("+48 6{n:08}"));
    body["client"]["name"] = json!(format!("Klientka {email}"));
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

/// A salon on the free plan: these tests live months ahead, past the
/// trial's end, when a trial account is read-only and sends no reminders.
async fn kept_salon(app: &TestApp, slug: &str, service: Value) -> Salon {
    let s = salon(app, slug, service).await;
    let resp = crate::booking_pages::post_form(
        &s.owner.client,
        &format!("{}/app/plan/free", app.url),
        &[("csrf_token", &s.owner.csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    s
}

async fn put_settings(s: &Salon, body: Value) -> reqwest::Response {
    s.owner
        .send(reqwest::Method::PUT, "/business/reminders", Some(body))
        .await
}

async fn a_reminder_a_day_before_keeps_the_wall_clock_across_the_dst_change(app: &TestApp) {
    let s = kept_salon(app, "przyp-dst", json!({})).await;
    // Sunday 28 March 2027, 10:00 CEST: the clocks went forward at 02:00.
    let (_, token) = booked_at(app, &s, "2027-03-28T10:00:00+02:00", "dst@example.com").await;
    assert!(reminders_to(app, "dst@example.com").await.is_empty());

    // 24 hours before by the wall clock is Saturday 10:00 CET (09:00Z),
    // 23 elapsed hours: not yet at 08:59Z (where elapsed hours would be).
    set_now(&app.clock, "2027-03-27T08:59:00Z");
    assert!(reminders_to(app, "dst@example.com").await.is_empty());
    set_now(&app.clock, "2027-03-27T09:00:30Z");
    let sent = reminders_to(app, "dst@example.com").await;
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    for part in [
        "Salon przyp-dst",
        "Strzyżenie",
        "Marta Fryzjerka",
        "niedziela, 28 marca 2027, 10:00",
        "120,00 zł",
        &format!("/b/przyp-dst/manage/{token}"),
    ] {
        assert!(mail.contains(part), "{part:?} missing in {mail}");
    }
    // Sent once, however often the worker runs.
    assert_eq!(reminders_to(app, "dst@example.com").await.len(), 1);

    // 2 hours before is 08:00 CEST (06:00Z), inside the sending hours.
    set_now(&app.clock, "2027-03-28T05:59:00Z");
    assert_eq!(reminders_to(app, "dst@example.com").await.len(), 1);
    set_now(&app.clock, "2027-03-28T06:00:30Z");
    assert_eq!(reminders_to(app, "dst@example.com").await.len(), 2);
    set_now(&app.clock, "2027-03-28T09:00:00Z");
    assert_eq!(reminders_to(app, "dst@example.com").await.len(), 2);
}

async fn quiet_hours_move_a_reminder_and_a_booking_inside_an_offset_skips_it(app: &TestApp) {
    let s = kept_salon(app, "przyp-cisza", json!({})).await;
    let resp = put_settings(
        &s,
        json!({
            "offsets": [{"hours_before": 24, "channel": "email"}, {"hours_before": 2, "channel": "both"}],
            "send_from": "10:00", "send_until": "20:00", "address": "ul. Długa 5, Gdańsk",
        }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Monday 10 May 2027, 09:00 CEST: 24 h before (Sunday 09:00) and 2 h
    // before (07:00) both fall in quiet hours and go at 19:59 the evening
    // before each.
    booked_at(app, &s, "2027-05-10T09:00:00+02:00", "cisza@example.com").await;

    // Booked at 19:00 the evening before a visit at 15:00 (within the
    // trial, three days from now): the 24 h reminder is already past and
    // skipped; the 2 h one goes at 13:00.
    let day = day_ahead(3);
    let visit = warsaw(day, 15);
    set_now(
        &app.clock,
        &(warsaw(day, 19) - Duration::days(1)).to_rfc3339(),
    );
    booked_at(app, &s, &visit.to_rfc3339(), "wcisniety@example.com").await;
    let at_13 = warsaw(day, 13);
    set_now(&app.clock, &(at_13 - Duration::minutes(1)).to_rfc3339());
    assert!(reminders_to(app, "wcisniety@example.com").await.is_empty());
    set_now(&app.clock, &(at_13 + Duration::seconds(30)).to_rfc3339());
    assert_eq!(reminders_to(app, "wcisniety@example.com").await.len(), 1);
    set_now(&app.clock, &(visit - Duration::minutes(1)).to_rfc3339());
    assert_eq!(reminders_to(app, "wcisniety@example.com").await.len(), 1);

    set_now(&app.clock, "2027-05-08T17:58:00Z");
    assert!(reminders_to(app, "cisza@example.com").await.is_empty());
    set_now(&app.clock, "2027-05-08T17:59:30Z");
    let sent = reminders_to(app, "cisza@example.com").await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains("ul. Długa 5, Gdańsk"), "{}", sent[0]);

    // The first booking's 2 h reminder: Sunday 19:59.
    set_now(&app.clock, "2027-05-09T17:58:00Z");
    assert_eq!(reminders_to(app, "cisza@example.com").await.len(), 1);
    set_now(&app.clock, "2027-05-09T17:59:30Z");
    assert_eq!(reminders_to(app, "cisza@example.com").await.len(), 2);
}

async fn a_reschedule_recomputes_reminders_and_a_cancellation_removes_them(app: &TestApp) {
    let s = kept_salon(app, "przyp-zmiany", json!({})).await;
    let (_, token) = booked_at(app, &s, "2027-06-14T12:00:00+02:00", "moved@example.com").await;
    let (cancelled, _) = booked_at(
        app,
        &s,
        "2027-06-14T14:00:00+02:00",
        "cancelled@example.com",
    )
    .await;
    // The client moves the first to Tuesday; the business cancels the second.
    let resp = app
        .client()
        .post(app.api(&format!("/public/{}/bookings/{token}/reschedule", s.slug)))
        .json(&json!({"start": "2027-06-15T12:00:00+02:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = s
        .owner
        .post(&format!("/bookings/{cancelled}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Where the old reminders were due: nothing.
    set_now(&app.clock, "2027-06-13T12:30:00Z");
    assert!(reminders_to(app, "moved@example.com").await.is_empty());
    assert!(reminders_to(app, "cancelled@example.com").await.is_empty());
    set_now(&app.clock, "2027-06-14T12:30:00Z");
    let sent = reminders_to(app, "moved@example.com").await;
    assert_eq!(sent.len(), 1, "the day before the new time");
    assert!(sent[0].contains("15 czerwca 2027, 12:00"), "{}", sent[0]);
    set_now(&app.clock, "2027-06-15T08:30:00Z");
    assert_eq!(reminders_to(app, "moved@example.com").await.len(), 2);
    assert!(reminders_to(app, "cancelled@example.com").await.is_empty());
}

async fn a_booking_waiting_for_approval_gets_its_reminders_when_approved(app: &TestApp) {
    let s = kept_salon(app, "przyp-zgoda", json!({"requires_approval": true})).await;
    let (approved, _) = booked_at(app, &s, "2027-09-13T12:00:00+02:00", "zgoda@example.com").await;
    booked_at(app, &s, "2027-09-13T14:00:00+02:00", "czeka@example.com").await;
    let resp = s
        .owner
        .post(&format!("/bookings/{approved}/approve"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    set_now(&app.clock, "2027-09-12T12:30:00Z");
    assert_eq!(reminders_to(app, "zgoda@example.com").await.len(), 1);
    assert!(
        reminders_to(app, "czeka@example.com").await.is_empty(),
        "still waiting: no reminder"
    );
}

async fn a_client_confirms_from_the_reminder_and_the_business_sees_it(app: &TestApp) {
    let s = kept_salon(app, "przyp-potw", json!({})).await;
    let date = day_ahead(3);
    let free = slots(app, &s, date, "Europe/Warsaw").await;
    let start = free[3]["start"].as_str().unwrap().to_string();
    let other = free[5]["start"].as_str().unwrap().to_string();
    let (id, _) = booked_at(app, &s, &start, "potw@example.com").await;
    let (other_id, other_token) = booked_at(app, &s, &other, "inny@example.com").await;

    let start_at: DateTime<Utc> = start.parse().unwrap();
    set_now(
        &app.clock,
        &(start_at - Duration::hours(24) + Duration::seconds(30)).to_rfc3339(),
    );
    let sent = reminders_to(app, "potw@example.com").await;
    assert_eq!(sent.len(), 1);
    let token = link_token(&sent[0], &format!("/b/{}/manage/", s.slug));
    let resp = app
        .client()
        .post(app.api(&format!("/public/{}/bookings/{token}/confirm", s.slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let managed: Value = resp.json().await.unwrap();
    assert_eq!(managed["booking"]["confirmed_by_client"], true);
    // The manage page says so, and offers the other client the button.
    let manage = |t: &str| format!("{}/b/{}/manage/{t}?lang=en", app.url, s.slug);
    let (_, html) = get_page(&app.client(), &manage(&token)).await;
    assert!(html.contains("You confirmed the visit"), "{html}");
    assert!(!html.contains("/confirm\""));
    let (_, html) = get_page(&app.client(), &manage(&other_token)).await;
    assert!(html.contains(&format!("/b/{}/manage/{other_token}/confirm", s.slug)));
    assert!(!html.contains("You confirmed the visit"));

    // The business sees it, and can list the ones not confirmed.
    let owner = app.login(&owner_email(&s.slug), PASSWORD).await;
    let booking: Value = owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booking["confirmed_by_client"], true);
    assert!(booking["confirmed_by_client_at"].is_string());
    let list: Value = owner
        .get("/bookings?unconfirmed=true")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![other_id.as_str()]);
    let (status, html) = page(app, &owner, &format!("/app/bookings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Confirmed by client"), "{html}");
    let (_, html) = page(app, &owner, &format!("/app/bookings/{other_id}")).await;
    assert!(!html.contains("Confirmed by client"));

    // A cancelled booking cannot be confirmed.
    let resp = owner
        .post(&format!("/bookings/{other_id}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client()
        .post(app.api(&format!(
            "/public/{}/bookings/{other_token}/confirm",
            s.slug
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
}

async fn reminder_settings_are_validated_naming_the_field(app: &TestApp) {
    let s = kept_salon(app, "przyp-ustaw", json!({})).await;
    let defaults: Value = s
        .owner
        .get("/business/reminders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        defaults,
        json!({
            "offsets": [{"hours_before": 24, "channel": "email"}, {"hours_before": 2, "channel": "email"}],
            "send_from": "08:00", "send_until": "21:00", "address": "",
        })
    );
    let four = json!({
        "offsets": [
            {"hours_before": 48, "channel": "email"}, {"hours_before": 24, "channel": "email"},
            {"hours_before": 2, "channel": "email"}, {"hours_before": 1, "channel": "email"},
        ],
        "send_from": "08:00", "send_until": "21:00",
    });
    for (body, field) in [
        (four, "offsets"),
        (
            json!({"offsets": [{"hours_before": 24, "channel": "fax"}], "send_from": "08:00", "send_until": "21:00"}),
            "offsets[0].channel",
        ),
        (
            json!({"offsets": [{"hours_before": -1, "channel": "sms"}], "send_from": "08:00", "send_until": "21:00"}),
            "offsets[0].hours_before",
        ),
        (
            json!({"offsets": [], "send_from": "21:00", "send_until": "08:00"}),
            "send_until",
        ),
        (
            json!({"offsets": [], "send_from": "8 rano", "send_until": "21:00"}),
            "send_from",
        ),
    ] {
        let resp = put_settings(&s, body).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&problem(resp).await), vec![field.to_string()]);
    }
    // 0 disables; the rest is stored and shown, largest first.
    let resp = put_settings(
        &s,
        json!({
            "offsets": [{"hours_before": 3, "channel": "sms"}, {"hours_before": 0, "channel": "email"}, {"hours_before": 48, "channel": "both"}],
            "send_from": "09:30", "send_until": "19:00",
        }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let saved: Value = s
        .owner
        .get("/business/reminders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        saved["offsets"],
        json!([{"hours_before": 48, "channel": "both"}, {"hours_before": 3, "channel": "sms"}])
    );
    assert_eq!(saved["send_from"], "09:30");
}

async fn the_panel_edits_reminder_settings(app: &TestApp) {
    let s = kept_salon(app, "przyp-panel", json!({})).await;
    let (status, html) = page(app, &s.owner, "/app/settings/reminders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Reminder 1: hours before"), "{html}");
    assert!(html.contains("value=\"24\""), "the default shown");
    let form = |from: &'static str, until: &'static str| {
        vec![
            ("hours_1", "48"),
            ("channel_1", "both"),
            ("hours_2", "0"),
            ("channel_2", "email"),
            ("hours_3", "3"),
            ("channel_3", "sms"),
            ("send_from", from),
            ("send_until", until),
            ("address", "ul. Polna 1"),
        ]
    };
    // Quiet hours that end before they start: the page again, the field named.
    let resp = submit(
        app,
        &s.owner,
        "/app/settings/reminders",
        &form("20:00", "09:00"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("The end of the sending hours must be after their start."),
        "{html}"
    );
    // A duplicate reminder is named beside its own field.
    let mut dup = form("09:00", "20:00");
    dup[4].1 = "48";
    let resp = submit(app, &s.owner, "/app/settings/reminders", &dup).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Each reminder needs its own time."), "{html}");
    let resp = submit(
        app,
        &s.owner,
        "/app/settings/reminders",
        &form("09:00", "20:00"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let saved: Value = s
        .owner
        .get("/business/reminders")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        saved,
        json!({
            "offsets": [{"hours_before": 48, "channel": "both"}, {"hours_before": 3, "channel": "sms"}],
            "send_from": "09:00", "send_until": "20:00", "address": "ul. Polna 1",
        })
    );
}

/// A restart in between and two nodes running the same due job at once:
/// one reminder. (Its own runner: a restart needs the test app mutably.)
async fn each_reminder_is_sent_once_across_a_restart_and_two_nodes(mut app: TestApp) {
    let s = kept_salon(&app, "przyp-raz", json!({})).await;
    booked_at(&app, &s, "2027-07-12T12:00:00+02:00", "raz@example.com").await;
    app.restart(|_| {}).await.unwrap();
    let (node, node_clock) = app.another_node().await;
    set_now(&app.clock, "2027-07-11T10:00:30Z");
    set_now(&node_clock, "2027-07-11T10:00:30Z");
    let (a, b) = tokio::join!(app.run_jobs(), node.app.run_pending_jobs());
    assert_eq!(a.jobs.done + b.jobs.done, 1, "one node ran it: {a:?} {b:?}");
    let (_, _) = tokio::join!(app.run_jobs(), node.app.run_pending_jobs());
    assert_eq!(reminders_to(&app, "raz@example.com").await.len(), 1);
    node.stop().await.unwrap();
    app.finish().await;
}

mod each_reminder_is_sent_once_across_a_restart_and_two_nodes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        super::each_reminder_is_sent_once_across_a_restart_and_two_nodes(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = TestApp::spawn(Backend::Postgres).await {
            super::each_reminder_is_sent_once_across_a_restart_and_two_nodes(app).await;
        }
    }
}
