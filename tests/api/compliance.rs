//! The law in the workflows: the data-processing agreement gates
//! processing, its ledger is tamper-evident, accounts are purged exactly on
//! schedule (keys first), deletion requests finish within 5 business days,
//! the business's own client retention, and one retention run per cluster.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, DPA_VERSION, PASSWORD, Session, TAX_ID, TestApp, fields, owner_email, problem,
    signup_body,
};
use crate::on_both_backends;
use crate::panel_pages::{page, submit};
use crate::scheduling::{book, booking_body, day_ahead, furnish, salon, slots};

on_both_backends!(
    the_agreement_gates_processing_and_its_ledger_is_tamper_evident,
    a_trial_is_reminded_and_purged_exactly_three_months_after_it_ends,
    a_lapsed_paid_plan_is_purged_two_years_after_the_paid_end,
    the_free_plan_is_never_purged_and_reactivation_restores_everything,
    a_deletion_request_finishes_within_five_business_days,
    the_business_client_retention_applies,
    two_nodes_running_the_job_at_once_purge_once,
    sub_processor_changes_are_announced_and_objections_recorded,
    the_owner_exports_and_deletes_in_the_panel,
    the_read_only_gate_is_the_same_for_every_entry_point,
);

/// A public booking at `start` that must succeed.
async fn book_created(app: &TestApp, s: &crate::scheduling::Salon, start: &str, email: &str) {
    let resp = book(app, s, &booking_body(s, start, email)).await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
}

async fn run_retention(app: &TestApp, as_of: DateTime<Utc>) -> String {
    let out = app
        .termino(&["retention", "run", "--as-of", &as_of.to_rfc3339()], &[])
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn business(owner: &Session) -> Value {
    let resp = owner.get("/business").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

pub(crate) async fn sql(app: &TestApp, query: &str) {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    db.execute_unprepared(query).await.expect(query);
    db.close().await.ok();
}

pub(crate) async fn count(app: &TestApp, query: &str) -> i64 {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), query))
        .await
        .unwrap()
        .unwrap();
    let n: i64 = row.try_get_by_index(0).unwrap();
    db.close().await.ok();
    n
}

pub(crate) fn id_literal(app: &TestApp, id: &str) -> String {
    // sea-orm keeps uuids as 16-byte blobs on SQLite and as uuid on PostgreSQL.
    match app.backend {
        Backend::Postgres => format!("'{id}'::uuid"),
        Backend::Sqlite => format!("X'{}'", id.replace('-', "")),
    }
}

async fn new_client(owner: &Session, name: &str) -> reqwest::Response {
    owner
        .post(
            "/clients",
            json!({"name": name, "email": format!("{}@example.com", name.to_lowercase().replace(' ', "."))}),
        )
        .await
}

