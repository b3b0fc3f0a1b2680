//! Concrete cases: DST days in three zones, buffers, closures, classes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Australia::Lord_Howe;
use chrono_tz::Europe::Warsaw;
use chrono_tz::Tz;
use uuid::Uuid;

use super::*;

const SERVICE: Uuid = Uuid::from_u128(0x5e);
const OTHER_SERVICE: Uuid = Uuid::from_u128(0x07);

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hm(s: &str) -> u16 {
    let (h, m) = s.split_once(':').unwrap();
    h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
}

fn iv(start: &str, end: &str) -> LocalInterval {
    LocalInterval::new(hm(start), hm(end)).unwrap()
}

fn every_day(zone: Tz, hours: Vec<LocalInterval>) -> StaffCalendar {
    StaffCalendar {
        staff_id: Uuid::from_u128(1),
        zone,
        weekly: WeeklyHours {
            days: std::array::from_fn(|_| hours.clone()),
        },
        overrides: vec![],
        busy: vec![],
    }
}

fn rules(duration_min: u32, step_min: u32) -> ServiceRules {
    ServiceRules {
        service_id: SERVICE,
        duration_min,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        max_advance_days: 3650,
        step_min,
        capacity: 1,
    }
}

fn now() -> DateTime<Utc> {
    utc("2026-01-01T00:00:00Z")
}

/// From local midnight of `day` to the next local midnight.
fn local_day(zone: Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    (start(day), start(day.succ_opt().unwrap()))
}

fn slots_on(staff: &StaffCalendar, service: &ServiceRules, day: NaiveDate) -> Vec<Slot> {
    let (from, to) = local_day(staff.zone, day);
    slots_for_staff(staff, service, &[], from, to, now())
}

fn local_times(zone: Tz, slots: &[Slot]) -> Vec<String> {
    slots
        .iter()
        .map(|s| s.start.with_timezone(&zone).format("%H:%M").to_string())
        .collect()
}

fn starts(slots: &[Slot]) -> Vec<DateTime<Utc>> {
    slots.iter().map(|s| s.start).collect()
}

const DST_DAYS: [(Tz, (i32, u32, u32), &str); 6] = [
    (Warsaw, (2026, 3, 29), "2026-03-29T07:00:00Z"),
    (Warsaw, (2026, 10, 25), "2026-10-25T08:00:00Z"),
    (New_York, (2026, 3, 8), "2026-03-08T13:00:00Z"),
    (New_York, (2026, 11, 1), "2026-11-01T14:00:00Z"),
    (Lord_Howe, (2026, 4, 5), "2026-04-04T22:30:00Z"),
    (Lord_Howe, (2026, 10, 4), "2026-10-03T22:00:00Z"),
];

#[test]
fn nine_to_five_stays_nine_to_five_on_dst_days() {
    for (zone, (y, m, d), first_utc) in DST_DAYS {
        let staff = every_day(zone, vec![iv("09:00", "17:00")]);
        let slots = slots_on(&staff, &rules(60, 60), date(y, m, d));
        assert_eq!(
            local_times(zone, &slots),
            [
                "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"
            ],
            "{zone} {y}-{m}-{d}"
        );
        assert_eq!(slots[0].start, utc(first_utc), "{zone}");
        for slot in &slots {
            assert_eq!(slot.end - slot.start, TimeDelta::minutes(60));
            assert_eq!(slot.start.with_timezone(&zone).date_naive(), date(y, m, d));
        }
    }
}

#[test]
fn the_day_before_and_after_a_transition_keep_local_hours() {
    for (zone, (y, m, d), _) in DST_DAYS {
        let staff = every_day(zone, vec![iv("09:00", "17:00")]);
        for day in [
            date(y, m, d).pred_opt().unwrap(),
            date(y, m, d).succ_opt().unwrap(),
        ] {
            let slots = slots_on(&staff, &rules(30, 30), day);
            let local = local_times(zone, &slots);
            assert_eq!(local.len(), 16, "{zone} {day}");
            assert_eq!(local.first().unwrap(), "09:00");
            assert_eq!(local.last().unwrap(), "16:30");
        }
    }
}

