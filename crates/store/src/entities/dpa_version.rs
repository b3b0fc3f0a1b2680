use sea_orm::entity::prelude::*;

/// A published version of the data-processing agreement (global).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dpa_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: String,
    pub published_at: DateTimeUtc,
    /// Businesses that accepted an earlier version may go on processing
    /// until this time.
    pub accept_by: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub text_en: String,
    #[sea_orm(column_type = "Text")]
    pub text_pl: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
