//! The daily agenda a member of a business gets by e-mail (issue 22):
//! that day's visits with times, services and who performs them, each
//! linked to the panel. No client details: the panel shows those.

use chrono::{Datelike, NaiveDate};
use termino_domain::business::Language;

use crate::texts::{Message, PL_DAYS, PL_MONTHS};

/// One visit of the day.
pub struct AgendaLine<'a> {
    /// "10:00–11:00".
    pub time: &'a str,
    pub service: &'a str,
    pub staff: &'a str,
    /// "awaiting approval" and the like; empty for a confirmed visit.
    pub state: &'a str,
    pub link: &'a str,
}

pub struct AgendaDetails<'a> {
    pub business: &'a str,
    pub day: NaiveDate,
    pub lines: &'a [AgendaLine<'a>],
    /// The day in the panel's calendar.
    pub calendar_link: &'a str,
}

fn long_day(lang: Language, day: NaiveDate) -> String {
    match lang {
        Language::Pl => format!(
            "{}, {} {} {}",
            PL_DAYS[day.weekday().num_days_from_monday() as usize],
            day.day(),
            PL_MONTHS[day.month0() as usize],
            day.year()
        ),
        Language::En => day.format("%A, %-d %B %Y").to_string(),
    }
}

/// A visit's state in words, for the agenda ("" for a confirmed one).
pub fn state_name(lang: Language, status: &str) -> &'static str {
    match (lang, status) {
        (Language::Pl, "requested") => "czeka na akceptację",
        (Language::Pl, "awaiting_payment") => "czeka na wpłatę",
        (Language::En, "requested") => "awaiting approval",
        (Language::En, "awaiting_payment") => "awaiting payment",
        _ => "",
    }
}

pub fn daily_agenda(lang: Language, d: &AgendaDetails<'_>) -> Message {
    let day = long_day(lang, d.day);
    let (subject, lead, count, open) = match lang {
        Language::Pl => (
            "Plan dnia",
            "Twoje wizyty",
            "Liczba wizyt",
            "Kalendarz w panelu",
        ),
        Language::En => (
            "Agenda",
            "Your visits on",
            "Visits",
            "The calendar in the panel",
        ),
    };
    let mut body = format!("{lead}: {day}\n{count}: {}\n", d.lines.len());
    for l in d.lines {
        let state = if l.state.is_empty() {
            String::new()
        } else {
            format!(" ({})", l.state)
        };
        body.push_str(&format!(
            "\n{} · {} · {}{state}\n{}\n",
            l.time, l.service, l.staff, l.link
        ));
    }
    body.push_str(&format!("\n{open}:\n{}\n\n— Termino", d.calendar_link));
    Message {
        subject: format!("{subject}: {day} — {}", d.business),
        body,
    }
}
