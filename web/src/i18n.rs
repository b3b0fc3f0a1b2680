//! Every text the pages show, in Polish and English, and the choice of
//! language for a request.

use termino_domain::account::Role;
use termino_domain::business::Language;

/// The texts of one language. Templates get a `&'static Texts` as `t`.
#[derive(Debug)]
pub struct Texts {
    /// The `lang` attribute and the `?lang=` value.
    pub code: &'static str,

    // Layout.
    pub skip_to_content: &'static str,
    pub language_switch: &'static str,
    pub lang_pl: &'static str,
    pub lang_en: &'static str,
    pub main_nav: &'static str,

    // Page-level messages.
    pub fix_fields: &'static str,
    pub form_expired: &'static str,
    /// `{wait}` is replaced by the wait time.
    pub throttled: &'static str,
    pub wait_minutes: &'static str,
    pub wait_seconds: &'static str,
    pub internal_error: &'static str,
    pub unavailable: &'static str,
    pub conflict: &'static str,
    pub forbidden: &'static str,
    pub error_title: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_to_login: &'static str,

    // Sign-up.
    pub signup_title: &'static str,
    pub signup_lead: &'static str,
    pub company_name: &'static str,
    pub slug: &'static str,
    pub slug_hint: &'static str,
    pub owner_name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub phone_hint: &'static str,
    pub password: &'static str,
    pub new_password_hint: &'static str,
    pub time_zone: &'static str,
    pub time_zone_hint: &'static str,
    pub business_language: &'static str,
    pub business_language_hint: &'static str,
    pub signup_submit: &'static str,
    pub have_account: &'static str,
    pub login_link: &'static str,

    // Log-in.
    pub login_title: &'static str,
    pub login_lead: &'static str,
    pub login_submit: &'static str,
    pub bad_credentials: &'static str,
    pub forgot_password: &'static str,
    pub no_account: &'static str,
    pub signup_link: &'static str,

    // Password reset.
    pub reset_title: &'static str,
    pub reset_lead: &'static str,
    pub reset_submit: &'static str,
    pub reset_sent_title: &'static str,
    pub reset_sent: &'static str,
    pub new_password_title: &'static str,
    pub new_password_lead: &'static str,
    pub new_password: &'static str,
    pub new_password_submit: &'static str,
    pub reset_done_title: &'static str,
    pub reset_done: &'static str,
    pub reset_invalid_title: &'static str,
    pub reset_invalid: &'static str,
    pub reset_ask_again: &'static str,

    // Invitations.
    pub invite_title: &'static str,
    pub invite_lead_before: &'static str,
    pub invite_existing: &'static str,
    pub invite_new: &'static str,
    pub your_password: &'static str,
    pub your_name: &'static str,
    pub invite_submit: &'static str,
    pub invite_wrong_password: &'static str,
    pub invite_invalid_title: &'static str,
    pub invite_invalid: &'static str,

    // The panel.
    pub app_title: &'static str,
    pub signed_in_as: &'static str,
    pub role_label: &'static str,
    pub logout: &'static str,
    pub welcome: &'static str,
    pub app_lead: &'static str,
    pub booking_page: &'static str,
    pub coming_soon: &'static str,
    pub nav_agenda: &'static str,
    pub nav_calendar: &'static str,
    pub nav_clients: &'static str,
    pub nav_services: &'static str,
    pub nav_staff: &'static str,
    pub nav_settings: &'static str,
    pub about_agenda: &'static str,
    pub about_calendar: &'static str,
    pub about_clients: &'static str,
    pub about_services: &'static str,
    pub about_staff: &'static str,
    pub about_settings: &'static str,
    pub logout_expired: &'static str,
    pub back_to_app: &'static str,

    // Roles.
    pub role_owner: &'static str,
    pub role_admin: &'static str,
    pub role_staff: &'static str,

    // Field errors, by the domain's stable codes.
    pub err_required: &'static str,
    /// `{n}` is replaced by the limit.
    pub err_too_short: &'static str,
    pub err_too_short_plain: &'static str,
    pub err_too_long: &'static str,
    pub err_too_long_plain: &'static str,
    pub err_slug_chars: &'static str,
    pub err_control_chars: &'static str,
    pub err_invalid_format: &'static str,
    pub err_reserved: &'static str,
    pub err_invalid_email: &'static str,
    pub err_invalid_phone: &'static str,
    pub err_invalid_time_zone: &'static str,
    pub err_invalid_language: &'static str,
    pub err_weak_password: &'static str,
    pub err_slug_taken: &'static str,
    pub err_email_taken: &'static str,
}

