//! The inputs of the availability engine: working hours, days off, closures,
//! existing bookings and the service being booked.

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Minutes in a day; an interval ending here ends at the next local midnight.
pub const MINUTES_PER_DAY: u16 = 1440;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("working hours must start before they end, within one day")]
    InvalidInterval { start: u16, end: u16 },
    #[error("working hours on {weekday} overlap or are out of order")]
    Overlap { weekday: Weekday },
    #[error("working hours on {date} overlap or are out of order")]
    OverrideOverlap { date: NaiveDate },
    #[error("{date} has more than one special schedule")]
    DuplicateOverride { date: NaiveDate },
    #[error("a service must last at least one minute")]
    ZeroDuration,
    #[error("start times must be at least one minute apart")]
    ZeroStep,
    #[error("a service needs at least one seat")]
    ZeroCapacity,
}

/// Wall-clock working time within one local day, in minutes since local midnight.
///
/// Fields are private so every value holds `start < end <= 1440`, also when deserialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawLocalInterval")]
pub struct LocalInterval {
    start: u16,
    end: u16,
}

#[derive(Deserialize)]
struct RawLocalInterval {
    start: u16,
    end: u16,
}

impl TryFrom<RawLocalInterval> for LocalInterval {
    type Error = ScheduleError;

    fn try_from(raw: RawLocalInterval) -> Result<Self, Self::Error> {
        LocalInterval::new(raw.start, raw.end)
    }
}

impl LocalInterval {
    pub fn new(start: u16, end: u16) -> Result<Self, ScheduleError> {
        if start < end && end <= MINUTES_PER_DAY {
            Ok(Self { start, end })
        } else {
            Err(ScheduleError::InvalidInterval { start, end })
        }
    }

    pub fn start(&self) -> u16 {
        self.start
    }

    pub fn end(&self) -> u16 {
        self.end
    }
}

/// Sorted and non-overlapping; touching (12:00–13:00, 13:00–14:00) is fine.
fn well_ordered(intervals: &[LocalInterval]) -> bool {
    intervals.windows(2).all(|w| match w {
        [a, b] => a.end <= b.start,
        _ => true,
    })
}

/// The usual week of a staff member; several intervals a day model breaks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours {
    /// Index 0 is Monday.
    pub days: [Vec<LocalInterval>; 7],
}

impl WeeklyHours {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let mut weekday = Weekday::Mon;
        for day in &self.days {
            if !well_ordered(day) {
                return Err(ScheduleError::Overlap { weekday });
            }
            weekday = weekday.succ();
        }
        Ok(())
    }

    pub fn on(&self, weekday: Weekday) -> &[LocalInterval] {
        self.days
            .get(weekday.num_days_from_monday() as usize)
            .map_or(&[], Vec::as_slice)
    }
}

/// Replaces the weekly hours on one date; no intervals means a day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayOverride {
    pub date: NaiveDate,
    pub intervals: Vec<LocalInterval>,
}

impl DayOverride {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if well_ordered(&self.intervals) {
            Ok(())
        } else {
            Err(ScheduleError::OverrideOverlap { date: self.date })
        }
    }
}

/// Time the whole business is closed (holidays, renovation), already in UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An active booking of the staff member. `start..end` already includes that
/// booking's own buffers; `slot_start` is the unbuffered start customers saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Busy {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub service_id: Option<Uuid>,
    pub slot_start: DateTime<Utc>,
    pub seats: u32,
}

/// How a service may be booked. `capacity` 1 is an appointment, more is a class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRules {
    pub service_id: Uuid,
    pub duration_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub min_notice_min: u32,
    pub max_advance_days: u32,
    pub step_min: u32,
    pub capacity: u32,
}

impl ServiceRules {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        if self.duration_min == 0 {
            Err(ScheduleError::ZeroDuration)
        } else if self.step_min == 0 {
            Err(ScheduleError::ZeroStep)
        } else if self.capacity == 0 {
            Err(ScheduleError::ZeroCapacity)
        } else {
            Ok(())
        }
    }
}

