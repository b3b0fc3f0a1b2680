//! A tenant's public identity and regional settings.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{FieldProblem, problem};

/// Slugs that would collide with our own routes, subdomains or well-known names.
pub const RESERVED_SLUGS: &[&str] = &[
    "app",
    "api",
    "admin",
    "b",
    "www",
    "static",
    "assets",
    "login",
    "logout",
    "signup",
    "health",
    "ready",
    "metrics",
    "graphql",
    "webhooks",
    "embed",
    "embed-js",
    "docs",
    "help",
    "support",
    "status",
    "mail",
    "termino",
    "root",
    "system",
    "operator",
    "manage",
    "invite",
    "reset",
    "account",
    "billing",
    "public",
    "dashboard",
];

const SLUG_MIN: usize = 3;
const SLUG_MAX: usize = 40;

/// The URL name of a business, e.g. `salon-anna`. Always lowercase ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub fn parse(input: &str) -> Result<Slug, FieldProblem> {
        // ASCII-only lowercasing: Unicode folding could turn lookalikes (e.g. the Kelvin
        // sign) into ASCII letters and let two visually different inputs share a slug.
        let s = input.trim().to_ascii_lowercase();
        let len = s.chars().count();
        if len == 0 {
            return Err(problem("required", "must not be empty"));
        }
        if len < SLUG_MIN {
            return Err(problem(
                "too_short",
                format!("must be at least {SLUG_MIN} characters"),
            ));
        }
        if len > SLUG_MAX {
            return Err(problem(
                "too_long",
                format!("must be at most {SLUG_MAX} characters"),
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(problem(
                "invalid_chars",
                "may contain only letters a-z, digits and hyphens",
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(problem(
                "invalid_format",
                "must start and end with a letter or digit",
            ));
        }
        if s.contains("--") {
            return Err(problem(
                "invalid_format",
                "must not contain two hyphens in a row",
            ));
        }
        if RESERVED_SLUGS.contains(&s.as_str()) {
            return Err(problem("reserved", "is reserved, please choose another"));
        }
        Ok(Slug(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// UI and notification language of a tenant or user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Pl,
    #[default]
    En,
}

impl Language {
    pub fn code(&self) -> &'static str {
        match self {
            Language::Pl => "pl",
            Language::En => "en",
        }
    }

    pub fn parse(input: &str) -> Result<Language, FieldProblem> {
        let s = input.trim();
        if s.eq_ignore_ascii_case("pl") {
            Ok(Language::Pl)
        } else if s.eq_ignore_ascii_case("en") {
            Ok(Language::En)
        } else {
            Err(problem("invalid_language", "must be one of: pl, en"))
        }
    }

    /// Picks the supported language the browser prefers most, per RFC 9110 q-values.
    /// Returns `None` when nothing we support is acceptable, so the caller picks the default.
    pub fn from_accept_language(header: &str) -> Option<Language> {
        let mut best: Option<(Language, f32)> = None;
        for entry in header.split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            // Only the primary subtag matters: "pl-PL" and "pl" both mean Polish.
            let primary = tag.split('-').next().unwrap_or("");
            let Ok(lang) = Language::parse(primary) else {
                continue;
            };
            let mut q = 1.0_f32;
            for param in parts {
                let Some((key, value)) = param.split_once('=') else {
                    continue;
                };
                if key.trim().eq_ignore_ascii_case("q") {
                    // A malformed weight is treated as "not acceptable" rather than guessed.
                    q = value.trim().parse().unwrap_or(0.0);
                }
            }
            // q=0 means explicitly refused; the range check also drops NaN and infinities.
            if !(q > 0.0 && q <= 1.0) {
                continue;
            }
            // Strictly greater: on equal weights the header's earlier entry wins.
            if best.is_none_or(|(_, best_q)| q > best_q) {
                best = Some((lang, q));
            }
        }
        best.map(|(lang, _)| lang)
    }
}

/// A validated IANA time zone, e.g. `Europe/Warsaw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<TimeZone, FieldProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(problem("required", "must not be empty"));
        }
        s.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            problem(
                "invalid_time_zone",
                "must be a valid time zone, e.g. Europe/Warsaw",
            )
        })
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Shared rule for free-text names: trimmed, non-empty, bounded, printable.
fn validate_name(input: &str, max: usize) -> Result<String, FieldProblem> {
    let s = input.trim();
    if s.is_empty() {
        return Err(problem("required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(problem(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    // Control characters (newlines, NUL, escapes) break e-mail headers and layouts.
    if s.chars().any(char::is_control) {
        return Err(problem(
            "invalid_chars",
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

pub fn validate_company_name(input: &str) -> Result<String, FieldProblem> {
    validate_name(input, 120)
}

pub fn validate_person_name(input: &str) -> Result<String, FieldProblem> {
    validate_name(input, 100)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code<T: fmt::Debug>(r: Result<T, FieldProblem>) -> &'static str {
        r.unwrap_err().code
    }

    #[test]
    fn slug_accepts_and_normalises() {
        assert_eq!(Slug::parse("salon-anna").unwrap().as_str(), "salon-anna");
        assert_eq!(
            Slug::parse("  Salon-Anna2 ").unwrap().as_str(),
            "salon-anna2"
        );
        assert_eq!(Slug::parse("abc").unwrap().to_string(), "abc");
        assert_eq!(Slug::parse("1st-barber").unwrap().as_str(), "1st-barber");
        assert_eq!(Slug::parse(&"a".repeat(40)).unwrap().as_str().len(), 40);
    }

    #[test]
    fn slug_rejects_bad_input() {
        assert_eq!(code(Slug::parse("")), "required");
        assert_eq!(code(Slug::parse("   ")), "required");
        assert_eq!(code(Slug::parse("ab")), "too_short");
        assert_eq!(code(Slug::parse(&"a".repeat(41))), "too_long");
        assert_eq!(code(Slug::parse("salon_anna")), "invalid_chars");
        assert_eq!(code(Slug::parse("salon anna")), "invalid_chars");
        assert_eq!(code(Slug::parse("sałon")), "invalid_chars");
        // Kelvin sign must not fold into an ASCII "k".
        assert_eq!(code(Slug::parse("\u{212A}lub")), "invalid_chars");
        assert_eq!(code(Slug::parse("-salon")), "invalid_format");
        assert_eq!(code(Slug::parse("salon-")), "invalid_format");
        assert_eq!(code(Slug::parse("salon--anna")), "invalid_format");
    }

    #[test]
    fn slug_rejects_reserved_names() {
        for reserved in RESERVED_SLUGS.iter().filter(|s| s.len() >= SLUG_MIN) {
            assert_eq!(code(Slug::parse(reserved)), "reserved", "{reserved}");
        }
        assert_eq!(code(Slug::parse("ADMIN")), "reserved");
        assert_eq!(code(Slug::parse(" embed-js ")), "reserved");
        // Short reserved names are already refused for length.
        assert!(Slug::parse("b").is_err());
        assert!(RESERVED_SLUGS.contains(&"dashboard"));
    }

    #[test]
    fn language_parse_and_code() {
        assert_eq!(Language::parse("pl"), Ok(Language::Pl));
        assert_eq!(Language::parse("EN"), Ok(Language::En));
        assert_eq!(Language::parse("Pl"), Ok(Language::Pl));
        assert_eq!(code(Language::parse("de")), "invalid_language");
        assert_eq!(code(Language::parse("pl-PL")), "invalid_language");
        assert_eq!(code(Language::parse("")), "invalid_language");
        assert_eq!(Language::Pl.code(), "pl");
        assert_eq!(Language::En.code(), "en");
        assert_eq!(Language::default(), Language::En);
    }

    #[test]
    fn language_deserializes_lowercase() {
        use serde::de::value::{Error, StrDeserializer};
        let pl = Language::deserialize(StrDeserializer::<Error>::new("pl")).unwrap();
        assert_eq!(pl, Language::Pl);
        assert!(Language::deserialize(StrDeserializer::<Error>::new("Pl")).is_err());
    }

    #[test]
    fn accept_language_honours_q_values() {
        let f = Language::from_accept_language;
        assert_eq!(f("de-DE,pl;q=0.8,en;q=0.5"), Some(Language::Pl));
        assert_eq!(f("en-GB,en;q=0.9"), Some(Language::En));
        assert_eq!(f("fr"), None);
        assert_eq!(f(""), None);
        assert_eq!(f("en;q=0.3, pl;q=0.7"), Some(Language::Pl));
        assert_eq!(f("pl;q=0.5, en"), Some(Language::En));
        assert_eq!(f("PL-pl"), Some(Language::Pl));
        assert_eq!(f("pl ; q = 0.9 , en ; q=0.8"), Some(Language::Pl));
        // Equal weights: first listed wins.
        assert_eq!(f("pl;q=0.5,en;q=0.5"), Some(Language::Pl));
        assert_eq!(f("en,pl"), Some(Language::En));
        // q=0 refuses a language outright.
        assert_eq!(f("pl;q=0, fr"), None);
        assert_eq!(f("pl;q=0,en;q=0.1"), Some(Language::En));
        // Garbage weights are ignored rather than trusted.
        assert_eq!(f("pl;q=abc,en;q=0.2"), Some(Language::En));
        assert_eq!(f("pl;q=NaN,en;q=0.2"), Some(Language::En));
        assert_eq!(f("pl;q=5,en;q=0.2"), Some(Language::En));
        assert_eq!(f("*"), None);
        assert_eq!(f("english"), None);
    }

    #[test]
    fn time_zone_parse() {
        let tz = TimeZone::parse(" Europe/Warsaw ").unwrap();
        assert_eq!(tz.name(), "Europe/Warsaw");
        assert_eq!(tz.to_string(), "Europe/Warsaw");
        assert_eq!(tz.tz(), chrono_tz::Europe::Warsaw);
        assert!(TimeZone::parse("UTC").is_ok());
        assert!(TimeZone::parse("America/New_York").is_ok());
        assert_eq!(code(TimeZone::parse("Mars/Phobos")), "invalid_time_zone");
        assert_eq!(
            code(TimeZone::parse("Europe/Warszawa")),
            "invalid_time_zone"
        );
        assert_eq!(code(TimeZone::parse("")), "required");
        assert_eq!(code(TimeZone::parse("  ")), "required");
    }

    #[test]
    fn company_name_rules() {
        assert_eq!(
            validate_company_name("  Salon Anna  ").unwrap(),
            "Salon Anna"
        );
        assert_eq!(
            validate_company_name("Zakład Fryzjerski Łódź").unwrap(),
            "Zakład Fryzjerski Łódź"
        );
        assert!(validate_company_name(&"ż".repeat(120)).is_ok());
        assert_eq!(code(validate_company_name(&"ż".repeat(121))), "too_long");
        assert_eq!(code(validate_company_name(" \t ")), "required");
        assert_eq!(code(validate_company_name("Salon\nAnna")), "invalid_chars");
        assert_eq!(code(validate_company_name("Salon\u{0}")), "invalid_chars");
    }

    #[test]
    fn person_name_rules() {
        assert_eq!(
            validate_person_name(" Anna Kowalska ").unwrap(),
            "Anna Kowalska"
        );
        assert!(validate_person_name(&"a".repeat(100)).is_ok());
        assert_eq!(code(validate_person_name(&"a".repeat(101))), "too_long");
        assert_eq!(code(validate_person_name("")), "required");
        assert_eq!(
            code(validate_person_name("Anna\u{1b}[31m")),
            "invalid_chars"
        );
    }

    proptest! {
        #[test]
        fn slug_parse_never_panics(s in any::<String>()) {
            let _ = Slug::parse(&s);
        }

        #[test]
        fn parsed_slug_reparses_to_itself(s in "[ A-Za-z0-9-]{0,45}") {
            if let Ok(slug) = Slug::parse(&s) {
                prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
            }
        }

        #[test]
        fn generated_valid_slugs_round_trip(s in "[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}") {
            let parsed = Slug::parse(&s);
            if s.len() >= SLUG_MIN && !RESERVED_SLUGS.contains(&s.as_str()) {
                let slug = parsed.unwrap();
                prop_assert_eq!(slug.as_str(), s.as_str());
                prop_assert_eq!(Slug::parse(slug.as_str()), Ok(slug.clone()));
            } else {
                prop_assert!(parsed.is_err());
            }
        }

        #[test]
        fn accept_language_never_panics(s in any::<String>()) {
            let _ = Language::from_accept_language(&s);
        }

        #[test]
        fn accept_language_structured_never_panics(
            s in "([a-zA-Z*]{1,8}(-[a-zA-Z0-9]{1,8})?(;q=[0-9.a-z-]{0,6})?,? ?){0,6}"
        ) {
            let _ = Language::from_accept_language(&s);
        }
    }
}
