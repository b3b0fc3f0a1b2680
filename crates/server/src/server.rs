//! Assembling and running the HTTP server.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use poem::PathPattern;
use poem::http::HeaderValue;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, handler};
use termino_app::keys::{KeyService, KeystoreCheck};
use termino_app::{App, AppConfig, Clock, Database, Kv};
use termino_crypto::{Kek, LocalKek, MasterKey};
use termino_http::CookiePolicy;
use termino_notify::{FileMailer, Mailer, SmtpMailer};
use tokio::sync::watch;

use crate::config::Settings;

/// Connects to everything the settings name, runs migrations, and builds
/// the application.
pub async fn build_app(settings: &Settings, clock: Clock) -> anyhow::Result<App> {
    if settings.database_url.starts_with("sqlite:") || settings.keystore_url.starts_with("sqlite:")
    {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "could not create the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    let db = Database::connect(&settings.database_url).await?;
    db.migrate().await.context("migrating the main database")?;
    let keystore = Database::connect_keystore(&settings.keystore_url).await?;
    keystore
        .migrate_keystore()
        .await
        .context("migrating the key store")?;
    let kek = master_key(settings, &keystore).await?;
    let kv = match &settings.redis_url {
        Some(url) => Kv::redis(url, &settings.redis_prefix)
            .await
            .with_context(|| {
                format!("connecting to Redis at {}", termino_store::redact_url(url))
            })?,
        None => Kv::memory(clock.clone()),
    };
    let config = AppConfig {
        public_url: settings.public_url.clone(),
        mail_from: settings.mail_from.clone(),
        rotate_after_encryptions: settings.rotate_after_encryptions,
        rate_limit_per_key: settings.rate_limit_per_key,
        rate_limit_public: settings.rate_limit_public,
        rate_limit_calendar_feeds: settings.rate_limit_calendar_feeds,
        webhooks_allow_private: settings.webhooks_allow_private,
        stripe: settings
            .stripe_secret_key
            .as_ref()
            .map(|key| termino_app::StripeConfig {
                secret_key: key.clone(),
                webhook_secrets: settings.stripe_webhook_secrets.clone(),
                api_base: settings.stripe_api_base.clone(),
            }),
        tpay_api_base: settings.tpay_api_base.clone(),
        tpay_cert_base: settings.tpay_cert_base.clone(),
        tpay_plans: settings.tpay_plans.clone(),
        session_idle: Duration::from_secs(settings.session_idle_minutes * 60),
        dpa_accept_days: settings.dpa_accept_days,
        privacy_contact: settings.privacy_contact.clone(),
        sms: settings.sms.clone(),
        ..AppConfig::default()
    };
    let mailer: Arc<dyn Mailer> = match &settings.smtp_url {
        Some(url) => Arc::new(SmtpMailer::from_url(url).context("TERMINO_SMTP_URL")?),
        None => Arc::new(FileMailer::new(settings.data_dir.join("outbox"))),
    };
    let app = App::new(db, keystore, kv, clock, config, mailer, kek);
    app.publish_bundled_dpa()
        .await
        .context("publishing the data-processing agreement")?;
    app.record_unkeyed_chain_starts()
        .await
        .context("recording the ledgers' unkeyed beginnings in the key store")?;
    Ok(app)
}

/// The master key, from the environment, a file, or (embedded default
/// only, and only while the key store is empty) generated into the data
/// directory. A key that does not match the key store stops the start.
pub async fn master_key(settings: &Settings, keystore: &Database) -> anyhow::Result<Arc<dyn Kek>> {
    let read = |path: &std::path::Path| -> anyhow::Result<MasterKey> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the master key file {}", path.display()))?;
        MasterKey::from_base64(&text).map_err(|_| {
            anyhow::anyhow!(
                "{} does not hold a master key (32 bytes, base64)",
                path.display()
            )
        })
    };
    let key = if let Some(text) = &settings.master_key {
        MasterKey::from_base64(text).map_err(|_| {
            anyhow::anyhow!("TERMINO_MASTER_KEY is not a master key (32 bytes, base64)")
        })?
    } else if let Some(path) = &settings.master_key_file {
        read(path)?
    } else {
        let path = settings.data_dir.join("master.key");
        if path.exists() {
            read(&path)?
        } else {
            let check =
                KeyService::check_master_key(keystore, &LocalKek::new(MasterKey::generate()))
                    .await?;
            if check != KeystoreCheck::Empty {
                anyhow::bail!(
                    "the key store holds tenant keys but there is no master key at {} \
                     (nor in TERMINO_MASTER_KEY or TERMINO_MASTER_KEY_FILE); refusing to \
                     create a new one, which would make every client record unreadable",
                    path.display()
                );
            }
            let key = MasterKey::generate();
            write_new_key_file(&path, &key)?;
            tracing::warn!(path = %path.display(), "generated a new master key");
            eprintln!(
                "\n  WARNING: generated a new master key at {}.\n  It protects every client record: back it up apart from the data,\n  and in production give it in TERMINO_MASTER_KEY_FILE instead.\n",
                path.display()
            );
            key
        }
    };
    let kek = LocalKek::new(key);
    match KeyService::check_master_key(keystore, &kek).await? {
        KeystoreCheck::Empty | KeystoreCheck::Matches => Ok(Arc::new(kek)),
        KeystoreCheck::WrongMasterKey(expected) => anyhow::bail!(
            "the master key does not match the key store: its keys need master key {expected}, \
             the configured one is {}; nothing was changed",
            kek.id()
        ),
    }
}

