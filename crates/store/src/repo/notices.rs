//! Members' notice settings.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use crate::entities::notice_setting::Model as NoticeSetting;
use crate::entities::notice_setting::{self, Entity as NoticeSettings};
use crate::{StoreError, TenantScope};

/// Every member's settings in the business (members without a row get
/// every notice).
pub async fn all(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<NoticeSetting>, StoreError> {
    Ok(NoticeSettings::find()
        .filter(notice_setting::Column::TenantId.eq(scope.id()))
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
) -> Result<Option<NoticeSetting>, StoreError> {
    Ok(NoticeSettings::find_by_id((scope.id(), user_id))
        .one(db)
        .await?)
}

pub async fn save(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
    muted: String,
    agenda_hour: Option<i32>,
    now: DateTime<Utc>,
) -> Result<NoticeSetting, StoreError> {
    match get(db, scope, user_id).await? {
        Some(found) => {
            let mut active: notice_setting::ActiveModel = found.into();
            active.muted = Set(muted);
            active.agenda_hour = Set(agenda_hour);
            active.updated_at = Set(now);
            Ok(active.update(db).await?)
        }
        None => Ok(notice_setting::ActiveModel::from(NoticeSetting {
            tenant_id: scope.id(),
            user_id,
            muted,
            agenda_hour,
            updated_at: now,
        })
        .insert(db)
        .await?),
    }
}
