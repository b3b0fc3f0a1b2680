use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, fields, link_token, owner_email, problem};
use crate::on_both_backends;

on_both_backends!(password_reset_by_email_link);

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
    app.wait_for_mails(&email, 2).await;
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
