//! Text messages: which numbers get them, how long a text is in segments
//! (what a gateway bills), and the "without Polish characters" spelling.

use std::str::FromStr;

/// GSM 03.38 basic character set (one septet each; ESC left out).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: an escape and the character, two septets each.
const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 7-bit GSM alphabet: 160 per message, 153 per part of a long one.
    Gsm7,
    /// UCS-2 (any character outside GSM-7, e.g. "ą"): 70, or 67 per part.
    Ucs2,
}

/// A text's length as a gateway counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

fn gsm_units(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Counts a text's segments. A character is never split across two parts
/// (an escape and its character, a surrogate pair stay together), so a
/// long text is packed part by part the way phones reassemble it.
pub fn length(text: &str) -> Length {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm_units).collect();
    let (encoding, units, single, part) = match gsm {
        Some(units) => (Encoding::Gsm7, units, 160, 153),
        None => (
            Encoding::Ucs2,
            text.chars().map(char::len_utf16).collect(),
            70,
            67,
        ),
    };
    let total: usize = units.iter().sum();
    let segments = if total == 0 {
        0
    } else if total <= single {
        1
    } else {
        let mut segments = 1;
        let mut used = 0;
        for u in units {
            if used + u > part {
                segments += 1;
                used = 0;
            }
            used += u;
        }
        segments
    };
    Length {
        encoding,
        units: total,
        segments,
    }
}

/// The text spelled without Polish letters (and typographic quotes and
/// dashes), for a business that chose to keep its texts in GSM-7.
pub fn without_polish_characters(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            'Ą' => 'A',
            'Ć' => 'C',
            'Ę' => 'E',
            'Ł' => 'L',
            'Ń' => 'N',
            'Ó' => 'O',
            'Ś' => 'S',
            'Ź' | 'Ż' => 'Z',
            '„' | '”' | '“' | '«' | '»' => '"',
            '‘' | '’' | '‚' => '\'',
            '–' | '—' => '-',
            '\u{a0}' => ' ',
            other => other,
        })
        .collect()
}

/// Text messages a business may send in a calendar month (UTC) on its
/// plan; at the limit texts stop (e-mail goes on) and the owner is told.
pub fn monthly_limit(plan: crate::plan::PlanKind) -> u64 {
    match plan {
        crate::plan::PlanKind::Trial => 10,
        crate::plan::PlanKind::Free => 0,
        crate::plan::PlanKind::Pro => 1000,
    }
}

/// Why a number gets no text message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSms {
    /// Not a phone number at all.
    Invalid,
    /// A valid number of a kind that cannot receive texts (a landline,
    /// a toll-free or premium line…).
    NotMobile,
}

impl NoSms {
    pub fn as_str(self) -> &'static str {
        match self {
            NoSms::Invalid => "invalid_phone",
            NoSms::NotMobile => "not_mobile",
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            NoSms::Invalid => "is not a valid phone number",
            NoSms::NotMobile => "is not a mobile number, so it cannot receive text messages",
        }
    }
}

/// The number in E.164 form if it can receive texts: a mobile number, or
/// one the numbering plan cannot tell from a landline (as in the USA).
/// Numbers without a "+country" prefix are read in `default_region` ("PL").
pub fn sms_number(input: &str, default_region: &str) -> Result<String, NoSms> {
    let region = phonenumber::country::Id::from_str(default_region).ok();
    let number = phonenumber::parse(region, input.trim()).map_err(|_| NoSms::Invalid)?;
    if !phonenumber::is_valid(&number) || number.extension().is_some() {
        return Err(NoSms::Invalid);
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile => {
            Ok(number.format().mode(phonenumber::Mode::E164).to_string())
        }
        _ => Err(NoSms::NotMobile),
    }
}

/// The placeholders an SMS template may use, each filled from the
/// booking: the business's name, the service, who serves, the day, the
/// hour, and the client's link to confirm, move or cancel.
pub const PLACEHOLDERS: [&str; 6] = ["business", "service", "staff", "date", "time", "link"];

/// Longest template accepted: three GSM-7 parts before the placeholders
/// are filled.
pub const MAX_TEMPLATE: usize = 459;

/// Why a template is refused, named for the field's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateProblem {
    Empty,
    TooLong,
    /// `{name}` is not one of [`PLACEHOLDERS`] (or a brace is unclosed).
    UnknownPlaceholder(String),
}

impl TemplateProblem {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateProblem::Empty => "required",
            TemplateProblem::TooLong => "too_long",
            TemplateProblem::UnknownPlaceholder(_) => "unknown_placeholder",
        }
    }

    pub fn message(&self) -> String {
        match self {
            TemplateProblem::Empty => "must not be empty".into(),
            TemplateProblem::TooLong => format!("must be at most {MAX_TEMPLATE} characters"),
            TemplateProblem::UnknownPlaceholder(name) => format!(
                "{{{name}}} is not a placeholder; use {}",
                PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ),
        }
    }
}

