use sea_orm::entity::prelude::*;

/// A client's payment for a booking, at the business's own provider
/// account: provider ids, the amount and the state, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub booking_id: Uuid,
    /// `stripe` (tpay comes next).
    pub provider: String,
    /// The Checkout Session.
    pub provider_ref: Option<String>,
    /// The PaymentIntent, once paid.
    pub payment_ref: Option<String>,
    pub amount_minor: i64,
    pub currency: String,
    /// `pending`, `paid`, `expired`, `refund_due`, `refunded`.
    pub status: String,
    /// What is (to be) refunded, minor units.
    pub refund_minor: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
