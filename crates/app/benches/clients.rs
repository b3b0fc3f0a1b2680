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
        let keystore = Database::connect(&termino_store::sqlite_url(&dir.join("keystore.db"))).await.unwrap();
        keystore.migrate_keystore().await.unwrap();
        let app = App::new(
            db.clone(),
            keystore,
            Kv::memory(),
            Clock::system(),
            AppConfig::default(),
            Arc::new(FileMailer::new(dir.join("outbox"))),
            Arc::new(LocalKek::new(MasterKey::generate())),
        );
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
            })
            .await
            .unwrap();
        let principal = Principal {
            tenant: TenantScope::authenticated(business.id),
            tenant_slug: business.slug.clone(),
            actor: Actor::ApiKey { key_id: uuid::Uuid::nil() },
        };
        db.connection()
            .execute_unprepared(
                "CREATE TABLE bench_plain_clients (tenant_id BLOB NOT NULL, id BLOB NOT NULL, name TEXT NOT NULL, email TEXT, phone TEXT, notes TEXT, PRIMARY KEY (tenant_id, id))",
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
                    "INSERT INTO bench_plain_clients VALUES (?, ?, ?, ?, ?, ?)",
                    [business.id.into(), c.id.into(), name.into(), email.into(), phone.into(), notes.into()],
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
    let rows = db
        .connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT id, name, email, phone, notes FROM bench_plain_clients WHERE tenant_id = ? ORDER BY id",
            [tenant.into()],
        ))
        .await
        .unwrap();
    let mut matches = 0;
    for row in rows {
        let mut text: String = row.try_get::<String>("", "name").unwrap().to_lowercase();
        for col in ["email", "phone", "notes"] {
            if let Ok(Some(v)) = row.try_get::<Option<String>>("", col) {
                text.push('\n');
                text.push_str(&v.to_lowercase());
            }
        }
        if text.contains(needle) {
            matches += 1;
        }
    }
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
