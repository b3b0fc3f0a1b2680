//! Properties over random hours, bookings, rules and zones around DST changes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use uuid::Uuid;

use super::*;

const SERVICE: Uuid = Uuid::from_u128(0x5e);
const OTHER_SERVICE: Uuid = Uuid::from_u128(0x07);
const ZONES: [Tz; 3] = [
    chrono_tz::Europe::Warsaw,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
];
/// 2026 transition dates of the three zones.
const TRANSITIONS: [(u32, u32); 6] = [(3, 29), (10, 25), (3, 8), (11, 1), (4, 5), (10, 4)];
/// All zones' offsets are whole half hours, so 5-minute steps hit every grid start.
const UNIT: i64 = 5;
const UNITS_PER_DAY: i64 = 24 * 60 / UNIT;

fn units(n: i64) -> TimeDelta {
    TimeDelta::minutes(n * UNIT)
}

fn minutes(m: u32) -> TimeDelta {
    TimeDelta::minutes(i64::from(m))
}

#[derive(Debug, Clone)]
struct Scenario {
    staff: StaffCalendar,
    service: ServiceRules,
    closures: Vec<Closure>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
}

/// Sorted, non-overlapping intervals on a 5-minute grid.
fn day_hours() -> impl Strategy<Value = Vec<LocalInterval>> {
    let cuts = prop_oneof![1 => Just(vec![]), 9 => prop::collection::vec(0u16..=288, 2..9)];
    cuts.prop_map(|mut cuts| {
        cuts.sort_unstable();
        cuts.dedup();
        cuts.chunks_exact(2)
            .map(|c| LocalInterval::new(c[0] * 5, c[1] * 5).unwrap())
            .collect()
    })
}

fn week() -> impl Strategy<Value = WeeklyHours> {
    prop::array::uniform7(day_hours()).prop_map(|days| WeeklyHours { days })
}

fn service_rules(capacity: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = ServiceRules> {
    (
        1u32..=36,
        1u32..=24,
        0u32..=6,
        0u32..=6,
        prop_oneof![Just(0u32), 0u32..=60],
        prop_oneof![2 => Just(60u32), 1 => 0u32..=6],
        capacity,
    )
        .prop_map(
            |(duration, step, before, after, notice, advance, capacity)| ServiceRules {
                service_id: SERVICE,
                duration_min: duration * 5,
                buffer_before_min: before * 5,
                buffer_after_min: after * 5,
                min_notice_min: notice * 5,
                max_advance_days: advance,
                step_min: step * 5,
                capacity,
            },
        )
}

/// Where the query window lies: near one of the transitions, in one of the zones.
#[derive(Debug, Clone)]
struct Frame {
    zone: Tz,
    anchor: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
}

fn frame() -> impl Strategy<Value = Frame> {
    (
        0usize..ZONES.len(),
        0usize..TRANSITIONS.len(),
        -2i64..=1,
        0i64..UNITS_PER_DAY,
        prop_oneof![1 => 1i64..UNITS_PER_DAY, 9 => UNITS_PER_DAY..=3 * UNITS_PER_DAY],
        -UNITS_PER_DAY..=UNITS_PER_DAY / 4,
        prop_oneof![Just(0i64), 0i64..60],
    )
        .prop_map(|(zone, day, shift, start, len, now_at, now_secs)| {
            let (m, d) = TRANSITIONS[day];
            let day = NaiveDate::from_ymd_opt(2026, m, d).unwrap();
            let anchor = day.and_hms_opt(0, 0, 0).unwrap().and_utc() + TimeDelta::days(shift);
            let from = anchor + units(start);
            Frame {
                zone: ZONES[zone],
                anchor,
                from,
                to: from + units(len),
                now: from + units(now_at) + TimeDelta::seconds(now_secs),
            }
        })
}

/// (start offset from a day before the anchor, length, kind, seats), in 5-minute units.
type RawBusy = (i64, i64, u8, u32);

fn raw_busy() -> impl Strategy<Value = Vec<RawBusy>> {
    prop::collection::vec(
        (0i64..6 * UNITS_PER_DAY, 1i64..=48, 0u8..3, 1u32..=3),
        0..20,
    )
}

fn make_busy(raw: &[RawBusy], anchor: DateTime<Utc>, service: &ServiceRules) -> Vec<Busy> {
    raw.iter()
        .map(|&(start, len, kind, seats)| {
            let slot_start = anchor - TimeDelta::days(1) + units(start);
            match kind {
                // A booking of this same service, with its buffers, as the app would store it.
                0 => Busy {
                    start: slot_start - minutes(service.buffer_before_min),
                    end: slot_start
                        + minutes(service.duration_min)
                        + minutes(service.buffer_after_min),
                    service_id: Some(SERVICE),
                    slot_start,
                    seats,
                },
                1 => Busy {
                    start: slot_start,
                    end: slot_start + units(len),
                    service_id: Some(OTHER_SERVICE),
                    slot_start,
                    seats,
                },
                // A private block-out, not a service.
                _ => Busy {
                    start: slot_start,
                    end: slot_start + units(len),
                    service_id: None,
                    slot_start,
                    seats: 1,
                },
            }
        })
        .collect()
}

fn overrides() -> impl Strategy<Value = Vec<(i64, Vec<LocalInterval>)>> {
    prop::collection::vec((-2i64..6, day_hours()), 0..3)
}

fn make_overrides(raw: Vec<(i64, Vec<LocalInterval>)>, anchor: DateTime<Utc>) -> Vec<DayOverride> {
    let mut out: Vec<DayOverride> = Vec::new();
    for (shift, intervals) in raw {
        let date = anchor.date_naive() + TimeDelta::days(shift);
        if out.iter().all(|o| o.date != date) {
            out.push(DayOverride { date, intervals });
        }
    }
    out
}

fn closures() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..6 * UNITS_PER_DAY, 1i64..=48), 0..3)
}

