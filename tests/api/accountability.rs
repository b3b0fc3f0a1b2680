//! Accountability: the audit log is a per-business hash chain whose edits,
//! gaps and reordering are found; operators see client data only inside a
//! business's support grant, always audited; clients' data requests from
//! the booking page (export with everything about the client and nothing
//! else, erasure without plaintext or index left, deadlines and
//! extensions); and the breach register: exactly the affected businesses
//! notified with the right counts, the 72-hour clock exact across a DST
//! change, escalations at 24/48/60 hours with `--as-of`.

use chrono::{DateTime, Duration, Months, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::compliance::{count, id_literal, sql};
use crate::helpers::{
    Backend, PASSWORD, Session, TestApp, attachment, fields, link_token, owner_email, problem,
};
use crate::on_both_backends;
use crate::panel_pages::{page, submit};
use crate::scheduling::{Salon, book, day_ahead, salon, slots};
use crate::webhooks::{Hit, Receiver, deliver_expecting};

on_both_backends!(
    the_audit_chain_detects_an_edited_deleted_or_reordered_entry,
    operators_see_client_data_only_inside_a_grant_and_always_audited,
    a_client_export_holds_everything_about_them_and_nothing_else,
    erasure_leaves_no_plaintext_and_no_index_entry,
    request_deadlines_are_tracked_and_extended,
    a_breach_notifies_exactly_the_affected_businesses,
    a_breach_notice_to_clients_cannot_be_sent_twice_in_parallel,
);

const OPERATOR_EMAIL: &str = "ops@termino.example.com";
const OPERATOR_PASSWORD: &str = "Niebieski-Operator-77!";

async fn run(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = app
        .termino(
            args,
            &[("TERMINO_OPERATOR_PASSWORD", OPERATOR_PASSWORD.to_string())],
        )
        .await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn create_operator(app: &TestApp) {
    let (ok, out) = run(
        app,
        &[
            "operator",
            "create",
            "--email",
            OPERATOR_EMAIL,
            "--name",
            "Olga Operator",
        ],
    )
    .await;
    assert!(ok, "{out}");
}

async fn audit(owner: &Session) -> Vec<Value> {
    let resp = owner.get("/audit-events?limit=1000").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page: Value = resp.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["actor_kind"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect()
}

async fn new_client(owner: &Session, name: &str, email: &str) -> String {
    let resp = owner
        .post(
            "/clients",
            json!({"name": name, "email": email, "notes": format!("notatka o {name}")}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn tenant_of(slug: &str) -> String {
    format!("(SELECT id FROM tenants WHERE slug = '{slug}')")
}

async fn verify(app: &TestApp, slug: &str) -> (bool, String) {
    run(app, &["audit", "verify", "--tenant", slug]).await
}

async fn the_audit_chain_detects_an_edited_deleted_or_reordered_entry(app: &TestApp) {
    let mut logs = Vec::new();
    for slug in ["audyt-a", "audyt-b", "audyt-c"] {
        let owner = app.signup(slug).await;
        let id = new_client(&owner, "Ewa Nowak", &format!("ewa@{slug}.example.com")).await;
        assert_eq!(
            owner.get(&format!("/clients/{id}")).await.status(),
            StatusCode::OK
        );
        assert_eq!(owner.get("/clients?q=ewa").await.status(), StatusCode::OK);
        assert_eq!(
            owner
                .post(
                    "/api-keys",
                    json!({"name": "Kasa", "scopes": ["clients:read"]})
                )
                .await
                .status(),
            StatusCode::CREATED
        );
        let again = app.login(&owner_email(slug), PASSWORD).await;
        let events = audit(&again).await;
        let seen = actions(&events);
        for expected in [
            "user client.created",
            "user client.read",
            "user clients.listed",
            "user api_key.created",
            "user login",
        ] {
            assert!(
                seen.contains(&expected.to_string()),
                "{expected} in {seen:?}"
            );
        }
        // Ids, never personal data: not the name, e-mail or search text.
        let text = serde_json::to_string(&events).unwrap();
        assert!(!text.contains("Ewa") && !text.contains("ewa@"), "{text}");
        let read = events
            .iter()
            .find(|e| e["action"] == "client.read")
            .unwrap();
        assert_eq!(read["target_kind"], "client");
        assert_eq!(read["target_id"], id.as_str());
        // Chained: each entry's prev_hash is the entry before's hash.
        let mut ordered = events.clone();
        ordered.reverse();
        for pair in ordered.windows(2) {
            assert_eq!(pair[1]["prev_hash"], pair[0]["entry_hash"]);
        }
        let (ok, out) = verify(app, slug).await;
        assert!(ok && out.contains("intact"), "{out}");
        logs.push(ordered.len());
    }
    let (ok, out) = run(app, &["audit", "verify"]).await;
    assert!(ok, "{out}");

    if app.backend == Backend::Postgres {
        // The database itself refuses edits.
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        use sea_orm::ConnectionTrait;
        let refused = db
            .execute_unprepared("UPDATE audit_events SET detail = 'x' WHERE seq = 1")
            .await;
        assert!(refused.is_err(), "the trigger refuses edits");
        let refused = db
            .execute_unprepared("DELETE FROM audit_events WHERE seq = 1")
            .await;
        assert!(refused.is_err(), "the trigger refuses deletes");
        db.close().await.ok();
        // Whoever can switch it off is still caught by the chain.
        sql(
            app,
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        )
        .await;
    }
    // An edited entry.
    sql(
        app,
        &format!(
            "UPDATE audit_events SET detail = 'nothing to see' WHERE tenant_id = {} AND seq = 2",
            tenant_of("audyt-a")
        ),
    )
    .await;
    let (ok, out) = verify(app, "audyt-a").await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("BROKEN at entry 2") && out.contains("changed"),
        "{out}"
    );
    // A deleted entry in the middle.
    sql(
        app,
        &format!(
            "DELETE FROM audit_events WHERE tenant_id = {} AND seq = 2",
            tenant_of("audyt-b")
        ),
    )
    .await;
    let (ok, out) = verify(app, "audyt-b").await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("BROKEN at entry 3") && out.contains("missing"),
        "{out}"
    );
    // Two entries swapped.
    let c = tenant_of("audyt-c");
    for (from, to) in [(2, 1000), (3, 2), (1000, 3)] {
        sql(
            app,
            &format!("UPDATE audit_events SET seq = {to} WHERE tenant_id = {c} AND seq = {from}"),
        )
        .await;
    }
    let (ok, out) = verify(app, "audyt-c").await;
    assert!(!ok, "{out}");
    assert!(out.contains("BROKEN at entry 2"), "{out}");
    // The last entry removed: the head still names it.
    let last = logs[2];
    sql(
        app,
        &format!("DELETE FROM audit_events WHERE tenant_id = {c} AND seq = {last}"),
    )
    .await;
    let (ok, out) = run(app, &["audit", "verify"]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("3 of 3 audit logs are broken"), "{out}");
}

/// An operator's browser, signed in at `/ops`.
async fn operator_session(app: &TestApp) -> reqwest::Client {
    let client = app.browser();
    let resp = client
        .post(format!("{}/ops/login", app.url))
        .form(&[("email", OPERATOR_EMAIL), ("password", OPERATOR_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/ops");
    client
}

async fn operators_see_client_data_only_inside_a_grant_and_always_audited(app: &TestApp) {
    let owner = app.signup("wsparcie").await;
    new_client(&owner, "Zofia Tajna", "zofia@example.com").await;
    // The operators' pages need an operator, not a business's session.
    let resp = owner
        .client
        .get(format!("{}/ops/support/wsparcie", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    create_operator(app).await;
    let wrong = app
        .browser()
        .post(format!("{}/ops/login", app.url))
        .form(&[("email", OPERATOR_EMAIL), ("password", "not-it")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let ops = operator_session(app).await;
    let look = || async {
        let resp = ops
            .get(format!("{}/ops/support/wsparcie", app.url))
            .send()
            .await
            .unwrap();
        (resp.status(), resp.text().await.unwrap())
    };

    // No grant: nothing.
    let (status, body) = look().await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("Zofia"), "{body}");

    // The owner lets support in for two hours, from the panel.
    let resp = submit(
        app,
        &owner,
        "/app/security/support",
        &[("hours", "200"), ("reason", "import klientów")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("import klientów"),
        "the form keeps what was typed"
    );
    let resp = submit(
        app,
        &owner,
        "/app/security/support",
        &[("hours", "2"), ("reason", "import klientów")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let grants: Value = owner.get("/support-grants").await.json().await.unwrap();
    assert_eq!(grants[0]["active"], true);

    let (status, body) = look().await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Zofia Tajna"), "{body}");

    // Two hours later the grant is over by itself.
    app.clock.advance(Duration::hours(2) + Duration::minutes(1));
    let (status, body) = look().await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.contains("Zofia"));
    let grants: Value = owner.get("/support-grants").await.json().await.unwrap();
    assert_eq!(grants[0]["active"], false);

    // A new grant, ended early by the owner: refused again.
    let resp = owner
        .post("/support-grants", json!({"hours": 1, "reason": ""}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(look().await.0, StatusCode::OK);
    assert_eq!(
        owner
            .delete(&format!("/support-grants/{id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(look().await.0, StatusCode::FORBIDDEN);

    // Every look is in the business's log, allowed or not.
    let seen = actions(&audit(&owner).await);
    let n = |what: &str| seen.iter().filter(|s| *s == what).count();
    assert_eq!(n("operator support_access.denied"), 3, "{seen:?}");
    assert_eq!(n("operator support_access.used"), 2, "{seen:?}");
    assert_eq!(n("operator clients.listed"), 2, "{seen:?}");
    assert_eq!(n("user support_access.granted"), 2, "{seen:?}");
    assert_eq!(n("user support_access.revoked"), 1, "{seen:?}");

    // The panel shows the log and the grants.
    let (status, body) = page(app, &owner, "/app/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("support_access.denied"));
    let (status, body) = page(app, &owner, "/app/security").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("import klientów"));
    let csv = owner.get("/audit-events/export").await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.lines().next().unwrap().contains("entry_hash"));
    assert!(csv.contains("support_access.used"));
}

fn client_booking(s: &Salon, start: &str, name: &str, email: &str, notes: &str) -> Value {
    json!({
        "service_id": s.service, "start": start, "zone": "Europe/Warsaw",
        "client": {"name": name, "email": email, "notes": notes},
    })
}

async fn booked(app: &TestApp, s: &Salon, body: &Value) {
    let resp = book(app, s, body).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
}

/// The client proves their address and files a request; returns the token.
pub(crate) async fn prove(app: &TestApp, slug: &str, email: &str) -> String {
    let before = app.mails_to(email);
    let links_before = mails_with(app, email, "/your-data/").len();
    let resp = app
        .client()
        .post(app.api(&format!("/public/{slug}/data-requests/link")))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    app.expect_mails(email, before + 1).await;
    // Other mail to the client may be there too: the newest with a link.
    let links = mails_with(app, email, "/your-data/");
    assert!(links.len() > links_before, "no new link mail to {email}");
    link_token(&links[0], "/your-data/")
}

/// Mails to an address containing `text`, newest first.
pub(crate) fn mails_with(app: &TestApp, address: &str, text: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(app.data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .rev()
        .map(|p| {
            crate::helpers::decode_quoted_printable(&std::fs::read_to_string(p).unwrap_or_default())
        })
        .filter(|t| t.contains(&format!("To: {address}\r\n")) && t.contains(text))
        .collect()
}

/// The newest mail to `address` that contains `text`, after sending what
/// is due: other mail to the same address may be there too.
pub(crate) async fn mail_with(app: &TestApp, address: &str, text: &str) -> String {
    app.run_jobs().await;
    mails_with(app, address, text)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no mail to {address} with {text:?}"))
}

/// What the client's link shows.
async fn subject_view(app: &TestApp, slug: &str, token: &str) -> Value {
    let resp = app
        .client()
        .get(app.api(&format!("/public/{slug}/data-requests?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

pub(crate) async fn file(app: &TestApp, slug: &str, token: &str, body: Value) -> reqwest::Response {
    let mut body = body;
    body["token"] = json!(token);
    app.client()
        .post(app.api(&format!("/public/{slug}/data-requests")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The client asks for restriction (Art. 18) and the owner completes it.
pub(crate) async fn restrict_client(app: &TestApp, s: &Salon, email: &str) {
    let token = prove(app, &s.slug, email).await;
    let resp = file(
        app,
        &s.slug,
        &token,
        json!({"kind": "restriction", "note": "proszę wstrzymać"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = open_request(&s.owner).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = s
        .owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn open_request(owner: &Session) -> Value {
    let list: Value = owner.get("/data-requests").await.json().await.unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "open")
        .cloned()
        .expect("an open request")
}

async fn a_client_export_holds_everything_about_them_and_nothing_else(app: &TestApp) {
    let s = salon(app, "dostep", json!({})).await;
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    let at = |i: usize| free[i]["start"].as_str().unwrap().to_string();
    let alicja = "alicja@example.com";
    booked(
        app,
        &s,
        &client_booking(&s, &at(0), "Alicja Pierwsza", alicja, "alergia na lateks"),
    )
    .await;
    booked(
        app,
        &s,
        &client_booking(&s, &at(2), "Alicja Pierwsza", alicja, "druga wizyta"),
    )
    .await;
    booked(
        app,
        &s,
        &client_booking(
            &s,
            &at(4),
            "Bożena Druga",
            "bozena@example.com",
            "sekret Bożeny",
        ),
    )
    .await;

    // Someone without data gets told so, on the page behind the link.
    let stranger = prove(app, "dostep", "obcy@example.com").await;
    assert_eq!(subject_view(app, "dostep", &stranger).await["known"], false);
    let resp = file(app, "dostep", &stranger, json!({"kind": "access"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    // Links to one address are rationed: the form cannot mail strangers
    // over and over.
    let ask = || async {
        app.client()
            .post(app.api("/public/dostep/data-requests/link"))
            .json(&json!({"email": "obcy@example.com"}))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(ask().await, StatusCode::ACCEPTED);
    assert_eq!(ask().await, StatusCode::ACCEPTED);
    assert_eq!(ask().await, StatusCode::TOO_MANY_REQUESTS);
    // A made-up token proves nothing.
    let resp = file(app, "dostep", "forged-token", json!({"kind": "access"})).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The booking page links to "your data"; the web form works too.
    let page_html = app
        .client()
        .get(format!("{}/b/dostep?lang=en", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page_html.contains("/b/dostep/your-data"));
    let token = prove(app, "dostep", alicja).await;
    let html = app
        .client()
        .get(format!("{}/b/dostep/your-data/{token}?lang=en", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    let html = html.text().await.unwrap();
    assert!(html.contains("Copy of the data"), "{html}");
    let resp = file(app, "dostep", &token, json!({"kind": "everything"})).await;
    assert_eq!(fields(&problem(resp).await), ["kind"]);
    let resp = file(app, "dostep", &token, json!({"kind": "access"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let owner = &s.owner;
    let request = open_request(owner).await;
    assert_eq!(request["kind"], "access");
    let id = request["id"].as_str().unwrap().to_string();
    let resp = owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let done: Value = resp.json().await.unwrap();
    assert_eq!(done["status"], "completed");
    assert!(done["completed_at"].is_string());
    let resp = owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "once");

    // The client gets everything about them, as JSON.
    let mail = mail_with(app, alicja, "application/json").await;
    let export: Value = serde_json::from_str(&attachment(&mail, "application/json")).unwrap();
    assert_eq!(export["you"]["name"], "Alicja Pierwsza");
    assert_eq!(export["you"]["email"], alicja);
    let bookings = export["bookings"].as_array().unwrap();
    assert_eq!(bookings.len(), 2);
    let notes: Vec<&str> = bookings
        .iter()
        .map(|b| b["notes"].as_str().unwrap())
        .collect();
    assert!(notes.contains(&"alergia na lateks") && notes.contains(&"druga wizyta"));
    assert!(bookings.iter().all(|b| b["service"].is_string()));
    assert_eq!(export["requests"].as_array().unwrap().len(), 1);
    // …and nothing about anyone else.
    let text = export.to_string();
    for other in ["Bożena", "bozena@", "sekret", "obcy@"] {
        assert!(!text.contains(other), "{other} in {text}");
    }
    let seen = actions(&audit(owner).await);
    assert!(
        seen.contains(&"client data_request.received".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"user client.exported".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"user data_request.completed".to_string()),
        "{seen:?}"
    );
}

async fn erasure_leaves_no_plaintext_and_no_index_entry(app: &TestApp) {
    let s = salon(app, "usuwanie", json!({})).await;
    // The business's system takes bookings with contact details, but is
    // down: Celina's booking waits in the queue.
    let (hooks, hook_url) = Receiver::start(u32::MAX).await;
    let resp = s
        .owner
        .post(
            "/webhook-endpoints",
            json!({"url": hook_url, "events": ["booking.created"], "include_personal_data": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    let at = |i: usize| free[i]["start"].as_str().unwrap().to_string();
    let email = "celina.zapomniana@example.com";
    booked(
        app,
        &s,
        &client_booking(&s, &at(0), "Celina Zapomniana", email, "notatka Celiny"),
    )
    .await;
    booked(
        app,
        &s,
        &client_booking(
            &s,
            &at(2),
            "Dorota Zostaje",
            "dorota@example.com",
            "zostaje",
        ),
    )
    .await;
    let owner = &s.owner;
    let clients: Value = owner.get("/clients").await.json().await.unwrap();
    let celina = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == email)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let lit = id_literal(app, &celina);
    let index = {
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        use sea_orm::ConnectionTrait;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT email_index FROM clients WHERE id = {lit}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let index: String = row.try_get_by_index(0).unwrap();
        db.close().await.ok();
        index
    };

    // Two tries each (the second comes 5 s after the first); the third
    // waits five minutes, so nothing is in flight during the erasure.
    let carrying = || -> Vec<Hit> {
        hooks
            .hits()
            .into_iter()
            .filter(|h| h.body.contains(email))
            .collect()
    };
    deliver_expecting(app, &hooks, 2).await;
    app.clock.advance(Duration::seconds(6));
    deliver_expecting(app, &hooks, 4).await;
    let queued = carrying();
    assert_eq!(queued.len(), 2, "her booking went out with her address");
    assert_eq!(queued[0].id, queued[1].id);

    let token = prove(app, "usuwanie", email).await;
    let resp = file(
        app,
        "usuwanie",
        &token,
        json!({"kind": "erasure", "note": "proszę usunąć"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    // Every mail to her so far has gone out: confirmation, link, receipt.
    app.expect_mails(email, 3).await;
    let sealed = format!(
        "SELECT COUNT(*) FROM mail_outbox WHERE sealed = {} AND tenant_id = {}",
        if app.backend == Backend::Postgres {
            "true"
        } else {
            "1"
        },
        tenant_of("usuwanie")
    );
    app.run_jobs().await;
    let pending = count(
        app,
        &format!(
            "SELECT COUNT(*) FROM mail_outbox WHERE status = 'pending' AND tenant_id = {}",
            tenant_of("usuwanie")
        ),
    )
    .await;
    assert_eq!(pending, 0, "every mail so far is sent");
    let sealed_before = count(app, &sealed).await;

    // One action in the panel.
    let request = open_request(owner).await;
    let id = request["id"].as_str().unwrap();
    let (status, body) = page(app, owner, &format!("/app/requests/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("proszę usunąć") && body.contains("Erasure"),
        "{body}"
    );
    let resp = submit(app, owner, &format!("/app/requests/{id}/complete"), &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // The client, her bookings and her index entry are gone; Dorota stays.
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM clients WHERE id = {lit}")
        )
        .await,
        0
    );
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM bookings WHERE client_id = {lit}")
        )
        .await,
        0
    );
    assert_eq!(
        count(app, &format!("SELECT COUNT(*) FROM clients WHERE email_index = '{index}' OR phone_index = '{index}'")).await,
        0
    );
    let clients: Value = owner.get("/clients").await.json().await.unwrap();
    assert_eq!(clients["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        owner.get(&format!("/clients/{celina}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // The copies of the mail sent to her went too; only the answer is new.
    assert_eq!(count(app, &sealed).await, sealed_before - 3 + 1);
    // She is told, and the request keeps no address; the outbox's files of
    // the earlier mail to her are gone too.
    app.expect_mails(email, 1).await;
    assert_eq!(app.mails_to(email), 1);
    assert!(
        app.latest_mail_to(email).contains("erased") || app.latest_mail_to(email).contains("usun")
    );
    let done: Value = owner
        .get(&format!("/data-requests/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "completed");
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM data_requests WHERE contact IS NOT NULL AND tenant_id = {}",
                tenant_of("usuwanie")
            )
        )
        .await,
        0
    );
    // The queued delivery is retried without her details: the business's
    // system still learns of the booking, by its id only.
    let before = hooks.hits().len();
    app.clock.advance(Duration::minutes(6));
    deliver_expecting(app, &hooks, before + 2).await;
    let retried: Vec<Hit> = hooks.hits()[before..]
        .iter()
        .filter(|h| h.id == queued[0].id)
        .cloned()
        .collect();
    assert!(!retried.is_empty(), "her booking's delivery was retried");
    for hit in &retried {
        assert!(!hit.body.contains("elina"), "{}", hit.body);
        let body: Value = serde_json::from_str(&hit.body).unwrap();
        assert!(body["data"]["id"].is_string() && body["data"].get("client").is_none());
    }
    // Dorota's is untouched.
    assert!(
        hooks.hits()[before..]
            .iter()
            .any(|h| h.body.contains("dorota@example.com"))
    );
    // Looked up through the index again: nobody.
    let again = prove(app, "usuwanie", email).await;
    assert_eq!(subject_view(app, "usuwanie", &again).await["known"], false);
    // No plaintext anywhere in the database.
    for needle in ["Celina", "celina.zapomniana", "notatka Celiny"] {
        assert!(
            !database_mentions(app, needle).await,
            "{needle} is still stored"
        );
    }
    let seen = actions(&audit(owner).await);
    assert!(seen.contains(&"user client.erased".to_string()), "{seen:?}");
}

/// Whether any row of any table holds `needle` as text.
async fn database_mentions(app: &TestApp, needle: &str) -> bool {
    match app.backend {
        Backend::Postgres => {
            let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
            use sea_orm::ConnectionTrait;
            let tables = db
                .query_all_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                ))
                .await
                .unwrap();
            let mut found = false;
            for t in tables {
                let name: String = t.try_get_by_index(0).unwrap();
                let n = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        format!(
                            "SELECT COUNT(*) FROM \"{name}\" x WHERE row_to_json(x)::text ILIKE '%{needle}%'"
                        ),
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                let n: i64 = n.try_get_by_index(0).unwrap();
                found |= n > 0;
            }
            db.close().await.ok();
            found
        }
        Backend::Sqlite => {
            let path = app
                .database_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap()
                .to_string();
            [path.clone(), format!("{path}-wal")].iter().any(|p| {
                std::fs::read(p)
                    .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
                    .unwrap_or(false)
            })
        }
    }
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn request_deadlines_are_tracked_and_extended(app: &TestApp) {
    let s = salon(app, "terminy", json!({})).await;
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    let email = "ela@example.com";
    booked(
        app,
        &s,
        &client_booking(
            &s,
            free[0]["start"].as_str().unwrap(),
            "Ela Ograniczona",
            email,
            "",
        ),
    )
    .await;
    let owner = &s.owner;
    let token = prove(app, "terminy", email).await;
    let resp = file(
        app,
        "terminy",
        &token,
        json!({"kind": "restriction", "note": "proszę wstrzymać"}),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let filed: Value = resp.json().await.unwrap();
    let r = open_request(owner).await;
    let received = time(&r["received_at"]);
    assert_eq!(
        time(&r["due_at"]),
        received.checked_add_months(Months::new(1)).unwrap()
    );
    assert_eq!(r["deadline"], r["due_at"]);
    assert_eq!(filed["deadline"], r["due_at"]);
    assert_eq!(r["overdue"], false);
    let id = r["id"].as_str().unwrap().to_string();
    // The owner is told, with the deadline.
    app.expect_mails(&owner_email("terminy"), 1).await;

    // Extensions: at most two months, with a reason the client is told.
    let path = format!("/data-requests/{id}/extension");
    let resp = owner
        .post(&path, json!({"months": 3, "reason": "dużo danych"}))
        .await;
    assert_eq!(fields(&problem(resp).await), ["months"]);
    let resp = owner
        .post(&path, json!({"months": 2, "reason": "  "}))
        .await;
    assert_eq!(fields(&problem(resp).await), ["reason"]);
    let resp = owner
        .post(&path, json!({"months": 2, "reason": "sprawdzamy archiwum"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(
        time(&r["extended_due_at"]),
        received.checked_add_months(Months::new(3)).unwrap()
    );
    assert_eq!(r["deadline"], r["extended_due_at"]);
    // The client is told why.
    mail_with(app, email, "sprawdzamy archiwum").await;
    let resp = owner
        .post(&path, json!({"months": 1, "reason": "jeszcze"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // The panel's inbox shows it, in time.
    let (status, body) = page(app, owner, "/app/requests").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("Restriction of processing") && !body.contains("overdue"),
        "{body}"
    );

    // Completing restricts: kept, but no changes and no new bookings.
    let resp = owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let clients: Value = owner.get("/clients").await.json().await.unwrap();
    let client = clients["items"][0]["id"].as_str().unwrap().to_string();
    let resp = owner
        .patch(&format!("/clients/{client}"), json!({"notes": "nowa"}))
        .await;
    assert_eq!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap(),
        "processing-restricted"
    );
    let resp = book(
        app,
        &s,
        &client_booking(&s, free[3]["start"].as_str().unwrap(), "Ela", email, ""),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // A refusal needs a reason; an objection turns marketing off, even for
    // a restricted client.
    let token = prove(app, "terminy", email).await;
    let resp = file(app, "terminy", &token, json!({"kind": "rectification"})).await;
    assert_eq!(fields(&problem(resp).await), ["note"]);
    let resp = file(app, "terminy", &token, json!({"kind": "objection"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let r = open_request(owner).await;
    let id = r["id"].as_str().unwrap().to_string();
    let resp = owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "refuse"}),
        )
        .await;
    assert_eq!(fields(&problem(resp).await), ["reason"]);
    let resp = owner
        .post(
            &format!("/data-requests/{id}/completion"),
            json!({"decision": "complete"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let c: Value = owner
        .get(&format!("/clients/{client}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["marketing_consent"], false);
    // …and the restriction still holds.
    let resp = owner
        .patch(&format!("/clients/{client}"), json!({"notes": "nowa"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // An open request past its month is overdue, in the API and the panel.
    let resp = file(app, "terminy", &token, json!({"kind": "access"})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = open_request(owner).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(Duration::days(32));
    let owner = app.login(&owner_email("terminy"), PASSWORD).await;
    let r: Value = owner
        .get(&format!("/data-requests/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["overdue"], true);
    let (_, body) = page(app, &owner, "/app/requests").await;
    assert!(body.contains("overdue"), "{body}");
}

async fn a_breach_notifies_exactly_the_affected_businesses(app: &TestApp) {
    // Outside the window: a business whose data was all written before.
    let outside = app.signup("poza-oknem").await;
    new_client(&outside, "Halina Spokojna", "halina@example.com").await;
    // The clock moves on around the window's start, so that no write
    // shares its instant.
    app.clock.advance(chrono::Duration::seconds(1));
    let window_start = app.app().now();
    app.clock.advance(chrono::Duration::seconds(1));

    // Inside: two clients booking and one added by the owner.
    let s = salon(app, "w-oknie", json!({})).await;
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    booked(
        app,
        &s,
        &client_booking(
            &s,
            free[0]["start"].as_str().unwrap(),
            "Irena Pierwsza",
            "irena@example.com",
            "",
        ),
    )
    .await;
    booked(
        app,
        &s,
        &client_booking(
            &s,
            free[2]["start"].as_str().unwrap(),
            "Jadwiga Druga",
            "jadwiga@example.com",
            "",
        ),
    )
    .await;
    new_client(&s.owner, "Kinga Trzecia", "kinga@example.com").await;
    let window_end = app.app().now();
    app.clock.advance(chrono::Duration::seconds(1));
    // Written after the window: not part of it.
    new_client(&s.owner, "Lena Późniejsza", "lena@example.com").await;

    create_operator(app).await;
    let aware = (app.app().now() - Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (ok, out) = run(
        app,
        &[
            "breach",
            "open",
            "--operator",
            OPERATOR_EMAIL,
            "--aware-at",
            &aware,
            "--window-start",
            &window_start.to_rfc3339(),
            "--window-end",
            &window_end.to_rfc3339(),
            "--nature",
            "API node logs copied by an unauthorised person",
            "--systems",
            "api node",
            "--categories",
            "contact details,booking history",
            "--encrypted",
            "--consequences",
            "possible phishing",
            "--measures",
            "node rebuilt, credentials rotated",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let reference = incident_reference(&out);
    assert!(reference.starts_with("INC-"), "{out}");
    assert!(out.contains("affected businesses: 1"), "{out}");
    // 3 clients; 3 client records and 2 bookings.
    assert!(
        out.contains("notified w-oknie: 3 data subjects, 5 records"),
        "{out}"
    );
    assert!(!out.contains("poza-oknem"), "{out}");
    let aware_at = DateTime::parse_from_rfc3339(&aware)
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        out.contains(&format!(
            "notify by (UTC): {}",
            (aware_at + Duration::hours(72)).to_rfc3339()
        )),
        "{out}"
    );

    // The affected owner: e-mail and the panel; the other: nothing.
    let owner = &s.owner;
    let mail = mail_with(app, &owner_email("w-oknie"), &reference).await;
    assert!(mail.contains("possible phishing"), "{mail}");
    let incidents: Value = owner.get("/incidents").await.json().await.unwrap();
    let incident = &incidents[0];
    assert_eq!(incident["data_subjects"], 3);
    assert_eq!(incident["records"], 5);
    assert_eq!(time(&incident["notify_by"]), aware_at + Duration::hours(72));
    assert_eq!(incident["individuals_exempt"], true);
    assert!(
        incident["uodo_draft"].as_str().unwrap().contains("34"),
        "Art. 34(3)(a) wording"
    );
    assert!(incident["uodo_draft"].as_str().unwrap().contains(TAX));
    let id = incident["id"].as_str().unwrap().to_string();
    let (status, body) = page(app, owner, "/app").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(&reference) && body.contains("left"),
        "the panel alert with the clock"
    );
    let (status, body) = page(app, owner, &format!("/app/incidents/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("72-hour deadline"));
    let others: Value = outside.get("/incidents").await.json().await.unwrap();
    assert_eq!(others, json!([]));
    assert_eq!(
        outside.get(&format!("/incidents/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(mails_with(app, &owner_email("poza-oknem"), &reference).is_empty());

    // The client notice goes to exactly the three affected clients.
    let affected = [
        "irena@example.com",
        "jadwiga@example.com",
        "kinga@example.com",
    ];
    let resp = owner
        .post(&format!("/incidents/{id}/client-notice"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let sent: Value = resp.json().await.unwrap();
    assert_eq!(sent["client_notice_recipients"], 3);
    // The notice the panel showed is the one they get (its first line; the
    // subject travels MIME-encoded).
    let first_line = sent["client_notice"]
        .as_str()
        .unwrap()
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_string();
    for who in affected {
        // Among their booking confirmations.
        app.run_jobs().await;
        let notices = mails_with(app, who, &reference);
        assert_eq!(notices.len(), 1, "{who}");
        assert!(notices[0].contains(&first_line), "{who}: {}", notices[0]);
    }
    for who in ["lena@example.com", "halina@example.com"] {
        assert_eq!(app.mails_to(who), 0, "{who} was not affected");
    }
    let resp = owner
        .post(&format!("/incidents/{id}/client-notice"), json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT, "sent once");

    // Escalations while anything is outstanding, each once.
    let escalate = |hours: i64| {
        let at = (aware_at + Duration::hours(hours)).to_rfc3339();
        async move { run(app, &["breach", "escalate", "--as-of", &at]).await }
    };
    let (ok, out) = escalate(23).await;
    assert!(ok && out.contains(": 0"), "{out}");
    let (_, out) = escalate(24).await;
    assert!(
        out.contains(&format!("escalated {reference} at 24 h to operators")),
        "{out}"
    );
    assert!(
        out.contains(&format!("escalated {reference} at 24 h to w-oknie")),
        "{out}"
    );
    let (_, out) = escalate(25).await;
    assert!(out.contains(": 0"), "once per stage: {out}");
    let (_, out) = escalate(48).await;
    assert!(
        out.contains("at 48 h to operators") && out.contains("at 48 h to w-oknie"),
        "{out}"
    );
    // The business records what it did: its reminders stop.
    let resp = owner
        .post(
            &format!("/incidents/{id}/decision"),
            json!({"decision": "Zgłoszono do UODO, nr DKN.5130.1.2026"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, out) = escalate(60).await;
    assert!(
        out.contains("at 60 h to operators") && !out.contains("at 60 h to w-oknie"),
        "{out}"
    );
    app.expect_mails(OPERATOR_EMAIL, 3).await;

    // Updates in phases reach the business; the incident closes with a report.
    let (ok, out) = run(
        app,
        &[
            "breach",
            "update",
            &reference,
            "--operator",
            OPERATOR_EMAIL,
            "--phase",
            "forensics",
            "--body",
            "no further access found",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let one: Value = owner
        .get(&format!("/incidents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["updates"][0]["phase"], "forensics");
    let (ok, report) = run(
        app,
        &[
            "breach",
            "close",
            &reference,
            "--decision",
            "all affected businesses notified within 2 hours",
        ],
    )
    .await;
    assert!(ok, "{report}");
    assert!(
        report.contains(&reference) && report.contains("all affected businesses notified"),
        "{report}"
    );
    let (_, out) = escalate(70).await;
    assert!(out.contains(": 0"), "closed: {out}");

    // An incident that touched nobody, across the autumn clock change, is
    // kept too: 72 hours of elapsed time, not of wall clock.
    let (ok, out) = run(
        app,
        &[
            "breach",
            "open",
            "--operator",
            OPERATOR_EMAIL,
            "--aware-at",
            "2026-10-24T10:00:00+02:00",
            "--window-start",
            "2026-10-23T00:00:00Z",
            "--window-end",
            "2026-10-24T00:00:00Z",
            "--nature",
            "a laptop lost, its disk encrypted",
            "--systems",
            "support laptop",
            "--categories",
            "none",
            "--encrypted",
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(
        out.contains("notify by (UTC): 2026-10-27T08:00:00+00:00"),
        "{out}"
    );
    assert!(out.contains("2026-10-27 09:00 CET Warsaw"), "{out}");
    assert!(out.contains("affected businesses: 0"), "{out}");
    let second = incident_reference(&out);
    let (ok, _) = run(
        app,
        &[
            "breach",
            "close",
            &second,
            "--decision",
            "no business's data involved; not notifiable",
        ],
    )
    .await;
    assert!(ok);
    let (_, list) = run(app, &["breach", "list"]).await;
    assert!(
        list.contains(&reference) && list.contains(&second),
        "{list}"
    );

    // Operators see the register and each delivery.
    let ops = operator_session(app).await;
    let html = ops
        .get(format!("{}/ops/incidents/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("w-oknie") && html.contains("Closing report"),
        "{html}"
    );
    let (ok, show) = run(app, &["breach", "show", &reference]).await;
    assert!(
        ok && show.contains("delivered") && show.contains("seen"),
        "{show}"
    );
    // The records of processing come from the live system.
    let (ok, record) = run(app, &["records", "processor"]).await;
    assert!(
        ok && record.contains("Salon w-oknie") && record.contains("Hetzner"),
        "{record}"
    );
    let resp = owner.get("/records-of-processing").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let draft = resp.text().await.unwrap();
    assert!(
        draft.contains("Salon w-oknie") && draft.contains("[to complete]"),
        "{draft}"
    );
}

/// The reference on the line the CLI starts an incident with.
fn incident_reference(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("INC-"))
        .and_then(|l| l.split(' ').next())
        .expect("an incident reference")
        .to_string()
}

const TAX: &str = crate::helpers::TAX_ID;

/// Issue 20, item 18: two parallel requests to send the client notice send
/// one set of mails; the other request is told it was sent.
async fn a_breach_notice_to_clients_cannot_be_sent_twice_in_parallel(app: &TestApp) {
    let window_start = app.app().now() - Duration::minutes(5);
    let s = salon(app, "dwa-razy", json!({})).await;
    let free = slots(app, &s, day_ahead(9), "Europe/Warsaw").await;
    let clients = ["ola@example.com", "pola@example.com"];
    for (i, email) in clients.iter().enumerate() {
        let start = free[i * 2]["start"].as_str().unwrap();
        booked(app, &s, &client_booking(&s, start, "Ola Pola", email, "")).await;
    }
    let window_end = app.app().now();
    create_operator(app).await;
    let aware = (app.app().now() - Duration::minutes(1)).to_rfc3339();
    let (ok, out) = run(
        app,
        &[
            "breach",
            "open",
            "--operator",
            OPERATOR_EMAIL,
            "--aware-at",
            &aware,
            "--window-start",
            &window_start.to_rfc3339(),
            "--window-end",
            &window_end.to_rfc3339(),
            "--nature",
            "a backup copied by an unauthorised person",
            "--systems",
            "backups",
            "--categories",
            "contact details",
        ],
    )
    .await;
    assert!(ok, "{out}");
    let reference = incident_reference(&out);
    let incidents: Value = s.owner.get("/incidents").await.json().await.unwrap();
    let path = format!(
        "/incidents/{}/client-notice",
        incidents[0]["id"].as_str().unwrap()
    );

    let (a, b) = tokio::join!(
        s.owner.post(&path, json!({})),
        s.owner.post(&path, json!({}))
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    // Exactly one notice per client is queued (read from the outbox, where
    // the notice lands in the same transaction as the claim).
    let outbox = termino_app::mail::outbox_opened(app.app()).await.unwrap();
    for who in clients {
        let notices = outbox
            .iter()
            .filter(|m| m.to == who && m.subject.contains(&reference))
            .count();
        assert_eq!(notices, 1, "{who}");
    }
}