#[test]
fn warsaw_spring_forward_skips_the_missing_hour() {
    let staff = every_day(Warsaw, vec![iv("01:00", "04:00")]);
    let slots = slots_on(&staff, &rules(30, 30), date(2026, 3, 29));
    assert_eq!(
        local_times(Warsaw, &slots),
        ["01:00", "01:30", "03:00", "03:30"]
    );
    assert_eq!(
        starts(&slots),
        [
            utc("2026-03-29T00:00:00Z"),
            utc("2026-03-29T00:30:00Z"),
            utc("2026-03-29T01:00:00Z"),
            utc("2026-03-29T01:30:00Z"),
        ]
    );
}

#[test]
fn warsaw_fall_back_uses_the_first_occurrence() {
    let staff = every_day(Warsaw, vec![iv("01:00", "04:00")]);
    let service = rules(30, 30);
    let slots = slots_on(&staff, &service, date(2026, 10, 25));
    assert_eq!(
        local_times(Warsaw, &slots),
        ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    );
    assert_eq!(
        starts(&slots),
        [
            utc("2026-10-24T23:00:00Z"),
            utc("2026-10-24T23:30:00Z"),
            utc("2026-10-25T00:00:00Z"),
            utc("2026-10-25T00:30:00Z"),
            utc("2026-10-25T02:00:00Z"),
            utc("2026-10-25T02:30:00Z"),
        ]
    );
    // 02:00 and 02:30 CET, the second occurrences, are not offered.
    for second in ["2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z"] {
        assert_eq!(
            check_slot(&staff, &service, &[], utc(second), now()),
            Err(SlotProblem::NotOnStepGrid)
        );
    }
}

#[test]
fn new_york_transitions() {
    let staff = every_day(New_York, vec![iv("01:00", "04:00")]);
    let spring = slots_on(&staff, &rules(30, 30), date(2026, 3, 8));
    assert_eq!(
        local_times(New_York, &spring),
        ["01:00", "01:30", "03:00", "03:30"]
    );
    assert_eq!(spring[2].start, utc("2026-03-08T07:00:00Z"));

    let fall = slots_on(&staff, &rules(30, 30), date(2026, 11, 1));
    assert_eq!(
        starts(&fall),
        [
            utc("2026-11-01T05:00:00Z"), // 01:00 EDT
            utc("2026-11-01T05:30:00Z"), // 01:30 EDT
            utc("2026-11-01T07:00:00Z"), // 02:00 EST
            utc("2026-11-01T07:30:00Z"),
            utc("2026-11-01T08:00:00Z"),
            utc("2026-11-01T08:30:00Z"), // 03:30 EST, ends 04:00
        ]
    );
}

#[test]
fn lord_howe_half_hour_transitions() {
    let staff = every_day(Lord_Howe, vec![iv("01:00", "04:00")]);
    // 2026-10-04: 02:00 +10:30 jumps to 02:30 +11.
    let spring = slots_on(&staff, &rules(30, 30), date(2026, 10, 4));
    assert_eq!(
        local_times(Lord_Howe, &spring),
        ["01:00", "01:30", "02:30", "03:00", "03:30"]
    );
    assert_eq!(spring[2].start, utc("2026-10-03T15:30:00Z"));

    // 2026-04-05: 02:00 +11 falls back to 01:30 +10:30.
    let fall = slots_on(&staff, &rules(30, 30), date(2026, 4, 5));
    assert_eq!(
        starts(&fall),
        [
            utc("2026-04-04T14:00:00Z"), // 01:00 +11
            utc("2026-04-04T14:30:00Z"), // 01:30 +11, first occurrence
            utc("2026-04-04T15:30:00Z"), // 02:00 +10:30
            utc("2026-04-04T16:00:00Z"),
            utc("2026-04-04T16:30:00Z"),
            utc("2026-04-04T17:00:00Z"), // 03:30, ends 04:00
        ]
    );
}

#[test]
fn working_hours_ending_in_the_gap_end_at_the_jump() {
    let staff = every_day(Warsaw, vec![iv("01:00", "02:30")]);
    let slots = slots_on(&staff, &rules(30, 30), date(2026, 3, 29));
    assert_eq!(local_times(Warsaw, &slots), ["01:00", "01:30"]);
    assert_eq!(slots[1].end, utc("2026-03-29T01:00:00Z"));
}

