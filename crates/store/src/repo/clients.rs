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
