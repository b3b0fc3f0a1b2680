//! Subscription plans and the trial period.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::{FieldProblem, problem};

pub const TRIAL_DAYS: i64 = 14;

/// The permanent free plan: one staff member…
pub const FREE_STAFF_LIMIT: usize = 1;
/// …and this many bookings a calendar month (UTC).
pub const FREE_MONTHLY_BOOKINGS: u64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanKind {
    Trial,
    Free,
    Pro,
}

impl PlanKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanKind::Trial => "trial",
            PlanKind::Free => "free",
            PlanKind::Pro => "pro",
        }
    }

    pub fn parse(input: &str) -> Result<PlanKind, FieldProblem> {
        match input.trim().to_ascii_lowercase().as_str() {
            "trial" => Ok(PlanKind::Trial),
            "free" => Ok(PlanKind::Free),
            "pro" => Ok(PlanKind::Pro),
            _ => Err(problem("invalid_plan", "must be one of: trial, free, pro")),
        }
    }
}

/// Exactly 14 × 24 hours after sign-up, independent of the tenant's DST changes.
pub fn trial_ends_at(signed_up_at: DateTime<Utc>) -> DateTime<Utc> {
    // Saturate instead of panicking on overflow; only reachable with absurd input dates.
    signed_up_at
        .checked_add_signed(TimeDelta::days(TRIAL_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn as_str_and_parse() {
        for plan in [PlanKind::Trial, PlanKind::Free, PlanKind::Pro] {
            assert_eq!(PlanKind::parse(plan.as_str()), Ok(plan));
        }
        assert_eq!(PlanKind::Pro.as_str(), "pro");
        assert_eq!(PlanKind::parse("PRO"), Ok(PlanKind::Pro));
        assert_eq!(
            PlanKind::parse("enterprise").unwrap_err().code,
            "invalid_plan"
        );
    }

    #[test]
    fn deserializes_lowercase() {
        use serde::de::value::{Error, StrDeserializer};
        let de = StrDeserializer::<Error>::new("trial");
        assert_eq!(PlanKind::deserialize(de).unwrap(), PlanKind::Trial);
    }

    #[test]
    fn trial_is_fourteen_days() {
        let start = Utc.with_ymd_and_hms(2025, 3, 20, 10, 30, 15).unwrap();
        // Spans the European DST switch on 30 March; still exactly 336 hours in UTC.
        let end = trial_ends_at(start);
        assert_eq!(end, Utc.with_ymd_and_hms(2025, 4, 3, 10, 30, 15).unwrap());
        assert_eq!((end - start).num_hours(), 14 * 24);
    }

    #[test]
    fn trial_end_saturates_instead_of_panicking() {
        assert_eq!(
            trial_ends_at(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC
        );
    }
}
