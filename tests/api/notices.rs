//! Notices to the business (issue 22): the owner and the staff member
//! concerned hear of new, waiting, moved and cancelled bookings and of
//! deposits, once each, as they chose.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::booking_pages::{get_page, post_form};
use crate::deposits::{checkout_of, deposit_salon, metadata, notify, refunds, spawn};
use crate::fake_stripe::{FakeStripe, deposit_paid};
use crate::helpers::{Backend, TestApp, fields, owner_email, problem};
use crate::on_both_backends;
use crate::scheduling::{Salon, book, booking_body, day_ahead, salon, slots};

on_both_backends!(
    the_owner_and_the_staff_member_hear_of_each_change,
    a_booking_to_approve_is_announced_as_waiting,
    each_person_chooses_their_notices,
);

const STAFF: &str = "marta@example.com";
const CLIENT: &str = "klientka-powiadomienia@example.com";

/// Links the salon's staff member to a new staff account.
async fn staff_with_account(app: &TestApp, s: &Salon) -> crate::helpers::Session {
    let member = crate::invitations::join(app, &s.owner, STAFF, "staff").await;
    let me: Value = member.get("/me").await.json().await.unwrap();
    let resp = s
        .owner
        .send(
            reqwest::Method::PUT,
            &format!("/staff/{}", s.staff),
            Some(json!({"name": "Marta Fryzjerka", "user_id": me["user"]["id"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    member
}

/// The notices to an address (the mails that link to a booking in the
/// panel), oldest first.
fn notices_to(app: &TestApp, address: &str) -> Vec<String> {
    if !app.data_dir.join("outbox").exists() {
        return Vec::new();
    }
    app.all_mail_to(address)
        .into_iter()
        .filter(|m| m.contains("/app/bookings/"))
        .collect()
}

async fn client_post(app: &TestApp, slug: &str, token: &str, what: &str, body: Value) {
    let resp = app
        .client()
        .post(app.api(&format!("/public/{slug}/bookings/{token}/{what}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
}

async fn the_owner_and_the_staff_member_hear_of_each_change(app: &TestApp) {
    let s = salon(app, "powiadomienia", json!({})).await;
    let _member = staff_with_account(app, &s).await;
    let owner = owner_email("powiadomienia");
    let free = slots(app, &s, day_ahead(5), "Europe/Warsaw").await;
    let (first, second) = (
        free[0]["start"].as_str().unwrap().to_string(),
        free[3]["start"].as_str().unwrap().to_string(),
    );
    let created: Value = book(app, &s, &booking_body(&s, &first, CLIENT))
        .await
        .json()
        .await
        .unwrap();
    let id = created["booking"]["id"].as_str().unwrap().to_string();
    let token = created["manage_token"].as_str().unwrap().to_string();
    app.run_jobs().await;
    let link = format!("/app/bookings/{id}");
    for to in [owner.as_str(), STAFF] {
        let got = notices_to(app, to);
        assert_eq!(got.len(), 1, "one notice to {to}");
        assert!(got[0].contains("Nowa rezerwacja:"), "{}", got[0]);
        assert!(got[0].contains(&link), "{}", got[0]);
        assert!(got[0].contains("Strzyżenie"), "{}", got[0]);
        // No client details in a notice: the panel shows them.
        assert!(
            !got[0].contains(CLIENT) && !got[0].contains("Karolina"),
            "{}",
            got[0]
        );
    }

    client_post(
        app,
        "powiadomienia",
        &token,
        "reschedule",
        json!({"start": second}),
    )
    .await;
    app.run_jobs().await;
    for to in [owner.as_str(), STAFF] {
        let got = notices_to(app, to);
        assert_eq!(got.len(), 2, "a second notice to {to}");
        let moved = &got[1];
        assert!(moved.contains("Wizyta ma nowy termin:"), "{moved}");
        // Says what changed: the old time beside the new one.
        assert!(moved.contains("Poprzedni termin"), "{moved}");
        assert!(moved.contains(&link), "{moved}");
    }

    client_post(app, "powiadomienia", &token, "cancel", json!({})).await;
    app.run_jobs().await;
    for to in [owner.as_str(), STAFF] {
        let got = notices_to(app, to);
        assert_eq!(got.len(), 3, "a third notice to {to}");
        assert!(
            got[2].contains("Wizyta została odwołana przez klienta:"),
            "{}",
            got[2]
        );
    }
    // Sent once: running the worker again sends nothing more.
    app.run_jobs().await;
    assert_eq!(notices_to(app, &owner).len(), 3);
    assert_eq!(notices_to(app, STAFF).len(), 3);
}

async fn a_booking_to_approve_is_announced_as_waiting(app: &TestApp) {
    let s = salon(app, "akceptacja", json!({"requires_approval": true})).await;
    let start = slots(app, &s, day_ahead(5), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = book(app, &s, &booking_body(&s, &start, CLIENT)).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(created["booking"]["status"], "requested");
    app.run_jobs().await;
    let got = notices_to(app, &owner_email("akceptacja"));
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("czeka na Twoją akceptację:"), "{}", got[0]);
    assert!(!got[0].contains("Nowa rezerwacja:"), "{}", got[0]);
}

async fn each_person_chooses_their_notices(app: &TestApp) {
    let s = salon(app, "wybor", json!({})).await;
    let member = staff_with_account(app, &s).await;
    let owner = owner_email("wybor");
    let all: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(
        all["enabled"],
        json!([
            "new_booking",
            "awaiting_approval",
            "rescheduled",
            "cancelled",
            "deposit_paid",
            "deposit_refunded"
        ])
    );
    // A notice that does not exist is refused, naming the field.
    let resp = member
        .send(
            reqwest::Method::PUT,
            "/me/notices",
            Some(json!({"enabled": ["new_booking", "gossip"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem(resp).await), ["enabled"]);
    // The staff member keeps only cancellations (REST) ...
    let resp = member
        .send(
            reqwest::Method::PUT,
            "/me/notices",
            Some(json!({"enabled": ["cancelled"]})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let kept: Value = member.get("/me/notices").await.json().await.unwrap();
    assert_eq!(kept["enabled"], json!(["cancelled"]));
    // ... and the owner turns new bookings off in the panel.
    let (status, html) =
        get_page(&s.owner.client, &format!("{}/app/notices?lang=en", app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("A new booking"), "{html}");
    assert!(html.contains("name=\"rescheduled\""), "{html}");
    let resp = post_form(
        &s.owner.client,
        &format!("{}/app/notices", app.url),
        &[
            ("csrf_token", &s.owner.csrf),
            ("rescheduled", "on"),
            ("cancelled", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let mine: Value = s.owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(mine["enabled"], json!(["rescheduled", "cancelled"]));

    let start = slots(app, &s, day_ahead(5), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let created: Value = book(app, &s, &booking_body(&s, &start, CLIENT))
        .await
        .json()
        .await
        .unwrap();
    app.run_jobs().await;
    assert!(notices_to(app, &owner).is_empty(), "new bookings are off");
    assert!(notices_to(app, STAFF).is_empty(), "new bookings are off");
    let token = created["manage_token"].as_str().unwrap().to_string();
    client_post(app, "wybor", &token, "cancel", json!({})).await;
    app.run_jobs().await;
    assert_eq!(notices_to(app, &owner).len(), 1);
    assert_eq!(notices_to(app, STAFF).len(), 1);
}

/// Deposits: the owner hears when the client paid (that is when the
/// booking counts) and when the deposit went back.
async fn the_owner_hears_of_deposits(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, account) = deposit_salon(&app, &fake, "zaliczka-info").await;
    let owner = owner_email("zaliczka-info");
    let (_, id) = crate::deposits::book_on_page(&app, &s, CLIENT).await;
    app.run_jobs().await;
    assert!(notices_to(&app, &owner).is_empty(), "not until it is paid");
    let r = checkout_of(&fake);
    notify(
        &app,
        &deposit_paid("evt_n1", &account, &metadata(&r), 3600, "pln", "pi_n1"),
    )
    .await;
    app.run_jobs().await;
    let got = notices_to(&app, &owner);
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Klient wpłacił zaliczkę"), "{}", got[0]);
    assert!(
        got[0].contains(&format!("/app/bookings/{id}")),
        "{}",
        got[0]
    );
    let resp = s
        .owner
        .post(
            &format!("/bookings/{id}/cancel"),
            json!({"reason": "choroba"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(refunds(&fake).len(), 1);
    app.run_jobs().await;
    let got = notices_to(&app, &owner);
    // The owner cancelled it: no cancellation notice, the refund's only.
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got[1].contains("Zaliczka za wizytę została zwrócona"),
        "{}",
        got[1]
    );
    app.finish().await;
}

mod the_owner_hears_of_deposits {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_owner_hears_of_deposits(crate::helpers::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::the_owner_hears_of_deposits(crate::helpers::Backend::Postgres).await;
    }
}
