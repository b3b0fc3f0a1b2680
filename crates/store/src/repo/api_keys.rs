use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use crate::entities::api_key::Model as ApiKey;
use crate::entities::api_key::{self, Entity as ApiKeys};
use crate::{StoreError, TenantScope};

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: ApiKey,
) -> Result<ApiKey, StoreError> {
    row.tenant_id = scope.id();
    let active: api_key::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

/// Global: an API key names its tenant only through its hash.
pub async fn find_active_by_hash(
    db: &impl ConnectionTrait,
    key_hash: &str,
) -> Result<Option<ApiKey>, StoreError> {
    Ok(ApiKeys::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn touch(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ApiKeys::update_many()
        .col_expr(
            api_key::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_key::Column::TenantId.eq(scope.id()))
        .filter(api_key::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<ApiKey>, StoreError> {
    Ok(ApiKeys::find()
        .filter(api_key::Column::TenantId.eq(scope.id()))
        .order_by_asc(api_key::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<ApiKey>, StoreError> {
    Ok(ApiKeys::find_by_id((scope.id(), id)).one(db).await?)
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<ApiKey>, StoreError> {
    let Some(found) = get(db, scope, id).await? else {
        return Ok(None);
    };
    if found.revoked_at.is_some() {
        return Ok(Some(found));
    }
    let mut active: api_key::ActiveModel = found.into();
    active.revoked_at = Set(Some(now));
    Ok(Some(active.update(db).await?))
}

/// Revokes every live key a person made in a business; returns their ids.
pub async fn revoke_created_by(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    let live: Vec<Uuid> = ApiKeys::find()
        .filter(api_key::Column::TenantId.eq(scope.id()))
        .filter(api_key::Column::CreatedBy.eq(user_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|k| k.id)
        .collect();
    if !live.is_empty() {
        ApiKeys::update_many()
            .col_expr(
                api_key::Column::RevokedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_key::Column::TenantId.eq(scope.id()))
            .filter(api_key::Column::Id.is_in(live.clone()))
            .exec(db)
            .await?;
    }
    Ok(live)
}
