use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

pub use crate::entities::invitation::Model as Invitation;
use crate::entities::invitation::{self, Entity as Invitations};
use crate::{StoreError, TenantScope};

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: Invitation,
) -> Result<Invitation, StoreError> {
    row.tenant_id = scope.id();
    let active: invitation::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

/// Global: the invitee holds only the token.
pub async fn find_by_token_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<Invitation>, StoreError> {
    Ok(Invitations::find()
        .filter(invitation::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

pub async fn list_open(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    now: DateTime<Utc>,
) -> Result<Vec<Invitation>, StoreError> {
    Ok(Invitations::find()
        .filter(invitation::Column::TenantId.eq(scope.id()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_asc(invitation::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<Invitation>, StoreError> {
    Ok(Invitations::find_by_id((scope.id(), id)).one(db).await?)
}

pub async fn mark_accepted(
    db: &impl ConnectionTrait,
    row: Invitation,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut active: invitation::ActiveModel = row.into();
    active.accepted_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, StoreError> {
    let Some(found) = get(db, scope, id).await? else {
        return Ok(None);
    };
    let mut active: invitation::ActiveModel = found.into();
    active.revoked_at = Set(Some(now));
    Ok(Some(active.update(db).await?))
}
