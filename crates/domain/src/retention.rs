//! Retention rules: when a purge is announced, how long a deletion request
//! may be cancelled and by when it must be done, how long Termino keeps its
//! own tax records, and the business's own client retention.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::holidays::add_business_days;
use crate::validation::{FieldProblem, problem};

/// The owner is reminded this many days before a purge (each once).
pub const PURGE_REMINDER_DAYS: [i64; 2] = [30, 7];

/// A deletion request can be cancelled for this long.
pub const DELETION_GRACE_HOURS: i64 = 24;

/// A deletion request is completed within this many business days.
pub const DELETION_BUSINESS_DAYS: u32 = 5;

/// Business days are counted in Poland.
pub const BUSINESS_DAYS_ZONE: Tz = chrono_tz::Europe::Warsaw;

/// The reminder due at `now` for a purge at `purge_at`: the closest
/// threshold already reached, unless that one (or a closer one) was sent.
/// `sent` is the number of days of the last reminder sent for this purge.
pub fn purge_reminder_due(
    purge_at: DateTime<Utc>,
    now: DateTime<Utc>,
    sent: Option<i64>,
) -> Option<i64> {
    if now >= purge_at {
        return None;
    }
    let due = PURGE_REMINDER_DAYS
        .iter()
        .copied()
        .filter(|days| now >= purge_at - TimeDelta::days(*days))
        .min()?;
    match sent {
        Some(s) if s <= due => None,
        _ => Some(due),
    }
}

/// Until when the owner may cancel a deletion request.
pub fn deletion_grace_ends(requested_at: DateTime<Utc>) -> DateTime<Utc> {
    requested_at + TimeDelta::hours(DELETION_GRACE_HOURS)
}

/// The promised latest completion of a deletion request: the end of the
/// fifth business day (Polish public holidays and weekends are not) after
/// the day of the request, in Warsaw.
pub fn deletion_deadline(requested_at: DateTime<Utc>) -> DateTime<Utc> {
    let day = requested_at.with_timezone(&BUSINESS_DAYS_ZONE).date_naive();
    let last = add_business_days(day, DELETION_BUSINESS_DAYS);
    end_of_day(last, BUSINESS_DAYS_ZONE)
}

fn end_of_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date);
    zone.from_local_datetime(&next.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&next.and_time(NaiveTime::MIN)))
        - TimeDelta::seconds(1)
}

/// Polish tax records are kept 5 years from the end of the year in which
/// the tax was due: a payment of 2026 is kept until the end of 2031.
pub fn tax_record_keep_until(paid_at: DateTime<Utc>) -> DateTime<Utc> {
    let year = paid_at.year().saturating_add(6);
    NaiveDate::from_ymd_opt(year, 1, 1)
        .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The business's client retention: 1 to 120 months, or none.
pub fn parse_client_retention(months: Option<i32>) -> Result<Option<i32>, FieldProblem> {
    match months {
        None => Ok(None),
        Some(m) if (1..=120).contains(&m) => Ok(Some(m)),
        Some(_) => Err(problem(
            "out_of_range",
            "must be between 1 and 120 months, or empty to keep clients",
        )),
    }
}

/// Clients whose last activity (last booking's start, or creation if they
/// never booked) is before this are deleted by the business's rule.
pub fn client_retention_cutoff(now: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    now.checked_sub_months(chrono::Months::new(months.unsigned_abs()))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A Polish tax id (NIP): ten digits with a check digit. Accepts spaces,
/// dashes and a `PL` prefix; keeps the ten digits.
pub fn parse_tax_id(input: &str) -> Result<String, FieldProblem> {
    let trimmed = input.trim();
    let trimmed = trimmed
        .strip_prefix("PL")
        .or_else(|| trimmed.strip_prefix("pl"))
        .unwrap_or(trimmed);
    let digits: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .collect();
    if digits.is_empty() {
        return Err(problem(
            "required",
            "the company's tax id (NIP) is required",
        ));
    }
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(problem("invalid_tax_id", "a NIP has ten digits"));
    }
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let weights = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
    if sum % 11 != d[9] {
        return Err(problem(
            "invalid_tax_id",
            "this NIP's check digit does not match; check for a typo",
        ));
    }
    Ok(digits)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reminders_at_30_and_7_days_each_once() {
        let purge = t("2027-03-01T10:00:00Z");
        assert_eq!(
            purge_reminder_due(purge, t("2027-01-20T00:00:00Z"), None),
            None
        );
        assert_eq!(
            purge_reminder_due(purge, t("2027-01-30T10:00:00Z"), None),
            Some(30)
        );
        assert_eq!(
            purge_reminder_due(purge, t("2027-02-10T00:00:00Z"), Some(30)),
            None
        );
        assert_eq!(
            purge_reminder_due(purge, t("2027-02-22T10:00:00Z"), Some(30)),
            Some(7)
        );
        assert_eq!(
            purge_reminder_due(purge, t("2027-02-25T00:00:00Z"), Some(7)),
            None
        );
        // A first run inside the last week sends only the closer one.
        assert_eq!(
            purge_reminder_due(purge, t("2027-02-25T00:00:00Z"), None),
            Some(7)
        );
        assert_eq!(purge_reminder_due(purge, purge, None), None);
    }

    #[test]
    fn deletion_deadline_skips_weekends_and_holidays() {
        // Tuesday 22 December 2026: 24–26 December are holidays (Christmas
        // Eve since 2025), 26–27 a weekend; five business days end on
        // Thursday 31 December, at midnight Warsaw time.
        assert_eq!(
            deletion_deadline(t("2026-12-22T09:00:00Z")),
            t("2026-12-31T22:59:59Z")
        );
        // Late evening UTC is already the next day in Warsaw.
        assert_eq!(
            deletion_deadline(t("2026-11-23T23:30:00Z")),
            t("2026-12-01T22:59:59Z")
        );
    }

    #[test]
    fn tax_records_kept_five_years_after_the_year_ends() {
        assert_eq!(
            tax_record_keep_until(t("2026-03-15T12:00:00Z")),
            t("2032-01-01T00:00:00Z")
        );
    }

    #[test]
    fn nip_checksum() {
        assert_eq!(parse_tax_id("PL 526-104-08-28").unwrap(), "5261040828");
        assert_eq!(
            parse_tax_id("5261040827").unwrap_err().code,
            "invalid_tax_id"
        );
        assert_eq!(parse_tax_id("12345").unwrap_err().code, "invalid_tax_id");
        assert_eq!(parse_tax_id(" ").unwrap_err().code, "required");
    }

    #[test]
    fn client_retention_bounds() {
        assert_eq!(parse_client_retention(Some(24)), Ok(Some(24)));
        assert_eq!(parse_client_retention(None), Ok(None));
        assert!(parse_client_retention(Some(0)).is_err());
        assert_eq!(
            client_retention_cutoff(t("2026-11-22T00:00:00Z"), 12),
            t("2025-11-22T00:00:00Z")
        );
    }
}
