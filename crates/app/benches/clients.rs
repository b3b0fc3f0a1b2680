//! Listing and searching a business's 20,000 clients: decrypting every row
//! (cold: the cache was invalidated) and filtering, against the same rows
//! read in plaintext from a benchmark-only table, and the warm path
//! (decrypted rows cached in this process).
//!
//! `cargo bench -p termino-app --bench clients`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use termino_app::auth::{Actor, Principal};
use termino_app::clients::NewClient;
use termino_app::{App, AppConfig, Clock, Database, Kv, TenantScope};
use termino_crypto::{LocalKek, MasterKey};
use termino_notify::FileMailer;

const CLIENTS: usize = 20_000;
const FIRST: [&str; 10] = [
    "Anna", "Piotr", "Zofia", "Jan", "Ewa", "Marek", "Ola", "Kuba", "Maja", "Adam",
];
const LAST: [&str; 10] = [
    "Nowak",
    "Kowalska",
    "Wiśniewski",
    "Wójcik",
    "Kamińska",
    "Lewandowski",
    "Zielińska",
    "Szymański",
    "Woźniak",
    "Dąbrowska",
];

struct Fixture {
    app: App,
    principal: Principal,
    db: Database,
    runtime: tokio::runtime::Runtime,
}

fn person(i: usize) -> (String, String, String, String) {
    let name = format!("{} {} {i}", FIRST[i % 10], LAST[(i / 10) % 10]);
    let email = format!("klient{i}@example.com");
    let phone = format!("+48601{:06}", i);
    let notes = format!("wizyta co {} tygodnie, preferuje rano", i % 6 + 1);
    (name, email, phone, notes)
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("termino-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (app, principal, db) = runtime.block_on(async {
        let url = termino_store::sqlite_url(&dir.join("termino.db"));
        let db = Database::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let keystore = Database::connect_keystore(&termino_store::sqlite_url(&dir.join("keystore.db"))).await.unwrap();
        keystore.migrate_keystore().await.unwrap();
        let app = App::new(
            db.clone(),
            keystore,
            Kv::memory(Clock::system()),
            Clock::system(),
            AppConfig::default(),
            Arc::new(FileMailer::new(dir.join("outbox"))),
            Arc::new(LocalKek::new(MasterKey::generate())),
        );
        // Client writes need an accepted data-processing agreement.
        app.publish_bundled_dpa().await.unwrap();
        let version = app.current_dpa().await.unwrap().version;
        let (business, _) = app
            .create_business(termino_app::accounts::SignupInput {
                company_name: "Salon Benchmark".into(),
                slug: "benchmark".into(),
                owner_name: "Owner".into(),
                email: "owner@benchmark.example.com".into(),
                phone: String::new(),
                password: "Benchmark-Password-2026".into(),
                time_zone: "Europe/Warsaw".into(),
                language: "pl".into(),
                phone_optional: true,
                dpa: Some((
                    termino_app::dpa::DpaAcceptanceInput {
                        version,
                        language: "en".into(),
                        company_name: "Salon Benchmark".into(),
                        tax_id: "1234567883".into(),
                        authority_confirmed: true,
                    },
                    termino_app::dpa::AcceptanceMeta {
                        ip: String::new(),
                        user_agent: "benchmark".into(),
                        method: "cli",
                    },
                )),
            })
            .await
            .unwrap();
        let principal = Principal {
            tenant: TenantScope::authenticated(business.id),
            tenant_slug: business.slug.clone(),
            actor: Actor::ApiKey {
                key_id: uuid::Uuid::nil(),
                scopes: termino_domain::scope::Scopes::all(),
            },
        };
        db.connection()
            .execute_unprepared(
                // The same columns as `clients`, in plaintext.
                "CREATE TABLE bench_plain_clients (tenant_id BLOB NOT NULL, id BLOB NOT NULL, key_version INTEGER NOT NULL,
                   name TEXT NOT NULL, email TEXT, phone TEXT, notes TEXT, date_of_birth TEXT, custom_fields TEXT,
                   marketing_consent TEXT NOT NULL, email_index TEXT, phone_index TEXT,
                   created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (tenant_id, id))",
            )
            .await
            .unwrap();
        for i in 0..CLIENTS {
            let (name, email, phone, notes) = person(i);
            let c = app
                .create_client(
                    &principal,
                    NewClient {
                        name: name.clone(),
                        email: Some(email.clone()),
                        phone: Some(phone.clone()),
                        notes: Some(notes.clone()),
                        ..NewClient::default()
                    },
                )
                .await
                .unwrap();
            db.connection()
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "INSERT INTO bench_plain_clients VALUES (?, ?, 1, ?, ?, ?, ?, NULL, NULL, '0', ?, ?, ?, ?)",
                    [
                        business.id.into(),
                        c.id.into(),
                        name.into(),
                        email.clone().into(),
                        phone.clone().into(),
                        notes.into(),
                        format!("idx-{email}").into(),
                        format!("idx-{phone}").into(),
                        c.created_at.into(),
                        c.updated_at.into(),
                    ],
                ))
                .await
                .unwrap();
        }
        (app, principal, db)
    });
    Fixture {
        app,
        principal,
        db,
        runtime,
    }
}

