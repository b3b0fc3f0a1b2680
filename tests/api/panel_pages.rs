//! The business panel over plain HTTP: every form posts, checks its CSRF
//! token, keeps the input on errors, and another business's objects are
//! not found.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::booking_pages::{get_page, input_value, links, post_form};
use crate::helpers::{Session, TestApp, link_token};
use crate::on_both_backends;
use crate::scheduling::{day_ahead, salon, slots};

on_both_backends!(
    the_panel_needs_a_session_and_its_csrf_token,
    an_owner_sets_up_and_books_in_the_panel,
    another_business_is_not_found_in_the_panel,
    clients_in_the_panel,
    settings_team_closures_and_api_keys,
    staff_members_see_but_do_not_manage,
    approvals_and_outcomes
);

fn url(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.url)
}

pub async fn page(app: &TestApp, s: &Session, path: &str) -> (StatusCode, String) {
    get_page(
        &s.client,
        &url(
            app,
            &format!(
                "{path}{}lang=en",
                if path.contains('?') { "&" } else { "?" }
            ),
        ),
    )
    .await
}

/// Posts a panel form with the session's CSRF token.
pub async fn submit(
    app: &TestApp,
    s: &Session,
    path: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let mut all: Vec<(&str, &str)> = vec![("csrf_token", &s.csrf)];
    all.extend_from_slice(pairs);
    post_form(&s.client, &url(app, &format!("{path}?lang=en")), &all).await
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()["location"].to_str().unwrap().to_string()
}

