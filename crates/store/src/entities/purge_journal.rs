use sea_orm::entity::prelude::*;

/// A purge under way (or done): what it started from and how far it got.
/// Ids and counts only; it outlives the business.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purge_journal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub slug: String,
    pub reason: String,
    pub requested_at: Option<DateTimeUtc>,
    pub due_at: DateTimeUtc,
    pub started_at: DateTimeUtc,
    /// JSON: the ids of the business's users when the purge started.
    #[sea_orm(column_type = "Text")]
    pub members: String,
    /// JSON: which of them were owners (told when it is done).
    #[sea_orm(column_type = "Text")]
    pub owners: String,
    /// JSON: the keys as destroyed, once they are.
    #[sea_orm(column_type = "Text", nullable)]
    pub keys_destroyed: Option<String>,
    /// JSON: rows deleted so far, per table.
    #[sea_orm(column_type = "Text")]
    pub rows_deleted: String,
    /// Runs that failed part-way.
    pub attempts: i32,
    pub last_error: Option<String>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
