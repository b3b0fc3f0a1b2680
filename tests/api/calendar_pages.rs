//! The panel's calendar sync page (issue 22): a feed made there shows its
//! https and webcal address once, gets a new address or is revoked, may
//! leave client details out; each staff member's own calendar is added
//! and removed there, with its last successful read and last failure.

use reqwest::StatusCode;
use serde_json::json;

use crate::booking_pages::{get_page, input_value};
use crate::external_calendars::{CalendarServer, calendar_with};
use crate::helpers::{TestApp, link_token};
use crate::on_both_backends;
use crate::panel_pages::{page, submit};
use crate::scheduling::{book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    calendar_feeds_and_staff_calendars_in_the_panel,
    a_staff_member_manages_only_their_own_calendars
);

/// The value of the read-only input with this id.
fn shown(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let tag = &html[at..at + html[at..].find('>')?];
    let v = tag.find("value=\"")? + 7;
    Some(crate::booking_pages::html_unescape(
        &tag[v..v + tag[v..].find('"')?],
    ))
}

/// The ids in the page's forms that post to `/app/calendar-feeds/{id}/{what}`.
fn feed_ids(html: &str, what: &str) -> Vec<String> {
    html.match_indices("action=\"/app/calendar-feeds/")
        .filter_map(|(at, m)| {
            let rest = &html[at + m.len()..];
            let (id, tail) = rest.split_once('/')?;
            tail.starts_with(&format!("{what}\""))
                .then(|| id.to_string())
        })
        .collect()
}

async fn fetch(app: &TestApp, address: &str) -> StatusCode {
    let path = &address[address.find("/calendar/").unwrap()..];
    app.client()
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap()
        .status()
}