async fn the_panel_needs_a_session_and_its_csrf_token(app: &TestApp) {
    let owner = app.signup("panel-csrf").await;
    for path in ["/app", "/app/calendar", "/app/clients", "/app/services/new"] {
        let resp = app.client().get(url(app, path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&resp), "/login", "{path}");
    }
    // A form without the session's token changes nothing.
    let resp = post_form(
        &owner.client,
        &url(app, "/app/staff"),
        &[("csrf_token", "forged"), ("name", "Intruz")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let staff: Value = owner.get("/staff").await.json().await.unwrap();
    assert_eq!(staff.as_array().unwrap().len(), 0);
    // Pages are never cached and never framed.
    let resp = owner.client.get(url(app, "/app")).send().await.unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert!(
        resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

async fn an_owner_sets_up_and_books_in_the_panel(app: &TestApp) {
    let owner = app.signup("panel-start").await;
    let (_, html) = page(app, &owner, "/app").await;
    assert!(html.contains("Get started"));
    // The widget snippet to paste, shown as text.
    assert!(
        html.contains("/embed.js&#34; data-business=&#34;panel-start&#34;"),
        "{html}"
    );

    // A staff member, then their hours: a mistake keeps what was typed.
    let resp = submit(app, &owner, "/app/staff", &[("name", "Iga Kosmetyczka")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let staff_page = location(&resp);
    let staff_id = staff_page
        .trim_start_matches("/app/staff/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let week = |monday: &'static str| {
        vec![
            ("monday", monday),
            ("tuesday", "09:00-17:00"),
            ("wednesday", "09:00-17:00"),
            ("thursday", "09:00-17:00"),
            ("friday", "09:00-13:00, 14:00-18:00"),
            ("saturday", "09:00-17:00"),
            ("sunday", "09:00-17:00"),
        ]
    };
    let hours_path = format!("/app/staff/{staff_id}/hours");
    let resp = submit(app, &owner, &hours_path, &week("17:00-09:00")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"monday-error\""), "{html}");
    assert_eq!(input_value(&html, "monday").unwrap(), "17:00-09:00");
    assert_eq!(
        input_value(&html, "friday").unwrap(),
        "09:00-13:00, 14:00-18:00"
    );
    let resp = submit(app, &owner, &hours_path, &week("09:00-17:00")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let hours: Value = owner
        .get(&format!("/staff/{staff_id}/working-hours"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        hours["friday"],
        json!([{"start": "09:00", "end": "13:00"}, {"start": "14:00", "end": "18:00"}])
    );

    // A day off, shown and removable.
    let off = day_ahead(20).to_string();
    let resp = submit(
        app,
        &owner,
        &format!("/app/staff/{staff_id}/days-off"),
        &[("date", &off), ("hours", "")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(app, &owner, &staff_page).await;
    assert!(html.contains("day off"));
    assert!(html.contains(&format!("/days-off/{off}/delete")));

    // A service with a price in Polish notation; a bad duration first.
    let service = |duration: &'static str| {
        vec![
            ("name", "Manicure"),
            ("description", ""),
            ("duration_min", duration),
            ("price", "99,50"),
            ("currency", "PLN"),
            ("buffer_before_min", "0"),
            ("buffer_after_min", "0"),
            ("min_notice_min", "0"),
            ("max_advance_days", "90"),
            ("step_min", "30"),
            ("capacity", "1"),
            ("active", "on"),
        ]
    };
    let mut bad = service("dużo");
    bad.push(("staff_ids", &staff_id));
    let resp = submit(app, &owner, "/app/services/new", &bad).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"duration_min-error\""));
    assert_eq!(input_value(&html, "duration_min").unwrap(), "dużo");
    assert_eq!(input_value(&html, "price").unwrap(), "99,50");
    let mut good = service("45");
    good.push(("staff_ids", &staff_id));
    let resp = submit(app, &owner, "/app/services/new", &good).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let services: Value = owner.get("/services").await.json().await.unwrap();
    let service_id = services[0]["id"].as_str().unwrap().to_string();
    assert_eq!(services[0]["price_minor"], 9950);
    assert_eq!(services[0]["staff_ids"], json!([staff_id]));

    // A booking made by the business for a new client.
    let day = day_ahead(3);
    let (_, html) = page(
        app,
        &owner,
        &format!("/app/bookings/new?service={service_id}&staff={staff_id}&date={day}"),
    )
    .await;
    assert!(html.contains("type=\"radio\" name=\"start\""), "{html}");
    let start = input_value(&html, "start").unwrap();
    let resp = submit(
        app,
        &owner,
        "/app/bookings/new",
        &[
            ("service", &service_id),
            ("staff", &staff_id),
            ("date", &day.to_string()),
            ("start", &start),
            ("client", ""),
            ("name", "Nela Nowa"),
            ("email", "nela@example.com"),
            ("phone", ""),
            ("notes", "pierwszy raz"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let booking_page = location(&resp);
    let booking_id = booking_page
        .trim_start_matches("/app/bookings/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // The same time again: taken, said beside the times, the client kept.
    let resp = submit(
        app,
        &owner,
        "/app/bookings/new",
        &[
            ("service", &service_id),
            ("staff", &staff_id),
            ("date", &day.to_string()),
            ("start", &start),
            ("name", "Ola Druga"),
            ("email", "ola2@example.com"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let html = resp.text().await.unwrap();
    assert!(html.contains("has just been taken"));
    assert_eq!(input_value(&html, "name").unwrap(), "Ola Druga");

    // In the calendar, for the day and the week.
    let (_, html) = page(
        app,
        &owner,
        &format!("/app/calendar?view=day&date={day}&staff=all"),
    )
    .await;
    assert!(html.contains("Nela Nowa"));
    assert!(html.contains(&format!("/app/bookings/{booking_id}")));
    let (_, html) = page(
        app,
        &owner,
        &format!("/app/calendar?view=week&date={day}&staff={staff_id}"),
    )
    .await;
    assert!(html.contains("Nela Nowa"));
    // Free quarters link to a new booking at their time.
    assert!(!links(&html, "/app/bookings/new?staff=").is_empty());

    // A move outside the working hours is refused beside the time; an hour
    // later is fine.
    let (_, html) = page(app, &owner, &format!("/app/bookings/{booking_id}")).await;
    assert!(html.contains("Confirmed"));
    let time = input_value(&html, "time").unwrap();
    let later = format!(
        "{:02}:{}",
        time[..2].parse::<u32>().unwrap() + 1,
        &time[3..]
    );
    let move_path = format!("/app/bookings/{booking_id}/move");
    let resp = submit(
        app,
        &owner,
        &move_path,
        &[
            ("date", &day.to_string()),
            ("time", "22:00"),
            ("staff", &staff_id),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"time-error\""));
    assert_eq!(input_value(&html, "time").unwrap(), "22:00");
    let resp = submit(
        app,
        &owner,
        &move_path,
        &[
            ("date", &day.to_string()),
            ("time", &later),
            ("staff", &staff_id),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let moved: Value = owner
        .get(&format!("/bookings/{booking_id}"))
        .await
        .json()
        .await
        .unwrap();
    let moved_start =
        chrono::DateTime::parse_from_rfc3339(moved["starts_at"].as_str().unwrap()).unwrap();
    let first = chrono::DateTime::parse_from_rfc3339(&start).unwrap();
    assert_eq!(moved_start - first, chrono::Duration::hours(1));

    // Cancelled with a reason; the client hears of it.
    let resp = submit(
        app,
        &owner,
        &format!("/app/bookings/{booking_id}/status"),
        &[("action", "cancel"), ("reason", "choroba pracownika")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cancelled: Value = owner
        .get(&format!("/bookings/{booking_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "choroba pracownika");
    let (_, html) = page(app, &owner, &format!("/app/bookings/{booking_id}")).await;
    assert!(html.contains("Cancelled"));
    assert!(!html.contains("value=\"cancel\""));
}

async fn approvals_and_outcomes(app: &TestApp) {
    let s = salon(app, "panel-akcept", json!({"requires_approval": true})).await;
    let free = slots(app, &s, day_ahead(2), "Europe/Warsaw").await;
    let mut ids = Vec::new();
    for (i, slot) in free.iter().take(4).enumerate() {
        let body = crate::scheduling::booking_body(
            &s,
            slot["start"].as_str().unwrap(),
            &format!("prosi{i}@example.com"),
        );
        let created: Value = crate::scheduling::book(app, &s, &body)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(created["booking"]["status"], "requested");
        ids.push(created["booking"]["id"].as_str().unwrap().to_string());
    }
    // The agenda lists what waits for approval.
    let (_, html) = page(app, &s.owner, "/app").await;
    assert!(html.contains("Waiting for your approval"));
    for id in &ids {
        assert!(html.contains(&format!("/app/bookings/{id}")));
    }
    let status = async |id: &str| -> Value {
        s.owner
            .get(&format!("/bookings/{id}"))
            .await
            .json::<Value>()
            .await
            .unwrap()["status"]
            .clone()
    };
    let act = async |id: &str, action: &str, reason: &str| {
        submit(
            app,
            &s.owner,
            &format!("/app/bookings/{id}/status"),
            &[("action", action), ("reason", reason)],
        )
        .await
        .status()
    };
    assert_eq!(act(&ids[0], "approve", "").await, StatusCode::SEE_OTHER);
    assert_eq!(status(&ids[0]).await, "confirmed");
    assert_eq!(
        act(&ids[1], "decline", "brak miejsc").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(status(&ids[1]).await, "cancelled");
    // Outcomes come after the visit: not offered before it starts.
    let (_, html) = page(app, &s.owner, &format!("/app/bookings/{}", ids[0])).await;
    assert!(!html.contains("value=\"completed\""));
    assert_eq!(act(&ids[2], "approve", "").await, StatusCode::SEE_OTHER);
    app.clock.advance(chrono::Duration::days(3));
    let owner = app
        .login(
            &crate::helpers::owner_email("panel-akcept"),
            crate::helpers::PASSWORD,
        )
        .await;
    let (_, html) = page(app, &owner, &format!("/app/bookings/{}", ids[0])).await;
    assert!(html.contains("value=\"completed\"") && html.contains("value=\"no_show\""));
    for (id, action, expected) in [
        (&ids[0], "completed", "completed"),
        (&ids[2], "no_show", "no_show"),
    ] {
        let resp = submit(
            app,
            &owner,
            &format!("/app/bookings/{id}/status"),
            &[("action", action)],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        let b: Value = owner
            .get(&format!("/bookings/{id}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(b["status"], expected);
    }
    // An unknown action is refused and changes nothing.
    let resp = submit(
        app,
        &owner,
        &format!("/app/bookings/{}/status", ids[3]),
        &[("action", "explode")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: Value = owner
        .get(&format!("/bookings/{}", ids[3]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["status"], "requested");
}

async fn another_business_is_not_found_in_the_panel(app: &TestApp) {
    let a = salon(app, "panel-a", json!({})).await;
    let b = app.signup("panel-b").await;
    let start = slots(app, &a, day_ahead(2), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let created: Value = crate::scheduling::book(
        app,
        &a,
        &crate::scheduling::booking_body(&a, &start, "a@example.com"),
    )
    .await
    .json()
    .await
    .unwrap();
    let booking = created["booking"]["id"].as_str().unwrap().to_string();
    let client = created["booking"]["client_id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/app/bookings/{booking}"),
        format!("/app/clients/{client}"),
        format!("/app/staff/{}", a.staff),
        format!("/app/services/{}", a.service),
    ] {
        let (status, _) = page(app, &b, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let resp = submit(
        app,
        &b,
        &format!("/app/bookings/{booking}/status"),
        &[("action", "cancel")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = submit(app, &b, &format!("/app/clients/{client}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let still: Value = a
        .owner
        .get(&format!("/bookings/{booking}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["status"], "confirmed");
    // B's calendar and client list show nothing of A's.
    let (_, html) = page(app, &b, "/app/clients").await;
    assert!(!html.contains("Karolina"));
    let (_, html) = page(
        app,
        &b,
        &format!("/app/calendar?view=week&date={}", day_ahead(2)),
    )
    .await;
    assert!(!html.contains("Karolina"));
}

async fn clients_in_the_panel(app: &TestApp) {
    let owner = app.signup("panel-klienci").await;
    let resp = submit(
        app,
        &owner,
        "/app/clients/new",
        &[
            ("name", "Zofia Zielińska"),
            ("email", "zofia@example"),
            ("phone", "+48 600 100 200"),
            ("notes", "woli poranki"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"email-error\""));
    assert_eq!(input_value(&html, "notes").unwrap(), "woli poranki");
    let resp = submit(
        app,
        &owner,
        "/app/clients/new",
        &[
            ("name", "Zofia Zielińska"),
            ("email", "zofia@example.com"),
            ("phone", "+48 600 100 200"),
            ("notes", "woli poranki"),
            ("marketing_consent", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let profile = location(&resp);
    let id = profile
        .trim_start_matches("/app/clients/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    submit(app, &owner, "/app/clients/new", &[("name", "Adam Inny")]).await;
    // Search finds by any part of name, e-mail or phone.
    let (_, html) = page(app, &owner, "/app/clients?q=zieli").await;
    assert!(html.contains("Zofia Zielińska") && !html.contains("Adam Inny"));
    let (_, html) = page(app, &owner, "/app/clients?q=600100").await;
    assert!(html.contains("Zofia Zielińska"));
    // Edit, with the stored values shown.
    let (_, html) = page(app, &owner, &format!("/app/clients/{id}")).await;
    assert_eq!(input_value(&html, "email").unwrap(), "zofia@example.com");
    assert!(html.contains("name=\"marketing_consent\" value=\"on\" checked"));
    let resp = submit(
        app,
        &owner,
        &format!("/app/clients/{id}"),
        &[
            ("name", "Zofia Zielińska-Nowak"),
            ("email", "zofia@example.com"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let stored: Value = owner
        .get(&format!("/clients/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["name"], "Zofia Zielińska-Nowak");
    assert_eq!(stored["marketing_consent"], false);
    // Deleted.
    let resp = submit(app, &owner, &format!("/app/clients/{id}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = owner.get(&format!("/clients/{id}")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn settings_team_closures_and_api_keys(app: &TestApp) {
    let owner = app.signup("panel-ustawienia").await;
    // Settings: a bad cutoff keeps the texts typed.
    let settings = |cutoff: &'static str| {
        vec![
            ("name", "Salon Nowy"),
            ("time_zone", "Europe/Warsaw"),
            ("language", "en"),
            ("cancellation_cutoff_hours", cutoff),
            ("polish_holidays", "on"),
            ("booking_intro", "Witamy!"),
            ("privacy_notice_url", "https://example.com/rodo"),
            ("marketing_consent_text", ""),
            ("payment_hold_minutes", "20"),
            ("refund_client_cancellations", "on"),
            ("contact_email", "kontakt@salon-nowy.example.com"),
        ]
    };
    let resp = submit(app, &owner, "/app/settings", &settings("1000")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"cancellation_cutoff_hours-error\""));
    assert_eq!(input_value(&html, "booking_intro").unwrap(), "Witamy!");
    assert_eq!(
        input_value(&html, "contact_email").unwrap(),
        "kontakt@salon-nowy.example.com"
    );
    let resp = submit(app, &owner, "/app/settings", &settings("12")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let b: Value = owner.get("/business").await.json().await.unwrap();
    assert_eq!(b["name"], "Salon Nowy");
    assert_eq!(b["cancellation_cutoff_hours"], 12);
    assert_eq!(b["polish_holidays"], true);
    assert_eq!(b["booking_intro"], "Witamy!");
    assert_eq!(b["privacy_notice_url"], "https://example.com/rodo");
    assert_eq!(b["payment_hold_minutes"], 20);
    assert_eq!(b["refund_client_cancellations"], true);
    // The contact e-mail, clients' replies go there (Reply-To).
    assert_eq!(b["contact_email"], "kontakt@salon-nowy.example.com");
    let (_, html) = page(app, &owner, "/app/settings").await;
    assert_eq!(
        input_value(&html, "contact_email").unwrap(),
        "kontakt@salon-nowy.example.com"
    );

    // Closures.
    let from = day_ahead(10).to_string();
    let to = day_ahead(12).to_string();
    let resp = submit(
        app,
        &owner,
        "/app/closures",
        &[("starts_on", &to), ("ends_on", &from), ("reason", "remont")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        input_value(&resp.text().await.unwrap(), "reason").unwrap(),
        "remont"
    );
    let resp = submit(
        app,
        &owner,
        "/app/closures",
        &[("starts_on", &from), ("ends_on", &to), ("reason", "remont")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let closures: Value = owner.get("/closures").await.json().await.unwrap();
    let closure = closures[0]["id"].as_str().unwrap().to_string();
    let resp = submit(app, &owner, &format!("/app/closures/{closure}/delete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let closures: Value = owner.get("/closures").await.json().await.unwrap();
    assert_eq!(closures, json!([]));

    // An invitation, sent and revocable.
    let resp = submit(
        app,
        &owner,
        "/app/team/invite",
        &[("email", "nowa@example.com"), ("role", "staff")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mail = app.mail_to("nowa@example.com").await;
    assert!(!link_token(&mail, "/invite/").is_empty());
    let (_, html) = page(app, &owner, "/app/team").await;
    assert!(html.contains("nowa@example.com"));

    // An API key, shown once, working, then revoked.
    let resp = submit(
        app,
        &owner,
        "/app/api-keys",
        &[
            ("name", "Kasa"),
            ("scopes", "bookings:read"),
            ("scopes", "clients:read"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let html = resp.text().await.unwrap();
    let secret = input_value(&html, "new-key")
        .or_else(|| {
            let at = html.find("id=\"new-key\"")?;
            let v = at + html[at..].find("value=\"")? + 7;
            Some(html[v..v + html[v..].find('"')?].to_string())
        })
        .unwrap();
    let with_key = |path: &str| app.client().get(app.api(path)).bearer_auth(&secret).send();
    assert_eq!(with_key("/clients").await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        with_key("/services").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let (_, html) = page(app, &owner, "/app/api-keys").await;
    assert!(!html.contains(&secret), "the secret is shown once only");
    let keys: Value = owner.get("/api-keys").await.json().await.unwrap();
    let key_id = keys[0]["id"].as_str().unwrap().to_string();
    let resp = submit(app, &owner, &format!("/app/api-keys/{key_id}/revoke"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        with_key("/clients").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn staff_members_see_but_do_not_manage(app: &TestApp) {
    let owner = app.signup("panel-role").await;
    owner
        .post(
            "/invitations",
            json!({"email": "pracownik@example.com", "role": "staff"}),
        )
        .await;
    let token = link_token(&app.mail_to("pracownik@example.com").await, "/invite/");
    let resp = app
        .client()
        .post(app.api("/auth/accept-invitation"))
        .json(&json!({"token": token, "name": "Piotr Pracownik", "password": "Piotr-Ma-Psa-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let staff = app
        .login("pracownik@example.com", "Piotr-Ma-Psa-2026")
        .await;
    let (status, html) = page(app, &staff, "/app/calendar").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Piotr Pracownik"));
    let resp = submit(app, &staff, "/app/staff", &[("name", "Nie wolno")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (_, html) = page(app, &staff, "/app/api-keys").await;
    assert!(html.contains("Only owners and admins can change this."));
    assert!(!html.contains("action=\"/app/api-keys\""));
    let (_, html) = page(app, &staff, "/app/team").await;
    assert!(!html.contains("action=\"/app/team/invite\""));
    let list: Value = owner.get("/staff").await.json().await.unwrap();
    assert_eq!(list, json!([]));
}
