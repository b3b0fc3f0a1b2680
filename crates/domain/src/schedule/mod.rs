//! The availability engine: which start times a customer may book.
//!
//! Working hours are wall-clock times in the staff member's zone; on DST days
//! 09:00–17:00 stays 09:00–17:00 local. Wall-clock times skipped by
//! spring-forward are not offered; repeated ones mean their first occurrence.

mod rules;
mod slots;
mod wall_clock;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod proptests;

pub use rules::{
    Busy, Closure, DayOverride, LocalInterval, MINUTES_PER_DAY, ScheduleError, ServiceRules,
    StaffCalendar, WeeklyHours,
};
pub use slots::{
    AnySlot, Slot, SlotProblem, check_slot, fair_pick, slots_for_anyone, slots_for_staff,
};
