use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, fields, owner_email, problem, signup_body};
use crate::on_both_backends;

on_both_backends!(
    signup_starts_a_trial_and_signs_in,
    each_invalid_field_is_named,
    duplicate_slug_and_email_conflict,
    racing_signups_for_one_slug_make_one_business,
);

async fn signup_starts_a_trial_and_signs_in(app: &TestApp) {
    let owner = app.signup("studio-lena").await;
    let me: Value = owner.get("/me").await.json().await.unwrap();
    assert_eq!(me["business"]["slug"], "studio-lena");
    assert_eq!(me["business"]["plan"], "trial");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["user"]["email"], owner_email("studio-lena"));
    let started =
        chrono::DateTime::parse_from_rfc3339(me["business"]["plan_started_at"].as_str().unwrap())
            .unwrap();
    let ends =
        chrono::DateTime::parse_from_rfc3339(me["business"]["trial_ends_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(ends - started, chrono::Duration::days(14));
    assert_eq!(me["csrf_token"], owner.csrf.as_str());
}

async fn each_invalid_field_is_named(app: &TestApp) {
    let cases: &[(&str, Value, &str)] = &[
        ("company_name", json!(""), "required"),
        ("slug", json!("ab"), "too_short"),
        ("slug", json!("api"), "reserved"),
        ("slug", json!("Bad Slug!"), "invalid_chars"),
        ("owner_name", json!("   "), "required"),
        ("email", json!("not-an-email"), "invalid_email"),
        ("phone", json!("12"), "invalid_phone"),
        ("password", json!("password123"), "too_short"),
        ("password", json!("qwertyuiop12"), "weak_password"),
        ("time_zone", json!("Mars/Olympus_Mons"), "invalid_time_zone"),
        ("language", json!("de"), "invalid_language"),
    ];
    for (field, value, code) in cases {
        let mut body = signup_body("valid-slug");
        body[*field] = value.clone();
        let resp = app
            .client()
            .post(app.api("/auth/signup"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        let p = problem(resp).await;
        assert_eq!(fields(&p), vec![field.to_string()], "{field}={value}: {p}");
        let got_code = p["invalid-params"][0]["code"].as_str().unwrap();
        assert!(
            got_code == *code || (*code == "too_short" && got_code == "weak_password"),
            "{field}={value}: expected {code}, got {got_code}"
        );
    }
    // Nothing was created by any of them: the slug is still free.
    let resp = app
        .client()
        .post(app.api("/auth/signup"))
        .json(&signup_body("valid-slug"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Several bad fields at once are all reported.
    let mut body = signup_body("other-slug");
    body["email"] = json!("x");
    body["phone"] = json!("x");
    let p = problem(
        app.client()
            .post(app.api("/auth/signup"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut named = fields(&p);
    named.sort();
    assert_eq!(named, vec!["email", "phone"]);
}

async fn duplicate_slug_and_email_conflict(app: &TestApp) {
    app.signup("fryzjer").await;
    let mut body = signup_body("fryzjer");
    body["email"] = json!("someone.else@example.com");
    let resp = app
        .client()
        .post(app.api("/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let p = problem(resp).await;
    assert!(p["type"].as_str().unwrap().ends_with("/slug-taken"));
    assert_eq!(fields(&p), vec!["slug"]);

    let mut body = signup_body("fryzjer-2");
    body["email"] = json!(owner_email("fryzjer").to_uppercase());
    let resp = app
        .client()
        .post(app.api("/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(fields(&problem(resp).await), vec!["email"]);
    // The refused sign-up left nothing behind: its slug is free.
    let mut body = signup_body("fryzjer-2");
    body["email"] = json!("new.owner@example.com");
    let resp = app
        .client()
        .post(app.api("/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

async fn racing_signups_for_one_slug_make_one_business(app: &TestApp) {
    let mut tasks = Vec::new();
    for i in 0..6 {
        let client = app.client();
        let url = app.api("/auth/signup");
        let mut body = signup_body("wyscig");
        body["email"] = json!(format!("racer{i}@example.com"));
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&body).send().await.unwrap().status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    let _ = PASSWORD;
}
