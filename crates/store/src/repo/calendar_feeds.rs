//! Private calendar feeds.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

pub use crate::entities::calendar_feed::Model as FeedRow;
use crate::entities::calendar_feed::{self, Entity as Feeds};
use crate::{StoreError, TenantScope};

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: FeedRow,
) -> Result<FeedRow, StoreError> {
    row.tenant_id = scope.id();
    Ok(calendar_feed::ActiveModel::from(row).insert(db).await?)
}

/// The business's feeds that still work, oldest first.
pub async fn active(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<FeedRow>, StoreError> {
    Ok(Feeds::find()
        .filter(calendar_feed::Column::TenantId.eq(scope.id()))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .order_by_asc(calendar_feed::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<FeedRow>, StoreError> {
    Ok(Feeds::find_by_id(id)
        .filter(calendar_feed::Column::TenantId.eq(scope.id()))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// A working feed by the hash of its secret (any business: the address is
/// all a calendar program shows).
pub async fn by_hash(db: &impl ConnectionTrait, hash: &str) -> Result<Option<FeedRow>, StoreError> {
    Ok(Feeds::find()
        .filter(calendar_feed::Column::TokenHash.eq(hash))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = Feeds::update_many()
        .col_expr(calendar_feed::Column::RevokedAt, Expr::value(at))
        .filter(calendar_feed::Column::TenantId.eq(scope.id()))
        .filter(calendar_feed::Column::Id.eq(id))
        .filter(calendar_feed::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}
