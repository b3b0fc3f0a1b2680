use sea_orm::entity::prelude::*;

/// A sub-processor, on the list from version `added_in` until `removed_in`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subprocessors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub purpose: String,
    pub location: String,
    pub transfer_mechanism: String,
    pub added_in: i32,
    pub removed_in: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
