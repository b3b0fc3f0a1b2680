//! `Idempotency-Key` on every POST that creates something.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fields, problem};
use crate::on_both_backends;
use crate::scheduling::{booking_body, day_ahead, salon, slots};

on_both_backends!(
    retried_posts_create_once,
    idempotency_keys_are_scoped_to_the_principal_that_made_them,
);

/// Issue 20, item 17: one business's two API keys, and a public caller,
/// sending the same Idempotency-Key never get each other's stored answer
/// (a booking's answer carries its manage token and the client's notes).
async fn idempotency_keys_are_scoped_to_the_principal_that_made_them(app: &TestApp) {
    let s = salon(app, "idem-zakres", json!({"capacity": 3})).await;
    let mut secrets = Vec::new();
    for name in ["sync A", "sync B"] {
        let created: Value = s
            .owner
            .post("/api-keys", json!({ "name": name }))
            .await
            .json()
            .await
            .unwrap();
        secrets.push(created["secret"].as_str().unwrap().to_string());
    }
    let start = slots(app, &s, day_ahead(6), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let body = booking_body(&s, &start, "zuzanna@example.com");
    let post = |path: &str, key: Option<&str>, body: &Value| {
        let mut req = app
            .client()
            .post(app.api(path))
            .header("Idempotency-Key", "zamowienie-1")
            .json(body);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req.send()
    };

    let a = post("/bookings", Some(&secrets[0]), &body).await.unwrap();
    assert_eq!(a.status(), StatusCode::CREATED);
    let a: Value = a.json().await.unwrap();
    // The same key and body from key B: B's own booking, not A's answer.
    let b = post("/bookings", Some(&secrets[1]), &body).await.unwrap();
    assert_eq!(b.status(), StatusCode::CREATED, "not a replay of A's");
    let b: Value = b.json().await.unwrap();
    assert_ne!(b["booking"]["id"], a["booking"]["id"]);
    assert_ne!(b["manage_token"], a["manage_token"]);
    // A public caller with the same key and body: not A's answer either.
    let p = post(&format!("/public/{}/bookings", s.slug), None, &body)
        .await
        .unwrap();
    assert_eq!(p.status(), StatusCode::CREATED, "not a replay of A's");
    let p: Value = p.json().await.unwrap();
    assert_ne!(p["manage_token"], a["manage_token"]);
    assert_ne!(p["booking"]["id"], a["booking"]["id"]);
    // A's own retry still replays A's answer.
    let again = post("/bookings", Some(&secrets[0]), &body).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["manage_token"], a["manage_token"]);

    // Other creating POSTs: B's request with A's key is B's own.
    let a = post(
        "/clients",
        Some(&secrets[0]),
        &json!({"name": "Klientka A", "email": "a@idem.example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(a.status(), StatusCode::CREATED);
    let b = post(
        "/clients",
        Some(&secrets[1]),
        &json!({"name": "Klientka B", "email": "b@idem.example.com"}),
    )
    .await
    .unwrap();
    assert_eq!(b.status(), StatusCode::CREATED, "not A's key reused");
    assert!(b.headers().get("idempotent-replayed").is_none());
}

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
