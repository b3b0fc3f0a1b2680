use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, problem};

/// Per API key, and per address for calls without credentials; headers on
/// every answer; 429 problem+json with Retry-After past the limit; keys and
/// addresses do not share a budget.
async fn limits_per_key_and_per_address(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_per_key = 5;
        s.rate_limit_public = 4;
    })
    .await
    else {
        return;
    };
    let owner = app.signup("limity").await;
    let key = |name: &str| {
        let owner = &owner;
        let name = name.to_string();
        async move {
            let created: serde_json::Value = owner
                .post("/api-keys", serde_json::json!({"name": name}))
                .await
                .json()
                .await
                .unwrap();
            created["secret"].as_str().unwrap().to_string()
        }
    };
    let (first, second) = (key("pierwszy").await, key("drugi").await);
    let client = app.client();
    for i in 1..=5u64 {
        let resp = client
            .get(app.api("/business"))
            .bearer_auth(&first)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "call {i}");
        let header = resp.headers()["ratelimit"].to_str().unwrap().to_string();
        assert!(header.contains(&format!("remaining={}", 5 - i)), "{header}");
        assert_eq!(resp.headers()["ratelimit-policy"], "5;w=60");
    }
    let resp = client
        .get(app.api("/business"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/rate-limited")
    );
    // Another key of the same business has its own budget.
    let resp = client
        .get(app.api("/business"))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // Public calls: per address (the sign-up above was the first of 4).
    for _ in 0..3 {
        let resp = client
            .get(app.api("/public/limity/services"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let resp = client
        .get(app.api("/public/limity/services"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    problem(resp).await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_per_key_and_per_address_sqlite() {
    limits_per_key_and_per_address(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_per_key_and_per_address_postgres() {
    limits_per_key_and_per_address(Backend::Postgres).await;
}
