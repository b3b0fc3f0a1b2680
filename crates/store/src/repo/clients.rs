use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

pub use crate::entities::client::Model as ClientRow;
use crate::entities::client::{self, Entity as Clients};
use crate::entities::tenant::{self, Entity as Tenants};
use crate::{StoreError, TenantScope};

/// Marks the business's client data changed, for every node's cache. Also
/// serialises client writes of one business (the tenant row is locked).
pub async fn bump_revision(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<i64, StoreError> {
    Tenants::update_many()
        .col_expr(
            tenant::Column::ClientsRevision,
            Expr::col(tenant::Column::ClientsRevision).add(1),
        )
        .filter(tenant::Column::Id.eq(scope.id()))
        .exec(db)
        .await?;
    revision(db, scope).await
}

pub async fn revision(db: &impl ConnectionTrait, scope: &TenantScope) -> Result<i64, StoreError> {
    let rev: Option<i64> = Tenants::find_by_id(scope.id())
        .select_only()
        .column(tenant::Column::ClientsRevision)
        .into_tuple()
        .one(db)
        .await?;
    Ok(rev.unwrap_or(0))
}

pub async fn insert(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    mut row: ClientRow,
) -> Result<ClientRow, StoreError> {
    row.tenant_id = scope.id();
    let active: client::ActiveModel = row.into();
    Ok(active.insert(db).await?)
}

/// Replaces every encrypted field of a row.
pub async fn replace(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    row: ClientRow,
) -> Result<ClientRow, StoreError> {
    if row.tenant_id != scope.id() {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "client outside scope".into(),
        )));
    }
    let active = client::ActiveModel {
        tenant_id: Set(row.tenant_id),
        id: Set(row.id),
        key_version: Set(row.key_version),
        name: Set(row.name),
        email: Set(row.email),
        phone: Set(row.phone),
        notes: Set(row.notes),
        date_of_birth: Set(row.date_of_birth),
        custom_fields: Set(row.custom_fields),
        marketing_consent: Set(row.marketing_consent),
        sms_consent: Set(row.sms_consent),
        language: Set(row.language),
        email_index: Set(row.email_index),
        phone_index: Set(row.phone_index),
        // Restriction is changed only by its own request.
        restricted_at: sea_orm::ActiveValue::NotSet,
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
    };
    Ok(active.update(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<Option<ClientRow>, StoreError> {
    Ok(Clients::find_by_id((scope.id(), id)).one(db).await?)
}

pub async fn all(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
) -> Result<Vec<ClientRow>, StoreError> {
    Ok(Clients::find()
        .filter(client::Column::TenantId.eq(scope.id()))
        .order_by_asc(client::Column::Id)
        .all(db)
        .await?)
}

pub async fn find_by_index(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    email_index: Option<&str>,
    phone_index: Option<&str>,
) -> Result<Vec<ClientRow>, StoreError> {
    let mut any = sea_orm::Condition::any();
    if let Some(e) = email_index {
        any = any.add(client::Column::EmailIndex.eq(e));
    }
    if let Some(p) = phone_index {
        any = any.add(client::Column::PhoneIndex.eq(p));
    }
    if email_index.is_none() && phone_index.is_none() {
        return Ok(Vec::new());
    }
    Ok(Clients::find()
        .filter(client::Column::TenantId.eq(scope.id()))
        .filter(any)
        .all(db)
        .await?)
}

pub async fn delete(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    id: Uuid,
) -> Result<bool, StoreError> {
    let Some(found) = get(db, scope, id).await? else {
        return Ok(false);
    };
    found.delete(db).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{Backend, TestDb, at, both_backends, t0};

    fn client_row(name: &[u8], email_index: &str) -> ClientRow {
        ClientRow {
            tenant_id: Uuid::nil(),
            id: Uuid::now_v7(),
            key_version: 1,
            name: name.to_vec(),
            email: Some(b"sealed email".to_vec()),
            phone: None,
            notes: None,
            date_of_birth: None,
            custom_fields: None,
            marketing_consent: b"sealed false".to_vec(),
            sms_consent: None,
            language: None,
            email_index: Some(email_index.into()),
            phone_index: None,
            restricted_at: None,
            created_at: t0(),
            updated_at: t0(),
        }
    }

    async fn clients_are_stored_found_replaced_and_deleted(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        assert_eq!(revision(&tx, &anna).await.unwrap(), 0);
        let ewa = insert(&tx, &anna, client_row(b"ewa", "idx-ewa"))
            .await
            .unwrap();
        let jan = insert(&tx, &anna, client_row(b"jan", "idx-jan"))
            .await
            .unwrap();
        assert_eq!(ewa.tenant_id, anna.id(), "the scope names the business");
        assert_eq!(bump_revision(&tx, &anna).await.unwrap(), 1);
        assert_eq!(bump_revision(&tx, &anna).await.unwrap(), 2);

        assert_eq!(get(&tx, &anna, ewa.id).await.unwrap().unwrap().name, b"ewa");
        let ids: Vec<Uuid> = all(&tx, &anna)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, vec![ewa.id, jan.id]);
        let by_email = find_by_index(&tx, &anna, Some("idx-jan"), None)
            .await
            .unwrap();
        assert_eq!(
            by_email.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![jan.id]
        );
        assert!(
            find_by_index(&tx, &anna, None, None)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            find_by_index(&tx, &anna, Some("idx-none"), Some("p"))
                .await
                .unwrap()
                .is_empty()
        );

        // Restriction is not changed by a replace.
        Clients::update_many()
            .col_expr(client::Column::RestrictedAt, Expr::value(Some(at(5))))
            .filter(client::Column::Id.eq(ewa.id))
            .exec(&tx)
            .await
            .unwrap();
        let mut changed = ewa.clone();
        changed.key_version = 2;
        changed.name = b"ewa v2".to_vec();
        changed.restricted_at = None;
        changed.updated_at = at(10);
        replace(&tx, &anna, changed).await.unwrap();
        let stored = get(&tx, &anna, ewa.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.key_version, stored.name.as_slice()),
            (2, &b"ewa v2"[..])
        );
        assert_eq!(stored.restricted_at, Some(at(5)));
        assert_eq!(stored.updated_at, at(10));

        assert!(delete(&tx, &anna, jan.id).await.unwrap());
        assert!(!delete(&tx, &anna, jan.id).await.unwrap());
        assert!(get(&tx, &anna, jan.id).await.unwrap().is_none());
        tx.commit().await.unwrap();
    }

    async fn another_business_sees_none_of_the_clients(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let ewa = insert(&tx, &anna, client_row(b"ewa", "idx-ewa"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let tx = t.db.begin_tenant(&bob).await.unwrap();
        assert!(get(&tx, &bob, ewa.id).await.unwrap().is_none());
        assert!(all(&tx, &bob).await.unwrap().is_empty());
        assert!(
            find_by_index(&tx, &bob, Some("idx-ewa"), None)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(!delete(&tx, &bob, ewa.id).await.unwrap());
        assert!(replace(&tx, &bob, ewa.clone()).await.is_err());
        // A query without the business's filter: on PostgreSQL row-level
        // security still shows nothing foreign.
        let unfiltered = Clients::find().all(&tx).await.unwrap().len();
        assert_eq!(
            unfiltered,
            if t.backend == Backend::Postgres { 0 } else { 1 }
        );
        tx.commit().await.unwrap();

        if t.backend == Backend::Postgres {
            // Nor can it write a row into another business.
            let tx = t.db.begin_tenant(&bob).await.unwrap();
            let mut foreign = client_row(b"mallory", "idx-m");
            foreign.tenant_id = anna.id();
            let written = client::ActiveModel::from(foreign).insert(&tx).await;
            let err = format!("{:?}", written.unwrap_err());
            assert!(err.contains("row-level security"), "{err}");
        }

        let tx = t.db.begin_tenant(&anna).await.unwrap();
        assert_eq!(all(&tx, &anna).await.unwrap().len(), 1);
        tx.commit().await.unwrap();
    }

    both_backends!(
        clients_are_stored_found_replaced_and_deleted,
        another_business_sees_none_of_the_clients,
    );
}
