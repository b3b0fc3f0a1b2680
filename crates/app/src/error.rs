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
        kind: ConflictKind,
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

/// Why a request conflicts with the state of things. Its name is the last
/// segment of the problem type (`…/problems/slot-taken`), so this list is
/// the one place where the conflict problem types are written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictKind {
    /// A data request's deadline was already extended once.
    AlreadyExtended,
    /// The person is already a member of the team.
    AlreadyMember,
    /// The business already objected to this sub-processor change.
    AlreadyObjected,
    /// This notice was already sent.
    AlreadySent,
    /// A cancelled or finished booking cannot be moved.
    BookingNotMovable,
    /// A client with this e-mail or phone already exists.
    ClientExists,
    /// The business is being deleted at its owner's request (read-only).
    DeletionRequested,
    /// The deletion already started and cannot be cancelled.
    DeletionUnderWay,
    /// The data-processing agreement (or its new version) waits for acceptance.
    DpaRequired,
    /// The e-mail address already has an account.
    EmailTaken,
    /// A data request can be extended only before its deadline.
    ExtensionTooLate,
    /// The time held for the deposit ran out.
    HoldExpired,
    /// The incident is closed.
    IncidentClosed,
    /// The booking cannot move to that status (see `domain::booking`).
    InvalidTransition,
    /// The business's keys are destroyed; its data cannot be read.
    KeysDestroyed,
    /// The business must keep one owner.
    LastOwner,
    /// There is nothing to act on.
    NoData,
    /// The business has no subscription to manage.
    NoSubscription,
    /// The booking cannot be confirmed by the client now.
    NotConfirmable,
    /// The booking has no deposit to pay.
    NothingToPay,
    /// Too close to the visit for the client to change it.
    PastCutoff,
    /// The plan cannot change that way now.
    PlanChange,
    /// The plan ended; the account is read-only.
    PlanExpired,
    /// The plan's limit (staff, bookings) is reached.
    PlanLimit,
    /// The client asked to restrict processing of their data.
    ProcessingRestricted,
    /// The data request is already answered.
    RequestClosed,
    /// The time is no longer free.
    SlotTaken,
    /// The booking page address is taken.
    SlugTaken,
    /// This month's text messages are used up.
    SmsLimitReached,
    /// No SMS gateway is configured.
    SmsOff,
    /// The subscription is not one Termino sold.
    UnknownSubscription,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 31] = [
        ConflictKind::AlreadyExtended,
        ConflictKind::AlreadyMember,
        ConflictKind::AlreadyObjected,
        ConflictKind::AlreadySent,
        ConflictKind::BookingNotMovable,
        ConflictKind::ClientExists,
        ConflictKind::DeletionRequested,
        ConflictKind::DeletionUnderWay,
        ConflictKind::DpaRequired,
        ConflictKind::EmailTaken,
        ConflictKind::ExtensionTooLate,
        ConflictKind::HoldExpired,
        ConflictKind::IncidentClosed,
        ConflictKind::InvalidTransition,
        ConflictKind::KeysDestroyed,
        ConflictKind::LastOwner,
        ConflictKind::NoData,
        ConflictKind::NoSubscription,
        ConflictKind::NotConfirmable,
        ConflictKind::NothingToPay,
        ConflictKind::PastCutoff,
        ConflictKind::PlanChange,
        ConflictKind::PlanExpired,
        ConflictKind::PlanLimit,
        ConflictKind::ProcessingRestricted,
        ConflictKind::RequestClosed,
        ConflictKind::SlotTaken,
        ConflictKind::SlugTaken,
        ConflictKind::SmsLimitReached,
        ConflictKind::SmsOff,
        ConflictKind::UnknownSubscription,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::AlreadyExtended => "already-extended",
            ConflictKind::AlreadyMember => "already-member",
            ConflictKind::AlreadyObjected => "already-objected",
            ConflictKind::AlreadySent => "already-sent",
            ConflictKind::BookingNotMovable => "booking-not-movable",
            ConflictKind::ClientExists => "client-exists",
            ConflictKind::DeletionRequested => "deletion-requested",
            ConflictKind::DeletionUnderWay => "deletion-under-way",
            ConflictKind::DpaRequired => "dpa-required",
            ConflictKind::EmailTaken => "email-taken",
            ConflictKind::ExtensionTooLate => "extension-too-late",
            ConflictKind::HoldExpired => "hold-expired",
            ConflictKind::IncidentClosed => "incident-closed",
            ConflictKind::InvalidTransition => "invalid-transition",
            ConflictKind::KeysDestroyed => "keys-destroyed",
            ConflictKind::LastOwner => "last-owner",
            ConflictKind::NoData => "no-data",
            ConflictKind::NoSubscription => "no-subscription",
            ConflictKind::NotConfirmable => "not-confirmable",
            ConflictKind::NothingToPay => "nothing-to-pay",
            ConflictKind::PastCutoff => "past-cutoff",
            ConflictKind::PlanChange => "plan-change",
            ConflictKind::PlanExpired => "plan-expired",
            ConflictKind::PlanLimit => "plan-limit",
            ConflictKind::ProcessingRestricted => "processing-restricted",
            ConflictKind::RequestClosed => "request-closed",
            ConflictKind::SlotTaken => "slot-taken",
            ConflictKind::SlugTaken => "slug-taken",
            ConflictKind::SmsLimitReached => "sms-limit-reached",
            ConflictKind::SmsOff => "sms-off",
            ConflictKind::UnknownSubscription => "unknown-subscription",
        }
    }
}

impl std::fmt::Display for ConflictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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

#[cfg(test)]
mod tests {
    use super::ConflictKind;

    #[test]
    fn conflict_kinds_have_distinct_kebab_case_names() {
        let mut names: Vec<&str> = ConflictKind::ALL.iter().map(|k| k.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ConflictKind::ALL.len());
    }
}
