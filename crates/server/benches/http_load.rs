//! HTTP load on the real server over loopback: bookings created per second
//! by 32 concurrent clients on distinct slots, the latency of the public
//! availability endpoint for a month, and of the booking page's month view.
//!
//! `LOAD_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p termino-server --bench http_load`
//! (without the variable it runs on SQLite). Requests are bounded in count
//! and go only to 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use termino_app::Clock;
use termino_server::config::Settings;
use termino_server::server::start;

const CLIENTS: usize = 32;
const BOOKINGS_PER_CLIENT: usize = 20;
const AVAILABILITY_REQUESTS: usize = 400;
const PAGE_REQUESTS: usize = 200;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: Value) -> Value {
    let resp = client
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("termino-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut settings = Settings::from_sources(None, |_| None).unwrap();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.data_dir = dir.clone();
    settings.keystore_url = termino_store::sqlite_url(&dir.join("keystore.db"));
    // The load comes from one address; measure throughput, not the limiter.
    settings.rate_limit_per_key = 1_000_000;
    settings.rate_limit_public = 1_000_000;
    let mut backend = "SQLite".to_string();
    let mut drop_db = None;
    if let Ok(admin) = std::env::var("LOAD_DATABASE_URL") {
        let name = format!("termino_load_{}", std::process::id());
        let db = sea_orm::Database::connect(&admin).await.unwrap();
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        settings.database_url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        drop_db = Some((admin, name));
        backend = "PostgreSQL".into();
    } else {
        settings.database_url = termino_store::sqlite_url(&dir.join("termino.db"));
    }
    let server = start(settings, Clock::system()).await.unwrap();
    let base = format!("{}/api/v1", server.url());
    let http = reqwest::Client::new();

    // A business with 32 staff members, each working every day 08:00–20:00.
    let resp = http
        .post(format!("{base}/auth/signup"))
        .json(&json!({"company_name": "Load Test", "slug": "obciazenie", "owner_name": "Owner",
            "email": "owner@load.example.com", "phone": "601234567", "password": "Obciazenie-Testowe-2026",
            "time_zone": "Europe/Warsaw", "language": "en",
            "dpa": {"version": "2026-11", "language": "en", "tax_id": "1234567883", "authority_confirmed": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created = termino_app::App::create_api_key_for_slug(&server.app, "obciazenie", "load", &[])
        .await
        .unwrap();
    let key = created.secret;
    let day = json!([{"start": "08:00", "end": "20:00"}]);
    let week = json!({"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day, "saturday": day, "sunday": day});
    let mut staff = Vec::new();
    for i in 0..CLIENTS {
        let s = post(
            &http,
            &format!("{base}/staff"),
            &key,
            json!({"name": format!("Staff {i}")}),
        )
        .await;
        let id = s["id"].as_str().unwrap().to_string();
        let resp = http
            .put(format!("{base}/staff/{id}/working-hours"))
            .bearer_auth(&key)
            .json(&week)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        staff.push(id);
    }
    let service = post(
        &http,
        &format!("{base}/services"),
        &key,
        json!({"name": "Visit", "duration_min": 30,
        "step_min": 30, "min_notice_min": 0, "max_advance_days": 365, "staff_ids": staff}),
    )
    .await;
    let service_id = service["id"].as_str().unwrap().to_string();

    // 32 clients, each booking its own staff member's consecutive slots.
    let first_day = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, staff_id) in staff.iter().enumerate() {
        let http = http.clone();
        let url = format!("{base}/public/obciazenie/bookings");
        let (service_id, staff_id) = (service_id.clone(), staff_id.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            for n in 0..BOOKINGS_PER_CLIENT {
                let start = format!("{}T{:02}:{:02}:00+01:00", first_day + chrono::Duration::days((n / 20) as i64), 8 + (n % 20) / 2, (n % 2) * 30);
                let t = Instant::now();
                let resp = http.post(&url).json(&json!({"service_id": service_id, "staff_id": staff_id, "start": start,
                    "zone": "Europe/Warsaw", "client": {"name": format!("Client {i}-{n}"), "email": format!("c{i}.{n}@example.com")}}))
                    .send().await.unwrap();
                assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut booking_latencies = Vec::new();
    while let Some(r) = tasks.join_next().await {
        booking_latencies.extend(r.unwrap());
    }
    let elapsed = started.elapsed();
    booking_latencies.sort();
    let total = CLIENTS * BOOKINGS_PER_CLIENT;

    // Availability for a month with "anyone", 8 requests at a time.
    let to = first_day + chrono::Duration::days(30);
    let url = format!(
        "{base}/public/obciazenie/availability?service_id={service_id}&staff_id=any&from={first_day}&to={to}&zone=Europe/Warsaw"
    );
    let mut availability = Vec::new();
    for _ in 0..AVAILABILITY_REQUESTS / 8 {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (http, url) = (http.clone(), url.clone());
            batch.spawn(async move {
                let t = Instant::now();
                let resp = http.get(&url).send().await.unwrap();
                assert_eq!(resp.status(), 200);
                let body: Value = resp.json().await.unwrap();
                assert!(!body["slots"].as_array().unwrap().is_empty());
                t.elapsed()
            });
        }
        while let Some(r) = batch.join_next().await {
            availability.push(r.unwrap());
        }
    }
    availability.sort();

    // The booking page a client sees after choosing the service: the month
    // with its free days and the first free day's times, rendered as HTML.
    let month = first_day.format("%Y-%m");
    let page_url = format!(
        "{}/b/obciazenie?service={service_id}&staff=any&month={month}&tz=Europe/Warsaw",
        server.url()
    );
    let mut pages = Vec::new();
    for _ in 0..PAGE_REQUESTS / 8 {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (http, url) = (http.clone(), page_url.clone());
            batch.spawn(async move {
                let t = Instant::now();
                let resp = http.get(&url).send().await.unwrap();
                assert_eq!(resp.status(), 200);
                let html = resp.text().await.unwrap();
                assert!(html.contains("class=\"slot\""));
                t.elapsed()
            });
        }
        while let Some(r) = batch.join_next().await {
            pages.push(r.unwrap());
        }
    }
    pages.sort();

    println!("backend: {backend}");
    println!(
        "bookings: {total} by {CLIENTS} concurrent clients in {:.2} s = {:.0} bookings/s; latency p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        percentile(&booking_latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&booking_latencies, 0.99).as_secs_f64() * 1e3,
    );
    println!(
        "availability (31 days, {CLIENTS} staff, anyone): {} requests, p50 {:.1} ms, p99 {:.1} ms",
        availability.len(),
        percentile(&availability, 0.5).as_secs_f64() * 1e3,
        percentile(&availability, 0.99).as_secs_f64() * 1e3,
    );
    println!(
        "booking page (month view, {CLIENTS} staff, anyone): {} requests, p50 {:.1} ms, p99 {:.1} ms",
        pages.len(),
        percentile(&pages, 0.5).as_secs_f64() * 1e3,
        percentile(&pages, 0.99).as_secs_f64() * 1e3,
    );
    server.stop().await.unwrap();
    if let Some((admin, name)) = drop_db {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(&admin).await.unwrap();
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
