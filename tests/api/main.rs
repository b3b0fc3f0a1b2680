//! Black-box tests: the real `termino` server on a random port, spoken to
//! over HTTP. Every test runs on SQLite; with TEST_DATABASE_URL also on
//! PostgreSQL (a fresh database each), with Redis when TEST_REDIS_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "256"]

mod helpers;

mod accountability;
mod agenda;
mod api_keys;
mod bad_input;
mod binary;
mod body_limits;
mod booking_changes;
mod booking_pages;
mod browser;
mod calendar;
mod calendar_feeds;
mod calendar_pages;
mod chains;
mod client_mail;
mod client_rules;
mod clients;
mod compliance;
mod deposits;
mod encryption;
mod external_calendars;
mod fake_sms;
mod fake_stripe;
mod fake_tpay;
mod graphql;
mod graphql_socket;
mod health;
mod idempotency;
mod invitations;
mod isolation;
mod key_destruction;
mod key_rotation;
mod login;
mod metrics;
mod notices;
mod panel_pages;
mod password_reset;
mod payments;
mod plan_events;
mod rate_limits;
mod reminders;
mod reschedule;
mod retention;
mod scheduling;
mod sealed_scan;
mod signup;
mod sms;
mod sms_owner;
mod smtp;
mod tpay;
mod tpay_jws;
mod web_pages;
mod webhook_targets;
mod webhooks;
