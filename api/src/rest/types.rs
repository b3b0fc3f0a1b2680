//! Request and response bodies of REST v1. No database type appears here.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use poem_openapi::types::MaybeUndefined;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// The business's name as clients see it.
    pub company_name: String,
    /// The booking page's address: `/b/{slug}`. Lower-case letters, digits and hyphens.
    pub slug: String,
    pub owner_name: String,
    pub email: String,
    /// Any common format; stored as E.164 (Polish numbers may omit +48).
    pub phone: String,
    /// At least 10 characters and not easy to guess.
    #[oai(write_only)]
    pub password: String,
    /// IANA time zone, e.g. `Europe/Warsaw`.
    pub time_zone: String,
    /// `pl` or `en`.
    pub language: String,
    /// Accept the data-processing agreement now (the company is the
    /// business above); without it, bookings and client records wait until
    /// an owner accepts it (`POST /dpa/acceptances`).
    #[serde(default)]
    pub dpa: Option<SignupDpa>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct SignupDpa {
    /// The version read (`GET /dpa` after sign-up, or the one in force).
    pub version: String,
    /// The language of the text read: `pl` or `en`.
    pub language: String,
    /// The company's Polish tax id (NIP).
    pub tax_id: String,
    /// The owner states they may bind the company.
    pub authority_confirmed: bool,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[oai(write_only)]
    pub password: String,
    /// For people in several businesses: the slug of the one to open.
    #[serde(default)]
    pub business: Option<String>,
}

