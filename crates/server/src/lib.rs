//! The composition root: settings, the wiring of every part, the HTTP
//! listener that mounts the API (`termino-api`) and the pages
//! (`termino-web`) side by side, the background worker, and the `termino`
//! command.

pub mod cli;
mod cli_accountability;
pub mod config;
pub mod server;
pub mod telemetry;
