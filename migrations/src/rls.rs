//! Row-level security: the second wall of tenant isolation on PostgreSQL.
//!
//! Tenant-scoped transactions run as the `termino_tenant` role with the
//! setting `termino.tenant_id` set for the transaction; the policies below
//! let that role see only its tenant's rows, whatever the query says.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The role tenant-scoped transactions switch to (`SET LOCAL ROLE`).
pub const TENANT_ROLE: &str = "termino_tenant";

/// Creates the role once per cluster; concurrent creators are tolerated.
pub async fn ensure_role(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!(
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANT_ROLE}') THEN
             CREATE ROLE {TENANT_ROLE} NOLOGIN;
           END IF;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
         END $$"
    );
    manager.get_connection().execute_unprepared(&sql).await?;
    // The connecting user must be allowed to switch to the role.
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "DO $$ BEGIN EXECUTE format('GRANT {TENANT_ROLE} TO %I', current_user);
             EXCEPTION WHEN others THEN NULL; END $$"
        ))
        .await?;
    Ok(())
}

/// Enables row-level security on a tenant-owned table.
/// `column` is the tenant column: `tenant_id`, or `id` for the tenants table.
pub async fn protect_tenant_table(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {TENANT_ROLE};
         ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON {table} TO {TENANT_ROLE}
           USING ({column} = NULLIF(current_setting('termino.tenant_id', true), '')::uuid)
           WITH CHECK ({column} = NULLIF(current_setting('termino.tenant_id', true), '')::uuid);"
    ))
    .await?;
    Ok(())
}

/// Global tables the tenant role may read (reference data and the tenant row
/// itself), without a tenant policy.
pub async fn grant_read(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!("GRANT SELECT ON {table} TO {TENANT_ROLE}"))
        .await?;
    Ok(())
}

/// Global tables the tenant role may also write to (the mail outbox, users).
pub async fn grant_write(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {TENANT_ROLE}"
        ))
        .await?;
    Ok(())
}
