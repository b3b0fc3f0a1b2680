//! Free slots: a pure function of working hours, closures and existing bookings.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rules::{Busy, Closure, LocalInterval, ServiceRules, StaffCalendar};
use super::wall_clock::{end_instant, local_at, start_instant};

/// A bookable start with one staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub seats_left: u32,
}

/// A bookable start with "anyone": who is free then and how many seats each has left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnySlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Sorted by staff id.
    pub staff: Vec<(Uuid, u32)>,
}

/// Why a requested start cannot be booked, checked in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SlotProblem {
    #[error("this time has already passed")]
    InPast,
    #[error("this time is too soon to book")]
    TooSoon,
    #[error("this time is too far ahead to book")]
    TooFarAhead,
    #[error("this time is outside working hours")]
    OutsideWorkingHours,
    #[error("this is not one of the offered start times")]
    NotOnStepGrid,
    #[error("the business is closed at this time")]
    Closed,
    #[error("this time is already taken")]
    Taken,
}

fn minutes(m: u32) -> TimeDelta {
    TimeDelta::minutes(i64::from(m))
}

/// Which starts the booking window allows, relative to `now`.
struct Window {
    earliest: DateTime<Utc>,
    /// `None` when the advance limit lies beyond what chrono can represent.
    latest: Option<DateTime<Utc>>,
}

impl Window {
    fn new(service: &ServiceRules, now: DateTime<Utc>) -> Option<Window> {
        let earliest = now.checked_add_signed(minutes(service.min_notice_min))?;
        let latest = TimeDelta::try_days(i64::from(service.max_advance_days))
            .and_then(|d| now.checked_add_signed(d));
        Some(Window { earliest, latest })
    }

    fn check(&self, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), SlotProblem> {
        if start < now {
            Err(SlotProblem::InPast)
        } else if start < self.earliest {
            Err(SlotProblem::TooSoon)
        } else if self.latest.is_some_and(|latest| start > latest) {
            Err(SlotProblem::TooFarAhead)
        } else {
            Ok(())
        }
    }
}

/// Half-open overlap; empty intervals overlap nothing.
fn overlaps(
    a: (DateTime<Utc>, DateTime<Utc>),
    b_start: DateTime<Utc>,
    b_end: DateTime<Utc>,
) -> bool {
    a.0 < a.1 && b_start < b_end && a.0 < b_end && b_start < a.1
}

/// The time a booking at `start` keeps the staff member busy. Saturating keeps
/// the sweep's queries monotonic even at the edge of chrono's range.
fn occupied(service: &ServiceRules, start: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = start
        .checked_sub_signed(minutes(service.buffer_before_min))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let to = start
        .checked_add_signed(minutes(service.duration_min))
        .and_then(|t| t.checked_add_signed(minutes(service.buffer_after_min)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (from, to)
}

/// Seats still free at `start`, given the bookings overlapping its occupied time.
fn seats_left<'a>(
    service: &ServiceRules,
    start: DateTime<Utc>,
    overlapping: impl IntoIterator<Item = &'a Busy>,
) -> Option<u32> {
    let mut overlapping = overlapping.into_iter();
    if service.capacity <= 1 {
        return (overlapping.next().is_none() && service.capacity == 1).then_some(1);
    }
    let mut taken: u32 = 0;
    for b in overlapping {
        // Only the same class at the same start shares the room; anything else blocks.
        if b.service_id == Some(service.service_id) && b.slot_start == start {
            taken = taken.saturating_add(b.seats);
        } else {
            return None;
        }
    }
    service.capacity.checked_sub(taken).filter(|&n| n > 0)
}

fn interval_end(
    staff: &StaffCalendar,
    date: NaiveDate,
    interval: &LocalInterval,
) -> Option<DateTime<Utc>> {
    end_instant(staff.zone, local_at(date, interval.end())?)
}

/// The service end if the service, in real elapsed minutes, is over by `interval_end`.
fn fits(
    service: &ServiceRules,
    start: DateTime<Utc>,
    interval_end: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let end = start.checked_add_signed(minutes(service.duration_min))?;
    (end <= interval_end).then_some(end)
}

/// Intervals sorted by start, handed out as they start overlapping queries that
/// move forward in time: O(n log n + queries × currently overlapping).
struct Sweep<'a, T> {
    sorted: Vec<&'a T>,
    next: usize,
    active: Vec<&'a T>,
}

