//! The daily agenda by e-mail (issue 22): at the hour each member chose,
//! in the business's zone (across a DST change), that day's visits — an
//! owner the whole business's, a staff member their own — nothing on a
//! day without visits, once per day across repeated runs, a restart and
//! two nodes; the hour validated naming the field, the form keeping it.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_app::Clock;

use crate::booking_changes::{booked, marta_logs_in, ola_joins};
use crate::helpers::{Backend, PASSWORD, Session, TestApp, fields, owner_email, problem};
use crate::on_both_backends;
use crate::panel_pages::{page, submit};
use crate::scheduling::{day_ahead, salon, slots};

on_both_backends!(
    the_agenda_comes_at_the_chosen_hour_across_the_dst_change,
    a_staff_member_gets_their_own_day_and_the_owner_the_whole_business,
    the_agenda_hour_is_validated_naming_the_field,
);

const ALL: [&str; 6] = [
    "new_booking",
    "awaiting_approval",
    "rescheduled",
    "cancelled",
    "deposit_paid",
    "deposit_refunded",
];

/// A whole hour of a day in Warsaw, as an instant.
fn warsaw(day: chrono::NaiveDate, hour: u32) -> DateTime<Utc> {
    use chrono::TimeZone as _;
    chrono_tz::Europe::Warsaw
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn set_now(clock: &Clock, at: DateTime<Utc>) {
    clock.advance(at - clock.now());
}

/// The agendas written to an address so far, after sending what is due.
async fn agendas_to(app: &TestApp, address: &str) -> Vec<String> {
    app.run_jobs().await;
    app.all_mail_to(address)
        .into_iter()
        .filter(|m| m.contains("Twoje wizyty:"))
        .collect()
}

async fn set_agenda(who: &Session, hour: Value) -> reqwest::Response {
    who.send(
        reqwest::Method::PUT,
        "/me/notices",
        Some(json!({"enabled": ALL, "agenda_hour": hour})),
    )
    .await
}

async fn the_agenda_comes_at_the_chosen_hour_across_the_dst_change(app: &TestApp) {
    let s = salon(app, "plan-dst", json!({})).await;
    let owner = owner_email("plan-dst");
    // Saturday 27 March 2027 (CET); Sunday 28 (CEST: the clocks went
    // forward at 02:00); nothing on Monday; Tuesday 30.
    let (saturday, _) = booked(
        app,
        &s,
        "2027-03-27T10:00:00+01:00",
        "sob@example.com",
        None,
    )
    .await;
    booked(app, &s, "2027-03-28T12:00:00+02:00", "nd@example.com", None).await;
    let (gone, _) = booked(
        app,
        &s,
        "2027-03-28T14:00:00+02:00",
        "nd2@example.com",
        None,
    )
    .await;
    let resp = s
        .owner
        .post(&format!("/bookings/{gone}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    booked(app, &s, "2027-03-30T09:00:00+02:00", "wt@example.com", None).await;

    // Off until chosen.
    let mine: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(mine["agenda_hour"], Value::Null);
    let resp = set_agenda(&s.owner, json!(7)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let mine: Value = resp.json().await.unwrap();
    assert_eq!(mine["agenda_hour"], 7);
    assert!(agendas_to(app, &owner).await.is_empty());

    // Months later (the days between had no visits: nothing was sent).
    set_now(&app.clock, "2027-03-26T12:00:00Z".parse().unwrap());
    assert!(agendas_to(app, &owner).await.is_empty());
    // 07:00 CET is 06:00Z.
    set_now(&app.clock, "2027-03-27T05:59:00Z".parse().unwrap());
    assert!(agendas_to(app, &owner).await.is_empty());
    set_now(&app.clock, "2027-03-27T06:00:30Z".parse().unwrap());
    let sent = agendas_to(app, &owner).await;
    assert_eq!(sent.len(), 1);
    for part in [
        "sobota, 27 marca 2027",
        "Liczba wizyt: 1",
        "10:00–11:00 · Strzyżenie · Marta Fryzjerka",
        &format!("/app/bookings/{saturday}"),
        "/app/calendar?view=day&date=2027-03-27",
    ] {
        assert!(sent[0].contains(part), "{part:?} missing in {}", sent[0]);
    }
    // No client details: the panel shows them.
    assert!(!sent[0].contains("sob@example.com") && !sent[0].contains("Klientka"));
    // Sent once, however often the worker runs.
    assert_eq!(agendas_to(app, &owner).await.len(), 1);

    // 07:00 CEST is 05:00Z; the cancelled visit is not in it.
    set_now(&app.clock, "2027-03-28T04:59:00Z".parse().unwrap());
    assert_eq!(agendas_to(app, &owner).await.len(), 1);
    set_now(&app.clock, "2027-03-28T05:00:30Z".parse().unwrap());
    let sent = agendas_to(app, &owner).await;
    assert_eq!(sent.len(), 2);
    assert!(sent[1].contains("niedziela, 28 marca 2027"), "{}", sent[1]);
    assert!(sent[1].contains("12:00–13:00"), "{}", sent[1]);
    assert!(!sent[1].contains("14:00–15:00"), "{}", sent[1]);
    assert!(sent[1].contains("Liczba wizyt: 1"), "{}", sent[1]);

    // Monday has no visits: nothing. Tuesday's comes.
    set_now(&app.clock, "2027-03-29T05:00:30Z".parse().unwrap());
    assert_eq!(agendas_to(app, &owner).await.len(), 2);
    set_now(&app.clock, "2027-03-30T05:00:30Z".parse().unwrap());
    let sent = agendas_to(app, &owner).await;
    assert_eq!(sent.len(), 3);
    assert!(sent[2].contains("wtorek, 30 marca 2027"), "{}", sent[2]);
}

async fn a_staff_member_gets_their_own_day_and_the_owner_the_whole_business(app: &TestApp) {
    let s = salon(app, "plan-moje", json!({})).await;
    let marta_email = "marta@plan-moje.example.com";
    let marta = marta_logs_in(app, &s, marta_email).await;
    let ola = ola_joins(&s).await;
    let day = day_ahead(3);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let start = free[0]["start"].as_str().unwrap().to_string();
    booked(app, &s, &start, "m@example.com", Some(&s.staff)).await;
    booked(app, &s, &start, "o@example.com", Some(&ola)).await;
    let next = day + Duration::days(1);
    let later = slots(app, &s, next, "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    booked(app, &s, &later, "m2@example.com", Some(&s.staff)).await;
    assert_eq!(
        set_agenda(&s.owner, json!(8)).await.status(),
        StatusCode::OK
    );
    assert_eq!(set_agenda(&marta, json!(8)).await.status(), StatusCode::OK);

    set_now(&app.clock, warsaw(day, 8) - Duration::seconds(30));
    let owner = owner_email("plan-moje");
    assert!(agendas_to(app, &owner).await.is_empty());
    set_now(&app.clock, warsaw(day, 8) + Duration::seconds(30));
    let owners = agendas_to(app, &owner).await;
    assert_eq!(owners.len(), 1);
    assert!(owners[0].contains("Liczba wizyt: 2"), "{}", owners[0]);
    assert!(owners[0].contains("Marta Fryzjerka") && owners[0].contains("Ola Stylistka"));
    let martas = agendas_to(app, marta_email).await;
    assert_eq!(martas.len(), 1);
    assert!(martas[0].contains("Liczba wizyt: 1"), "{}", martas[0]);
    assert!(martas[0].contains("Marta Fryzjerka"), "{}", martas[0]);
    assert!(!martas[0].contains("Ola Stylistka"), "{}", martas[0]);

    // The owner turns theirs off: the next day only Marta hears.
    let again = app.login(&owner, PASSWORD).await;
    assert_eq!(
        set_agenda(&again, Value::Null).await.status(),
        StatusCode::OK
    );
    set_now(&app.clock, warsaw(next, 8) + Duration::seconds(30));
    assert_eq!(agendas_to(app, &owner).await.len(), 1);
    assert_eq!(agendas_to(app, marta_email).await.len(), 2);
}

async fn the_agenda_hour_is_validated_naming_the_field(app: &TestApp) {
    let s = salon(app, "plan-zle", json!({})).await;
    for bad in [json!(24), json!(-1), json!(1000)] {
        let resp = set_agenda(&s.owner, bad.clone()).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(fields(&problem(resp).await), ["agenda_hour"], "{bad}");
    }
    let mine: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(mine["agenda_hour"], Value::Null, "nothing saved");

    // The panel: beside the notices, the field named, what was typed kept.
    let (status, html) = page(app, &s.owner, "/app/notices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"agenda_hour\""), "{html}");
    for typed in ["25", "siódma"] {
        let resp = submit(
            app,
            &s.owner,
            "/app/notices",
            &[("cancelled", "on"), ("agenda_hour", typed)],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("Give a whole hour from 0 to 23, or leave it empty."),
            "{html}"
        );
        assert!(html.contains(&format!("value=\"{typed}\"")), "{html}");
        assert!(html.contains("aria-invalid=\"true\""), "{html}");
    }
    let resp = submit(
        app,
        &s.owner,
        "/app/notices",
        &[("cancelled", "on"), ("agenda_hour", "6")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mine: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(mine, json!({"enabled": ["cancelled"], "agenda_hour": 6}));
    let (_, html) = page(app, &s.owner, "/app/notices").await;
    assert!(html.contains("value=\"6\""), "{html}");
    let resp = submit(app, &s.owner, "/app/notices", &[("agenda_hour", "")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mine: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(mine["agenda_hour"], Value::Null);
}

/// A restart in between and two nodes running the same due job at once:
/// one agenda. (Its own runner: a restart needs the test app mutably.)
async fn each_agenda_is_sent_once_across_a_restart_and_two_nodes(mut app: TestApp) {
    let s = salon(&app, "plan-raz", json!({})).await;
    let day = day_ahead(2);
    let free = slots(&app, &s, day, "Europe/Warsaw").await;
    let start = free[0]["start"].as_str().unwrap().to_string();
    booked(&app, &s, &start, "raz@example.com", None).await;
    assert_eq!(
        set_agenda(&s.owner, json!(9)).await.status(),
        StatusCode::OK
    );
    app.restart(|_| {}).await.unwrap();
    let (node, node_clock) = app.another_node().await;
    let at = warsaw(day, 9) + Duration::seconds(30);
    set_now(&app.clock, at);
    set_now(&node_clock, at);
    let (_, _) = tokio::join!(app.run_jobs(), node.app.run_pending_jobs());
    let (_, _) = tokio::join!(app.run_jobs(), node.app.run_pending_jobs());
    let owner = owner_email("plan-raz");
    assert_eq!(agendas_to(&app, &owner).await.len(), 1);
    node.stop().await.unwrap();
    app.finish().await;
}

mod each_agenda_is_sent_once_across_a_restart_and_two_nodes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        super::each_agenda_is_sent_once_across_a_restart_and_two_nodes(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if let Some(app) = TestApp::spawn(Backend::Postgres).await {
            super::each_agenda_is_sent_once_across_a_restart_and_two_nodes(app).await;
        }
    }
}