pub const EN: Texts = Texts {
    code: "en",

    skip_to_content: "Skip to content",
    language_switch: "Language",
    lang_pl: "Polish",
    lang_en: "English",
    main_nav: "Main",

    fix_fields: "Please correct the fields marked below.",
    form_expired: "Your form expired, please try again.",
    throttled: "Too many attempts. Please try again in {wait}.",
    wait_minutes: "min",
    wait_seconds: "s",
    internal_error: "Something went wrong on our side. Please try again in a moment.",
    unavailable: "The service is temporarily unavailable. Please try again in a moment.",
    conflict: "This conflicts with existing data. Please check the form.",
    forbidden: "You are not allowed to do this.",
    error_title: "Something went wrong",
    not_found_title: "Page not found",
    not_found_body: "There is nothing at this address.",
    back_to_login: "Back to log-in",

    signup_title: "Create your business account",
    signup_lead: "Set up online booking for your business. It takes a minute.",
    company_name: "Company name",
    slug: "Booking page address",
    slug_hint: "Letters a–z, digits and hyphens. Your clients will book at /b/your-address.",
    owner_name: "Your name",
    email: "E-mail",
    phone: "Phone",
    phone_hint: "With the country code if outside Poland, e.g. +44 20 7946 0958.",
    password: "Password",
    new_password_hint: "At least 10 characters. A few unrelated words make a strong password.",
    time_zone: "Time zone",
    time_zone_hint: "Appointments are shown in this time zone.",
    business_language: "Language for your clients",
    business_language_hint: "Used on your booking page and in e-mails to clients.",
    signup_submit: "Create account",
    have_account: "Already have an account?",
    login_link: "Log in",

    login_title: "Log in",
    login_lead: "Welcome back to Termino.",
    login_submit: "Log in",
    bad_credentials: "Wrong e-mail or password.",
    forgot_password: "Forgot your password?",
    no_account: "New to Termino?",
    signup_link: "Create an account",

    reset_title: "Reset your password",
    reset_lead: "Enter the e-mail address of your account and we will send you a link to choose a new password.",
    reset_submit: "Send the link",
    reset_sent_title: "Check your e-mail",
    reset_sent: "If an account exists for this address, we have sent it a link to reset the password. The link is valid for 60 minutes.",
    new_password_title: "Choose a new password",
    new_password_lead: "After the change, you will be signed out everywhere and can log in with the new password.",
    new_password: "New password",
    new_password_submit: "Set the new password",
    reset_done_title: "Password changed",
    reset_done: "Your password has been changed and all your sessions have ended. You can log in now.",
    reset_invalid_title: "This link is not valid",
    reset_invalid: "This password reset link is invalid, has expired or has already been used. Please ask for a new one.",
    reset_ask_again: "Ask for a new link",

    invite_title: "Join your team on Termino",
    invite_lead_before: "You have been invited to join",
    invite_existing: "You already have a Termino account with this e-mail address. Enter its password to accept the invitation.",
    invite_new: "Create your account to accept the invitation.",
    your_password: "Your password",
    your_name: "Your name",
    invite_submit: "Accept the invitation",
    invite_wrong_password: "Wrong password.",
    invite_invalid_title: "This invitation is not valid",
    invite_invalid: "The invitation link is invalid, has expired or has already been used. Ask the person who invited you to send a new one.",

    app_title: "Panel",
    signed_in_as: "Signed in as",
    role_label: "Role",
    logout: "Log out",
    welcome: "Welcome",
    app_lead: "This is your Termino panel. The sections below are being built and will appear here soon.",
    booking_page: "Your booking page address",
    coming_soon: "Coming soon",
    nav_agenda: "Agenda",
    nav_calendar: "Calendar",
    nav_clients: "Clients",
    nav_services: "Services",
    nav_staff: "Staff",
    nav_settings: "Settings",
    about_agenda: "Today's appointments at a glance.",
    about_calendar: "Appointments by day and week.",
    about_clients: "Your clients and their visit history.",
    about_services: "What clients can book, with prices and durations.",
    about_staff: "Your team, their roles and working hours.",
    about_settings: "Your business details and booking rules.",
    logout_expired: "Your form expired, please try again.",
    back_to_app: "Back to the panel",

    role_owner: "Owner",
    role_admin: "Administrator",
    role_staff: "Staff member",

    err_required: "This field is required.",
    err_too_short: "Must be at least {n} characters long.",
    err_too_short_plain: "This is too short.",
    err_too_long: "Must be at most {n} characters long.",
    err_too_long_plain: "This is too long.",
    err_slug_chars: "Use only letters a–z, digits and hyphens.",
    err_control_chars: "Must not contain control characters such as line breaks.",
    err_invalid_format: "Must start and end with a letter or digit, without two hyphens in a row.",
    err_reserved: "This address is reserved, please choose another.",
    err_invalid_email: "Enter a valid e-mail address, e.g. name@example.com.",
    err_invalid_phone: "Enter a valid phone number, e.g. +48 600 700 800.",
    err_invalid_time_zone: "Choose a valid time zone, e.g. Europe/Warsaw.",
    err_invalid_language: "Choose Polish or English.",
    err_weak_password: "This password is too easy to guess. Try a few unrelated words.",
    err_slug_taken: "This address is already taken by another business.",
    err_email_taken: "An account with this e-mail already exists. Log in instead.",
};

