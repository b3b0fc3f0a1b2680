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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends, t0};

    fn invitation(email: &str, hash: &str, expires: DateTime<Utc>) -> Invitation {
        Invitation {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            email: email.into(),
            role: "staff".into(),
            token_hash: hash.into(),
            invited_by: Uuid::now_v7(),
            created_at: t0(),
            expires_at: expires,
            accepted_at: None,
            revoked_at: None,
        }
    }

    async fn open_invitations_are_listed_until_accepted_revoked_or_expired(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let ola = insert(&tx, &anna, invitation("ola@example.com", "h-ola", at(3600)))
            .await
            .unwrap();
        let jan = insert(&tx, &anna, invitation("jan@example.com", "h-jan", at(3600)))
            .await
            .unwrap();
        let ewa = insert(&tx, &anna, invitation("ewa@example.com", "h-ewa", at(3600)))
            .await
            .unwrap();
        insert(&tx, &anna, invitation("old@example.com", "h-old", at(10)))
            .await
            .unwrap();
        assert_eq!(ola.tenant_id, anna.id());
        assert_eq!(list_open(&tx, &anna, at(60)).await.unwrap().len(), 3);
        tx.commit().await.unwrap();

        // The invitee holds only the token: a global look-up.
        let db = t.db.connection();
        let found = find_by_token_hash(db, "h-ola").await.unwrap().unwrap();
        assert_eq!((found.tenant_id, found.id), (anna.id(), ola.id));
        assert!(find_by_token_hash(db, "h-nobody").await.unwrap().is_none());
        mark_accepted(db, found, at(100)).await.unwrap();

        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let revoked = revoke(&tx, &anna, jan.id, at(110)).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(at(110)));
        let open: Vec<Uuid> = list_open(&tx, &anna, at(120))
            .await
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(open, vec![ewa.id]);
        assert_eq!(
            get(&tx, &anna, ola.id).await.unwrap().unwrap().accepted_at,
            Some(at(100))
        );
        // Expired once its time passed.
        assert!(list_open(&tx, &anna, at(3600)).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        let tx = t.db.begin_tenant(&bob).await.unwrap();
        assert!(get(&tx, &bob, ewa.id).await.unwrap().is_none());
        assert!(list_open(&tx, &bob, at(0)).await.unwrap().is_empty());
        assert!(revoke(&tx, &bob, ewa.id, at(1)).await.unwrap().is_none());
        tx.commit().await.unwrap();
    }

    both_backends!(open_invitations_are_listed_until_accepted_revoked_or_expired);
}
