//! Where webhooks may go (issue 20, items 3 and 4): never into Termino's
//! own network unless the operator allows it — checked when an endpoint is
//! created and again, against the resolved address, at every delivery; no
//! redirects; a delivery log that tells nothing about what a refused target
//! would have answered; and client personal data only where the owner,
//! signed in, said so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Route, handler, post};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, fields, problem};
use crate::on_both_backends;
use crate::webhooks::Receiver;

on_both_backends!(personal_data_in_webhooks_needs_the_owners_consent);

/// An API key of the business with the given scopes.
async fn key_with(owner: &crate::helpers::Session, scopes: Value) -> String {
    let resp = owner
        .post("/api-keys", json!({"name": "hooks", "scopes": scopes}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    created["secret"].as_str().unwrap().to_string()
}

async fn create_endpoint(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.client()
        .post(app.api("/webhook-endpoints"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The newest entry of an endpoint's delivery log.
async fn last_delivery(app: &TestApp, key: &str, endpoint: &str) -> Value {
    let log: Value = app
        .client()
        .get(app.api(&format!("/webhook-endpoints/{endpoint}/deliveries")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log[0].clone()
}

/// Past any lease the server's own worker may hold, one delivery pass of
/// our own: its result is the one the log shows.
async fn deliver_now(app: &TestApp) {
    app.clock.advance(chrono::Duration::minutes(3));
    app.app().deliver_due_webhooks().await.unwrap();
}

async fn webhook_ssrf_is_refused_at_creation_and_at_delivery(backend: Backend) {
    // The operator allows private targets at first, so that rows pointing
    // at the loopback receiver exist, as they would after a DNS change.
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    let (receiver, url) = Receiver::start(0).await;
    let port = url.rsplit(':').next().unwrap().trim_end_matches("/hook");
    let owner = app.signup("ssrf").await;
    let key = key_with(&owner, json!(["business:write", "clients:write"])).await;
    let mut endpoints = Vec::new();
    for target in [
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ] {
        let resp = create_endpoint(
            &app,
            &key,
            json!({"url": target, "events": ["client.created"]}),
        )
        .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{target}");
        let created: Value = resp.json().await.unwrap();
        endpoints.push(created["endpoint"]["id"].as_str().unwrap().to_string());
    }

    app.restart(|s| s.webhooks_allow_private = false)
        .await
        .unwrap();
    for target in [
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://[::ffff:7f00:1]:{port}/hook"),
        format!("http://localhost.:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://LOCALHOST:{port}/hook"),
        format!("http://hooks.localhost:{port}/hook"),
        format!("http://ip6-localhost:{port}/hook"),
        format!("http://0.0.0.0:{port}/hook"),
        format!("http://[::]:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://0177.0.0.1:{port}/hook"),
        format!("http://0x7f.1:{port}/hook"),
        "http://10.1.2.3/hook".into(),
        "http://172.16.0.1/hook".into(),
        "http://192.168.1.1/hook".into(),
        "http://100.64.0.1/hook".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://[fd00:ec2::254]/latest/meta-data/".into(),
        "http://[fc00::1]/hook".into(),
        "http://[fe80::1]/hook".into(),
        "http://[64:ff9b::7f00:1]/hook".into(),
        "http://[2002:7f00:1::]/hook".into(),
        "http://192.0.2.1/hook".into(),
        "http://198.18.0.1/hook".into(),
        "http://203.0.113.5/hook".into(),
        "http://[2001:db8::1]/hook".into(),
        "http://255.255.255.255/hook".into(),
        "http://224.0.0.1/hook".into(),
    ] {
        let resp = create_endpoint(
            &app,
            &key,
            json!({"url": target, "events": ["client.created"]}),
        )
        .await;
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target} must be refused"
        );
        assert_eq!(fields(&problem(resp).await), vec!["url"], "{target}");
    }

    // The rows made before are refused when they are due: nothing reaches
    // the receiver, and the log names a category, not what was answered.
    let resp = app
        .client()
        .post(app.api("/clients"))
        .bearer_auth(&key)
        .json(&json!({"name": "Sara Sieciowa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    deliver_now(&app).await;
    assert!(receiver.hits().is_empty(), "nothing reached the receiver");
    for endpoint in &endpoints {
        let entry = last_delivery(&app, &key, endpoint).await;
        assert_eq!(entry["last_error"], "refused: private address", "{entry}");
        assert!(entry.get("last_status_code").is_none(), "{entry}");
        assert_eq!(entry["status"], "pending", "retried later, never sent");
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_ssrf_is_refused_at_creation_and_at_delivery_sqlite() {
    webhook_ssrf_is_refused_at_creation_and_at_delivery(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_ssrf_is_refused_at_creation_and_at_delivery_postgres() {
    webhook_ssrf_is_refused_at_creation_and_at_delivery(Backend::Postgres).await;
}

/// An endpoint that answers every delivery with a redirect.
#[derive(Clone)]
struct Redirector {
    to: String,
    hits: Arc<AtomicU32>,
}

#[handler]
fn redirect_hook(Data(r): Data<&Redirector>) -> poem::Response {
    r.hits.fetch_add(1, Ordering::SeqCst);
    poem::Response::builder()
        .status(poem::http::StatusCode::FOUND)
        .header("location", r.to.clone())
        .body("moved")
}

/// A 302 is a failed attempt: the target it names gets nothing, even where
/// private targets are allowed.
async fn webhook_redirects_are_not_followed(app: &TestApp) {
    let (second, second_url) = Receiver::start(0).await;
    let redirector = Redirector {
        to: second_url,
        hits: Arc::default(),
    };
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let routes = Route::new()
        .at("/hook", post(redirect_hook))
        .data(redirector.clone());
    tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(routes).await });

    let owner = app.signup("ssrf-redirect").await;
    let resp = owner
        .post(
            "/webhook-endpoints",
            json!({"url": format!("http://{addr}/hook"), "events": ["client.created"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let endpoint: Value = resp.json().await.unwrap();
    let resp = owner
        .post("/clients", json!({"name": "Rafał Przekierowany"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    deliver_now(app).await;
    assert!(redirector.hits.load(Ordering::SeqCst) >= 1);
    assert!(second.hits().is_empty(), "the redirect was not followed");
    let log: Value = owner
        .get(&format!(
            "/webhook-endpoints/{}/deliveries",
            endpoint["endpoint"]["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["last_status_code"], 302, "{log}");
    assert_eq!(log[0]["last_error"], "HTTP 302", "{log}");
    assert_eq!(log[0]["status"], "pending");
}

on_both_backends!(webhook_redirects_are_not_followed);

/// Client names and contact details leave Termino through a webhook only
/// when the owner, signed in, switches them on: no API key can, whatever
/// its scopes. The switch is in the audit log and in the records of
/// processing as a recipient.
async fn personal_data_in_webhooks_needs_the_owners_consent(app: &TestApp) {
    let (receiver, url) = Receiver::start(0).await;
    let owner = app.signup("pii-hooks").await;
    let body = json!({"url": url, "events": ["client.created"], "include_personal_data": true});
    for scopes in [
        json!(["business:write"]),
        json!(["business:write", "clients:read"]),
    ] {
        let key = key_with(&owner, scopes.clone()).await;
        let resp = create_endpoint(app, &key, body.clone()).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "a key with {scopes}");
        assert!(
            problem(resp).await["type"]
                .as_str()
                .unwrap()
                .ends_with("/forbidden")
        );
        let answer = crate::graphql::gql(
            app,
            &key,
            "mutation($url: String!) { createWebhookEndpoint(url: $url, events: [\"client.created\"], includePersonalData: true) { id } }",
            json!({"url": url}),
        )
        .await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "forbidden",
            "{answer}"
        );
        // Ids only: that a key may still do.
        let resp =
            create_endpoint(app, &key, json!({"url": url, "events": ["client.created"]})).await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }

    let resp = owner.post("/webhook-endpoints", body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let id = created["endpoint"]["id"].as_str().unwrap().to_string();
    assert_eq!(created["endpoint"]["include_personal_data"], true);

    let audit: Value = owner.get("/audit-events").await.json().await.unwrap();
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "webhook.personal_data_enabled")
        .unwrap_or_else(|| panic!("no audit entry: {audit}"));
    assert_eq!(entry["target_id"], id.as_str());
    assert_eq!(entry["actor_kind"], "user");

    let records = owner
        .get("/records-of-processing")
        .await
        .text()
        .await
        .unwrap();
    let host = url.trim_start_matches("http://").split('/').next().unwrap();
    let recipients = records
        .lines()
        .find(|l| l.contains("Recipients"))
        .unwrap_or_default()
        .to_string();
    assert!(
        recipients.contains(host) && recipients.contains("webhook"),
        "{recipients}"
    );

    // Only the owner's endpoint gets the client's details.
    let resp = owner
        .post(
            "/clients",
            json!({"name": "Paula Prywatna", "email": "paula@example.com"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    crate::webhooks::deliver_expecting(app, &receiver, 3).await;
    let mut with_details = std::collections::BTreeSet::new();
    let mut ids_only = std::collections::BTreeSet::new();
    for hit in receiver.hits() {
        if hit.body.contains("paula@example.com") {
            with_details.insert(hit.id);
        } else {
            ids_only.insert(hit.id);
        }
    }
    assert_eq!(
        (with_details.len(), ids_only.len()),
        (1, 2),
        "only the owner's endpoint gets the details"
    );
}
