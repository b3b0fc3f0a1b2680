use sea_orm::entity::prelude::*;

/// A durable one-off background job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    /// What to do: the name of the job kind.
    pub kind: String,
    /// The same job enqueued twice exists once.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    /// JSON: ids and settings, never personal data in the clear.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub run_at: DateTimeUtc,
    /// `pending`, `done`, `failed` (gave up) or `cancelled`.
    pub status: String,
    /// Attempts claimed so far (counted at the claim).
    pub attempts: i32,
    /// While set and in the future, a node is working on it.
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
