use sea_orm::entity::prelude::*;

/// One change of a business's plan, kept for good (the retention rules
/// read the paid periods from here).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan: String,
    pub state: String,
    pub paid_until: Option<DateTimeUtc>,
    pub reason: String,
    pub provider: String,
    pub event_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
