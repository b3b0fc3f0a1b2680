//! Key rotation keeps every value sealed under a business's key: clients,
//! booking notes and cancel reasons, remembered manage tokens, webhook
//! secrets and payloads, queued mail, data requests, tpay credentials and
//! staff members' calendar addresses.
//! A rotation killed half-way leaves everything readable and a rerun
//! finishes it; only then is the old key version destroyed.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_app::rotation::RotationOptions;

use crate::accountability::{file, mail_with, prove};
use crate::deposits::book_on_page;
use crate::fake_tpay::FakeTpay;
use crate::helpers::{Backend, Session, TestApp, attachment};
use crate::scheduling::{Salon, day_ahead, slots};
use crate::sealed_scan::unregistered_sealed_columns;
use crate::webhooks::{Receiver, deliver_expecting, verify};

const SLUG: &str = "rotacja-wszystko";
const CLIENT_EMAIL: &str = "regina.rotacja@example.com";
const NOTES: &str = "proszę o ciszę w gabinecie";
const CANCEL_REASON: &str = "choroba w rodzinie";

/// What was sealed through the product, to be read back.
struct Sealed {
    salon: Salon,
    /// The same staff member's service without payment.
    free: Salon,
    tenant: uuid::Uuid,
    client: String,
    booked: String,
    manage_token: String,
    cancelled: String,
    up: (Receiver, String),
    down: (Receiver, String),
    calendar: crate::external_calendars::CalendarServer,
}

async fn webhook_endpoint(owner: &Session, url: &str, events: &[&str]) -> String {
    let resp = owner
        .post("/webhook-endpoints", json!({"url": url, "events": events}))
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    let created: Value = resp.json().await.unwrap();
    created["secret"].as_str().unwrap().to_string()
}