trait Span {
    fn span(&self) -> (DateTime<Utc>, DateTime<Utc>);
}

impl Span for Busy {
    fn span(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start, self.end)
    }
}

impl Span for Closure {
    fn span(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start, self.end)
    }
}

impl<'a, T: Span> Sweep<'a, T> {
    fn new(items: &'a [T]) -> Self {
        let mut sorted: Vec<&T> = items
            .iter()
            .filter(|i| {
                let (s, e) = i.span();
                s < e
            })
            .collect();
        sorted.sort_by_key(|i| i.span().0);
        Sweep {
            sorted,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Items overlapping `[start, end)`. Both bounds must never decrease between calls.
    fn overlapping(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> &[&'a T] {
        while let Some(&item) = self.sorted.get(self.next) {
            if item.span().0 >= end {
                break;
            }
            self.active.push(item);
            self.next += 1;
        }
        self.active.retain(|i| i.span().1 > start);
        if start < end { &self.active } else { &[] }
    }
}

/// Free slots of one staff member whose start lies in `[from, to)`, sorted by start.
///
/// Starts are laid out in the staff member's wall-clock time from each working
/// interval's start, every `step_min` minutes, so 09:00 stays 09:00 across DST.
pub fn slots_for_staff(
    staff: &StaffCalendar,
    service: &ServiceRules,
    closures: &[Closure],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Slot> {
    let Some(window) = Window::new(service, now) else {
        return Vec::new();
    };
    if from >= to || service.step_min == 0 {
        return Vec::new();
    }
    let step = usize::try_from(service.step_min).unwrap_or(usize::MAX);
    // Only dates the booking window can reach, so a wide query stays cheap.
    let earliest = from.max(window.earliest);
    let latest = window.latest.map_or(to, |latest| latest.min(to));
    // A day either side: a local date can start up to ~14 h before its UTC date.
    let day = TimeDelta::days(1);
    let first_date = earliest
        .checked_sub_signed(day)
        .unwrap_or(earliest)
        .with_timezone(&staff.zone)
        .date_naive();
    let last_date = latest
        .checked_add_signed(day)
        .unwrap_or(latest)
        .with_timezone(&staff.zone)
        .date_naive();

    let mut candidates: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for date in first_date.iter_days().take_while(|d| *d <= last_date) {
        for interval in staff.hours_on(date) {
            let Some(interval_end) = interval_end(staff, date, interval) else {
                continue;
            };
            for minute in (interval.start()..interval.end()).step_by(step) {
                if let Some(start) = local_at(date, minute)
                    .and_then(|local| start_instant(staff.zone, local))
                    .filter(|s| *s >= from && *s < to && window.check(*s, now).is_ok())
                    && let Some(end) = fits(service, start, interval_end)
                {
                    candidates.push((start, end));
                }
            }
        }
    }
    // Overlapping intervals (if validation was skipped) must not list a start twice.
    candidates.sort_unstable();
    candidates.dedup_by_key(|c| c.0);

    let mut busy = Sweep::new(&staff.busy);
    let mut closed = Sweep::new(closures);
    let mut slots = Vec::with_capacity(candidates.len());
    for (start, end) in candidates {
        if !closed.overlapping(start, end).is_empty() {
            continue;
        }
        let (occ_start, occ_end) = occupied(service, start);
        let blocking = busy.overlapping(occ_start, occ_end).iter().copied();
        if let Some(seats_left) = seats_left(service, start, blocking) {
            slots.push(Slot {
                start,
                end,
                seats_left,
            });
        }
    }
    slots
}

/// Free slots with any of `staff`: the union of their own slots.
pub fn slots_for_anyone(
    staff: &[StaffCalendar],
    service: &ServiceRules,
    closures: &[Closure],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<AnySlot> {
    let mut all: Vec<(DateTime<Utc>, Uuid, DateTime<Utc>, u32)> = staff
        .iter()
        .flat_map(|member| {
            slots_for_staff(member, service, closures, from, to, now)
                .into_iter()
                .map(|s| (s.start, member.staff_id, s.end, s.seats_left))
        })
        .collect();
    all.sort_unstable();

    let mut merged: Vec<AnySlot> = Vec::new();
    for (start, staff_id, end, seats_left) in all {
        match merged.last_mut() {
            Some(last) if last.start == start => last.staff.push((staff_id, seats_left)),
            _ => merged.push(AnySlot {
                start,
                end,
                staff: vec![(staff_id, seats_left)],
            }),
        }
    }
    merged
}

/// The free staff member with the fewest bookings; ties go to the lowest id so
/// the same request always lands on the same person.
pub fn fair_pick(slot: &AnySlot, bookings_per_staff: &HashMap<Uuid, u32>) -> Option<Uuid> {
    slot.staff
        .iter()
        .map(|(id, _)| *id)
        .min_by_key(|id| (bookings_per_staff.get(id).copied().unwrap_or(0), *id))
}

/// Whether `start` can be booked, and precisely why not. Agrees with `slots_for_staff`.
pub fn check_slot(
    staff: &StaffCalendar,
    service: &ServiceRules,
    closures: &[Closure],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Slot, SlotProblem> {
    Window::new(service, now)
        .ok_or(SlotProblem::TooSoon)?
        .check(start, now)?;
    let end = place_in_hours(staff, service, start)?;

    if closures
        .iter()
        .any(|c| overlaps((start, end), c.start, c.end))
    {
        return Err(SlotProblem::Closed);
    }
    let occ = occupied(service, start);
    let blocking = staff.busy.iter().filter(|b| overlaps(occ, b.start, b.end));
    let seats_left = seats_left(service, start, blocking).ok_or(SlotProblem::Taken)?;
    Ok(Slot {
        start,
        end,
        seats_left,
    })
}

/// The service end if `start` is a grid start of some working interval on its local date.
fn place_in_hours(
    staff: &StaffCalendar,
    service: &ServiceRules,
    start: DateTime<Utc>,
) -> Result<DateTime<Utc>, SlotProblem> {
    let local = start.with_timezone(&staff.zone).naive_local();
    let date = local.date();
    let minute = local.hour() * 60 + local.minute();
    let exact_minute = local.second() == 0 && local.nanosecond() == 0;
    // The second occurrence of a repeated wall-clock time is never offered.
    let first_occurrence = start_instant(staff.zone, local) == Some(start);

    let mut problem = SlotProblem::OutsideWorkingHours;
    let mut seen_containing = false;
    for interval in staff.hours_on(date) {
        let (i_start, i_end) = (u32::from(interval.start()), u32::from(interval.end()));
        if minute < i_start || minute >= i_end {
            continue;
        }
        let on_grid = exact_minute
            && first_occurrence
            && service.step_min != 0
            && (minute - i_start).is_multiple_of(service.step_min);
        let outcome = if on_grid {
            interval_end(staff, date, interval)
                .and_then(|i_end| fits(service, start, i_end))
                .ok_or(SlotProblem::OutsideWorkingHours)
        } else {
            Err(SlotProblem::NotOnStepGrid)
        };
        match outcome {
            Ok(end) => return Ok(end),
            // Report what the first interval containing the start says.
            Err(p) if !seen_containing => problem = p,
            Err(_) => {}
        }
        seen_containing = true;
    }
    Err(problem)
}