async fn calendar_feeds_and_staff_calendars_in_the_panel(app: &TestApp) {
    let s = salon(app, "synchro-panel", json!({})).await;
    let day = day_ahead(5);
    let free = slots(app, &s, day, "Europe/Warsaw").await;
    let resp = book(
        app,
        &s,
        &booking_body(
            &s,
            free[0]["start"].as_str().unwrap(),
            "karolina@example.com",
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // Reached from the panel's menu and from the staff member's page.
    let (status, html) = page(app, &s.owner, "/app").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/app/calendar-feeds\""), "{html}");
    let (_, html) = page(app, &s.owner, &format!("/app/staff/{}", s.staff)).await;
    assert!(
        html.contains(&format!("href=\"/app/calendar-feeds#staff-{}\"", s.staff)),
        "{html}"
    );
    let (status, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No calendar feeds yet."), "{html}");
    let (_, pl) = get_page(
        &s.owner.client,
        &format!("{}/app/calendar-feeds?lang=pl", app.url),
    )
    .await;
    assert!(pl.contains("Synchronizacja kalendarzy"), "{pl}");
    assert!(pl.contains("Prywatne kalendarze pracowników"), "{pl}");

    // A bad choice is named beside its field.
    let resp = submit(
        app,
        &s.owner,
        "/app/calendar-feeds",
        &[("staff_id", ""), ("client_details", "everything")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"client_details-error\""), "{html}");

    // The whole business without client details: the address once.
    let resp = submit(
        app,
        &s.owner,
        "/app/calendar-feeds",
        &[("staff_id", ""), ("client_details", "none")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    let https = shown(&html, "feed-https").expect("the https address");
    let webcal = shown(&html, "feed-webcal").expect("the webcal address");
    assert!(
        https.starts_with("http") && https.ends_with(".ics"),
        "{https}"
    );
    assert!(webcal.starts_with("webcal://"), "{webcal}");
    assert_eq!(
        webcal.split_once("://").unwrap().1,
        https.split_once("://").unwrap().1
    );
    let path = &https[https.find("/calendar/").unwrap()..];
    let ics = app
        .client()
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ics.contains("BEGIN:VEVENT") && !ics.contains("Karolina"),
        "{ics}"
    );
    // Not shown again.
    let (_, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert!(!html.contains(path), "the address is shown once");
    assert!(html.contains("The whole business") && html.contains("No client details"));

    // A new address: the old one stops working.
    let ids = feed_ids(&html, "regenerate");
    assert_eq!(ids.len(), 1, "{html}");
    let resp = submit(
        app,
        &s.owner,
        &format!("/app/calendar-feeds/{}/regenerate", ids[0]),
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    let renewed = shown(&html, "feed-https").expect("the new address");
    assert_ne!(renewed, https);
    assert_eq!(fetch(app, &https).await, StatusCode::NOT_FOUND);
    assert_eq!(fetch(app, &renewed).await, StatusCode::OK);

    // Another business cannot touch it.
    let other = app.signup("synchro-obca").await;
    let ids = feed_ids(&html, "revoke");
    let resp = submit(
        app,
        &other,
        &format!("/app/calendar-feeds/{}/revoke", ids[0]),
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(fetch(app, &renewed).await, StatusCode::OK);
    // Revoked by its owner: gone.
    let resp = submit(
        app,
        &s.owner,
        &format!("/app/calendar-feeds/{}/revoke", ids[0]),
        &[],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(fetch(app, &renewed).await, StatusCode::NOT_FOUND);
    let (_, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert!(html.contains("No calendar feeds yet."), "{html}");

    // The staff member's own calendar: a bad address keeps what was typed.
    let connect = format!("/app/calendar-feeds/staff/{}", s.staff);
    let resp = submit(
        app,
        &s.owner,
        &connect,
        &[("url", "ftp://example.com/x.ics")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert_eq!(
        input_value(&html, "url").as_deref(),
        Some("ftp://example.com/x.ics")
    );
    let (server, url) = CalendarServer::start().await;
    *server.ics.lock().unwrap() = calendar_with(day);
    let resp = submit(app, &s.owner, &connect, &[("url", &url)]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // A second one that cannot be reached.
    let resp = submit(
        app,
        &s.owner,
        &connect,
        &[("url", "http://127.0.0.1:9/zamkniety.ics")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert_eq!(html.matches("last read: never").count(), 2, "{html}");
    app.run_jobs().await;
    let (_, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert_eq!(html.matches("last read: never").count(), 1, "{html}");
    assert!(html.contains("Failed reads in a row: 1"), "{html}");
    assert!(
        !html.contains("secret-abc123"),
        "the secret address is not shown"
    );
    assert!(html.contains(&format!("id=\"staff-{}\"", s.staff)));

    // Removed: its busy time goes with it.
    let removes: Vec<String> = html
        .match_indices("action=\"/app/calendar-feeds/external/")
        .map(|(at, m)| html[at + m.len()..].split('/').next().unwrap().to_string())
        .collect();
    assert_eq!(removes.len(), 2);
    for id in &removes {
        let resp = submit(
            app,
            &s.owner,
            &format!("/app/calendar-feeds/external/{id}/remove"),
            &[],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = page(app, &s.owner, "/app/calendar-feeds").await;
    assert!(html.contains("No calendar connected."), "{html}");
}

/// A staff member sees and changes their own calendars only, and cannot
/// make a feed of the whole business.
async fn a_staff_member_manages_only_their_own_calendars(app: &TestApp) {
    let s = salon(app, "synchro-rola", json!({})).await;
    s.owner
        .post(
            "/invitations",
            json!({"email": "piotr@example.com", "role": "staff"}),
        )
        .await;
    let token = link_token(&app.mail_to("piotr@example.com").await, "/invite/");
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "name": "Piotr Pracownik", "password": "Piotr-Ma-Psa-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let piotr = app.login("piotr@example.com", "Piotr-Ma-Psa-2026").await;
    let me: serde_json::Value = piotr.get("/me").await.json().await.unwrap();
    let resp = s
        .owner
        .post(
            "/staff",
            json!({"name": "Piotr Pracownik", "user_id": me["user"]["id"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let own: serde_json::Value = resp.json().await.unwrap();
    let own = own["id"].as_str().unwrap().to_string();

    let (status, html) = page(app, &piotr, "/app/calendar-feeds").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"staff-{own}\"")), "{html}");
    assert!(
        !html.contains(&format!("id=\"staff-{}\"", s.staff)),
        "{html}"
    );
    assert!(!html.contains("The whole business"), "{html}");
    // Not the business's feed, nor another staff member's calendar.
    let resp = submit(
        app,
        &piotr,
        "/app/calendar-feeds",
        &[("staff_id", ""), ("client_details", "none")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (_, url) = CalendarServer::start().await;
    let resp = submit(
        app,
        &piotr,
        &format!("/app/calendar-feeds/staff/{}", s.staff),
        &[("url", &url)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Their own: a feed and their calendar.
    let resp = submit(
        app,
        &piotr,
        "/app/calendar-feeds",
        &[("staff_id", &own), ("client_details", "first_name")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    assert!(shown(&html, "feed-webcal").is_some(), "{html}");
    let resp = submit(
        app,
        &piotr,
        &format!("/app/calendar-feeds/staff/{own}"),
        &[("url", &url)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(app, &piotr, "/app/calendar-feeds").await;
    assert!(
        html.contains("127.0.0.1") && html.contains("last read: never"),
        "{html}"
    );
}
