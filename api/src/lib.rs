//! The Termino HTTP server: REST, health, the web pages, and the pieces the
//! `termino` command uses.

pub mod body_limit;
pub mod cli;
mod cli_accountability;
pub mod config;
pub mod graphql;
mod graphql_guard;
pub mod graphql_ws;
pub mod provider_webhooks;
pub mod rest;
pub mod server;
pub mod telemetry;
