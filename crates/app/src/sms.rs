//! Text messages to clients: queued in the caller's transaction (phone and
//! text sealed under the business's key), sent by the worker through the
//! configured gateway (claimed in a short transaction, the HTTP call
//! outside it, the outcome recorded only by the attempt that holds the
//! lease), moved on by the gateway's delivery reports, and counted per
//! month against the plan's limit.

use crate::ConflictKind;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use sha2::Digest;
use termino_domain::business::Language;
use termino_domain::plan::PlanKind;
use termino_domain::sms::{self as rules, NoSms};
use termino_notify::sms::{DeliveryStatus, Sms, SmsError, SmsGateway, Smsapi, Twilio};
use termino_store::repo::sms::{self as repo, NewSms, Outcome, SmsRow};
use termino_store::repo::tenants;
use termino_store::{TenantScope, Tx, commit, sealed};
use uuid::Uuid;

use crate::auth::Principal;
use crate::jobs::{BackgroundJob, JobContext, JobError};
use crate::{App, AppError, AppResult};

/// Attempts before a message the gateway keeps refusing as "try later"
/// fails for good (about a day with the back-off below).
const MAX_ATTEMPTS: i32 = 10;
/// How long a claimed message belongs to the node sending it.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// Numbers written without "+country" are read as Polish.
pub const DEFAULT_REGION: &str = "PL";
/// Longest text accepted (a reminder is one or two parts).
pub const MAX_TEXT: usize = 918;

/// The gateway Termino sends through (settings; none: SMS is off).
#[derive(Clone)]
pub enum SmsGatewayConfig {
    Smsapi {
        token: String,
        /// `https://api.smsapi.pl`
        base_url: String,
    },
    Twilio {
        account_sid: String,
        auth_token: String,
        /// `https://api.twilio.com`
        base_url: String,
    },
}

#[derive(Clone)]
pub struct SmsConfig {
    pub gateway: SmsGatewayConfig,
    /// The sender name (SMSAPI) or number (Twilio) of the account.
    pub sender: String,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let provider = match self.gateway {
            SmsGatewayConfig::Smsapi { .. } => "smsapi",
            SmsGatewayConfig::Twilio { .. } => "twilio",
        };
        f.debug_struct("SmsConfig")
            .field("provider", &provider)
            .field("sender", &self.sender)
            .finish_non_exhaustive()
    }
}

pub(crate) fn gateway(config: &SmsConfig) -> Arc<dyn SmsGateway> {
    match &config.gateway {
        SmsGatewayConfig::Smsapi { token, base_url } => {
            Arc::new(Smsapi::new(token.clone(), base_url.clone()))
        }
        SmsGatewayConfig::Twilio {
            account_sid,
            auth_token,
            base_url,
        } => Arc::new(Twilio::new(
            account_sid.clone(),
            auth_token.clone(),
            base_url.clone(),
        )),
    }
}

/// What became of a message handed to [`App::queue_sms`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsQueued {
    Queued(Uuid),
    /// No gateway is configured on this server.
    Off,
    /// The number cannot receive texts (the reason is shown).
    NotTextable(NoSms),
    /// The month's texts of the plan are used up; the owners were told.
    LimitReached,
}

/// A message as the panel and the API show it (no number, no text).
#[derive(Debug, Clone)]
pub struct SmsView {
    pub id: Uuid,
    pub booking_id: Option<Uuid>,
    pub status: String,
    pub segments: i32,
    pub attempts: i32,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<SmsRow> for SmsView {
    fn from(r: SmsRow) -> Self {
        Self {
            id: r.id,
            booking_id: r.booking_id,
            status: r.status,
            segments: r.segments,
            attempts: r.attempts,
            error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
            delivered_at: r.delivered_at,
        }
    }
}

fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

impl App {
    /// Whether a gateway is configured (the panel says so when not).
    pub fn sms_enabled(&self) -> bool {
        self.inner.sms.is_some()
    }

    /// The secret part of SMSAPI's delivery-report address: SMSAPI does not
    /// sign its callbacks, so only an address derived from the account's
    /// token is accepted.
    fn smsapi_callback_key(&self) -> Option<String> {
        match &self.config().sms.as_ref()?.gateway {
            SmsGatewayConfig::Smsapi { token, .. } => {
                let digest = sha2::Sha256::digest(format!("termino-sms-callback\n{token}"));
                Some(hex::encode(&digest[..16]))
            }
            SmsGatewayConfig::Twilio { .. } => None,
        }
    }

