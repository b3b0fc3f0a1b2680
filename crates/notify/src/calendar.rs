//! `.ics` files for bookings (RFC 5545), built with the icalendar crate.

use chrono::{DateTime, Duration, Utc};
use icalendar::{
    Alarm, Attendee, Calendar, Component, Event, EventLike, EventStatus, PartStat, Property, Role,
    Trigger,
};

/// What a calendar file asks of the program that opens it (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A copy to keep (a download, a feed): nobody to answer.
    Publish,
    /// An invitation, or its update when SEQUENCE grew.
    Request,
    /// The event is off: calendars remove it (same UID, higher SEQUENCE).
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The MIME type of a file with this method (RFC 6047 wants it there too).
    pub fn content_type(self) -> String {
        format!("text/calendar; charset=utf-8; method={}", self.as_str())
    }
}

/// Where the booking stands, as a calendar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    /// Waiting for the business's approval or for payment.
    Tentative,
    Cancelled,
}

/// Someone in an invitation: the business organises, the client attends.
#[derive(Debug, Clone, Copy)]
pub struct Party<'a> {
    pub name: Option<&'a str>,
    pub email: &'a str,
}

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
    pub status: Status,
    pub organizer: Option<Party<'a>>,
    pub attendee: Option<Party<'a>>,
    /// A reminder this long before the start (none on a cancelled event).
    pub alarm_before: Option<Duration>,
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

/// A parameter value (§3.1): no control characters and no DQUOTE, which
/// could end the quoted string the crate puts around it.
fn param(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect()
}

/// A `mailto:` address: no whitespace, control characters or quotes, which
/// a mail address never needs and a content line must not get.
fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && *c != '"')
        .collect();
    format!("mailto:{clean}")
}

fn event_of(e: &CalendarEvent<'_>, now: DateTime<Utc>) -> Event {
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
        .status(match e.status {
            Status::Confirmed => EventStatus::Confirmed,
            Status::Tentative => EventStatus::Tentative,
            Status::Cancelled => EventStatus::Cancelled,
        });
    if let Some(o) = e.organizer {
        let mut organizer = Property::new("ORGANIZER", mailto(o.email));
        if let Some(name) = o.name.map(param).filter(|n| !n.is_empty()) {
            organizer.add_parameter("CN", &name);
        }
        event.append_property(organizer.done());
    }
    if let Some(a) = e.attendee {
        // The client already said yes by booking: nothing to answer.
        let mut attendee = Attendee::new(mailto(a.email))
            .role(Role::ReqParticipant)
            .partstat(PartStat::Accepted)
            .rsvp(false);
        if let Some(name) = a.name.map(param).filter(|n| !n.is_empty()) {
            attendee = attendee.cn(name);
        }
        event.attendee(attendee);
    }
    if let Some(before) = e.alarm_before.filter(|_| e.status != Status::Cancelled) {
        event.alarm(Alarm::display(
            &text(e.summary),
            Trigger::before_start(before),
        ));
    }
    event.done()
}

fn calendar_of(method: Method, name: Option<&str>) -> Calendar {
    let mut calendar = Calendar::new();
    calendar.append_property(Property::new("METHOD", method.as_str()));
    if let Some(name) = name {
        calendar.name(&text(name));
    }
    calendar
}

/// One booking as a calendar file: an invitation (`Request`), its
/// cancellation (`Cancel`) or a copy to keep (`Publish`).
pub fn booking_ics(e: &CalendarEvent<'_>, method: Method, now: DateTime<Utc>) -> String {
    let mut calendar = calendar_of(method, None);
    calendar.push(event_of(e, now));
    calendar.done().to_string()
}

/// A subscribed calendar (a feed): every event, published under one name.
pub fn feed_ics(name: &str, events: &[CalendarEvent<'_>], now: DateTime<Utc>) -> String {
    let mut calendar = calendar_of(Method::Publish, Some(name));
    for e in events {
        calendar.push(event_of(e, now));
    }
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
                status: Status::Confirmed,
                organizer: None,
                attendee: None,
                alarm_before: None,
            },
            Method::Publish,
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
                status: Status::Confirmed,
                organizer: None,
                attendee: None,
                alarm_before: None,
            },
            Method::Publish,
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

    /// An invitation and its cancellation as a mail program reads them:
    /// one UID, a higher SEQUENCE, METHOD:CANCEL, and no alarm left.
    #[test]
    fn a_cancellation_replaces_the_invitation() {
        let start = DateTime::parse_from_rfc3339("2026-03-29T07:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap();
        let event = |sequence, status| CalendarEvent {
            uid: "b1@termino",
            summary: "Cut",
            description: "",
            location: "Salon",
            start,
            end: start + Duration::minutes(45),
            sequence,
            status,
            organizer: Some(Party {
                name: Some("Salon \"Ola\"; Kraków"),
                email: "owner@example.com",
            }),
            attendee: Some(Party {
                name: None,
                email: "client@example.com",
            }),
            alarm_before: Some(Duration::hours(1)),
        };
        let invite: Calendar = booking_ics(&event(0, Status::Confirmed), Method::Request, start)
            .parse()
            .unwrap();
        let cancel: Calendar = booking_ics(&event(2, Status::Cancelled), Method::Cancel, start)
            .parse()
            .unwrap();
        assert_eq!(invite.property_value("METHOD"), Some("REQUEST"));
        assert_eq!(cancel.property_value("METHOD"), Some("CANCEL"));
        let (a, b) = (
            invite.events().next().unwrap(),
            cancel.events().next().unwrap(),
        );
        assert_eq!(a.get_uid(), b.get_uid());
        assert!(b.get_sequence() > a.get_sequence());
        assert_eq!(b.get_status(), Some(EventStatus::Cancelled));
        let organizer = a.properties().get("ORGANIZER").unwrap();
        assert_eq!(organizer.value(), "mailto:owner@example.com");
        assert_eq!(
            organizer.params().get("CN").map(|p| p.value()),
            Some("Salon Ola; Kraków")
        );
        assert_eq!(
            a.get_attendees()[0].cal_address,
            "mailto:client@example.com"
        );
        let alarms: Vec<_> = a
            .components()
            .iter()
            .filter(|c| c.component_kind() == "VALARM")
            .collect();
        assert_eq!(alarms.len(), 1);
        // One hour before the start, however the duration is spelt.
        assert!(matches!(
            alarms[0].property_value("TRIGGER"),
            Some("-PT1H" | "-PT60M" | "-PT3600S")
        ));
        assert!(b.components().is_empty());
    }
}
