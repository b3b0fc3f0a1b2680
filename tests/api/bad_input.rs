use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, fields, problem, signup_body};
use crate::on_both_backends;

on_both_backends!(malformed_requests_get_problem_details);

async fn malformed_requests_get_problem_details(app: &TestApp) {
    let client = app.client();
    let url = app.api("/auth/signup");
    let send = |body: Vec<u8>| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let resp = send(b"{\"slug\": ".to_vec()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem(resp).await), vec!["body"]);

    let mut body = signup_body("types");
    body["slug"] = json!(42);
    let resp = send(serde_json::to_vec(&body).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem(resp).await), vec!["slug"]);

    let mut body = signup_body("unknown");
    body["is_admin"] = json!(true);
    let resp = send(serde_json::to_vec(&body).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem(resp).await), vec!["is_admin"]);

    let mut body = signup_body("missing");
    body.as_object_mut().unwrap().remove("email");
    let resp = send(serde_json::to_vec(&body).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fields(&problem(resp).await), vec!["email"]);

    let resp = send(b"{\"company_name\": \"\xff\xfe\"}".to_vec())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    problem(resp).await;

    let mut body = signup_body("huge");
    body["company_name"] = json!("x".repeat(100_000));
    let resp = send(serde_json::to_vec(&body).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    problem(resp).await;

    let resp = client
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    problem(resp).await;

    // Authentication.
    let resp = client.get(app.api("/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    problem(resp).await;
    let resp = client
        .get(app.api("/me"))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    problem(resp).await;
    let resp = client
        .get(app.api("/me"))
        .header("cookie", "termino_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    problem(resp).await;

    // Routing.
    let owner = app.signup("routing").await;
    let resp = owner.get("/no-such-thing").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    problem(resp).await;
    let resp = owner.delete("/api-keys/not-a-uuid").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    problem(resp).await;

    // None of the refused sign-ups left a business behind.
    for slug in ["types", "unknown", "missing", "huge"] {
        let resp = client
            .post(&url)
            .json(&signup_body(slug))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED, "{slug}");
    }
}
