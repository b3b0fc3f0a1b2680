//! REST for text messages: whether SMS is on, a template's length, a test
//! message, and each message's status (a booking's too).

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::App;
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::{Created, Result};

#[derive(Tags)]
enum Tag {
    /// Text messages to clients through the configured gateway.
    Sms,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SmsStatus {
    /// False: no gateway is configured on this server, nothing is sent.
    pub enabled: bool,
    /// `smsapi` or `twilio`.
    pub provider: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct LengthInput {
    pub text: String,
    /// Count as sent "without Polish characters".
    #[serde(default)]
    pub without_polish_characters: Option<bool>,
}

#[derive(Debug, Object)]
pub struct SmsLength {
    /// `gsm7` (160 characters, 153 a part) or `ucs2` (70, 67 a part).
    pub encoding: String,
    /// Septets (GSM-7, where `€ [ ]` and the like count twice) or UTF-16
    /// units (UCS-2).
    pub length: u32,
    pub segments: u32,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct TestSms {
    /// A mobile number; without "+country" it is read as Polish.
    pub to: String,
    pub text: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SmsMessage {
    pub id: Uuid,
    pub booking_id: Option<Uuid>,
    /// queued, sent, delivered or failed.
    pub status: String,
    pub segments: i32,
    pub attempts: i32,
    /// Why it failed (or was retried), as the gateway said.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<termino_app::sms::SmsView> for SmsMessage {
    fn from(v: termino_app::sms::SmsView) -> Self {
        Self {
            id: v.id,
            booking_id: v.booking_id,
            status: v.status,
            segments: v.segments,
            attempts: v.attempts,
            error: v.error,
            created_at: v.created_at,
            sent_at: v.sent_at,
            delivered_at: v.delivered_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct SmsTemplateOut {
    /// The SMS reminder's text with placeholders: {business}, {service},
    /// {staff}, {date}, {time}, {link}.
    pub text: String,
    /// False: the business wrote none; `text` is the default.
    pub custom: bool,
    /// The default text of the business's language.
    pub default_text: String,
    pub without_polish_characters: bool,
    /// The text as a client gets it, with example values.
    pub preview: String,
    /// `gsm7` or `ucs2`, of the preview.
    pub encoding: String,
    pub length: u32,
    pub segments: u32,
    /// Text messages queued this calendar month (UTC).
    pub sent_this_month: u64,
    /// The plan's limit a month.
    pub monthly_limit: u64,
    /// False: no gateway is configured on this server; nothing is sent.
    pub enabled: bool,
}

impl From<termino_app::sms_settings::SmsTemplate> for SmsTemplateOut {
    fn from(t: termino_app::sms_settings::SmsTemplate) -> Self {
        Self {
            text: t.text,
            custom: t.custom,
            default_text: t.default_text,
            without_polish_characters: t.without_polish_characters,
            preview: t.preview,
            encoding: encoding_name(t.length.encoding).into(),
            length: t.length.units as u32,
            segments: t.length.segments as u32,
            sent_this_month: t.sent_this_month,
            monthly_limit: t.monthly_limit,
            enabled: t.enabled,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct SmsTemplateIn {
    /// Not empty, at most 459 characters, only the known placeholders.
    pub text: String,
    /// Absent: unchanged.
    #[serde(default)]
    pub without_polish_characters: Option<bool>,
}

fn encoding_name(e: termino_domain::sms::Encoding) -> &'static str {
    match e {
        termino_domain::sms::Encoding::Gsm7 => "gsm7",
        termino_domain::sms::Encoding::Ucs2 => "ucs2",
    }
}

pub struct SmsApi;

#[OpenApi(tag = "Tag::Sms")]
impl SmsApi {
    /// Whether text messages are on
    #[oai(path = "/sms", method = "get")]
    async fn status(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<SmsStatus>> {
        authorize(&app, req, &auth).await?;
        Ok(Json(SmsStatus {
            enabled: app.sms_enabled(),
            provider: app.config().sms.as_ref().map(|c| {
                match c.gateway {
                    termino_app::sms::SmsGatewayConfig::Smsapi { .. } => "smsapi",
                    termino_app::sms::SmsGatewayConfig::Twilio { .. } => "twilio",
                }
                .to_string()
            }),
        }))
    }

    /// A text's length and parts (for the template editor)
    #[oai(path = "/sms/length", method = "post")]
    async fn length(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<LengthInput>,
    ) -> Result<Json<SmsLength>> {
        authorize(&app, req, &auth).await?;
        let l = app.sms_length(
            &body.0.text,
            body.0.without_polish_characters.unwrap_or(false),
        );
        Ok(Json(SmsLength {
            encoding: match l.encoding {
                termino_domain::sms::Encoding::Gsm7 => "gsm7",
                termino_domain::sms::Encoding::Ucs2 => "ucs2",
            }
            .into(),
            length: l.units as u32,
            segments: l.segments as u32,
        }))
    }

    /// The SMS reminder's text, its length and this month's count
    #[oai(path = "/sms/template", method = "get")]
    async fn template(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<SmsTemplateOut>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.sms_template(&p, None).await?.into()))
    }

    /// Set the SMS reminder's text (owners and admins)
    #[oai(path = "/sms/template", method = "put")]
    async fn set_template(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<SmsTemplateIn>,
    ) -> Result<Json<SmsTemplateOut>> {
        let p = authorize(&app, req, &auth).await?;
        let saved = app
            .update_sms_template(&p, &body.0.text, body.0.without_polish_characters)
            .await?;
        Ok(Json(saved.into()))
    }

    /// Send a test message (owners and admins)
    #[oai(path = "/sms/test", method = "post")]
    async fn test(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<TestSms>,
    ) -> Result<Created<SmsMessage>> {
        let p = authorize(&app, req, &auth).await?;
        let sent = app.send_test_sms(&p, &body.0.to, &body.0.text).await?;
        Ok(Created::Created(Json(sent.into())))
    }

    /// One message's status
    #[oai(path = "/sms/:id", method = "get")]
    async fn message(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<SmsMessage>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.sms_message(&p, id.0).await?.into()))
    }

    /// A booking's text messages and their status
    #[oai(path = "/bookings/:id/sms", method = "get")]
    async fn of_booking(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<SmsMessage>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.booking_sms(&p, id.0).await?;
        Ok(Json(list.into_iter().map(SmsMessage::from).collect()))
    }
}