/// Everything the engine needs to know about one staff member.
///
/// No serde: it is assembled from several tables, never stored or sent whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCalendar {
    pub staff_id: Uuid,
    pub zone: chrono_tz::Tz,
    pub weekly: WeeklyHours,
    pub overrides: Vec<DayOverride>,
    pub busy: Vec<Busy>,
}

impl StaffCalendar {
    /// Working hours for a local date: its override, else the weekday's hours.
    /// With duplicate overrides (rejected by `validate`) the first one wins.
    pub fn hours_on(&self, date: NaiveDate) -> &[LocalInterval] {
        use chrono::Datelike;
        match self.overrides.iter().find(|o| o.date == date) {
            Some(o) => &o.intervals,
            None => self.weekly.on(date.weekday()),
        }
    }

    /// Checks the hours only; bookings are facts and never rejected here.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.weekly.validate()?;
        for (i, o) in self.overrides.iter().enumerate() {
            o.validate()?;
            if self.overrides.iter().skip(i + 1).any(|p| p.date == o.date) {
                return Err(ScheduleError::DuplicateOverride { date: o.date });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn iv(start: u16, end: u16) -> LocalInterval {
        LocalInterval::new(start, end).unwrap()
    }

    #[test]
    fn interval_bounds() {
        assert!(LocalInterval::new(0, 1440).is_ok());
        assert!(LocalInterval::new(600, 600).is_err());
        assert!(LocalInterval::new(700, 600).is_err());
        assert!(LocalInterval::new(0, 1441).is_err());
    }

    #[test]
    fn interval_deserialisation_is_validated() {
        let ok: LocalInterval = serde_json::from_str(r#"{"start":540,"end":1020}"#).unwrap();
        assert_eq!(ok, iv(540, 1020));
        assert!(serde_json::from_str::<LocalInterval>(r#"{"start":1020,"end":540}"#).is_err());
    }

    #[test]
    fn weekly_hours_allow_breaks_but_not_overlaps() {
        let mut week = WeeklyHours::default();
        week.days[0] = vec![iv(540, 780), iv(780, 1020)];
        week.days[1] = vec![iv(540, 720), iv(750, 1020)];
        assert_eq!(week.validate(), Ok(()));

        week.days[2] = vec![iv(540, 800), iv(780, 1020)];
        assert_eq!(
            week.validate(),
            Err(ScheduleError::Overlap {
                weekday: Weekday::Wed
            })
        );

        week.days[2] = vec![iv(780, 1020), iv(540, 600)];
        assert_eq!(
            week.validate(),
            Err(ScheduleError::Overlap {
                weekday: Weekday::Wed
            })
        );
    }

    #[test]
    fn calendar_rejects_duplicate_overrides() {
        let date = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        let mut cal = StaffCalendar {
            staff_id: Uuid::nil(),
            zone: chrono_tz::Europe::Warsaw,
            weekly: WeeklyHours::default(),
            overrides: vec![
                DayOverride {
                    date,
                    intervals: vec![],
                },
                DayOverride {
                    date,
                    intervals: vec![iv(600, 700)],
                },
            ],
            busy: vec![],
        };
        assert_eq!(
            cal.validate(),
            Err(ScheduleError::DuplicateOverride { date })
        );
        assert!(cal.hours_on(date).is_empty());
        cal.overrides.truncate(1);
        assert_eq!(cal.validate(), Ok(()));
    }

    #[test]
    fn service_rules_need_positive_duration_step_and_capacity() {
        let mut rules = ServiceRules {
            service_id: Uuid::nil(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            max_advance_days: 30,
            step_min: 15,
            capacity: 1,
        };
        assert_eq!(rules.validate(), Ok(()));
        rules.step_min = 0;
        assert_eq!(rules.validate(), Err(ScheduleError::ZeroStep));
    }
}
