//! `.ics` files for bookings (RFC 5545), built with the icalendar crate.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

/// One booking as a calendar event. `sequence` grows with each change so
/// calendar programs replace the earlier version (same `uid`).
pub struct CalendarEvent<'a> {
    pub uid: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    pub location: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub sequence: u32,
    pub cancelled: bool,
}

pub fn booking_ics(e: &CalendarEvent<'_>, now: DateTime<Utc>) -> String {
    let mut event = Event::new();
    event
        .uid(e.uid)
        .summary(e.summary)
        .description(e.description)
        .location(e.location)
        .starts(e.start)
        .ends(e.end)
        .timestamp(now)
        .sequence(e.sequence)
        .status(if e.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    let mut calendar = Calendar::new();
    calendar.push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_has_the_required_lines() {
        let start = DateTime::parse_from_rfc3339("2026-03-29T07:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let ics = booking_ics(
            &CalendarEvent {
                uid: "b1@termino",
                summary: "Strzyżenie — Salon Ola",
                description: "Zarządzaj: https://example.com/b/ola/manage/x",
                location: "Salon Ola",
                start,
                end: start + chrono::Duration::minutes(45),
                sequence: 0,
                cancelled: false,
            },
            start,
        );
        for line in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "UID:b1@termino",
            "DTSTART:20260329T070000Z",
            "DTEND:20260329T074500Z",
            "STATUS:CONFIRMED",
            "END:VCALENDAR",
        ] {
            assert!(ics.contains(line), "{line} missing in {ics}");
        }
    }
}
