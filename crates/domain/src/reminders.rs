//! Appointment reminders: a business's reminder settings and when each
//! reminder of a booking is due. Pure time arithmetic in the business's
//! zone, so a DST change keeps "the day before at the same time".

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::ValidationErrors;

/// At most this many reminders per booking.
pub const MAX_OFFSETS: usize = 3;
/// A reminder at most two weeks ahead.
pub const MAX_HOURS_BEFORE: u32 = 24 * 14;

/// How a reminder reaches the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Both,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => Channel::Email,
            "sms" => Channel::Sms,
            "both" => Channel::Both,
            _ => return None,
        })
    }

    pub fn email(self) -> bool {
        matches!(self, Channel::Email | Channel::Both)
    }

    pub fn sms(self) -> bool {
        matches!(self, Channel::Sms | Channel::Both)
    }
}

/// One reminder: this many hours before the start, by this channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Offset {
    pub hours_before: u32,
    pub channel: Channel,
}

/// A business's reminder settings. Reminders go only between `send_from`
/// and `send_until` (local time); the rest of the day is quiet hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    pub offsets: Vec<Offset>,
    pub send_from: NaiveTime,
    pub send_until: NaiveTime,
}

impl Default for ReminderPolicy {
    /// 24 h and 2 h before, by e-mail, between 08:00 and 21:00.
    fn default() -> Self {
        Self {
            offsets: vec![
                Offset {
                    hours_before: 24,
                    channel: Channel::Email,
                },
                Offset {
                    hours_before: 2,
                    channel: Channel::Email,
                },
            ],
            send_from: hm(8, 0),
            send_until: hm(21, 0),
        }
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Settings as entered: offsets with 0 disabled (dropped); at most three,
/// distinct, each within two weeks; channels named; the sending window
/// "HH:MM" with its start before its end.
pub fn parse_policy(
    offsets: &[(i64, &str)],
    send_from: &str,
    send_until: &str,
) -> Result<ReminderPolicy, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if offsets.len() > MAX_OFFSETS {
        errors.add("offsets", "too_many", "at most three reminders");
    }
    let mut parsed: Vec<Offset> = Vec::new();
    for (i, (hours, channel)) in offsets.iter().enumerate() {
        let Some(channel) = Channel::parse(channel) else {
            errors.add(
                &format!("offsets[{i}].channel"),
                "invalid_channel",
                "email, sms or both",
            );
            continue;
        };
        if *hours == 0 {
            continue;
        }
        if !(0..=i64::from(MAX_HOURS_BEFORE)).contains(hours) {
            errors.add(
                &format!("offsets[{i}].hours_before"),
                "out_of_range",
                "between 0 and 336 hours",
            );
        } else if parsed.iter().any(|o| i64::from(o.hours_before) == *hours) {
            errors.add(
                &format!("offsets[{i}].hours_before"),
                "duplicate",
                "each reminder needs its own time",
            );
        } else {
            parsed.push(Offset {
                hours_before: *hours as u32,
                channel,
            });
        }
    }
    let time = |field: &str, s: &str, errors: &mut ValidationErrors| {
        let t = NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
        if t.is_none() {
            errors.add(field, "invalid_time", "a time like 08:00");
        }
        t
    };
    let from = time("send_from", send_from, &mut errors);
    let until = time("send_until", send_until, &mut errors);
    if let (Some(f), Some(u)) = (from, until)
        && f >= u
    {
        errors.add(
            "send_until",
            "before_start",
            "the end of the sending hours must be after their start",
        );
    }
    errors.into_result()?;
    // Largest offset first: the order reminders go out.
    parsed.sort_by_key(|o| std::cmp::Reverse(o.hours_before));
    Ok(ReminderPolicy {
        offsets: parsed,
        send_from: from.unwrap_or_default(),
        send_until: until.unwrap_or_default(),
    })
}

/// A local wall-clock time as an instant: the earlier of two in a DST
/// fold, the first minute after a DST gap.
fn resolve(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Gaps are at most two hours: the first valid minute after.
            let mut probe = local;
            for _ in 0..180 {
                probe += Duration::minutes(1);
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// When the reminder `hours_before` a start is due before quiet hours are
/// applied: whole days keep the wall-clock time (24 h before 10:00 is
/// 10:00 the day before, also across a DST change); other offsets are
/// elapsed hours.
pub fn ideal_due(start: DateTime<Utc>, hours_before: u32, zone: Tz) -> DateTime<Utc> {
    if hours_before.is_multiple_of(24) {
        let local = start.with_timezone(&zone).naive_local();
        resolve(
            zone,
            local - chrono::Days::new(u64::from(hours_before / 24)),
        )
    } else {
        start - Duration::hours(i64::from(hours_before))
    }
}

/// Moves a time in quiet hours back to the last allowed minute before
/// them (the minute before `send_until`, that day or the day before).
pub fn outside_quiet_hours(
    at: DateTime<Utc>,
    zone: Tz,
    send_from: NaiveTime,
    send_until: NaiveTime,
) -> DateTime<Utc> {
    let local = at.with_timezone(&zone).naive_local();
    let t = local.time();
    if t >= send_from && t < send_until {
        return at;
    }
    let day = if t < send_from {
        local.date() - chrono::Days::new(1)
    } else {
        local.date()
    };
    resolve(zone, day.and_time(send_until) - Duration::minutes(1))
}

/// Every reminder a booking starting at `start` gets when planned at `now`:
/// each offset's due time, moved out of quiet hours; an offset whose time
/// has passed (a booking made inside it) is skipped, as is one that would
/// land on another's minute.
pub fn plan(
    policy: &ReminderPolicy,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Vec<(Offset, DateTime<Utc>)> {
    let mut planned: Vec<(Offset, DateTime<Utc>)> = Vec::new();
    for offset in &policy.offsets {
        let ideal = ideal_due(start, offset.hours_before, zone);
        if ideal <= now {
            continue;
        }
        let due = outside_quiet_hours(ideal, zone, policy.send_from, policy.send_until);
        if due <= now || due >= start || planned.iter().any(|(_, d)| *d == due) {
            continue;
        }
        planned.push((*offset, due));
    }
    planned
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Warsaw;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn warsaw(s: &str) -> DateTime<Utc> {
        let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        resolve(Warsaw, local)
    }

    #[test]
    fn a_day_before_keeps_the_wall_clock_across_the_spring_change() {
        // Sunday 28 March 2027, 10:00 CEST; the clocks moved at 02:00.
        let start = warsaw("2027-03-28 10:00");
        assert_eq!(start, utc("2027-03-28T08:00:00Z"));
        // Saturday 10:00 CET: 23 elapsed hours, not 24.
        assert_eq!(ideal_due(start, 24, Warsaw), utc("2027-03-27T09:00:00Z"));
        assert_eq!(ideal_due(start, 2, Warsaw), utc("2027-03-28T06:00:00Z"));
    }

    #[test]
    fn a_day_before_keeps_the_wall_clock_across_the_autumn_change() {
        // Monday 1 November 2027 10:00 CET; 48 h before is Saturday 10:00 CEST.
        let start = warsaw("2027-11-01 10:00");
        assert_eq!(ideal_due(start, 48, Warsaw), utc("2027-10-30T08:00:00Z"));
        assert_eq!(
            ideal_due(start, 47, Warsaw),
            start - Duration::hours(47),
            "non-day offsets are elapsed time"
        );
    }

    #[test]
    fn quiet_hours_move_a_reminder_back_to_the_last_allowed_minute() {
        let (from, until) = (hm(8, 0), hm(21, 0));
        // 07:00 → 20:59 the evening before.
        assert_eq!(
            outside_quiet_hours(warsaw("2027-05-10 07:00"), Warsaw, from, until),
            warsaw("2027-05-09 20:59")
        );
        // 22:30 → 20:59 the same evening.
        assert_eq!(
            outside_quiet_hours(warsaw("2027-05-10 22:30"), Warsaw, from, until),
            warsaw("2027-05-10 20:59")
        );
        // Inside the window: unchanged; 21:00 itself is quiet.
        assert_eq!(
            outside_quiet_hours(warsaw("2027-05-10 08:00"), Warsaw, from, until),
            warsaw("2027-05-10 08:00")
        );
        assert_eq!(
            outside_quiet_hours(warsaw("2027-05-10 21:00"), Warsaw, from, until),
            warsaw("2027-05-10 20:59")
        );
    }

    #[test]
    fn plan_skips_offsets_already_inside_and_moves_quiet_ones() {
        let policy = ReminderPolicy::default();
        let start = warsaw("2027-05-10 09:00");
        // Booked a week ahead: 24 h at 09:00 the day before, 2 h (07:00)
        // moved to 20:59 the day before.
        let p = plan(&policy, start, warsaw("2027-05-03 12:00"), Warsaw);
        assert_eq!(
            p.iter().map(|(_, d)| *d).collect::<Vec<_>>(),
            vec![warsaw("2027-05-09 09:00"), warsaw("2027-05-09 20:59")]
        );
        // Booked 20 hours ahead: the 24 h reminder is skipped.
        let p = plan(&policy, start, warsaw("2027-05-09 13:00"), Warsaw);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].0.hours_before, 2);
        // Booked at 22:00 for 09:00: 2 h moved back into the past, skipped.
        let p = plan(&policy, start, warsaw("2027-05-09 22:00"), Warsaw);
        assert!(p.is_empty());
    }

    #[test]
    fn settings_are_validated_with_the_field_named() {
        let e = parse_policy(
            &[(24, "email"), (2, "sms"), (1, "both"), (48, "email")],
            "08:00",
            "21:00",
        )
        .unwrap_err();
        assert_eq!(e.0[0].field, "offsets");
        let e = parse_policy(&[(24, "fax")], "08:00", "21:00").unwrap_err();
        assert_eq!(e.0[0].field, "offsets[0].channel");
        let e = parse_policy(&[(24, "email")], "21:00", "08:00").unwrap_err();
        assert_eq!(e.0[0].field, "send_until");
        let e = parse_policy(&[(24, "email"), (24, "sms")], "08:00", "21:00").unwrap_err();
        assert_eq!(e.0[0].field, "offsets[1].hours_before");
        let e = parse_policy(&[(400, "email")], "8", "21:00").unwrap_err();
        assert_eq!(
            e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            vec!["offsets[0].hours_before", "send_from"]
        );
        let p = parse_policy(
            &[(2, "both"), (0, "email"), (24, "email")],
            "09:00",
            "20:00",
        )
        .unwrap();
        assert_eq!(
            p.offsets,
            vec![
                Offset {
                    hours_before: 24,
                    channel: Channel::Email
                },
                Offset {
                    hours_before: 2,
                    channel: Channel::Both
                },
            ]
        );
    }
}