fn make_closures(raw: &[(i64, i64)], anchor: DateTime<Utc>) -> Vec<Closure> {
    raw.iter()
        .map(|&(start, len)| {
            let start = anchor - TimeDelta::days(1) + units(start);
            Closure {
                start,
                end: start + units(len),
            }
        })
        .collect()
}

fn scenario_with(capacity: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = Scenario> {
    (
        frame(),
        week(),
        overrides(),
        service_rules(capacity),
        raw_busy(),
        closures(),
    )
        .prop_map(|(frame, weekly, overrides, service, busy, closed)| {
            let staff = StaffCalendar {
                staff_id: Uuid::from_u128(1),
                zone: frame.zone,
                weekly,
                overrides: make_overrides(overrides, frame.anchor),
                busy: make_busy(&busy, frame.anchor, &service),
            };
            let closures = make_closures(&closed, frame.anchor);
            Scenario {
                staff,
                service,
                closures,
                from: frame.from,
                to: frame.to,
                now: frame.now,
            }
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    scenario_with(1..=3)
}

fn slots(sc: &Scenario) -> Vec<Slot> {
    slots_for_staff(&sc.staff, &sc.service, &sc.closures, sc.from, sc.to, sc.now)
}

/// Independent of the engine: the override for the date, else the weekday's hours.
fn hours_for(staff: &StaffCalendar, date: NaiveDate) -> &[LocalInterval] {
    match staff.overrides.iter().find(|o| o.date == date) {
        Some(o) => &o.intervals,
        None => &staff.weekly.days[date.weekday().num_days_from_monday() as usize],
    }
}

fn local(zone: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&zone).naive_local()
}

/// Read on the staff member's wall clock: the start is a grid start of an
/// interval, and the clock shows a time before that interval's end throughout.
fn within_working_hours(sc: &Scenario, slot: &Slot) -> bool {
    let zone = sc.staff.zone;
    let start = local(zone, slot.start);
    let midnight = start.date().and_hms_opt(0, 0, 0).unwrap();
    hours_for(&sc.staff, start.date()).iter().any(|iv| {
        let iv_start = midnight + TimeDelta::minutes(iv.start().into());
        let iv_end = midnight + TimeDelta::minutes(iv.end().into());
        let on_grid = start >= iv_start
            && (start - iv_start).num_seconds() % (i64::from(sc.service.step_min) * 60) == 0;
        let mut t = slot.start;
        let mut before_end = true;
        while t < slot.end {
            before_end &= local(zone, t) < iv_end;
            t += units(1);
        }
        on_grid && before_end
    })
}

fn overlaps(a: (DateTime<Utc>, DateTime<Utc>), b: (DateTime<Utc>, DateTime<Utc>)) -> bool {
    a.0 < a.1 && b.0 < b.1 && a.0 < b.1 && b.0 < a.1
}

fn obeys_the_rules(sc: &Scenario) -> Result<(), TestCaseError> {
    let slots = slots(sc);
    let service = &sc.service;
    for pair in slots.windows(2) {
        prop_assert!(pair[0].start < pair[1].start);
    }
    for slot in &slots {
        prop_assert!(slot.start >= sc.from && slot.start < sc.to);
        prop_assert_eq!(slot.end - slot.start, minutes(service.duration_min));
        prop_assert!(slot.start >= sc.now + minutes(service.min_notice_min));
        prop_assert!(slot.start <= sc.now + TimeDelta::days(service.max_advance_days.into()));
        prop_assert!(within_working_hours(sc, slot), "outside hours: {:?}", slot);
        for c in &sc.closures {
            prop_assert!(!overlaps((slot.start, slot.end), (c.start, c.end)));
        }
        let occupied = (
            slot.start - minutes(service.buffer_before_min),
            slot.end + minutes(service.buffer_after_min),
        );
        let mut taken = 0;
        for b in sc
            .staff
            .busy
            .iter()
            .filter(|b| overlaps(occupied, (b.start, b.end)))
        {
            // Appointments never overlap anything; classes only their own sessions.
            prop_assert!(service.capacity > 1, "overlaps {:?}", b);
            prop_assert_eq!(b.service_id, Some(SERVICE));
            prop_assert_eq!(b.slot_start, slot.start);
            taken += b.seats;
        }
        prop_assert!(taken < service.capacity);
        prop_assert_eq!(slot.seats_left, service.capacity - taken);
    }
    Ok(())
}

fn listing_and_checking_agree_in(sc: &Scenario, odd_seconds: &[i64]) -> Result<(), TestCaseError> {
    let slots = slots(sc);
    let listed: BTreeMap<DateTime<Utc>, &Slot> = slots.iter().map(|s| (s.start, s)).collect();
    for slot in &slots {
        let checked = check_slot(&sc.staff, &sc.service, &sc.closures, slot.start, sc.now);
        prop_assert_eq!(checked.as_ref(), Ok(slot));
    }
    let mut t = sc.from;
    while t < sc.to {
        let checked = check_slot(&sc.staff, &sc.service, &sc.closures, t, sc.now);
        prop_assert_eq!(
            checked.as_ref().ok(),
            listed.get(&t).copied(),
            "at {}: {:?}",
            t,
            checked
        );
        t += units(1);
    }
    for &s in odd_seconds {
        let t = sc.from + TimeDelta::seconds(s);
        let checked = check_slot(&sc.staff, &sc.service, &sc.closures, t, sc.now);
        prop_assert_eq!(checked.is_ok(), t < sc.to && listed.contains_key(&t));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_slot_obeys_the_rules(sc in scenario()) {
        obeys_the_rules(&sc)?;
    }

    #[test]
    fn listing_and_checking_agree(sc in scenario(), odd_seconds in prop::collection::vec(1i64..86_400, 5)) {
        listing_and_checking_agree_in(&sc, &odd_seconds)?;
    }

    #[test]
    fn class_bookings_take_seats(sc in scenario_with(2..=4), picks in prop::collection::vec((any::<prop::sample::Index>(), 1u32..=4), 1..6)) {
        let mut sc = sc;
        sc.staff.busy.clear();
        let free = slots(&sc);
        prop_assume!(!free.is_empty());
        let service = sc.service.clone();
        for (index, seats) in picks {
            let at = free[index.index(free.len())].start;
            sc.staff.busy.push(Busy {
                start: at - minutes(service.buffer_before_min),
                end: at + minutes(service.duration_min + service.buffer_after_min),
                service_id: Some(SERVICE),
                slot_start: at,
                seats,
            });
        }
        let after: BTreeMap<DateTime<Utc>, u32> =
            slots(&sc).into_iter().map(|s| (s.start, s.seats_left)).collect();
        for slot in &free {
            let occupied = (
                slot.start - minutes(service.buffer_before_min),
                slot.end + minutes(service.buffer_after_min),
            );
            let mut blocked = false;
            let mut taken = 0;
            for b in sc.staff.busy.iter().filter(|b| overlaps(occupied, (b.start, b.end))) {
                if b.slot_start == slot.start { taken += b.seats } else { blocked = true }
            }
            let expected = (!blocked && taken < service.capacity).then(|| service.capacity - taken);
            prop_assert_eq!(after.get(&slot.start).copied(), expected);
        }
        obeys_the_rules(&sc)?;
        listing_and_checking_agree_in(&sc, &[])?;
    }

    #[test]
    fn anyone_is_the_union_of_each_staff(
        frame in frame(),
        team in prop::collection::vec((0usize..ZONES.len(), week(), raw_busy()), 1..4),
        service in service_rules(1..=3),
        closed in closures(),
    ) {
        let calendars: Vec<StaffCalendar> = team
            .into_iter()
            .enumerate()
            .map(|(i, (zone, weekly, busy))| StaffCalendar {
                // Ids in reverse order of the input so sorting is tested.
                staff_id: Uuid::from_u128(100 - i as u128),
                zone: ZONES[zone],
                weekly,
                overrides: vec![],
                busy: make_busy(&busy, frame.anchor, &service),
            })
            .collect();
        let closures = make_closures(&closed, frame.anchor);
        let mut expected: BTreeMap<DateTime<Utc>, AnySlot> = BTreeMap::new();
        for staff in &calendars {
            for slot in slots_for_staff(staff, &service, &closures, frame.from, frame.to, frame.now) {
                let entry = expected.entry(slot.start).or_insert(AnySlot {
                    start: slot.start,
                    end: slot.end,
                    staff: vec![],
                });
                prop_assert_eq!(entry.end, slot.end);
                entry.staff.push((staff.staff_id, slot.seats_left));
            }
        }
        let expected: Vec<AnySlot> = expected
            .into_values()
            .map(|mut slot| {
                slot.staff.sort();
                slot
            })
            .collect();
        let any = slots_for_anyone(&calendars, &service, &closures, frame.from, frame.to, frame.now);
        prop_assert_eq!(any, expected);
    }

    #[test]
    fn starts_are_whole_minutes_on_the_local_grid(sc in scenario()) {
        for slot in slots(&sc) {
            let start = local(sc.staff.zone, slot.start);
            prop_assert_eq!(start.second(), 0);
            prop_assert_eq!(start.nanosecond(), 0);
        }
    }
}
