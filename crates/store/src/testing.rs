//! The store's own test harness: a migrated database per test, on SQLite
//! always and on PostgreSQL when `TEST_DATABASE_URL` names a server. On
//! PostgreSQL the test database is owned by a login role that is not a
//! superuser (as in production), so forced row-level security applies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{Database, TenantScope, repo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which database a test needs: the main one or the key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    Main,
    Keystore,
}

/// Generates `<name>::sqlite` and `<name>::postgres` for an async test
/// body `async fn <name>(t: &TestDb)` on the main database (or, with
/// `@schema Keystore;` first, on the key store).
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $crate::testing::both_backends!(@schema Main; $($name),*);
    };
    (@schema $schema:ident; $($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::testing::run(
                        $crate::testing::Backend::Sqlite,
                        $crate::testing::Schema::$schema,
                        |t| async move { super::$name(&t).await },
                    )
                    .await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::testing::run(
                        $crate::testing::Backend::Postgres,
                        $crate::testing::Schema::$schema,
                        |t| async move { super::$name(&t).await },
                    )
                    .await;
                }
            }
        )*
    };
}
pub(crate) use both_backends;

/// A test that cannot run here says so on the terminal (libtest captures
/// `eprintln!`), and fails where every test must run
/// (`TERMINO_TESTS_REQUIRE=all`, set by CI).
pub fn skip(reason: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    if std::env::var("TERMINO_TESTS_REQUIRE").as_deref() == Ok("all") {
        panic!("{test} must run here but cannot: {reason}");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}

/// The login role that owns each test database (and so its schema).
const DATABASE_OWNER: &str = "termino_owner";

const CREATE_OWNER: &str = "DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'termino_owner') THEN
      CREATE ROLE termino_owner LOGIN CREATEROLE;
    END IF;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$";

/// Replaces the user in a PostgreSQL URL (no password: trust on loopback).
fn with_user(url: &str, user: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{}{user}@{host}", &url[..scheme_end])
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{db}{query}")
}

async fn pg_execute(url: &str, sql: &str) {
    let db = sea_orm::Database::connect(url)
        .await
        .expect("connect to PostgreSQL");
    db.execute_unprepared(sql).await.expect(sql);
    db.close().await.ok();
}

fn unique() -> String {
    Uuid::new_v4().simple().to_string()
}

/// One test's database, migrated, and what to remove afterwards.
pub struct TestDb {
    pub backend: Backend,
    pub db: Database,
    dir: PathBuf,
    /// The admin URL and the database to drop (PostgreSQL).
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// None when the backend is not available here (and says so).
    pub async fn open(backend: Backend, schema: Schema) -> Option<TestDb> {
        let dir = std::env::temp_dir().join(format!("termino-store-test-{}", unique()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut pg_admin = None;
        let url = match backend {
            Backend::Sqlite => crate::sqlite_url(&dir.join("test.db")),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                    let _ = std::fs::remove_dir_all(&dir);
                    skip("TEST_DATABASE_URL is not set, so the PostgreSQL variant does not run");
                    return None;
                };
                let name = format!("termino_store_test_{}", unique());
                // As in production, the owner of the database, not a
                // superuser (who would pass every row-level security policy).
                pg_execute(&admin_url, CREATE_OWNER).await;
                pg_execute(
                    &admin_url,
                    &format!("CREATE DATABASE {name} OWNER {DATABASE_OWNER}"),
                )
                .await;
                pg_admin = Some((admin_url.clone(), name.clone()));
                with_user(&with_database(&admin_url, &name), DATABASE_OWNER)
            }
        };
        let db = match schema {
            Schema::Main => {
                let db = Database::connect(&url).await.expect("connect");
                db.migrate().await.expect("migrate");
                db
            }
            Schema::Keystore => {
                let db = Database::connect_keystore(&url).await.expect("connect");
                db.migrate_keystore().await.expect("migrate the key store");
                db
            }
        };
        Some(TestDb {
            backend,
            db,
            dir,
            pg_admin,
        })
    }
}

/// Runs a test body on a fresh database and removes the database
/// afterwards, also when the body fails (the failure is then passed on).
pub async fn run<F, Fut>(backend: Backend, schema: Schema, body: F)
where
    F: FnOnce(Arc<TestDb>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(t) = TestDb::open(backend, schema).await else {
        assert_eq!(backend, Backend::Postgres, "SQLite always runs");
        return;
    };
    let t = Arc::new(t);
    let outcome = tokio::spawn(body(t.clone())).await;
    // The body's future is gone, and its handle with it.
    if let Ok(t) = Arc::try_unwrap(t) {
        t.finish().await;
    }
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}

impl TestDb {
    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = &self.pg_admin {
            pg_execute(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// A business, inserted as the system role (as sign-up does).
    pub async fn tenant(&self, slug: &str) -> TenantScope {
        let tx = self.db.begin().await.unwrap();
        let row = repo::tenants::insert(&tx, tenant_row(slug)).await.unwrap();
        tx.commit().await.unwrap();
        TenantScope::authenticated(row.id)
    }

    /// A person's account.
    pub async fn user(&self, email: &str) -> Uuid {
        let tx = self.db.begin().await.unwrap();
        let row = repo::accounts::insert_user(
            &tx,
            crate::entities::user::Model {
                id: Uuid::now_v7(),
                email: email.into(),
                name: "Anna Kowalska".into(),
                phone: None,
                password_hash: "not-a-real-hash".into(),
                sessions_valid_after: t0(),
                created_at: t0(),
                updated_at: t0(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        row.id
    }
}

/// A fixed instant with whole seconds, so values round-trip exactly on
/// both backends.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    t0() + chrono::Duration::seconds(seconds)
}

pub fn tenant_row(slug: &str) -> repo::tenants::Tenant {
    repo::tenants::Tenant {
        id: Uuid::now_v7(),
        slug: slug.into(),
        name: format!("Salon {slug}"),
        time_zone: "Europe/Warsaw".into(),
        language: "pl".into(),
        plan: "free".into(),
        plan_started_at: t0(),
        trial_ends_at: None,
        paid_until: None,
        created_at: t0(),
        updated_at: t0(),
        clients_revision: 0,
        cancellation_cutoff_hours: 24,
        polish_holidays: false,
        booking_intro: String::new(),
        privacy_notice_url: None,
        marketing_consent_text: None,
        sms_without_polish_characters: false,
        contact_email: None,
        plan_state: "active".into(),
        billing_interval: None,
        stripe_customer_id: None,
        stripe_subscription_id: None,
        stripe_account_id: None,
        stripe_account_ready: false,
        payment_hold_minutes: 15,
        tpay_credentials: None,
        refund_client_cancellations: false,
        plan_reminder_sent: None,
        dpa_version: None,
        dpa_accepted_at: None,
        purge_reminder_sent: None,
        deletion_requested_at: None,
        client_retention_months: None,
    }
}

pub fn endpoint_row(scope: &TenantScope) -> repo::webhooks::EndpointRow {
    repo::webhooks::EndpointRow {
        tenant_id: scope.id(),
        id: Uuid::now_v7(),
        url: "https://hooks.example.com/termino".into(),
        description: "CRM".into(),
        events: "booking.created booking.cancelled".into(),
        include_personal_data: false,
        secret: b"sealed secret".to_vec(),
        active: true,
        failing_since: None,
        failure_notified_at: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

pub fn delivery_row(
    endpoint: &repo::webhooks::EndpointRow,
    created: DateTime<Utc>,
) -> repo::webhooks::DeliveryRow {
    repo::webhooks::DeliveryRow {
        tenant_id: endpoint.tenant_id,
        id: Uuid::now_v7(),
        endpoint_id: endpoint.id,
        event_type: "booking.created".into(),
        payload: b"sealed payload".to_vec(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: created,
        last_status_code: None,
        last_error: None,
        created_at: created,
        delivered_at: None,
        client_id: None,
    }
}