#[test]
fn results_are_deterministic() {
    for (zone, (y, m, d), _) in DST_DAYS {
        let mut staff = every_day(zone, vec![iv("00:00", "04:00"), iv("09:00", "17:00")]);
        let (from, to) = local_day(zone, date(y, m, d));
        staff.busy = (0..6)
            .map(|i| {
                let start = from + TimeDelta::minutes(i * 97);
                Busy {
                    start,
                    end: start + TimeDelta::minutes(40),
                    service_id: None,
                    slot_start: start,
                    seats: 1,
                }
            })
            .collect();
        let service = rules(45, 15);
        let first = slots_for_staff(&staff, &service, &[], from, to, now());
        staff.busy.reverse();
        for _ in 0..3 {
            assert_eq!(
                slots_for_staff(&staff, &service, &[], from, to, now()),
                first
            );
        }
    }
}

#[test]
fn hours_until_midnight() {
    let staff = every_day(Warsaw, vec![iv("22:00", "24:00")]);
    let slots = slots_on(&staff, &rules(60, 60), date(2026, 6, 1));
    assert_eq!(local_times(Warsaw, &slots), ["22:00", "23:00"]);
}

#[test]
fn breaks_split_the_day() {
    let staff = every_day(Warsaw, vec![iv("09:00", "12:00"), iv("12:45", "14:00")]);
    let slots = slots_on(&staff, &rules(60, 30), date(2026, 6, 1));
    assert_eq!(
        local_times(Warsaw, &slots),
        ["09:00", "09:30", "10:00", "10:30", "11:00", "12:45"]
    );
}

#[test]
fn overrides_replace_the_weekday() {
    let mut staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    staff.overrides = vec![
        DayOverride {
            date: date(2026, 6, 1),
            intervals: vec![],
        },
        DayOverride {
            date: date(2026, 6, 2),
            intervals: vec![iv("18:00", "20:00")],
        },
    ];
    assert!(slots_on(&staff, &rules(60, 60), date(2026, 6, 1)).is_empty());
    assert_eq!(
        local_times(Warsaw, &slots_on(&staff, &rules(60, 60), date(2026, 6, 2))),
        ["18:00", "19:00"]
    );
}

fn busy(start: &str, end: &str) -> Busy {
    Busy {
        start: utc(start),
        end: utc(end),
        service_id: Some(OTHER_SERVICE),
        slot_start: utc(start),
        seats: 1,
    }
}

#[test]
fn buffers_keep_distance_from_bookings_but_may_leave_working_hours() {
    // 2026-06-01 Warsaw is UTC+2: 09:00 local = 07:00Z.
    let mut staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    staff.busy = vec![
        busy("2026-06-01T06:00:00Z", "2026-06-01T06:50:00Z"), // touches 09:00's buffer
        busy("2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z"), // 10:00–11:00 local
    ];
    let mut service = rules(30, 15);
    service.buffer_before_min = 10;
    service.buffer_after_min = 10;
    let local = local_times(Warsaw, &slots_on(&staff, &service, date(2026, 6, 1)));
    let offered = |t: &str| local.iter().any(|l| l == t);
    assert!(offered("09:00"));
    assert!(offered("09:15")); // occupies 09:05–09:55
    assert!(!offered("09:30")); // would run into 10:00 with its buffer
    assert!(!offered("11:00")); // buffer before starts 10:50
    assert!(offered("11:15"));
    assert!(offered("16:30")); // buffer after runs to 17:10
    assert!(!offered("16:45"));

    assert_eq!(
        check_slot(&staff, &service, &[], utc("2026-06-01T07:30:00Z"), now()),
        Err(SlotProblem::Taken)
    );
}

#[test]
fn closures_block_the_service_but_not_its_buffers() {
    let staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    let mut service = rules(30, 15);
    service.buffer_after_min = 30;
    let closures = [Closure {
        start: utc("2026-06-01T10:00:00Z"), // 12:00 local
        end: utc("2026-06-01T11:00:00Z"),
    }];
    let (from, to) = local_day(Warsaw, date(2026, 6, 1));
    let local = local_times(
        Warsaw,
        &slots_for_staff(&staff, &service, &closures, from, to, now()),
    );
    let offered = |t: &str| local.iter().any(|l| l == t);
    assert!(offered("11:30"));
    assert!(!offered("11:45"));
    assert!(!offered("12:45"));
    assert!(offered("13:00"));
    assert_eq!(
        check_slot(
            &staff,
            &service,
            &closures,
            utc("2026-06-01T09:45:00Z"),
            now()
        ),
        Err(SlotProblem::Closed)
    );
}

