use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::StoreError;
pub use crate::entities::password_reset::Model as PasswordReset;
use crate::entities::password_reset::{self, Entity as PasswordResets};

pub async fn insert(db: &impl ConnectionTrait, row: PasswordReset) -> Result<(), StoreError> {
    let active: password_reset::ActiveModel = row.into();
    active.insert(db).await?;
    Ok(())
}

pub async fn find_by_token_hash(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<PasswordReset>, StoreError> {
    Ok(PasswordResets::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

/// Spends a link once: false when another request spent it first.
pub async fn mark_used(
    db: &impl ConnectionTrait,
    row: PasswordReset,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = PasswordResets::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::Id.eq(row.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Voids every link of a person not used yet (a newer link was sent, or
/// the password changed): a voided link counts as spent.
pub async fn void_open(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = PasswordResets::update_many()
        .col_expr(password_reset::Column::UsedAt, Expr::value(now))
        .filter(password_reset::Column::UserId.eq(user_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
