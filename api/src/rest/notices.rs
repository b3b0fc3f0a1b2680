//! Which notices of bookings the caller gets by e-mail (issue 22).

use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::App;
use termino_app::notices::NoticeSettings as AppNoticeSettings;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::Result;

#[derive(Tags)]
enum Tag {
    /// E-mail notices to the business's people.
    Notices,
}

/// The notices the caller gets: `new_booking`, `awaiting_approval`,
/// `rescheduled`, `cancelled`, `deposit_paid`, `deposit_refunded`. The
/// others are off. Everyone gets all of them until they choose.
#[derive(Debug, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettings {
    pub enabled: Vec<String>,
    /// The hour (0–23, in the business's time zone) at which the caller
    /// gets the day's visits by e-mail (an owner or admin: the whole
    /// business's; a staff member: their own). Nothing is sent on a day
    /// without visits. Absent or null: no daily agenda (the default).
    #[serde(default)]
    pub agenda_hour: Option<i64>,
}

impl From<AppNoticeSettings> for NoticeSettings {
    fn from(s: AppNoticeSettings) -> Self {
        Self {
            enabled: s.enabled.iter().map(|k| k.as_str().to_string()).collect(),
            agenda_hour: s.agenda_hour.map(i64::from),
        }
    }
}

pub struct NoticesApi;

#[OpenApi(tag = "Tag::Notices")]
impl NoticesApi {
    /// The caller's notice settings
    #[oai(path = "/me/notices", method = "get")]
    async fn notices(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<NoticeSettings>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.notice_settings(&p).await?.into()))
    }

    /// Choose the notices the caller gets
    #[oai(path = "/me/notices", method = "put")]
    async fn set_notices(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NoticeSettings>,
    ) -> Result<Json<NoticeSettings>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.set_notice_settings(&p, &body.0.enabled, body.0.agenda_hour)
                .await?
                .into(),
        ))
    }
}