#[test]
fn check_slot_explains_each_problem() {
    let staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    let mut service = rules(30, 15);
    service.min_notice_min = 120;
    service.max_advance_days = 7;
    let now = utc("2026-06-01T08:00:00Z"); // 10:00 local
    let check = |start: &str| check_slot(&staff, &service, &[], utc(start), now);

    assert_eq!(check("2026-06-01T07:45:00Z"), Err(SlotProblem::InPast));
    assert_eq!(check("2026-06-01T09:45:00Z"), Err(SlotProblem::TooSoon));
    assert!(check("2026-06-01T10:00:00Z").is_ok());
    assert!(check("2026-06-08T08:00:00Z").is_ok());
    assert_eq!(check("2026-06-08T08:15:00Z"), Err(SlotProblem::TooFarAhead));
    assert_eq!(
        check("2026-06-02T06:00:00Z"),
        Err(SlotProblem::OutsideWorkingHours)
    );
    assert_eq!(
        check("2026-06-02T10:05:00Z"),
        Err(SlotProblem::NotOnStepGrid)
    );
    assert_eq!(
        check("2026-06-02T10:00:30Z"),
        Err(SlotProblem::NotOnStepGrid)
    );
    // 16:45 local would end at 17:15.
    assert_eq!(
        check("2026-06-02T14:45:00Z"),
        Err(SlotProblem::OutsideWorkingHours)
    );
    assert_eq!(
        check("2026-06-02T14:30:00Z"),
        Ok(Slot {
            start: utc("2026-06-02T14:30:00Z"),
            end: utc("2026-06-02T15:00:00Z"),
            seats_left: 1,
        })
    );
}

fn class_booking(slot_start: &str, seats: u32) -> Busy {
    let start = utc(slot_start);
    Busy {
        start,
        end: start + TimeDelta::minutes(60),
        service_id: Some(SERVICE),
        slot_start: start,
        seats,
    }
}

#[test]
fn classes_count_seats() {
    let mut staff = every_day(Warsaw, vec![iv("18:00", "19:00")]);
    let mut service = rules(60, 60);
    service.capacity = 3;
    let day = date(2026, 6, 1);
    let at = "2026-06-01T16:00:00Z";

    staff.busy = vec![class_booking(at, 1), class_booking(at, 1)];
    let slots = slots_on(&staff, &service, day);
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].seats_left, 1);
    assert_eq!(
        check_slot(&staff, &service, &[], utc(at), now()).map(|s| s.seats_left),
        Ok(1)
    );

    staff.busy.push(class_booking(at, 1));
    assert!(slots_on(&staff, &service, day).is_empty());
    assert_eq!(
        check_slot(&staff, &service, &[], utc(at), now()),
        Err(SlotProblem::Taken)
    );
}

#[test]
fn classes_are_blocked_by_anything_else() {
    let mut staff = every_day(Warsaw, vec![iv("18:00", "20:00")]);
    let mut service = rules(60, 30);
    service.capacity = 5;
    let day = date(2026, 6, 1);

    // Same class at 18:00 blocks the 18:30 start: the teacher is busy.
    staff.busy = vec![class_booking("2026-06-01T16:00:00Z", 1)];
    let slots = slots_on(&staff, &service, day);
    assert_eq!(local_times(Warsaw, &slots), ["18:00", "19:00"]);
    assert_eq!(slots[0].seats_left, 4);
    assert_eq!(slots[1].seats_left, 5);

    // Another service at the same time blocks the class.
    staff
        .busy
        .push(busy("2026-06-01T16:00:00Z", "2026-06-01T16:10:00Z"));
    assert_eq!(
        local_times(Warsaw, &slots_on(&staff, &service, day)),
        ["19:00"]
    );
}

