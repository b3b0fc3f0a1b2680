//! REST v1. Thin: parse, authorise, call the application, shape the answer.

pub mod accountability;
pub mod auth;
mod calendar_feeds;
pub mod compliance;
mod endpoints;
mod external_calendars;
pub mod idempotency;
pub mod json;
mod notices;
pub mod problem;
pub mod rate_limit;
mod reminders;
mod responses;
mod scheduling;
mod scheduling_types;
mod sms;
mod types;
mod webhooks;

use poem_openapi::OpenApiService;

pub use endpoints::Api;

/// Every part of REST v1, served as one document, in the order of the spec.
pub type Apis = (
    Api,
    scheduling::SchedulingApi,
    scheduling::PublicApi,
    webhooks::WebhooksApi,
    compliance::ComplianceApi,
    accountability::AccountabilityApi,
    external_calendars::ExternalCalendarsApi,
    reminders::RemindersApi,
    sms::SmsApi,
    notices::NoticesApi,
    calendar_feeds::CalendarFeedsApi,
);

pub fn service(server_url: &str) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            Api,
            scheduling::SchedulingApi,
            scheduling::PublicApi,
            webhooks::WebhooksApi,
            compliance::ComplianceApi,
            accountability::AccountabilityApi,
            external_calendars::ExternalCalendarsApi,
            reminders::RemindersApi,
            sms::SmsApi,
            notices::NoticesApi,
            calendar_feeds::CalendarFeedsApi,
        ),
        "Termino API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Online booking for businesses. Authenticate with `Authorization: Bearer <API key>` \
             or the session cookie (with `X-CSRF-Token` on state-changing calls). Errors are \
             `application/problem+json` (RFC 9457).",
    )
    .server(format!("{server_url}/api/v1"))
}
