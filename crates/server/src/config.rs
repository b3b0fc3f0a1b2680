//! Settings: defaults, then an optional `termino.toml`, then the environment.
//! Secrets (database passwords, the master key) are never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    database_url: Option<String>,
    keystore_url: Option<String>,
    redis_url: Option<String>,
    secure_cookies: Option<bool>,
    session_idle_minutes: Option<u64>,
    dpa_accept_days: Option<i64>,
    privacy_contact: Option<String>,
    log_format: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    master_key_file: Option<PathBuf>,
    rotate_after_encryptions: Option<i64>,
    rate_limit_per_key: Option<u64>,
    rate_limit_public: Option<u64>,
    rate_limit_calendar_feeds: Option<u64>,
    webhooks_allow_private: Option<bool>,
    worker: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    allowed_origins: Option<Vec<String>>,
    max_body_bytes: Option<usize>,
    stripe_api_base: Option<String>,
    tpay_api_base: Option<String>,
    tpay_cert_base: Option<String>,
    sms_provider: Option<String>,
    sms_sender: Option<String>,
    smsapi_api_base: Option<String>,
    twilio_api_base: Option<String>,
}

/// 1 MiB: far above any form, JSON call or GraphQL query Termino takes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub database_url: String,
    pub keystore_url: String,
    pub redis_url: Option<String>,
    /// Separates deployments (or tests) that share one Redis.
    pub redis_prefix: String,
    pub secure_cookies: bool,
    pub session_idle_minutes: u64,
    /// Days a business has to accept a new data-processing agreement.
    pub dpa_accept_days: i64,
    /// Termino's contact point for data protection, named in breach notices
    /// and the records of processing.
    pub privacy_contact: String,
    pub log_format: LogFormat,
    /// SMTP server for outgoing mail; without it mail goes to files.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// The master key itself, base64 (environment only, never a file
    /// setting).
    pub master_key: Option<String>,
    /// A file holding the master key, base64.
    pub master_key_file: Option<PathBuf>,
    /// Encryptions under one data-key version before it is rotated.
    pub rotate_after_encryptions: i64,
    /// REST requests a minute per API key or session.
    pub rate_limit_per_key: u64,
    /// REST requests a minute per client address without credentials.
    pub rate_limit_public: u64,
    /// Calendar feed reads a minute per client address (calendar programs
    /// poll every few minutes; guessing secrets needs many more).
    pub rate_limit_calendar_feeds: u64,
    /// Webhook endpoints may be loopback or private addresses.
    pub webhooks_allow_private: bool,
    /// Whether this process runs the background worker (mail, webhooks,
    /// jobs, retention). Off: an API-only node, or a test that steps the
    /// work itself.
    pub worker: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed; none by
    /// default, so the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins (`https://host[:port]`) whose pages may open the GraphQL
    /// WebSocket; empty: the public URL's origin only.
    pub allowed_origins: Vec<String>,
    /// The largest request body the server reads, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token a scraper shows at `/metrics` (environment only).
    /// Without it `/metrics` is off (404).
    pub metrics_token: Option<String>,
    /// Termino's Stripe secret key (environment only). Without it, plans
    /// cannot be paid online.
    pub stripe_secret_key: Option<String>,
    /// The Stripe webhook endpoint's signing secrets, comma-separated while
    /// one is being rolled (environment only).
    pub stripe_webhook_secrets: Vec<String>,
    /// `https://api.stripe.com`; tests point it at a local fake.
    pub stripe_api_base: String,
    /// `https://api.tpay.com` (sandbox: `https://openapi.sandbox.tpay.com`).
    pub tpay_api_base: String,
    /// Where tpay's notification certificates and root live:
    /// `https://secure.tpay.com` (sandbox: `https://secure.sandbox.tpay.com`).
    pub tpay_cert_base: String,
    /// Termino's own tpay account for plans (environment only:
    /// TERMINO_TPAY_MERCHANT_ID, _CLIENT_ID, _CLIENT_SECRET, _SECURITY_CODE).
    pub tpay_plans: Option<termino_app::tpay::TpayCredentials>,
    /// The SMS gateway: TERMINO_SMS_PROVIDER (`smsapi` or `twilio`) with
    /// TERMINO_SMS_SENDER and the provider's credentials (environment
    /// only: TERMINO_SMSAPI_TOKEN, or TERMINO_TWILIO_ACCOUNT_SID and
    /// TERMINO_TWILIO_AUTH_TOKEN); the API bases TERMINO_SMSAPI_API_BASE
    /// and TERMINO_TWILIO_API_BASE point tests at fakes. None: SMS is off.
    pub sms: Option<termino_app::sms::SmsConfig>,
}

