//! The key store's own migrations: it is a separate database (wrapped tenant
//! keys never sit in the main database or its backups).

use sea_orm_migration::prelude::*;

mod m20261122_000001_tenant_keys;
mod m20261203_000102_chain_checkpoints;

pub struct KeystoreMigrator;

#[async_trait::async_trait]
impl MigratorTrait for KeystoreMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_tenant_keys::Migration),
            Box::new(m20261203_000102_chain_checkpoints::Migration),
        ]
    }
}
