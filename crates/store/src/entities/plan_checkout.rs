use sea_orm::entity::prelude::*;

/// A plan payment Termino itself started for a business: a Stripe Checkout
/// Session or a tpay transaction, with what it was priced for. A provider's
/// notification moves a plan only through one of these.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_checkouts")]
pub struct Model {
    /// `stripe` or `tpay`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    /// The Checkout Session's id, or the tpay transaction's `crc`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub reference: String,
    pub tenant_id: Uuid,
    /// `month` or `year`.
    pub interval: String,
    /// Active staff members when it was made: the seats it is priced for.
    pub seats: i64,
    /// Pro's price a seat for the interval, minor units.
    pub unit_minor: i64,
    /// Lower case (`pln`).
    pub currency: String,
    /// The subscription the verified completion named (Stripe).
    pub subscription_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