impl std::fmt::Debug for Settings {
    // Hand-written so that passwords in URLs never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("public_url", &self.public_url)
            .field(
                "database_url",
                &termino_store::redact_url(&self.database_url),
            )
            .field(
                "keystore_url",
                &termino_store::redact_url(&self.keystore_url),
            )
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(termino_store::redact_url),
            )
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("dpa_accept_days", &self.dpa_accept_days)
            .field("privacy_contact", &self.privacy_contact)
            .field(
                "smtp_url",
                &self.smtp_url.as_deref().map(termino_store::redact_url),
            )
            .field("mail_from", &self.mail_from)
            .field("master_key", &self.master_key.as_ref().map(|_| "***"))
            .field("master_key_file", &self.master_key_file)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field(
                "stripe_secret_key",
                &self.stripe_secret_key.as_ref().map(|_| "***"),
            )
            .field("stripe_api_base", &self.stripe_api_base)
            .field("sms", &self.sms)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("setting {name} is not valid: {message}")]
    Invalid { name: &'static str, message: String },
}

impl Settings {
    /// Reads `termino.toml` from the working directory (if present) and the
    /// process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_sources(Some(Path::new("termino.toml")), |k| std::env::var(k).ok())
    }

    pub fn from_sources(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_settings = match file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str::<FileSettings>(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: e.message().to_string(),
                })?
            }
            _ => FileSettings::default(),
        };
        let pick = |name: &str, from_file: Option<String>| env(name).or(from_file);

        let listen_text = pick("TERMINO_LISTEN", file_settings.listen.clone())
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Invalid {
            name: "TERMINO_LISTEN",
            message: format!("{listen_text:?} is not an address such as 127.0.0.1:8080"),
        })?;
        let data_dir = env("TERMINO_DATA_DIR")
            .map(PathBuf::from)
            .or(file_settings.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("./data"));
        let public_url = pick("TERMINO_PUBLIC_URL", file_settings.public_url.clone())
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        let database_url = pick("DATABASE_URL", file_settings.database_url.clone())
            .unwrap_or_else(|| termino_store::sqlite_url(&data_dir.join("termino.db")));
        let keystore_url = pick("KEYSTORE_URL", file_settings.keystore_url.clone())
            .unwrap_or_else(|| termino_store::sqlite_url(&data_dir.join("keystore.db")));
        let redis_url =
            pick("REDIS_URL", file_settings.redis_url.clone()).filter(|u| !u.is_empty());
        let secure_cookies = match env("TERMINO_SECURE_COOKIES") {
            Some(v) => parse_bool("TERMINO_SECURE_COOKIES", &v)?,
            None => file_settings
                .secure_cookies
                .unwrap_or_else(|| public_url.starts_with("https://")),
        };
        let session_idle_minutes = match env("TERMINO_SESSION_IDLE_MINUTES") {
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                name: "TERMINO_SESSION_IDLE_MINUTES",
                message: "must be a whole number of minutes".into(),
            })?,
            None => file_settings.session_idle_minutes.unwrap_or(12 * 60),
        };
        let dpa_accept_days = match env("TERMINO_DPA_ACCEPT_DAYS") {
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "TERMINO_DPA_ACCEPT_DAYS",
                    message: "must be a whole number of days from 1 to 365".into(),
                })?,
            None => file_settings.dpa_accept_days.unwrap_or(30),
        };
        let privacy_contact = pick(
            "TERMINO_PRIVACY_CONTACT",
            file_settings.privacy_contact.clone(),
        )
        .unwrap_or_else(|| "privacy@termino.localhost".into());
        let log_format =
            match pick("TERMINO_LOG_FORMAT", file_settings.log_format.clone()).as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "TERMINO_LOG_FORMAT",
                        message: format!("{other:?}: use \"pretty\" or \"json\""),
                    });
                }
            };
        let smtp_url =
            pick("TERMINO_SMTP_URL", file_settings.smtp_url.clone()).filter(|u| !u.is_empty());
        let mail_from = pick("TERMINO_MAIL_FROM", file_settings.mail_from.clone())
            .unwrap_or_else(|| "Termino <no-reply@termino.localhost>".into());
        let master_key = env("TERMINO_MASTER_KEY").filter(|k| !k.is_empty());
        let master_key_file = env("TERMINO_MASTER_KEY_FILE")
            .map(PathBuf::from)
            .or(file_settings.master_key_file.clone());
        let rotate_after_encryptions = match env("TERMINO_ROTATE_AFTER_ENCRYPTIONS") {
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                name: "TERMINO_ROTATE_AFTER_ENCRYPTIONS",
                message: "must be a whole number".into(),
            })?,
            None => file_settings.rotate_after_encryptions.unwrap_or(1 << 30),
        };
        let per_minute = |name: &'static str, file: Option<u64>, default: u64| match env(name) {
            Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                name,
                message: "must be a whole number of requests a minute".into(),
            }),
            None => Ok(file.unwrap_or(default)),
        };
        let rate_limit_per_key = per_minute(
            "TERMINO_RATE_LIMIT_PER_KEY",
            file_settings.rate_limit_per_key,
            600,
        )?;
        let rate_limit_public = per_minute(
            "TERMINO_RATE_LIMIT_PUBLIC",
            file_settings.rate_limit_public,
            120,
        )?;
        let rate_limit_calendar_feeds = per_minute(
            "TERMINO_RATE_LIMIT_CALENDAR_FEEDS",
            file_settings.rate_limit_calendar_feeds,
            30,
        )?;
        let webhooks_allow_private = match env("TERMINO_WEBHOOKS_ALLOW_PRIVATE") {
            Some(v) => parse_bool("TERMINO_WEBHOOKS_ALLOW_PRIVATE", &v)?,
            None => file_settings.webhooks_allow_private.unwrap_or(false),
        };
        let worker = match env("TERMINO_WORKER") {
            Some(v) => parse_bool("TERMINO_WORKER", &v)?,
            None => file_settings.worker.unwrap_or(true),
        };
        let list = |name: &str, from_file: Option<Vec<String>>| -> Vec<String> {
            match env(name) {
                Some(v) => v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                None => from_file.unwrap_or_default(),
            }
        };
        let trusted_proxies = list("TERMINO_TRUSTED_PROXIES", file_settings.trusted_proxies.clone())
            .iter()
            .map(|text| parse_network(text))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ConfigError::Invalid {
                name: "TERMINO_TRUSTED_PROXIES",
                message: "must be addresses or networks such as 10.0.0.0/8, 192.0.2.7 or fd00::/8, comma-separated".into(),
            })?;
        let allowed_origins = list(
            "TERMINO_ALLOWED_ORIGINS",
            file_settings.allowed_origins.clone(),
        )
        .into_iter()
        .map(|o| o.trim_end_matches('/').to_ascii_lowercase())
        .collect::<Vec<_>>();
        let is_origin = |o: &str| {
            o.strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .is_some_and(|host| !host.is_empty() && !host.contains('/'))
        };
        if let Some(bad) = allowed_origins.iter().find(|o| !is_origin(o)) {
            return Err(ConfigError::Invalid {
                name: "TERMINO_ALLOWED_ORIGINS",
                message: format!("{bad:?} is not an origin such as https://book.example.com"),
            });
        }
        let max_body_bytes = match env("TERMINO_MAX_BODY_BYTES") {
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or(ConfigError::Invalid {
                    name: "TERMINO_MAX_BODY_BYTES",
                    message: "must be a whole number of bytes, at least 1024".into(),
                })?,
            None => file_settings
                .max_body_bytes
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        };
        let stripe_secret_key = env("TERMINO_STRIPE_SECRET_KEY").filter(|k| !k.is_empty());
        let metrics_token = env("TERMINO_METRICS_TOKEN").filter(|k| !k.is_empty());
        let stripe_webhook_secrets: Vec<String> = env("TERMINO_STRIPE_WEBHOOK_SECRET")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let stripe_api_base = pick(
            "TERMINO_STRIPE_API_BASE",
            file_settings.stripe_api_base.clone(),
        )
        .unwrap_or_else(|| "https://api.stripe.com".into())
        .trim_end_matches('/')
        .to_string();
        let tpay_api_base = pick("TERMINO_TPAY_API_BASE", file_settings.tpay_api_base.clone())
            .unwrap_or_else(|| "https://api.tpay.com".into())
            .trim_end_matches('/')
            .to_string();
        let tpay_cert_base = pick(
            "TERMINO_TPAY_CERT_BASE",
            file_settings.tpay_cert_base.clone(),
        )
        .unwrap_or_else(|| "https://secure.tpay.com".into())
        .trim_end_matches('/')
        .to_string();
        let tpay_plans = match (
            env("TERMINO_TPAY_MERCHANT_ID"),
            env("TERMINO_TPAY_CLIENT_ID"),
            env("TERMINO_TPAY_CLIENT_SECRET"),
            env("TERMINO_TPAY_SECURITY_CODE"),
        ) {
            (Some(merchant_id), Some(client_id), Some(client_secret), Some(security_code)) => {
                Some(termino_app::tpay::TpayCredentials {
                    merchant_id,
                    client_id,
                    client_secret,
                    security_code,
                })
            }
            (None, None, None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "TERMINO_TPAY_MERCHANT_ID",
                    message: "give all four of TERMINO_TPAY_MERCHANT_ID, _CLIENT_ID, _CLIENT_SECRET and _SECURITY_CODE, or none".into(),
                });
            }
        };
        let sms = sms_settings(
            pick("TERMINO_SMS_PROVIDER", file_settings.sms_provider.clone()),
            pick("TERMINO_SMS_SENDER", file_settings.sms_sender.clone()),
            pick(
                "TERMINO_SMSAPI_API_BASE",
                file_settings.smsapi_api_base.clone(),
            ),
            pick(
                "TERMINO_TWILIO_API_BASE",
                file_settings.twilio_api_base.clone(),
            ),
            &env,
        )?;
        if stripe_secret_key.is_some() && stripe_webhook_secrets.is_empty() {
            return Err(ConfigError::Invalid {
                name: "TERMINO_STRIPE_WEBHOOK_SECRET",
                message: "is needed with TERMINO_STRIPE_SECRET_KEY: notifications must be verified"
                    .into(),
            });
        }
        Ok(Self {
            listen,
            data_dir,
            public_url,
            database_url,
            keystore_url,
            redis_url,
            redis_prefix: "termino:".into(),
            secure_cookies,
            session_idle_minutes,
            dpa_accept_days,
            privacy_contact,
            log_format,
            smtp_url,
            mail_from,
            master_key,
            master_key_file,
            rotate_after_encryptions,
            rate_limit_per_key,
            rate_limit_public,
            rate_limit_calendar_feeds,
            webhooks_allow_private,
            worker,
            trusted_proxies,
            allowed_origins,
            max_body_bytes,
            metrics_token,
            stripe_secret_key,
            stripe_webhook_secrets,
            stripe_api_base,
            tpay_api_base,
            tpay_cert_base,
            tpay_plans,
            sms,
        })
    }
}

