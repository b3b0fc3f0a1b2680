//! `/metrics` as a Prometheus scraper reads it (issue 21, part 5): behind
//! a bearer token, route patterns rather than paths, bookings and
//! conflicts, queue backlogs and delivery outcomes, no personal data.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};
use crate::scheduling::{book, booking_body, day_ahead, salon, slots};

const TOKEN: &str = "scraper-secret-7f3a";

async fn scrape(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut req = app.client().get(format!("{}/metrics", app.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The value of one sample line, `name{labels} value`; 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_are_scraped_with_a_token_and_carry_no_personal_data(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| s.metrics_token = Some(TOKEN.into())).await
    else {
        return;
    };
    assert_eq!(scrape(&app, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&app, Some("wrong")).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let s = salon(&app, "metryki", json!({})).await;
    let free = slots(&app, &s, day_ahead(5), "Europe/Warsaw").await;
    let start = free[0]["start"].as_str().unwrap();
    let email = "marzena.metryczna@example.com";
    let resp = book(&app, &s, &booking_body(&s, start, email)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let booking: serde_json::Value = resp.json().await.unwrap();
    let booking_id = booking["booking"]["id"].as_str().unwrap().to_string();
    // The same slot again: a conflict.
    let resp = book(&app, &s, &booking_body(&s, start, "druga@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = s.owner.get(&format!("/bookings/{booking_id}")).await;
    assert_eq!(resp.status(), StatusCode::OK);

    // Mail waits (confirmation, the owner's sign-up mail): the backlog
    // shows it, and how long it has waited on the app's clock.
    app.clock.advance(chrono::Duration::seconds(90));
    let resp = scrape(&app, Some(TOKEN)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let before = resp.text().await.unwrap();
    let waiting = sample(&before, "termino_queue_pending{queue=\"mail\"}");
    assert!(waiting >= 1.0, "{before}");
    assert!(sample(&before, "termino_queue_oldest_age_seconds{queue=\"mail\"}") >= 90.0);
    assert_eq!(sample(&before, "termino_bookings_created_total"), 1.0);
    assert_eq!(
        before
            .lines()
            .filter(|l| l.starts_with("termino_booking_conflicts_total{"))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
            .sum::<f64>(),
        1.0,
        "{before}"
    );
    // Requests are counted by the pattern the router matched.
    assert_eq!(
        sample(
            &before,
            "termino_http_requests_total{method=\"POST\",route=\"/api/v1/public/:param0/bookings\",status=\"201\"}"
        ),
        1.0,
        "{before}"
    );
    assert!(before.contains("termino_http_request_duration_seconds_bucket{"));
    assert!(before.contains("termino_db_pool_connections{state=\"idle\"}"));

    // After a worker step the mail is out, and the outcome counted.
    app.run_jobs().await;
    let after = scrape(&app, Some(TOKEN)).await.text().await.unwrap();
    assert_eq!(sample(&after, "termino_queue_pending{queue=\"mail\"}"), 0.0);
    assert_eq!(
        sample(
            &after,
            "termino_deliveries_total{channel=\"mail\",outcome=\"sent\"}"
        ),
        waiting,
        "{after}"
    );
    // Neither the client, the business's slug nor an id reaches a label.
    for secret in [email, "Karolina", "metryki", booking_id.as_str(), TOKEN] {
        assert!(!after.contains(secret), "{secret} in {after}");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_with_a_token_and_carry_no_personal_data_sqlite() {
    metrics_are_scraped_with_a_token_and_carry_no_personal_data(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_with_a_token_and_carry_no_personal_data_postgres() {
    metrics_are_scraped_with_a_token_and_carry_no_personal_data(Backend::Postgres).await;
}

/// Without a token in the settings there is no `/metrics` at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_without_a_token() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        scrape(&app, Some(TOKEN)).await.status(),
        StatusCode::NOT_FOUND
    );
    app.finish().await;
}
