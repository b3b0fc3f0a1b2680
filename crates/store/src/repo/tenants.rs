use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use crate::entities::tenant::Model as Tenant;
use crate::entities::tenant::{self, Entity as Tenants};
use crate::{StoreError, TenantScope};

pub async fn insert(db: &impl ConnectionTrait, row: Tenant) -> Result<Tenant, StoreError> {
    let active: tenant::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

/// Resolves a public slug (booking page, CLI) to its tenant.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The business's row, locked until the transaction ends on PostgreSQL
/// (SQLite has one writer anyway): checks of a monthly count against a
/// limit, followed by the write it allows, then run one at a time.
pub async fn get_locked(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Option<Tenant>, StoreError> {
    let mut q = Tenants::find_by_id(scope.id());
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = sea_orm::QuerySelect::lock(q, sea_orm::sea_query::LockType::Update);
    }
    Ok(q.one(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find_by_id(scope.id()).one(db).await?)
}

/// Global look-up by id, for sessions that name their tenant.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find_by_id(id).one(db).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: Tenant,
) -> Result<Tenant, StoreError> {
    if row.id != scope.id() {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "tenant outside scope".into(),
        )));
    }
    let mut active: tenant::ActiveModel = row.clone().into();
    active.name = Set(row.name);
    active.time_zone = Set(row.time_zone);
    active.language = Set(row.language);
    active.cancellation_cutoff_hours = Set(row.cancellation_cutoff_hours);
    active.polish_holidays = Set(row.polish_holidays);
    active.booking_intro = Set(row.booking_intro);
    active.payment_hold_minutes = Set(row.payment_hold_minutes);
    active.refund_client_cancellations = Set(row.refund_client_cancellations);
    active.privacy_notice_url = Set(row.privacy_notice_url);
    active.marketing_consent_text = Set(row.marketing_consent_text);
    active.sms_without_polish_characters = Set(row.sms_without_polish_characters);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}
