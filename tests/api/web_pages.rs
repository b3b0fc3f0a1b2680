//! The pages over plain HTTP, as a browser without JavaScript submits them.
//! (Real-browser tests arrive with the web issue.)

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, owner_email};
use crate::on_both_backends;

on_both_backends!(
    signup_page_keeps_input_and_signs_in,
    login_page_and_language
);

/// The value of the hidden CSRF field in a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf_token\"").expect("csrf field");
    let tag_start = html[..at].rfind('<').unwrap();
    let tag_end = at + html[at..].find('>').unwrap();
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"").expect("csrf value") + 7;
    tag[v..v + tag[v..].find('"').unwrap()].to_string()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn signup_page_keeps_input_and_signs_in(app: &TestApp) {
    let browser = app.browser();
    let page = browser
        .get(format!("{}/signup", app.url))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    let csrf = csrf_field(&html);

    let fields = |email: &str, csrf: &str| {
        form(&[
            ("company_name", "Studio Urody Ola"),
            ("slug", "studio-ola"),
            ("owner_name", "Ola Nowak"),
            ("email", email),
            ("phone", "601 234 567"),
            ("password", PASSWORD),
            ("time_zone", "Europe/Warsaw"),
            ("language", "pl"),
            ("csrf_token", csrf),
        ])
    };
    // A bad e-mail: 422, the error beside the field, input kept, password not.
    let resp = browser
        .post(format!("{}/signup", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields("ola-at-example", &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert!(html.contains("Studio Urody Ola"));
    assert!(html.contains("ola-at-example"));
    assert!(!html.contains(PASSWORD), "the password is never echoed");

    // Without the CSRF token: refused.
    let resp = browser
        .post(format!("{}/signup", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields("ola@example.com", "forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let csrf = csrf_field(&html);
    let resp = browser
        .post(format!("{}/signup", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields("ola@example.com", &csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/app");
    let app_page = browser
        .get(format!("{}/app", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(app_page.status(), StatusCode::OK);
    let html = app_page.text().await.unwrap();
    assert!(html.contains("Studio Urody Ola"));
    assert!(html.contains("Ola Nowak"));
}

async fn login_page_and_language(app: &TestApp) {
    app.signup("jezyk").await;
    let browser = app.browser();
    // Without a session, the panel sends you to log in.
    let resp = browser
        .get(format!("{}/app", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");

    let pl = browser
        .get(format!("{}/login", app.url))
        .header("accept-language", "pl-PL,pl;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pl.contains("lang=\"pl\""));
    let en = app
        .browser()
        .get(format!("{}/login", app.url))
        .header("accept-language", "en-GB")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\""));
    // The switch wins over the header.
    let switched = app
        .browser()
        .get(format!("{}/login?lang=pl", app.url))
        .header("accept-language", "en-GB")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(switched.contains("lang=\"pl\""));

    let csrf = csrf_field(&en);
    let browser = app.browser();
    let page = browser
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf2 = csrf_field(&page);
    assert_ne!(csrf, "");
    let resp = browser
        .post(format!("{}/login", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", &owner_email("jezyk")),
            ("password", "wrong-password-1"),
            ("business", ""),
            ("csrf_token", &csrf2),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.unwrap();
    assert!(html.contains("form-error"));
    assert!(html.contains(&owner_email("jezyk")), "the e-mail is kept");
    let csrf3 = csrf_field(&html);
    let resp = browser
        .post(format!("{}/login", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("email", &owner_email("jezyk")),
            ("password", PASSWORD),
            ("business", ""),
            ("csrf_token", &csrf3),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let panel = browser
        .get(format!("{}/app", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(panel.status(), StatusCode::OK);
    let html = panel.text().await.unwrap();
    // Log out with the form's token.
    let csrf = csrf_field(&html);
    let resp = browser
        .post(format!("{}/logout", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf_token", &csrf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = browser
        .get(format!("{}/app", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}
