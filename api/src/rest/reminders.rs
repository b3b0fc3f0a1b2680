//! REST for a business's reminder settings (issue 22).

use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::App;
use termino_app::reminders::{
    ReminderSettings as AppSettings, ReminderSettingsInput as AppSettingsInput,
};

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::Result;

#[derive(Tags)]
enum Tag {
    /// Reminders to clients before their visit.
    Reminders,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ReminderOffsetInput {
    /// Hours before the start; 0 disables this reminder. Whole days keep
    /// the wall-clock time across a DST change.
    pub hours_before: i64,
    /// `email`, `sms` or `both`.
    pub channel: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettingsInput {
    /// At most three.
    pub offsets: Vec<ReminderOffsetInput>,
    /// "HH:MM" in the business's zone: reminders go only between
    /// `send_from` and `send_until`; one due outside goes at the last
    /// allowed minute before.
    pub send_from: String,
    pub send_until: String,
    /// Printed in reminders.
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Object)]
pub struct ReminderOffset {
    pub hours_before: u32,
    pub channel: String,
}

#[derive(Debug, Object)]
pub struct ReminderSettings {
    /// Largest first.
    pub offsets: Vec<ReminderOffset>,
    pub send_from: String,
    pub send_until: String,
    pub address: String,
}

impl From<AppSettings> for ReminderSettings {
    fn from(s: AppSettings) -> Self {
        Self {
            offsets: s
                .offsets
                .iter()
                .map(|o| ReminderOffset {
                    hours_before: o.hours_before,
                    channel: o.channel.as_str().into(),
                })
                .collect(),
            send_from: s.send_from,
            send_until: s.send_until,
            address: s.address,
        }
    }
}

pub struct RemindersApi;

#[OpenApi]
impl RemindersApi {
    /// Reminder settings
    ///
    /// Defaults: 24 h and 2 h before, by e-mail, between 08:00 and 21:00.
    #[oai(path = "/business/reminders", method = "get", tag = "Tag::Reminders")]
    async fn reminders(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<ReminderSettings>> {
        let principal = authorize(&app, req, &auth).await?;
        Ok(Json(app.reminder_settings(&principal).await?.into()))
    }

    /// Change reminder settings
    ///
    /// Owners and admins. Bookings made, moved or approved from now on get
    /// reminders by these settings.
    #[oai(path = "/business/reminders", method = "put", tag = "Tag::Reminders")]
    async fn update_reminders(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<ReminderSettingsInput>,
    ) -> Result<Json<ReminderSettings>> {
        let principal = authorize(&app, req, &auth).await?;
        let b = body.0;
        let saved = app
            .update_reminder_settings(
                &principal,
                AppSettingsInput {
                    offsets: b
                        .offsets
                        .into_iter()
                        .map(|o| (o.hours_before, o.channel))
                        .collect(),
                    send_from: b.send_from,
                    send_until: b.send_until,
                    address: b.address.unwrap_or_default(),
                },
            )
            .await?;
        Ok(Json(saved.into()))
    }
}