/// Creates the file (never overwrites one), readable by its owner only.
pub fn write_new_key_file(path: &std::path::Path, key: &MasterKey) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(key.to_base64().as_bytes())?;
    file.write_all(b"\n")?;
    Ok(())
}

/// Paths may carry secrets (`/reset/<token>`, `/b/x/manage/<token>`): long
/// segments are cut before a path is logged.
fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.len() > 24 { "…" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

/// Request ids and one log line per request, with no personal data.
async fn log_requests<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().clone();
    let path = loggable_path(req.uri().path());
    let app = req.data::<App>().cloned();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method);
    let result = tracing::Instrument::instrument(next.call(req), span.clone()).await;
    // The pattern the router matched (`/api/v1/bookings/:id`), never the
    // path itself: ids and tokens stay out of the metrics.
    let (route, mut resp) = match result {
        Ok(resp) => {
            let resp = resp.into_response();
            (resp.data::<PathPattern>().map(|p| p.0.to_string()), resp)
        }
        Err(err) => (
            err.data::<PathPattern>().map(|p| p.0.to_string()),
            err.into_response(),
        ),
    };
    let status = resp.status();
    if let Some(app) = app {
        let route = route.as_deref().unwrap_or("unmatched");
        app.metrics().request(
            method.as_str(),
            route,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            path = %path,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", value);
    }
    Ok(resp)
}

/// Who may read `/metrics`: the holder of this bearer token; nobody
/// without one.
#[derive(Clone)]
struct MetricsToken(Option<String>);

/// `/metrics` in Prometheus's text format, for the holder of the token.
#[handler]
async fn metrics(req: &Request) -> poem::Result<Response> {
    use poem::http::StatusCode;
    let Some(MetricsToken(Some(token))) = req.data::<MetricsToken>() else {
        return Err(poem::Error::from_status(StatusCode::NOT_FOUND));
    };
    let shown = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !termino_http::tokens_match(token, shown) {
        return Ok(Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("www-authenticate", "Bearer")
            .finish());
    }
    let app = req
        .data::<App>()
        .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let text = app.render_metrics().await.map_err(|err| {
        tracing::warn!(event = "metrics_failed", error = %err, "metrics could not be read");
        poem::Error::from_status(StatusCode::SERVICE_UNAVAILABLE)
    })?;
    Ok(Response::builder()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}

/// Every route of the server: the API's and the pages', side by side.
pub fn routes(app: App, settings: &Settings) -> impl Endpoint + 'static {
    let cookies = CookiePolicy {
        secure: settings.secure_cookies,
        max_age_secs: app.config().session_absolute.as_secs(),
    };
    let options = termino_api::ApiOptions {
        public_url: settings.public_url.clone(),
        allowed_origins: settings.allowed_origins.clone(),
    };
    termino_api::mount(Route::new(), &app, &options)
        .at("/metrics", poem::get(metrics))
        .nest(
            "/",
            termino_web::routes().around(termino_api::rest::rate_limit::limit_forms),
        )
        .with(poem::middleware::CookieJarManager::new())
        .around(termino_api::body_limit::limit_bodies)
        .around(log_requests)
        .data(app)
        .data(cookies)
        .data(termino_api::body_limit::BodyLimit(settings.max_body_bytes))
        .data(MetricsToken(settings.metrics_token.clone()))
        .data(termino_http::TrustedProxies(
            settings.trusted_proxies.clone(),
        ))
}

/// A server running in the background (tests, and `serve` below).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub app: App,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, stops the workers.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await??;
        if let Some(worker) = self.worker {
            let _ = worker.await;
        } else {
            self.app.flush_encryption_counts().await;
        }
        Ok(())
    }

    /// Waits until the server stops.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }
}

/// Binds (port 0 picks a free port), and starts serving and the workers.
pub async fn start(mut settings: Settings, clock: Clock) -> anyhow::Result<RunningServer> {
    let acceptor = TcpListener::bind(settings.listen)
        .into_acceptor()
        .await
        .with_context(|| format!("could not listen on {}", settings.listen))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    if settings.public_url == format!("http://{}", settings.listen) {
        settings.public_url = format!("http://{addr}");
    }
    let app = build_app(&settings, clock).await?;
    let endpoint = routes(app.clone(), &settings);
    let (shutdown, mut stop_rx) = watch::channel(false);
    let worker = settings.worker.then(|| {
        let app = app.clone();
        let rx = shutdown.subscribe();
        tokio::spawn(async move { app.run_worker(rx).await })
    });
    let task = tokio::spawn(async move {
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                endpoint,
                async move {
                    let _ = stop_rx.changed().await;
                },
                Some(Duration::from_secs(10)),
            )
            .await
    });
    Ok(RunningServer {
        addr,
        app,
        shutdown,
        task,
        worker,
    })
}

async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// `termino serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let embedded = settings.database_url.starts_with("sqlite:");
    let server = start(settings.clone(), Clock::system()).await?;
    let url = server.url();
    println!();
    println!("  Termino is running.");
    println!("  Sign up a business:  {url}/signup");
    println!("  Log in:              {url}/login");
    println!("  API docs:            {url}/api/docs");
    println!("  Health:              {url}/health, {url}/ready");
    if embedded {
        println!(
            "  Data:                {} (SQLite; e-mails are written to outbox/ there)",
            settings.data_dir.display()
        );
    }
    println!("  Stop with Ctrl-C.");
    println!();
    tracing::info!(addr = %server.addr, "listening");
    termination_signal().await;
    tracing::info!("shutting down");
    server.stop().await
}
