//! Crypto-shredding reaches every node and every copy: a node that cached
//! a business's keys drops them within seconds of their destruction
//! elsewhere, and the `.eml` copies of mail sent to its clients go too.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, owner_email};
use crate::on_both_backends;
use crate::scheduling::{book, day_ahead, salon, slots};

on_both_backends!(
    destroyed_keys_are_dropped_by_every_node,
    destroyed_keys_leave_no_mail_copies,
);

async fn book_with_notes(app: &TestApp, s: &crate::scheduling::Salon, email: &str) -> Value {
    let start = slots(app, s, day_ahead(6), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = book(
        app,
        s,
        &json!({
            "service_id": s.service, "start": start, "zone": "Europe/Warsaw",
            "client": {"name": "Wanda Węzeł", "email": email, "notes": "tajemnica dwóch węzłów"},
        }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn destroyed_keys_are_dropped_by_every_node(app: &TestApp) {
    let s = salon(app, "dwa-wezly", json!({})).await;
    let booked = book_with_notes(app, &s, "wanda@example.com").await;
    let id = booked["booking"]["id"].as_str().unwrap().to_string();
    let client = booked["booking"]["client_id"].as_str().unwrap().to_string();
    let (node, clock) = app.another_node().await;
    let there = app
        .login_at(&node.url(), &owner_email("dwa-wezly"), PASSWORD)
        .await;
    // The second node reads the booking (and keeps the business's keys).
    let seen: Value = there
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["notes"], "tajemnica dwóch węzłów");

    // Destroyed through the first node.
    let business: Value = s.owner.get("/business").await.json().await.unwrap();
    let tenant = business["id"].as_str().unwrap().parse().unwrap();
    app.app().destroy_tenant_keys(tenant).await.unwrap();

    // A few seconds later (the second node's own clock), it no longer
    // decrypts anything of the business.
    clock.advance(chrono::Duration::seconds(5));
    let seen: Value = there
        .get(&format!("/bookings/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(seen["notes"].is_null(), "{seen}");
    let c: Value = there
        .get(&format!("/clients/{client}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["state"], "erased", "{c}");
    assert!(c["name"].is_null());
    let resp = there.post("/clients", json!({"name": "Nowa"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    node.stop().await.unwrap();
}

/// Every `.eml` file in the outbox that mentions `needle`.
fn mail_files_with(app: &TestApp, needle: &str) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(app.data_dir.join("outbox"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let text = std::fs::read_to_string(p).unwrap_or_default();
                    crate::helpers::decode_quoted_printable(&text).contains(needle)
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn destroyed_keys_leave_no_mail_copies(app: &TestApp) {
    let gone = salon(app, "poczta-kasowana", json!({})).await;
    let kept = salon(app, "poczta-zostaje", json!({})).await;
    book_with_notes(app, &gone, "ofelia@example.com").await;
    book_with_notes(app, &kept, "olaf@example.com").await;
    // The confirmations were written as `.eml` files.
    app.mail_to("ofelia@example.com").await;
    app.mail_to("olaf@example.com").await;
    assert!(!mail_files_with(app, "ofelia@example.com").is_empty());

    let out = app
        .termino(
            &["keys", "destroy", "--tenant", "poczta-kasowana", "--yes"],
            &[],
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No plaintext copy of what was sent to the shredded business's
    // clients is left on disk; another business's mail stays.
    let left = mail_files_with(app, "ofelia@example.com");
    assert!(left.is_empty(), "{left:?}");
    assert!(app.mails_to("olaf@example.com") >= 1);
}
