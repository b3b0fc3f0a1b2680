//! Availability for a month: one busy staff member, and "anyone" across a team.

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use termino_domain::schedule::{
    Busy, LocalInterval, ServiceRules, StaffCalendar, WeeklyHours, slots_for_anyone,
    slots_for_staff,
};
use uuid::Uuid;

const SERVICE: Uuid = Uuid::from_u128(0x5e);
const OTHER_SERVICE: Uuid = Uuid::from_u128(0x07);

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn interval(start: u16, end: u16) -> Vec<LocalInterval> {
    LocalInterval::new(start, end).into_iter().collect()
}

/// Mon–Fri 09:00–13:00 and 13:30–17:00, Sat 10:00–14:00.
fn weekly() -> WeeklyHours {
    let weekday: Vec<LocalInterval> = [interval(540, 780), interval(810, 1020)].concat();
    WeeklyHours {
        days: [
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday.clone(),
            weekday,
            interval(600, 840),
            vec![],
        ],
    }
}

/// March 2026 in Warsaw (it has a DST change), bookings spread evenly over it.
/// Bookings are of a short 15-minute service so 500 of them still leave gaps.
fn staff(id: u128, bookings: i64) -> StaffCalendar {
    let month_start = at("2026-02-28T23:00:00Z");
    let spacing = TimeDelta::minutes(31 * 24 * 60 / bookings);
    let busy = (0..bookings)
        .map(|i| {
            // Offset each staff member a little so their free slots differ.
            let slot_start = month_start
                + spacing * i32::try_from(i).unwrap_or(0)
                + TimeDelta::minutes(i64::try_from(id % 4).unwrap_or(0) * 15);
            Busy {
                start: slot_start - TimeDelta::minutes(5),
                end: slot_start + TimeDelta::minutes(20),
                service_id: Some(OTHER_SERVICE),
                slot_start,
                seats: 1,
            }
        })
        .collect();
    StaffCalendar {
        staff_id: Uuid::from_u128(id),
        zone: chrono_tz::Europe::Warsaw,
        weekly: weekly(),
        overrides: vec![],
        busy,
    }
}

fn service() -> ServiceRules {
    ServiceRules {
        service_id: SERVICE,
        duration_min: 30,
        buffer_before_min: 10,
        buffer_after_min: 10,
        min_notice_min: 60,
        max_advance_days: 60,
        step_min: 15,
        capacity: 1,
    }
}

fn availability(c: &mut Criterion) {
    let from = at("2026-02-28T23:00:00Z");
    let to = at("2026-03-31T22:00:00Z");
    let now = at("2026-02-27T12:00:00Z");
    let service = service();

    let one = staff(1, 500);
    // Guard against measuring an empty month.
    let listed = slots_for_staff(&one, &service, &[], from, to, now).len();
    assert!(listed > 50, "only {listed} slots");
    c.bench_function("one_staff_31_days_500_bookings", |b| {
        b.iter(|| slots_for_staff(black_box(&one), &service, &[], from, to, now))
    });

    let team: Vec<StaffCalendar> = (1..=20).map(|id| staff(id, 100)).collect();
    let listed = slots_for_anyone(&team, &service, &[], from, to, now).len();
    assert!(listed > 500, "only {listed} slots");
    c.bench_function("anyone_20_staff_31_days", |b| {
        b.iter(|| slots_for_anyone(black_box(&team), &service, &[], from, to, now))
    });
}

criterion_group!(benches, availability);
criterion_main!(benches);
