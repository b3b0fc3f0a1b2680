use sea_orm::entity::prelude::*;

/// A staff member's own calendar, read as busy time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_calendars")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub staff_id: Uuid,
    /// The secret iCal address, sealed under the business's key.
    pub url: Vec<u8>,
    /// The address's host, shown so the owner knows which calendar it is.
    pub host: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// When it is fetched next; while a node fetches it, the end of that
    /// node's lease (the claim).
    pub next_fetch_at: DateTimeUtc,
    /// Failed fetches in a row.
    pub failures: i32,
    /// A fixed category, never the error's text.
    pub last_error: Option<String>,
    pub last_success_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
