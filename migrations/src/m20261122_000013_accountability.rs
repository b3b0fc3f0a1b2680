//! Accountability (GDPR Arts. 5(2), 12–22, 30, 33, 34): the per-business
//! hash-chained audit log, Termino's operators and the support access a
//! business grants them, data-subject requests, restriction of a client's
//! processing, and the breach register with its notices.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{text, ts, ts_null, uuid};
use crate::rls;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tenant_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(Alias::new(table), Alias::new("tenant_id"))
        .to(Alias::new("tenants"), Alias::new("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

fn big(name: &str) -> ColumnDef {
    ColumnDef::new(col(name)).big_integer().not_null().take()
}

fn long_text(name: &str) -> ColumnDef {
    ColumnDef::new(col(name)).text().not_null().take()
}

fn opt_text(name: &str) -> ColumnDef {
    ColumnDef::new(col(name)).text().null().take()
}

fn flag(name: &str) -> ColumnDef {
    ColumnDef::new(col(name))
        .boolean()
        .not_null()
        .default(false)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The audit log: one chain per business. It holds ids and kinds,
        // never personal data.
        manager
            .create_table(
                Table::create()
                    .table(col("audit_events"))
                    .col(uuid(col("tenant_id")))
                    .col(big("seq"))
                    .col(ts(col("at")))
                    .col(text(col("actor_kind")))
                    .col(ColumnDef::new(col("actor_id")).uuid().null())
                    .col(text(col("action")))
                    .col(opt_text("target_kind"))
                    .col(ColumnDef::new(col("target_id")).uuid().null())
                    .col(opt_text("detail"))
                    .col(text(col("prev_hash")))
                    .col(text(col("entry_hash")))
                    .primary_key(Index::create().col(col("tenant_id")).col(col("seq")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_at")
                    .table(col("audit_events"))
                    .col(col("tenant_id"))
                    .col(col("at"))
                    .to_owned(),
            )
            .await?;
        // The head of each chain: locked by whoever appends, so two writers
        // of one business take turns instead of forking the chain.
        manager
            .create_table(
                Table::create()
                    .table(col("audit_heads"))
                    .col(uuid(col("tenant_id")).primary_key())
                    .col(big("seq"))
                    .col(text(col("hash")))
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "audit_events", "tenant_id").await?;
        rls::protect_tenant_table(manager, "audit_heads", "tenant_id").await?;

        manager
            .create_table(
                Table::create()
                    .table(col("operators"))
                    .col(uuid(col("id")).primary_key())
                    .col(text(col("email")).unique_key())
                    .col(text(col("name")))
                    .col(text(col("password_hash")))
                    .col(ts(col("created_at")))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(col("support_grants"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("tenant_id")))
                    .col(uuid(col("granted_by")))
                    .col(ts(col("granted_at")))
                    .col(ts(col("expires_at")))
                    .col(ts_null(col("revoked_at")))
                    .col(long_text("reason"))
                    .foreign_key(&mut tenant_fk("support_grants"))
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "support_grants", "tenant_id").await?;

        manager
            .create_table(
                Table::create()
                    .table(col("data_requests"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("tenant_id")))
                    .col(ColumnDef::new(col("client_id")).uuid().null())
                    .col(text(col("kind")))
                    .col(text(col("status")))
                    .col(ColumnDef::new(col("key_version")).integer().not_null())
                    // Ciphertext under the tenant key: where to answer, and
                    // what the person asked (a correction, a note).
                    .col(ColumnDef::new(col("contact")).binary().null())
                    .col(ColumnDef::new(col("details")).binary().null())
                    .col(ts(col("received_at")))
                    .col(ts(col("due_at")))
                    .col(ts_null(col("extended_due_at")))
                    .col(opt_text("extension_reason"))
                    .col(ts_null(col("completed_at")))
                    .col(ColumnDef::new(col("completed_by")).uuid().null())
                    .col(opt_text("outcome"))
                    .foreign_key(&mut tenant_fk("data_requests"))
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "data_requests", "tenant_id").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(col("clients"))
                    .add_column(ts_null(col("restricted_at")))
                    .to_owned(),
            )
            .await?;

        // The breach register: Termino's own, kept for good (Art. 33(5)).
        manager
            .create_table(
                Table::create()
                    .table(col("incidents"))
                    .col(uuid(col("id")).primary_key())
                    .col(text(col("reference")).unique_key())
                    .col(uuid(col("opened_by")))
                    .col(ts(col("opened_at")))
                    .col(ts(col("aware_at")))
                    .col(ts(col("window_start")))
                    .col(ts(col("window_end")))
                    .col(long_text("nature"))
                    .col(long_text("systems"))
                    .col(long_text("categories"))
                    .col(text(col("exposure")))
                    .col(flag("encrypted"))
                    .col(flag("key_exposed"))
                    .col(long_text("consequences"))
                    .col(long_text("measures"))
                    .col(text(col("status")))
                    .col(
                        ColumnDef::new(col("escalations_sent"))
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(opt_text("decision"))
                    .col(ts_null(col("closed_at")))
                    .col(opt_text("report"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(col("incident_updates"))
                    .col(uuid(col("incident_id")))
                    .col(ColumnDef::new(col("seq")).integer().not_null())
                    .col(ts(col("at")))
                    .col(uuid(col("operator_id")))
                    .col(text(col("phase")))
                    .col(long_text("body"))
                    .primary_key(Index::create().col(col("incident_id")).col(col("seq")))
                    .to_owned(),
            )
            .await?;
        // One notice per affected business; kept after a purge as proof of
        // notification (it names the business, not its clients).
        manager
            .create_table(
                Table::create()
                    .table(col("incident_notices"))
                    .col(uuid(col("id")).primary_key())
                    .col(uuid(col("incident_id")))
                    .col(uuid(col("tenant_id")))
                    .col(big("data_subjects"))
                    .col(big("records"))
                    .col(text(col("subject")))
                    .col(long_text("body"))
                    .col(ts(col("created_at")))
                    .col(ColumnDef::new(col("mail_id")).uuid().null())
                    .col(ts_null(col("seen_at")))
                    .col(opt_text("business_decision"))
                    .col(ts_null(col("business_decided_at")))
                    .col(ts_null(col("client_notice_sent_at")))
                    .col(
                        ColumnDef::new(col("client_notice_recipients"))
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(col("escalations_sent"))
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .index(
                        Index::create()
                            .name("incident_notices_one_per_business")
                            .col(col("incident_id"))
                            .col(col("tenant_id"))
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        rls::protect_tenant_table(manager, "incident_notices", "tenant_id").await?;
        for table in ["incidents", "incident_updates"] {
            rls::grant_read(manager, table).await?;
        }

        if manager.get_database_backend() == DbBackend::Postgres {
            // Append-only at the database: no edits ever; deletes only by the
            // purge of the whole business, which says so for its transaction.
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE FUNCTION termino_audit_append_only() RETURNS trigger AS $$
                     BEGIN
                       IF TG_OP = 'DELETE' AND current_setting('termino.purging', true) = 'on' THEN
                         RETURN OLD;
                       END IF;
                       RAISE EXCEPTION 'the audit log is append-only';
                     END $$ LANGUAGE plpgsql;
                     CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE
                       ON audit_events FOR EACH ROW EXECUTE FUNCTION termino_audit_append_only();
                     CREATE TRIGGER incident_updates_append_only BEFORE UPDATE OR DELETE
                       ON incident_updates FOR EACH ROW EXECUTE FUNCTION termino_append_only();",
                )
                .await?;
        }
        Ok(())
    }
}
