//! sea-orm entities, one module a table. Behaviour lives in the repository
//! modules beside this folder.

pub mod api_key;
pub mod billing_record;
pub mod booking;
pub mod client;
pub mod closure;
pub mod deletion_certificate;
pub mod dpa_acceptance;
pub mod dpa_version;
pub mod idempotency_key;
pub mod invitation;
pub mod job;
pub mod mail_outbox;
pub mod membership;
pub mod notice_setting;
pub mod password_reset;
pub mod payment;
pub mod payment_event;
pub mod plan_change;
pub mod plan_checkout;
pub mod purge_journal;
pub mod refused_payment_event;
pub mod service;
pub mod service_staff;
pub mod staff;
pub mod staff_override;
pub mod subprocessor;
pub mod subprocessor_change;
pub mod subprocessor_objection;
pub mod tenant;
pub mod tenant_key;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
