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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends, t0};

    fn reset(user: Uuid, hash: &str) -> PasswordReset {
        PasswordReset {
            id: Uuid::now_v7(),
            user_id: user,
            token_hash: hash.into(),
            created_at: t0(),
            expires_at: at(3600),
            used_at: None,
        }
    }

    async fn a_reset_link_is_spent_once(t: &TestDb) {
        let user = t.user("anna@example.com").await;
        let db = t.db.connection();
        insert(db, reset(user, "h1")).await.unwrap();
        let link = find_by_token_hash(db, "h1").await.unwrap().unwrap();
        assert_eq!(link.user_id, user);
        assert!(find_by_token_hash(db, "h-other").await.unwrap().is_none());
        assert!(mark_used(db, link.clone(), at(10)).await.unwrap());
        // A second request with the same link loses.
        assert!(!mark_used(db, link, at(11)).await.unwrap());
        let used = find_by_token_hash(db, "h1").await.unwrap().unwrap();
        assert_eq!(used.used_at, Some(at(10)));
    }

    async fn a_new_link_voids_the_open_ones_of_that_person_only(t: &TestDb) {
        let anna = t.user("anna@example.com").await;
        let jan = t.user("jan@example.com").await;
        let db = t.db.connection();
        insert(db, reset(anna, "a1")).await.unwrap();
        insert(db, reset(anna, "a2")).await.unwrap();
        insert(db, reset(jan, "j1")).await.unwrap();
        let spent = find_by_token_hash(db, "a1").await.unwrap().unwrap();
        mark_used(db, spent, at(5)).await.unwrap();

        assert_eq!(void_open(db, anna, at(20)).await.unwrap(), 1);
        let a1 = find_by_token_hash(db, "a1").await.unwrap().unwrap();
        let a2 = find_by_token_hash(db, "a2").await.unwrap().unwrap();
        assert_eq!((a1.used_at, a2.used_at), (Some(at(5)), Some(at(20))));
        assert!(
            !mark_used(db, a2, at(21)).await.unwrap(),
            "a voided link is spent"
        );
        assert_eq!(
            find_by_token_hash(db, "j1").await.unwrap().unwrap().used_at,
            None
        );
    }

    both_backends!(
        a_reset_link_is_spent_once,
        a_new_link_voids_the_open_ones_of_that_person_only
    );
}
