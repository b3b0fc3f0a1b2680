use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use termino_app::Clock;
use termino_server::config::Settings;
use termino_server::server::{RunningServer, start};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body once per backend: `sqlite` always, `postgres`
/// when TEST_DATABASE_URL is set (and says so when it is skipped).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite)
                        .await
                        .expect("SQLite test server");
                    super::$name(&app).await;
                    app.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) =
                        $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

/// Runs a test that starts its own server (with fakes or settings of its
/// own) once per backend: the body takes the `Backend` and skips itself
/// (through `TestApp::spawn_with`) where PostgreSQL is not configured.
#[macro_export]
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// Runs an async test body on PostgreSQL only: for what SQLite does not
/// have (row-level security, a server that can go away, Redis sessions).
#[macro_export]
macro_rules! on_postgres {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(app) =
                        $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(&app).await;
                    app.finish().await;
                }
            }
        )*
    };
}

/// A test that cannot run here says so on the terminal (libtest would
/// capture `eprintln!` and report a pass), and fails instead where every
/// test must run (`TERMINO_TESTS_REQUIRE=all`, set by CI).
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

pub struct TestApp {
    pub backend: Backend,
    pub settings: Settings,
    pub server: Option<RunningServer>,
    pub url: String,
    pub clock: Clock,
    pub data_dir: PathBuf,
    /// For the tests' own look-ups: a superuser on PostgreSQL (the server
    /// connects as the database's owner, `settings.database_url`).
    pub database_url: String,
    pg_admin: Option<(String, String)>,
    pub redis: Option<(String, String)>,
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The login role that owns each test database (and so its schema).
pub const DATABASE_OWNER: &str = "termino_owner";

const CREATE_OWNER: &str = "DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'termino_owner') THEN
      CREATE ROLE termino_owner LOGIN CREATEROLE;
    END IF;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$";

/// Replaces the user in a PostgreSQL URL (no password: trust on loopback).
pub fn with_user(url: &str, user: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let host = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{}{user}@{host}", &url[..scheme_end])
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
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

pub async fn pg_execute(url: &str, sql: &str) {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(url)
        .await
        .expect("connect to PostgreSQL");
    db.execute_unprepared(sql).await.expect(sql);
    db.close().await.ok();
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with settings adjusted before the server starts.
    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        let data_dir = std::env::temp_dir().join(format!("termino-test-{}", unique()));
        std::fs::create_dir_all(&data_dir).unwrap();
        let mut pg_admin = None;
        let mut redis = None;
        let database_url = match backend {
            Backend::Sqlite => termino_store::sqlite_url(&data_dir.join("termino.db")),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                    skip("TEST_DATABASE_URL is not set, so the PostgreSQL variant does not run");
                    return None;
                };
                let db = format!("termino_test_{}", unique());
                // Termino connects as the owner of its database, not as a
                // superuser (who would pass every row-level security policy).
                pg_execute(&admin_url, CREATE_OWNER).await;
                pg_execute(
                    &admin_url,
                    &format!("CREATE DATABASE {db} OWNER {DATABASE_OWNER}"),
                )
                .await;
                pg_admin = Some((admin_url.clone(), db.clone()));
                if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
                    redis = Some((redis_url, format!("termino-test:{}:", unique())));
                }
                with_database(&admin_url, &db)
            }
        };
        let server_database_url = match backend {
            Backend::Sqlite => database_url.clone(),
            Backend::Postgres => with_user(&database_url, DATABASE_OWNER),
        };
        let mut settings = Settings::from_sources(None, |_| None).unwrap();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        settings.data_dir = data_dir.clone();
        settings.database_url = server_database_url;
        settings.keystore_url = termino_store::sqlite_url(&data_dir.join("keystore.db"));
        if let Some((url, prefix)) = &redis {
            settings.redis_url = Some(url.clone());
            settings.redis_prefix = prefix.clone();
        }
        // Tests make many calls a minute; `rate_limits` tests the limits.
        settings.rate_limit_per_key = 100_000;
        settings.rate_limit_public = 100_000;
        // Webhook receivers in tests listen on 127.0.0.1.
        settings.webhooks_allow_private = true;
        // Tests step the background work themselves (`run_jobs`), at the
        // time their clock says, instead of racing a worker.
        settings.worker = false;
        tweak(&mut settings);
        let clock = Clock::system();
        let server = start(settings.clone(), clock.clone())
            .await
            .expect("server starts");
        let url = server.url();
        Some(TestApp {
            backend,
            settings,
            server: Some(server),
            url,
            clock,
            data_dir,
            database_url,
            pg_admin,
            redis,
        })
    }

    /// Stops the server and starts it again on the same databases (another
    /// port), with settings adjusted; returns the start error, if any.
    pub async fn restart(&mut self, tweak: impl FnOnce(&mut Settings)) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.stop().await?;
        }
        tweak(&mut self.settings);
        let server = start(self.settings.clone(), self.clock.clone()).await?;
        self.url = server.url();
        self.server = Some(server);
        Ok(())
    }

    /// A second node of the same deployment: another server on the same
    /// databases (and Redis), with a clock of its own.
    pub async fn another_node(&self) -> (RunningServer, Clock) {
        let clock = Clock::system();
        let server = start(self.settings.clone(), clock.clone())
            .await
            .expect("the second node starts");
        (server, clock)
    }

    /// Runs the `termino` binary against this server's databases.
    pub async fn termino(
        &self,
        args: &[&str],
        extra_env: &[(&str, String)],
    ) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_termino"));
        cmd.args(args)
            .env_remove("REDIS_URL")
            .env_remove("TERMINO_MASTER_KEY")
            .env_remove("TERMINO_MASTER_KEY_FILE")
            .env("DATABASE_URL", &self.settings.database_url)
            .env("KEYSTORE_URL", &self.settings.keystore_url)
            .env("TERMINO_DATA_DIR", &self.data_dir);
        if let Some(file) = &self.settings.master_key_file {
            cmd.env("TERMINO_MASTER_KEY_FILE", file);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.output().await.unwrap()
    }

    pub fn app(&self) -> &termino_app::App {
        &self.server.as_ref().unwrap().app
    }

    pub async fn finish(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
        if let Some((admin, db)) = self.pg_admin.take() {
            pg_execute(
                &admin,
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    /// A client without cookies (API keys, anonymous calls).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A browser-like client that keeps cookies.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// Signs up a business through REST; returns the owner's session.
    pub async fn signup(&self, slug: &str) -> Session {
        let client = self.browser();
        let resp = client
            .post(self.api("/auth/signup"))
            .json(&signup_body(slug))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "{}",
            resp.text().await.unwrap()
        );
        let body: Value = resp.json().await.unwrap();
        Session {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            base: self.api(""),
        }
    }

    /// Logs in through REST with a fresh cookie jar.
    pub async fn login(&self, email: &str, password: &str) -> Session {
        self.login_at(&self.url, email, password).await
    }

    /// Logs in at a server of this deployment (`url`: its root).
    pub async fn login_at(&self, url: &str, email: &str, password: &str) -> Session {
        let client = self.browser();
        let resp = client
            .post(format!("{url}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "{}",
            resp.text().await.unwrap()
        );
        let body: Value = resp.json().await.unwrap();
        Session {
            client,
            csrf: body["csrf_token"].as_str().unwrap().to_string(),
            base: format!("{url}/api/v1"),
        }
    }

    /// Runs the background work that is due now (mail, webhooks, jobs):
    /// what the worker would do next, done before the test looks.
    pub async fn run_jobs(&self) -> termino_app::jobs::WorkDone {
        self.app().run_pending_jobs().await
    }

    /// The first message to this address, after sending what is due.
    pub async fn mail_to(&self, address: &str) -> String {
        decode_quoted_printable(&self.raw_mail_to(address).await)
    }

    /// The message as written, before any decoding.
    pub async fn raw_mail_to(&self, address: &str) -> String {
        self.run_jobs().await;
        let dir = self.data_dir.join("outbox");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .find(|text| text.contains(&format!("To: {address}\r\n")))
            .unwrap_or_else(|| panic!("no mail to {address}"))
    }

    /// The newest message to an address (file names are time-ordered ids).
    pub fn latest_mail_to(&self, address: &str) -> String {
        self.all_mail_to(address)
            .pop()
            .expect("a mail to the address")
    }

    /// Every message written to an address so far, oldest first, decoded.
    pub fn all_mail_to(&self, address: &str) -> Vec<String> {
        // No outbox yet: nothing was sent.
        let mut files: Vec<_> = std::fs::read_dir(self.data_dir.join("outbox"))
            .map(|entries| entries.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .filter(|t| t.contains(&format!("To: {address}\r\n")))
            .map(|t| decode_quoted_printable(&t))
            .collect()
    }

    /// Sends what is due and checks that at least `n` messages to the
    /// address were written.
    pub async fn expect_mails(&self, address: &str, n: usize) {
        self.run_jobs().await;
        let sent = self.mails_to(address);
        assert!(sent >= n, "{sent} of {n} mails to {address}");
    }

    pub fn mails_to(&self, address: &str) -> usize {
        let dir = self.data_dir.join("outbox");
        std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .flatten()
                    // Finished messages only: the mailer writes `.tmp` and
                    // renames, and a half-counted pair raced `latest_mail_to`.
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .filter(|e| {
                        std::fs::read_to_string(e.path())
                            .unwrap_or_default()
                            .contains(&format!("To: {address}\r\n"))
                    })
                    .count()
            })
            .unwrap_or(0)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // A failed test leaves here without `finish`: still drop its database.
        if let Some((admin, db)) = self.pg_admin.take() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(pg_execute(
                        &admin,
                        &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                    ));
                }
            })
            .join();
        }
    }
}

