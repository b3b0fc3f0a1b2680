//! Business settings.

use termino_domain::ValidationErrors;
use termino_domain::business::{Language, TimeZone, validate_company_name};
use termino_store::commit;
use termino_store::repo::tenants;

use crate::accounts::Business;
use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// A partial update: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct BusinessUpdate {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub language: Option<String>,
    /// Clients may reschedule or cancel until this many hours before.
    pub cancellation_cutoff_hours: Option<i64>,
    /// Closed on Polish public holidays.
    pub polish_holidays: Option<bool>,
    /// Shown at the top of the booking page (plain text).
    pub booking_intro: Option<String>,
    /// `Some("")` removes the link.
    pub privacy_notice_url: Option<String>,
    /// `Some("")` stops asking for marketing consent.
    pub marketing_consent_text: Option<String>,
    /// A booking waiting for payment holds its time this long (5–120).
    pub payment_hold_minutes: Option<i64>,
    /// A client's cancellation before the cutoff refunds the deposit.
    pub refund_client_cancellations: Option<bool>,
    /// Text messages spelled without Polish letters (more fit in a part).
    pub sms_without_polish_characters: Option<bool>,
    /// `Reply-To` of mail to clients; `Some("")` removes it.
    pub contact_email: Option<String>,
}

pub const MAX_BOOKING_INTRO: usize = 2_000;
pub const MAX_CONSENT_TEXT: usize = 500;

fn check_text(errors: &mut ValidationErrors, field: &'static str, text: &str, max: usize) {
    if text.chars().count() > max {
        errors.add(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        );
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(
            field,
            "invalid_chars",
            "must not contain control characters",
        );
    }
}

/// Only absolute http(s) addresses: the link is shown to clients.
fn check_url(errors: &mut ValidationErrors, field: &'static str, url: &str) {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 500
        && url.len() > "https://".len()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<');
    if !ok {
        errors.add(
            field,
            "invalid_url",
            "must be an address starting with https://",
        );
    }
}

impl App {
    pub async fn update_business(
        &self,
        principal: &Principal,
        update: BusinessUpdate,
    ) -> AppResult<Business> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "editing business settings",
        )?;
        let mut errors = ValidationErrors::new();
        let name = update
            .name
            .as_deref()
            .and_then(|n| errors.check("name", validate_company_name(n)));
        let time_zone = update
            .time_zone
            .as_deref()
            .and_then(|z| errors.check("time_zone", TimeZone::parse(z)));
        let language = update
            .language
            .as_deref()
            .and_then(|l| errors.check("language", Language::parse(l)));
        if let Some(h) = update.cancellation_cutoff_hours
            && !(0..=24 * 30).contains(&h)
        {
            errors.add(
                "cancellation_cutoff_hours",
                "out_of_range",
                "between 0 and 720 hours",
            );
        }
        if let Some(intro) = &update.booking_intro {
            check_text(&mut errors, "booking_intro", intro, MAX_BOOKING_INTRO);
        }
        if let Some(url) = update.privacy_notice_url.as_deref().map(str::trim)
            && !url.is_empty()
        {
            check_url(&mut errors, "privacy_notice_url", url);
        }
        if let Some(m) = update.payment_hold_minutes
            && !(5..=120).contains(&m)
        {
            errors.add(
                "payment_hold_minutes",
                "out_of_range",
                "between 5 and 120 minutes",
            );
        }
        if let Some(text) = &update.marketing_consent_text {
            check_text(
                &mut errors,
                "marketing_consent_text",
                text,
                MAX_CONSENT_TEXT,
            );
        }
        let contact_email = update.contact_email.as_deref().map(str::trim).map(|e| {
            if e.is_empty() {
                None
            } else {
                errors
                    .check(
                        "contact_email",
                        termino_domain::contact::EmailAddress::parse(e),
                    )
                    .map(|e| e.as_str().to_string())
            }
        });
        errors.into_result()?;

        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let mut business = tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(name) = name {
            business.name = name;
        }
        if let Some(zone) = time_zone {
            business.time_zone = zone.name().to_string();
        }
        if let Some(lang) = language {
            business.language = lang.code().to_string();
        }
        if let Some(h) = update.cancellation_cutoff_hours {
            business.cancellation_cutoff_hours = h as i32;
        }
        if let Some(on) = update.polish_holidays {
            business.polish_holidays = on;
        }
        if let Some(intro) = update.booking_intro {
            business.booking_intro = intro.trim().to_string();
        }
        if let Some(url) = update.privacy_notice_url {
            let url = url.trim();
            business.privacy_notice_url = (!url.is_empty()).then(|| url.to_string());
        }
        if let Some(m) = update.payment_hold_minutes {
            business.payment_hold_minutes = m as i32;
        }
        if let Some(on) = update.refund_client_cancellations {
            business.refund_client_cancellations = on;
        }
        if let Some(on) = update.sms_without_polish_characters {
            business.sms_without_polish_characters = on;
        }
        if let Some(text) = update.marketing_consent_text {
            let text = text.trim();
            business.marketing_consent_text = (!text.is_empty()).then(|| text.to_string());
        }
        if let Some(email) = contact_email {
            business.contact_email = email;
        }
        business.updated_at = self.now();
        let saved = tenants::update(&tx, &principal.tenant, business).await?;
        commit(tx).await?;
        Ok(saved)
    }
}