async fn the_agreement_gates_processing_and_its_ledger_is_tamper_evident(app: &TestApp) {
    // Signed up without accepting: nothing can be processed yet.
    let mut body = signup_body("bez-umowy");
    body.as_object_mut().unwrap().remove("dpa");
    let client = app.browser();
    let resp = client
        .post(app.api("/auth/signup"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let csrf = resp.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let owner = Session {
        client,
        csrf,
        base: app.api(""),
    };
    let s = furnish(owner, "bez-umowy", json!({})).await;
    let owner = &s.owner;
    let resp = new_client(owner, "Ewa Nowak").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/dpa-required")
    );
    let booking_page = app
        .client()
        .get(format!("{}/b/bez-umowy", app.url))
        .send()
        .await
        .unwrap();
    let html = booking_page.text().await.unwrap();
    assert!(
        html.contains("nie jest jeszcze dostępna") || html.contains("not available yet"),
        "{html}"
    );
    let start = slots(app, &s, day_ahead(2), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = book(app, &s, &booking_body(&s, &start, "pierwsza@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/dpa-required")
    );

    let status: Value = owner.get("/dpa?language=pl").await.json().await.unwrap();
    assert_eq!(status["state"], "required");
    assert_eq!(status["current_version"], DPA_VERSION);
    assert!(
        status["text"]
            .as_str()
            .unwrap()
            .contains("Umowa powierzenia")
    );

    // Bad input names the field and records nothing.
    let resp = owner
        .post(
            "/dpa/acceptances",
            json!({"version": DPA_VERSION, "language": "pl", "company_name": "Salon bez umowy", "tax_id": "1234567890", "authority_confirmed": false}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem(resp).await),
        vec!["tax_id", "authority_confirmed"]
    );
    let resp = owner
        .post(
            "/dpa/acceptances",
            json!({"version": DPA_VERSION, "language": "pl", "company_name": "Salon bez umowy", "tax_id": TAX_ID, "authority_confirmed": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let accepted: Value = resp.json().await.unwrap();
    assert_eq!(accepted["text_sha256"], status["text_sha256"]);
    assert_eq!(accepted["method"], "api");
    assert!(
        accepted["authority_statement"]
            .as_str()
            .unwrap()
            .contains("Salon bez umowy")
    );
    assert_eq!(
        new_client(owner, "Ewa Nowak").await.status(),
        StatusCode::CREATED
    );
    let resp = book(app, &s, &booking_body(&s, &start, "pierwsza@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // The signed acceptance holds the record and the exact text.
    let doc = owner
        .get(&format!(
            "/dpa/acceptances/{}/document",
            accepted["id"].as_str().unwrap()
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(doc.contains(&format!("tax_id: {TAX_ID}")));
    assert!(doc.contains(status["text"].as_str().unwrap()));

    // A new version: told, a period to accept, then processing stops.
    let dir = app.data_dir.join("dpa-next");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("en.md"), "# DPA 2027-01\n\nNew text.\n").unwrap();
    std::fs::write(dir.join("pl.md"), "# Umowa 2027-01\n\nNowy tekst.\n").unwrap();
    let out = app
        .termino(
            &[
                "dpa",
                "publish",
                "--version",
                "2027-01",
                "--en",
                dir.join("en.md").to_str().unwrap(),
                "--pl",
                dir.join("pl.md").to_str().unwrap(),
            ],
            &[],
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = owner.get("/dpa").await.json().await.unwrap();
    assert_eq!(status["state"], "pending");
    let accept_by: DateTime<Utc> = status["accept_by"].as_str().unwrap().parse().unwrap();
    assert!(
        (accept_by - Utc::now() - Duration::days(30))
            .num_minutes()
            .abs()
            < 10
    );
    app.expect_mails(&owner_email("bez-umowy"), 1).await;
    // The newest: the owner also heard of the bookings made before.
    assert!(
        app.latest_mail_to(&owner_email("bez-umowy"))
            .contains("2027-01")
    );
    let panel = page(app, owner, "/app").await.1;
    assert!(panel.contains("dpa-banner"));
    let resp = new_client(owner, "Jan Kowal").await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    // The trial would end meanwhile; the free plan keeps the account going.
    choose_free_plan(app, owner).await;
    app.clock.advance(Duration::days(31));
    let owner = app.login(&owner_email("bez-umowy"), PASSWORD).await;
    let resp = new_client(&owner, "Olga Lis").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/dpa-required")
    );
    // Accepting the new version resumes processing.
    let resp = owner
        .post(
            "/dpa/acceptances",
            json!({"version": "2027-01", "language": "en", "company_name": "Salon bez umowy", "tax_id": TAX_ID, "authority_confirmed": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        new_client(&owner, "Olga Lis").await.status(),
        StatusCode::CREATED
    );

    // The ledger verifies; an edited entry breaks it.
    let out = app.termino(&["dpa", "verify"], &[]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    if app.backend == Backend::Postgres {
        // Append-only in the database: an update is refused outright…
        let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
        assert!(
            db.execute_unprepared("UPDATE dpa_acceptances SET tax_id = '5261040828' WHERE seq = 1")
                .await
                .is_err()
        );
        db.close().await.ok();
        // …and whoever switches that off is still caught by the chain.
        sql(
            app,
            "ALTER TABLE dpa_acceptances DISABLE TRIGGER dpa_acceptances_append_only",
        )
        .await;
    }
    sql(
        app,
        "UPDATE dpa_acceptances SET tax_id = '5261040828' WHERE seq = 1",
    )
    .await;
    let out = app.termino(&["dpa", "verify"], &[]).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("entry 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A removed entry too.
    sql(app, "UPDATE dpa_acceptances SET tax_id = (SELECT tax_id FROM dpa_acceptances WHERE seq = 2) WHERE seq = 1").await;
    sql(app, "DELETE FROM dpa_acceptances WHERE seq = 1").await;
    let out = app.termino(&["dpa", "verify"], &[]).await;
    assert!(!out.status.success());
}

/// Ciphertext of a business's clients as a copy of the database holds it.
async fn client_ciphertext(app: &TestApp, tenant: &str) -> Vec<(uuid::Uuid, Vec<u8>)> {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT id, name FROM clients WHERE tenant_id = {}",
                id_literal(app, tenant)
            ),
        ))
        .await
        .unwrap();
    db.close().await.ok();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<uuid::Uuid>("", "id").unwrap(),
                r.try_get::<Vec<u8>>("", "name").unwrap(),
            )
        })
        .collect()
}

async fn readable(app: &TestApp, tenant: uuid::Uuid, copy: &[(uuid::Uuid, Vec<u8>)]) -> usize {
    let Ok(keys) = app.app().keys().load(tenant, Utc::now()).await else {
        return 0;
    };
    copy.iter()
        .filter(|(id, sealed)| {
            termino_crypto::decrypt_field(
                |v| keys.data_key(v),
                termino_crypto::FieldContext {
                    tenant,
                    table: "clients",
                    column: "name",
                    row: *id,
                },
                sealed,
            )
            .is_ok()
        })
        .count()
}

async fn a_trial_is_reminded_and_purged_exactly_three_months_after_it_ends(app: &TestApp) {
    let owner = app.signup("proba").await;
    assert_eq!(
        new_client(&owner, "Anna Maj").await.status(),
        StatusCode::CREATED
    );
    let b = business(&owner).await;
    let tenant = b["id"].as_str().unwrap().to_string();
    let tenant_id: uuid::Uuid = tenant.parse().unwrap();
    let trial_end: DateTime<Utc> = b["trial_ends_at"].as_str().unwrap().parse().unwrap();
    let purge_at = trial_end
        .checked_add_months(chrono::Months::new(3))
        .unwrap();
    let email = owner_email("proba");

    let out = run_retention(app, trial_end + Duration::days(1)).await;
    assert!(!out.contains("purged "), "{out}");
    assert!(!out.contains("reminded"), "{out}");
    let out = run_retention(app, purge_at - Duration::days(30) + Duration::hours(1)).await;
    assert!(
        out.contains(&format!("reminded {tenant}: purge in 30 days")),
        "{out}"
    );
    let out = run_retention(app, purge_at - Duration::days(20)).await;
    assert!(!out.contains("reminded"), "each reminder once: {out}");
    let out = run_retention(app, purge_at - Duration::days(7) + Duration::hours(1)).await;
    assert!(out.contains("purge in 7 days"), "{out}");
    app.expect_mails(&email, 2).await;
    assert!(
        app.mail_to(&email)
            .await
            .contains(&purge_at.format("%Y-%m-%d").to_string())
    );

    // A copy of the database taken before the purge, master key in hand.
    let copy = client_ciphertext(app, &tenant).await;
    assert_eq!(copy.len(), 1);
    assert_eq!(readable(app, tenant_id, &copy).await, 1);

    let out = run_retention(app, purge_at - Duration::seconds(1)).await;
    assert!(!out.contains("purged "), "not a second early: {out}");
    assert_eq!(business(&owner).await["slug"], "proba");
    let out = run_retention(app, purge_at).await;
    assert!(
        out.contains(&format!("purged {tenant} (trial-ended)")),
        "{out}"
    );

    // Gone: the rows, the keys — the copy is unreadable for good.
    assert_eq!(readable(app, tenant_id, &copy).await, 0);
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM clients WHERE tenant_id = {}",
                id_literal(app, &tenant)
            )
        )
        .await,
        0
    );
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM tenants WHERE id = {}",
                id_literal(app, &tenant)
            )
        )
        .await,
        0
    );
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM users WHERE email = '{email}'")
        )
        .await,
        0
    );
    let resp = owner.get("/business").await;
    assert!(resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::NOT_FOUND);
    // The certificate outlives the business and names the destroyed keys.
    let out = app.termino(&["retention", "certificates"], &[]).await;
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{listing}");
    assert!(
        listing.contains(&tenant) && listing.contains("intact") && listing.contains("destroyed"),
        "{listing}"
    );
    app.expect_mails(&email, 3).await;
    assert!(app.latest_mail_to(&email).contains("Deletion certificate"));
}

