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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{Backend, TestDb, at, both_backends};

    async fn accounts_are_global_and_a_new_password_ends_old_sessions(t: &TestDb) {
        let anna = t.user("anna@example.com").await;
        let db = t.db.connection();
        let found = find_user_by_email(db, "anna@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, anna);
        assert!(
            find_user_by_email(db, "nobody@example.com")
                .await
                .unwrap()
                .is_none()
        );

        set_password(db, anna, "new-hash".into(), at(30))
            .await
            .unwrap();
        let user = find_user(db, anna).await.unwrap().unwrap();
        assert_eq!(user.password_hash, "new-hash");
        assert_eq!(
            (user.sessions_valid_after, user.updated_at),
            (at(30), at(30))
        );
        assert_eq!(user.email, "anna@example.com", "the rest is kept");

        let tx = t.db.begin().await.unwrap();
        let twice = insert_user(&tx, find_user(db, anna).await.unwrap().unwrap()).await;
        assert!(matches!(twice, Err(StoreError::Unique(_))), "{twice:?}");
    }

    async fn memberships_give_roles_in_one_business(t: &TestDb) {
        let salon = t.tenant("salon").await;
        let studio = t.tenant("studio").await;
        let (anna, jan) = (
            t.user("anna@example.com").await,
            t.user("jan@example.com").await,
        );
        let tx = t.db.begin_tenant(&salon).await.unwrap();
        insert_membership(&tx, &salon, anna, "owner", at(0))
            .await
            .unwrap();
        insert_membership(&tx, &salon, jan, "staff", at(1))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tx = t.db.begin_tenant(&studio).await.unwrap();
        insert_membership(&tx, &studio, jan, "owner", at(2))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        // At log-in, before a business is chosen: every business of Jan's.
        let of_jan = memberships_of_user(t.db.connection(), jan).await.unwrap();
        let slugs: Vec<&str> = of_jan.iter().map(|(_, t)| t.slug.as_str()).collect();
        assert_eq!(slugs, vec!["salon", "studio"]);

        let tx = t.db.begin_tenant(&salon).await.unwrap();
        let people: Vec<(Uuid, String)> = members(&tx, &salon)
            .await
            .unwrap()
            .into_iter()
            .map(|(m, u)| (u.id, m.role))
            .collect();
        assert_eq!(people, vec![(anna, "owner".into()), (jan, "staff".into())]);
        assert_eq!(count_owners(&tx, &salon).await.unwrap(), 1);
        let promoted = set_role(&tx, &salon, jan, "owner").await.unwrap().unwrap();
        assert_eq!(promoted.role, "owner");
        assert_eq!(count_owners(&tx, &salon).await.unwrap(), 2);
        assert!(
            set_role(&tx, &salon, Uuid::now_v7(), "owner")
                .await
                .unwrap()
                .is_none()
        );
        assert!(delete_membership(&tx, &salon, jan).await.unwrap());
        assert!(!delete_membership(&tx, &salon, jan).await.unwrap());
        assert!(find_membership(&tx, &salon, jan).await.unwrap().is_none());
        tx.commit().await.unwrap();

        // Jan is still the studio's owner.
        let tx = t.db.begin_tenant(&studio).await.unwrap();
        assert_eq!(
            find_membership(&tx, &studio, jan)
                .await
                .unwrap()
                .unwrap()
                .role,
            "owner"
        );
        assert!(find_membership(&tx, &studio, anna).await.unwrap().is_none());
        tx.commit().await.unwrap();
    }

    /// On PostgreSQL a business's transaction sees only its own members'
    /// accounts, and cannot change an account.
    async fn a_business_sees_only_its_own_members_accounts(t: &TestDb) {
        let salon = t.tenant("salon").await;
        let (anna, ola) = (
            t.user("anna@example.com").await,
            t.user("ola@example.com").await,
        );
        let tx = t.db.begin_tenant(&salon).await.unwrap();
        insert_membership(&tx, &salon, anna, "owner", at(0))
            .await
            .unwrap();
        assert!(find_user(&tx, anna).await.unwrap().is_some());
        let stranger = find_user(&tx, ola).await.unwrap();
        assert_eq!(stranger.is_some(), t.backend == Backend::Sqlite);
        tx.commit().await.unwrap();
        if t.backend == Backend::Postgres {
            let tx = t.db.begin_tenant(&salon).await.unwrap();
            assert!(set_password(&tx, anna, "x".into(), at(1)).await.is_err());
        }
        let user = find_user(t.db.connection(), anna).await.unwrap().unwrap();
        assert_eq!(user.password_hash, "not-a-real-hash");
    }

    both_backends!(
        accounts_are_global_and_a_new_password_ends_old_sessions,
        memberships_give_roles_in_one_business,
        a_business_sees_only_its_own_members_accounts,
    );
}
