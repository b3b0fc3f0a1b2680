//! Message texts in Polish and English.

use termino_domain::business::Language;

#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

pub fn invitation(lang: Language, business: &str, role: &str, link: &str, days: i64) -> Message {
    match lang {
        Language::Pl => Message {
            subject: format!("Zaproszenie do zespołu {business} w Termino"),
            body: format!(
                "Dzień dobry,\n\nzostałeś(-aś) zaproszony(-a) do zespołu firmy {business} w Termino (rola: {role}).\n\nAby dołączyć, otwórz link:\n{link}\n\nLink jest ważny przez {days} dni. Jeśli nie spodziewasz się tego zaproszenia, zignoruj tę wiadomość.\n\n— Termino"
            ),
        },
        Language::En => Message {
            subject: format!("You're invited to join {business} on Termino"),
            body: format!(
                "Hello,\n\nyou have been invited to join the team of {business} on Termino (role: {role}).\n\nTo join, open this link:\n{link}\n\nThe link is valid for {days} days. If you did not expect this invitation, ignore this message.\n\n— Termino"
            ),
        },
    }
}

/// To the owners: a staff member's own calendar cannot be read, so its
/// busy time may be out of date.
pub fn external_calendar_failing(lang: Language, host: &str, times: i32, link: &str) -> Message {
    match lang {
        Language::Pl => Message {
            subject: "Nie udaje się odczytać kalendarza pracownika".into(),
            body: format!(
                "Dzień dobry,\n\nkalendarz z {host}, podłączony przez pracownika jako czas zajęty, nie dał się odczytać {times} razy z rzędu. Do czasu naprawy terminy z tego kalendarza mogą nie blokować rezerwacji.\n\nSprawdź adres kalendarza lub podłącz go ponownie:\n{link}\n\n— Termino"
            ),
        },
        Language::En => Message {
            subject: "A staff member's calendar cannot be read".into(),
            body: format!(
                "Hello,\n\nthe calendar at {host}, connected by a staff member as busy time, could not be read {times} times in a row. Until it is fixed, its events may not block bookings.\n\nCheck the calendar's address or connect it again:\n{link}\n\n— Termino"
            ),
        },
    }
}

