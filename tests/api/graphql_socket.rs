//! Issue 20, item 11: the GraphQL WebSocket opens only from our own origin
//! (or from a program with no Origin at all), serves subscriptions only,
//! and closes once its credentials stop being valid — checked on every
//! event, so a revoked key or an ended session gets nothing more.

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{PASSWORD, TestApp, owner_email};
use crate::on_both_backends;
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(graphql_websocket_checks_origin_and_closes_when_credentials_end);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/graphql` as a WebSocket with the given extra headers.
async fn open(
    app: &TestApp,
    headers: &[(&'static str, String)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{}/graphql", app.url.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

async fn send(ws: &mut Socket, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next text message (pings and pongs skipped); `None` once closed,
/// with the close code.
async fn next(ws: &mut Socket) -> Result<Value, Option<u16>> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| f.code.into())),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Err(None),
        }
    }
}

/// `connection_init`, its ack, and a `bookingEvents` subscription.
async fn subscribe(ws: &mut Socket, payload: Value) {
    send(ws, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(next(ws).await.unwrap()["type"], "connection_ack");
    send(
        ws,
        json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { bookingEvents { kind bookingId } }"}}),
    )
    .await;
}

/// Books the n-th free slot of the day; returns the booking's id.
async fn book_slot(app: &TestApp, s: &Salon, free: &[Value], n: usize) -> Value {
    let resp = book(
        app,
        s,
        &booking_body(
            s,
            free[n]["start"].as_str().unwrap(),
            &format!("gniazdo{n}@example.com"),
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    created["booking"]["id"].clone()
}

/// After the credentials end, the next event closes the socket (4403)
/// instead of being delivered.
async fn closes_instead_of_delivering(
    ws: &mut Socket,
    app: &TestApp,
    s: &Salon,
    free: &[Value],
    n: usize,
) {
    let booking = book_slot(app, s, free, n).await;
    loop {
        match next(ws).await {
            Ok(message) => {
                assert_ne!(
                    message["type"], "next",
                    "delivered after the end: {message}"
                );
                assert_ne!(
                    message["payload"]["data"]["bookingEvents"]["bookingId"],
                    booking
                );
            }
            Err(code) => {
                assert_eq!(code, Some(4403));
                break;
            }
        }
    }
}

async fn key_with_id(s: &Salon) -> (String, String) {
    let created: Value = s
        .owner
        .post("/api-keys", json!({"name": "gniazdo"}))
        .await
        .json()
        .await
        .unwrap();
    (
        created["secret"].as_str().unwrap().to_string(),
        created["key"]["id"].as_str().unwrap().to_string(),
    )
}

async fn graphql_websocket_checks_origin_and_closes_when_credentials_end(app: &TestApp) {
    let s = salon(app, "grafy-gniazdo", json!({})).await;
    let free = slots(app, &s, day_ahead(6), "Europe/Warsaw").await;
    assert!(free.len() >= 4);
    let (key, key_id) = key_with_id(&s).await;

    // A page of another site cannot open the socket, key or not.
    for headers in [
        vec![("origin", "https://evil.example".to_string())],
        vec![
            ("origin", "https://evil.example".to_string()),
            ("authorization", format!("Bearer {key}")),
        ],
    ] {
        match open(app, &headers).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 403)
            }
            other => panic!("opened from another origin: {:?}", other.map(|_| ())),
        }
    }

    // A program with a key and no Origin: events until the key is revoked.
    let mut ws = open(app, &[]).await.unwrap();
    subscribe(&mut ws, json!({"authorization": format!("Bearer {key}")})).await;
    let first = book_slot(app, &s, &free, 0).await;
    let event = next(&mut ws).await.unwrap();
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(
        event["payload"]["data"]["bookingEvents"]["bookingId"],
        first
    );
    let resp = s.owner.delete(&format!("/api-keys/{key_id}")).await;
    assert!(resp.status().is_success(), "{}", resp.status());
    closes_instead_of_delivering(&mut ws, app, &s, &free, 1).await;

    // Subscriptions only: a mutation over the socket is refused and does
    // nothing.
    let (key, _) = key_with_id(&s).await;
    let mut ws = open(app, &[("authorization", format!("Bearer {key}"))])
        .await
        .unwrap();
    send(&mut ws, json!({"type": "connection_init", "payload": {}})).await;
    assert_eq!(next(&mut ws).await.unwrap()["type"], "connection_ack");
    send(
        &mut ws,
        json!({"id": "m", "type": "subscribe", "payload": {"query": "mutation { createClient(input: {name: \"Przez Gniazdo\"}) { id } }"}}),
    )
    .await;
    let refused = next(&mut ws).await.unwrap();
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "subscriptions-only",
        "{refused}"
    );
    assert!(refused["payload"]["data"].is_null(), "{refused}");
    let clients: Value = s.owner.get("/clients?q=Przez").await.json().await.unwrap();
    assert!(
        !clients["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Przez Gniazdo"),
        "{clients}"
    );

    // The owner's browser, from our own origin with the session cookie:
    // events until log-out.
    let login = app
        .client()
        .post(app.api("/auth/login"))
        .json(&json!({"email": owner_email("grafy-gniazdo"), "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = login.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let own_origin = app.app().config().public_url.clone();
    let mut ws = open(app, &[("origin", own_origin), ("cookie", cookie.clone())])
        .await
        .unwrap();
    subscribe(&mut ws, json!({})).await;
    let third = book_slot(app, &s, &free, 2).await;
    let event = next(&mut ws).await.unwrap();
    assert_eq!(
        event["payload"]["data"]["bookingEvents"]["bookingId"],
        third
    );
    let resp = app
        .client()
        .post(app.api("/auth/logout"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    closes_instead_of_delivering(&mut ws, app, &s, &free, 3).await;
}
