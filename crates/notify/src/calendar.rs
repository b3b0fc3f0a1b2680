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

/// A value as RFC 5545 TEXT can hold it (§3.3.11): every line break (CRLF,
/// LF or a bare CR, which lenient readers take for the end of a line) is
/// one LF, and other control characters, which TEXT does not allow, are
/// dropped. The icalendar crate then escapes `\`, `;`, `,` and LF and folds
/// lines at 75 octets on character boundaries; it leaves CR alone, hence
/// this.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

pub fn booking_ics(e: &CalendarEvent<'_>, now: DateTime<Utc>) -> String {
    let mut event = Event::new();
    event
        .uid(&text(e.uid))
        .summary(&text(e.summary))
        .description(&text(e.description))
        .location(&text(e.location))
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
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    /// Issue 20, item 19: text can neither end a content line nor start a
    /// property, and reads back as written.
    #[test]
    fn ics_text_values_are_escaped_per_rfc5545() {
        let start = DateTime::parse_from_rfc3339("2026-03-29T07:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        let summary = "Cut\r\nATTENDEE:mailto:evil@example.com";
        let description = "Notes; with, commas \\ and a backslash\nsecond line";
        // A bare CR ends a line for lenient readers; long Polish text folds.
        let location = format!(
            "Salon Ola\rATTENDEE:mailto:evil@example.com; {}",
            "ul. Żółkiewskiego 5, Kraków, ".repeat(4)
        );
        let ics = booking_ics(
            &CalendarEvent {
                uid: "b1@termino",
                summary,
                description,
                location: &location,
                start,
                end: start + chrono::Duration::minutes(45),
                sequence: 0,
                cancelled: false,
            },
            start,
        );
        assert!(ics.ends_with("\r\n"));
        for line in ics.trim_end_matches("\r\n").split("\r\n") {
            assert!(
                !line.contains(['\r', '\n']),
                "a bare line break in {line:?}"
            );
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
            assert!(
                !line.chars().any(|c| c.is_control() && c != '\t'),
                "a control character in {line:?}"
            );
        }
        for line in ics.split(['\r', '\n']) {
            assert!(!line.starts_with("ATTENDEE"), "{ics}");
        }
        let parsed: icalendar::Calendar = ics.parse().unwrap();
        let event = parsed.events().next().expect("one event");
        assert!(event.multi_properties().get("ATTENDEE").is_none());
        assert!(event.properties().get("ATTENDEE").is_none());
        // A line break is a line break (RFC 5545 knows only `\n`).
        assert_eq!(
            event.get_summary(),
            Some("Cut\nATTENDEE:mailto:evil@example.com")
        );
        assert_eq!(event.get_description(), Some(description));
        assert_eq!(
            event.get_location(),
            Some(location.replace('\r', "\n").as_str())
        );
    }

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
