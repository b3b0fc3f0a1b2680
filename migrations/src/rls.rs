//! Row-level security: the second wall of tenant isolation on PostgreSQL.
//!
//! Tenant-scoped transactions run as the `termino_tenant` role with the
//! setting `termino.tenant_id` set for the transaction; the policies below
//! let that role see only its tenant's rows, whatever the query says.
//! Everything else the application does (workers, look-ups by token,
//! sign-up) runs as `termino_system`. Neither role owns a table: the
//! connecting user owns the schema and only migrates it, and row-level
//! security is forced, so even a statement that ran as the owner would
//! see no tenant's rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// The role tenant-scoped transactions switch to (`SET LOCAL ROLE`).
pub const TENANT_ROLE: &str = "termino_tenant";

/// The role every other transaction switches to: all tenants' rows, no
/// ownership (it cannot change the schema or switch row-level security off).
pub const SYSTEM_ROLE: &str = "termino_system";

/// Creates the roles once per cluster; concurrent creators are tolerated.
pub async fn ensure_role(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for role in [TENANT_ROLE, SYSTEM_ROLE] {
        let sql = format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                 CREATE ROLE {role} NOLOGIN;
               END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$"
        );
        manager.get_connection().execute_unprepared(&sql).await?;
        // The connecting user must be allowed to switch to the role.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "DO $$ BEGIN EXECUTE format('GRANT {role} TO %I', current_user);
                 EXCEPTION WHEN others THEN NULL; END $$"
            ))
            .await?;
    }
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
    ensure_role(manager).await?;
    force(manager, table).await?;
    Ok(())
}

/// Row-level security forced on a table (its owner is bound too), with
/// the system role allowed everywhere. The policy names the role by
/// `current_user` too: the owner is a member of the role (to switch to
/// it), and a policy `TO` a role also applies to its members. A later migration that moves data
/// in such a table does it as the system role (`SET LOCAL ROLE`): as the
/// owner it would see no rows.
pub async fn force(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {SYSTEM_ROLE};
             ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
             ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
             DROP POLICY IF EXISTS system_access ON {table};
             CREATE POLICY system_access ON {table} TO {SYSTEM_ROLE} USING (current_user = '{SYSTEM_ROLE}') WITH CHECK (current_user = '{SYSTEM_ROLE}');"
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
