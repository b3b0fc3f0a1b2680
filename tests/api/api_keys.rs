use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};
use crate::on_both_backends;

on_both_backends!(
    api_key_create_use_revoke,
    cli_creates_a_working_key,
    scopes_limit_what_a_key_does,
    a_removed_members_api_keys_are_revoked_with_the_membership,
);

async fn key_status(app: &TestApp, secret: &str) -> StatusCode {
    app.client()
        .get(app.api("/me"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
}

async fn new_key(session: &crate::helpers::Session, name: &str) -> (String, String) {
    let resp = session.post("/api-keys", json!({ "name": name })).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    (
        created["key"]["id"].as_str().unwrap().to_string(),
        created["secret"].as_str().unwrap().to_string(),
    )
}

async fn user_id(owner: &crate::helpers::Session, email: &str) -> String {
    let users: Value = owner.get("/users").await.json().await.unwrap();
    users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .expect("the member")
        .to_string()
}

/// Issue 20, item 16: a key belongs to the person who made it; it goes when
/// their membership goes, or when their new role may not hold keys.
async fn a_removed_members_api_keys_are_revoked_with_the_membership(app: &TestApp) {
    let owner = app.signup("klucze-odejscie").await;
    let (_, owners_key) = new_key(&owner, "owner's CRM").await;
    let leaving = "leaving@klucze-odejscie.example.com";
    let demoted = "demoted@klucze-odejscie.example.com";
    let member = crate::invitations::join(app, &owner, leaving, "admin").await;
    let (member_key_id, member_key) = new_key(&member, "member's sync").await;
    let other = crate::invitations::join(app, &owner, demoted, "admin").await;
    let (_, other_key) = new_key(&other, "other's sync").await;
    assert_eq!(key_status(app, &member_key).await, StatusCode::OK);
    assert_eq!(key_status(app, &other_key).await, StatusCode::OK);

    let resp = owner
        .delete(&format!("/users/{}", user_id(&owner, leaving).await))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(key_status(app, &member_key).await, StatusCode::UNAUTHORIZED);
    let keys: Value = owner.get("/api-keys").await.json().await.unwrap();
    let listed = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == member_key_id.as_str())
        .expect("the revoked key is still listed");
    assert!(listed["revoked_at"].is_string(), "{listed}");

    // Staff may not hold keys: a downgrade to staff revokes them too.
    let resp = owner
        .patch(
            &format!("/users/{}", user_id(&owner, demoted).await),
            json!({"role": "staff"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(key_status(app, &other_key).await, StatusCode::UNAUTHORIZED);
    // The owner's own key is untouched.
    assert_eq!(key_status(app, &owners_key).await, StatusCode::OK);
}

async fn scopes_limit_what_a_key_does(app: &TestApp) {
    let owner = app.signup("zakresy").await;
    let resp = owner
        .post(
            "/api-keys",
            json!({"name": "bad", "scopes": ["bookings:delete"]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(crate::helpers::fields(&problem(resp).await), vec!["scopes"]);
    let created: Value = owner
        .post("/api-keys", json!({"name": "read only", "scopes": ["clients:read", "bookings:read", "catalog:read", "business:read"]}))
        .await
        .json()
        .await
        .unwrap();
    let reader = created["secret"].as_str().unwrap().to_string();
    assert_eq!(created["key"]["scopes"].as_array().unwrap().len(), 4);
    let created: Value = owner
        .post(
            "/api-keys",
            json!({"name": "bookings", "scopes": ["bookings:write"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let booker = created["secret"].as_str().unwrap().to_string();
    let client = app.client();
    let call = |method: reqwest::Method, path: &str, key: &str, body: Option<Value>| {
        let mut req = client.request(method, app.api(path)).bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };

    // A read-only key reads and never writes.
    assert_eq!(
        call(reqwest::Method::GET, "/clients", &reader, None)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call(reqwest::Method::GET, "/services", &reader, None)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    for (method, path, body) in [
        (reqwest::Method::POST, "/clients", json!({"name": "X"})),
        (reqwest::Method::PATCH, "/business", json!({"name": "X"})),
        (
            reqwest::Method::POST,
            "/services",
            json!({"name": "X", "duration_min": 30}),
        ),
    ] {
        let resp = call(method.clone(), path, &reader, Some(body))
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let p = problem(resp).await;
        assert!(
            p["type"].as_str().unwrap().ends_with("/insufficient-scope"),
            "{p}"
        );
    }
    // A bookings key: bookings and availability, nothing of clients.
    assert_eq!(
        call(reqwest::Method::GET, "/bookings", &booker, None)
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call(reqwest::Method::GET, "/clients", &booker, None)
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let me = call(reqwest::Method::GET, "/me", &booker, None)
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK, "any key may ask who it is");
    // Nothing was written by the refused calls.
    let clients: Value = owner.get("/clients").await.json().await.unwrap();
    assert!(clients["items"].as_array().unwrap().is_empty());
    let business: Value = owner.get("/business").await.json().await.unwrap();
    assert_eq!(business["name"], "Salon zakresy");
}

async fn api_key_create_use_revoke(app: &TestApp) {
    let owner = app.signup("integracja").await;
    let resp = owner.post("/api-keys", json!({"name": "CRM sync"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("tmk_"));
    let id = created["key"]["id"].as_str().unwrap().to_string();

    // The list never shows the secret.
    let list = owner.get("/api-keys").await.text().await.unwrap();
    assert!(!list.contains(&secret));
    assert!(list.contains(&secret[..12]));

    let client = app.client();
    let me: Value = client
        .get(app.api("/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["business"]["slug"], "integracja");
    assert_eq!(me["role"], "admin");
    // Bearer calls need no CSRF token.
    let resp = client
        .patch(app.api("/business"))
        .bearer_auth(&secret)
        .json(&json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let list: Value = owner.get("/api-keys").await.json().await.unwrap();
    assert!(list[0]["last_used_at"].is_string());
    // A key cannot make more keys.
    let resp = client
        .post(app.api("/api-keys"))
        .bearer_auth(&secret)
        .json(&json!({"name": "spawn"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = owner.delete(&format!("/api-keys/{id}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = client
        .get(app.api("/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    problem(resp).await;
    let resp = client
        .get(app.api("/me"))
        .bearer_auth("tmk_made_up")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

async fn cli_creates_a_working_key(app: &TestApp) {
    app.signup("cli-key").await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_termino"))
        .args([
            "api-key",
            "create",
            "--tenant",
            "cli-key",
            "--name",
            "Zapier",
            "--scope",
            "business:read",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("TERMINO_DATA_DIR", &app.data_dir)
        .env(
            "KEYSTORE_URL",
            termino_store::sqlite_url(&app.data_dir.join("keystore.db")),
        )
        .env_remove("REDIS_URL")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout.lines().last().unwrap().trim().to_string();
    let resp = app
        .client()
        .get(app.api("/me"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The scope given on the command line holds: read, not write.
    let resp = app
        .client()
        .get(app.api("/business"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .client()
        .patch(app.api("/business"))
        .bearer_auth(&key)
        .json(&json!({"name": "CLI"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_termino"))
        .args([
            "api-key",
            "create",
            "--tenant",
            "no-such-business",
            "--name",
            "x",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("TERMINO_DATA_DIR", &app.data_dir)
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
}
