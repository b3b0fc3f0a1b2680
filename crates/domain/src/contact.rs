//! Contact details: e-mail addresses and phone numbers.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::validation::{FieldProblem, problem};

/// SMTP caps a forward path at 256 octets including the angle brackets.
const EMAIL_MAX: usize = 254;
/// No real phone number, however formatted, is longer; bounds work for the parser.
const PHONE_INPUT_MAX: usize = 64;

/// A validated e-mail address, stored lowercased so it can be used as a login key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, FieldProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(problem("required", "must not be empty"));
        }
        if s.len() > EMAIL_MAX {
            return Err(problem(
                "too_long",
                format!("must be at most {EMAIL_MAX} characters"),
            ));
        }
        let invalid = || problem("invalid_email", "must be a valid e-mail address");
        // Plain addresses only: "Name <a@b.pl>" and "a@[1.2.3.4]" are not something a
        // user types into a login form and would not survive our lowercased storage.
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let parsed =
            email_address::EmailAddress::parse_with_options(s, options).map_err(|_| invalid())?;
        // The crate accepts "user@localhost"; we can only deliver to public domains.
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(EmailAddress(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated phone number in E.164 form, e.g. `+48601234567`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// `default_region` is an ISO 3166 code such as "PL" used for numbers written without
    /// a "+country" prefix; with `None` (or an unknown code) the prefix is required.
    pub fn parse(input: &str, default_region: Option<&str>) -> Result<PhoneNumber, FieldProblem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(problem("required", "must not be empty"));
        }
        let invalid = || problem("invalid_phone", "must be a valid phone number");
        if s.len() > PHONE_INPUT_MAX {
            return Err(invalid());
        }
        // An unknown region is a configuration slip, not the user's fault: fall back to
        // requiring international form instead of refusing every number.
        let region = default_region
            .and_then(|r| phonenumber::country::Id::from_str(&r.trim().to_ascii_uppercase()).ok());
        let number = phonenumber::parse(region, s).map_err(|_| invalid())?;
        if !phonenumber::is_valid(&number) {
            return Err(invalid());
        }
        // E.164 cannot carry an extension; refuse rather than silently drop it.
        if number.extension().is_some() {
            return Err(problem("invalid_phone", "must not contain an extension"));
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(PhoneNumber(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email(s: &str) -> Result<String, &'static str> {
        EmailAddress::parse(s)
            .map(|e| e.as_str().to_owned())
            .map_err(|p| p.code)
    }

    fn phone(s: &str, region: Option<&str>) -> Result<String, &'static str> {
        PhoneNumber::parse(s, region)
            .map(|p| p.as_str().to_owned())
            .map_err(|p| p.code)
    }

    #[test]
    fn email_valid_and_lowercased() {
        assert_eq!(email("anna@example.com"), Ok("anna@example.com".into()));
        assert_eq!(
            email("  Anna.Kowalska@Example.COM "),
            Ok("anna.kowalska@example.com".into())
        );
        assert_eq!(
            email("a+tag@sub.example.pl"),
            Ok("a+tag@sub.example.pl".into())
        );
        let e = EmailAddress::parse("X@Y.PL").unwrap();
        assert_eq!(e.to_string(), "x@y.pl");
    }

    #[test]
    fn email_invalid() {
        assert_eq!(email(""), Err("required"));
        assert_eq!(email("   "), Err("required"));
        assert_eq!(email("anna"), Err("invalid_email"));
        assert_eq!(email("anna@"), Err("invalid_email"));
        assert_eq!(email("@example.com"), Err("invalid_email"));
        assert_eq!(email("anna@localhost"), Err("invalid_email"));
        assert_eq!(email("anna@@example.com"), Err("invalid_email"));
        assert_eq!(email("anna kowalska@example.com"), Err("invalid_email"));
        assert_eq!(email("Anna <anna@example.com>"), Err("invalid_email"));
        assert_eq!(email("anna@[127.0.0.1]"), Err("invalid_email"));
        assert_eq!(email("anna@example..com"), Err("invalid_email"));
    }

    #[test]
    fn email_length_limit() {
        // 64-char local part (the RFC maximum) plus a long dotted domain.
        let local = "a".repeat(64);
        let domain = format!(
            "{}.{}.{}.pl",
            "b".repeat(61),
            "c".repeat(60),
            "d".repeat(63)
        );
        let ok = format!("{local}@{domain}");
        assert_eq!(ok.len(), 254);
        assert!(EmailAddress::parse(&ok).is_ok());
        let too_long = format!(
            "{local}@{}.{}.{}.pl",
            "b".repeat(62),
            "c".repeat(60),
            "d".repeat(63)
        );
        assert_eq!(too_long.len(), 255);
        assert_eq!(email(&too_long), Err("too_long"));
    }

    #[test]
    fn phone_polish_numbers_normalise_to_e164() {
        let expected = Ok("+48601234567".to_owned());
        assert_eq!(phone("601 234 567", Some("PL")), expected);
        assert_eq!(phone("601-234-567", Some("pl")), expected);
        assert_eq!(phone("601234567", Some("PL")), expected);
        assert_eq!(phone("+48 601-234-567", None), expected);
        assert_eq!(phone("+48601234567", None), expected);
        assert_eq!(phone("(+48) 601 234 567", None), expected);
        assert_eq!(phone("0048 601 234 567", Some("PL")), expected);
        // An international number is honoured whatever the default region.
        assert_eq!(phone("+48 601 234 567", Some("US")), expected);
        // Landline in Warsaw.
        assert_eq!(phone("22 123 45 67", Some("PL")), Ok("+48221234567".into()));
    }

    #[test]
    fn phone_other_countries() {
        assert_eq!(phone("+1 650-253-0000", None), Ok("+16502530000".into()));
        assert_eq!(
            phone("(650) 253-0000", Some("US")),
            Ok("+16502530000".into())
        );
        assert_eq!(phone("+44 20 7946 0958", None), Ok("+442079460958".into()));
        assert_eq!(phone("+49 30 901820", None), Ok("+4930901820".into()));
    }

    #[test]
    fn phone_invalid() {
        assert_eq!(phone("", Some("PL")), Err("required"));
        // Without a region the "+" prefix is required.
        assert_eq!(phone("601 234 567", None), Err("invalid_phone"));
        // Unknown region behaves like no region.
        assert_eq!(phone("601 234 567", Some("XX")), Err("invalid_phone"));
        assert_eq!(
            phone("+48 601 234 567", Some("XX")),
            Ok("+48601234567".into())
        );
        assert_eq!(phone("12", Some("PL")), Err("invalid_phone"));
        assert_eq!(phone("601 234 56", Some("PL")), Err("invalid_phone"));
        assert_eq!(phone("601 234 5678", Some("PL")), Err("invalid_phone"));
        assert_eq!(phone("not a number", Some("PL")), Err("invalid_phone"));
        assert_eq!(phone("+999 123 456 789", None), Err("invalid_phone"));
        assert_eq!(phone(&"1".repeat(100), Some("PL")), Err("invalid_phone"));
        assert_eq!(phone("+48 601 234 567 ext. 12", None), Err("invalid_phone"));
    }

    proptest! {
        #[test]
        fn phone_parse_never_panics(s in "[+0-9 ()./x-]{0,40}", region in prop::option::of("[A-Z]{2}")) {
            let _ = PhoneNumber::parse(&s, region.as_deref());
        }

        #[test]
        fn email_parse_never_panics(s in any::<String>()) {
            let _ = EmailAddress::parse(&s);
        }
    }
}
