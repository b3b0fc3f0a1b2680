//! Use cases: what the REST and GraphQL APIs, the web pages, the CLI and the
//! background jobs all call. This crate owns transactions.

pub mod accounts;
pub mod agenda;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bookings;
pub mod breach;
pub mod business;
pub mod calendar;
pub mod calendar_feeds;
pub mod catalog;
pub mod chains;
pub mod changes;
pub mod clients;
pub mod clock;
pub mod deposits;
pub mod dpa;
pub mod error;
pub mod export;
pub mod external_calendars;
pub mod jobs;
pub mod keys;
pub mod kv;
pub mod mail;
pub mod metrics;
pub mod notices;
pub mod operators;
pub mod outbound;
pub mod records;
pub mod reminders;
pub mod requests;
pub mod retention;
pub mod rotation;
pub mod secret;
pub mod sms;
pub mod sms_settings;
pub mod subprocessors;
pub mod tpay;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

pub use clock::Clock;
pub use error::{AppError, AppResult, ConflictKind};
pub use kv::Kv;
use termino_notify::Mailer;
pub use termino_store::{Database, TenantScope};

/// Settings the use cases need (the binary reads them from configuration).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where people reach this server, for links in e-mails.
    pub public_url: String,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after log-in, however active.
    pub session_absolute: Duration,
    /// Failed log-ins allowed per account within the throttling window.
    pub login_failures_per_account: u64,
    /// Failed log-ins allowed per client address within the window.
    pub login_failures_per_ip: u64,
    pub login_window: Duration,
    /// The sender of every e-mail.
    pub mail_from: String,
    /// Encryptions under one data-key version before it is rotated: far
    /// below the 2^32 random-nonce bound of NIST SP 800-38D.
    pub rotate_after_encryptions: i64,
    /// REST requests a minute per API key or session.
    pub rate_limit_per_key: u64,
    /// REST requests a minute per client address without credentials.
    pub rate_limit_public: u64,
    /// Calendar feed reads a minute per client address.
    pub rate_limit_calendar_feeds: u64,
    /// Lets webhook endpoints point at loopback and private addresses
    /// (tests, a single-machine setup); off in production.
    pub webhooks_allow_private: bool,
    /// Termino's own Stripe account, for the businesses' plans; `None`:
    /// online payment of plans is not offered.
    pub stripe: Option<StripeConfig>,
    /// `https://api.tpay.com`; tests point it at a local fake.
    pub tpay_api_base: String,
    /// Where tpay's notification certificates live (`x5u` must be under
    /// it) and its root: `https://secure.tpay.com`.
    pub tpay_cert_base: String,
    /// Termino's own tpay merchant account, for plans paid by period.
    pub tpay_plans: Option<crate::tpay::TpayCredentials>,
    /// Days a business has to accept a new version of the agreement.
    pub dpa_accept_days: i64,
    /// Termino's data-protection contact point (breach notices, records).
    pub privacy_contact: String,
    /// The SMS gateway; `None`: text messages are off.
    pub sms: Option<sms::SmsConfig>,
}

/// Termino's Stripe account (the payments crate's; re-exported for the
/// composition root).
pub use termino_payments::stripe::StripeConfig;

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            session_idle: Duration::from_secs(12 * 3600),
            session_absolute: Duration::from_secs(30 * 24 * 3600),
            login_failures_per_account: 5,
            login_failures_per_ip: 20,
            login_window: Duration::from_secs(15 * 60),
            mail_from: "Termino <no-reply@termino.localhost>".into(),
            rotate_after_encryptions: 1 << 30,
            rate_limit_per_key: 600,
            rate_limit_public: 120,
            rate_limit_calendar_feeds: 30,
            webhooks_allow_private: false,
            stripe: None,
            tpay_api_base: "https://api.tpay.com".into(),
            tpay_cert_base: "https://secure.tpay.com".into(),
            tpay_plans: None,
            dpa_accept_days: crate::dpa::DEFAULT_ACCEPT_DAYS,
            privacy_contact: "privacy@termino.localhost".into(),
            sms: None,
        }
    }
}

/// The application: cheap to clone, shared by every request and job.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    keystore: Database,
    kv: Kv,
    clock: Clock,
    config: AppConfig,
    mailer: Arc<dyn Mailer>,
    mail_waker: tokio::sync::Notify,
    keys: keys::KeyService,
    clients: clients::ClientCache,
    /// Seals API responses kept for idempotent replay.
    response_secret: termino_crypto::DataKey,
    /// Seals the tokens of public forms (they work without cookies, so
    /// inside a widget on another site too).
    form_secret: termino_crypto::DataKey,
    /// Booking changes in this process, for GraphQL subscriptions.
    booking_events: tokio::sync::broadcast::Sender<BookingNotice>,
    /// tpay's notification certificates, bounded.
    tpay_certs: Arc<termino_payments::tpay::jws::CertCache>,
    metrics: metrics::Metrics,
    /// The SMS gateway of `config.sms`.
    sms: Option<Arc<dyn termino_notify::sms::SmsGateway>>,
}

