//! Roles of users inside a tenant and what each may do.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldProblem, problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Staff,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Staff => "staff",
        }
    }

    pub fn parse(input: &str) -> Result<Role, FieldProblem> {
        match input.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "staff" => Ok(Role::Staff),
            _ => Err(problem(
                "invalid_role",
                "must be one of: owner, admin, staff",
            )),
        }
    }

    /// Only the owner may add or remove people, so an admin cannot demote the owner.
    pub fn can_manage_users(&self) -> bool {
        matches!(self, Role::Owner)
    }

    /// API keys grant full programmatic access, so they stay with the owner.
    pub fn can_manage_api_keys(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    pub fn can_edit_business_settings(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    pub fn can_view_users(&self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Staff];

    #[test]
    fn as_str_and_parse_round_trip() {
        for role in ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::Owner.as_str(), "owner");
        assert_eq!(Role::Admin.as_str(), "admin");
        assert_eq!(Role::Staff.as_str(), "staff");
        assert_eq!(Role::parse(" Admin "), Ok(Role::Admin));
        assert_eq!(Role::parse("root").unwrap_err().code, "invalid_role");
        assert_eq!(Role::parse("").unwrap_err().code, "invalid_role");
    }

    #[test]
    fn deserializes_lowercase() {
        use serde::de::value::{Error, StrDeserializer};
        assert_eq!(
            Role::deserialize(StrDeserializer::<Error>::new("staff")).unwrap(),
            Role::Staff
        );
        assert!(Role::deserialize(StrDeserializer::<Error>::new("Staff")).is_err());
    }

    #[test]
    fn permissions() {
        let table = |r: Role| {
            (
                r.can_manage_users(),
                r.can_manage_api_keys(),
                r.can_edit_business_settings(),
                r.can_view_users(),
            )
        };
        assert_eq!(table(Role::Owner), (true, true, true, true));
        assert_eq!(table(Role::Admin), (false, true, true, true));
        assert_eq!(table(Role::Staff), (false, false, false, false));
    }
}
