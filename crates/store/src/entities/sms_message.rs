use sea_orm::entity::prelude::*;

/// A text message to a business's client, queued or sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub booking_id: Option<Uuid>,
    /// E.164, sealed under the business's key.
    pub phone: Vec<u8>,
    /// The text, sealed; `None` once sent.
    pub body: Option<Vec<u8>>,
    /// `smsapi` or `twilio`: whose callbacks name this message.
    pub provider: String,
    pub provider_id: Option<String>,
    /// `queued`, `sent`, `delivered` or `failed`.
    pub status: String,
    pub segments: i32,
    /// Send attempts claimed so far (counted at the claim).
    pub attempts: i32,
    /// When a queued message is due (or its sender's lease ends).
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
