//! Typed identifiers so a tenant id can never be passed where a user id is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

macro_rules! uuid_id {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh UUIDv7: time-ordered, so new rows cluster at the end of indexes.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )+};
}

uuid_id! {
    /// A business (tenant) account.
    TenantId,
    /// A person who can log in to a tenant.
    UserId,
    /// An API key issued by a tenant.
    ApiKeyId,
    /// A pending invitation for a user to join a tenant.
    InvitationId,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_v7_and_distinct() {
        let a = TenantId::new();
        let b = TenantId::new();
        assert_ne!(a, b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let uuid = Uuid::parse_str("0190f3a4-1b2c-7d3e-8f40-123456789abc").unwrap();
        let id = UserId::from_uuid(uuid);
        assert_eq!(id.to_string(), "0190f3a4-1b2c-7d3e-8f40-123456789abc");
        assert_eq!(id.as_uuid(), uuid);
        assert_eq!(
            "0190f3a4-1b2c-7d3e-8f40-123456789abc"
                .parse::<UserId>()
                .unwrap(),
            id
        );
        assert!("not-a-uuid".parse::<ApiKeyId>().is_err());
        assert!("".parse::<InvitationId>().is_err());
    }

    #[test]
    fn ordering_follows_creation_time() {
        let first = InvitationId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = InvitationId::new();
        assert!(first < second);
    }

    #[test]
    fn deserializes_from_plain_string() {
        use serde::Deserialize;
        use serde::de::value::{Error, StrDeserializer};
        let de = StrDeserializer::<Error>::new("0190f3a4-1b2c-7d3e-8f40-123456789abc");
        let id = TenantId::deserialize(de).unwrap();
        assert_eq!(id.to_string(), "0190f3a4-1b2c-7d3e-8f40-123456789abc");
    }
}
