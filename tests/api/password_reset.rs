use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, fields, link_token, owner_email, problem};
use crate::on_both_backends;

on_both_backends!(
    password_reset_by_email_link,
    password_reset_mails_are_throttled_per_address,
    a_newer_reset_link_voids_the_older,
    a_reset_link_dies_when_the_password_changes_elsewhere,
);

/// How many reset mails were queued for an address: read from the outbox,
/// where a request leaves its mail before it answers (no waiting).
async fn reset_mails_queued(app: &TestApp, email: &str) -> usize {
    termino_app::mail::outbox(app.app())
        .await
        .unwrap()
        .iter()
        .filter(|m| m.recipient == email)
        .count()
}

/// The links of the first `n` reset mails to an address, oldest first.
async fn reset_tokens(app: &TestApp, email: &str, n: usize) -> Vec<String> {
    app.expect_mails(email, n).await;
    app.all_mail_to(email)
        .iter()
        .map(|m| link_token(m, "/reset/"))
        .collect()
}

async fn ask_for_reset(app: &TestApp, email: &str) {
    let resp = app
        .client()
        .post(app.api("/auth/password-reset"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

async fn confirm_reset(app: &TestApp, token: &str, password: &str) -> StatusCode {
    app.client()
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// Issue 20, item 13: at most three reset mails an hour per address; the
/// fourth request gets the same neutral answer and sends nothing.
async fn password_reset_mails_are_throttled_per_address(app: &TestApp) {
    app.signup("reset-limit").await;
    let email = owner_email("reset-limit");
    for _ in 0..4 {
        ask_for_reset(app, &email).await;
    }
    assert_eq!(reset_mails_queued(app, &email).await, 3);
    // Unknown addresses get the same answer and are never mailed.
    for _ in 0..4 {
        ask_for_reset(app, "nobody-here@example.com").await;
    }
    assert_eq!(reset_mails_queued(app, "nobody-here@example.com").await, 0);
}

/// Issue 20, item 13: only the newest link works.
async fn a_newer_reset_link_voids_the_older(app: &TestApp) {
    app.signup("reset-newer").await;
    let email = owner_email("reset-newer");
    ask_for_reset(app, &email).await;
    ask_for_reset(app, &email).await;
    let tokens = reset_tokens(app, &email, 2).await;
    assert_eq!(tokens.len(), 2);
    assert_eq!(
        confirm_reset(app, &tokens[0], "Stary-Link-Nie-Dziala-1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the older link is void once a newer one is sent"
    );
    assert_eq!(
        confirm_reset(app, &tokens[1], "Nowy-Link-Dziala-2027").await,
        StatusCode::NO_CONTENT
    );
    app.login(&email, "Nowy-Link-Dziala-2027").await;
}

/// Issue 20, item 13: a link dies when the password is changed another way
/// (here the operator's `set_password_for_email`, as `termino demo` uses),
/// and that change ends every session.
async fn a_reset_link_dies_when_the_password_changes_elsewhere(app: &TestApp) {
    let owner = app.signup("reset-elsewhere").await;
    let email = owner_email("reset-elsewhere");
    ask_for_reset(app, &email).await;
    let tokens = reset_tokens(app, &email, 1).await;
    app.app()
        .set_password_for_email(&email, "Zmienione-Gdzie-Indziej-5")
        .await
        .unwrap();
    assert_eq!(owner.get("/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        confirm_reset(app, &tokens[0], "Przejete-Konto-Haslo-6").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the link from before the change is void"
    );
    app.login(&email, "Zmienione-Gdzie-Indziej-5").await;
}

async fn password_reset_by_email_link(app: &TestApp) {
    let owner = app.signup("reset-me").await;
    let email = owner_email("reset-me");
    // Unknown addresses get the same answer and no mail.
    let resp = app
        .client()
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": "stranger@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let resp = app
        .client()
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    let mail = app.mail_to(&email).await;
    let subject = mail.lines().find(|l| l.starts_with("Subject: ")).unwrap();
    assert!(
        subject.contains("=?utf-8?"),
        "the Polish subject is encoded: {subject}"
    );
    let token = link_token(&mail, "/reset/");
    assert!(token.len() >= 40);
    assert_eq!(app.mails_to("stranger@example.com"), 0);

    // A weak password is refused and the link still works afterwards.
    let resp = app
        .client()
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "haslo12345"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["password"]);

    let new_password = "Nowe-Haslo-Na-Wiosne-2027";
    let resp = app
        .client()
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": new_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);

    // The old session ended; the old password is gone; the new one works.
    assert_eq!(owner.get("/me").await.status(), StatusCode::UNAUTHORIZED);
    let resp = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    app.login(&email, new_password).await;

    // The link works once.
    let resp = app
        .client()
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "Jeszcze-Inne-Haslo-77"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), vec!["token"]);

    // And a link expires after an hour.
    let resp = app
        .client()
        .post(app.api("/auth/password-reset"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    app.expect_mails(&email, 2).await;
    assert_eq!(app.mails_to(&email), 2);
    app.clock.advance(chrono::Duration::minutes(61));
    let token = link_token(&app.latest_mail_to(&email), "/reset/");
    let resp = app
        .client()
        .post(app.api("/auth/password-reset/confirm"))
        .json(&json!({"token": token, "password": "Jeszcze-Inne-Haslo-77"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
