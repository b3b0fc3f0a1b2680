use sea_orm::entity::prelude::*;

/// One acceptance of the data-processing agreement: an entry of the global,
/// append-only ledger. `entry_hash` covers every field and `prev_hash`, keyed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dpa_acceptances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub dpa_version: String,
    pub text_sha256: String,
    pub language: String,
    pub subprocessor_list_version: i32,
    pub user_id: Option<Uuid>,
    pub user_email: String,
    pub authority_statement: String,
    pub company_name: String,
    pub tax_id: String,
    pub accepted_at: DateTimeUtc,
    pub ip: String,
    pub user_agent: String,
    /// `panel` or `api`.
    pub method: String,
    pub prev_hash: String,
    pub entry_hash: String,
    /// How `entry_hash` was made: 1 unkeyed (older entries), 2 keyed.
    pub mac_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
