//! Row-level security forced everywhere a business's rows live, and the
//! application off the owner's role: every table with a `tenant_id` (and
//! the tenants table) has the tenant policy and FORCE ROW LEVEL SECURITY,
//! `users` shows a tenant transaction only the business's own members, and
//! `mail_outbox` only the business's own mail. The application's other
//! transactions run as `termino_system`, which may see every row but owns
//! nothing, so no runtime statement runs as the owner of the schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::rls::{self, SYSTEM_ROLE, TENANT_ROLE};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        rls::ensure_role(manager).await?;
        let tenant = "NULLIF(current_setting(''termino.tenant_id'', true), '''')::uuid";
        let sql = format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {SYSTEM_ROLE};
             REVOKE ALL ON seaql_migrations FROM {SYSTEM_ROLE};
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {SYSTEM_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
               GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {SYSTEM_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
               GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {SYSTEM_ROLE};
             DO $$
             DECLARE t record;
             BEGIN
               FOR t IN
                 SELECT c.relname,
                        EXISTS (SELECT 1 FROM pg_attribute a
                                WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                                  AND NOT a.attisdropped) AS has_tenant
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind = 'r'
                   AND c.relname NOT IN ('seaql_migrations', 'users', 'mail_outbox')
               LOOP
                 CONTINUE WHEN NOT t.has_tenant AND NOT EXISTS (
                   SELECT 1 FROM pg_class c WHERE c.relname = t.relname AND c.relrowsecurity);
                 IF t.has_tenant AND NOT EXISTS (SELECT 1 FROM pg_policies p
                    WHERE p.tablename = t.relname AND p.policyname = 'tenant_isolation') THEN
                   EXECUTE format('CREATE POLICY tenant_isolation ON %I TO {TENANT_ROLE}
                     USING (tenant_id = {tenant}) WITH CHECK (tenant_id = {tenant})', t.relname);
                 END IF;
                 EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
                 EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
                 EXECUTE format('DROP POLICY IF EXISTS system_access ON %I', t.relname);
                 EXECUTE format('CREATE POLICY system_access ON %I TO {SYSTEM_ROLE}
                   USING (current_user = ''{SYSTEM_ROLE}'') WITH CHECK (current_user = ''{SYSTEM_ROLE}'')', t.relname);
               END LOOP;
             END $$;"
        );
        let db = manager.get_connection();
        db.execute_unprepared(&sql).await?;
        let tenant = "NULLIF(current_setting('termino.tenant_id', true), '')::uuid";
        db.execute_unprepared(&format!(
            "CREATE POLICY tenant_isolation ON mail_outbox TO {TENANT_ROLE}
               USING (tenant_id = {tenant}) WITH CHECK (tenant_id = {tenant});
             REVOKE INSERT, UPDATE, DELETE ON users FROM {TENANT_ROLE};
             CREATE POLICY tenant_members ON users FOR SELECT TO {TENANT_ROLE}
               USING (EXISTS (SELECT 1 FROM memberships m
                              WHERE m.user_id = users.id AND m.tenant_id = {tenant}));"
        ))
        .await?;
        rls::force(manager, "mail_outbox").await?;
        rls::force(manager, "users").await?;
        Ok(())
    }
}