/// A booking changed (sent after the change committed).
#[derive(Debug, Clone)]
pub struct BookingNotice {
    pub tenant: uuid::Uuid,
    /// `booking.created`, `booking.cancelled`, …
    pub kind: &'static str,
    pub booking_id: uuid::Uuid,
}

impl App {
    pub fn new(
        db: Database,
        keystore: Database,
        kv: Kv,
        clock: Clock,
        config: AppConfig,
        mailer: Arc<dyn Mailer>,
        kek: Arc<dyn termino_crypto::Kek>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                response_secret: kek.derive_secret("idempotent-responses"),
                form_secret: kek.derive_secret("public-forms"),
                booking_events: tokio::sync::broadcast::channel(1024).0,
                keys: keys::KeyService::new(keystore.clone(), kek),
                clients: clients::ClientCache::default(),
                sms: config.sms.as_ref().map(sms::gateway),
                db,
                keystore,
                kv,
                clock,
                config,
                mailer,
                mail_waker: tokio::sync::Notify::new(),
                tpay_certs: Arc::default(),
                metrics: metrics::Metrics::default(),
            }),
        }
    }

    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    /// A token for a public form of one business, valid for `ttl`: the
    /// form's proof that this server rendered it, and the idempotency key
    /// of its submission (a double click books once).
    pub fn public_form_token(&self, tenant: uuid::Uuid, ttl: chrono::Duration) -> String {
        use base64::Engine;
        let expires = (self.now() + ttl).timestamp();
        let mut payload = expires.to_be_bytes().to_vec();
        payload.extend_from_slice(&rand::random::<[u8; 16]>());
        let sealed = termino_crypto::encrypt_field(
            &self.inner.form_secret,
            1,
            form_context(tenant),
            &payload,
        );
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed)
    }

    /// Whether `token` was made by [`Self::public_form_token`] for this
    /// business and has not expired.
    pub fn check_public_form_token(&self, tenant: uuid::Uuid, token: &str) -> bool {
        use base64::Engine;
        let Ok(sealed) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        let Ok(payload) = termino_crypto::decrypt_field(
            |_| Some(&self.inner.form_secret),
            form_context(tenant),
            &sealed,
        ) else {
            return false;
        };
        let Some(expires) = payload.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
            return false;
        };
        i64::from_be_bytes(expires) > self.now().timestamp()
    }

    /// The secret that seals stored responses (idempotency).
    pub fn response_secret(&self) -> &termino_crypto::DataKey {
        &self.inner.response_secret
    }

    /// Booking changes from now on (this process only).
    pub fn booking_events(&self) -> tokio::sync::broadcast::Receiver<BookingNotice> {
        self.inner.booking_events.subscribe()
    }

    pub(crate) fn announce(&self, tenant: uuid::Uuid, kind: &'static str, booking_id: uuid::Uuid) {
        let _ = self.inner.booking_events.send(BookingNotice {
            tenant,
            kind,
            booking_id,
        });
    }

    /// tpay's notification certificates held now (at most
    /// [`termino_payments::tpay::jws::CACHE_ENTRIES`]).
    pub fn tpay_certificates_cached(&self) -> usize {
        self.inner.tpay_certs.len()
    }

    pub(crate) fn tpay_certs(&self) -> &Arc<termino_payments::tpay::jws::CertCache> {
        &self.inner.tpay_certs
    }

    pub fn keys(&self) -> &keys::KeyService {
        &self.inner.keys
    }

    /// The keyring to seal with, taken in the transaction that writes the
    /// sealed values: the transaction shares the business's sealing lock
    /// (a key rotation destroys an old version only when it holds that lock
    /// alone), and the active version is the key store's at this moment.
    pub(crate) async fn sealing_keys(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
    ) -> AppResult<Arc<keys::Keyring>> {
        termino_store::share_sealing_lock(tx, scope).await?;
        self.inner.keys.for_write(scope.id(), self.now()).await
    }

    pub fn kv(&self) -> &Kv {
        &self.inner.kv
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Readiness: every part a request may need answers.
    pub async fn readiness(&self) -> Vec<(&'static str, Result<(), String>)> {
        let db = self.inner.db.ping().await.map_err(|e| e.to_string());
        let keystore = self.inner.keystore.ping().await.map_err(|e| e.to_string());
        let mut checks = vec![("database", db), ("keystore", keystore)];
        if self.inner.kv.is_redis() {
            checks.push((
                "redis",
                self.inner.kv.ping().await.map_err(|e| e.to_string()),
            ));
        }
        checks
    }
}

fn form_context(tenant: uuid::Uuid) -> termino_crypto::FieldContext<'static> {
    termino_crypto::FieldContext {
        tenant,
        table: "public-form",
        column: "token",
        row: uuid::Uuid::nil(),
    }
}
