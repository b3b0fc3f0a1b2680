//! REST for a staff member's own calendars, read as busy time.

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
use super::responses::{Created, NoContent, Result};

#[derive(Tags)]
enum Tag {
    /// A staff member's Google, Outlook or Apple calendar as busy time.
    ExternalCalendars,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewExternalCalendar {
    /// The calendar's secret iCal address (`https://…` or `webcal://…`;
    /// public addresses only). It is kept sealed and never shown again.
    pub url: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExternalCalendar {
    pub id: Uuid,
    pub staff_id: Uuid,
    /// The host of the address, to tell calendars apart.
    pub host: String,
    /// The last fetch that worked.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Failed fetches in a row; at 3 the owners are told by e-mail.
    pub failures: i32,
    /// Why the last fetch failed (connection failed, error status, too
    /// large, not a calendar, private address, …).
    pub last_error: Option<String>,
    pub next_fetch_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<termino_app::external_calendars::ExternalCalendar> for ExternalCalendar {
    fn from(c: termino_app::external_calendars::ExternalCalendar) -> Self {
        Self {
            id: c.id,
            staff_id: c.staff_id,
            host: c.host,
            last_success_at: c.last_success_at,
            failures: c.failures,
            last_error: c.last_error,
            next_fetch_at: c.next_fetch_at,
            created_at: c.created_at,
        }
    }
}

pub struct ExternalCalendarsApi;

#[OpenApi(tag = "Tag::ExternalCalendars")]
impl ExternalCalendarsApi {
    /// A staff member's connected calendars
    #[oai(path = "/staff/:id/external-calendars", method = "get")]
    async fn list(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<ExternalCalendar>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.external_calendars(&p, id.0).await?;
        Ok(Json(list.into_iter().map(ExternalCalendar::from).collect()))
    }

    /// Connect a calendar: its busy events block the staff member's time
    #[oai(path = "/staff/:id/external-calendars", method = "post")]
    async fn connect(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<NewExternalCalendar>,
    ) -> Result<Created<ExternalCalendar>> {
        let p = authorize(&app, req, &auth).await?;
        let created = app.connect_external_calendar(&p, id.0, &body.0.url).await?;
        Ok(Created::Created(Json(created.into())))
    }

    /// Disconnect a calendar (its busy time goes with it)
    #[oai(path = "/external-calendars/:id", method = "delete")]
    async fn disconnect(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.disconnect_external_calendar(&p, id.0).await?;
        Ok(NoContent::Done)
    }
}
