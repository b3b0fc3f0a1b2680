use sea_orm::entity::prelude::*;

/// One change of a booking for the panel's feed: no personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub booking_id: Uuid,
    /// created, requested, rescheduled, cancelled, declined, approved,
    /// confirmed_by_client
    pub kind: String,
    /// client, business, staff, system
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
