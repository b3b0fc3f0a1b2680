use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub duration_min: i32,
    /// Integer minor units (grosze, cents).
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub min_notice_min: i32,
    pub max_advance_days: i32,
    pub step_min: i32,
    /// 1 = an appointment; more = a class with seats.
    pub capacity: i32,
    pub requires_approval: bool,
    /// `none`, `deposit` or `full`: what a client pays when booking.
    pub payment_mode: String,
    /// A deposit of this amount (minor units)…
    pub deposit_minor: Option<i64>,
    /// …or of this percentage of the price.
    pub deposit_percent: Option<i32>,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