#[test]
fn appointments_ignore_seat_counts() {
    let mut staff = every_day(Warsaw, vec![iv("18:00", "19:00")]);
    let mut booking = class_booking("2026-06-01T16:00:00Z", 0);
    booking.seats = 0;
    staff.busy = vec![booking];
    assert!(slots_on(&staff, &rules(60, 60), date(2026, 6, 1)).is_empty());
}

#[test]
fn anyone_merges_staff_sorted_by_id() {
    let mut anna = every_day(Warsaw, vec![iv("09:00", "11:00")]);
    anna.staff_id = Uuid::from_u128(20);
    let mut bartek = every_day(Warsaw, vec![iv("10:00", "12:00")]);
    bartek.staff_id = Uuid::from_u128(10);
    let (from, to) = local_day(Warsaw, date(2026, 6, 1));
    let any = slots_for_anyone(&[anna, bartek], &rules(60, 60), &[], from, to, now());
    let who: Vec<Vec<u128>> = any
        .iter()
        .map(|s| s.staff.iter().map(|(id, _)| id.as_u128()).collect())
        .collect();
    assert_eq!(who, [vec![20], vec![10, 20], vec![10]]);
    assert_eq!(any[1].start, utc("2026-06-01T08:00:00Z"));
    assert_eq!(any[1].end, utc("2026-06-01T09:00:00Z"));
}

#[test]
fn fair_pick_prefers_fewest_bookings_then_lowest_id() {
    let slot = AnySlot {
        start: now(),
        end: now(),
        staff: vec![
            (Uuid::from_u128(1), 1),
            (Uuid::from_u128(2), 1),
            (Uuid::from_u128(3), 1),
        ],
    };
    let counts = HashMap::from([(Uuid::from_u128(1), 5), (Uuid::from_u128(2), 2)]);
    assert_eq!(fair_pick(&slot, &counts), Some(Uuid::from_u128(3)));
    let counts = HashMap::from([
        (Uuid::from_u128(1), 2),
        (Uuid::from_u128(2), 2),
        (Uuid::from_u128(3), 4),
    ]);
    assert_eq!(fair_pick(&slot, &counts), Some(Uuid::from_u128(1)));
    let empty = AnySlot {
        staff: vec![],
        ..slot
    };
    assert_eq!(fair_pick(&empty, &counts), None);
}

#[test]
fn degenerate_rules_offer_nothing() {
    let staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    let day = date(2026, 6, 1);
    assert!(slots_on(&staff, &rules(30, 0), day).is_empty());
    let mut no_seats = rules(30, 30);
    no_seats.capacity = 0;
    assert!(slots_on(&staff, &no_seats, day).is_empty());
    assert_eq!(
        check_slot(&staff, &no_seats, &[], utc("2026-06-01T08:00:00Z"), now()),
        Err(SlotProblem::Taken)
    );
}

#[test]
fn overlapping_hours_do_not_list_a_start_twice() {
    let staff = every_day(Warsaw, vec![iv("09:00", "11:00"), iv("10:00", "12:00")]);
    let slots = slots_on(&staff, &rules(60, 60), date(2026, 6, 1));
    assert_eq!(local_times(Warsaw, &slots), ["09:00", "10:00", "11:00"]);
}

#[test]
fn a_whole_month_across_spring_forward() {
    let staff = every_day(Warsaw, vec![iv("09:00", "13:00"), iv("13:30", "17:00")]);
    let from = utc("2026-03-01T00:00:00Z");
    let to = utc("2026-04-01T00:00:00Z");
    let slots = slots_for_staff(&staff, &rules(30, 15), &[], from, to, now());
    // 31 days × (15 + 13) starts.
    assert_eq!(slots.len(), 31 * 28);
}

#[test]
fn a_century_wide_query_only_walks_the_booking_window() {
    let staff = every_day(Warsaw, vec![iv("09:00", "17:00")]);
    let mut service = rules(60, 60);
    service.max_advance_days = 7;
    let slots = slots_for_staff(
        &staff,
        &service,
        &[],
        utc("2000-01-01T00:00:00Z"),
        utc("2100-01-01T00:00:00Z"),
        utc("2026-06-01T00:00:00Z"),
    );
    // 1–7 June; 8 June 09:00 is past the seven-day limit.
    assert_eq!(slots.len(), 7 * 8);
    assert_eq!(slots[0].start, utc("2026-06-01T07:00:00Z"));
}
