//! REST for private calendar feeds (iCal subscriptions).

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::calendar_feeds::FeedClientDetails;
use termino_app::{App, AppError};
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::{Created, NoContent, Result};

#[derive(Tags)]
enum Tag {
    /// A staff member's or the business's bookings in a calendar program.
    CalendarFeeds,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarFeed {
    /// One staff member's bookings; without it, the whole business's
    /// (owners and admins).
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    /// `first_name` (the default: the service and the client's first name)
    /// or `none` (the service only).
    #[serde(default)]
    pub client_details: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CalendarFeed {
    pub id: Uuid,
    pub staff_id: Option<Uuid>,
    pub client_details: String,
    pub created_at: DateTime<Utc>,
}

impl From<termino_app::calendar_feeds::CalendarFeed> for CalendarFeed {
    fn from(f: termino_app::calendar_feeds::CalendarFeed) -> Self {
        Self {
            id: f.id,
            staff_id: f.staff_id,
            client_details: f.client_details.as_str().into(),
            created_at: f.created_at,
        }
    }
}

/// A feed with its secret address, shown only now.
#[derive(Debug, Object)]
pub struct CreatedCalendarFeed {
    pub feed: CalendarFeed,
    /// `https://…/calendar/<secret>.ics`
    pub url: String,
    /// The same as `webcal://…`: opening it subscribes in a calendar program.
    pub webcal_url: String,
}

impl From<termino_app::calendar_feeds::NewFeed> for CreatedCalendarFeed {
    fn from(n: termino_app::calendar_feeds::NewFeed) -> Self {
        Self {
            feed: n.feed.into(),
            url: n.url,
            webcal_url: n.webcal_url,
        }
    }
}

pub struct CalendarFeedsApi;

#[OpenApi(tag = "Tag::CalendarFeeds")]
impl CalendarFeedsApi {
    /// The calendar feeds you manage
    #[oai(path = "/calendar-feeds", method = "get")]
    async fn list(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<CalendarFeed>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.calendar_feeds(&p).await?;
        Ok(Json(list.into_iter().map(CalendarFeed::from).collect()))
    }

    /// Make a private calendar feed
    #[oai(path = "/calendar-feeds", method = "post")]
    async fn create(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NewCalendarFeed>,
    ) -> Result<Created<CreatedCalendarFeed>> {
        let p = authorize(&app, req, &auth).await?;
        let details = match body.0.client_details.as_deref() {
            None => FeedClientDetails::FirstName,
            Some(s) => FeedClientDetails::parse(s).ok_or_else(|| {
                AppError::invalid("client_details", "invalid", "must be first_name or none")
            })?,
        };
        let created = app
            .create_calendar_feed(&p, body.0.staff_id, details)
            .await?;
        Ok(Created::Created(Json(created.into())))
    }

    /// A new secret address for a feed (the old one stops working)
    #[oai(path = "/calendar-feeds/:id/regenerate", method = "post")]
    async fn regenerate(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Created<CreatedCalendarFeed>> {
        let p = authorize(&app, req, &auth).await?;
        let created = app.regenerate_calendar_feed(&p, id.0).await?;
        Ok(Created::Created(Json(created.into())))
    }

    /// Revoke a feed: its address stops working
    #[oai(path = "/calendar-feeds/:id", method = "delete")]
    async fn revoke(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.revoke_calendar_feed(&p, id.0).await?;
        Ok(NoContent::Done)
    }
}
