use sea_orm::entity::prelude::*;

/// A private calendar feed: a staff member's (or, without one, the whole
/// business's) bookings at a secret address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_feeds")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub staff_id: Option<Uuid>,
    /// SHA-256 of the secret in the address.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// `first_name` or `none`.
    pub client_details: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
