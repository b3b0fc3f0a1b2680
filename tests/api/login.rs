use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, owner_email, problem};
use crate::{on_both_backends, on_postgres};

on_both_backends!(
    login_and_logout,
    bad_credentials_get_one_message,
    failures_are_throttled_per_account,
    failures_are_throttled_per_address,
    the_login_throttle_is_atomic_under_parallel_wrong_passwords,
    sessions_expire_when_idle,
    cookie_requests_need_the_csrf_token,
);
// The SQLite variants keep sessions in the process.
on_postgres!(sessions_live_in_redis_when_configured);

async fn sessions_live_in_redis_when_configured(app: &TestApp) {
    let Some((url, prefix)) = &app.redis else {
        crate::helpers::skip("TEST_REDIS_URL is not set");
        return;
    };
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        let pattern = format!("{prefix}sess:*");
        async move {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(pattern)
                .query_async(&mut conn)
                .await
                .unwrap();
            keys
        }
    };
    assert!(keys(&mut conn).await.is_empty());
    let owner = app.signup("redis-sesja").await;
    let stored = keys(&mut conn).await;
    assert_eq!(stored.len(), 1);
    let value: String = redis::cmd("GET")
        .arg(&stored[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        !value.contains(&owner_email("redis-sesja")),
        "ids only in Redis"
    );
    assert!(!stored[0].contains(&owner.csrf));
    let ttl: i64 = redis::cmd("TTL")
        .arg(&stored[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 12 * 3600);
    owner.post("/auth/logout", json!({})).await;
    assert!(keys(&mut conn).await.is_empty());
}

async fn login_and_logout(app: &TestApp) {
    app.signup("gabinet").await;
    let session = app.login(&owner_email("gabinet"), PASSWORD).await;
    assert_eq!(session.get("/me").await.status(), StatusCode::OK);
    let resp = session.post("/auth/logout", json!({})).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Max-Age=0"));
    // The old cookie value is dead on the server too.
    assert_eq!(session.get("/me").await.status(), StatusCode::UNAUTHORIZED);
}

async fn bad_credentials_get_one_message(app: &TestApp) {
    app.signup("masaz").await;
    let wrong_password = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": owner_email("masaz"), "password": "Nie-To-Haslo-99"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    let a = problem(wrong_password).await;
    let unknown = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let b = problem(unknown).await;
    assert_eq!(
        a, b,
        "unknown account and wrong password must look the same"
    );
}

async fn failures_are_throttled_per_account(app: &TestApp) {
    app.signup("throttle").await;
    let email = owner_email("throttle");
    for _ in 0..5 {
        let resp = app
            .client()
            .post(app.api("/auth/login"))
            .json(&json!({"email": email, "password": "Wrong-Password-1"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits.
    let resp = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": email.to_uppercase(), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    let p = problem(resp).await;
    assert!(p["type"].as_str().unwrap().ends_with("/too-many-attempts"));
}

/// Issue 20, item 6: the throttle decides with one atomic counter update,
/// so a burst of parallel guesses gets no more verdicts than the limit.
async fn the_login_throttle_is_atomic_under_parallel_wrong_passwords(app: &TestApp) {
    app.signup("rownolegle").await;
    let email = owner_email("rownolegle");
    let client = app.client();
    let guesses = (0..40).map(|i| {
        client
            .post(app.api("/auth/login"))
            .json(&json!({"email": email, "password": format!("Wrong-Password-{i}")}))
            .send()
    });
    let answers = futures_util::future::join_all(guesses).await;
    let statuses: Vec<StatusCode> = answers.into_iter().map(|r| r.unwrap().status()).collect();
    let judged = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(judged + throttled, 40, "{statuses:?}");
    assert!(
        (1..=5).contains(&judged),
        "{judged} guesses were judged with a limit of 5"
    );
    // The account stays locked for the right password too.
    let resp = client
        .post(app.api("/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn failures_are_throttled_per_address(app: &TestApp) {
    app.signup("ip-limit").await;
    // Failures spread over many accounts from one address.
    for i in 0..20 {
        let resp = app
            .client()
            .post(app.api("/auth/login"))
            .json(&json!({"email": format!("guess{i}@example.com"), "password": "Whatever-123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": owner_email("ip-limit"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn sessions_expire_when_idle(app: &TestApp) {
    let owner = app.signup("idle").await;
    assert_eq!(owner.get("/me").await.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(11));
    // Activity slides the window…
    assert_eq!(owner.get("/me").await.status(), StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(11));
    assert_eq!(owner.get("/me").await.status(), StatusCode::OK);
    // …but 12 idle hours end it.
    app.clock
        .advance(chrono::Duration::hours(12) + chrono::Duration::minutes(1));
    let resp = owner.get("/me").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    problem(resp).await;
}

async fn cookie_requests_need_the_csrf_token(app: &TestApp) {
    let owner = app.signup("csrf").await;
    let url = app.api("/business");
    let no_token = owner
        .client
        .patch(&url)
        .json(&json!({"name": "Hacked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert!(
        problem(no_token).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/csrf")
    );
    let wrong = owner
        .client
        .patch(&url)
        .header("x-csrf-token", "nope")
        .json(&json!({"name": "Hacked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let me: Value = owner.get("/business").await.json().await.unwrap();
    assert_eq!(me["name"], "Salon csrf", "refused requests changed nothing");
    let ok = owner
        .patch("/business", json!({"name": "Salon Nowy"}))
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let me: Value = ok.json().await.unwrap();
    assert_eq!(me["name"], "Salon Nowy");
}
