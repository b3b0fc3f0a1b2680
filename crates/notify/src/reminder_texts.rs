//! The appointment reminder, in Polish and English.

use termino_domain::business::Language;

use crate::texts::Message;

pub struct ReminderDetails<'a> {
    pub business: &'a str,
    pub service: &'a str,
    pub staff: &'a str,
    /// In the business's zone, see [`crate::texts::format_when`].
    pub when: &'a str,
    pub duration_min: i64,
    /// The day and the hour alone (for the SMS template).
    pub date: &'a str,
    pub time: &'a str,
    /// Empty when the business gave none.
    pub address: &'a str,
    /// See [`format_price`].
    pub price: &'a str,
    /// Where the client confirms, reschedules or cancels.
    pub manage_link: Option<&'a str>,
}

/// A price as people of the language write it: "1 200,00 zł", "PLN 1,200.00".
pub fn format_price(lang: Language, minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let (whole, cents) = (minor / 100, minor % 100);
    let digits = whole.to_string();
    let group = if lang == Language::Pl { " " } else { "," };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    match (lang, currency) {
        (Language::Pl, "PLN") => format!("{sign}{grouped},{cents:02} zł"),
        (Language::Pl, _) => format!("{sign}{grouped},{cents:02} {currency}"),
        (Language::En, _) => format!("{sign}{currency} {grouped}.{cents:02}"),
    }
}

pub fn reminder(lang: Language, d: &ReminderDetails<'_>) -> Message {
    let facts = crate::texts::booking_facts(
        lang,
        d.service,
        d.when,
        d.duration_min,
        d.staff,
        d.address,
        d.price,
    );
    match lang {
        Language::Pl => {
            let manage = d
                .manage_link
                .map(|l| format!("\n\nPotwierdź, przełóż lub odwołaj wizytę:\n{l}"))
                .unwrap_or_default();
            Message {
                subject: format!("Przypomnienie o wizycie — {}", d.business),
                body: format!(
                    "Dzień dobry,\n\nprzypominamy o wizycie w {}.\n\n{facts}{manage}\n\n— {}",
                    d.business, d.business
                ),
            }
        }
        Language::En => {
            let manage = d
                .manage_link
                .map(|l| format!("\n\nConfirm, reschedule or cancel your visit:\n{l}"))
                .unwrap_or_default();
            Message {
                subject: format!("Reminder of your visit — {}", d.business),
                body: format!(
                    "Hello,\n\na reminder of your visit at {}.\n\n{facts}{manage}\n\n— {}",
                    d.business, d.business
                ),
            }
        }
    }
}

/// The SMS reminder's text when the business wrote none of its own
/// (placeholders as in [`termino_domain::sms::PLACEHOLDERS`]).
pub fn default_sms_template(lang: Language) -> &'static str {
    match lang {
        Language::Pl => {
            "{business}: przypominamy o wizycie {service} ({staff}), {date}, {time}. Zmiana lub odwolanie: {link}"
        }
        Language::En => {
            "{business}: a reminder of your {service} ({staff}), {date}, {time}. Change or cancel: {link}"
        }
    }
}

/// The reminder as a text message: the business's template (or the
/// default) filled with the booking; no client details beyond what the
/// client gave.
pub fn reminder_sms(lang: Language, template: Option<&str>, d: &ReminderDetails<'_>) -> String {
    let template = template.unwrap_or_else(|| default_sms_template(lang));
    termino_domain::sms::fill_template(template, |name| {
        match name {
            "business" => d.business,
            "service" => d.service,
            "staff" => d.staff,
            "date" => d.date,
            "time" => d.time,
            "link" => d.manage_link.unwrap_or(""),
            _ => "",
        }
        .to_string()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_sms_reminder_fills_the_template() {
        let d = ReminderDetails {
            business: "Salon",
            service: "Strzyżenie",
            staff: "Ania",
            when: "",
            duration_min: 30,
            date: "wtorek, 8 grudnia",
            time: "10:00",
            address: "",
            price: "",
            manage_link: Some("https://t.example/m"),
        };
        assert_eq!(
            reminder_sms(Language::Pl, None, &d),
            "Salon: przypominamy o wizycie Strzyżenie (Ania), wtorek, 8 grudnia, 10:00. Zmiana lub odwolanie: https://t.example/m"
        );
        assert_eq!(
            reminder_sms(Language::En, Some("{time} at {business}"), &d),
            "10:00 at Salon"
        );
    }

    #[test]
    fn prices_are_written_per_language() {
        assert_eq!(format_price(Language::Pl, 12_000, "PLN"), "120,00 zł");
        assert_eq!(format_price(Language::Pl, 123_456, "PLN"), "1 234,56 zł");
        assert_eq!(format_price(Language::En, 123_456, "PLN"), "PLN 1,234.56");
        assert_eq!(format_price(Language::Pl, 5, "EUR"), "0,05 EUR");
    }
}