pub const PL: Texts = Texts {
    code: "pl",

    skip_to_content: "Przejdź do treści",
    language_switch: "Język",
    lang_pl: "polski",
    lang_en: "angielski",
    main_nav: "Główne menu",

    fix_fields: "Popraw pola oznaczone poniżej.",
    form_expired: "Formularz wygasł, spróbuj ponownie.",
    throttled: "Zbyt wiele prób. Spróbuj ponownie za {wait}.",
    wait_minutes: "min",
    wait_seconds: "s",
    internal_error: "Coś poszło nie tak po naszej stronie. Spróbuj ponownie za chwilę.",
    unavailable: "Usługa jest chwilowo niedostępna. Spróbuj ponownie za chwilę.",
    conflict: "To koliduje z istniejącymi danymi. Sprawdź formularz.",
    forbidden: "Nie masz uprawnień do tej czynności.",
    error_title: "Coś poszło nie tak",
    not_found_title: "Nie znaleziono strony",
    not_found_body: "Pod tym adresem nic nie ma.",
    back_to_login: "Wróć do logowania",

    signup_title: "Załóż konto firmy",
    signup_lead: "Uruchom rezerwacje online dla swojej firmy. To zajmie minutę.",
    company_name: "Nazwa firmy",
    slug: "Adres strony rezerwacji",
    slug_hint: "Litery a–z, cyfry i łączniki. Klienci będą rezerwować pod adresem /b/twoj-adres.",
    owner_name: "Imię i nazwisko",
    email: "E-mail",
    phone: "Telefon",
    phone_hint: "Numer spoza Polski podaj z kierunkowym kraju, np. +44 20 7946 0958.",
    password: "Hasło",
    new_password_hint: "Co najmniej 10 znaków. Kilka niezwiązanych ze sobą słów to mocne hasło.",
    time_zone: "Strefa czasowa",
    time_zone_hint: "W tej strefie pokazujemy godziny wizyt.",
    business_language: "Język dla klientów",
    business_language_hint: "Na stronie rezerwacji i w e-mailach do klientów.",
    signup_submit: "Załóż konto",
    have_account: "Masz już konto?",
    login_link: "Zaloguj się",

    login_title: "Logowanie",
    login_lead: "Witaj ponownie w Termino.",
    login_submit: "Zaloguj się",
    bad_credentials: "Nieprawidłowy e-mail lub hasło.",
    forgot_password: "Nie pamiętasz hasła?",
    no_account: "Nie masz jeszcze konta?",
    signup_link: "Załóż konto",

    reset_title: "Zresetuj hasło",
    reset_lead: "Podaj adres e-mail swojego konta, a wyślemy link do ustawienia nowego hasła.",
    reset_submit: "Wyślij link",
    reset_sent_title: "Sprawdź skrzynkę e-mail",
    reset_sent: "Jeśli dla tego adresu istnieje konto, wysłaliśmy na niego link do zmiany hasła. Link jest ważny przez 60 minut.",
    new_password_title: "Ustaw nowe hasło",
    new_password_lead: "Po zmianie wszystkie sesje zostaną zakończone. Zaloguj się wtedy nowym hasłem.",
    new_password: "Nowe hasło",
    new_password_submit: "Ustaw nowe hasło",
    reset_done_title: "Hasło zmienione",
    reset_done: "Twoje hasło zostało zmienione, a wszystkie sesje zakończone. Możesz się teraz zalogować.",
    reset_invalid_title: "Ten link jest nieważny",
    reset_invalid: "Ten link do zmiany hasła jest nieprawidłowy, wygasł lub został już użyty. Poproś o nowy.",
    reset_ask_again: "Poproś o nowy link",

    invite_title: "Dołącz do zespołu w Termino",
    invite_lead_before: "Zaproszono Cię do firmy",
    invite_existing: "Masz już konto Termino z tym adresem e-mail. Podaj jego hasło, aby przyjąć zaproszenie.",
    invite_new: "Załóż konto, aby przyjąć zaproszenie.",
    your_password: "Twoje hasło",
    your_name: "Imię i nazwisko",
    invite_submit: "Przyjmij zaproszenie",
    invite_wrong_password: "Nieprawidłowe hasło.",
    invite_invalid_title: "To zaproszenie jest nieważne",
    invite_invalid: "Link z zaproszeniem jest nieprawidłowy, wygasł lub został już użyty. Poproś osobę, która Cię zaprosiła, o nowy.",

    app_title: "Panel",
    signed_in_as: "Zalogowano jako",
    role_label: "Rola",
    logout: "Wyloguj się",
    welcome: "Witaj",
    app_lead: "To Twój panel Termino. Poniższe sekcje są w przygotowaniu i wkrótce się tu pojawią.",
    booking_page: "Adres Twojej strony rezerwacji",
    coming_soon: "Wkrótce",
    nav_agenda: "Agenda",
    nav_calendar: "Kalendarz",
    nav_clients: "Klienci",
    nav_services: "Usługi",
    nav_staff: "Pracownicy",
    nav_settings: "Ustawienia",
    about_agenda: "Dzisiejsze wizyty w jednym miejscu.",
    about_calendar: "Wizyty w widoku dnia i tygodnia.",
    about_clients: "Twoi klienci i historia ich wizyt.",
    about_services: "Usługi do rezerwacji, z cenami i czasem trwania.",
    about_staff: "Twój zespół, role i godziny pracy.",
    about_settings: "Dane firmy i zasady rezerwacji.",
    logout_expired: "Formularz wygasł, spróbuj ponownie.",
    back_to_app: "Wróć do panelu",

    role_owner: "Właściciel",
    role_admin: "Administrator",
    role_staff: "Pracownik",

    err_required: "To pole jest wymagane.",
    err_too_short: "Wymagana liczba znaków: co najmniej {n}.",
    err_too_short_plain: "Za krótkie.",
    err_too_long: "Dozwolona liczba znaków: najwyżej {n}.",
    err_too_long_plain: "Za długie.",
    err_slug_chars: "Używaj tylko liter a–z, cyfr i łączników.",
    err_control_chars: "Nie może zawierać znaków sterujących, np. podziału wiersza.",
    err_invalid_format: "Musi zaczynać się i kończyć literą lub cyfrą, bez dwóch łączników z rzędu.",
    err_reserved: "Ten adres jest zarezerwowany, wybierz inny.",
    err_invalid_email: "Podaj poprawny adres e-mail, np. imie@example.com.",
    err_invalid_phone: "Podaj poprawny numer telefonu, np. +48 600 700 800.",
    err_invalid_time_zone: "Wybierz poprawną strefę czasową, np. Europe/Warsaw.",
    err_invalid_language: "Wybierz polski lub angielski.",
    err_weak_password: "To hasło jest zbyt łatwe do odgadnięcia. Użyj kilku niezwiązanych ze sobą słów.",
    err_slug_taken: "Ten adres jest już zajęty przez inną firmę.",
    err_email_taken: "Konto z tym adresem e-mail już istnieje. Zaloguj się.",
};

