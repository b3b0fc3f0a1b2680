use sea_orm::entity::prelude::*;

/// A verified provider notification that was not applied because it did
/// not match what Termino sold: ids and a reason, nothing personal.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refused_payment_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: String,
    pub kind: String,
    /// A short code: `connected_account`, `unknown_session`, `amount`, …
    pub reason: String,
    /// The Stripe account the event came from, when not Termino's own.
    pub account: Option<String>,
    /// The business the event named or was matched to.
    pub tenant_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
