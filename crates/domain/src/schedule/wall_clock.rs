//! Turning a staff member's wall-clock times into instants, the same way every time.

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;

/// Longest wall-clock gap to look across (Samoa skipped a whole day in 2011).
const MAX_GAP_MIN: u32 = 24 * 60 + 60;

/// `minute` may be 1440: the next local midnight.
pub(crate) fn local_at(date: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
    date.and_time(NaiveTime::MIN)
        .checked_add_signed(TimeDelta::minutes(i64::from(minute)))
}

/// A start time skipped by spring-forward does not exist; one repeated by
/// fall-back always means its first occurrence, so a slot never moves.
pub(crate) fn start_instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// An end time inside a spring-forward gap is reached when the clock jumps
/// over it, i.e. at the first wall-clock minute that exists after it.
pub(crate) fn end_instant(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let mut probe = local;
    for _ in 0..=MAX_GAP_MIN {
        if let Some(t) = start_instant(zone, probe) {
            return Some(t);
        }
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Warsaw;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn gap_start_is_skipped_and_gap_end_is_the_jump() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let half_past_two = local_at(date, 150).unwrap();
        assert_eq!(start_instant(Warsaw, half_past_two), None);
        assert_eq!(
            end_instant(Warsaw, half_past_two),
            Some(utc("2026-03-29T01:00:00Z"))
        );
    }

    #[test]
    fn repeated_time_is_the_first_occurrence() {
        let date = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let half_past_two = local_at(date, 150).unwrap();
        assert_eq!(
            start_instant(Warsaw, half_past_two),
            Some(utc("2026-10-25T00:30:00Z"))
        );
    }

    #[test]
    fn minute_1440_is_next_midnight() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        assert_eq!(
            local_at(date, 1440),
            NaiveDate::from_ymd_opt(2026, 2, 1)
                .unwrap()
                .and_hms_opt(0, 0, 0)
        );
    }
}
