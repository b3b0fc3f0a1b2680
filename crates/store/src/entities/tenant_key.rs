use sea_orm::entity::prelude::*;

/// A tenant's key, wrapped by the master key. Lives in the key store, a
/// database apart from the main one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub purpose: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub state: String,
    pub wrapped: Option<Vec<u8>>,
    pub kek_id: String,
    pub encryptions: i64,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
    pub destroyed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