pub fn password_reset(lang: Language, link: &str, minutes: i64) -> Message {
    match lang {
        Language::Pl => Message {
            subject: "Zmiana hasła w Termino".into(),
            body: format!(
                "Dzień dobry,\n\notrzymaliśmy prośbę o zmianę hasła do Twojego konta w Termino.\n\nAby ustawić nowe hasło, otwórz link:\n{link}\n\nLink jest ważny przez {minutes} minut i działa raz. Jeśli to nie Ty, zignoruj tę wiadomość — Twoje hasło się nie zmieni.\n\n— Termino"
            ),
        },
        Language::En => Message {
            subject: "Reset your Termino password".into(),
            body: format!(
                "Hello,\n\nwe received a request to reset the password of your Termino account.\n\nTo choose a new password, open this link:\n{link}\n\nThe link is valid for {minutes} minutes and works once. If this wasn't you, ignore this message — your password stays the same.\n\n— Termino"
            ),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingEvent {
    /// Booked and confirmed.
    Created,
    /// Booked, waiting for the business's approval.
    Pending,
    Approved,
    /// The deposit came in: the booking is confirmed.
    DepositPaid,
    /// The business did not approve the request.
    Declined,
    Rescheduled,
    Cancelled,
}

pub struct BookingDetails<'a> {
    pub business: &'a str,
    pub service: &'a str,
    pub staff: &'a str,
    /// Already in the client's zone, see [`format_when`].
    pub when: &'a str,
    pub duration_min: i64,
    /// See [`crate::reminder_texts::format_price`]; empty for a free service.
    pub price: &'a str,
    /// Empty when the business gave none.
    pub address: &'a str,
    pub manage_link: Option<&'a str>,
}

/// The lines every client mail about a booking carries: what, when (with
/// the zone), how long, with whom, where and for how much.
pub fn booking_facts(
    lang: Language,
    service: &str,
    when: &str,
    duration_min: i64,
    staff: &str,
    address: &str,
    price: &str,
) -> String {
    let (with, took, at, costs) = match lang {
        Language::Pl => ("z", "czas trwania", "adres", "cena"),
        Language::En => ("with", "duration", "address", "price"),
    };
    let mut out = format!("{service}\n{when}\n{took}: {duration_min} min\n{with}: {staff}");
    if !address.is_empty() {
        out.push_str(&format!("\n{at}: {address}"));
    }
    if !price.is_empty() {
        out.push_str(&format!("\n{costs}: {price}"));
    }
    out
}

pub(crate) const PL_DAYS: [&str; 7] = [
    "poniedziałek",
    "wtorek",
    "środa",
    "czwartek",
    "piątek",
    "sobota",
    "niedziela",
];
pub(crate) const PL_MONTHS: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];

/// A date and time as people read it, with the zone named so nobody
/// guesses (Easy!Appointments' e-mails mix zones up).
pub fn format_when<Z: chrono::TimeZone>(lang: Language, at: chrono::DateTime<Z>) -> String
where
    Z::Offset: std::fmt::Display,
{
    use chrono::{Datelike, Timelike};
    let zone = format!("{}", at.offset());
    match lang {
        Language::Pl => format!(
            "{}, {} {} {}, {:02}:{:02} ({zone})",
            PL_DAYS[at.weekday().num_days_from_monday() as usize],
            at.day(),
            PL_MONTHS[at.month0() as usize],
            at.year(),
            at.hour(),
            at.minute()
        ),
        Language::En => format!("{} ({zone})", at.format("%A, %-d %B %Y, %H:%M")),
    }
}

/// A day as a short text message says it: "wtorek, 8 grudnia", "Tuesday,
/// 8 December".
pub fn format_day<Z: chrono::TimeZone>(lang: Language, at: chrono::DateTime<Z>) -> String
where
    Z::Offset: std::fmt::Display,
{
    use chrono::Datelike;
    match lang {
        Language::Pl => format!(
            "{}, {} {}",
            PL_DAYS[at.weekday().num_days_from_monday() as usize],
            at.day(),
            PL_MONTHS[at.month0() as usize]
        ),
        Language::En => at.format("%A, %-d %B").to_string(),
    }
}

pub fn booking_for_client(lang: Language, event: BookingEvent, d: &BookingDetails<'_>) -> Message {
    use BookingEvent::*;
    // A cancelled or declined visit has nothing left to manage.
    let manage = d
        .manage_link
        .filter(|_| !matches!(event, Cancelled | Declined))
        .map(|l| match lang {
            Language::Pl => format!("\n\nZobacz, przełóż lub odwołaj wizytę:\n{l}"),
            Language::En => format!("\n\nView, reschedule or cancel your booking:\n{l}"),
        })
        .unwrap_or_default();
    let b = d.business;
    let (subject, lead) = match (lang, event) {
        (Language::Pl, Created) => (format!("Rezerwacja w {b}"), "dziękujemy za rezerwację."),
        (Language::Pl, Pending) => (
            format!("Rezerwacja czeka na potwierdzenie — {b}"),
            "dziękujemy za rezerwację. Czeka ona na potwierdzenie przez firmę; napiszemy, gdy zapadnie decyzja.",
        ),
        (Language::Pl, Approved) => (
            format!("Wizyta potwierdzona — {b}"),
            "Twoja wizyta została potwierdzona.",
        ),
        (Language::Pl, DepositPaid) => (
            format!("Zaliczka otrzymana, wizyta potwierdzona — {b}"),
            "otrzymaliśmy Twoją zaliczkę. Wizyta jest potwierdzona.",
        ),
        (Language::Pl, Declined) => (
            format!("Rezerwacja nieprzyjęta — {b}"),
            "niestety firma nie może przyjąć tej rezerwacji. Zapraszamy do wyboru innego terminu.",
        ),
        (Language::Pl, Rescheduled) => (
            format!("Zmiana terminu — {b}"),
            "termin Twojej wizyty się zmienił.",
        ),
        (Language::Pl, Cancelled) => (
            format!("Wizyta odwołana — {b}"),
            "Twoja wizyta została odwołana.",
        ),
        (Language::En, Created) => (
            format!("Your booking at {b}"),
            "thank you for your booking.",
        ),
        (Language::En, Pending) => (
            format!("Booking awaiting confirmation — {b}"),
            "thank you for your booking. It awaits the business's confirmation; we will write once it is decided.",
        ),
        (Language::En, Approved) => (
            format!("Booking confirmed — {b}"),
            "your booking has been confirmed.",
        ),
        (Language::En, DepositPaid) => (
            format!("Deposit received, booking confirmed — {b}"),
            "we received your deposit. Your booking is confirmed.",
        ),
        (Language::En, Declined) => (
            format!("Booking not accepted — {b}"),
            "unfortunately the business cannot accept this booking. You are welcome to choose another time.",
        ),
        (Language::En, Rescheduled) => (
            format!("Booking moved — {b}"),
            "your booking has a new time.",
        ),
        (Language::En, Cancelled) => (
            format!("Booking cancelled — {b}"),
            "your booking has been cancelled.",
        ),
    };
    let facts = booking_facts(
        lang,
        d.service,
        d.when,
        d.duration_min,
        d.staff,
        d.address,
        d.price,
    );
    let body = match lang {
        Language::Pl => format!(
            "Dzień dobry,\n\n{lead}\n\n{facts}{manage}\n\nW załączniku plik do kalendarza.\n\n— {b}"
        ),
        Language::En => {
            format!("Hello,\n\n{lead}\n\n{facts}{manage}\n\nA calendar file is attached.\n\n— {b}")
        }
    };
    Message { subject, body }
}

/// What a notice to the business is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    NewBooking,
    AwaitingApproval,
    Rescheduled,
    Cancelled { by_client: bool },
    DepositPaid,
    DepositRefunded,
}