pub fn texts(lang: Language) -> &'static Texts {
    match lang {
        Language::Pl => &PL,
        Language::En => &EN,
    }
}

/// The language of a page, by precedence: the `lang` query parameter, the
/// `termino_lang` cookie, the `Accept-Language` header, else English.
/// Values that name no supported language are skipped.
pub fn choose_language(
    query: Option<&str>,
    cookie: Option<&str>,
    accept_language: Option<&str>,
) -> Language {
    query
        .and_then(|q| Language::parse(q).ok())
        .or_else(|| cookie.and_then(|c| Language::parse(c).ok()))
        .or_else(|| accept_language.and_then(Language::from_accept_language))
        .unwrap_or_default()
}

pub fn role_name(t: &Texts, role: Role) -> &'static str {
    match role {
        Role::Owner => t.role_owner,
        Role::Admin => t.role_admin,
        Role::Staff => t.role_staff,
    }
}

/// "Try again in …": whole minutes from a minute up, else seconds.
pub fn throttled_message(t: &Texts, retry_after_secs: u64) -> String {
    let wait = if retry_after_secs >= 60 {
        format!("{} {}", retry_after_secs.div_ceil(60), t.wait_minutes)
    } else {
        format!("{} {}", retry_after_secs.max(1), t.wait_seconds)
    };
    t.throttled.replace("{wait}", &wait)
}

