//! How errors travel, in brief:
//! * the store returns precise [`StoreError`]s (a named unique constraint);
//! * use cases return one [`AppError`] whose variants are what a caller can
//!   act on (fix a field, log in, wait, retry) — the API layers turn each into
//!   a problem+json response or a GraphQL error code, and a web page into a
//!   message beside the field;
//! * anything unexpected is `Internal(anyhow::Error)` with its context chain,
//!   logged once at the edge, and shown to the caller as a plain 500.

use termino_domain::ValidationErrors;
use termino_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input")]
    Invalid(ValidationErrors),
    #[error("not found")]
    NotFound,
    #[error("authentication required")]
    Unauthenticated,
    /// One message for an unknown account and a wrong password alike.
    #[error("invalid e-mail or password")]
    BadCredentials,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("{message}")]
    Conflict {
        kind: &'static str,
        field: Option<&'static str>,
        message: String,
    },
    #[error("too many attempts")]
    Throttled { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationErrors::single(field, code, message))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        AppError::Invalid(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

impl From<crate::kv::KvError> for AppError {
    fn from(e: crate::kv::KvError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// A provider's answer as the caller sees it: an outage to wait out, a
/// notification refused by the field that failed, or our own fault.
impl From<termino_payments::PaymentsError> for AppError {
    fn from(e: termino_payments::PaymentsError) -> Self {
        use termino_payments::PaymentsError as E;
        match e {
            E::Unavailable(_) => AppError::Unavailable(e.to_string()),
            E::StripeSignature(e) => {
                AppError::invalid("stripe-signature", "invalid_signature", e.to_string())
            }
            E::TpaySignature(e) => {
                AppError::invalid("x-jws-signature", "invalid_signature", e.to_string())
            }
            E::WrongMerchant => AppError::invalid("id", "wrong_merchant", e.to_string()),
            E::Md5Mismatch => AppError::invalid("md5sum", "invalid_signature", e.to_string()),
            E::NoAccount => AppError::NotFound,
            E::Malformed(what) => AppError::Internal(anyhow::anyhow!(what)),
        }
    }
}
