use sea_orm::entity::prelude::*;

/// Proof that a business was purged: what, when, which keys. Outlives the
/// business (no foreign key) and holds no personal data.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deletion_certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub tenant_id: Uuid,
    pub slug: String,
    /// `trial-ended`, `paid-period-ended` or `owner-request`.
    pub reason: String,
    pub requested_at: Option<DateTimeUtc>,
    /// When the purge was due.
    pub due_at: DateTimeUtc,
    /// The promised latest time (a deletion request: 5 business days).
    pub deadline: Option<DateTimeUtc>,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    /// JSON: the keys destroyed (purpose, version, destroyed at).
    #[sea_orm(column_type = "Text")]
    pub keys_destroyed: String,
    /// JSON: rows deleted per table.
    #[sea_orm(column_type = "Text")]
    pub rows_deleted: String,
    /// SHA-256 over the fields above.
    pub digest: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
