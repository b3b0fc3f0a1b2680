//! What an API key may do: read or write, per area of the business.

use std::collections::BTreeSet;
use std::fmt;

use crate::FieldProblem;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    /// Business settings and `/me`.
    Business,
    /// Services, staff, working hours, closures, availability.
    Catalog,
    Bookings,
    Clients,
}

impl Area {
    pub const ALL: [Area; 4] = [Area::Business, Area::Catalog, Area::Bookings, Area::Clients];

    pub fn as_str(self) -> &'static str {
        match self {
            Area::Business => "business",
            Area::Catalog => "catalog",
            Area::Bookings => "bookings",
            Area::Clients => "clients",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// One permission, written `area:read` or `area:write`; write includes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub area: Area,
    pub access: Access,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.area.as_str(), self.access.as_str())
    }
}

impl Scope {
    pub fn parse(text: &str) -> Result<Scope, FieldProblem> {
        let bad = || FieldProblem {
            code: "invalid_scope",
            message: format!(
                "{text:?} is not a scope; use area:read or area:write with area one of business, catalog, bookings, clients"
            ),
        };
        let (area, access) = text.trim().split_once(':').ok_or_else(bad)?;
        let area = Area::ALL
            .into_iter()
            .find(|a| a.as_str() == area)
            .ok_or_else(bad)?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return Err(bad()),
        };
        Ok(Scope { area, access })
    }
}

/// The scopes of a key. Stored as a space-separated list; `*` is every scope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    pub fn all() -> Scopes {
        Scopes(
            Area::ALL
                .into_iter()
                .flat_map(|area| {
                    [Access::Read, Access::Write]
                        .into_iter()
                        .map(move |access| Scope { area, access })
                })
                .collect(),
        )
    }

    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Scopes, FieldProblem> {
        let mut set = BTreeSet::new();
        for item in items {
            set.insert(Scope::parse(item.as_ref())?);
        }
        if set.is_empty() {
            return Err(FieldProblem {
                code: "required",
                message: "give at least one scope".into(),
            });
        }
        Ok(Scopes(set))
    }

    pub fn from_stored(text: &str) -> Scopes {
        if text.trim() == "*" {
            return Scopes::all();
        }
        Scopes(
            text.split_whitespace()
                .filter_map(|s| Scope::parse(s).ok())
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        if *self == Scopes::all() {
            return "*".into();
        }
        self.0
            .iter()
            .map(Scope::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn allows(&self, area: Area, access: Access) -> bool {
        self.0
            .iter()
            .any(|s| s.area == area && (s.access == access || s.access == Access::Write))
    }

    pub fn list(&self) -> Vec<String> {
        self.0.iter().map(Scope::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn write_includes_read_and_areas_are_separate() {
        let s = Scopes::parse_list(&["bookings:write", "clients:read"]).unwrap();
        assert!(s.allows(Area::Bookings, Access::Read));
        assert!(s.allows(Area::Bookings, Access::Write));
        assert!(s.allows(Area::Clients, Access::Read));
        assert!(!s.allows(Area::Clients, Access::Write));
        assert!(!s.allows(Area::Catalog, Access::Read));
    }

    #[test]
    fn stored_form_round_trips() {
        let s = Scopes::parse_list(&["clients:read", "bookings:read"]).unwrap();
        assert_eq!(s.to_stored(), "bookings:read clients:read");
        assert_eq!(Scopes::from_stored(&s.to_stored()), s);
        assert_eq!(Scopes::from_stored("*"), Scopes::all());
        assert_eq!(Scopes::all().to_stored(), "*");
    }

    #[test]
    fn unknown_scopes_are_refused() {
        assert!(Scope::parse("bookings:delete").is_err());
        assert!(Scope::parse("payments:read").is_err());
        assert!(Scopes::parse_list::<&str>(&[]).is_err());
    }
}
