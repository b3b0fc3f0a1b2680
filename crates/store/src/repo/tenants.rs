use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

pub use crate::entities::tenant::Model as Tenant;
use crate::entities::tenant::{self, Entity as Tenants};
use crate::{StoreError, TenantScope};

pub async fn insert(db: &impl ConnectionTrait, row: Tenant) -> Result<Tenant, StoreError> {
    let active: tenant::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

/// Resolves a public slug (booking page, CLI) to its tenant.
pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The business's row, locked until the transaction ends on PostgreSQL
/// (SQLite has one writer anyway): checks of a monthly count against a
/// limit, followed by the write it allows, then run one at a time.
pub async fn get_locked(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Option<Tenant>, StoreError> {
    let mut q = Tenants::find_by_id(scope.id());
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        q = sea_orm::QuerySelect::lock(q, sea_orm::sea_query::LockType::Update);
    }
    Ok(q.one(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find_by_id(scope.id()).one(db).await?)
}

/// Global look-up by id, for sessions that name their tenant.
pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tenant>, StoreError> {
    Ok(Tenants::find_by_id(id).one(db).await?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: Tenant,
) -> Result<Tenant, StoreError> {
    if row.id != scope.id() {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "tenant outside scope".into(),
        )));
    }
    let mut active: tenant::ActiveModel = row.clone().into();
    active.name = Set(row.name);
    active.time_zone = Set(row.time_zone);
    active.language = Set(row.language);
    active.cancellation_cutoff_hours = Set(row.cancellation_cutoff_hours);
    active.polish_holidays = Set(row.polish_holidays);
    active.booking_intro = Set(row.booking_intro);
    active.payment_hold_minutes = Set(row.payment_hold_minutes);
    active.refund_client_cancellations = Set(row.refund_client_cancellations);
    active.privacy_notice_url = Set(row.privacy_notice_url);
    active.marketing_consent_text = Set(row.marketing_consent_text);
    active.sms_without_polish_characters = Set(row.sms_without_polish_characters);
    active.contact_email = Set(row.contact_email);
    active.updated_at = Set(row.updated_at);
    Ok(active.update(db).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{Backend, TestDb, at, both_backends, tenant_row};

    async fn a_business_is_found_by_slug_and_id_and_updated(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let db = t.db.connection();
        let found = find_by_slug(db, "anna").await.unwrap().unwrap();
        assert_eq!(found.id, anna.id());
        assert_eq!(found.name, "Salon anna");
        assert!(find_by_slug(db, "nobody").await.unwrap().is_none());
        assert_eq!(
            find_by_id(db, anna.id()).await.unwrap().unwrap().slug,
            "anna"
        );

        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let mut row = get(&tx, &anna).await.unwrap().unwrap();
        row.name = "Studio Anna".into();
        row.cancellation_cutoff_hours = 48;
        row.updated_at = at(60);
        // Not among what `update` changes: the slug.
        row.slug = "renamed".into();
        let saved = update(&tx, &anna, row).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(saved.name, "Studio Anna");
        let stored = find_by_id(db, anna.id()).await.unwrap().unwrap();
        assert_eq!(stored.name, "Studio Anna");
        assert_eq!(stored.cancellation_cutoff_hours, 48);
        assert_eq!(stored.updated_at, at(60));
    }

    async fn a_taken_slug_is_a_unique_violation(t: &TestDb) {
        t.tenant("anna").await;
        let tx = t.db.begin().await.unwrap();
        let err = insert(&tx, tenant_row("anna")).await.unwrap_err();
        assert!(matches!(err, StoreError::Unique(_)), "{err:?}");
    }

    async fn a_business_cannot_update_or_see_another(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&bob).await.unwrap();
        // `get` trusts its scope; on PostgreSQL the policy still hides Anna.
        let seen = get(&tx, &anna).await.unwrap();
        assert_eq!(seen.is_some(), t.backend == Backend::Sqlite);
        let anna_row = find_by_id(t.db.connection(), anna.id())
            .await
            .unwrap()
            .unwrap();
        assert!(update(&tx, &bob, anna_row).await.is_err());
        // On PostgreSQL the tenants table itself shows only the own row.
        let seen = find_by_slug(&tx, "anna").await.unwrap();
        assert_eq!(seen.is_some(), t.backend == Backend::Sqlite);
        assert!(find_by_slug(&tx, "bob").await.unwrap().is_some());
        tx.commit().await.unwrap();
    }

    both_backends!(
        a_business_is_found_by_slug_and_id_and_updated,
        a_taken_slug_is_a_unique_violation,
        a_business_cannot_update_or_see_another,
    );
}
