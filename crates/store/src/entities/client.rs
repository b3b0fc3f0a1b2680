use sea_orm::entity::prelude::*;

/// A business's client. Every personal field is ciphertext under the
/// tenant's data key (see `termino-crypto`); only the blind indexes, the key
/// version and the timestamps are readable here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The data-key version every field of this row is encrypted under.
    pub key_version: i32,
    pub name: Vec<u8>,
    pub email: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
    pub date_of_birth: Option<Vec<u8>>,
    pub custom_fields: Option<Vec<u8>>,
    pub marketing_consent: Vec<u8>,
    /// Consent to text messages; none on clients from before SMS.
    pub sms_consent: Option<Vec<u8>>,
    /// The language the client reads; none on clients from before.
    pub language: Option<Vec<u8>>,
    pub email_index: Option<String>,
    pub phone_index: Option<String>,
    /// Processing restricted at the client's request (Art. 18): kept, not
    /// used.
    pub restricted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
