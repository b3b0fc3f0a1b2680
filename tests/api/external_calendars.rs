//! A staff member's own calendar as busy time (issue 22, "Calendar feeds"):
//! connected by its secret address, fetched by the worker step from a
//! local calendar server (conditionally, with ETag), its busy events block
//! availability and bookings, three failures in a row tell the owner once.

use std::sync::{Arc, Mutex};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Response, Route, get, handler};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, owner_email, problem};
use crate::on_both_backends;
use crate::scheduling::{book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    a_staff_calendar_blocks_its_busy_time,
    a_failing_staff_calendar_tells_the_owner_once
);

/// A calendar server like Google's secret iCal address: an ETag, 304 for
/// an unchanged file, or 500 while broken.
#[derive(Clone, Default)]
pub(crate) struct CalendarServer {
    pub(crate) ics: Arc<Mutex<String>>,
    broken: Arc<Mutex<bool>>,
    /// The If-None-Match of each request.
    pub(crate) seen: Arc<Mutex<Vec<Option<String>>>>,
}

#[handler]
async fn calendar_file(req: &Request, Data(s): Data<&CalendarServer>) -> Response {
    let tag = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    s.seen.lock().unwrap().push(tag.clone());
    if *s.broken.lock().unwrap() {
        return Response::builder()
            .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
            .finish();
    }
    let body = s.ics.lock().unwrap().clone();
    let etag = format!("\"{}\"", body.len());
    if tag.as_deref() == Some(etag.as_str()) {
        return Response::builder()
            .status(poem::http::StatusCode::NOT_MODIFIED)
            .finish();
    }
    Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .header("etag", etag)
        .body(body)
}

impl CalendarServer {
    pub(crate) async fn start() -> (CalendarServer, String) {
        let server = CalendarServer::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let routes = Route::new()
            .at("/calendar/ical/secret-abc123/basic.ics", get(calendar_file))
            .data(server.clone());
        tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(routes).await });
        (
            server,
            format!("http://{addr}/calendar/ical/secret-abc123/basic.ics"),
        )
    }
}

/// A calendar with one busy hour and one free hour on `day` (Warsaw time).
pub(crate) fn calendar_with(day: chrono::NaiveDate) -> String {
    let d = day.format("%Y%m%d");
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VEVENT\r\nUID:dentist@google.com\r\nDTSTART;TZID=Europe/Warsaw:{d}T100000\r\n\
DTEND;TZID=Europe/Warsaw:{d}T110000\r\nSUMMARY:Dentysta\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:reminder@google.com\r\nDTSTART;TZID=Europe/Warsaw:{d}T140000\r\n\
DTEND;TZID=Europe/Warsaw:{d}T150000\r\nTRANSP:TRANSPARENT\r\nSUMMARY:Zadzwonić\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n"
    )
}

fn hours(free: &[Value]) -> Vec<String> {
    free.iter()
        .map(|s| s["start"].as_str().unwrap()[11..16].to_string())
        .collect()
}

async fn a_staff_calendar_blocks_its_busy_time(app: &TestApp) {
    let s = salon(app, "wlasny-kalendarz", json!({})).await;
    let day = day_ahead(6);
    let (server, url) = CalendarServer::start().await;
    *server.ics.lock().unwrap() = calendar_with(day);
    let path = format!("/staff/{}/external-calendars", s.staff);

    // Not a calendar address: the field is named.
    let resp = s
        .owner
        .post(&path, json!({"url": "ftp://example.com/x.ics"}))
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["url"]);

    let resp = s.owner.post(&path, json!({ "url": url })).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["host"], "127.0.0.1");
    assert!(
        created.get("url").is_none(),
        "the secret address is not shown"
    );
    assert!(created.get("last_success_at").is_none());

    // Before the worker has read it, 10:00 is free.
    assert!(hours(&slots(app, &s, day, "Europe/Warsaw").await).contains(&"10:00".to_string()));
    app.run_jobs().await;
    let free = hours(&slots(app, &s, day, "Europe/Warsaw").await);
    assert!(!free.contains(&"10:00".to_string()), "{free:?}");
    // The free ("transparent") event blocks nothing.
    assert!(free.contains(&"09:00".to_string()) && free.contains(&"14:00".to_string()));
    // Nor can it be booked directly.
    let start = format!("{day}T10:00:00+01:00");
    let resp = book(app, &s, &booking_body(&s, &start, "klientka@example.com")).await;
    assert_eq!(
        resp.status(),
        StatusCode::CONFLICT,
        "{}",
        resp.text().await.unwrap()
    );

    let list: Value = s.owner.get(&path).await.json().await.unwrap();
    assert!(list[0]["last_success_at"].is_string(), "{list}");
    assert_eq!(list[0]["failures"], 0);

    // A quarter of an hour later it is asked again, with its ETag: 304,
    // and the busy time stays.
    app.clock.advance(chrono::Duration::minutes(16));
    app.run_jobs().await;
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], None);
    assert!(
        seen[1].as_deref().is_some_and(|t| t.starts_with('"')),
        "{seen:?}"
    );
    assert!(!hours(&slots(app, &s, day, "Europe/Warsaw").await).contains(&"10:00".to_string()));

    // Another business cannot see or remove it.
    let other = app.signup("obca-firma").await;
    assert_eq!(other.get(&path).await.status(), StatusCode::NOT_FOUND);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        other
            .delete(&format!("/external-calendars/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // Disconnected: the time is free again.
    let resp = s.owner.delete(&format!("/external-calendars/{id}")).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(hours(&slots(app, &s, day, "Europe/Warsaw").await).contains(&"10:00".to_string()));
}

async fn a_failing_staff_calendar_tells_the_owner_once(app: &TestApp) {
    let slug = "zepsuty-kalendarz";
    let s = salon(app, slug, json!({})).await;
    let (server, url) = CalendarServer::start().await;
    *server.ics.lock().unwrap() = calendar_with(day_ahead(3));
    *server.broken.lock().unwrap() = true;
    let path = format!("/staff/{}/external-calendars", s.staff);
    let resp = s.owner.post(&path, json!({ "url": url })).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let owner = owner_email(slug);
    let before = app.mails_to(&owner);
    let told = |app: &TestApp| {
        app.all_mail_to(&owner)
            .iter()
            .filter(|m| m.contains("kalendarz") && m.contains("127.0.0.1"))
            .count()
    };
    for round in 1..=4 {
        app.run_jobs().await;
        let list: Value = s.owner.get(&path).await.json().await.unwrap();
        assert_eq!(list[0]["failures"], round, "{list}");
        assert_eq!(list[0]["last_error"], "error status");
        assert_eq!(told(app), usize::from(round >= 3), "after failure {round}");
        app.clock.advance(chrono::Duration::minutes(16));
    }
    assert!(app.mails_to(&owner) > before);
    // Mended: the next fetch works and the count starts again.
    *server.broken.lock().unwrap() = false;
    app.run_jobs().await;
    let list: Value = s.owner.get(&path).await.json().await.unwrap();
    assert_eq!(list[0]["failures"], 0, "{list}");
    assert!(list[0]["last_success_at"].is_string());
    assert_eq!(told(app), 1);
}
