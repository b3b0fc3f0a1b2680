//! The Termino HTTP server: REST, health, the web pages, and the pieces the
//! `termino` command uses.

pub mod cli;
mod cli_accountability;
pub mod config;
pub mod graphql;
pub mod provider_webhooks;
pub mod rest;
pub mod server;
pub mod telemetry;
