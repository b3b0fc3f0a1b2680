//! Accounts (global: one person may work for several businesses) and their
//! memberships (tenant-owned: the role a person has in one business).

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

pub use crate::entities::membership::Model as Membership;
use crate::entities::membership::{self, Entity as Memberships};
use crate::entities::tenant::{self, Entity as Tenants};
pub use crate::entities::user::Model as User;
use crate::entities::user::{self, Entity as Users};
use crate::{StoreError, TenantScope};

pub async fn insert_user(db: &impl ConnectionTrait, row: User) -> Result<User, StoreError> {
    let active: user::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<User>, StoreError> {
    Ok(Users::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

pub async fn find_user(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>, StoreError> {
    Ok(Users::find_by_id(id).one(db).await?)
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let active = user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(password_hash),
        // A new password ends every session opened with the old one.
        sessions_valid_after: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    active.update(db).await?;
    Ok(())
}

pub async fn insert_membership(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
    role: &str,
    now: DateTime<Utc>,
) -> Result<Membership, StoreError> {
    let active = membership::ActiveModel {
        tenant_id: Set(scope.id()),
        user_id: Set(user_id),
        role: Set(role.to_string()),
        created_at: Set(now),
    };
    Ok(active.insert(db).await?)
}

pub async fn find_membership(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
) -> Result<Option<Membership>, StoreError> {
    Ok(Memberships::find_by_id((scope.id(), user_id))
        .one(db)
        .await?)
}

/// The businesses a person belongs to, oldest membership first. Global: used
/// at log-in, before a tenant is chosen.
pub async fn memberships_of_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<(Membership, tenant::Model)>, StoreError> {
    let rows = Memberships::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(Tenants)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, t)| t.map(|t| (m, t)))
        .collect())
}

/// The members of a business with their accounts, oldest first.
pub async fn members(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<(Membership, User)>, StoreError> {
    let rows = Memberships::find()
        .filter(membership::Column::TenantId.eq(scope.id()))
        .order_by_asc(membership::Column::CreatedAt)
        .find_also_related(Users)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| u.map(|u| (m, u)))
        .collect())
}

pub async fn set_role(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
    role: &str,
) -> Result<Option<Membership>, StoreError> {
    let Some(found) = find_membership(db, scope, user_id).await? else {
        return Ok(None);
    };
    let mut active: membership::ActiveModel = found.into();
    active.role = Set(role.to_string());
    Ok(Some(active.update(db).await?))
}

pub async fn delete_membership(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    user_id: Uuid,
) -> Result<bool, StoreError> {
    let Some(found) = find_membership(db, scope, user_id).await? else {
        return Ok(false);
    };
    found.delete(db).await?;
    Ok(true)
}

pub async fn count_owners(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(Memberships::find()
        .filter(membership::Column::TenantId.eq(scope.id()))
        .filter(membership::Column::Role.eq("owner"))
        .count(db)
        .await?)
}
