//! Template contexts (askama) and the form fields they show.

use askama::Template;

use crate::i18n::Texts;

/// The links of the language switch: the current query with `lang` replaced.
#[derive(Debug, Clone)]
pub struct LangSwitch {
    pub pl: String,
    pub en: String,
}

impl LangSwitch {
    pub fn for_query(query: Option<&str>) -> Self {
        let kept: Vec<&str> = query
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty() && *pair != "lang" && !pair.starts_with("lang="))
            .collect();
        let link = |code: &str| {
            let mut parts = kept.clone();
            let lang = format!("lang={code}");
            parts.push(&lang);
            format!("?{}", parts.join("&"))
        };
        Self {
            pl: link("pl"),
            en: link("en"),
        }
    }
}

/// One option of a `<select>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One labelled input with its hint and error.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// The `type` of the input, or `select`.
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub hint: Option<&'static str>,
    /// Shown before the input, e.g. `/b/`.
    pub prefix: Option<&'static str>,
    pub error: Option<String>,
    pub required: bool,
    pub options: Vec<Choice>,
    /// Tells apart fields of the same name in several forms of a page.
    pub id_prefix: String,
}

impl Field {
    pub fn new(name: &'static str, label: &'static str, kind: &'static str) -> Self {
        Self {
            name,
            label,
            kind,
            value: String::new(),
            autocomplete: "",
            hint: None,
            prefix: None,
            error: None,
            required: true,
            options: Vec::new(),
            id_prefix: String::new(),
        }
    }

    /// The element id: the name, with the form's prefix if any.
    pub fn id(&self) -> String {
        format!("{}{}", self.id_prefix, self.name)
    }

    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    pub fn prefixed(mut self, prefix: impl Into<String>) -> Self {
        self.id_prefix = prefix.into();
        self
    }

    /// A checkbox, ticked when `on`.
    pub fn checkbox(name: &'static str, label: &'static str, on: bool) -> Self {
        let mut f = Self::new(name, label, "checkbox").value(if on { "on" } else { "" });
        f.required = false;
        f
    }

    /// Several checkboxes of one name; `(value, label, ticked)`.
    pub fn checkboxes(
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String, bool)>,
    ) -> Self {
        let mut f = Self::new(name, label, "checkboxes");
        f.required = false;
        f.options = options
            .into_iter()
            .map(|(value, label, selected)| Choice {
                value,
                label,
                selected,
            })
            .collect();
        f
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    pub fn autocomplete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = autocomplete;
        self
    }

    pub fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn prefix(mut self, prefix: &'static str) -> Self {
        self.prefix = Some(prefix);
        self
    }

    /// A `<select>` of `(value, label)`; the current value stays selectable
    /// even when it is not among the choices.
    pub fn choices<V: AsRef<str>, L: AsRef<str>>(mut self, choices: &[(V, L)]) -> Self {
        let current = self.value.clone();
        let mut options: Vec<Choice> = choices
            .iter()
            .map(|(v, l)| Choice {
                value: v.as_ref().to_string(),
                label: l.as_ref().to_string(),
                selected: v.as_ref() == current,
            })
            .collect();
        if !current.is_empty() && !options.iter().any(|o| o.selected) {
            options.insert(
                0,
                Choice {
                    value: current.clone(),
                    label: current,
                    selected: true,
                },
            );
        }
        self.kind = "select";
        self.options = options;
        self
    }

    /// The ids of the hint and the error, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id()));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id()));
        }
        ids.join(" ")
    }
}

/// Errors to show beside fields, already translated.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, text: String) {
        self.0.push((field.to_string(), text));
    }

    /// Puts each error beside its field (the first per field) and returns
    /// the texts of errors for fields the form does not show.
    pub fn place(&self, fields: &mut [Field]) -> Vec<String> {
        let mut unplaced = Vec::new();
        for (name, text) in &self.0 {
            match fields.iter_mut().find(|f| f.name == name) {
                Some(field) => {
                    if field.error.is_none() {
                        field.error = Some(text.clone());
                    }
                }
                None => unplaced.push(text.clone()),
            }
        }
        unplaced
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub csrf_token: String,
    pub fields: Vec<Field>,
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub csrf_token: String,
    pub business: String,
    pub fields: Vec<Field>,
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "reset_request.html")]
pub struct ResetRequestPage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub csrf_token: String,
    pub fields: Vec<Field>,
    pub form_error: Option<String>,
    pub sent: bool,
}

#[derive(Template)]
#[template(path = "reset.html")]
pub struct ResetPage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub csrf_token: String,
    pub token: String,
    pub fields: Vec<Field>,
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "invite.html")]
pub struct InvitePage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub csrf_token: String,
    pub token: String,
    pub business_name: String,
    pub role: &'static str,
    pub email: String,
    pub has_account: bool,
    pub fields: Vec<Field>,
    pub form_error: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub t: &'static Texts,
    pub sw: LangSwitch,
    pub title: &'static str,
    pub body: String,
    pub is_error: bool,
    pub link_href: Option<String>,
    pub link_text: &'static str,
}

/// Time zones offered at sign-up; any other valid IANA name is accepted too.
pub const TIME_ZONES: &[&str] = &[
    "Europe/Warsaw",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Prague",
    "Europe/Bratislava",
    "Europe/Budapest",
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Helsinki",
    "Europe/Tallinn",
    "Europe/Riga",
    "Europe/Vilnius",
    "Europe/Kyiv",
    "Europe/Bucharest",
    "Europe/Sofia",
    "Europe/Athens",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
];

pub const DEFAULT_TIME_ZONE: &str = "Europe/Warsaw";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    #[test]
    fn lang_switch_keeps_other_parameters() {
        let sw = LangSwitch::for_query(Some("business=salon&lang=en"));
        assert_eq!(sw.pl, "?business=salon&lang=pl");
        assert_eq!(sw.en, "?business=salon&lang=en");
        let sw = LangSwitch::for_query(None);
        assert_eq!(sw.pl, "?lang=pl");
    }

    #[test]
    fn select_keeps_an_unlisted_value() {
        let f = Field::new("time_zone", "Time zone", "text")
            .value("Mars/Base")
            .choices(&[("UTC", "UTC")]);
        assert_eq!(f.kind, "select");
        assert_eq!(f.options[0].value, "Mars/Base");
        assert!(f.options[0].selected);
        assert!(!f.options[1].selected);
    }

    #[test]
    fn errors_go_beside_their_fields() {
        let mut fields = vec![
            Field::new("email", "E-mail", "email").hint("h"),
            Field::new("password", "Password", "password"),
        ];
        let mut errors = FieldErrors::default();
        errors.add("email", "bad".into());
        errors.add("email", "second".into());
        errors.add("token", "elsewhere".into());
        let rest = errors.place(&mut fields);
        assert_eq!(fields[0].error.as_deref(), Some("bad"));
        assert_eq!(fields[0].described_by(), "email-hint email-error");
        assert_eq!(fields[1].described_by(), "");
        assert_eq!(rest, vec!["elsewhere".to_string()]);
    }
}
