use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, pg_execute, with_database};
use crate::{on_both_backends, on_postgres};

on_both_backends!(health_ready_and_the_spec);
on_postgres!(ready_fails_when_the_database_is_unreachable);

async fn health_ready_and_the_spec(app: &TestApp) {
    let client = app.client();
    let health: Value = client
        .get(format!("{}/health", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let resp = client
        .get(format!("{}/ready", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key("x-request-id"));
    let ready: Value = resp.json().await.unwrap();
    assert_eq!(ready["checks"]["database"], "ok");
    assert_eq!(ready["checks"]["keystore"], "ok");
    if app.redis.is_some() {
        assert_eq!(ready["checks"]["redis"], "ok");
    }
    let spec: Value = client
        .get(app.api("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/auth/signup",
        "/auth/login",
        "/me",
        "/business",
        "/users/{id}",
        "/api-keys/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "spec lacks {path}");
    }
    let docs = client
        .get(format!("{}/api/docs", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
}

async fn ready_fails_when_the_database_is_unreachable(app: &TestApp) {
    let admin = std::env::var("TEST_DATABASE_URL").unwrap();
    let db = app
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let _ = with_database(&admin, &db);
    pg_execute(
        &admin,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"),
    )
    .await;
    pg_execute(&admin, &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()")).await;
    let resp = app
        .client()
        .get(format!("{}/ready", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["checks"]["database"], "unavailable");
    // And it recovers.
    pg_execute(
        &admin,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
    )
    .await;
    let status = app
        .client()
        .get(format!("{}/ready", app.url))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
}

/// The whole OpenAPI document is a snapshot: an accidental change to the
/// public API fails here and shows in review. After a deliberate change,
/// run the tests once with `UPDATE_SNAPSHOTS=1` and commit the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut spec: Value = app
        .client()
        .get(app.api("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The server address differs from run to run.
    spec["servers"] = serde_json::json!([{"url": "http://127.0.0.1:8080/api/v1"}]);
    let text = serde_json::to_string_pretty(&spec).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/api/snapshots/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &text).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    app.finish().await;
    assert!(
        stored == text,
        "the OpenAPI document changed; if that was meant, run `UPDATE_SNAPSHOTS=1 cargo test` and commit tests/api/snapshots/openapi.json"
    );
}
