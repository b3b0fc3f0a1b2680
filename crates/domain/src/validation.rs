//! Field-level validation errors shared by every input parser.

use serde::Serialize;

/// One problem with one input field, ready to show to a user or return in an API body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable machine code, e.g. "invalid_email"; clients may branch on it.
    pub code: &'static str,
    /// Short English, user-facing text.
    pub message: String,
}

/// All problems found in one submitted form or request.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
#[error("invalid input")]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code,
            message: message.into(),
        });
    }

    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, code, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Records a parser's problem under `field` and yields the value if there was none,
    /// so a form can be checked field by field and report everything at once.
    pub fn check<T>(&mut self, field: &str, r: Result<T, FieldProblem>) -> Option<T> {
        match r {
            Ok(value) => Some(value),
            Err(problem) => {
                self.add(field, problem.code, problem.message);
                None
            }
        }
    }
}

/// A problem with a single value, before it is known which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub code: &'static str,
    pub message: String,
}

/// Crate-internal shorthand for building a [`FieldProblem`].
pub(crate) fn problem(code: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        code,
        message: message.into(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    #[test]
    fn empty_errors_are_ok() {
        assert!(ValidationErrors::new().is_empty());
        assert_eq!(ValidationErrors::new().into_result(), Ok(()));
        assert_eq!(ValidationErrors::default(), ValidationErrors::new());
    }

    #[test]
    fn single_holds_one_error() {
        let errors =
            ValidationErrors::single("email", "invalid_email", "must be a valid e-mail address");
        assert_eq!(
            errors.0,
            vec![FieldError {
                field: "email".into(),
                code: "invalid_email",
                message: "must be a valid e-mail address".into(),
            }]
        );
        assert!(errors.into_result().is_err());
    }

    #[test]
    fn check_collects_problems_and_passes_values() {
        let mut errors = ValidationErrors::new();
        assert_eq!(errors.check("a", Ok::<_, FieldProblem>(5)), Some(5));
        assert!(errors.is_empty());
        let bad: Result<i32, _> = Err(problem("too_short", "is too short"));
        assert_eq!(errors.check("b", bad), None);
        errors.add("c", "reserved", String::from("is reserved"));
        let err = errors.into_result().unwrap_err();
        assert_eq!(err.0.len(), 2);
        assert_eq!(err.0[0].field, "b");
        assert_eq!(err.0[0].code, "too_short");
        assert_eq!(err.0[1].code, "reserved");
        assert_eq!(err.to_string(), "invalid input");
    }
}
