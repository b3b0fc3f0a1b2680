use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub client_id: Uuid,
    /// requested, awaiting_payment, confirmed, completed, no_show, cancelled
    pub status: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// The interval with the service's buffers: what collides.
    pub occupied_start: DateTimeUtc,
    pub occupied_end: DateTimeUtc,
    /// Equal for the seats of one class, unique for an appointment.
    pub class_key: String,
    pub seats: i32,
    pub client_zone: String,
    /// The client's notes, ciphertext under the tenant key.
    pub notes: Option<Vec<u8>>,
    pub manage_token_hash: String,
    pub cancelled_by: Option<String>,
    /// Awaiting payment until then; released after.
    pub payment_due_by: Option<DateTimeUtc>,
    /// Ciphertext under the tenant key.
    pub cancel_reason: Option<Vec<u8>>,
    /// The calendar SEQUENCE: raised by every change.
    pub sequence: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The manage token, ciphertext under the tenant key, so that a
    /// reminder can carry the manage link (older bookings: none).
    pub manage_token: Option<Vec<u8>>,
    /// The client confirmed the visit (from a reminder's manage link).
    pub confirmed_by_client_at: Option<DateTimeUtc>,
    /// When it was cancelled or declined (older cancellations: none).
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
