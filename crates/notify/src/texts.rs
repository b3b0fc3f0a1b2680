//! Message texts in Polish and English.

use termino_domain::business::Language;

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