pub struct NoticeDetails<'a> {
    pub business: &'a str,
    pub service: &'a str,
    pub staff: &'a str,
    /// In the business's zone.
    pub when: &'a str,
    /// The time before a reschedule.
    pub before: Option<&'a str>,
    /// The booking in the panel.
    pub link: &'a str,
}

/// A notice to the owner or the staff member: what changed and where to
/// see it, with no client details (the panel shows those to whoever may
/// see them).
pub fn notice_for_business(lang: Language, notice: Notice, d: &NoticeDetails<'_>) -> Message {
    let (subject, lead) = match (lang, notice) {
        (Language::Pl, Notice::NewBooking) => ("Nowa wizyta", "Nowa rezerwacja:"),
        (Language::Pl, Notice::AwaitingApproval) => (
            "Wizyta czeka na akceptację",
            "Nowa rezerwacja czeka na Twoją akceptację:",
        ),
        (Language::Pl, Notice::Rescheduled) => ("Zmiana terminu wizyty", "Wizyta ma nowy termin:"),
        (Language::Pl, Notice::Cancelled { by_client: true }) => (
            "Wizyta odwołana przez klienta",
            "Wizyta została odwołana przez klienta:",
        ),
        (Language::Pl, Notice::Cancelled { by_client: false }) => {
            ("Wizyta odwołana", "Wizyta została odwołana:")
        }
        (Language::Pl, Notice::DepositPaid) => (
            "Zaliczka wpłacona",
            "Klient wpłacił zaliczkę, wizyta jest potwierdzona:",
        ),
        (Language::Pl, Notice::DepositRefunded) => {
            ("Zaliczka zwrócona", "Zaliczka za wizytę została zwrócona:")
        }
        (Language::En, Notice::NewBooking) => ("New booking", "A new booking:"),
        (Language::En, Notice::AwaitingApproval) => (
            "Booking awaiting approval",
            "A new booking awaits your approval:",
        ),
        (Language::En, Notice::Rescheduled) => ("Booking moved", "A booking has a new time:"),
        (Language::En, Notice::Cancelled { by_client: true }) => (
            "Booking cancelled by the client",
            "The client cancelled a booking:",
        ),
        (Language::En, Notice::Cancelled { by_client: false }) => {
            ("Booking cancelled", "A booking was cancelled:")
        }
        (Language::En, Notice::DepositPaid) => (
            "Deposit paid",
            "The client paid the deposit; the booking is confirmed:",
        ),
        (Language::En, Notice::DepositRefunded) => (
            "Deposit refunded",
            "The deposit for a booking was refunded:",
        ),
    };
    let (with, was, open) = match lang {
        Language::Pl => ("z", "Poprzedni termin", "Zobacz w panelu"),
        Language::En => ("with", "Before", "Open in the panel"),
    };
    let before = d
        .before
        .map(|b| format!("\n{was}: {b}"))
        .unwrap_or_default();
    Message {
        subject: format!("{subject} — {}", d.business),
        body: format!(
            "{lead}\n\n{}\n{}{before}\n{with}: {}\n\n{open}:\n{}\n\n— Termino",
            d.service, d.when, d.staff, d.link
        ),
    }
}

/// To the owners: the month's text messages are used up.
pub fn sms_limit_reached(lang: Language, business: &str, limit: u64, link: &str) -> Message {
    match lang {
        Language::Pl => Message {
            subject: format!("{business}: wykorzystano limit SMS w tym miesiącu"),
            body: format!(
                "Dzień dobry,\n\nfirma {business} wysłała w tym miesiącu {limit} SMS-ów, tyle, ile obejmuje jej plan. Do końca miesiąca SMS-y nie będą wysyłane; przypomnienia e-mail wychodzą dalej.\n\nPlan można zmienić tutaj:\n{link}\n\n— Termino"
            ),
        },
        Language::En => Message {
            subject: format!("{business}: this month's text messages are used up"),
            body: format!(
                "Hello,\n\n{business} has sent {limit} text messages this month, as many as its plan includes. No more text messages go out until the month ends; e-mail reminders go on.\n\nYou can change the plan here:\n{link}\n\n— Termino"
            ),
        },
    }
}
