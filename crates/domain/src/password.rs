//! Strength rules for passwords chosen by users.

use zxcvbn::Score;

use crate::validation::{FieldProblem, problem};

const MIN_CHARS: usize = 10;
/// Long enough for passphrases, short enough that hashing cost stays bounded.
const MAX_CHARS: usize = 128;

/// Checks a newly chosen password. `user_inputs` are things an attacker would try first
/// (name, e-mail, company name, slug); a password built from them is refused.
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), FieldProblem> {
    let len = password.chars().count();
    if len < MIN_CHARS {
        return Err(problem(
            "too_short",
            format!("must be at least {MIN_CHARS} characters"),
        ));
    }
    if len > MAX_CHARS {
        return Err(problem(
            "too_long",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    let hints = expand_user_inputs(user_inputs);
    let hint_refs: Vec<&str> = hints.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(password, &hint_refs);
    if entropy.score() < Score::Three {
        let message = match entropy.feedback().and_then(|f| f.warning()) {
            Some(warning) => format!("is too easy to guess. {warning}"),
            None => "is too easy to guess".to_owned(),
        };
        return Err(problem("weak_password", message));
    }
    Ok(())
}

/// zxcvbn matches each input only as a whole token, so "Salon Anna" would not catch
/// "salonanna2024". Feed it the joined form and the separate words as well.
fn expand_user_inputs(user_inputs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for input in user_inputs {
        let lower = input.trim().to_lowercase();
        if lower.is_empty() {
            continue;
        }
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .collect();
        let joined: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        out.push(lower.clone());
        if !joined.is_empty() {
            out.push(joined);
        }
        out.extend(words.into_iter().map(str::to_owned));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    fn code(password: &str, inputs: &[&str]) -> Option<&'static str> {
        check_new_password(password, inputs).err().map(|p| p.code)
    }

    #[test]
    fn length_limits() {
        assert_eq!(code("", &[]), Some("too_short"));
        assert_eq!(code("Ab3$kq9!z", &[]), Some("too_short"));
        // Counted in characters, not bytes.
        assert_eq!(code("żółćęśąźńł", &[]).filter(|c| *c == "too_short"), None);
        assert_eq!(code(&"x".repeat(129), &[]), Some("too_long"));
    }

    #[test]
    fn common_passwords_refused() {
        assert_eq!(code("password123", &[]), Some("weak_password"));
        assert_eq!(code("qwertyuiop", &[]), Some("weak_password"));
        assert_eq!(code("Password1!", &[]), Some("weak_password"));
        assert_eq!(code("aaaaaaaaaaaa", &[]), Some("weak_password"));
        assert_eq!(code("1234567890", &[]), Some("weak_password"));
    }

    #[test]
    fn weak_message_includes_feedback() {
        let p = check_new_password("qwertyuiop", &[]).unwrap_err();
        assert!(
            p.message.starts_with("is too easy to guess"),
            "{}",
            p.message
        );
        assert!(
            p.message.len() > "is too easy to guess".len(),
            "{}",
            p.message
        );
    }

    #[test]
    fn strong_passwords_accepted() {
        assert_eq!(
            check_new_password("correct horse battery staple", &[]),
            Ok(())
        );
        assert_eq!(check_new_password("vY7#kq2!Lm9@xR", &[]), Ok(()));
        assert_eq!(check_new_password(&"vY7#kq2!Lm9@xR".repeat(9), &[]), Ok(()));
    }

    #[test]
    fn passwords_built_from_user_inputs_refused() {
        let inputs = [
            "Anna Kowalska",
            "anna@salon-wiosna.pl",
            "Salon Wiosna Kraków",
            "salon-wiosna",
        ];
        assert_eq!(
            code("SalonWiosnaKraków2024", &inputs),
            Some("weak_password")
        );
        assert_eq!(code("salonwiosna2024", &inputs), Some("weak_password"));
        assert_eq!(
            code("Salon Wiosna Kraków 1", &inputs),
            Some("weak_password")
        );
        assert_eq!(code("annakowalska1", &inputs), Some("weak_password"));
        // The same string is fine for someone else, proving the inputs made the difference.
        let other = ["Jan Nowak", "jan@example.com", "Fryzjer Jan", "fryzjer-jan"];
        assert_eq!(check_new_password("SalonWiosnaKraków2024", &other), Ok(()));
    }

    #[test]
    fn expand_inputs_adds_words_and_joined_form() {
        let hints = expand_user_inputs(&["Salon Wiosna", "", "a@b.pl"]);
        assert!(hints.contains(&"salon wiosna".to_owned()));
        assert!(hints.contains(&"salonwiosna".to_owned()));
        assert!(hints.contains(&"salon".to_owned()));
        assert!(hints.contains(&"wiosna".to_owned()));
        assert!(hints.contains(&"a@b.pl".to_owned()));
        assert!(!hints.contains(&String::new()));
    }
}