    /// The secret part of a business's address for SMSAPI's incoming
    /// messages (SMSAPI signs nothing): derived from the account's token
    /// and the business, so it names one business and cannot be guessed.
    fn smsapi_inbound_key(&self, tenant: Uuid) -> Option<String> {
        match &self.config().sms.as_ref()?.gateway {
            SmsGatewayConfig::Smsapi { token, .. } => {
                let digest =
                    sha2::Sha256::digest(format!("termino-sms-inbound\n{token}\n{tenant}"));
                Some(hex::encode(&digest[..16]))
            }
            SmsGatewayConfig::Twilio { .. } => None,
        }
    }

    /// Where the gateway sends a business's incoming messages (STOP
    /// replies): one address per business, so a reply can only ever
    /// touch that business's clients. Twilio's are signed over the
    /// address, SMSAPI's carry a secret in it.
    pub fn sms_inbound_url(&self, tenant: Uuid) -> Option<String> {
        let config = self.config().sms.as_ref()?;
        Some(match &config.gateway {
            SmsGatewayConfig::Smsapi { .. } => self.link(&format!(
                "/webhooks/sms/smsapi/inbound/{tenant}/{}",
                self.smsapi_inbound_key(tenant).unwrap_or_default()
            )),
            SmsGatewayConfig::Twilio { .. } => {
                self.link(&format!("/webhooks/sms/twilio/inbound/{tenant}"))
            }
        })
    }

    /// Where the gateway reports delivery of our messages.
    pub fn sms_callback_url(&self) -> Option<String> {
        let config = self.config().sms.as_ref()?;
        Some(match &config.gateway {
            SmsGatewayConfig::Smsapi { .. } => self.link(&format!(
                "/webhooks/sms/smsapi/{}",
                self.smsapi_callback_key().unwrap_or_default()
            )),
            SmsGatewayConfig::Twilio { .. } => self.link("/webhooks/sms/twilio"),
        })
    }

    /// A text's length and parts as the business's messages go out.
    pub fn sms_length(&self, text: &str, without_polish_characters: bool) -> rules::Length {
        if without_polish_characters {
            rules::length(&rules::without_polish_characters(text))
        } else {
            rules::length(text)
        }
    }

    /// Queues a text to a client in the caller's transaction (it goes only
    /// if that commits): the entry point for reminders and confirmations.
    /// The caller has checked the client's SMS consent.
    pub async fn queue_sms(
        &self,
        tx: &Tx,
        tenant: Uuid,
        booking_id: Option<Uuid>,
        phone_e164: &str,
        text: &str,
    ) -> AppResult<SmsQueued> {
        let Some(gateway) = &self.inner.sms else {
            return Ok(SmsQueued::Off);
        };
        let phone = match rules::sms_number(phone_e164, DEFAULT_REGION) {
            Ok(p) => p,
            Err(reason) => return Ok(SmsQueued::NotTextable(reason)),
        };
        let scope = TenantScope::authenticated(tenant);
        // Locked: two messages queued at once cannot both take the last one.
        let business = tenants::get_locked(tx, &scope)
            .await?
            .ok_or(AppError::NotFound)?;
        let plan = PlanKind::parse(&business.plan).unwrap_or(PlanKind::Free);
        let limit = rules::monthly_limit(plan);
        let now = self.now();
        let month = month_start(now);
        if repo::count_since(tx, &scope, month).await? >= limit {
            let key = format!("sms-limit:{tenant}:{}", month.format("%Y-%m"));
            let notice = SmsLimitNotice { tenant, limit };
            if self
                .enqueue_job(tx, Some(tenant), key, &notice, now)
                .await?
            {
                tracing::info!(event = "sms_limit_reached", tenant = %tenant, limit, "the business's monthly text messages are used up");
            }
            return Ok(SmsQueued::LimitReached);
        }
        let text = if business.sms_without_polish_characters {
            rules::without_polish_characters(text)
        } else {
            text.to_string()
        };
        let segments = rules::length(&text).segments as i32;
        let keyring = self.sealing_keys(tx, &scope).await?;
        let version = keyring.active.ok_or_else(crate::keys::keys_destroyed)?;
        let id = Uuid::now_v7();
        repo::insert(
            tx,
            NewSms {
                id,
                tenant_id: tenant,
                booking_id,
                phone: keyring.seal(&sealed::SMS_PHONE, id, phone.as_bytes())?,
                body: keyring.seal(&sealed::SMS_BODY, id, text.as_bytes())?,
                provider: gateway.provider().to_string(),
                segments,
            },
            now,
        )
        .await?;
        self.after_encrypting(tenant, version, 2);
        self.wake_mail();
        Ok(SmsQueued::Queued(id))
    }

