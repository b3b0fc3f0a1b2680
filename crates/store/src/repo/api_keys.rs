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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends, t0};

    fn key(name: &str, hash: &str, by: Option<Uuid>, created: DateTime<Utc>) -> ApiKey {
        ApiKey {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            name: name.into(),
            prefix: "tk_live_ab".into(),
            key_hash: hash.into(),
            created_by: by,
            created_at: created,
            last_used_at: None,
            revoked_at: None,
            scopes: "*".into(),
        }
    }

    async fn keys_are_found_by_hash_until_revoked(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let owner = Uuid::now_v7();
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let crm = insert(&tx, &anna, key("CRM", "hash-crm", Some(owner), t0()))
            .await
            .unwrap();
        insert(&tx, &anna, key("Site", "hash-site", None, at(1)))
            .await
            .unwrap();
        assert_eq!(crm.tenant_id, anna.id());
        let names: Vec<String> = list(&tx, &anna)
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.name)
            .collect();
        assert_eq!(names, vec!["CRM", "Site"]);
        touch(&tx, &anna, crm.id, at(30)).await.unwrap();
        tx.commit().await.unwrap();

        // Global look-up: the hash alone names the business.
        let db = t.db.connection();
        let found = find_active_by_hash(db, "hash-crm").await.unwrap().unwrap();
        assert_eq!((found.tenant_id, found.id), (anna.id(), crm.id));
        assert_eq!(found.last_used_at, Some(at(30)));
        assert!(
            find_active_by_hash(db, "hash-other")
                .await
                .unwrap()
                .is_none()
        );

        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let revoked = revoke(&tx, &anna, crm.id, at(40)).await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(at(40)));
        // Revoking again keeps the first time.
        let again = revoke(&tx, &anna, crm.id, at(50)).await.unwrap().unwrap();
        assert_eq!(again.revoked_at, Some(at(40)));
        assert!(
            revoke(&tx, &anna, Uuid::now_v7(), at(50))
                .await
                .unwrap()
                .is_none()
        );
        tx.commit().await.unwrap();
        assert!(find_active_by_hash(db, "hash-crm").await.unwrap().is_none());
        assert!(
            find_active_by_hash(db, "hash-site")
                .await
                .unwrap()
                .is_some()
        );
    }

    async fn a_leaving_member_s_live_keys_are_revoked(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let (ola, piotr) = (Uuid::now_v7(), Uuid::now_v7());
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let live = insert(&tx, &anna, key("a", "h1", Some(ola), t0()))
            .await
            .unwrap();
        let old = insert(&tx, &anna, key("b", "h2", Some(ola), t0()))
            .await
            .unwrap();
        revoke(&tx, &anna, old.id, at(1)).await.unwrap();
        let others = insert(&tx, &anna, key("c", "h3", Some(piotr), t0()))
            .await
            .unwrap();
        assert_eq!(
            revoke_created_by(&tx, &anna, ola, at(9)).await.unwrap(),
            vec![live.id]
        );
        assert_eq!(
            get(&tx, &anna, live.id).await.unwrap().unwrap().revoked_at,
            Some(at(9))
        );
        assert_eq!(
            get(&tx, &anna, old.id).await.unwrap().unwrap().revoked_at,
            Some(at(1))
        );
        assert_eq!(
            get(&tx, &anna, others.id)
                .await
                .unwrap()
                .unwrap()
                .revoked_at,
            None
        );
        assert!(
            revoke_created_by(&tx, &anna, ola, at(10))
                .await
                .unwrap()
                .is_empty()
        );
        tx.commit().await.unwrap();
    }

    async fn another_business_cannot_reach_the_keys(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let crm = insert(&tx, &anna, key("CRM", "hash-crm", None, t0()))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tx = t.db.begin_tenant(&bob).await.unwrap();
        assert!(get(&tx, &bob, crm.id).await.unwrap().is_none());
        assert!(list(&tx, &bob).await.unwrap().is_empty());
        assert!(revoke(&tx, &bob, crm.id, at(1)).await.unwrap().is_none());
        touch(&tx, &bob, crm.id, at(2)).await.unwrap();
        tx.commit().await.unwrap();
        let found = find_active_by_hash(t.db.connection(), "hash-crm")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((found.revoked_at, found.last_used_at), (None, None));
    }

    both_backends!(
        keys_are_found_by_hash_until_revoked,
        a_leaving_member_s_live_keys_are_revoked,
        another_business_cannot_reach_the_keys,
    );
}
