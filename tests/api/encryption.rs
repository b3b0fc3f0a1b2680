//! Client data at rest: only ciphertext in the databases, tampering is
//! detected, rotation keeps everything readable, destruction erases for
//! good, blind indexes find clients, and the master key is guarded.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement, Value as SqlValue};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, Session, TestApp};
use crate::on_both_backends;

on_both_backends!(
    no_plaintext_in_either_database,
    tampered_values_are_detected,
    rotation_keeps_every_value_readable,
    destroyed_keys_erase_the_data_for_good,
    blind_indexes_find_the_same_client,
    bookings_leave_no_plaintext,
);

/// A booking through the public page: its client, its notes and the
/// confirmation e-mail waiting in the outbox are all ciphertext.
async fn bookings_leave_no_plaintext(app: &TestApp) {
    use crate::scheduling::{book, day_ahead, salon, slots};
    let s = salon(app, "rezerwacje-skan", json!({})).await;
    let start = slots(app, &s, day_ahead(5), "Europe/Warsaw").await[0]["start"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "service_id": s.service, "start": start, "zone": "Europe/Warsaw",
        "client": {"name": SECRETS[0], "email": "Bozena.Szyfr@example.com", "phone": "601 222 333", "notes": SECRETS[4]},
    });
    let resp = book(app, &s, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: Value = resp.json().await.unwrap();
    let token = created["manage_token"].as_str().unwrap().to_string();
    // While the mail may still wait in the outbox, and after it went out.
    let found = find_plaintext(
        app,
        &[SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[4], &token],
    )
    .await;
    assert!(found.is_empty(), "plaintext found: {found:?}");
    let mail = app.mail_to("bozena.szyfr@example.com").await;
    assert!(mail.contains(&token), "the client did get the link");
    let cancel = app
        .client()
        .post(app.api(&format!("/public/rezerwacje-skan/bookings/{token}/cancel")))
        .json(&json!({"reason": "alergia na lateks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), StatusCode::OK);
    let found = find_plaintext(
        app,
        &[SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[4], &token],
    )
    .await;
    assert!(found.is_empty(), "plaintext found: {found:?}");
}

const SECRETS: [&str; 6] = [
    "Bożena Szyfrowana",
    "bozena.szyfr@example.com",
    "+48601222333",
    "601222333",
    "alergia na lateks",
    "VIP-kod-4711",
];

async fn add_bozena(owner: &Session) -> Value {
    let resp = owner
        .post(
            "/clients",
            json!({
                "name": SECRETS[0], "email": "Bozena.Szyfr@example.com", "phone": "601 222 333",
                "notes": SECRETS[4], "custom_fields": {"karta": SECRETS[5]}, "date_of_birth": "1984-03-09",
            }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn connect(url: &str) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(url).await.unwrap()
}

/// Runs one statement on the main database, written for both backends.
async fn exec(app: &TestApp, pg: &str, sqlite: &str, values: Vec<SqlValue>) {
    let db = connect(&app.database_url).await;
    let (backend, sql) = match app.backend {
        Backend::Postgres => (sea_orm::DbBackend::Postgres, pg),
        Backend::Sqlite => (sea_orm::DbBackend::Sqlite, sqlite),
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
    db.close().await.ok();
}

/// Makes every node re-read client data, as a restart would.
async fn invalidate_caches(app: &TestApp) {
    exec(
        app,
        "UPDATE tenants SET clients_revision = clients_revision + 1",
        "UPDATE tenants SET clients_revision = clients_revision + 1",
        vec![],
    )
    .await;
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap_or_default();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    all.extend(std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default());
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every place a needle shows up: in the SQLite files byte for byte (every
/// table, column, free page and the WAL), in PostgreSQL every row of every
/// table as text (byte columns as hex).
async fn find_plaintext(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let variants = |n: &str| vec![n.to_string(), n.to_lowercase(), n.to_uppercase()];
    let keystore = file_bytes(&app.data_dir.join("keystore.db"));
    assert!(keystore.len() > 4096, "the key store file exists");
    let mut sources = vec![("keystore", keystore)];
    match app.backend {
        Backend::Sqlite => sources.push(("main", file_bytes(&app.data_dir.join("termino.db")))),
        Backend::Postgres => {
            let db = connect(&app.database_url).await;
            let tables = db
                .query_all_raw(Statement::from_string(sea_orm::DbBackend::Postgres, "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'"))
                .await
                .unwrap();
            let mut dump = String::new();
            for t in tables {
                let name: String = t.try_get("", "t").unwrap();
                let rows = db
                    .query_all_raw(Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        format!("SELECT x::text AS r FROM \"{name}\" x"),
                    ))
                    .await
                    .unwrap();
                for r in rows {
                    let row: String = r.try_get("", "r").unwrap();
                    dump.push_str(&row);
                    dump.push('\n');
                }
            }
            sources.push(("main", dump.into_bytes()));
            db.close().await.ok();
        }
    }
    for (source, bytes) in &sources {
        for needle in needles {
            for v in variants(needle) {
                if contains(bytes, v.as_bytes())
                    || contains(bytes, hex::encode(v.as_bytes()).as_bytes())
                {
                    found.push(format!("{source}: {v}"));
                }
            }
        }
    }
    found
}

async fn no_plaintext_in_either_database(app: &TestApp) {
    let owner = app.signup("klienci-skan").await;
    let bozena = add_bozena(&owner).await;
    let id = bozena["id"].as_str().unwrap();
    // Update too: old versions of a row must not linger in plaintext.
    owner
        .patch(
            &format!("/clients/{id}"),
            json!({"notes": "alergia na lateks, druga wersja"}),
        )
        .await;
    let found = find_plaintext(app, &SECRETS).await;
    assert!(found.is_empty(), "plaintext found: {found:?}");
    // The test can fail: the business's own name is stored in the clear.
    let control = find_plaintext(app, &["Salon klienci-skan"]).await;
    assert!(
        !control.is_empty(),
        "the scan sees plaintext where there is some"
    );
}

async fn tampered_values_are_detected(app: &TestApp) {
    let a = app.signup("klienci-t-a").await;
    let b = app.signup("klienci-t-b").await;
    let a1: Value = a
        .post(
            "/clients",
            json!({"name": "Pierwszy", "email": "p@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let a2: Value = a
        .post(
            "/clients",
            json!({"name": "Drugi", "email": "d@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let a3: Value = a
        .post(
            "/clients",
            json!({"name": "Trzeci", "email": "t@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let b1: Value = b
        .post(
            "/clients",
            json!({"name": "Obcy", "email": "o@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let uuid = |v: &Value| SqlValue::from(Uuid::parse_str(v["id"].as_str().unwrap()).unwrap());

    // A value swapped between rows.
    exec(
        app,
        "UPDATE clients SET name = (SELECT name FROM clients WHERE id = $1) WHERE id = $2",
        "UPDATE clients SET name = (SELECT name FROM clients WHERE id = ?) WHERE id = ?",
        vec![uuid(&a2), uuid(&a1)],
    )
    .await;
    // A value moved between columns of one row.
    exec(
        app,
        "UPDATE clients SET email = name WHERE id = $1",
        "UPDATE clients SET email = name WHERE id = ?",
        vec![uuid(&a3)],
    )
    .await;
    // A value copied from another business.
    exec(
        app,
        "UPDATE clients SET email = (SELECT email FROM clients WHERE id = $1) WHERE id = $2",
        "UPDATE clients SET email = (SELECT email FROM clients WHERE id = ?) WHERE id = ?",
        vec![uuid(&b1), uuid(&a2)],
    )
    .await;
    invalidate_caches(app).await;

    for damaged in [&a1, &a2, &a3] {
        let resp = a
            .get(&format!("/clients/{}", damaged["id"].as_str().unwrap()))
            .await;
        assert_eq!(resp.status(), StatusCode::OK);
        let got: Value = resp.json().await.unwrap();
        assert_eq!(got["state"], "damaged", "{got}");
        assert!(got["name"].is_null() && got["email"].is_null());
    }
    let list: Value = a.get("/clients").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let intact: Value = b
        .get(&format!("/clients/{}", b1["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(intact["state"], "active");
}

async fn create_many(app: &TestApp, key: &str, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10) {
        let mut tasks = tokio::task::JoinSet::new();
        for i in chunk {
            let client = app.client();
            let url = app.api("/clients");
            let key = key.to_string();
            let body = json!({"name": format!("{prefix} {i}"), "email": format!("{prefix}.{i}@example.com").to_lowercase().replace(' ', "-"), "notes": format!("notatka {i}")});
            tasks.spawn(async move {
                let resp = client
                    .post(url)
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::CREATED);
                resp.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            });
        }
        while let Some(id) = tasks.join_next().await {
            ids.push(id.unwrap());
        }
    }
    ids
}

async fn api_key(owner: &Session) -> String {
    let created: Value = owner
        .post("/api-keys", json!({"name": "test"}))
        .await
        .json()
        .await
        .unwrap();
    created["secret"].as_str().unwrap().to_string()
}

async fn tenant_id(owner: &Session) -> Uuid {
    let b: Value = owner.get("/business").await.json().await.unwrap();
    Uuid::parse_str(b["id"].as_str().unwrap()).unwrap()
}

async fn keystore_rows(
    app: &TestApp,
    tenant: Uuid,
) -> Vec<termino_store::repo::keystore::TenantKeyRow> {
    let ks = termino_store::Database::connect_keystore(&app.settings.keystore_url)
        .await
        .unwrap();
    let rows = termino_store::repo::keystore::keys_of(ks.connection(), tenant)
        .await
        .unwrap();
    ks.close().await;
    rows
}

async fn rotation_keeps_every_value_readable(app: &TestApp) {
    let owner = app.signup("rotacja").await;
    let key = api_key(&owner).await;
    let tenant = tenant_id(&owner).await;
    let before = create_many(app, &key, "Przed Rotacja", 230).await;

    // Writes keep coming while the rotation re-encrypts.
    let writer = {
        let client = app.client();
        let base = app.api("");
        let key = key.clone();
        let first = before[0].clone();
        tokio::spawn(async move {
            let mut written = Vec::new();
            for i in 0..25 {
                let resp = client.post(format!("{base}/clients")).bearer_auth(&key)
                    .json(&json!({"name": format!("W Trakcie {i}"), "phone": format!("+48 601 000 {i:03}")}))
                    .send().await.unwrap();
                assert_eq!(resp.status(), StatusCode::CREATED);
                written.push(
                    resp.json::<Value>().await.unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
                let resp = client
                    .patch(format!("{base}/clients/{first}"))
                    .bearer_auth(&key)
                    .json(&json!({"notes": format!("zmiana {i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
            }
            written
        })
    };
    let report = app.app().rotate_tenant_key(tenant).await.unwrap();
    let during = writer.await.unwrap();
    assert_eq!(report.version, 2);
    assert_eq!(report.destroyed, vec![1]);
    assert!(report.reencrypted >= 200, "{report:?}");

    let rows = keystore_rows(app, tenant).await;
    let v1 = rows
        .iter()
        .find(|r| r.purpose == "data" && r.version == 1)
        .unwrap();
    assert_eq!(
        (v1.state.as_str(), v1.wrapped.is_none()),
        ("destroyed", true)
    );
    let v2 = rows
        .iter()
        .find(|r| r.purpose == "data" && r.version == 2)
        .unwrap();
    assert_eq!(v2.state, "active");

    // Every value reads back, from this server and from a fresh one.
    for round in 0..2 {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let page: Value = owner
                .get(&format!("/clients?limit=200&cursor={cursor}"))
                .await
                .json()
                .await
                .unwrap();
            all.extend(page["items"].as_array().unwrap().clone());
            match page["next_cursor"].as_str() {
                Some(n) => cursor = n.to_string(),
                None => break,
            }
        }
        assert_eq!(all.len(), 230 + 25, "round {round}");
        assert!(all.iter().all(|c| c["state"] == "active"), "round {round}");
        let first = all.iter().find(|c| c["id"] == before[0].as_str()).unwrap();
        assert_eq!(first["notes"], "zmiana 24");
        assert!(
            during
                .iter()
                .all(|id| all.iter().any(|c| c["id"] == id.as_str()))
        );
        invalidate_caches(app).await;
    }
}

async fn destroyed_keys_erase_the_data_for_good(app: &TestApp) {
    let owner = app.signup("klienci-niszcz").await;
    let other = app.signup("klienci-zostaje").await;
    let bozena = add_bozena(&owner).await;
    let kept: Value = other
        .post(
            "/clients",
            json!({"name": "Zostaje", "email": "zostaje@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let tenant = tenant_id(&owner).await;
    // A copy of the main database taken before the shredding, as a backup.
    let backup = match app.backend {
        Backend::Sqlite => Some(file_bytes(&app.data_dir.join("termino.db"))),
        Backend::Postgres => None,
    };

    let out = app
        .termino(&["keys", "destroy", "--tenant", "klienci-niszcz"], &[])
        .await;
    assert!(!out.status.success(), "destroy needs --yes");
    let out = app
        .termino(
            &["keys", "destroy", "--tenant", "klienci-niszcz", "--yes"],
            &[],
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A clear state, never a 500.
    let resp = owner
        .get(&format!("/clients/{}", bozena["id"].as_str().unwrap()))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let got: Value = resp.json().await.unwrap();
    assert_eq!(got["state"], "erased");
    assert!(got["name"].is_null());
    let list: Value = owner.get("/clients").await.json().await.unwrap();
    assert_eq!(list["items"][0]["state"], "erased");
    let resp = owner.post("/clients", json!({"name": "Nowy"})).await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = owner
        .patch(
            &format!("/clients/{}", bozena["id"].as_str().unwrap()),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // With the master key in hand, nothing is left to unwrap.
    let rows = keystore_rows(app, tenant).await;
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.state == "destroyed" && r.wrapped.is_none())
    );
    // The ciphertext (here, or in the backup copy) no longer decrypts.
    if let Some(backup) = backup {
        for s in SECRETS {
            assert!(!contains(&backup, s.as_bytes()));
        }
    }
    assert!(find_plaintext(app, &SECRETS).await.is_empty());
    // Another business is untouched.
    let still: Value = other
        .get(&format!("/clients/{}", kept["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["name"], "Zostaje");
}

async fn blind_indexes_find_the_same_client(app: &TestApp) {
    let a = app.signup("indeks-a").await;
    let b = app.signup("indeks-b").await;
    let scope_a = termino_app::TenantScope::authenticated(tenant_id(&a).await);
    let scope_b = termino_app::TenantScope::authenticated(tenant_id(&b).await);
    let app_ = app.app();
    let (jan, created) = app_
        .find_or_create_client(
            &scope_a,
            "Jan Kowalski",
            Some("  Jan.Kowalski@Example.COM "),
            Some("+48 601-234-567"),
        )
        .await
        .unwrap();
    assert!(created);
    let (again, created) = app_
        .find_or_create_client(
            &scope_a,
            "J. Kowalski",
            Some("jan.kowalski@example.com"),
            None,
        )
        .await
        .unwrap();
    assert_eq!((again, created), (jan, false));
    let (by_phone, created) = app_
        .find_or_create_client(&scope_a, "Jan", None, Some("601 234 567"))
        .await
        .unwrap();
    assert_eq!((by_phone, created), (jan, false));
    let (other, created) = app_
        .find_or_create_client(&scope_a, "Anna", Some("anna@example.com"), None)
        .await
        .unwrap();
    assert!(created && other != jan);
    // Another business: a different client, and index values that match nothing of A's.
    let (in_b, created) = app_
        .find_or_create_client(
            &scope_b,
            "Jan Kowalski",
            Some("jan.kowalski@example.com"),
            Some("601234567"),
        )
        .await
        .unwrap();
    assert!(created && in_b != jan);
    let db = app_.db();
    let row_a = termino_store::repo::clients::get(db.connection(), &scope_a, jan)
        .await
        .unwrap()
        .unwrap();
    let row_b = termino_store::repo::clients::get(db.connection(), &scope_b, in_b)
        .await
        .unwrap()
        .unwrap();
    assert!(row_a.email_index.is_some() && row_a.phone_index.is_some());
    assert_ne!(row_a.email_index, row_b.email_index);
    assert_ne!(row_a.phone_index, row_b.phone_index);
    // Racing bookings for one new client make one client.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let app_ = app_.clone();
        tasks.spawn(async move {
            app_.find_or_create_client(&scope_a, "Ewa", Some("ewa@example.com"), None)
                .await
                .unwrap()
                .0
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

/// With a small limit, writing clients rotates the key by itself.
async fn keys_rotate_after_many_encryptions(backend: Backend) {
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    app.restart(|s| s.rotate_after_encryptions = 40)
        .await
        .unwrap();
    let owner = app.signup("licznik").await;
    let key = api_key(&owner).await;
    let tenant = tenant_id(&owner).await;
    // Each client is at least three encryptions (name, e-mail, consent...).
    create_many(&app, &key, "Licznik", 20).await;
    // The worker step counts the encryptions, queues the rotation and runs it.
    app.run_jobs().await;
    let rows = keystore_rows(&app, tenant).await;
    let active = rows
        .iter()
        .filter(|r| r.purpose == "data" && r.state == "active")
        .map(|r| r.version)
        .max()
        .unwrap_or(0);
    let v1 = rows
        .iter()
        .find(|r| r.purpose == "data" && r.version == 1)
        .unwrap();
    assert_eq!(v1.state, "destroyed");
    assert!(v1.encryptions >= 40, "{}", v1.encryptions);
    assert!(active >= 2, "the key was rotated");
    let list: Value = owner.get("/clients?limit=200").await.json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 20);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["state"] == "active")
    );
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_after_many_encryptions_sqlite() {
    keys_rotate_after_many_encryptions(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_after_many_encryptions_postgres() {
    keys_rotate_after_many_encryptions(Backend::Postgres).await;
}

/// A wrong or missing master key stops the start and changes nothing;
/// master-key rotation re-wraps every key and the data stays readable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_key_is_guarded_and_can_be_rotated() {
    let mut app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let owner = app.signup("klucz-glowny").await;
    let bozena = add_bozena(&owner).await;
    let key_file = app.data_dir.join("master.key");
    assert!(
        key_file.exists(),
        "the embedded default generated a master key"
    );

    let wrong = termino_crypto::MasterKey::generate()
        .to_base64()
        .to_string();
    let out = app
        .termino(&["migrate"], &[("TERMINO_MASTER_KEY", wrong)])
        .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not match the key store"), "{stderr}");

    let aside = app.data_dir.join("master.key.aside");
    std::fs::rename(&key_file, &aside).unwrap();
    let out = app.termino(&["migrate"], &[]).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to create a new one"), "{stderr}");
    assert!(!key_file.exists(), "no new master key was generated");
    std::fs::rename(&aside, &key_file).unwrap();

    let new_file = app.data_dir.join("master-2.key");
    let out = app
        .termino(
            &[
                "keys",
                "rotate-master",
                "--new-key-file",
                new_file.to_str().unwrap(),
            ],
            &[],
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The old key no longer fits the key store…
    let out = app.termino(&["migrate"], &[]).await;
    assert!(!out.status.success());
    // …the new one does, and every client reads as before.
    app.restart(|s| s.master_key_file = Some(new_file.clone()))
        .await
        .unwrap();
    let owner = app
        .login(
            &crate::helpers::owner_email("klucz-glowny"),
            crate::helpers::PASSWORD,
        )
        .await;
    let got: Value = owner
        .get(&format!("/clients/{}", bozena["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], SECRETS[0]);
    app.finish().await;
}
