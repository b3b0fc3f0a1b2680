use sea_orm::entity::prelude::*;

/// Different hours (or a day off) on one date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_overrides")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_id: Uuid,
    /// `YYYY-MM-DD`, in the staff member's zone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    /// JSON list of `{start, end}` minutes; empty = day off.
    #[sea_orm(column_type = "Text")]
    pub intervals: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