pub const PASSWORD: &str = "Zielona-Herbata-42!";

pub fn owner_email(slug: &str) -> String {
    format!("owner@{slug}.example.com")
}

pub fn signup_body(slug: &str) -> Value {
    json!({
        "company_name": format!("Salon {slug}"),
        "slug": slug,
        "owner_name": "Anna Kowalska",
        "email": owner_email(slug),
        "phone": "601 234 567",
        "password": PASSWORD,
        "time_zone": "Europe/Warsaw",
        "language": "pl",
        "dpa": {
            "version": DPA_VERSION,
            "language": "pl",
            "tax_id": TAX_ID,
            "authority_confirmed": true,
        },
    })
}

/// The data-processing agreement shipped in `legal/dpa/`.
pub const DPA_VERSION: &str = "2026-11";
/// A tax id (NIP) with a valid check digit.
pub const TAX_ID: &str = "1234567883";

/// A signed-in person: cookie jar plus the CSRF token.
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    pub base: String,
}

impl Session {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }
}

/// Reads a problem+json body, checking the content type.
pub async fn problem(resp: reqwest::Response) -> Value {
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert!(
        ct.starts_with("application/problem+json"),
        "expected problem+json, got {ct:?} ({status}): {body}"
    );
    serde_json::from_str(&body).unwrap()
}

/// The fields a problem names.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["invalid-params"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The link in a mail that starts with `prefix` (e.g. "/reset/").
pub fn link_token(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).expect("link in mail") + prefix.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Undoes quoted-printable (soft line breaks and `=XX`), enough to read
/// links in a message body.
pub fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded body of the first MIME part of a content type.
pub fn attachment(mail: &str, content_type: &str) -> String {
    use base64::Engine;
    let at = mail
        .find(&format!("Content-Type: {content_type}"))
        .expect("the part is there");
    let part = &mail[at..];
    let body_start = part.find("\r\n\r\n").map(|i| i + 4).expect("part body");
    let body = &part[body_start..];
    let end = body.find("\r\n--").unwrap_or(body.len());
    let encoded: String = body[..end].split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .expect("base64 body");
    String::from_utf8(bytes).expect("utf-8")
}
