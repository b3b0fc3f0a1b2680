use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

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

pub async fn mark_used(
    db: &impl ConnectionTrait,
    row: PasswordReset,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut active: password_reset::ActiveModel = row.into();
    active.used_at = Set(Some(now));
    active.update(db).await?;
    Ok(())
}