/// Makes the next read decrypt everything again, as after another node's write.
async fn invalidate(db: &Database) {
    db.connection()
        .execute_unprepared("UPDATE tenants SET clients_revision = clients_revision + 1")
        .await
        .unwrap();
}

async fn plaintext_search(db: &Database, tenant: uuid::Uuid, needle: &str) -> usize {
    let tx = db.begin().await.unwrap();
    let rows = tx
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT * FROM bench_plain_clients WHERE tenant_id = ? ORDER BY id",
            [tenant.into()],
        ))
        .await
        .unwrap();
    termino_store::commit(tx).await.unwrap();
    // Read every column as the encrypted path does, build the same kind
    // of record and search text, and filter.
    let mut matches = 0;
    let mut records = Vec::with_capacity(rows.len());
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id").unwrap();
        let name: String = row.try_get("", "name").unwrap();
        let optional = |c: &str| row.try_get::<Option<String>>("", c).unwrap();
        let (email, phone, notes) = (optional("email"), optional("phone"), optional("notes"));
        let _dob = optional("date_of_birth");
        let _custom = optional("custom_fields");
        let _indexes = (optional("email_index"), optional("phone_index"));
        let consent: String = row.try_get("", "marketing_consent").unwrap();
        let created: chrono::DateTime<chrono::Utc> = row.try_get("", "created_at").unwrap();
        let updated: chrono::DateTime<chrono::Utc> = row.try_get("", "updated_at").unwrap();
        let mut text = name.to_lowercase();
        for v in [&email, &phone, &notes].into_iter().flatten() {
            text.push('\n');
            text.push_str(&v.to_lowercase());
        }
        if text.contains(needle) {
            matches += 1;
        }
        records.push((
            id,
            name,
            email,
            phone,
            notes,
            consent == "1",
            created,
            updated,
            text,
        ));
    }
    assert_eq!(records.len(), CLIENTS);
    matches
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let tenant = f.principal.tenant.id();
    let mut group = c.benchmark_group("clients_20k");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("search_cold_decrypt_all", |b| {
        b.to_async(&f.runtime).iter(|| async {
            invalidate(&f.db).await;
            let page = f
                .app
                .clients(&f.principal, Some("kowalska"), None, 50)
                .await
                .unwrap();
            assert_eq!(page.items.len(), 50);
        })
    });
    group.bench_function("search_plaintext_table", |b| {
        b.to_async(&f.runtime).iter(|| async {
            invalidate(&f.db).await;
            assert_eq!(
                plaintext_search(&f.db, tenant, "kowalska").await,
                CLIENTS / 10
            );
        })
    });
    group.bench_function("load_encrypted_rows_only", |b| {
        b.to_async(&f.runtime).iter(|| async {
            let tx = f.db.begin_tenant(&f.principal.tenant).await.unwrap();
            let rows = termino_store::repo::clients::all(&tx, &f.principal.tenant)
                .await
                .unwrap();
            termino_store::commit(tx).await.unwrap();
            assert_eq!(rows.len(), CLIENTS);
        })
    });
    group.bench_function("search_warm_cache", |b| {
        b.to_async(&f.runtime).iter(|| async {
            let page = f
                .app
                .clients(&f.principal, Some("kowalska"), None, 50)
                .await
                .unwrap();
            assert_eq!(page.items.len(), 50);
        })
    });
    group.bench_function("list_first_page_warm", |b| {
        b.to_async(&f.runtime).iter(|| async {
            let page = f.app.clients(&f.principal, None, None, 50).await.unwrap();
            assert_eq!(page.items.len(), 50);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
