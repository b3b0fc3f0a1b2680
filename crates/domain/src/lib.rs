//! Pure domain rules for Termino: identifiers, validated value types and
//! permission checks. No I/O lives here so every rule is unit-testable.

pub mod account;
pub mod booking;
pub mod breach;
pub mod business;
pub mod contact;
pub mod holidays;
pub mod password;
pub mod plan;
pub mod reminders;
pub mod requests;
pub mod retention;
pub mod schedule;
pub mod scope;
pub mod sms;
pub mod validation;

pub use validation::{FieldError, FieldProblem, ValidationErrors};
