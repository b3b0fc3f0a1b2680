//! GraphQL as a client uses it: queries, mutations, errors with codes, a
//! fixed number of SQL queries for 100 bookings with their clients, staff
//! and services, limits, the schema snapshot, and `bookingEvents` over a
//! WebSocket.

use chrono::{Duration, TimeZone, Utc};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::scheduling::{day_ahead, salon, slots};

on_both_backends!(
    graphql_main_flows,
    graphql_lists_cost_a_fixed_number_of_queries,
    a_business_set_up_through_graphql
);

async fn a_business_set_up_through_graphql(app: &TestApp) {
    let owner = app.signup("grafy-setup").await;
    let key = api_key(&owner).await;
    let staff = gql(
        app,
        &key,
        "mutation { createStaff(name: \"Ola\") { id timeZone } }",
        json!({}),
    )
    .await;
    let staff_id = staff["data"]["createStaff"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(staff["data"]["createStaff"]["timeZone"], "Europe/Warsaw");
    let day = vec!["10:00-12:00", "13:00-15:00"];
    let hours = gql(
        app,
        &key,
        "mutation($s: ID!, $w: [[String!]!]!) { setWorkingHours(staffId: $s, week: $w) }",
        json!({"s": staff_id, "w": [day, day, day, day, day, day, day]}),
    )
    .await;
    assert_eq!(hours["data"]["setWorkingHours"], true, "{hours}");
    let overlap = gql(
        app,
        &key,
        "mutation($s: ID!, $w: [[String!]!]!) { setWorkingHours(staffId: $s, week: $w) }",
        json!({"s": staff_id, "w": [["10:00-12:00", "11:00-13:00"], [], [], [], [], [], []]}),
    )
    .await;
    assert_eq!(
        overlap["errors"][0]["extensions"]["fields"][0], "monday",
        "{overlap}"
    );
    let service = gql(app, &key, "mutation($i: ServiceInput!) { createService(input: $i) { id name } }",
        json!({"i": {"name": "Konsultacja", "durationMin": 60, "stepMin": 60, "minNoticeMin": 0, "staffIds": [staff_id]}})).await;
    let service_id = service["data"]["createService"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let closed = day_ahead(9);
    let closure = gql(
        app,
        &key,
        "mutation($d: NaiveDate!) { createClosure(startsOn: $d, endsOn: $d, reason: \"urlop\") }",
        json!({"d": closed.to_string()}),
    )
    .await;
    assert!(closure["data"]["createClosure"].is_string(), "{closure}");
    let renamed = gql(
        app,
        &key,
        "mutation { updateBusiness(name: \"Gabinet Oli\", cancellationCutoffHours: 12, bookingIntro: \"Zapraszamy\", privacyNoticeUrl: \"https://example.com/p\") { name cancellationCutoffHours bookingIntro privacyNoticeUrl marketingConsentText } }",
        json!({}),
    )
    .await;
    assert_eq!(renamed["data"]["updateBusiness"]["name"], "Gabinet Oli");
    assert_eq!(
        renamed["data"]["updateBusiness"]["cancellationCutoffHours"],
        12
    );
    assert_eq!(
        renamed["data"]["updateBusiness"]["bookingIntro"],
        "Zapraszamy"
    );
    assert_eq!(
        renamed["data"]["updateBusiness"]["privacyNoticeUrl"],
        "https://example.com/p"
    );
    assert_eq!(
        renamed["data"]["updateBusiness"]["marketingConsentText"],
        Value::Null
    );
    let q = "query($s: ID!, $d: NaiveDate!) { availability(serviceId: $s, from: $d, to: $d, zone: \"Europe/Warsaw\") { start } }";
    let open_day = gql(
        app,
        &key,
        q,
        json!({"s": service_id, "d": day_ahead(8).to_string()}),
    )
    .await;
    assert_eq!(
        open_day["data"]["availability"].as_array().unwrap().len(),
        4,
        "{open_day}"
    );
    let closed_day = gql(
        app,
        &key,
        q,
        json!({"s": service_id, "d": closed.to_string()}),
    )
    .await;
    assert!(
        closed_day["data"]["availability"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let hook = gql(app, &key, "mutation { createWebhookEndpoint(url: \"http://127.0.0.1:9/hook\", events: [\"booking.created\"]) { id secret } }", json!({})).await;
    assert!(
        hook["data"]["createWebhookEndpoint"]["secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_"),
        "{hook}"
    );
}

pub async fn gql(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    let resp = app
        .client()
        .post(format!("{}/graphql", app.url))
        .bearer_auth(key)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

pub async fn api_key(owner: &crate::helpers::Session) -> String {
    let k: Value = owner
        .post("/api-keys", json!({"name": "graphql"}))
        .await
        .json()
        .await
        .unwrap();
    k["secret"].as_str().unwrap().to_string()
}

async fn graphql_main_flows(app: &TestApp) {
    let s = salon(app, "grafy", json!({})).await;
    let key = api_key(&s.owner).await;
    let services = gql(
        app,
        &key,
        "{ services { id name durationMin priceMinor currency } }",
        json!({}),
    )
    .await;
    assert_eq!(services["data"]["services"][0]["name"], "Strzyżenie");
    assert_eq!(services["data"]["services"][0]["priceMinor"], 12000);

    let client = gql(
        app,
        &key,
        "mutation($i: ClientInput!) { createClient(input: $i) { id name email state } }",
        json!({"i": {"name": "Gosia Graf", "email": "Gosia@Example.com"}}),
    )
    .await;
    assert_eq!(client["data"]["createClient"]["email"], "gosia@example.com");
    let bad = gql(
        app,
        &key,
        "mutation($i: ClientInput!) { createClient(input: $i) { id } }",
        json!({"i": {"name": "X", "email": "nope"}}),
    )
    .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "invalid-input");
    assert_eq!(bad["errors"][0]["extensions"]["fields"][0], "email");

    let start = slots(app, &s, day_ahead(6), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let start_utc = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&Utc);
    let book = "mutation($b: BookingInput!) { book(input: $b) { manageToken booking { id status client { name } staff { name } service { name } } } }";
    let input = json!({"b": {"serviceId": s.service, "start": start_utc, "zone": "Europe/Warsaw",
        "client": {"name": "Gosia Graf", "email": "gosia@example.com"}}});
    let booked = gql(app, &key, book, input.clone()).await;
    let b = &booked["data"]["book"]["booking"];
    assert_eq!(b["status"], "confirmed");
    assert_eq!(
        b["client"]["name"], "Gosia Graf",
        "the existing client was found"
    );
    assert_eq!(b["staff"]["name"], "Marta Fryzjerka");
    assert!(
        booked["data"]["book"]["manageToken"]
            .as_str()
            .unwrap()
            .len()
            > 20
    );
    let again = gql(app, &key, book, input).await;
    assert_eq!(again["errors"][0]["extensions"]["code"], "slot-taken");

    let id = b["id"].as_str().unwrap();
    // Reading around it.
    let day = day_ahead(6).to_string();
    let read = gql(app, &key, "query($s: ID!, $d: NaiveDate!) { business { slug plan } staff { name } availability(serviceId: $s, from: $d, to: $d, zone: \"Europe/Warsaw\") { start staffIds } }",
        json!({"s": s.service, "d": day})).await;
    assert_eq!(read["data"]["business"]["slug"], "grafy", "{read}");
    assert_eq!(read["data"]["staff"][0]["name"], "Marta Fryzjerka");
    assert_eq!(
        read["data"]["availability"].as_array().unwrap().len(),
        7,
        "one of 8 slots is booked"
    );
    // Moving, changing, and the state machine's refusals with their codes.
    let later = read["data"]["availability"][2]["start"].clone();
    let moved = gql(
        app,
        &key,
        "mutation($id: ID!, $t: DateTime!) { rescheduleBooking(id: $id, start: $t) { startsAt } }",
        json!({"id": id, "t": later}),
    )
    .await;
    assert_eq!(
        moved["data"]["rescheduleBooking"]["startsAt"], later,
        "{moved}"
    );
    let early = gql(
        app,
        &key,
        "mutation($id: ID!) { setBookingStatus(id: $id, status: COMPLETED) { status } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        early["errors"][0]["extensions"]["code"],
        "invalid-transition"
    );
    let changed = gql(
        app,
        &key,
        "mutation($id: ID!) { updateClient(id: $id, input: {notes: \"VIP\"}) { notes name } }",
        json!({"id": client["data"]["createClient"]["id"]}),
    )
    .await;
    assert_eq!(changed["data"]["updateClient"]["notes"], "VIP");
    let cancelled = gql(
        app,
        &key,
        "mutation($id: ID!) { cancelBooking(id: $id, reason: \"test\") { status } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(cancelled["data"]["cancelBooking"]["status"], "cancelled");

    // Scopes hold here too; no credentials, no data.
    let reader: Value = s
        .owner
        .post(
            "/api-keys",
            json!({"name": "r", "scopes": ["bookings:read"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let denied = gql(
        app,
        reader["secret"].as_str().unwrap(),
        "mutation($i: ClientInput!) { createClient(input: $i) { id } }",
        json!({"i": {"name": "Y"}}),
    )
    .await;
    assert_eq!(
        denied["errors"][0]["extensions"]["code"],
        "insufficient-scope"
    );
    let resp = app
        .client()
        .post(format!("{}/graphql", app.url))
        .json(&json!({"query": "{ services { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Limits: a query nested too deep is refused.
    let deep = gql(app, &key, "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } } }", json!({})).await;
    assert!(
        deep["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested too deep"),
        "{deep}"
    );
    // GraphiQL for people.
    let page = app
        .client()
        .get(format!("{}/graphql", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("graphiql"));
}

async fn graphql_lists_cost_a_fixed_number_of_queries(app: &TestApp) {
    let s = salon(app, "grafy-n", json!({"duration_min": 15, "step_min": 15})).await;
    s.owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}/working-hours", s.staff),
            Some(crate::scheduling::all_week("00:00", "24:00")),
        )
        .await;
    let key = api_key(&s.owner).await;
    let me: Value = s.owner.get("/business").await.json().await.unwrap();
    let scope =
        termino_app::TenantScope::authenticated(me["id"].as_str().unwrap().parse().unwrap());
    let day = Utc.from_utc_datetime(&day_ahead(3).and_hms_opt(0, 0, 0).unwrap());
    for i in 0..100 {
        app.app()
            .book(
                &scope,
                termino_app::bookings::BookingRequest {
                    service_id: s.service.parse().unwrap(),
                    staff_id: None,
                    start: day + Duration::minutes(15 * i),
                    client_zone: "Europe/Warsaw".into(),
                    client: termino_app::bookings::ClientDetails {
                        name: format!("Klient {i}"),
                        email: Some(format!("k{i}@example.com")),
                        ..Default::default()
                    },
                },
                None,
            )
            .await
            .unwrap();
    }
    let query = "query($n: Int) { bookings(first: $n) { id client { name } staff { name } service { name } } }";
    // Let the background worker send the 100 confirmations first: its
    // queries share the pool's counter.
    while app.app().deliver_due_mail().await.unwrap() > 0 {}
    // Warm the client cache once, as any earlier request would.
    gql(app, &key, query, json!({"n": 1})).await;
    let mut counts = Vec::new();
    for n in [10, 100] {
        // The fewest of three runs: a worker pass may land in one of them.
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let before = app.app().db().query_count();
            let result = gql(app, &key, query, json!({"n": n})).await;
            fewest = fewest.min(app.app().db().query_count() - before);
            let list = result["data"]["bookings"].as_array().unwrap();
            assert_eq!(list.len(), n as usize, "{result}");
            assert!(
                list.iter()
                    .all(|b| b["client"]["name"].as_str().unwrap().starts_with("Klient"))
            );
        }
        counts.push(fewest);
    }
    assert_eq!(
        counts[0], counts[1],
        "the same number of queries for 10 and 100 bookings: {counts:?}"
    );
    // The budget includes one short transaction that records the read of
    // client names in the business's audit log (issue 9).
    assert!(counts[1] <= 20, "{counts:?}");
}

/// `bookingEvents` over WebSocket (graphql-transport-ws).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_events_arrive_over_a_websocket() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let s = salon(&app, "grafy-ws", json!({})).await;
    let key = api_key(&s.owner).await;
    let mut request = format!("ws://{}/graphql", app.url.trim_start_matches("http://"))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {key}")}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let ack: Value =
        serde_json::from_str(ws.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(ack["type"], "connection_ack");
    ws.send(Message::Text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { bookingEvents { kind bookingId } }"}}).to_string().into())).await.unwrap();
    // The protocol does not acknowledge a subscription, so book until an
    // event arrives (bounded); each booking is a new slot.
    let free = slots(&app, &s, day_ahead(6), "Europe/Warsaw").await;
    let mut booked = Vec::new();
    let mut event = None;
    for slot in free.iter().take(5) {
        let b: Value = crate::scheduling::book(
            &app,
            &s,
            &crate::scheduling::booking_body(
                &s,
                slot["start"].as_str().unwrap(),
                &format!("ws{}@example.com", booked.len()),
            ),
        )
        .await
        .json()
        .await
        .unwrap();
        booked.push(b["booking"]["id"].clone());
        if let Ok(Some(Ok(msg))) =
            tokio::time::timeout(std::time::Duration::from_secs(2), ws.next()).await
        {
            event = Some(serde_json::from_str::<Value>(msg.to_text().unwrap()).unwrap());
            break;
        }
    }
    let event = event.expect("a bookingEvents message");
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(
        event["payload"]["data"]["bookingEvents"]["kind"],
        "booking.created"
    );
    assert!(
        booked.contains(&event["payload"]["data"]["bookingEvents"]["bookingId"]),
        "{event}"
    );
    app.finish().await;
}

/// The GraphQL schema is a snapshot, like the OpenAPI document.
#[tokio::test]
async fn the_graphql_schema_matches_its_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let sdl = termino_api::graphql::sdl(&termino_api::graphql::schema(app.app().clone()));
    app.finish().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/api/snapshots/schema.graphql");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == sdl,
        "the GraphQL schema changed; if that was meant, run `UPDATE_SNAPSHOTS=1 cargo test` and commit tests/api/snapshots/schema.graphql"
    );
}
