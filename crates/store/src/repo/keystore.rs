//! The key store: wrapped tenant keys, in their own database.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::StoreError;
pub use crate::entities::tenant_key::Model as TenantKeyRow;
use crate::entities::tenant_key::{self, Entity as TenantKeys};

pub const ACTIVE: &str = "active";
pub const ARCHIVED: &str = "archived";
pub const DESTROYED: &str = "destroyed";
/// Purposes of keys.
pub const DATA: &str = "data";
pub const INDEX: &str = "index";
/// Termino's own key for the ledgers' chains (under the nil business).
pub const CHAIN: &str = "chain";

pub async fn insert(db: &impl ConnectionTrait, row: TenantKeyRow) -> Result<(), StoreError> {
    let active: tenant_key::ActiveModel = row.into();
    active.insert(db).await?;
    Ok(())
}

/// Every key of a tenant, oldest version first.
pub async fn keys_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<TenantKeyRow>, StoreError> {
    Ok(TenantKeys::find()
        .filter(tenant_key::Column::TenantId.eq(tenant))
        .order_by_asc(tenant_key::Column::Version)
        .all(db)
        .await?)
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<TenantKeyRow>, StoreError> {
    Ok(TenantKeys::find().all(db).await?)
}

pub async fn set_state(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    purpose: &str,
    version: i32,
    state: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut update = TenantKeys::update_many()
        .col_expr(tenant_key::Column::State, Expr::value(state))
        .filter(tenant_key::Column::TenantId.eq(tenant))
        .filter(tenant_key::Column::Purpose.eq(purpose))
        .filter(tenant_key::Column::Version.eq(version));
    if state == ARCHIVED {
        update = update.col_expr(tenant_key::Column::RetiredAt, Expr::value(now));
    }
    if state == DESTROYED {
        // Shredding: the wrapped key is gone; nothing can unwrap it again.
        update = update
            .col_expr(
                tenant_key::Column::Wrapped,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(tenant_key::Column::DestroyedAt, Expr::value(now));
    }
    update.exec(db).await?;
    Ok(())
}

pub async fn rewrap(
    db: &impl ConnectionTrait,
    row: &TenantKeyRow,
    wrapped: Vec<u8>,
    kek_id: &str,
) -> Result<(), StoreError> {
    let active = tenant_key::ActiveModel {
        tenant_id: Set(row.tenant_id),
        purpose: Set(row.purpose.clone()),
        version: Set(row.version),
        wrapped: Set(Some(wrapped)),
        kek_id: Set(kek_id.to_string()),
        ..Default::default()
    };
    active.update(db).await?;
    Ok(())
}

/// Adds to a key's encryption count; returns the new count.
pub async fn count_encryptions(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    version: i32,
    n: i64,
) -> Result<i64, StoreError> {
    TenantKeys::update_many()
        .col_expr(
            tenant_key::Column::Encryptions,
            Expr::col(tenant_key::Column::Encryptions).add(n),
        )
        .filter(tenant_key::Column::TenantId.eq(tenant))
        .filter(tenant_key::Column::Purpose.eq("data"))
        .filter(tenant_key::Column::Version.eq(version))
        .exec(db)
        .await?;
    let row = TenantKeys::find_by_id((tenant, "data".to_string(), version))
        .one(db)
        .await?;
    Ok(row.map(|r| r.encryptions).unwrap_or(0))
}

/// Archives a data key only if it is still the active one: of two nodes
/// rotating at once, one wins.
pub async fn archive_if_active(
    db: &impl ConnectionTrait,
    tenant: Uuid,
    version: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let result = TenantKeys::update_many()
        .col_expr(tenant_key::Column::State, Expr::value(ARCHIVED))
        .col_expr(tenant_key::Column::RetiredAt, Expr::value(now))
        .filter(tenant_key::Column::TenantId.eq(tenant))
        .filter(tenant_key::Column::Purpose.eq("data"))
        .filter(tenant_key::Column::Version.eq(version))
        .filter(tenant_key::Column::State.eq(ACTIVE))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A ledger's unkeyed beginning, recorded when chains became keyed.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct ChainCheckpoint {
    pub chain: String,
    pub unkeyed_entries: i64,
    pub last_hash: String,
}

/// The checkpoint of `chain` (`*`: every chain was recorded).
pub async fn checkpoint(
    db: &impl ConnectionTrait,
    chain: &str,
) -> Result<Option<ChainCheckpoint>, StoreError> {
    let rows = db
        .query_all_raw(crate::repo::compliance::stmt(
            db,
            "SELECT chain, unkeyed_entries, last_hash FROM chain_checkpoints WHERE chain = $1",
            vec![chain.into()],
        ))
        .await?;
    rows.first()
        .map(|r| <ChainCheckpoint as sea_orm::FromQueryResult>::from_query_result(r, ""))
        .transpose()
        .map_err(StoreError::from)
}

/// Records a checkpoint; one already there stays (false then).
pub async fn record_checkpoint(
    db: &impl ConnectionTrait,
    checkpoint: &ChainCheckpoint,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = db
        .execute_raw(crate::repo::compliance::stmt(
            db,
            "INSERT INTO chain_checkpoints (chain, unkeyed_entries, last_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (chain) DO NOTHING",
            vec![
                checkpoint.chain.clone().into(),
                checkpoint.unkeyed_entries.into(),
                checkpoint.last_hash.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{TestDb, at, both_backends, t0};

    fn key(tenant: Uuid, purpose: &str, version: i32, state: &str) -> TenantKeyRow {
        TenantKeyRow {
            tenant_id: tenant,
            purpose: purpose.into(),
            version,
            state: state.into(),
            wrapped: Some(vec![version as u8; 40]),
            kek_id: "kek-1".into(),
            encryptions: 0,
            created_at: t0(),
            retired_at: None,
            destroyed_at: None,
        }
    }

    async fn keys_are_archived_destroyed_rewrapped_and_counted(t: &TestDb) {
        let db = t.db.connection();
        let (anna, bob) = (Uuid::now_v7(), Uuid::now_v7());
        insert(db, key(anna, DATA, 2, ACTIVE)).await.unwrap();
        insert(db, key(anna, DATA, 1, ARCHIVED)).await.unwrap();
        insert(db, key(anna, INDEX, 1, ACTIVE)).await.unwrap();
        insert(db, key(bob, DATA, 1, ACTIVE)).await.unwrap();
        // One key per business, purpose and version.
        assert!(insert(db, key(bob, DATA, 1, ACTIVE)).await.is_err());

        let versions: Vec<i32> = keys_of(db, anna)
            .await
            .unwrap()
            .iter()
            .map(|k| k.version)
            .collect();
        assert_eq!(versions.len(), 3);
        assert!(
            versions.windows(2).all(|w| w[0] <= w[1]),
            "oldest version first"
        );
        assert_eq!(all(db).await.unwrap().len(), 4);

        assert_eq!(count_encryptions(db, anna, 2, 5).await.unwrap(), 5);
        assert_eq!(count_encryptions(db, anna, 2, 3).await.unwrap(), 8);
        assert_eq!(count_encryptions(db, anna, 9, 1).await.unwrap(), 0);

        // Of two rotations, one wins.
        assert!(archive_if_active(db, anna, 2, at(10)).await.unwrap());
        assert!(!archive_if_active(db, anna, 2, at(11)).await.unwrap());
        let find = |tenant: Uuid, purpose: &'static str, version: i32| async move {
            TenantKeys::find_by_id((tenant, purpose.to_string(), version))
                .one(db)
                .await
                .unwrap()
                .unwrap()
        };
        let v2 = find(anna, DATA, 2).await;
        assert_eq!((v2.state.as_str(), v2.retired_at), (ARCHIVED, Some(at(10))));

        set_state(db, anna, DATA, 1, DESTROYED, at(20))
            .await
            .unwrap();
        let v1 = find(anna, DATA, 1).await;
        assert_eq!(v1.state, DESTROYED);
        assert_eq!(v1.wrapped, None, "a destroyed key cannot be unwrapped");
        assert_eq!(v1.destroyed_at, Some(at(20)));
        // The index key of the same version is another key.
        assert!(find(anna, INDEX, 1).await.wrapped.is_some());

        let index = find(anna, INDEX, 1).await;
        rewrap(db, &index, vec![9; 40], "kek-2").await.unwrap();
        let index = find(anna, INDEX, 1).await;
        assert_eq!(
            (index.wrapped, index.kek_id.as_str()),
            (Some(vec![9; 40]), "kek-2")
        );
        assert_eq!(index.state, ACTIVE);
        assert_eq!(find(bob, DATA, 1).await.kek_id, "kek-1");
    }

    async fn a_chain_checkpoint_is_recorded_once(t: &TestDb) {
        let db = t.db.connection();
        assert!(checkpoint(db, "audit").await.unwrap().is_none());
        let first = ChainCheckpoint {
            chain: "audit".into(),
            unkeyed_entries: 12,
            last_hash: "abc".into(),
        };
        assert!(record_checkpoint(db, &first, at(0)).await.unwrap());
        let later = ChainCheckpoint {
            unkeyed_entries: 99,
            last_hash: "def".into(),
            ..first.clone()
        };
        assert!(!record_checkpoint(db, &later, at(5)).await.unwrap());
        assert_eq!(checkpoint(db, "audit").await.unwrap(), Some(first));
        assert!(checkpoint(db, "*").await.unwrap().is_none());
    }

    both_backends!(@schema Keystore;
        keys_are_archived_destroyed_rewrapped_and_counted,
        a_chain_checkpoint_is_recorded_once,
    );
}
