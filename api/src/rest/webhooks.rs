//! REST for outbound webhooks: endpoints, their delivery log, replay.

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
    /// Signed notifications of changes, per the Standard Webhooks spec.
    Webhooks,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where deliveries are POSTed (https; public addresses only, checked
    /// again at every delivery; redirects are not followed).
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Any of booking.created, booking.confirmed, booking.rescheduled,
    /// booking.cancelled, booking.completed, booking.no_show,
    /// client.created, client.updated, client.deleted.
    pub events: Vec<String>,
    /// Include the client's name, e-mail and phone (ids only otherwise).
    /// Only the owner, signed in, may switch it on; an API key cannot.
    #[serde(default)]
    pub include_personal_data: Option<bool>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub include_personal_data: bool,
    pub active: bool,
    /// Set while deliveries fail; the owners are told by e-mail.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<termino_app::webhooks::Endpoint> for Endpoint {
    fn from(e: termino_app::webhooks::Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            events: e.events,
            include_personal_data: e.include_personal_data,
            active: e.active,
            failing_since: e.failing_since,
            created_at: e.created_at,
        }
    }
}

/// A new endpoint. `secret` (`whsec_…`) verifies `webhook-signature`; it
/// is shown only now.
#[derive(Debug, Object)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    pub secret: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Delivery {
    /// Also the `webhook-id` header, the same on every retry.
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    /// pending, delivered or failed (after about a day of retries).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<termino_app::webhooks::Delivery> for Delivery {
    fn from(d: termino_app::webhooks::Delivery) -> Self {
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_type: d.event_type,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

pub struct WebhooksApi;

#[OpenApi(tag = "Tag::Webhooks")]
impl WebhooksApi {
    /// Webhook endpoints
    #[oai(path = "/webhook-endpoints", method = "get")]
    async fn endpoints(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Endpoint>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.webhook_endpoints(&p).await?;
        Ok(Json(list.into_iter().map(Endpoint::from).collect()))
    }

    /// Register an endpoint
    #[oai(path = "/webhook-endpoints", method = "post")]
    async fn create(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<NewEndpoint>,
    ) -> Result<Created<CreatedEndpoint>> {
        let p = authorize(&app, req, &auth).await?;
        let b = body.0;
        let created = app
            .create_webhook_endpoint(
                &p,
                termino_app::webhooks::EndpointInput {
                    url: b.url,
                    description: b.description.unwrap_or_default(),
                    events: b.events,
                    include_personal_data: b.include_personal_data.unwrap_or(false),
                },
            )
            .await?;
        Ok(Created::Created(Json(CreatedEndpoint {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        })))
    }

    /// Remove an endpoint
    #[oai(path = "/webhook-endpoints/:id", method = "delete")]
    async fn delete(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.delete_webhook_endpoint(&p, id.0).await?;
        Ok(NoContent::Done)
    }

    /// The delivery log of an endpoint (newest first)
    #[oai(path = "/webhook-endpoints/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Vec<Delivery>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.webhook_deliveries(&p, id.0).await?;
        Ok(Json(list.into_iter().map(Delivery::from).collect()))
    }

    /// Send a delivery again, now (same `webhook-id`)
    #[oai(path = "/webhook-deliveries/:id/replay", method = "post")]
    async fn replay(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Delivery>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.replay_delivery(&p, id.0).await?.into()))
    }
}
