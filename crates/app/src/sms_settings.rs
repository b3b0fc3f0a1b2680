//! SMS as the owner sees it: the reminder's text (the business's own
//! template or the default of its language), its length in parts, this
//! month's messages against the plan's limit, and why a booking or a
//! client gets no text message.

use termino_domain::business::Language;
use termino_domain::plan::PlanKind;
use termino_domain::sms::{self as rules, Length, NoSms};
use termino_notify::reminder_texts::{self, ReminderDetails};
use termino_store::repo::reminders as settings_repo;
use termino_store::repo::sms as repo;
use termino_store::repo::tenants;
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::Principal;
use crate::clients::ClientRecord;
use crate::sms::{DEFAULT_REGION, SmsView};
use crate::{App, AppError, AppResult};

/// The SMS reminder's text and what it costs.
#[derive(Debug, Clone)]
pub struct SmsTemplate {
    /// The business's template, or the default when it wrote none.
    pub text: String,
    /// The business wrote its own.
    pub custom: bool,
    pub default_text: String,
    pub without_polish_characters: bool,
    /// The text as a client would get it, with example values (and
    /// without Polish characters when so chosen).
    pub preview: String,
    pub length: Length,
    pub sent_this_month: u64,
    pub monthly_limit: u64,
    /// A gateway is configured; nothing is sent otherwise.
    pub enabled: bool,
    /// The example values the preview fills in, by placeholder.
    pub samples: Vec<(&'static str, String)>,
}

/// Why a booking has no text message, or a client cannot get one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSmsReason {
    /// No gateway is configured on this server.
    Off,
    /// The client gave no phone or did not consent to texts.
    NoConsent,
    NotMobile,
    /// This month's texts of the plan are used up.
    LimitReached,
    /// The reminders are set to go by e-mail only.
    NotPlanned,
}

impl NoSmsReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NoSmsReason::Off => "sms_off",
            NoSmsReason::NoConsent => "no_consent",
            NoSmsReason::NotMobile => "not_mobile",
            NoSmsReason::LimitReached => "limit_reached",
            NoSmsReason::NotPlanned => "not_planned",
        }
    }
}

/// A booking's text messages, and when it has none, why.
#[derive(Debug, Clone)]
pub struct BookingSms {
    pub messages: Vec<SmsView>,
    pub none_because: Option<NoSmsReason>,
}

