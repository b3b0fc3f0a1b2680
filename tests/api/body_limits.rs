//! Issue 20, item 8: every request body is bounded before anything reads
//! it — GraphQL, REST, the pages' forms, provider notifications — and a
//! body announced too large is refused at once, before authentication.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(request_bodies_are_bounded_before_reading);

/// Sends the head of a request announcing 2 MB and a few bytes of it, never
/// the rest, and returns the answer. A server that waits for the body
/// never answers: the bound only keeps such a failure from hanging.
async fn announce_two_megabytes(app: &TestApp, path: &str, content_type: &str) -> String {
    let addr = app.server.as_ref().unwrap().addr;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        2 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"query\": \"").await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("{path}: no answer without the body"))
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

async fn request_bodies_are_bounded_before_reading(app: &TestApp) {
    for (path, content_type) in [
        ("/graphql", "application/json"),
        ("/api/v1/auth/login", "application/json"),
        ("/api/v1/clients", "application/json"),
        ("/login", "application/x-www-form-urlencoded"),
        ("/webhooks/stripe", "application/json"),
        ("/webhooks/tpay", "application/x-www-form-urlencoded"),
    ] {
        let answer = announce_two_megabytes(app, path, content_type).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{path}: {}",
            answer.lines().next().unwrap_or("")
        );
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: application/problem+json"),
            "{path}: {answer}"
        );
        assert!(answer.contains("/too-large"), "{path}: {answer}");
    }
    // A body within the bound is read as before.
    let resp = app
        .client()
        .post(format!("{}/graphql", app.url))
        .json(&serde_json::json!({"query": format!("{{ business {{ name }} }} #{}", "x".repeat(200_000))}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
}
