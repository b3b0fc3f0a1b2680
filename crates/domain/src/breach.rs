//! The breach clock (GDPR Art. 33): 72 hours from becoming aware, counted
//! in UTC so a daylight-saving change cannot stretch or shrink it, and the
//! escalations while anything is still outstanding.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Warsaw;

/// Art. 33(1): the authority is told within 72 hours of awareness.
pub const NOTIFY_WITHIN_HOURS: i64 = 72;

/// Hours after awareness at which open work is escalated.
pub const ESCALATE_AT_HOURS: [i64; 3] = [24, 48, 60];

/// When the 72 hours run out: elapsed time, not wall-clock hours.
pub fn notify_by(aware_at: DateTime<Utc>) -> DateTime<Utc> {
    aware_at + Duration::hours(NOTIFY_WITHIN_HOURS)
}

/// The escalation stages reached at `now` (0 to 3), each at 24, 48 and 60
/// hours after awareness.
pub fn escalations_reached(aware_at: DateTime<Utc>, now: DateTime<Utc>) -> u8 {
    ESCALATE_AT_HOURS
        .iter()
        .filter(|h| now >= aware_at + Duration::hours(**h))
        .count() as u8
}

/// What the clock shows at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    /// Time left before the deadline.
    Running { left: Duration },
    /// The deadline has passed by this much.
    Overdue { by: Duration },
}

pub fn clock_state(aware_at: DateTime<Utc>, now: DateTime<Utc>) -> ClockState {
    let deadline = notify_by(aware_at);
    if now < deadline {
        ClockState::Running {
            left: deadline - now,
        }
    } else {
        ClockState::Overdue { by: now - deadline }
    }
}

/// "41 h 07 min left" / "3 h 00 min overdue", for every screen and e-mail.
pub fn clock_text(aware_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (span, word) = match clock_state(aware_at, now) {
        ClockState::Running { left } => (left, "left"),
        ClockState::Overdue { by } => (by, "overdue"),
    };
    let minutes = span.num_minutes();
    format!("{} h {:02} min {word}", minutes / 60, minutes % 60)
}

/// A moment as the register shows it: UTC and the Warsaw wall clock.
pub fn both_zones(at: DateTime<Utc>) -> String {
    format!(
        "{} UTC ({} Warsaw)",
        at.format("%Y-%m-%d %H:%M"),
        at.with_timezone(&Warsaw).format("%Y-%m-%d %H:%M %Z")
    )
}

/// What the operator recorded about an incident.
pub struct IncidentFacts<'a> {
    /// E.g. "INC-2026-0003".
    pub reference: &'a str,
    /// When Termino became aware of the breach.
    pub aware_at: DateTime<Utc>,
    /// Start of the time window of the breach.
    pub window_start: DateTime<Utc>,
    /// End of the time window of the breach.
    pub window_end: DateTime<Utc>,
    /// What happened, in the operator's words.
    pub nature: &'a str,
    /// Which systems, e.g. `["database replica"]`.
    pub systems: &'a [String],
    /// Data categories, e.g. `["contact details", "booking history", "notes"]`.
    pub categories: &'a [String],
    /// The data was stored encrypted.
    pub encrypted: bool,
    /// Any encryption key was exposed.
    pub key_exposed: bool,
    /// Likely consequences, in the operator's words.
    pub consequences: &'a str,
    /// Measures taken or proposed.
    pub measures: &'a str,
    /// Termino's contact point, e.g. "privacy@termino.example, +48 ...".
    pub contact: &'a str,
}

/// One affected business and what of its data is affected.
pub struct AffectedBusiness<'a> {
    pub name: &'a str,
    /// NIP.
    pub tax_id: Option<&'a str>,
    /// Approximate number of clients affected.
    pub data_subjects: u64,
    /// Approximate number of records.
    pub records: u64,
}

/// Art. 34(3)(a) applies: encrypted and no key exposed.
pub fn individuals_exempt(f: &IncidentFacts) -> bool {
    f.encrypted && !f.key_exposed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn seventy_two_hours_stay_seventy_two_across_the_autumn_change() {
        // Warsaw went from CEST to CET at 03:00 on 2026-10-25: the wall
        // clock shows 71 hours between the two, the law counts 72.
        let aware = at("2026-10-24T10:00:00+02:00");
        let due = notify_by(aware);
        assert_eq!(due, at("2026-10-27T08:00:00Z"));
        assert_eq!(
            due.with_timezone(&Warsaw).to_rfc3339(),
            "2026-10-27T09:00:00+01:00"
        );
        assert_eq!(due - aware, Duration::hours(72));
    }

    #[test]
    fn seventy_two_hours_stay_seventy_two_across_the_spring_change() {
        let aware = at("2026-03-28T12:00:00+01:00");
        let due = notify_by(aware);
        assert_eq!(
            due.with_timezone(&Warsaw).to_rfc3339(),
            "2026-03-31T13:00:00+02:00"
        );
    }

    #[test]
    fn escalations_come_at_24_48_and_60_hours() {
        let aware = at("2026-11-20T08:00:00Z");
        assert_eq!(escalations_reached(aware, aware + Duration::hours(23)), 0);
        assert_eq!(escalations_reached(aware, aware + Duration::hours(24)), 1);
        assert_eq!(escalations_reached(aware, aware + Duration::hours(59)), 2);
        assert_eq!(escalations_reached(aware, aware + Duration::hours(60)), 3);
        assert_eq!(escalations_reached(aware, aware + Duration::hours(100)), 3);
    }

    #[test]
    fn the_clock_counts_down_then_up() {
        let aware = at("2026-11-20T08:00:00Z");
        assert_eq!(
            clock_text(aware, aware + Duration::minutes(30 * 60 + 53)),
            "41 h 07 min left"
        );
        assert_eq!(
            clock_text(aware, aware + Duration::hours(75)),
            "3 h 00 min overdue"
        );
    }
}