/// The SMS gateway from its settings; credentials come from the
/// environment only.
fn sms_settings(
    provider: Option<String>,
    sender: Option<String>,
    smsapi_base: Option<String>,
    twilio_base: Option<String>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<termino_app::sms::SmsConfig>, ConfigError> {
    use termino_app::sms::{SmsConfig, SmsGatewayConfig};
    let Some(provider) = provider.filter(|p| !p.trim().is_empty()) else {
        return Ok(None);
    };
    let secret = |name: &'static str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Invalid {
                name,
                message: "is needed with TERMINO_SMS_PROVIDER".into(),
            })
    };
    let base = |b: Option<String>, default: &str| {
        b.unwrap_or_else(|| default.into())
            .trim_end_matches('/')
            .to_string()
    };
    let gateway = match provider.trim() {
        "smsapi" => SmsGatewayConfig::Smsapi {
            token: secret("TERMINO_SMSAPI_TOKEN")?,
            base_url: base(smsapi_base, "https://api.smsapi.pl"),
        },
        "twilio" => SmsGatewayConfig::Twilio {
            account_sid: secret("TERMINO_TWILIO_ACCOUNT_SID")?,
            auth_token: secret("TERMINO_TWILIO_AUTH_TOKEN")?,
            base_url: base(twilio_base, "https://api.twilio.com"),
        },
        _ => {
            return Err(ConfigError::Invalid {
                name: "TERMINO_SMS_PROVIDER",
                message: "must be smsapi or twilio".into(),
            });
        }
    };
    let sender = sender
        .filter(|s| !s.trim().is_empty())
        .ok_or(ConfigError::Invalid {
            name: "TERMINO_SMS_SENDER",
            message: "is needed with TERMINO_SMS_PROVIDER (a sender name or number of the account)"
                .into(),
        })?;
    Ok(Some(SmsConfig { gateway, sender }))
}