async fn public_booking(app: &TestApp, s: &Salon, day: i64, notes: &str) -> Value {
    let start = slots(app, s, day_ahead(day), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = app
        .client()
        .post(app.api(&format!("/public/{}/bookings", s.slug)))
        .header("Idempotency-Key", format!("rotacja-{day}"))
        .json(&client_body(s, &start, notes))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    resp.json().await.unwrap()
}

fn client_body(s: &Salon, start: &str, notes: &str) -> Value {
    json!({
        "service_id": s.service, "start": start, "zone": "Europe/Warsaw",
        "client": {"name": "Regina Rotacja", "email": CLIENT_EMAIL, "phone": "601 777 888", "notes": notes},
    })
}

/// While the outbox directory is a plain file the mailer cannot write:
/// mail waits in the queue, sealed (body and attachment included).
fn block_outbox(app: &TestApp, blocked: bool) {
    let dir = app.data_dir.join("outbox");
    let aside = app.data_dir.join("outbox.aside");
    if blocked {
        std::fs::rename(&dir, &aside).unwrap();
        std::fs::write(&dir, b"").unwrap();
    } else {
        std::fs::remove_file(&dir).unwrap();
        std::fs::rename(&aside, &dir).unwrap();
    }
}

/// A value in every sealed column, each through the product.
async fn seal_everything(app: &TestApp) -> Sealed {
    let salon = crate::tpay::tpay_salon(app, SLUG).await;
    let resp = salon
        .owner
        .post(
            "/services",
            json!({
                "name": "Konsultacja", "duration_min": 60, "price_minor": 10000, "step_min": 60,
                "min_notice_min": 0, "max_advance_days": 730, "staff_ids": [salon.staff],
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let free_service: Value = resp.json().await.unwrap();
    let free = Salon {
        owner: Session {
            client: salon.owner.client.clone(),
            csrf: salon.owner.csrf.clone(),
            base: salon.owner.base.clone(),
        },
        slug: SLUG.into(),
        service: free_service["id"].as_str().unwrap().to_string(),
        staff: salon.staff.clone(),
    };
    let business: Value = salon.owner.get("/business").await.json().await.unwrap();
    let tenant = business["id"].as_str().unwrap().parse().unwrap();

    // Webhook endpoints: one that answers, one that is down for now.
    let up = Receiver::start(0).await;
    let up_secret = webhook_endpoint(
        &salon.owner,
        &up.1,
        &["booking.created", "booking.cancelled", "client.created"],
    )
    .await;
    let down = Receiver::start(u32::MAX).await;
    let down_secret = webhook_endpoint(&salon.owner, &down.1, &["booking.created"]).await;

    // A client with every field.
    let resp = salon
        .owner
        .post(
            "/clients",
            json!({
                "name": "Klara Karta", "email": "klara.karta@example.com", "phone": "602 333 444",
                "notes": "woli terminy rano", "date_of_birth": "1979-05-06",
                "custom_fields": {"karta": "KK-77"},
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let client: Value = resp.json().await.unwrap();
    // A booking cancelled with a reason; the client asks for a correction
    // (sealed contact and details).
    let cancelled = public_booking(app, &free, 4, "").await;
    let token = cancelled["manage_token"].as_str().unwrap();
    let resp = app
        .client()
        .post(app.api(&format!("/public/{SLUG}/bookings/{token}/cancel")))
        .json(&json!({"reason": CANCEL_REASON}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let link = prove(app, SLUG, CLIENT_EMAIL).await;
    let resp = file(
        app,
        SLUG,
        &link,
        json!({"kind": "rectification", "name": "Regina Po Ślubie", "note": "zmiana nazwiska"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    mail_with(app, CLIENT_EMAIL, "rectification").await;

    // A staff member's own calendar: its secret address is sealed, and
    // first fetched after the first rotation.
    let (calendar, calendar_url) = crate::external_calendars::CalendarServer::start().await;
    *calendar.ics.lock().unwrap() = crate::external_calendars::calendar_with(day_ahead(20));
    let resp = salon
        .owner
        .post(
            &format!("/staff/{}/external-calendars", salon.staff),
            json!({ "url": calendar_url }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // A booking with notes (its manage token remembered for a retry),
    // whose confirmation waits in the queue.
    block_outbox(app, true);
    let booked = public_booking(app, &free, 3, NOTES).await;
    // The first tries: the down endpoint's deliveries wait for a retry.
    app.app().deliver_due_webhooks().await.unwrap();

    Sealed {
        salon,
        free,
        tenant,
        client: client["id"].as_str().unwrap().to_string(),
        booked: booked["booking"]["id"].as_str().unwrap().to_string(),
        manage_token: booked["manage_token"].as_str().unwrap().to_string(),
        cancelled: cancelled["booking"]["id"].as_str().unwrap().to_string(),
        up: (up.0, up_secret),
        down: (down.0, down_secret),
        calendar,
    }
}

async fn get(owner: &Session, path: &str) -> Value {
    let resp = owner.get(path).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.json().await.unwrap()
}

/// Every sealed value read back through the product.
async fn read_everything(app: &TestApp, fake: &FakeTpay, s: &Sealed, round: i64) {
    // A new booking reaches the endpoint that was there before the
    // rotation, signed with its secret (the issue: deliveries stopped).
    let before = s.up.0.hits().len();
    public_booking(app, &s.free, 10 + round, "po rotacji").await;
    deliver_expecting(app, &s.up.0, before + 1).await;
    let hits = s.up.0.hits();
    assert!(
        hits.iter().all(|h| verify(&s.up.1, h)),
        "every delivery is signed with the endpoint's secret"
    );

    let owner = &s.salon.owner;
    let client = get(owner, &format!("/clients/{}", s.client)).await;
    assert_eq!(client["state"], "active", "{client}");
    assert_eq!(client["name"], "Klara Karta");
    assert_eq!(client["email"], "klara.karta@example.com");
    assert_eq!(client["phone"], "+48602333444");
    assert_eq!(client["notes"], "woli terminy rano");
    assert_eq!(client["date_of_birth"], "1979-05-06");
    assert_eq!(client["custom_fields"]["karta"], "KK-77");
    let booked = get(owner, &format!("/bookings/{}", s.booked)).await;
    assert_eq!(booked["notes"], NOTES, "{booked}");
    let cancelled = get(owner, &format!("/bookings/{}", s.cancelled)).await;
    assert_eq!(cancelled["cancel_reason"], CANCEL_REASON, "{cancelled}");
    // A retry of the booking gets its manage token back.
    let resp = app
        .client()
        .post(app.api(&format!("/public/{SLUG}/bookings")))
        .header("Idempotency-Key", "rotacja-3")
        .json(&client_body(
            &s.free,
            booked["starts_at"].as_str().unwrap(),
            NOTES,
        ))
        .send()
        .await
        .unwrap();
    let replay: Value = resp.json().await.unwrap();
    assert_eq!(replay["manage_token"], s.manage_token.as_str(), "{replay}");

    // The tpay credentials still open: a deposit booking goes to tpay.
    let before = fake.transactions().len();
    let (location, _) = book_on_page(app, &s.salon, &format!("tpay{round}@example.com")).await;
    assert!(
        location.starts_with("https://secure.tpay.com/?title=TR-TEST-"),
        "{location}"
    );
    assert_eq!(fake.transactions().len(), before + 1);
}

/// The mail queued before the rotations goes out, readable, with its
/// calendar attachment.
async fn queued_mail_goes_out(app: &TestApp, s: &Sealed) {
    block_outbox(app, false);
    app.clock.advance(chrono::Duration::hours(1));
    app.app().deliver_due_mail().await.unwrap();
    let mail = mail_with(app, CLIENT_EMAIL, &s.manage_token).await;
    assert!(mail.contains("Konsultacja"), "{mail}");
    // The attachment from the file as written (base64, not quoted-printable).
    let raw = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .find(|t| crate::helpers::decode_quoted_printable(t).contains(&s.manage_token))
        .unwrap();
    let ics = attachment(&raw, "text/calendar");
    assert!(ics.contains("BEGIN:VCALENDAR"), "{ics}");
    // No queued mail turned unopenable.
    let outbox = termino_app::mail::outbox(app.app()).await.unwrap();
    let failed: Vec<_> = outbox
        .iter()
        .filter(|m| {
            m.status == "failed" || m.last_error.as_deref().is_some_and(|e| e.contains("open"))
        })
        .map(|m| m.last_error.clone())
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}

/// The down endpoint comes back: its queued deliveries (sealed before
/// the rotations) go out, signed with its secret.
async fn queued_deliveries_go_out(app: &TestApp, s: &Sealed) {
    s.down.0.recover();
    app.clock.advance(chrono::Duration::hours(2));
    deliver_expecting(app, &s.down.0, 1).await;
    let hits = s.down.0.hits();
    let ok: Vec<_> = hits.iter().filter(|h| h.answered == 200).collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|h| verify(&s.down.1, h)));
}

/// The correction asked for before the rotations is done after them: its
/// sealed details change the client, its sealed contact gets the answer.
async fn the_request_is_answered(app: &TestApp, s: &Sealed) {
    let list = get(&s.salon.owner, "/data-requests").await;
    let request = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "open")
        .unwrap()
        .clone();
    assert_eq!(request["name"], "Regina Po Ślubie", "{request}");
    assert_eq!(request["note"], "zmiana nazwiska");
    let resp = s
        .salon
        .owner
        .post(
            &format!(
                "/data-requests/{}/completion",
                request["id"].as_str().unwrap()
            ),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let client_id = request["client_id"].as_str().unwrap();
    let client = get(&s.salon.owner, &format!("/clients/{client_id}")).await;
    assert_eq!(client["name"], "Regina Po Ślubie");
    app.app().deliver_due_mail().await.unwrap();
    mail_with(app, CLIENT_EMAIL, "Twoje dane zgodnie z żądaniem").await;
}

/// The key versions the business's sealed values are under, asserting
/// that every registered column holds values and all of them open.
async fn versions_in_use(app: &TestApp, s: &Sealed) -> BTreeSet<u32> {
    let census = app.app().sealed_census(s.tenant).await.unwrap();
    let mut versions = BTreeSet::new();
    for ((table, column), c) in &census {
        assert_eq!(c.unreadable, 0, "{table}.{column}: {c:?}");
        assert!(!c.versions.is_empty(), "{table}.{column} holds no value");
        versions.extend(c.versions.keys().copied());
    }
    versions
}

async fn keystore_states(app: &TestApp, tenant: uuid::Uuid) -> Vec<(i32, String, bool)> {
    let ks = termino_store::Database::connect(&app.settings.keystore_url)
        .await
        .unwrap();
    let rows = termino_store::repo::keystore::keys_of(ks.connection(), tenant)
        .await
        .unwrap();
    ks.close().await;
    rows.into_iter()
        .filter(|r| r.purpose == "data")
        .map(|r| (r.version, r.state, r.wrapped.is_some()))
        .collect()
}

async fn rotate_with_the_command(app: &TestApp) -> String {
    let out = app
        .termino(&["keys", "rotate", "--tenant", SLUG], &[])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A count per table of the registry.
    for table in termino_store::sealed::TABLES {
        assert!(
            stdout.contains(&format!("{}: ", table.table)),
            "{} in {stdout}",
            table.table
        );
    }
    stdout
}

async fn key_rotation_keeps_every_sealed_value(backend: Backend) {
    let fake = FakeTpay::start().await;
    // A text message waits in the queue (the gateway is down) through the
    // rotations, sealed, and goes out readable afterwards.
    let sms = crate::fake_sms::FakeSms::start().await;
    sms.set_down(true);
    let (tpay_base, sms_base) = (fake.url.clone(), sms.url.clone());
    let Some(app) = TestApp::spawn_with(backend, move |s| {
        s.tpay_api_base = tpay_base.clone();
        s.tpay_cert_base = tpay_base;
        s.sms = Some(termino_app::sms::SmsConfig {
            gateway: termino_app::sms::SmsGatewayConfig::Smsapi {
                token: crate::fake_sms::SMSAPI_TOKEN.into(),
                base_url: sms_base,
            },
            sender: crate::fake_sms::SENDER.into(),
        });
    })
    .await
    else {
        return;
    };
    let s = seal_everything(&app).await;
    let resp = s
        .salon
        .owner
        .post(
            "/sms/test",
            json!({"to": "601 777 888", "text": "Wizyta jutro o 10:00"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Every sealed value of the populated database is in a registered
    // column (a column sealed without an entry would show here), and every
    // registered column holds a value that opens.
    let unregistered = unregistered_sealed_columns(&app).await;
    assert!(unregistered.is_empty(), "{unregistered:?}");
    assert_eq!(versions_in_use(&app, &s).await, BTreeSet::from([1]));

    // A rotation with the command: everything moves to version 2.
    rotate_with_the_command(&app).await;
    assert_eq!(versions_in_use(&app, &s).await, BTreeSet::from([2]));
    read_everything(&app, &fake, &s, 0).await;

    // A rotation killed half-way: some values under 3, some still under 2,
    // which stays archived; everything still reads.
    let stopped = app
        .app()
        .rotate_tenant_key_with(
            s.tenant,
            &RotationOptions {
                stop_after_rows: Some(2),
                ..RotationOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(!stopped.finished && stopped.version == 3, "{stopped:?}");
    assert_eq!(versions_in_use(&app, &s).await, BTreeSet::from([2, 3]));
    let states = keystore_states(&app, s.tenant).await;
    assert!(states.contains(&(2, "archived".into(), true)), "{states:?}");
    read_everything(&app, &fake, &s, 1).await;

    // The rerun finishes it, and only then destroys version 2.
    let out = rotate_with_the_command(&app).await;
    assert!(out.contains("interrupted rotation is finished"), "{out}");
    assert!(out.contains("version 3 is active"), "{out}");
    assert_eq!(versions_in_use(&app, &s).await, BTreeSet::from([3]));
    let states = keystore_states(&app, s.tenant).await;
    assert_eq!(
        states,
        vec![
            (1, "destroyed".into(), false),
            (2, "destroyed".into(), false),
            (3, "active".into(), true),
        ]
    );
    read_everything(&app, &fake, &s, 2).await;
    queued_mail_goes_out(&app, &s).await;
    queued_deliveries_go_out(&app, &s).await;
    the_request_is_answered(&app, &s).await;
    // The calendar's address still opens under the newest key: it is
    // fetched again, and the fetch works.
    let asked = s.calendar.seen.lock().unwrap().len();
    app.clock.advance(chrono::Duration::minutes(16));
    app.run_jobs().await;
    assert_eq!(s.calendar.seen.lock().unwrap().len(), asked + 1);
    let calendars = get(
        &s.salon.owner,
        &format!("/staff/{}/external-calendars", s.salon.staff),
    )
    .await;
    assert_eq!(calendars[0]["failures"], 0, "{calendars}");
    sms.set_down(false);
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(app.app().deliver_due_sms().await.unwrap(), 1);
    let sent = sms.requests();
    let last = sent.last().unwrap();
    assert_eq!(last.get("to"), Some("48601777888"));
    assert_eq!(last.get("message"), Some("Wizyta jutro o 10:00"));
    let unregistered = unregistered_sealed_columns(&app).await;
    assert!(unregistered.is_empty(), "{unregistered:?}");
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_keeps_every_sealed_value_sqlite() {
    key_rotation_keeps_every_sealed_value(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_keeps_every_sealed_value_postgres() {
    key_rotation_keeps_every_sealed_value(Backend::Postgres).await;
}