pub(crate) fn month_start(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    now.date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

/// Why a client's number gets no text (`None`: it can).
pub fn client_sms_reason(phone: Option<&str>, consent: bool) -> Option<NoSmsReason> {
    let Some(phone) = phone.filter(|p| !p.trim().is_empty()) else {
        return Some(NoSmsReason::NoConsent);
    };
    match rules::sms_number(phone, DEFAULT_REGION) {
        Err(NoSms::NotMobile | NoSms::Invalid) => Some(NoSmsReason::NotMobile),
        Ok(_) if !consent => Some(NoSmsReason::NoConsent),
        Ok(_) => None,
    }
}

/// Example values for the preview, by placeholder.
fn samples(lang: Language, business: &str, link: &str) -> Vec<(&'static str, String)> {
    let (service, date) = match lang {
        Language::Pl => ("Konsultacja", "czwartek, 10 grudnia"),
        Language::En => ("Consultation", "Thursday, 10 December"),
    };
    vec![
        ("business", business.to_string()),
        ("service", service.to_string()),
        ("staff", "Anna".to_string()),
        ("date", date.to_string()),
        ("time", "10:00".to_string()),
        ("link", link.to_string()),
    ]
}

fn sample_text(lang: Language, template: &str, samples: &[(&'static str, String)]) -> String {
    let get = |name: &str| {
        samples
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    reminder_texts::reminder_sms(
        lang,
        Some(template),
        &ReminderDetails {
            business: get("business"),
            service: get("service"),
            staff: get("staff"),
            when: "",
            duration_min: 0,
            date: get("date"),
            time: get("time"),
            address: "",
            price: "",
            manage_link: Some(get("link")),
        },
    )
}

impl App {
    async fn sms_usage_in(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        plan: &str,
    ) -> AppResult<(u64, u64)> {
        let plan = PlanKind::parse(plan).unwrap_or(PlanKind::Free);
        let count = repo::count_since(tx, scope, month_start(self.now())).await?;
        Ok((count, rules::monthly_limit(plan)))
    }

    /// The template as shown on the SMS settings page; `typed` is counted
    /// instead of the stored one (a preview), and checked.
    pub async fn sms_template(
        &self,
        principal: &Principal,
        typed: Option<(&str, bool)>,
    ) -> AppResult<SmsTemplate> {
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let business = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
        let settings = settings_repo::settings(&tx, &scope).await?;
        let (sent_this_month, monthly_limit) =
            self.sms_usage_in(&tx, &scope, &business.plan).await?;
        commit(tx).await?;
        let lang = Language::parse(&business.language).unwrap_or_default();
        let default_text = reminder_texts::default_sms_template(lang).to_string();
        let stored = settings.and_then(|s| s.sms_template);
        let (text, without) = match typed {
            Some((text, without)) => {
                let text = rules::check_template(text)
                    .map_err(|p| AppError::invalid("text", p.code(), p.message()))?;
                (text, without)
            }
            None => (
                stored.clone().unwrap_or_else(|| default_text.clone()),
                business.sms_without_polish_characters,
            ),
        };
        let link = format!(
            "{}/b/{}/manage/{}",
            self.config().public_url,
            business.slug,
            "x".repeat(43)
        );
        let samples = samples(lang, &business.name, &link);
        let mut preview = sample_text(lang, &text, &samples);
        if without {
            preview = rules::without_polish_characters(&preview);
        }
        Ok(SmsTemplate {
            custom: stored.is_some(),
            length: rules::length(&preview),
            text,
            default_text,
            without_polish_characters: without,
            preview,
            sent_this_month,
            monthly_limit,
            enabled: self.sms_enabled(),
            samples,
        })
    }

    /// Owners and admins: the business's SMS reminder text (and the
    /// "without Polish characters" choice), used from the next reminder.
    pub async fn update_sms_template(
        &self,
        principal: &Principal,
        text: &str,
        without_polish_characters: Option<bool>,
    ) -> AppResult<SmsTemplate> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "editing business settings",
        )?;
        let text = rules::check_template(text)
            .map_err(|p| AppError::invalid("text", p.code(), p.message()))?;
        if let Some(on) = without_polish_characters {
            self.update_business(
                principal,
                crate::business::BusinessUpdate {
                    sms_without_polish_characters: Some(on),
                    ..Default::default()
                },
            )
            .await?;
        }
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let current = settings_repo::settings(&tx, &scope).await?;
        let (policy, address) = crate::reminders::policy_of(current.as_ref());
        settings_repo::save_sms_template(
            &tx,
            &scope,
            settings_repo::ReminderSettingsRow {
                tenant_id: scope.id(),
                offsets: serde_json::to_string(&policy.offsets).map_err(anyhow::Error::from)?,
                send_from: policy.send_from.format("%H:%M").to_string(),
                send_until: policy.send_until.format("%H:%M").to_string(),
                address,
                sms_template: Some(text),
                updated_at: self.now(),
            },
        )
        .await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "sms.template_changed"),
        )
        .await?;
        commit(tx).await?;
        self.sms_template(principal, None).await
    }

    /// A booking's text messages, or why it has none (in the order the
    /// reminder job checks: SMS off, consent, the number, the month's
    /// limit, a reminder by SMS at all).
    pub async fn booking_sms_overview(
        &self,
        principal: &Principal,
        booking: Uuid,
    ) -> AppResult<BookingSms> {
        let messages = self.booking_sms(principal, booking).await?;
        if !messages.is_empty() {
            return Ok(BookingSms {
                messages,
                none_because: None,
            });
        }
        let scope = principal.tenant;
        let client_id = self.booking(principal, booking).await?.client_id;
        let reason = async {
            if !self.sms_enabled() {
                return Ok(Some(NoSmsReason::Off));
            }
            let client = match self.client_in(&scope, client_id).await? {
                ClientRecord::Readable(c) => c,
                _ => return Ok(Some(NoSmsReason::NoConsent)),
            };
            if let Some(reason) = client_sms_reason(client.phone.as_deref(), client.sms_consent) {
                return Ok(Some(reason));
            }
            let tx = self.db().begin_tenant(&scope).await?;
            let business = tenants::get(&tx, &scope).await?.ok_or(AppError::NotFound)?;
            let (count, limit) = self.sms_usage_in(&tx, &scope, &business.plan).await?;
            let settings = settings_repo::settings(&tx, &scope).await?;
            commit(tx).await?;
            if count >= limit {
                return Ok(Some(NoSmsReason::LimitReached));
            }
            let (policy, _) = crate::reminders::policy_of(settings.as_ref());
            if !policy.offsets.iter().any(|o| o.channel.sms()) {
                return Ok(Some(NoSmsReason::NotPlanned));
            }
            Ok::<_, AppError>(None)
        }
        .await?;
        Ok(BookingSms {
            messages,
            none_because: reason,
        })
    }
}
