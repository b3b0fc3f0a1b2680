//! Data-subject requests (GDPR Arts. 12, 15–21): what can be asked and the
//! one-month answer time, extendable by two more months (Art. 12(3)).

use chrono::{DateTime, Months, Utc};

use crate::FieldProblem;

/// What a client can ask of the business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// Art. 15 and 20: a copy of everything, machine-readable.
    Access,
    /// Art. 16: correct what is wrong.
    Rectification,
    /// Art. 17: erase.
    Erasure,
    /// Art. 18: keep but do not use.
    Restriction,
    /// Art. 21(2): no more marketing.
    Objection,
    /// Art. 7(3): withdraw a consent given earlier.
    Withdrawal,
}

impl RequestKind {
    pub const ALL: [RequestKind; 6] = [
        RequestKind::Access,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::Withdrawal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::Withdrawal => "withdrawal",
        }
    }

    pub fn parse(s: &str) -> Result<RequestKind, FieldProblem> {
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| FieldProblem {
                code: "invalid_kind",
                message: "must be one of: access, rectification, erasure, restriction, objection, withdrawal".into(),
            })
    }
}

/// Art. 12(3): one month from receipt, the same day of the next month (the
/// month's last day when it has no such day).
pub fn answer_due(received_at: DateTime<Utc>) -> DateTime<Utc> {
    received_at
        .checked_add_months(Months::new(1))
        .unwrap_or(received_at)
}

/// The furthest an extension can go: two more months.
pub const MAX_EXTENSION_MONTHS: u32 = 2;

/// The new deadline after extending by `months` (1 or 2).
pub fn extended_due(received_at: DateTime<Utc>, months: u32) -> Option<DateTime<Utc>> {
    if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
        return None;
    }
    received_at.checked_add_months(Months::new(1 + months))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn a_month_is_a_calendar_month() {
        assert_eq!(
            answer_due(at("2026-01-31T10:00:00Z")),
            at("2026-02-28T10:00:00Z")
        );
        assert_eq!(
            answer_due(at("2026-11-22T10:00:00Z")),
            at("2026-12-22T10:00:00Z")
        );
    }

    #[test]
    fn extensions_add_at_most_two_months() {
        let r = at("2026-11-22T10:00:00Z");
        assert_eq!(extended_due(r, 2), Some(at("2027-02-22T10:00:00Z")));
        assert_eq!(extended_due(r, 1), Some(at("2027-01-22T10:00:00Z")));
        assert_eq!(extended_due(r, 3), None);
        assert_eq!(extended_due(r, 0), None);
    }

    #[test]
    fn kinds_round_trip() {
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()).ok(), Some(k));
        }
        assert!(RequestKind::parse("delete-everything").is_err());
    }
}
