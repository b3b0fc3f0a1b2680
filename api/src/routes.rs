//! The API's side of the server: health and readiness, the provider
//! notifications, REST v1 with its spec and docs, and GraphQL. The server
//! crate mounts these beside the pages.

use poem::http::StatusCode;
use poem::web::Json;
use poem::{EndpointExt, IntoEndpoint, IntoResponse, Response, Route, get, handler};
use termino_app::App;

use crate::rest;

/// What the API needs to know of the server's settings.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Where people reach the server (the spec's server URL, the default
    /// allowed origin).
    pub public_url: String,
    /// Origins whose pages may open the GraphQL WebSocket.
    pub allowed_origins: Vec<String>,
}

/// Adds every API route to `route`.
pub fn mount(route: Route, app: &App, options: &ApiOptions) -> Route {
    let api = rest::service(&options.public_url);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    route
        .at("/", get(home))
        .at("/health", get(health))
        .at("/ready", get(ready))
        .at(
            "/webhooks/stripe",
            poem::post(crate::provider_webhooks::stripe),
        )
        .at("/webhooks/tpay", poem::post(crate::provider_webhooks::tpay))
        .at(
            "/webhooks/sms/smsapi/:key",
            get(crate::sms_callbacks::smsapi).post(crate::sms_callbacks::smsapi),
        )
        .at(
            "/webhooks/sms/twilio",
            poem::post(crate::sms_callbacks::twilio),
        )
        .at(
            "/webhooks/sms/smsapi/inbound/:tenant/:key",
            get(crate::sms_callbacks::smsapi_incoming).post(crate::sms_callbacks::smsapi_incoming),
        )
        .at(
            "/webhooks/sms/twilio/inbound/:tenant",
            poem::post(crate::sms_callbacks::twilio_incoming),
        )
        .at("/calendar/:file", get(crate::calendar_feed::feed))
        .at("/api/v1/openapi.json", spec)
        .at(
            "/graphql",
            get(crate::graphql_ws::graphql_get)
                .post(crate::graphql::graphql_post)
                .around(rest::rate_limit::limit)
                .data(crate::graphql::schema(app.clone()))
                .data(crate::graphql_ws::AllowedOrigins::new(
                    &options.allowed_origins,
                    &options.public_url,
                )),
        )
        .nest(
            "/api/v1",
            api.into_endpoint()
                .catch_all_error(rest::problem::from_poem_error)
                .around(rest::idempotency::idempotent)
                .around(rest::rate_limit::limit),
        )
        .nest("/api/docs", docs)
}

#[handler]
fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

#[handler]
async fn ready(app: poem::web::Data<&App>) -> Response {
    let checks = app.readiness().await;
    let all_ok = checks.iter().all(|(_, r)| r.is_ok());
    let body: serde_json::Map<String, serde_json::Value> = checks
        .into_iter()
        .map(|(name, result)| {
            let state = if result.is_ok() { "ok" } else { "unavailable" };
            (name.to_string(), serde_json::Value::from(state))
        })
        .collect();
    if !all_ok {
        tracing::warn!(event = "not_ready", checks = ?body, "readiness check failed");
    }
    let status = if all_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Json(serde_json::json!({
        "status": if all_ok { "ready" } else { "unavailable" },
        "checks": body,
    }))
    .with_status(status)
    .into_response()
}

#[handler]
fn home() -> poem::web::Redirect {
    poem::web::Redirect::see_other("/app")
}