/// A new session. The cookie is set on the response; the CSRF token must
/// accompany state-changing calls made with it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SessionResponse {
    pub business: String,
    pub csrf_token: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the e-mailed link.
    pub token: String,
    #[oai(write_only)]
    pub password: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    pub token: String,
    /// Required when the invitee has no account yet.
    #[serde(default)]
    pub name: Option<String>,
    /// A new password, or the existing account's password.
    #[oai(write_only)]
    pub password: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitationPreview {
    pub business_name: String,
    pub email: String,
    pub role: String,
    pub has_account: bool,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Business {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub language: String,
    /// `trial`, `free` or `pro`.
    pub plan: String,
    /// `active`, `past_due` (the last payment failed) or `cancelled`.
    pub plan_state: String,
    pub plan_started_at: DateTime<Utc>,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub paid_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Clients may reschedule or cancel until this many hours before.
    pub cancellation_cutoff_hours: i32,
    /// Closed on Polish public holidays.
    pub polish_holidays: bool,
    /// Shown at the top of the booking page.
    pub booking_intro: String,
    /// The business's privacy notice, linked from the booking form.
    pub privacy_notice_url: Option<String>,
    /// When present, the booking form offers this marketing consent.
    pub marketing_consent_text: Option<String>,
    /// A booking waiting for payment holds its time this many minutes.
    pub payment_hold_minutes: i32,
    /// A client's cancellation (before the cutoff) refunds the deposit.
    pub refund_client_cancellations: bool,
    /// Text messages go without Polish letters (GSM-7: 160 characters a
    /// part instead of 70).
    pub sms_without_polish_characters: bool,
    /// Clients' replies to the business's mail go here (`Reply-To`).
    pub contact_email: Option<String>,
}

impl From<termino_app::accounts::Business> for Business {
    fn from(b: termino_app::accounts::Business) -> Self {
        Self {
            id: b.id,
            slug: b.slug,
            name: b.name,
            time_zone: b.time_zone,
            language: b.language,
            plan: b.plan,
            plan_state: b.plan_state,
            plan_started_at: b.plan_started_at,
            trial_ends_at: b.trial_ends_at,
            paid_until: b.paid_until,
            created_at: b.created_at,
            cancellation_cutoff_hours: b.cancellation_cutoff_hours,
            polish_holidays: b.polish_holidays,
            booking_intro: b.booking_intro,
            privacy_notice_url: b.privacy_notice_url,
            marketing_consent_text: b.marketing_consent_text,
            payment_hold_minutes: b.payment_hold_minutes,
            refund_client_cancellations: b.refund_client_cancellations,
            sms_without_polish_characters: b.sms_without_polish_characters,
            contact_email: b.contact_email,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct BusinessUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub cancellation_cutoff_hours: Option<i64>,
    #[serde(default)]
    pub polish_holidays: Option<bool>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    /// Plain text, at most 2000 characters.
    #[serde(default)]
    pub booking_intro: Option<String>,
    /// An https address; an empty string removes the link.
    #[serde(default)]
    pub privacy_notice_url: Option<String>,
    /// An empty string stops asking for marketing consent.
    #[serde(default)]
    pub marketing_consent_text: Option<String>,
    /// 5 to 120 minutes.
    #[serde(default)]
    pub payment_hold_minutes: Option<i64>,
    #[serde(default)]
    pub refund_client_cancellations: Option<bool>,
    #[serde(default)]
    pub sms_without_polish_characters: Option<bool>,
    /// The business's contact e-mail, `Reply-To` of mail to clients; an
    /// empty string removes it.
    #[serde(default)]
    pub contact_email: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `owner`, `admin` or `staff`.
    pub role: String,
    pub joined_at: DateTime<Utc>,
}

impl From<termino_app::accounts::Member> for Member {
    fn from(m: termino_app::accounts::Member) -> Self {
        Self {
            id: m.user_id,
            name: m.name,
            email: m.email,
            role: m.role.as_str().to_string(),
            joined_at: m.joined_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Me {
    pub business: Business,
    /// Your role here; an API key acts as `admin`.
    pub role: String,
    /// The signed-in person; absent for an API key.
    pub user: Option<Member>,
    /// For cookie sessions: the token to send as `X-CSRF-Token`.
    pub csrf_token: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub email: String,
    /// `owner`, `admin` or `staff`.
    pub role: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<termino_app::accounts::Invitation> for Invitation {
    fn from(i: termino_app::accounts::Invitation) -> Self {
        Self {
            id: i.id,
            email: i.email,
            role: i.role.as_str().to_string(),
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// `area:read` or `area:write` (write includes read) with area one of
    /// `business`, `catalog`, `bookings`, `clients`. Absent: every scope.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<termino_app::api_keys::ApiKey> for ApiKey {
    fn from(k: termino_app::api_keys::ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            scopes: k.scopes.list(),
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A key just created: `secret` is shown this once and never again.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

/// A client of the business. `state` is `active`, or `erased` when the
/// business's keys were destroyed, or `damaged` when a stored value failed
/// its integrity check; only an active client has personal fields.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Client {
    pub id: Uuid,
    pub state: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// E.164, e.g. `+48601234567`.
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub custom_fields: Option<std::collections::BTreeMap<String, String>>,
    pub marketing_consent: Option<bool>,
    /// Reminders by text message to `phone` are allowed.
    pub sms_consent: Option<bool>,
    /// The language of the client's mail; absent on clients from before
    /// it was kept (they get the business's).
    pub language: Option<super::scheduling_types::ClientLanguage>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<termino_app::clients::ClientRecord> for Client {
    fn from(r: termino_app::clients::ClientRecord) -> Self {
        use termino_app::clients::ClientRecord;
        let blank = |id, state: &str, created_at, updated_at| Client {
            id,
            state: state.to_string(),
            name: None,
            email: None,
            phone: None,
            notes: None,
            date_of_birth: None,
            custom_fields: None,
            marketing_consent: None,
            sms_consent: None,
            language: None,
            created_at,
            updated_at,
        };
        match r {
            ClientRecord::Readable(c) => c.into(),
            ClientRecord::Erased {
                id,
                created_at,
                updated_at,
            } => blank(id, "erased", created_at, updated_at),
            ClientRecord::Damaged {
                id,
                created_at,
                updated_at,
            } => blank(id, "damaged", created_at, updated_at),
        }
    }
}

impl From<termino_app::clients::Client> for Client {
    fn from(c: termino_app::clients::Client) -> Self {
        Client {
            id: c.id,
            state: "active".into(),
            name: Some(c.name),
            email: c.email,
            phone: c.phone,
            notes: c.notes,
            date_of_birth: c.date_of_birth,
            custom_fields: Some(c.custom_fields),
            marketing_consent: Some(c.marketing_consent),
            sms_consent: Some(c.sms_consent),
            language: c.language.map(Into::into),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClientList {
    pub items: Vec<Client>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Any common format; Polish numbers may omit +48.
    #[serde(default)]
    pub phone: Option<String>,
    /// Up to 5,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// Up to 20 fields of the business's own.
    #[serde(default)]
    pub custom_fields: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub marketing_consent: Option<bool>,
    /// The client agreed to reminders by text message (record how).
    #[serde(default)]
    pub sms_consent: Option<bool>,
    /// The language of the client's mail; absent: the business's.
    #[serde(default)]
    pub language: Option<super::scheduling_types::ClientLanguage>,
}

/// Absent fields stay; `null` clears an optional field.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct ClientUpdate {
    #[serde(default)]
    pub name: MaybeUndefined<String>,
    #[serde(default)]
    pub email: MaybeUndefined<String>,
    #[serde(default)]
    pub phone: MaybeUndefined<String>,
    #[serde(default)]
    pub notes: MaybeUndefined<String>,
    #[serde(default)]
    pub date_of_birth: MaybeUndefined<chrono::NaiveDate>,
    #[serde(default)]
    pub custom_fields: MaybeUndefined<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub marketing_consent: MaybeUndefined<bool>,
    #[serde(default)]
    pub sms_consent: MaybeUndefined<bool>,
}
