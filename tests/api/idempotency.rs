//! `Idempotency-Key` on every POST that creates something.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};
use crate::on_both_backends;

on_both_backends!(retried_posts_create_once);

async fn retried_posts_create_once(app: &TestApp) {
    let owner = app.signup("ponow").await;
    let post = |path: &str, key: &str, body: Value| {
        owner
            .client
            .post(format!("{}{path}", owner.base))
            .header("x-csrf-token", &owner.csrf)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({"name": "Zofia Ponowna", "email": "zofia.ponowna@example.com"});
    let first = post("/clients", "klient-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = post("/clients", "klient-1", body.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first, "the first answer, not a second client");
    let list: Value = owner.get("/clients").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // The same key with another body: 422, nothing written.
    let resp = post("/clients", "klient-1", json!({"name": "Ktoś Inny"}))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["Idempotency-Key"]);
    let list: Value = owner.get("/clients").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // An error answer is kept too: the retry gets the same 409.
    let dup = json!({"name": "Druga Zofia", "email": "zofia.ponowna@example.com"});
    let a = post("/clients", "klient-2", dup.clone()).await.unwrap();
    assert_eq!(a.status(), StatusCode::CONFLICT);
    let b = post("/clients", "klient-2", dup).await.unwrap();
    assert_eq!(b.status(), StatusCode::CONFLICT);
    assert_eq!(b.headers()["idempotent-replayed"], "true");

    // A new API key's secret replays, and is not kept in the clear.
    let k1: Value = post("/api-keys", "klucz-1", json!({"name": "CRM"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let k2: Value = post("/api-keys", "klucz-1", json!({"name": "CRM"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(k1["secret"], k2["secret"]);
    let keys: Value = owner.get("/api-keys").await.json().await.unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    if let Some((url, prefix)) = &app.redis {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let stored: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}idem:*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert!(stored.len() >= 3, "{stored:?}");
        for key in stored {
            let value: String = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .unwrap();
            for secret in [
                "Zofia Ponowna",
                "zofia.ponowna@example.com",
                k1["secret"].as_str().unwrap(),
            ] {
                assert!(!value.contains(secret), "{secret} in Redis");
            }
        }
    }
    // Keys are per caller: another business's key space is its own.
    let other = app.signup("ponow-inny").await;
    let resp = other
        .client
        .post(format!("{}/clients", other.base))
        .header("x-csrf-token", &other.csrf)
        .header("Idempotency-Key", "klient-1")
        .json(&json!({"name": "Inna Firma"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().get("idempotent-replayed").is_none());
}
