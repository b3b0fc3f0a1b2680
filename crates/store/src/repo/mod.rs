//! Repository functions. Those on tenant-owned tables take a [`TenantScope`]
//! and filter by it; PostgreSQL's row-level security checks the same again.
//!
//! [`TenantScope`]: crate::TenantScope

pub mod accountability;
pub mod accounts;
pub mod api_keys;
pub mod billing;
pub mod booking_changes;
pub mod calendar_feeds;
pub mod clients;
pub mod compliance;
pub mod external_calendars;
pub mod invitations;
pub mod jobs;
pub mod keystore;
pub mod mail_outbox;
pub mod notices;
pub mod password_resets;
pub mod payments;
pub mod purges;
pub mod queues;
pub mod reminders;
pub mod scheduling;
pub mod sms;
pub mod tenants;
pub mod webhooks;