    /// An owner's or admin's test message to a number of their own.
    pub async fn send_test_sms(
        &self,
        principal: &Principal,
        to: &str,
        text: &str,
    ) -> AppResult<SmsView> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "sending text messages",
        )?;
        if !self.sms_enabled() {
            return Err(AppError::Conflict {
                kind: ConflictKind::SmsOff,
                field: None,
                message: "No SMS gateway is configured on this server".into(),
            });
        }
        let phone = rules::sms_number(to, DEFAULT_REGION)
            .map_err(|reason| AppError::invalid("to", reason.as_str(), reason.reason()))?;
        if text.trim().is_empty() {
            return Err(AppError::invalid("text", "required", "must not be empty"));
        }
        if text.chars().count() > MAX_TEXT {
            return Err(AppError::invalid(
                "text",
                "too_long",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let queued = self
            .queue_sms(&tx, principal.tenant.id(), None, &phone, text)
            .await?;
        let id = match queued {
            SmsQueued::Queued(id) => id,
            SmsQueued::LimitReached => {
                commit(tx).await?;
                return Err(AppError::Conflict {
                    kind: ConflictKind::SmsLimitReached,
                    field: None,
                    message: "This month's text messages of the plan are used up".into(),
                });
            }
            SmsQueued::Off | SmsQueued::NotTextable(_) => return Err(AppError::NotFound),
        };
        let row = repo::get(&tx, &principal.tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        Ok(row.into())
    }

    pub async fn sms_message(&self, principal: &Principal, id: Uuid) -> AppResult<SmsView> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let row = repo::get(&tx, &principal.tenant, id).await?;
        commit(tx).await?;
        row.map(Into::into).ok_or(AppError::NotFound)
    }

    /// A booking's text messages (failures show on the booking).
    pub async fn booking_sms(
        &self,
        principal: &Principal,
        booking: Uuid,
    ) -> AppResult<Vec<SmsView>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = repo::of_booking(&tx, &principal.tenant, booking).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Sends what is due; returns how many the gateway took.
    pub async fn deliver_due_sms(&self) -> AppResult<usize> {
        let Some(gateway) = self.inner.sms.clone() else {
            return Ok(0);
        };
        let Some(config) = self.config().sms.clone() else {
            return Ok(0);
        };
        let callback = self.sms_callback_url();
        let now = self.now();
        let tx = self.db().begin().await?;
        let due = repo::claim_due(&tx, now, now + LEASE, 20).await?;
        commit(tx).await?;
        let mut sent = 0;
        for row in due {
            let outcome = match self.open_sms(&row).await {
                Ok((to, text)) => {
                    gateway
                        .send(&Sms {
                            to: &to,
                            sender: &config.sender,
                            text: &text,
                            callback_url: callback.as_deref(),
                        })
                        .await
                }
                Err(reason) => Err(SmsError::Permanent(reason)),
            };
            let error;
            let recorded = match &outcome {
                Ok(accepted) => {
                    sent += 1;
                    Outcome::Accepted {
                        provider_id: &accepted.provider_id,
                        segments: accepted.parts.map(|p| p as i32),
                        at: self.now(),
                    }
                }
                Err(err) => {
                    let retry = (err.is_retryable() && row.attempts < MAX_ATTEMPTS).then(|| {
                        // 1, 2, 4 … minutes, capped at 4 hours.
                        let minutes = (1i64 << row.attempts.clamp(0, 8)).min(240);
                        self.now() + chrono::Duration::minutes(minutes)
                    });
                    tracing::warn!(event = "sms_failed", sms_id = %row.id, attempts = row.attempts, retry = retry.is_some(), error = %err, "text message not sent");
                    error = err.to_string();
                    Outcome::Failed {
                        error: &error,
                        retry,
                    }
                }
            };
            if !repo::record(self.db().connection(), row.id, row.attempts, recorded).await? {
                tracing::warn!(event = "sms_outcome_superseded", sms_id = %row.id, "a newer attempt claimed this message");
            }
        }
        Ok(sent)
    }

    async fn open_sms(&self, row: &SmsRow) -> Result<(String, String), String> {
        let version = termino_crypto::field_key_version(&row.phone).ok();
        let keyring = self
            .keys()
            .for_read(row.tenant_id, version, self.now())
            .await
            .map_err(|e| e.to_string())?;
        let phone = keyring
            .open_text(&sealed::SMS_PHONE, row.id, &row.phone)
            .ok_or("cannot open the sealed number")?;
        let text = row
            .body
            .as_deref()
            .and_then(|b| keyring.open_text(&sealed::SMS_BODY, row.id, b))
            .ok_or("cannot open the sealed text")?;
        Ok((phone, text))
    }

    async fn apply_report(
        &self,
        provider: &str,
        provider_id: &str,
        status: DeliveryStatus,
        error: Option<&str>,
    ) -> AppResult<bool> {
        let changed = repo::report(
            self.db().connection(),
            provider,
            provider_id,
            status.as_str(),
            error,
            self.now(),
        )
        .await?;
        if let Some(tenant) = changed
            && status == DeliveryStatus::Failed
        {
            tracing::warn!(event = "sms_undelivered", tenant = %tenant, provider, "the gateway reports a text message undelivered");
        }
        Ok(changed.is_some())
    }

    /// SMSAPI's delivery reports (GET or POST, `MsgId` and `status`); the
    /// address's key must be ours. Returns how many messages moved on.
    pub async fn apply_smsapi_reports(
        &self,
        key: &str,
        params: &[(String, String)],
    ) -> AppResult<usize> {
        use subtle::ConstantTimeEq;
        let Some(expected) = self.smsapi_callback_key() else {
            return Err(AppError::NotFound);
        };
        if !bool::from(expected.as_bytes().ct_eq(key.as_bytes())) {
            return Err(AppError::Forbidden("reporting deliveries"));
        }
        let mut moved = 0;
        for (id, status, code) in termino_notify::sms::smsapi::reports(params) {
            let error = (status == DeliveryStatus::Failed).then(|| format!("SMSAPI status {code}"));
            if self
                .apply_report("smsapi", &id, status, error.as_deref())
                .await?
            {
                moved += 1;
            }
        }
        Ok(moved)
    }

    /// Twilio's status callback: its signature must verify over the
    /// address we gave and the parameters (403 otherwise).
    pub async fn apply_twilio_status(
        &self,
        signature: Option<&str>,
        params: &[(String, String)],
    ) -> AppResult<bool> {
        let token = match self.config().sms.as_ref().map(|c| &c.gateway) {
            Some(SmsGatewayConfig::Twilio { auth_token, .. }) => auth_token.clone(),
            _ => return Err(AppError::NotFound),
        };
        let url = self.link("/webhooks/sms/twilio");
        let verified =
            signature.is_some_and(|s| termino_notify::sms::twilio::verify(&token, &url, params, s));
        if !verified {
            return Err(AppError::Forbidden("reporting deliveries"));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let (Some(sid), Some(status)) = (
            get("MessageSid"),
            get("MessageStatus").and_then(termino_notify::sms::twilio::callback_status),
        ) else {
            return Ok(false);
        };
        let error = get("ErrorCode")
            .filter(|c| !c.is_empty())
            .map(|c| format!("Twilio error {c}"));
        self.apply_report("twilio", sid, status, error.as_deref())
            .await
    }
}

/// Whether an incoming SMSAPI message is an opt-out: the whole text is
/// "STOP", in any case (SMSAPI's own blacklist keyword). Polish words such
/// as "NIE" are not taken: in reply to a reminder "nie" more likely means
/// "I won't come" than "no more texts".
pub fn smsapi_is_stop(text: &str) -> bool {
    text.trim()
        .trim_end_matches(['.', '!'])
        .eq_ignore_ascii_case("STOP")
}

/// A sender's number as a gateway gives it ("48601234567" from SMSAPI,
/// "+48601234567" from Twilio) in E.164, if it is a phone number.
fn sender_e164(from: &str) -> Option<String> {
    let trimmed = from.trim();
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.strip_prefix("00").unwrap_or(&digits).to_string();
    let candidate = if trimmed.starts_with('+') || digits.len() > 9 {
        format!("+{digits}")
    } else {
        digits
    };
    termino_domain::contact::PhoneNumber::parse(&candidate, Some(DEFAULT_REGION))
        .ok()
        .map(|p| p.as_str().to_string())
}

impl App {
    /// A STOP from `from` to a business: the SMS consent of its clients
    /// with that number is withdrawn (recorded as their own change, like a
    /// withdrawal from the your-data page, whatever the business's
    /// standing) and texts still waiting for them are dropped. A number no
    /// client has changes nothing. The number is never logged.
    async fn apply_sms_stop(&self, tenant: Uuid, from: &str) -> AppResult<()> {
        let scope = TenantScope::authenticated(tenant);
        let Some(phone) = sender_e164(from) else {
            return Ok(());
        };
        let tx = self.db().begin_tenant(&scope).await?;
        let exists = tenants::get(&tx, &scope).await?.is_some();
        commit(tx).await?;
        if !exists {
            return Ok(());
        }
        let clients = self.clients_with_phone(&scope, &phone).await?;
        let mut withdrawn = Vec::new();
        for id in &clients {
            let consented = match self.client_in(&scope, *id).await? {
                crate::clients::ClientRecord::Readable(c) => c.sms_consent,
                _ => false,
            };
            if !consented {
                continue;
            }
            self.change_client_as(
                scope,
                crate::audit::AuditActor::Client,
                *id,
                crate::clients::ClientPatch {
                    sms_consent: Some(false),
                    ..Default::default()
                },
                true,
                true,
            )
            .await?;
            withdrawn.push(*id);
        }
        // Whatever was queued for the number goes no more.
        let tx = self.db().begin_tenant(&scope).await?;
        let mut dropped = 0;
        for row in repo::queued_of(&tx, &scope).await? {
            if let Ok((to, _)) = self.open_sms(&row).await
                && to == phone
                && repo::drop_queued(&tx, &scope, row.id, "the client replied STOP").await?
            {
                dropped += 1;
            }
        }
        for id in &withdrawn {
            self.audit_in(
                &tx,
                &scope,
                crate::audit::AuditEvent::new(crate::audit::AuditActor::Client, "client.sms_stop")
                    .on("client", *id),
            )
            .await?;
        }
        commit(tx).await?;
        tracing::info!(event = "sms_stop", tenant_id = %tenant, clients = withdrawn.len(), dropped, "a STOP reply withdrew SMS consent");
        Ok(())
    }

    /// SMSAPI's incoming message (`sms_from`, `sms_to`, `sms_text`,
    /// `sms_date`, `MO_id`, `username`) to a business's address; its key
    /// must be the one derived for that business (403 otherwise).
    pub async fn apply_smsapi_incoming(
        &self,
        tenant: Uuid,
        key: &str,
        params: &[(String, String)],
    ) -> AppResult<()> {
        use subtle::ConstantTimeEq;
        let Some(expected) = self.smsapi_inbound_key(tenant) else {
            return Err(AppError::NotFound);
        };
        if !bool::from(expected.as_bytes().ct_eq(key.as_bytes())) {
            return Err(AppError::Forbidden("sending incoming messages"));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if let (Some(from), Some(text)) = (get("sms_from"), get("sms_text"))
            && smsapi_is_stop(text)
        {
            self.apply_sms_stop(tenant, from).await?;
        }
        Ok(())
    }

    /// Twilio's incoming-message webhook to a business's address, signed
    /// over that address (403 otherwise). With Advanced Opt-Out Twilio
    /// says `OptOutType=STOP`; without it its default keywords count.
    pub async fn apply_twilio_incoming(
        &self,
        tenant: Uuid,
        signature: Option<&str>,
        params: &[(String, String)],
    ) -> AppResult<()> {
        let token = match self.config().sms.as_ref().map(|c| &c.gateway) {
            Some(SmsGatewayConfig::Twilio { auth_token, .. }) => auth_token.clone(),
            _ => return Err(AppError::NotFound),
        };
        let url = self.link(&format!("/webhooks/sms/twilio/inbound/{tenant}"));
        let verified =
            signature.is_some_and(|s| termino_notify::sms::twilio::verify(&token, &url, params, s));
        if !verified {
            return Err(AppError::Forbidden("sending incoming messages"));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let stop = match get("OptOutType") {
            Some(kind) => kind.eq_ignore_ascii_case("STOP"),
            None => get("Body").is_some_and(termino_notify::sms::twilio::is_opt_out),
        };
        if let (true, Some(from)) = (stop, get("From")) {
            self.apply_sms_stop(tenant, from).await?;
        }
        Ok(())
    }
}

/// The month's texts are used up: the owners are told once a month.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct SmsLimitNotice {
    pub tenant: Uuid,
    pub limit: u64,
}

#[async_trait::async_trait]
impl BackgroundJob for SmsLimitNotice {
    const KIND: &'static str = "sms_limit_notice";

    async fn run(&self, app: &App, ctx: &JobContext) -> Result<(), JobError> {
        let scope = TenantScope::authenticated(self.tenant);
        let tx = ctx.begin(app).await?;
        let Some(business) = tenants::get(&tx, &scope).await? else {
            return Ok(());
        };
        let lang = Language::parse(&business.language).unwrap_or_default();
        let message = termino_notify::texts::sms_limit_reached(
            lang,
            &business.name,
            self.limit,
            &app.link("/app/plan"),
        );
        for to in crate::mail::owner_emails(&tx, &scope).await? {
            app.enqueue_mail(&tx, Some(self.tenant), &to, message.clone())
                .await?;
        }
        if ctx.complete(app, tx).await? {
            app.wake_mail();
        }
        Ok(())
    }
}
