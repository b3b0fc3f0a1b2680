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

/// A test body taking the backend (it starts its own server with its own
/// settings), run on both.
macro_rules! with_settings_on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

with_settings_on_both_backends!(
    random_bearers_are_rate_limited_by_address,
    graphql_is_rate_limited_by_requests_and_cost,
    web_forms_are_rate_limited,
    forwarded_for_is_believed_only_from_trusted_proxies,
);

/// Issue 20, item 5: a credential that does not authenticate counts
/// against the caller's address, so a new random bearer per request does
/// not escape the limit, and leaves nothing behind in the store.
async fn random_bearers_are_rate_limited_by_address(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_per_key = 30;
        s.rate_limit_public = 30;
    })
    .await
    else {
        return;
    };
    let entries_before = app.app().kv().memory_entries();
    let client = app.client();
    let mut statuses = Vec::new();
    for _ in 0..80 {
        let resp = client
            .get(app.api("/business"))
            .bearer_auth(format!("tmk_{}", uuid::Uuid::new_v4().simple()))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status());
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((refused, limited), (30, 50), "{statuses:?}");
    // One counter for the address, not one per made-up key.
    if let (Some(before), Some(after)) = (entries_before, app.app().kv().memory_entries()) {
        assert!(after <= before + 1, "{before} entries, then {after}");
    }
    // /graphql counts against the same address.
    let resp = client
        .post(format!("{}/graphql", app.url))
        .bearer_auth("tmk_made_up")
        .json(&serde_json::json!({"query": "{ business { name } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    problem(resp).await;
    app.finish().await;
}

/// A query of 300 aliased lists (complexity 900).
fn costly_query() -> String {
    let fields: String = (0..300)
        .map(|i| format!("s{i}: services {{ id name }} "))
        .collect();
    format!("{{ {fields} }}")
}

/// `/graphql` is limited per API key like REST, and a costly query counts
/// for more than one request (one more per 100 of complexity).
async fn graphql_is_rate_limited_by_requests_and_cost(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_per_key = 10;
    })
    .await
    else {
        return;
    };
    let owner = app.signup("limity-gql").await;
    let (plain, costly) = (
        crate::graphql::api_key(&owner).await,
        crate::graphql::api_key(&owner).await,
    );
    let ask = |key: &str, query: String| {
        app.client()
            .post(format!("{}/graphql", app.url))
            .bearer_auth(key)
            .json(&serde_json::json!({ "query": query }))
            .send()
    };
    for i in 1..=10 {
        let resp = ask(&plain, "{ business { name } }".into()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "query {i}");
    }
    let resp = ask(&plain, "{ business { name } }".into()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    problem(resp).await;

    let resp = ask(&costly, costly_query()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert!(answer["errors"].is_null(), "{answer}");
    let resp = ask(&costly, "{ business { name } }".into()).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the costly query used up the key's minute"
    );
    app.finish().await;
}

/// Log-in, sign-up, password reset, the booking form and data requests on
/// the pages count against the address; reading pages does not.
async fn web_forms_are_rate_limited(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_public = 3;
    })
    .await
    else {
        return;
    };
    let client = app.client();
    let post = |path: &str| {
        client
            .post(format!("{}{path}", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=someone%40example.com&password=nope&csrf_token=x")
            .send()
    };
    for i in 1..=3 {
        let resp = post("/login").await.unwrap();
        assert_ne!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "form {i}");
    }
    for path in [
        "/login",
        "/signup",
        "/reset",
        "/b/nobody/details",
        "/b/nobody/your-data",
    ] {
        let resp = post(path).await.unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(resp.headers().contains_key("retry-after"), "{path}");
    }
    let page = client
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "pages are still shown");
    app.finish().await;
}

/// Issue 20, item 8: without trusted proxies `X-Forwarded-For` is ignored
/// (a client cannot pick its own bucket); behind one, each client has its
/// own, taken from the right-most hop the proxy added.
async fn forwarded_for_is_believed_only_from_trusted_proxies(backend: Backend) {
    let call = |app: &TestApp, forwarded: &str| {
        app.client()
            .get(app.api("/public/nobody/services"))
            .header("x-forwarded-for", forwarded.to_string())
            .send()
    };
    let Some(app) = TestApp::spawn_with(backend, |s| s.rate_limit_public = 2).await else {
        return;
    };
    for ip in ["198.51.100.1", "198.51.100.2"] {
        assert_ne!(
            call(&app, ip).await.unwrap().status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    let resp = call(&app, "198.51.100.3").await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a spoofed header does not open a new bucket"
    );
    app.finish().await;

    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.rate_limit_public = 2;
        s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await
    else {
        return;
    };
    for forwarded in ["203.0.113.7", "6.6.6.6, 203.0.113.7"] {
        assert_ne!(
            call(&app, forwarded).await.unwrap().status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{forwarded}"
        );
    }
    // What the client itself wrote (left of the proxy's entry) is not
    // believed: this is still 203.0.113.7.
    let resp = call(&app, "7.7.7.7, 203.0.113.7").await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has a budget of its own.
    let resp = call(&app, "198.51.100.9").await.unwrap();
    assert_ne!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    app.finish().await;
}