/// The text shown beside a field for a domain error. Known codes get a
/// translated text; anything else falls back to the domain's (English)
/// message.
pub fn field_error(t: &Texts, field: &str, code: &str, message: &str) -> String {
    let limit = || {
        let digits: String = message
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then_some(digits)
    };
    let text = match code {
        "required" => t.err_required,
        "too_short" => {
            return match limit() {
                Some(n) => t.err_too_short.replace("{n}", &n),
                None => t.err_too_short_plain.to_string(),
            };
        }
        "too_long" => {
            return match limit() {
                Some(n) => t.err_too_long.replace("{n}", &n),
                None => t.err_too_long_plain.to_string(),
            };
        }
        "invalid_chars" if field == "slug" => t.err_slug_chars,
        "invalid_chars" => t.err_control_chars,
        "invalid_format" => t.err_invalid_format,
        "reserved" => t.err_reserved,
        "invalid_email" => t.err_invalid_email,
        "invalid_phone" => t.err_invalid_phone,
        "invalid_time_zone" => t.err_invalid_time_zone,
        "invalid_language" => t.err_invalid_language,
        "weak_password" => t.err_weak_password,
        "slug_taken" => t.err_slug_taken,
        "email_taken" => t.err_email_taken,
        _ => {
            let lang = Language::parse(t.code).unwrap_or(Language::En);
            return match crate::ui::error_text(crate::ui::ui(lang), code) {
                Some(text) => text.to_string(),
                None => capitalize(message),
            };
        }
    };
    text.to_string()
}

fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_beats_header() {
        assert_eq!(
            choose_language(Some("pl"), Some("en"), Some("en")),
            Language::Pl
        );
        assert_eq!(
            choose_language(Some("en"), Some("pl"), Some("pl")),
            Language::En
        );
        assert_eq!(choose_language(None, Some("pl"), Some("en")), Language::Pl);
        assert_eq!(choose_language(None, Some("en"), Some("pl")), Language::En);
        assert_eq!(
            choose_language(None, None, Some("de,pl;q=0.8,en;q=0.5")),
            Language::Pl
        );
    }

    #[test]
    fn unknown_values_fall_through_to_the_next_source() {
        assert_eq!(
            choose_language(Some("de"), Some("pl"), Some("en")),
            Language::Pl
        );
        assert_eq!(
            choose_language(Some(""), Some("xx"), Some("pl-PL")),
            Language::Pl
        );
        assert_eq!(choose_language(None, None, Some("fr")), Language::En);
        assert_eq!(choose_language(None, None, None), Language::En);
    }

    #[test]
    fn texts_follow_the_language() {
        assert_eq!(texts(Language::Pl).code, "pl");
        assert_eq!(texts(Language::En).code, "en");
    }

    #[test]
    fn field_errors_are_translated_with_limits() {
        assert_eq!(
            field_error(
                &PL,
                "password",
                "too_short",
                "must be at least 10 characters"
            ),
            "Wymagana liczba znaków: co najmniej 10."
        );
        assert_eq!(
            field_error(&EN, "slug", "too_long", "must be at most 40 characters"),
            "Must be at most 40 characters long."
        );
        assert_eq!(
            field_error(&PL, "slug", "invalid_chars", "x"),
            PL.err_slug_chars
        );
        assert_eq!(
            field_error(&PL, "owner_name", "invalid_chars", "x"),
            PL.err_control_chars
        );
        assert_eq!(
            field_error(&EN, "slug", "slug_taken", "x"),
            EN.err_slug_taken
        );
        assert_eq!(field_error(&EN, "x", "something_new", "is odd"), "Is odd");
    }

    #[test]
    fn throttle_message_rounds_up_to_minutes() {
        assert_eq!(
            throttled_message(&EN, 61),
            "Too many attempts. Please try again in 2 min."
        );
        assert_eq!(
            throttled_message(&PL, 30),
            "Zbyt wiele prób. Spróbuj ponownie za 30 s."
        );
        assert!(throttled_message(&EN, 0).contains("1 s"));
    }
}