/// The pieces of a template: literal text and placeholder names.
fn pieces(template: &str) -> Result<Vec<(bool, &str)>, TemplateProblem> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push((false, &rest[..open]));
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(TemplateProblem::UnknownPlaceholder(
                after.chars().take(20).collect(),
            ));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(TemplateProblem::UnknownPlaceholder(
                name.chars().take(20).collect(),
            ));
        }
        out.push((true, name));
        rest = &after[close + 1..];
    }
    out.push((false, rest));
    Ok(out)
}

/// A template as the owner typed it, checked: not empty, not too long,
/// only known placeholders. Returns it trimmed.
pub fn check_template(template: &str) -> Result<String, TemplateProblem> {
    let t = template.trim();
    if t.is_empty() {
        return Err(TemplateProblem::Empty);
    }
    if t.chars().count() > MAX_TEMPLATE {
        return Err(TemplateProblem::TooLong);
    }
    pieces(t)?;
    Ok(t.to_string())
}

/// The template with its placeholders filled by `value` (a checked
/// template; an unchecked one is returned as it is).
pub fn fill_template(template: &str, value: impl Fn(&str) -> String) -> String {
    match pieces(template) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|(placeholder, s)| if placeholder { value(s) } else { s.to_string() })
            .collect::<String>()
            .trim()
            .to_string(),
        Err(_) => template.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_fits_160_in_one_and_153_per_part() {
        let one = "a".repeat(160);
        assert_eq!(length(&one).segments, 1);
        assert_eq!(length(&one).encoding, Encoding::Gsm7);
        assert_eq!(length(&"a".repeat(161)).segments, 2);
        assert_eq!(length(&"a".repeat(306)).segments, 2);
        assert_eq!(length(&"a".repeat(307)).segments, 3);
        assert_eq!(length("").segments, 0);
    }

    #[test]
    fn extension_characters_take_two_septets_and_are_not_split() {
        let l = length("€");
        assert_eq!((l.encoding, l.units, l.segments), (Encoding::Gsm7, 2, 1));
        assert_eq!(length(&"[".repeat(80)).segments, 1);
        assert_eq!(length(&"[".repeat(81)).segments, 2);
        // 152 septets then an escape pair: the pair goes to the next part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(length(&text).units, 164);
        assert_eq!(length(&text).segments, 2);
    }

    #[test]
    fn polish_letters_make_ucs2_with_70_and_67() {
        let l = length("Przypomnienie: wizyta jutro o 10:00, ul. Łąkowa");
        assert_eq!(l.encoding, Encoding::Ucs2);
        assert_eq!(length(&"ż".repeat(70)).segments, 1);
        assert_eq!(length(&"ż".repeat(71)).segments, 2);
        assert_eq!(length(&"ż".repeat(134)).segments, 2);
        assert_eq!(length(&"ż".repeat(135)).segments, 3);
        // An emoji is a surrogate pair: two units, kept together.
        assert_eq!(length("🙂").units, 2);
        assert_eq!(length(&format!("{}🙂", "a".repeat(66))).segments, 1);
        assert_eq!(length(&format!("{}🙂", "a".repeat(69))).segments, 2);
    }

    #[test]
    fn without_polish_characters_the_text_is_gsm7() {
        let text = "Zażółć gęślą jaźń – „Łódź”";
        let plain = without_polish_characters(text);
        assert_eq!(plain, "Zazolc gesla jazn - \"Lodz\"");
        assert_eq!(length(text).encoding, Encoding::Ucs2);
        assert_eq!(length(&plain).encoding, Encoding::Gsm7);
    }

    #[test]
    fn templates_take_only_known_placeholders() {
        assert_eq!(
            check_template("  {business}: {date} {time} "),
            Ok("{business}: {date} {time}".into())
        );
        assert_eq!(check_template("   "), Err(TemplateProblem::Empty));
        assert_eq!(
            check_template("Hi {name}"),
            Err(TemplateProblem::UnknownPlaceholder("name".into()))
        );
        assert!(matches!(
            check_template("Hi {business"),
            Err(TemplateProblem::UnknownPlaceholder(_))
        ));
        assert_eq!(
            check_template(&"a".repeat(460)),
            Err(TemplateProblem::TooLong)
        );
        let filled = fill_template("{business}, {time}. {link}", |p| match p {
            "business" => "Salon".into(),
            "time" => "10:00".into(),
            _ => String::new(),
        });
        assert_eq!(filled, "Salon, 10:00.");
    }

    #[test]
    fn only_mobile_numbers_get_texts() {
        assert_eq!(sms_number("601 234 567", "PL").unwrap(), "+48601234567");
        assert_eq!(sms_number("+48 601-234-567", "PL").unwrap(), "+48601234567");
        // A Warsaw landline.
        assert_eq!(sms_number("22 123 45 67", "PL"), Err(NoSms::NotMobile));
        assert_eq!(sms_number("800 123 456", "PL"), Err(NoSms::NotMobile));
        assert_eq!(sms_number("12", "PL"), Err(NoSms::Invalid));
        // The US plan cannot tell mobiles from landlines.
        assert_eq!(sms_number("+1 201 555 0123", "PL").unwrap(), "+12015550123");
    }
}
