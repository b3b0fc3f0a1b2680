//! The one migration set for both backends. PostgreSQL-only hardening
//! (row-level security) is applied where the backend allows.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod columns;
pub mod keystore;
mod m20261122_000001_foundation;
mod m20261122_000002_clients;
mod m20261122_000003_scheduling;
mod m20261122_000004_api_key_scopes;
mod m20261122_000005_webhooks;
mod m20261122_000006_booking_page;
mod m20261122_000007_billing;
mod m20261122_000008_deposits;
mod m20261122_000009_tpay;
mod m20261122_000010_refund_policy;
mod m20261122_000011_plan_reminders;
mod m20261122_000012_compliance;
mod m20261122_000013_accountability;
mod m20261122_000014_webhook_client;
mod m20261203_000001_purge_journal;
mod m20261203_000003_jobs;
mod m20261203_000101_keyed_chains;
mod m20261203_000201_plan_checkouts;
mod m20261203_000401_keys_follow_members;
mod m20261203_000999_forced_rls;
mod m20261206_000010_reminders;
mod m20261206_000020_booking_sequence;
mod m20261206_000021_notice_settings;
mod m20261206_000030_sms;
mod m20261206_000040_external_calendars;
mod m20261206_000050_sms_consent;
mod m20261206_000060_calendar_feeds;
mod m20261207_000101_cancelled_at;
mod m20261207_000102_booking_changes;
mod m20261207_000103_daily_agenda;
mod m20261207_000111_sms_template;
mod m20261207_000121_client_language;
mod m20261207_000122_business_contact_email;
pub mod rls;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_clients::Migration),
            Box::new(m20261122_000003_scheduling::Migration),
            Box::new(m20261122_000004_api_key_scopes::Migration),
            Box::new(m20261122_000005_webhooks::Migration),
            Box::new(m20261122_000006_booking_page::Migration),
            Box::new(m20261122_000007_billing::Migration),
            Box::new(m20261122_000008_deposits::Migration),
            Box::new(m20261122_000009_tpay::Migration),
            Box::new(m20261122_000010_refund_policy::Migration),
            Box::new(m20261122_000011_plan_reminders::Migration),
            Box::new(m20261122_000012_compliance::Migration),
            Box::new(m20261122_000013_accountability::Migration),
            Box::new(m20261122_000014_webhook_client::Migration),
            Box::new(m20261203_000001_purge_journal::Migration),
            Box::new(m20261203_000003_jobs::Migration),
            Box::new(m20261203_000101_keyed_chains::Migration),
            Box::new(m20261203_000201_plan_checkouts::Migration),
            Box::new(m20261203_000401_keys_follow_members::Migration),
            Box::new(m20261206_000010_reminders::Migration),
            Box::new(m20261206_000020_booking_sequence::Migration),
            Box::new(m20261206_000021_notice_settings::Migration),
            Box::new(m20261206_000030_sms::Migration),
            Box::new(m20261206_000040_external_calendars::Migration),
            Box::new(m20261206_000050_sms_consent::Migration),
            Box::new(m20261206_000060_calendar_feeds::Migration),
            Box::new(m20261207_000101_cancelled_at::Migration),
            Box::new(m20261207_000102_booking_changes::Migration),
            Box::new(m20261207_000103_daily_agenda::Migration),
            Box::new(m20261207_000121_client_language::Migration),
            Box::new(m20261207_000122_business_contact_email::Migration),
            Box::new(m20261207_000111_sms_template::Migration),
            // Keep last: it forces row-level security on every table before it.
            Box::new(m20261203_000999_forced_rls::Migration),
        ]
    }
}
