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

/// Data of an account whose trial ended is kept this many months.
pub const TRIAL_RETENTION_MONTHS: u32 = 3;
/// Data of an account whose paid period ended is kept this many years.
pub const PAID_RETENTION_YEARS: u32 = 2;

/// Whether an account may work, and if not, until when its data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// Read-only since `since`; purged at `purge_at` unless paid before.
    Expired {
        since: DateTime<Utc>,
        purge_at: DateTime<Utc>,
    },
}

/// The account's standing at `now`: a trial works until it ends, a paid
/// plan until its paid time ends (a plan being paid for without an end yet
/// works), the free plan always.
pub fn standing(
    plan: PlanKind,
    trial_ends_at: Option<DateTime<Utc>>,
    paid_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Standing {
    let ended = |end: DateTime<Utc>, keep: chrono::Months| {
        if now >= end {
            Standing::Expired {
                since: end,
                purge_at: end
                    .checked_add_months(keep)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
            }
        } else {
            Standing::Active
        }
    };
    match (plan, trial_ends_at, paid_until) {
        (PlanKind::Free, _, _) => Standing::Active,
        (PlanKind::Trial, Some(end), _) => ended(end, chrono::Months::new(TRIAL_RETENTION_MONTHS)),
        (PlanKind::Pro, _, Some(end)) => ended(end, chrono::Months::new(PAID_RETENTION_YEARS * 12)),
        _ => Standing::Active,
    }
}

/// Exactly 14 × 24 hours after sign-up, independent of the tenant's DST changes.
pub fn trial_ends_at(signed_up_at: DateTime<Utc>) -> DateTime<Utc> {
    // Saturate instead of panicking on overflow; only reachable with absurd input dates.
    signed_up_at
        .checked_add_signed(TimeDelta::days(TRIAL_DAYS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Why an account takes no changes right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The plan ended: read-only until `purge_at`, unless a plan is chosen.
    PlanEnded { purge_at: DateTime<Utc> },
    /// The owner asked to delete the business.
    DeletionRequested,
}

/// What a change is for. Getting the account going again or out of
/// Termino (plan, agreement, export, deletion) and answering its clients
/// and incidents stay possible on a closed account; nothing else does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    BusinessData,
    GoingOrOut,
    ClientsAndIncidents,
}

/// The read-only gate: may a business in `standing` (and with a deletion
/// request or not) make a change of `kind`?
pub fn gate(standing: Standing, deletion_requested: bool, kind: Change) -> Result<(), Closed> {
    if kind != Change::BusinessData {
        return Ok(());
    }
    if let Standing::Expired { purge_at, .. } = standing {
        return Err(Closed::PlanEnded { purge_at });
    }
    if deletion_requested {
        return Err(Closed::DeletionRequested);
    }
    Ok(())
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

    #[test]
    fn standing_follows_the_plan() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        let day = TimeDelta::days(1);
        assert_eq!(standing(PlanKind::Free, None, None, t0), Standing::Active);
        assert_eq!(
            standing(PlanKind::Trial, Some(t0), None, t0 - day),
            Standing::Active
        );
        // A trial that ended on 31 January is kept until 30 April.
        assert_eq!(
            standing(PlanKind::Trial, Some(t0), None, t0),
            Standing::Expired {
                since: t0,
                purge_at: Utc.with_ymd_and_hms(2026, 4, 30, 12, 0, 0).unwrap()
            }
        );
        assert_eq!(
            standing(PlanKind::Pro, None, Some(t0), t0 + day),
            Standing::Expired {
                since: t0,
                purge_at: Utc.with_ymd_and_hms(2028, 1, 31, 12, 0, 0).unwrap()
            }
        );
        assert_eq!(standing(PlanKind::Pro, None, None, t0), Standing::Active);
        assert_eq!(
            standing(PlanKind::Pro, Some(t0 - day * 100), Some(t0 + day), t0),
            Standing::Active
        );
    }

    #[test]
    fn a_closed_account_still_gets_going_or_out() {
        let now = Utc::now();
        let expired = Standing::Expired {
            since: now,
            purge_at: now,
        };
        assert_eq!(
            gate(expired, false, Change::BusinessData),
            Err(Closed::PlanEnded { purge_at: now })
        );
        assert_eq!(gate(expired, true, Change::GoingOrOut), Ok(()));
        assert_eq!(gate(expired, true, Change::ClientsAndIncidents), Ok(()));
        assert_eq!(
            gate(Standing::Active, true, Change::BusinessData),
            Err(Closed::DeletionRequested)
        );
        assert_eq!(gate(Standing::Active, false, Change::BusinessData), Ok(()));
    }
}