/// A network (`10.0.0.0/8`) or one address (`192.0.2.7`, `::1`).
fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| {
            text.parse::<std::net::IpAddr>()
                .ok()
                .map(ipnet::IpNet::from)
        })
        .map(|net| net.trunc())
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            message: "use true or false".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_the_embedded_deployment() {
        let s = Settings::from_sources(None, |_| None).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert!(s.database_url.starts_with("sqlite://./data/termino.db"));
        assert!(s.keystore_url.contains("keystore.db"));
        assert_eq!(s.redis_url, None);
        assert!(!s.secure_cookies);
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("termino-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("termino.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\npublic_url = \"https://book.example\"\n",
        )
        .unwrap();
        let s = Settings::from_sources(Some(&file), |k| {
            (k == "TERMINO_LISTEN").then(|| "127.0.0.1:9100".to_string())
        })
        .unwrap();
        assert_eq!(s.listen.port(), 9100);
        assert_eq!(s.public_url, "https://book.example");
        assert!(s.secure_cookies, "https public URL implies secure cookies");
    }

    #[test]
    fn debug_output_hides_passwords() {
        let s = Settings::from_sources(None, |k| {
            (k == "DATABASE_URL").then(|| "postgres://termino:s3cr3t@db/termino".to_string())
        })
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("termino:***@db"));
    }

    #[test]
    fn proxies_origins_and_body_limit_are_read() {
        let s = Settings::from_sources(None, |k| match k {
            "TERMINO_TRUSTED_PROXIES" => Some("10.0.0.0/8, 192.0.2.7,fd00::/8".into()),
            "TERMINO_ALLOWED_ORIGINS" => Some("https://Book.example.com/".into()),
            "TERMINO_MAX_BODY_BYTES" => Some("65536".into()),
            _ => None,
        })
        .unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"]);
        assert_eq!(s.allowed_origins, ["https://book.example.com"]);
        assert_eq!(s.max_body_bytes, 65536);
        let defaults = Settings::from_sources(None, |_| None).unwrap();
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.max_body_bytes, DEFAULT_MAX_BODY_BYTES);
        for (name, value) in [
            ("TERMINO_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TERMINO_TRUSTED_PROXIES", "proxy.local"),
            ("TERMINO_ALLOWED_ORIGINS", "https://book.example.com/path"),
            ("TERMINO_MAX_BODY_BYTES", "12"),
        ] {
            let err = Settings::from_sources(None, |k| (k == name).then(|| value.to_string()))
                .err()
                .unwrap();
            assert!(err.to_string().contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::from_sources(None, |k| {
            (k == "TERMINO_LISTEN").then(|| "nowhere".to_string())
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("TERMINO_LISTEN"));
    }
}
