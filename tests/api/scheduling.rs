//! Services, staff, hours, availability and bookings, as a business and its
//! clients use them; and the promise that no two bookings collide.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, fields, problem};
use crate::on_both_backends;

on_both_backends!(
    a_client_books_reschedules_and_cancels,
    fifty_requests_for_one_slot_make_one_booking,
    reschedules_racing_new_bookings_never_collide,
    racing_approvals_confirm_one_booking,
    a_class_is_never_oversold,
    retries_with_an_idempotency_key_replay,
    bad_booking_requests_name_the_problem,
    the_manage_link_respects_the_cutoff,
    daylight_saving_keeps_wall_clock_hours,
    other_businesses_bookings_are_not_found,
    days_off_different_hours_and_holidays,
    staff_hear_of_new_and_cancelled_bookings,
);

async fn days_off_different_hours_and_holidays(app: &TestApp) {
    let s = salon(app, "salon-wolne", json!({})).await;
    let date = day_ahead(11);
    let path = format!("/staff/{}/overrides/{date}", s.staff);
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &path,
            Some(json!({"intervals": [{"start": "12:00", "end": "14:00"}]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let free = slots(app, &s, date, "Europe/Warsaw").await;
    assert_eq!(free.len(), 2);
    assert!(free[0]["start"].as_str().unwrap().contains("T12:00:00"));
    let resp = s
        .owner
        .send(reqwest::Method::PUT, &path, Some(json!({"intervals": []})))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        slots(app, &s, date, "Europe/Warsaw").await.is_empty(),
        "a day off"
    );
    assert_eq!(s.owner.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(slots(app, &s, date, "Europe/Warsaw").await.len(), 8);
    assert_eq!(s.owner.delete(&path).await.status(), StatusCode::NOT_FOUND);

    // Polish public holidays close the business once it opts in. The next
    // Christmas still ahead (this test must not age).
    let today = Utc::now().date_naive();
    let year = if today < NaiveDate::from_ymd_opt(today.year(), 12, 23).unwrap() {
        today.year()
    } else {
        today.year() + 1
    };
    let christmas = NaiveDate::from_ymd_opt(year, 12, 25).unwrap();
    assert_eq!(slots(app, &s, christmas, "Europe/Warsaw").await.len(), 8);
    let resp = s
        .owner
        .patch("/business", json!({"polish_holidays": true}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(slots(app, &s, christmas, "Europe/Warsaw").await.is_empty());
    assert!(
        slots(
            app,
            &s,
            NaiveDate::from_ymd_opt(year, 12, 24).unwrap(),
            "Europe/Warsaw"
        )
        .await
        .is_empty(),
        "Wigilia, a holiday from 2025"
    );
    assert_eq!(
        slots(
            app,
            &s,
            NaiveDate::from_ymd_opt(year, 12, 28).unwrap(),
            "Europe/Warsaw"
        )
        .await
        .len(),
        8
    );
}

async fn staff_hear_of_new_and_cancelled_bookings(app: &TestApp) {
    let s = salon(app, "salon-info", json!({})).await;
    // The staff member is the owner's own account.
    let me: Value = s.owner.get("/me").await.json().await.unwrap();
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}", s.staff),
            Some(json!({"name": "Marta Fryzjerka", "user_id": me["user"]["id"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let start = slots(app, &s, day_ahead(4), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let created: Value = book(app, &s, &booking_body(&s, &start, "info@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let owner_mail = app
        .mail_to(&crate::helpers::owner_email("salon-info"))
        .await;
    assert!(owner_mail.contains("Nowa wizyta"), "{owner_mail}");
    assert!(
        !owner_mail.contains("info@example.com"),
        "no client contact details in staff mail"
    );
    let token = created["manage_token"].as_str().unwrap();
    app.client()
        .post(app.api(&format!("/public/salon-info/bookings/{token}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    app.expect_mails(&crate::helpers::owner_email("salon-info"), 2)
        .await;
    let last = app.latest_mail_to(&crate::helpers::owner_email("salon-info"));
    assert!(last.contains("odwołana"), "{last}");
    // The client heard of the cancellation too, with a cancelled event.
    app.expect_mails("info@example.com", 2).await;
    assert_eq!(app.mails_to("info@example.com"), 2);
}

pub struct Salon {
    pub owner: Session,
    pub slug: String,
    pub service: String,
    pub staff: String,
}

pub fn all_week(start: &str, end: &str) -> Value {
    let day = json!([{"start": start, "end": end}]);
    json!({"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day, "saturday": day, "sunday": day})
}

/// A business with one staff member working every day 09:00–17:00 Warsaw
/// time and one 60-minute service offered every hour.
pub async fn salon(app: &TestApp, slug: &str, service: Value) -> Salon {
    let owner = app.signup(slug).await;
    furnish(owner, slug, service).await
}

/// Staff, hours and a service for a business that already has its owner.
pub async fn furnish(owner: Session, slug: &str, service: Value) -> Salon {
    let resp = owner
        .post("/staff", json!({"name": "Marta Fryzjerka"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let staff: Value = resp.json().await.unwrap();
    let staff_id = staff["id"].as_str().unwrap().to_string();
    let resp = owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{staff_id}/working-hours"),
            Some(all_week("09:00", "17:00")),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let mut body = json!({
        "name": "Strzyżenie", "duration_min": 60, "price_minor": 12000, "step_min": 60,
        "min_notice_min": 0, "max_advance_days": 730, "staff_ids": [staff_id],
    });
    for (k, v) in service.as_object().unwrap() {
        body[k] = v.clone();
    }
    let resp = owner.post("/services", body).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let service: Value = resp.json().await.unwrap();
    Salon {
        owner,
        slug: slug.to_string(),
        service: service["id"].as_str().unwrap().to_string(),
        staff: staff_id,
    }
}

pub fn day_ahead(days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(days)).date_naive()
}

pub async fn slots(app: &TestApp, salon: &Salon, date: NaiveDate, zone: &str) -> Vec<Value> {
    let resp = app
        .client()
        .get(app.api(&format!(
            "/public/{}/availability?service_id={}&staff_id=any&from={date}&to={date}&zone={zone}",
            salon.slug, salon.service
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let body: Value = resp.json().await.unwrap();
    body["slots"].as_array().unwrap().clone()
}

pub fn booking_body(salon: &Salon, start: &str, email: &str) -> Value {
    json!({
        "service_id": salon.service, "start": start, "zone": "Europe/Warsaw",
        "client": {"name": "Karolina Klientka", "email": email, "phone": "+48 605 111 222", "notes": "pierwsza wizyta"},
    })
}

pub async fn book(app: &TestApp, salon: &Salon, body: &Value) -> reqwest::Response {
    app.client()
        .post(app.api(&format!("/public/{}/bookings", salon.slug)))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn a_client_books_reschedules_and_cancels(app: &TestApp) {
    let s = salon(app, "salon-rez", json!({})).await;
    let date = day_ahead(10);
    let free = slots(app, &s, date, "Europe/Warsaw").await;
    assert_eq!(free.len(), 8, "09:00 … 16:00");
    assert!(free[0]["start"].as_str().unwrap().contains("T09:00:00+0"));
    let first = free[0]["start"].as_str().unwrap().to_string();

    let resp = book(app, &s, &booking_body(&s, &first, "karolina@example.com")).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["booking"]["status"], "confirmed");
    assert_eq!(created["booking"]["notes"], "pierwsza wizyta");
    let token = created["manage_token"].as_str().unwrap().to_string();
    assert!(
        created["manage_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/b/salon-rez/manage/{token}"))
    );

    // The slot is gone; the client exists in the business's records.
    let free = slots(app, &s, date, "Europe/Warsaw").await;
    assert_eq!(free.len(), 7);
    assert!(free.iter().all(|f| f["start"] != first.as_str()));
    let clients: Value = s
        .owner
        .get("/clients?q=karolina")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(clients["items"].as_array().unwrap().len(), 1);

    // The confirmation mail carries the manage link and a valid .ics.
    let mail = app.mail_to("karolina@example.com").await;
    assert!(mail.contains(&format!("/b/salon-rez/manage/{token}")));
    let ics = crate::helpers::attachment(
        &app.raw_mail_to("karolina@example.com").await,
        "text/calendar",
    );
    let starts_utc = chrono::DateTime::parse_from_rfc3339(&first)
        .unwrap()
        .with_timezone(&Utc);
    for line in [
        "BEGIN:VCALENDAR",
        "BEGIN:VEVENT",
        "STATUS:CONFIRMED",
        &format!("DTSTART:{}", starts_utc.format("%Y%m%dT%H%M%SZ")),
    ] {
        assert!(ics.contains(line), "{line} not in {ics}");
    }

    // The manage link: view, reschedule, cancel.
    let public = |path: &str| app.api(&format!("/public/salon-rez/bookings/{token}{path}"));
    let view: Value = app
        .client()
        .get(public(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["booking"]["id"], created["booking"]["id"]);
    let later = free[3]["start"].as_str().unwrap().to_string();
    let resp = app
        .client()
        .post(public("/reschedule"))
        .json(&json!({"start": later}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let moved: Value = resp.json().await.unwrap();
    assert_eq!(
        moved["booking"]["id"], created["booking"]["id"],
        "the same booking"
    );
    assert_eq!(moved["booking"]["starts_at"], later.as_str());
    let free_now = slots(app, &s, date, "Europe/Warsaw").await;
    assert!(
        free_now.iter().any(|f| f["start"] == first.as_str()),
        "the old time is free again"
    );
    let resp = app
        .client()
        .post(public("/cancel"))
        .json(&json!({"reason": "choroba"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cancelled: Value = resp.json().await.unwrap();
    assert_eq!(cancelled["booking"]["status"], "cancelled");
    assert_eq!(cancelled["booking"]["cancelled_by"], "client");
    assert_eq!(slots(app, &s, date, "Europe/Warsaw").await.len(), 8);
    let resp = app
        .client()
        .get(app.api("/public/salon-rez/bookings/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

async fn fifty_requests_for_one_slot_make_one_booking(app: &TestApp) {
    let s = salon(app, "salon-50", json!({})).await;
    let start = slots(app, &s, day_ahead(5), "Europe/Warsaw").await[2]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let client = app.client();
        let url = app.api("/public/salon-50/bookings");
        let body = booking_body(&s, &start, &format!("klient{i}@example.com"));
        tasks.spawn(async move {
            let resp = client.post(url).json(&body).send().await.unwrap();
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            (status, body)
        });
    }
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        let (status, body) = r.unwrap();
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => assert!(
                body["type"].as_str().unwrap().ends_with("/slot-taken"),
                "{body}"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    let list: Value = s
        .owner
        .get(&format!("/bookings?status=confirmed&staff_id={}", s.staff))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

async fn reschedules_racing_new_bookings_never_collide(app: &TestApp) {
    let s = salon(app, "salon-przek", json!({})).await;
    let free = slots(app, &s, day_ahead(6), "Europe/Warsaw").await;
    let (a, target) = (
        free[0]["start"].as_str().unwrap().to_string(),
        free[4]["start"].as_str().unwrap().to_string(),
    );
    let created: Value = book(app, &s, &booking_body(&s, &a, "a@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap().to_string();
    let mut tasks = tokio::task::JoinSet::new();
    {
        let client = app.client();
        let url = app.api(&format!("/public/salon-przek/bookings/{token}/reschedule"));
        let target = target.clone();
        tasks.spawn(async move {
            client
                .post(url)
                .json(&json!({"start": target}))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    for i in 0..10 {
        let client = app.client();
        let url = app.api("/public/salon-przek/bookings");
        let body = booking_body(&s, &target, &format!("nowy{i}@example.com"));
        tasks.spawn(async move {
            let status = client.post(url).json(&body).send().await.unwrap().status();
            if status == StatusCode::CREATED {
                StatusCode::OK
            } else {
                status
            }
        });
    }
    let mut ok = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of them holds the time");
    let from = chrono::DateTime::parse_from_rfc3339(&target)
        .unwrap()
        .with_timezone(&Utc);
    let list: Value = s
        .owner
        .get(&format!(
            "/bookings?from={}&to={}&status=confirmed",
            urlencode(&from.to_rfc3339()),
            urlencode(&(from + Duration::minutes(1)).to_rfc3339())
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

pub fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn racing_approvals_confirm_one_booking(app: &TestApp) {
    let s = salon(app, "salon-zgoda", json!({"requires_approval": true})).await;
    let start = slots(app, &s, day_ahead(7), "Europe/Warsaw").await[1]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for who in ["pierwsza", "druga"] {
        let resp = book(
            app,
            &s,
            &booking_body(&s, &start, &format!("{who}@example.com")),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
        let b: Value = resp.json().await.unwrap();
        assert_eq!(b["booking"]["status"], "requested");
        ids.push(b["booking"]["id"].as_str().unwrap().to_string());
    }
    // Requested bookings do not hold the time yet.
    assert!(
        slots(app, &s, day_ahead(7), "Europe/Warsaw")
            .await
            .iter()
            .any(|f| f["start"] == start.as_str())
    );
    let key: Value = s
        .owner
        .post("/api-keys", json!({"name": "k"}))
        .await
        .json()
        .await
        .unwrap();
    let secret = key["secret"].as_str().unwrap().to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let client = app.client();
        let url = app.api(&format!("/bookings/{id}/approve"));
        let secret = secret.clone();
        tasks.spawn(async move {
            client
                .post(url)
                .bearer_auth(secret)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let mut statuses = Vec::new();
    while let Some(r) = tasks.join_next().await {
        statuses.push(r.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::OK, StatusCode::CONFLICT]);
}

async fn a_class_is_never_oversold(app: &TestApp) {
    let s = salon(app, "joga", json!({"name": "Joga", "capacity": 3})).await;
    let start = slots(app, &s, day_ahead(8), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..9 {
        let client = app.client();
        let url = app.api("/public/joga/bookings");
        let body = booking_body(&s, &start, &format!("jogin{i}@example.com"));
        tasks.spawn(async move { client.post(url).json(&body).send().await.unwrap().status() });
    }
    let mut created = 0;
    while let Some(r) = tasks.join_next().await {
        match r.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 3);
    assert!(
        slots(app, &s, day_ahead(8), "Europe/Warsaw")
            .await
            .iter()
            .all(|f| f["start"] != start.as_str())
    );
}

async fn retries_with_an_idempotency_key_replay(app: &TestApp) {
    let s = salon(app, "salon-idem", json!({})).await;
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    let body = booking_body(&s, free[0]["start"].as_str().unwrap(), "idem@example.com");
    let send = |body: Value| {
        app.client()
            .post(app.api("/public/salon-idem/bookings"))
            .header("Idempotency-Key", "rezerwacja-1")
            .json(&body)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["booking"]["id"], first["booking"]["id"]);
    assert_eq!(again["manage_token"], first["manage_token"]);
    let mut other = body.clone();
    other["start"] = free[1]["start"].clone();
    let resp = send(other).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["Idempotency-Key"]);
    let list: Value = s.owner.get("/bookings").await.json().await.unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "one booking, however many retries"
    );
    // After 24 hours the key is forgotten: it may name a new request.
    app.clock.advance(Duration::hours(25));
    // (The server's worker may have done it already; either way it is gone.)
    app.app().forget_expired_idempotency().await.unwrap();
    let mut later = body.clone();
    later["start"] = free[2]["start"].clone();
    let resp = send(later).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

async fn bad_booking_requests_name_the_problem(app: &TestApp) {
    let s = salon(
        app,
        "salon-zle",
        json!({"min_notice_min": 120, "max_advance_days": 30}),
    )
    .await;
    let zone = chrono_tz::Europe::Warsaw;
    let at = |days: i64, h: u32, m: u32| {
        use chrono::TimeZone;
        let d = day_ahead(days);
        zone.from_local_datetime(&d.and_hms_opt(h, m, 0).unwrap())
            .earliest()
            .unwrap()
            .to_rfc3339()
    };
    // A day closed for the whole business.
    let closed_day = day_ahead(12);
    let resp = s
        .owner
        .post(
            "/closures",
            json!({"starts_on": closed_day, "ends_on": closed_day, "reason": "remont"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let cases = [
        (at(-1, 10, 0), "in_past"),
        (at(3, 7, 0), "outside_working_hours"),
        (at(3, 10, 30), "not_on_step_grid"),
        (at(12, 10, 0), "closed"),
        (at(40, 10, 0), "too_far_ahead"),
        (
            (Utc::now() + Duration::minutes(30)).to_rfc3339(),
            "too_soon",
        ),
    ];
    for (start, code) in cases {
        let resp = book(app, &s, &booking_body(&s, &start, "zle@example.com")).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let p = problem(resp).await;
        assert_eq!(fields(&p), vec!["start"], "{code}: {p}");
        assert!(
            p["invalid-params"][0]["code"] == code
                || (code == "too_soon"
                    && p["invalid-params"][0]["code"] == "outside_working_hours"),
            "{code}: {p}"
        );
    }
    // A staff member who does not perform the service.
    let other: Value = s
        .owner
        .post("/staff", json!({"name": "Inna Osoba"}))
        .await
        .json()
        .await
        .unwrap();
    let mut body = booking_body(&s, &at(3, 10, 0), "zle@example.com");
    body["staff_id"] = other["id"].clone();
    let p = problem(book(app, &s, &body).await).await;
    assert_eq!(fields(&p), vec!["staff_id"]);
    // Unknown zones.
    let mut body = booking_body(&s, &at(3, 10, 0), "zle@example.com");
    body["zone"] = json!("Europe/Atlantis");
    assert_eq!(
        fields(&problem(book(app, &s, &body).await).await),
        vec!["client_zone"]
    );
    let resp = app.client().get(app.api(&format!("/public/salon-zle/availability?service_id={}&from=2030-01-01&to=2030-01-01&zone=Mars/Base", s.service))).send().await.unwrap();
    assert_eq!(fields(&problem(resp).await), vec!["zone"]);
    // End before start.
    let resp = app
        .client()
        .get(app.api(&format!(
            "/public/salon-zle/availability?service_id={}&from={}&to={}",
            s.service,
            day_ahead(5),
            day_ahead(3)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["to"]);
    // Overlapping working hours.
    let resp = s.owner.send(reqwest::Method::PUT, &format!("/staff/{}/working-hours", s.staff),
        Some(json!({"monday": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "16:00"}]}))).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["monday"]);
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}/working-hours", s.staff),
            Some(json!({"tuesday": [{"start": "17:00", "end": "09:00"}]})),
        )
        .await;
    assert_eq!(fields(&problem(resp).await), vec!["tuesday[0]"]);
    // Nothing was written by any of these.
    let list: Value = s.owner.get("/bookings").await.json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let clients: Value = s.owner.get("/clients").await.json().await.unwrap();
    assert!(
        clients["items"].as_array().unwrap().is_empty(),
        "no client was created for a refused booking"
    );
    // Complete or no-show only after the start.
    let ok = book(
        app,
        &s,
        &booking_body(&s, &at(3, 11, 0), "dobry@example.com"),
    )
    .await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    let b: Value = ok.json().await.unwrap();
    let resp = s
        .owner
        .post(
            &format!(
                "/bookings/{}/complete",
                b["booking"]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    app.clock.advance(Duration::days(4));
    // Four days later the owner logs in again (sessions end after 12 idle hours).
    let owner = app
        .login(
            &crate::helpers::owner_email("salon-zle"),
            crate::helpers::PASSWORD,
        )
        .await;
    let resp = owner
        .post(
            &format!("/bookings/{}/no-show", b["booking"]["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn the_manage_link_respects_the_cutoff(app: &TestApp) {
    let s = salon(app, "salon-cutoff", json!({})).await;
    let resp = s
        .owner
        .patch("/business", json!({"cancellation_cutoff_hours": 24}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let start = slots(app, &s, day_ahead(3), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let created: Value = book(app, &s, &booking_body(&s, &start, "cutoff@example.com"))
        .await
        .json()
        .await
        .unwrap();
    let token = created["manage_token"].as_str().unwrap();
    let view: Value = app
        .client()
        .get(app.api(&format!("/public/salon-cutoff/bookings/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let until =
        chrono::DateTime::parse_from_rfc3339(view["changes_until"].as_str().unwrap()).unwrap();
    let starts = chrono::DateTime::parse_from_rfc3339(&start).unwrap();
    assert_eq!(starts - until, Duration::hours(24));
    // Past the cutoff: no changes by the client.
    app.clock.advance(Duration::days(3) - Duration::hours(12));
    let resp = app
        .client()
        .post(app.api(&format!("/public/salon-cutoff/bookings/{token}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/past-cutoff")
    );
    // The business can still cancel.
    let owner = app
        .login(
            &crate::helpers::owner_email("salon-cutoff"),
            crate::helpers::PASSWORD,
        )
        .await;
    let resp = owner
        .post(
            &format!(
                "/bookings/{}/cancel",
                created["booking"]["id"].as_str().unwrap()
            ),
            json!({"reason": "zamknięte"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn daylight_saving_keeps_wall_clock_hours(app: &TestApp) {
    let s = salon(app, "salon-dst", json!({})).await;
    // Next year's last Sunday of March: Warsaw moves from 02:00 to 03:00
    // (always ahead, and inside the 730-day window).
    let year = Utc::now().year() + 1;
    let mut date = NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
    while date.weekday() != chrono::Weekday::Sun {
        date = date.pred_opt().unwrap();
    }
    let free = slots(app, &s, date, "Europe/Warsaw").await;
    let starts: Vec<&str> = free.iter().map(|f| f["start"].as_str().unwrap()).collect();
    assert_eq!(
        starts.first().copied(),
        Some(format!("{date}T09:00:00+02:00").as_str())
    );
    assert_eq!(
        starts.last().copied(),
        Some(format!("{date}T16:00:00+02:00").as_str())
    );
    assert_eq!(starts.len(), 8);
    // The day before, still winter time.
    let eve = date.pred_opt().unwrap();
    let before = slots(app, &s, eve, "Europe/Warsaw").await;
    assert_eq!(before[0]["start"], format!("{eve}T09:00:00+01:00"));
    // Shown to a client in New York (already on summer time then), the
    // same instants.
    let ny = slots(app, &s, date, "America/New_York").await;
    let expected = format!("{date}T03:00:00-04:00");
    assert!(ny.iter().any(|f| f["start"] == expected.as_str()), "{ny:?}");
}

async fn other_businesses_bookings_are_not_found(app: &TestApp) {
    let s = salon(app, "salon-moj", json!({})).await;
    let other = salon(app, "salon-obcy", json!({})).await;
    let start = slots(app, &other, day_ahead(4), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let theirs: Value = book(
        app,
        &other,
        &booking_body(&other, &start, "obcy@example.com"),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = theirs["booking"]["id"].as_str().unwrap();
    for path in [
        format!("/bookings/{id}"),
        format!("/services/{}", other.service),
        format!("/staff/{}", other.staff),
    ] {
        let resp = s.owner.get(&path).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let resp = s
        .owner
        .post(&format!("/bookings/{id}/cancel"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s
        .owner
        .patch(&format!("/bookings/{id}"), json!({"start": start}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A manage token works only on its own business's page.
    let token = theirs["manage_token"].as_str().unwrap();
    let resp = app
        .client()
        .get(app.api(&format!("/public/salon-moj/bookings/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // Booking another business's service through my page fails too.
    let resp = book(app, &s, &booking_body(&other, &start, "x@example.com")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let still: Value = other
        .owner
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["status"], "confirmed");
}
