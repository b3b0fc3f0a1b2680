//! The developers' side of Termino: REST v1 (poem-openapi), GraphQL
//! (async-graphql), health and readiness, and the inbound notifications of
//! the payment providers. Thin: parse, authorise, call `termino-app`, shape
//! the answer. It knows nothing of the pages (`termino-web`); the server
//! crate mounts both.

pub mod body_limit;
mod calendar_feed;
pub mod graphql;
mod graphql_guard;
pub mod graphql_ws;
pub mod provider_webhooks;
pub mod rest;
mod routes;
mod sms_callbacks;

pub use routes::{ApiOptions, mount};