async fn a_lapsed_paid_plan_is_purged_two_years_after_the_paid_end(app: &TestApp) {
    let owner = app.signup("oplacony").await;
    assert_eq!(
        new_client(&owner, "Piotr Zieliński").await.status(),
        StatusCode::CREATED
    );
    let tenant = business(&owner).await["id"].as_str().unwrap().to_string();
    // Paid through Stripe or tpay (their own tests cover how); here the
    // period and Termino's invoice for it are set directly.
    let paid_end = Utc::now() + Duration::days(10);
    let lit = id_literal(app, &tenant);
    let ts = |t: DateTime<Utc>| match app.backend {
        Backend::Postgres => format!("'{}'::timestamptz", t.to_rfc3339()),
        Backend::Sqlite => format!("'{}'", t.format("%Y-%m-%d %H:%M:%S%.f%:z")),
    };
    sql(
        app,
        &format!(
            "UPDATE tenants SET plan = 'pro', paid_until = {} WHERE id = {lit}",
            ts(paid_end)
        ),
    )
    .await;
    let record_id = id_literal(app, &uuid::Uuid::now_v7().to_string());
    sql(app, &format!(
        "INSERT INTO billing_records (id, tenant_id, provider, reference, amount_minor, currency, paid_at, keep_until) VALUES ({record_id}, {lit}, 'stripe', 'in_test_1', 4900, 'PLN', {}, {})",
        ts(Utc::now()), ts(Utc::now() + Duration::days(365 * 6))
    )).await;
    let key = crate::graphql::api_key(&owner).await;
    // Read-only once lapsed, in REST, GraphQL and the panel alike.
    app.clock.advance(Duration::days(11));
    let answer = crate::graphql::gql(
        app,
        &key,
        "mutation { createStaff(name: \"Nowa\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "plan-expired",
        "{answer}"
    );
    let owner = app.login(&owner_email("oplacony"), PASSWORD).await;
    let resp = owner.post("/staff", json!({"name": "Nowa osoba"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(
        problem(resp).await["type"]
            .as_str()
            .unwrap()
            .ends_with("/plan-expired")
    );
    let resp = submit(app, &owner, "/app/staff", &[("name", "Nowa osoba")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert_eq!(
        owner.get("/clients").await.status(),
        StatusCode::OK,
        "reads go on"
    );

    let purge_at = paid_end
        .checked_add_months(chrono::Months::new(24))
        .unwrap();
    let out = run_retention(app, purge_at - Duration::days(1)).await;
    assert!(out.contains("purge in 7 days"), "{out}");
    let out = run_retention(app, purge_at - Duration::seconds(1)).await;
    assert!(!out.contains("purged "), "{out}");
    let out = run_retention(app, purge_at).await;
    assert!(
        out.contains(&format!("purged {tenant} (paid-period-ended)")),
        "{out}"
    );
    // Termino's own tax record stays.
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM billing_records WHERE tenant_id = {lit}")
        )
        .await,
        1
    );
    let out = run_retention(app, Utc::now() + Duration::days(365 * 7)).await;
    assert!(
        out.contains("1 billing records past their keeping time deleted"),
        "{out}"
    );
}

async fn choose_free_plan(app: &TestApp, owner: &Session) {
    let resp = submit(app, owner, "/app/plan/free", &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(business(owner).await["plan"], "free");
}

async fn the_free_plan_is_never_purged_and_reactivation_restores_everything(app: &TestApp) {
    let free = app.signup("na-zawsze").await;
    assert_eq!(
        new_client(&free, "Zofia Wrona").await.status(),
        StatusCode::CREATED
    );
    choose_free_plan(app, &free).await;

    let late = app.signup("w-ostatniej-chwili").await;
    assert_eq!(
        new_client(&late, "Adam Sowa").await.status(),
        StatusCode::CREATED
    );
    let b = business(&late).await;
    let trial_end: DateTime<Utc> = b["trial_ends_at"].as_str().unwrap().parse().unwrap();
    let purge_at = trial_end
        .checked_add_months(chrono::Months::new(3))
        .unwrap();
    let out = run_retention(app, purge_at - Duration::days(5)).await;
    assert!(out.contains("purge in 7 days"), "{out}");
    // The owner comes back before the purge.
    choose_free_plan(app, &late).await;

    let out = run_retention(app, Utc::now() + Duration::days(3650)).await;
    assert!(!out.contains("purged "), "{out}");
    for owner in [&free, &late] {
        let list: Value = owner.get("/clients").await.json().await.unwrap();
        assert_eq!(
            list["items"]
                .as_array()
                .map(Vec::len)
                .or(list.as_array().map(Vec::len)),
            Some(1),
            "{list}"
        );
        let resp = new_client(owner, "Nowy Klient").await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "{}",
            resp.text().await.unwrap()
        );
    }
}

async fn a_deletion_request_finishes_within_five_business_days(app: &TestApp) {
    let s = salon(app, "do-usuniecia", json!({})).await;
    let owner = &s.owner;
    // Bookings and clients to export first.
    let day = crate::scheduling::day_ahead(3);
    book_created(
        app,
        &s,
        &format!("{day}T10:00:00+01:00"),
        "karolina@example.com",
    )
    .await;
    let export: Value = owner.get("/account/export").await.json().await.unwrap();
    assert_eq!(export["clients"][0]["name"], "Karolina Klientka");
    assert_eq!(export["bookings"][0]["notes"], "pierwsza wizyta");
    assert_eq!(export["services"].as_array().unwrap().len(), 1);
    assert_eq!(export["dpa_acceptances"][0]["tax_id"], TAX_ID);
    let csv = owner
        .get("/account/export/clients.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.lines().next().unwrap().contains("email"));
    assert!(csv.contains("karolina@example.com"));

    // Tuesday 22 December 2026, 10:00 in Warsaw; 24–26 December are public
    // holidays.
    let requested: DateTime<Utc> = "2026-12-22T09:00:00Z".parse().unwrap();
    app.clock.advance(requested - app.app().now());
    let owner = &app.login(&owner_email("do-usuniecia"), PASSWORD).await;
    let resp = owner.post("/account/deletion", json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let status: Value = resp.json().await.unwrap();
    let deadline: DateTime<Utc> = status["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        deadline,
        "2026-12-31T22:59:59Z".parse::<DateTime<Utc>>().unwrap()
    );
    // The booking page closes at once; the owner may change their mind.
    let html = app
        .client()
        .get(format!("{}/b/do-usuniecia", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("closed-title"), "{html}");
    assert_eq!(
        owner.delete("/account/deletion").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        owner.get("/account/deletion").await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = owner.post("/account/deletion", json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let status: Value = resp.json().await.unwrap();
    let requested: DateTime<Utc> = status["requested_at"].as_str().unwrap().parse().unwrap();
    let tenant = export["business"]["id"].as_str().unwrap().to_string();

    let out = run_retention(app, requested + Duration::hours(23)).await;
    assert!(!out.contains("purged "), "still in the grace period: {out}");
    // Christmas Eve: the first run after the grace period purges.
    let out = run_retention(app, requested + Duration::hours(24) + Duration::minutes(5)).await;
    assert!(
        out.contains(&format!("purged {tenant} (owner-request)")),
        "{out}"
    );
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT finished_at, deadline FROM deletion_certificates WHERE tenant_id = {}",
                id_literal(app, &tenant)
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    let finished: DateTime<Utc> = row.try_get("", "finished_at").unwrap();
    let promised: DateTime<Utc> = row.try_get("", "deadline").unwrap();
    db.close().await.ok();
    assert_eq!(promised, deadline);
    assert!(finished <= deadline, "{finished} after {deadline}");
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM bookings WHERE tenant_id = {}",
                id_literal(app, &tenant)
            )
        )
        .await,
        0
    );
}

async fn the_business_client_retention_applies(app: &TestApp) {
    let s = salon(app, "retencja", json!({})).await;
    let owner = &s.owner;
    choose_free_plan(app, owner).await;
    let resp = owner
        .send(
            reqwest::Method::PUT,
            "/account/client-retention",
            Some(json!({"months": 0})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&problem(resp).await),
        vec!["client_retention_months"]
    );
    let resp = owner
        .send(
            reqwest::Method::PUT,
            "/account/client-retention",
            Some(json!({"months": 1})),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    // One client never booked; one has a booking in 40 days.
    assert_eq!(
        new_client(owner, "Stary Klient").await.status(),
        StatusCode::CREATED
    );
    let day = crate::scheduling::day_ahead(40);
    book_created(
        app,
        &s,
        &format!("{day}T12:00:00+01:00"),
        "staly@example.com",
    )
    .await;
    let out = run_retention(app, Utc::now() + Duration::days(45)).await;
    assert!(out.contains("1 clients deleted"), "{out}");
    let list: Value = owner.get("/clients").await.json().await.unwrap();
    let text = list.to_string();
    assert!(
        text.contains("staly@example.com") && !text.contains("Stary Klient"),
        "{text}"
    );
}

async fn two_nodes_running_the_job_at_once_purge_once(app: &TestApp) {
    let owner = app.signup("dwa-wezly").await;
    assert_eq!(
        new_client(&owner, "Ida Kos").await.status(),
        StatusCode::CREATED
    );
    let b = business(&owner).await;
    let tenant = b["id"].as_str().unwrap().to_string();
    let trial_end: DateTime<Utc> = b["trial_ends_at"].as_str().unwrap().parse().unwrap();
    let as_of = trial_end
        .checked_add_months(chrono::Months::new(3))
        .unwrap()
        + Duration::days(1);
    let at = as_of.to_rfc3339();
    let args = ["retention", "run", "--as-of", at.as_str()];
    let (a, b) = tokio::join!(app.termino(&args, &[]), app.termino(&args, &[]));
    let outputs = [&a, &b]
        .iter()
        .map(|o| {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).to_string()
        })
        .collect::<Vec<_>>();
    let purged = outputs
        .iter()
        .map(|o| o.matches(&format!("purged {tenant}")).count())
        .sum::<usize>();
    assert_eq!(purged, 1, "{outputs:?}");
    assert_eq!(
        count(
            app,
            &format!(
                "SELECT COUNT(*) FROM deletion_certificates WHERE tenant_id = {}",
                id_literal(app, &tenant)
            )
        )
        .await,
        1
    );
}

async fn subprocessor_list(app: &TestApp) -> Value {
    let resp = app
        .client()
        .get(app.api("/subprocessors"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn announce_mailgun(app: &TestApp, effective: DateTime<Utc>) -> std::process::Output {
    let effective = effective.to_rfc3339();
    app.termino(
        &[
            "subprocessors",
            "announce",
            "--add",
            "Mailgun Technologies",
            "--purpose",
            "E-mail delivery",
            "--location",
            "USA",
            "--transfer",
            "Standard Contractual Clauses",
            "--effective",
            &effective,
        ],
        &[],
    )
    .await
}

async fn sub_processor_changes_are_announced_and_objections_recorded(app: &TestApp) {
    let owner = app.signup("sprzeciw").await;
    let list = subprocessor_list(app).await;
    assert_eq!(list["version"], 1);
    assert!(list["subprocessors"].to_string().contains("Stripe"));
    let out = announce_mailgun(app, Utc::now() + Duration::days(10)).await;
    assert!(!out.status.success(), "a change needs 30 days' notice");
    let out = announce_mailgun(app, Utc::now() + Duration::days(31)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let email = owner_email("sprzeciw");
    app.expect_mails(&email, 1).await;
    assert!(app.mail_to(&email).await.contains("Mailgun Technologies"));
    let list = subprocessor_list(app).await;
    assert_eq!(list["version"], 1, "not in effect yet");
    let version = list["planned"][0]["version"].as_i64().unwrap();
    let public_page = app
        .client()
        .get(format!("{}/subprocessors", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public_page.contains("Mailgun Technologies"));

    let path = format!("/subprocessors/changes/{version}/objection");
    let resp = owner.post(&path, json!({"reason": " "})).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = owner
        .post(
            &path,
            json!({"reason": "Our clients' e-mails must stay in the EU."}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let objection: Value = resp.json().await.unwrap();
    assert!(
        objection["consequences"]
            .as_str()
            .unwrap()
            .contains("delete the business")
    );
    assert_eq!(
        owner.post(&path, json!({"reason": "again"})).await.status(),
        StatusCode::CONFLICT
    );
    let panel = page(app, &owner, "/app/dpa").await.1;
    assert!(
        panel.contains("EU."),
        "the owner sees the objection and what follows"
    );
    // Another business's view is its own.
    let other = app.signup("bez-sprzeciwu").await;
    let mine: Value = other
        .get("/subprocessors/objections")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 0);
    // Once in effect, the acceptance records the new list version.
    app.clock.advance(Duration::days(32));
    let list = subprocessor_list(app).await;
    assert_eq!(list["version"], 2);
    assert!(list["subprocessors"].to_string().contains("Mailgun"));
}

async fn the_owner_exports_and_deletes_in_the_panel(app: &TestApp) {
    let s = salon(app, "panel-konto", json!({})).await;
    let owner = &s.owner;
    let start = slots(app, &s, day_ahead(2), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = book(app, &s, &booking_body(&s, &start, "konto@example.com")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let (status, html) = page(app, owner, "/app/account").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/app/account/export.json"));
    let resp = owner
        .client
        .get(format!("{}/app/account/export.json", app.url))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let export: Value = resp.json().await.unwrap();
    assert_eq!(export["clients"][0]["email"], "konto@example.com");
    let csv = page(app, owner, "/app/account/export/bookings.csv").await.1;
    assert!(csv.contains("pierwsza wizyta"), "{csv}");

    // Bad input keeps what was typed.
    let resp = submit(
        app,
        owner,
        "/app/account/retention",
        &[("client_retention_months", "abc")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("value=\"abc\""));
    let resp = submit(app, owner, "/app/account/delete", &[]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        owner.get("/account/deletion").await.status(),
        StatusCode::NOT_FOUND
    );

    let resp = submit(app, owner, "/app/account/delete", &[("confirm", "on")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(app, owner, "/app/account").await;
    assert!(html.contains("deletion-requested"), "{html}");
    // While the business is being deleted the panel changes nothing else.
    let resp = submit(app, owner, "/app/staff", &[("name", "Nowa Osoba")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = submit(app, owner, "/app/account/delete/cancel", &[]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = submit(app, owner, "/app/staff", &[("name", "Nowa Osoba")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

/// The gate lives in each use case (`App::check_writable`), not in a list of
/// URL prefixes per edge: REST, GraphQL and the panel refuse the same
/// writes, reads and the way out go on, and a panel form keeps what was
/// typed.
async fn the_read_only_gate_is_the_same_for_every_entry_point(app: &TestApp) {
    let s = salon(app, "tylko-odczyt", json!({})).await;
    let key = crate::graphql::api_key(&s.owner).await;
    app.clock.advance(Duration::days(15));
    let owner = app.login(&owner_email("tylko-odczyt"), PASSWORD).await;
    let expired = |p: &Value| {
        p["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/plan-expired"))
    };
    let staff_hours = format!("/staff/{}/working-hours", s.staff);
    let writes: [(&str, &str, Value); 5] = [
        ("POST", "/staff", json!({"name": "Nowa osoba"})),
        (
            "PUT",
            staff_hours.as_str(),
            crate::scheduling::all_week("10:00", "12:00"),
        ),
        ("PATCH", "/business", json!({"name": "Inna nazwa"})),
        (
            "PUT",
            "/sms/template",
            json!({"text": "Wizyta {date} {time}"}),
        ),
        ("POST", "/calendar-feeds", json!({"staff_id": s.staff})),
    ];
    for (method, path, body) in writes {
        let resp = match method {
            "POST" => owner.post(path, body).await,
            "PUT" => owner.send(reqwest::Method::PUT, path, Some(body)).await,
            _ => owner.patch(path, body).await,
        };
        assert_eq!(resp.status(), StatusCode::CONFLICT, "{method} {path}");
        assert!(expired(&problem(resp).await), "{method} {path}");
    }
    let answer = crate::graphql::gql(
        app,
        &key,
        "mutation { createStaff(name: \"Nowa\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "plan-expired",
        "{answer}"
    );
    let resp = submit(app, &owner, "/app/staff", &[("name", "Nowa osoba")]).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let html = resp.text().await.unwrap();
    assert!(html.contains("This account is read-only"), "{html}");
    assert!(html.contains("value=\"Nowa osoba\""), "{html}");
    // Nothing was written by any of them.
    let staff: Value = owner.get("/staff").await.json().await.unwrap();
    assert_eq!(staff.as_array().map(Vec::len), Some(1), "{staff}");
    // Reads, one's own notices and the way out go on.
    assert_eq!(owner.get("/services").await.status(), StatusCode::OK);
    let notices: Value = owner.get("/me/notices").await.json().await.unwrap();
    assert_eq!(
        owner
            .send(reqwest::Method::PUT, "/me/notices", Some(notices))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(page(app, &owner, "/app/plan").await.0, StatusCode::OK);
}
