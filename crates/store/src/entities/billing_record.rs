use sea_orm::entity::prelude::*;

/// A payment to Termino for a plan: Termino's own tax record, kept apart
/// from the business's data and not purged with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub provider: String,
    /// The provider's invoice or transaction id.
    pub reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub paid_at: DateTimeUtc,
    /// Tax law: 5 years from the end of the year the tax was due.
    pub keep_until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
