//! Outbound webhooks as a receiver sees them: signed per Standard Webhooks
//! (checked here with our own HMAC code, independent of the server's),
//! retried with back-off across a server restart, delivered once.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Request, Route, handler, post};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, owner_email};

#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) id: String,
    timestamp: String,
    signature: String,
    pub(crate) body: String,
    pub(crate) answered: u16,
}

/// A business's webhook endpoint: answers 500 to the first `fail_first`
/// deliveries, then 200, and keeps what it was sent.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    failures_left: Arc<AtomicU32>,
}

#[handler]
async fn hook(req: &Request, body: String, Data(r): Data<&Receiver>) -> poem::http::StatusCode {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let fail = r
        .failures_left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let status = if fail { 500 } else { 200 };
    r.hits.lock().unwrap().push(Hit {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered: status,
    });
    poem::http::StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub(crate) async fn start(fail_first: u32) -> (Receiver, String) {
        let r = Receiver::default();
        r.failures_left.store(fail_first, Ordering::SeqCst);
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let app = Route::new().at("/hook", post(hook)).data(r.clone());
        tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(app).await });
        (r, format!("http://{addr}/hook"))
    }

    /// From now on every delivery is answered 200.
    pub(crate) fn recover(&self) {
        self.failures_left.store(0, Ordering::SeqCst);
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

/// Verifies a delivery the way any Standard Webhooks receiver does.
pub(crate) fn verify(secret: &str, hit: &Hit) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", hit.id, hit.timestamp, hit.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    let ts: i64 = hit.timestamp.parse().unwrap();
    let fresh = (chrono::Utc::now().timestamp() - ts).abs() <= 300;
    fresh
        && hit
            .signature
            .split(' ')
            .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

/// Runs the due work once and checks that the receiver has had `n` hits.
pub(crate) async fn deliver_expecting(app: &TestApp, r: &Receiver, n: usize) {
    app.run_jobs().await;
    assert!(
        r.hits().len() >= n,
        "only {} of {n} deliveries arrived",
        r.hits().len()
    );
}

async fn signed_retried_across_a_restart_and_delivered_once(backend: Backend) {
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    let (receiver, url) = Receiver::start(2).await;
    let owner = app.signup("haki").await;
    let resp = owner
        .post(
            "/webhook-endpoints",
            json!({"url": url, "events": ["client.created", "client.deleted"]}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let created: Value = resp.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    let endpoint_id = created["endpoint"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));

    let client: Value = owner
        .post(
            "/clients",
            json!({"name": "Hanna Hakowa", "email": "hanna@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    deliver_expecting(&app, &receiver, 1).await;
    assert_eq!(receiver.hits()[0].answered, 500);
    // The next try waits for its back-off…
    app.app().deliver_due_webhooks().await.unwrap();
    assert_eq!(receiver.hits().len(), 1);
    app.clock.advance(chrono::Duration::seconds(6));
    deliver_expecting(&app, &receiver, 2).await;
    assert_eq!(receiver.hits()[1].answered, 500);

    // …and survives a restart of the server.
    app.restart(|_| {}).await.unwrap();
    app.clock.advance(chrono::Duration::minutes(6));
    deliver_expecting(&app, &receiver, 3).await;
    let hits = receiver.hits();
    assert_eq!(hits[2].answered, 200);
    assert!(
        hits.iter().all(|h| h.id == hits[0].id),
        "one webhook-id for every retry"
    );
    assert!(
        hits.iter().all(|h| verify(&secret, h)),
        "every signature verifies"
    );
    assert!(
        !verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &hits[2]),
        "a wrong secret does not"
    );
    let payload: Value = serde_json::from_str(&hits[2].body).unwrap();
    assert_eq!(payload["type"], "client.created");
    assert_eq!(payload["data"]["id"], client["id"]);
    assert!(
        !hits[2].body.contains("Hanna"),
        "ids only, unless the business chose otherwise"
    );

    // The receiver answered; wait until the sender has recorded it (the
    // clock jump below would otherwise expire its lease mid-call).
    let owner = app
        .login(&owner_email("haki"), crate::helpers::PASSWORD)
        .await;
    let log: Value = owner
        .get(&format!("/webhook-endpoints/{endpoint_id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["status"], "delivered", "{log}");
    // Delivered: never sent again, however often the worker runs.
    app.clock.advance(chrono::Duration::hours(30));
    for _ in 0..3 {
        app.app().deliver_due_webhooks().await.unwrap();
    }
    assert_eq!(receiver.hits().len(), 3);

    // The delivery log, and a replay on request (a new log-in: the clock
    // jumped past the session's idle limit).
    let owner = app
        .login(&owner_email("haki"), crate::helpers::PASSWORD)
        .await;
    let log: Value = owner
        .get(&format!("/webhook-endpoints/{endpoint_id}/deliveries"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(log[0]["last_status_code"], 200);
    let resp = owner
        .post(
            &format!(
                "/webhook-deliveries/{}/replay",
                log[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    deliver_expecting(&app, &receiver, 4).await;
    assert_eq!(receiver.hits()[3].id, hits[0].id);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_retried_across_a_restart_and_delivered_once_sqlite() {
    signed_retried_across_a_restart_and_delivered_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_retried_across_a_restart_and_delivered_once_postgres() {
    signed_retried_across_a_restart_and_delivered_once(Backend::Postgres).await;
}

async fn failing_endpoints_are_reported_and_personal_data_is_opt_in(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (broken, broken_url) = Receiver::start(u32::MAX).await;
    let (good, good_url) = Receiver::start(0).await;
    let s = crate::scheduling::salon(&app, "haki-rez", json!({})).await;
    for (url, personal) in [(&broken_url, false), (&good_url, true)] {
        let events = if personal {
            json!(["booking.created", "booking.cancelled"])
        } else {
            json!(["booking.created"])
        };
        let resp = s
            .owner
            .post(
                "/webhook-endpoints",
                json!({"url": url, "events": events, "include_personal_data": personal}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    // Bad input is named.
    let resp = s
        .owner
        .post(
            "/webhook-endpoints",
            json!({"url": good_url, "events": ["booking.exploded"]}),
        )
        .await;
    assert_eq!(
        crate::helpers::fields(&crate::helpers::problem(resp).await),
        vec!["events"]
    );

    let start =
        crate::scheduling::slots(&app, &s, crate::scheduling::day_ahead(5), "Europe/Warsaw").await
            [0]["start"]
            .as_str()
            .unwrap()
            .to_string();
    let resp = crate::scheduling::book(
        &app,
        &s,
        &crate::scheduling::booking_body(&s, &start, "hakowy@example.com"),
    )
    .await;
    let created: Value = resp.json().await.unwrap();
    deliver_expecting(&app, &good, 1).await;
    let payload: Value = serde_json::from_str(&good.hits()[0].body).unwrap();
    assert_eq!(payload["type"], "booking.created");
    assert_eq!(
        payload["data"]["client"]["email"], "hakowy@example.com",
        "this endpoint chose personal data"
    );
    // The client cancels on the manage page: a second event, for the
    // endpoint that asked for cancellations only.
    let token = created["manage_token"].as_str().unwrap();
    let resp = app
        .client()
        .post(app.api(&format!("/public/haki-rez/bookings/{token}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    deliver_expecting(&app, &good, 2).await;
    let cancelled: Value = serde_json::from_str(&good.hits()[1].body).unwrap();
    assert_eq!(cancelled["type"], "booking.cancelled");
    assert_eq!(cancelled["data"]["status"], "cancelled");
    assert_eq!(cancelled["data"]["id"], created["booking"]["id"]);

    // The broken endpoint fails three times: the owner hears of it.
    for _ in 0..10 {
        if broken.hits().len() >= 3 {
            break;
        }
        // Past the longest of the first back-offs (5 s, then 5 min).
        app.clock.advance(chrono::Duration::minutes(6));
        let before = broken.hits().len();
        deliver_expecting(&app, &broken, before + 1).await;
    }
    assert!(broken.hits().iter().all(|h| h.answered == 500));
    assert!(
        !broken.hits()[0].body.contains("hakowy"),
        "ids only for this endpoint"
    );
    // Among the owner's mail (the owner also hears of the booking).
    app.run_jobs().await;
    let mails = app.all_mail_to(&owner_email("haki-rez"));
    assert!(mails.iter().any(|m| m.contains(&broken_url)), "{mails:?}");
    let endpoints: Value = s
        .owner
        .get("/webhook-endpoints")
        .await
        .json()
        .await
        .unwrap();
    let failing = endpoints
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["url"] == broken_url.as_str())
        .unwrap();
    assert!(failing["failing_since"].is_string());
    assert_eq!(failing["active"], true, "never disabled silently");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_endpoints_are_reported_and_personal_data_is_opt_in_sqlite() {
    failing_endpoints_are_reported_and_personal_data_is_opt_in(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_endpoints_are_reported_and_personal_data_is_opt_in_postgres() {
    failing_endpoints_are_reported_and_personal_data_is_opt_in(Backend::Postgres).await;
}

/// An endpoint that holds the first delivery until told to answer (200),
/// and answers every later one at once with 500.
#[derive(Clone, Default)]
struct Held {
    seen: Arc<AtomicU32>,
    arrived: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Notify>,
}

#[handler]
async fn held_hook(Data(h): Data<&Held>) -> poem::http::StatusCode {
    if h.seen.fetch_add(1, Ordering::SeqCst) == 0 {
        h.arrived.notify_one();
        h.release.notified().await;
        poem::http::StatusCode::OK
    } else {
        poem::http::StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// A try that hangs past its lease is taken over by the next one: each try
/// has its own number, and the late answer of the first does not overwrite
/// what the second recorded.
async fn a_try_that_outlives_its_lease_does_not_undo_the_next(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let held = Held::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let routes = Route::new().at("/hook", post(held_hook)).data(held.clone());
    tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(routes).await });

    let owner = app.signup("zwloka").await;
    let created: Value = owner
        .post(
            "/webhook-endpoints",
            json!({"url": format!("http://{addr}/hook"), "events": ["client.created"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let log_path = format!(
        "/webhook-endpoints/{}/deliveries",
        created["endpoint"]["id"].as_str().unwrap()
    );
    let resp = owner
        .post("/clients", json!({"name": "Zofia Zwłoka"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // The first try hangs at the endpoint.
    let first = tokio::spawn({
        let app = app.app().clone();
        async move { app.deliver_due_webhooks().await }
    });
    held.arrived.notified().await;
    assert_eq!(held.seen.load(Ordering::SeqCst), 1);

    // Past its lease, a second try takes the delivery over and fails.
    app.clock.advance(chrono::Duration::minutes(3));
    app.app().deliver_due_webhooks().await.unwrap();
    assert_eq!(held.seen.load(Ordering::SeqCst), 2);
    let recorded = || async {
        let log: Value = owner.get(&log_path).await.json().await.unwrap();
        log[0].clone()
    };
    let entry = recorded().await;
    assert_eq!(entry["attempts"], 2, "{entry}");
    assert_eq!(entry["status"], "pending");
    assert_eq!(entry["last_status_code"], 500);

    // The first try's late answer changes nothing: the second one's result
    // stands, and the delivery is tried again after its back-off.
    held.release.notify_one();
    first.await.unwrap().unwrap();
    let now = recorded().await;
    assert_eq!(
        (&now["attempts"], &now["status"], &now["last_status_code"]),
        (&json!(2), &json!("pending"), &json!(500)),
        "{now}"
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_try_that_outlives_its_lease_does_not_undo_the_next_sqlite() {
    a_try_that_outlives_its_lease_does_not_undo_the_next(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_try_that_outlives_its_lease_does_not_undo_the_next_postgres() {
    a_try_that_outlives_its_lease_does_not_undo_the_next(Backend::Postgres).await;
}
