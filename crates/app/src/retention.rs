//! Retention as a job: expired accounts are reminded and then purged on
//! schedule, deletion requests are carried out, each business's own client
//! retention is applied, and Termino's own tax records leave when the law
//! lets them. One run at a time per cluster.
//!
//! A purge destroys the business's keys first (crypto-shredding: every copy
//! of its client data, backups included, is unreadable from then on), then
//! deletes its rows in batches, then writes a deletion certificate. A purge
//! cut short is finished by the next run.

use crate::ConflictKind;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use termino_domain::account::Role;
use termino_domain::plan::Standing;
use termino_domain::retention as rules;
use termino_store::repo::compliance::{self as repo, CertificateRow};
use termino_store::repo::purges::{self, PurgeJournalRow};
use termino_store::repo::tenants::Tenant;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

pub const JOB: &str = "retention";
/// The scheduled run repeats this often.
pub const EVERY: Duration = Duration::hours(1);
const BATCH: u32 = 500;

/// A business's rows, children first; `mail_outbox` names the business in
/// `tenant_id` too. Users go afterwards if no other business has them.
const TENANT_TABLES: &[&str] = &[
    "calendar_feeds",
    "external_busy",
    "external_calendars",
    "sms_messages",
    "webhook_deliveries",
    "webhook_endpoints",
    "payments",
    "booking_changes",
    "bookings",
    "service_staff",
    "staff_overrides",
    "closures",
    "services",
    "staff",
    "clients",
    "idempotency_keys",
    "api_keys",
    "invitations",
    "plan_changes",
    "plan_checkouts",
    "subprocessor_objections",
    "support_grants",
    "data_requests",
    "mail_outbox",
    "jobs",
    "reminder_settings",
    "notice_settings",
    "memberships",
];

#[derive(Debug, Clone, Default)]
pub struct RetentionReport {
    /// (business, days before the purge)
    pub reminders: Vec<(Uuid, i64)>,
    pub purged: Vec<CertificateRow>,
    pub clients_deleted: u64,
    pub billing_records_deleted: u64,
    /// Businesses whose part of the run failed (retried on the next run).
    pub failed: Vec<Uuid>,
}

impl RetentionReport {
    pub fn summary(&self) -> String {
        format!(
            "{} reminders, {} businesses purged, {} clients deleted by retention rules, {} billing records past their keeping time deleted, {} businesses failed",
            self.reminders.len(),
            self.purged.len(),
            self.clients_deleted,
            self.billing_records_deleted,
            self.failed.len()
        )
    }
}

/// Where a deletion request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionRequest {
    pub requested_at: DateTime<Utc>,
    /// Until then the owner can cancel.
    pub grace_ends: DateTime<Utc>,
    /// Done by then at the latest (5 business days).
    pub deadline: DateTime<Utc>,
}

impl DeletionRequest {
    pub fn of(requested_at: DateTime<Utc>) -> Self {
        Self {
            requested_at,
            grace_ends: rules::deletion_grace_ends(requested_at),
            deadline: rules::deletion_deadline(requested_at),
        }
    }
}

/// What the job does for one business at `now`.
#[derive(Debug, PartialEq, Eq)]
enum Due {
    Purge {
        reason: String,
        due_at: DateTime<Utc>,
    },
    /// Read-only, waiting for its purge: maybe a reminder.
    Remind {
        purge_at: DateTime<Utc>,
    },
    /// Working, with the business's own client retention.
    ClientRetention {
        months: i32,
    },
    Nothing,
}

fn due(tenant: &Tenant, now: DateTime<Utc>) -> Due {
    if let Some(requested) = tenant.deletion_requested_at {
        let grace_ends = rules::deletion_grace_ends(requested);
        return if now >= grace_ends {
            Due::Purge {
                reason: "owner-request".into(),
                due_at: grace_ends,
            }
        } else {
            Due::Nothing
        };
    }
    match (
        crate::billing::standing_of(tenant, now),
        tenant.client_retention_months,
    ) {
        (Standing::Expired { purge_at, .. }, _) if now >= purge_at => Due::Purge {
            reason: if tenant.plan == "trial" {
                "trial-ended"
            } else {
                "paid-period-ended"
            }
            .into(),
            due_at: purge_at,
        },
        (Standing::Expired { purge_at, .. }, _) => Due::Remind { purge_at },
        (Standing::Active, Some(months)) => Due::ClientRetention { months },
        (Standing::Active, None) => Due::Nothing,
    }
}

fn certificate_digest(row: &CertificateRow) -> String {
    termino_crypto::chain::chain_hash(
        termino_crypto::chain::GENESIS,
        &[
            ("id", &row.id.to_string()),
            ("tenant_id", &row.tenant_id.to_string()),
            ("slug", &row.slug),
            ("reason", &row.reason),
            (
                "requested_at",
                &row.requested_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ),
            ("due_at", &row.due_at.to_rfc3339()),
            (
                "deadline",
                &row.deadline.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ),
            ("started_at", &row.started_at.to_rfc3339()),
            ("finished_at", &row.finished_at.to_rfc3339()),
            ("keys_destroyed", &row.keys_destroyed),
            ("rows_deleted", &row.rows_deleted),
        ],
    )
}

/// Whether a certificate's digest matches its fields.
pub fn certificate_intact(row: &CertificateRow) -> bool {
    certificate_digest(row) == row.digest
}

impl App {
    /// Runs the retention job as of `as_of`, if no other node is running
    /// it; `None` when another holds it. A scheduled run also waits until
    /// the job is due; a manual run (the CLI) does not.
    pub async fn run_retention(
        &self,
        as_of: DateTime<Utc>,
        holder: &str,
        scheduled: bool,
    ) -> AppResult<Option<RetentionReport>> {
        let db = self.db();
        // Leases and due times are in real time; `as_of` is the business
        // time the rules are applied at.
        let real_now = Utc::now();
        repo::ensure_job(db.connection(), JOB, real_now).await?;
        let due_before = scheduled.then_some(real_now);
        if db.backend() == sea_orm::DbBackend::Postgres {
            // The row stays locked for the whole run; a node that dies
            // releases it with its connection, and a failed run rolls back.
            let lock = db.begin().await?;
            if !repo::lock_job_pg(&lock, JOB, due_before).await? {
                return Ok(None);
            }
            let report = self.retention_pass(as_of).await?;
            let summary = report.summary();
            repo::finish_job(&lock, JOB, real_now, Utc::now(), real_now + EVERY, &summary).await?;
            commit(lock).await?;
            Ok(Some(report))
        } else {
            let until = real_now + Duration::minutes(30);
            if !repo::lease_job(db.connection(), JOB, holder, real_now, until, due_before).await? {
                return Ok(None);
            }
            let report = match self.retention_pass(as_of).await {
                Ok(report) => report,
                Err(err) => {
                    repo::release_job(db.connection(), JOB).await?;
                    return Err(err);
                }
            };
            let summary = report.summary();
            let db = db.connection();
            repo::finish_job(db, JOB, real_now, Utc::now(), real_now + EVERY, &summary).await?;
            Ok(Some(report))
        }
    }

    /// The scheduled run (the worker calls this; cheap when not due).
    pub async fn run_scheduled_retention(&self, holder: &str) -> AppResult<()> {
        if let Some(report) = self.run_retention(self.now(), holder, true).await? {
            tracing::info!(
                event = "retention_run",
                reminders = report.reminders.len(),
                purged = report.purged.len(),
                clients_deleted = report.clients_deleted,
                "retention job ran"
            );
        }
        Ok(())
    }

    async fn retention_pass(&self, now: DateTime<Utc>) -> AppResult<RetentionReport> {
        let mut report = RetentionReport::default();
        let db = self.db().connection();
        let mut tenants = repo::retention_candidates(db).await?;
        // A purge that was started is finished, whatever the business looks
        // like now.
        let mut started = std::collections::HashMap::new();
        for journal in purges::unfinished(db).await? {
            if !tenants.iter().any(|t| t.id == journal.tenant_id)
                && let Some(t) =
                    termino_store::repo::tenants::find_by_id(db, journal.tenant_id).await?
            {
                tenants.push(t);
            }
            started.insert(journal.tenant_id, journal);
        }
        for tenant in tenants {
            let due = match started.get(&tenant.id) {
                Some(journal) => Due::Purge {
                    reason: journal.reason.clone(),
                    due_at: journal.due_at,
                },
                None => due(&tenant, now),
            };
            // One business's failure does not stop the others.
            let outcome = match due {
                Due::Purge { reason, due_at } => {
                    match self.purge(&tenant, &reason, due_at, now).await {
                        Ok(certificate) => {
                            report.purged.push(certificate);
                            Ok(())
                        }
                        Err(err) => {
                            self.purge_failed(&tenant, &err).await?;
                            Err(err)
                        }
                    }
                }
                Due::Remind { purge_at } => self
                    .remind_purge(&tenant, purge_at, now)
                    .await
                    .map(|sent| report.reminders.extend(sent.map(|days| (tenant.id, days)))),
                Due::ClientRetention { months } => self
                    .apply_client_retention(&tenant, months, now)
                    .await
                    .map(|n| report.clients_deleted += n),
                Due::Nothing => Ok(()),
            };
            if let Err(err) = outcome {
                tracing::warn!(event = "retention_tenant_failed", tenant_id = %tenant.id, error = %err, "retention failed for one business; the others go on");
                report.failed.push(tenant.id);
            }
        }
        report.billing_records_deleted = repo::delete_expired_billing_records(db, now).await?;
        Ok(report)
    }

    async fn remind_purge(
        &self,
        tenant: &Tenant,
        purge_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> AppResult<Option<i64>> {
        let sent = tenant.purge_reminder_sent.as_deref().and_then(|s| {
            let (at, days) = s.split_once(':')?;
            (at.parse::<i64>().ok()? == purge_at.timestamp()).then(|| days.parse::<i64>().ok())?
        });
        let Some(days) = rules::purge_reminder_due(purge_at, now, sent) else {
            return Ok(None);
        };
        let date = purge_at.format("%Y-%m-%d %H:%M UTC").to_string();
        let link = self.link("/app/plan");
        let export = self.link("/app/account");
        self.mail_owners(
            tenant.id,
            format!("Your Termino data will be deleted on {date} / Dane w Termino zostaną usunięte {date}"),
            format!(
                "Your Termino account is read-only since its plan ended. Its data (clients, bookings, settings) will be deleted for good on {date}, in {days} days.\nTo keep it, choose a plan before then: {link}\nTo keep a copy, export it: {export}\n\nTwoje konto Termino jest tylko do odczytu, bo skończył się plan. Jego dane (klienci, rezerwacje, ustawienia) zostaną trwale usunięte {date}, za {days} dni.\nAby je zachować, wybierz plan przed tym terminem: {link}\nAby zachować kopię, wyeksportuj dane: {export}\n\n— Termino"
            ),
        )
        .await?;
        repo::set_purge_reminder(
            self.db().connection(),
            tenant.id,
            Some(format!("{}:{days}", purge_at.timestamp())),
        )
        .await?;
        tracing::info!(event = "purge_reminder", tenant_id = %tenant.id, days, "purge reminder queued");
        Ok(Some(days))
    }

    /// Keys first, then rows in batches, then the certificate. Every step
    /// is written to the purge journal in the step's own transaction, so a
    /// purge cut short anywhere is finished by the next run from what the
    /// journal holds (members and owners included, whose memberships may
    /// already be gone).
    async fn purge(
        &self,
        tenant: &Tenant,
        reason: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> AppResult<CertificateRow> {
        let db = self.db();
        if let Some(existing) = repo::certificate_of(db.connection(), tenant.id).await? {
            return Ok(existing);
        }
        let journal = self.start_purge(tenant, reason, due_at).await?;
        if journal.attempts > 0 {
            tracing::warn!(event = "purge_resumed", tenant_id = %tenant.id, attempts = journal.attempts, "finishing a purge that was cut short");
        }
        let keys = match &journal.keys_destroyed {
            Some(keys) => keys.clone(),
            None => {
                self.keys().destroy_all(tenant.id, now).await?;
                let keys = serde_json::to_string(&self.keys().describe(tenant.id).await?)
                    .map_err(anyhow::Error::from)?;
                purges::record_keys(db.connection(), tenant.id, keys.clone()).await?;
                keys
            }
        };
        // Every run: the mailer's copies of its client mail go (idempotent).
        self.forget_mail_copies(tenant.id).await?;
        let mut rows: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&journal.rows_deleted).unwrap_or_default();
        for table in TENANT_TABLES {
            loop {
                let tx = db.begin().await?;
                let n = repo::delete_batch(&tx, table, "tenant_id", tenant.id, BATCH).await?;
                purges::record_rows(&tx, tenant.id, add(&mut rows, table, n)).await?;
                commit(tx).await?;
                if n < u64::from(BATCH) {
                    break;
                }
            }
        }
        let tx = db.begin().await?;
        let n = termino_store::repo::accountability::delete_audit_log(&tx, tenant.id).await?;
        purges::record_rows(&tx, tenant.id, add(&mut rows, "audit_events", n)).await?;
        commit(tx).await?;

        // The last step in one transaction: users left without a business,
        // the business itself, its certificate, the owners' notice, and the
        // journal marked done.
        let members: Vec<Uuid> = serde_json::from_str(&journal.members).unwrap_or_default();
        let owner_ids: Vec<Uuid> = serde_json::from_str(&journal.owners).unwrap_or_default();
        let tx = db.begin().await?;
        let mut owners = Vec::new();
        for id in &owner_ids {
            if let Some(user) = termino_store::repo::accounts::find_user(&tx, *id).await? {
                owners.push(user.email);
            }
        }
        let orphans = repo::delete_orphan_users(&tx, &members).await?;
        add(&mut rows, "users", orphans);
        let gone = repo::delete_batch(&tx, "tenants", "id", tenant.id, 1).await?;
        add(&mut rows, "tenants", gone);
        let mut certificate = CertificateRow {
            id: Uuid::now_v7(),
            tenant_id: tenant.id,
            slug: journal.slug.clone(),
            reason: journal.reason.clone(),
            requested_at: journal.requested_at,
            due_at: journal.due_at,
            deadline: journal.requested_at.map(rules::deletion_deadline),
            started_at: journal.started_at,
            finished_at: chrono::SubsecRound::trunc_subsecs(self.now(), 6),
            keys_destroyed: keys,
            rows_deleted: serde_json::Value::Object(rows).to_string(),
            digest: String::new(),
        };
        certificate.digest = certificate_digest(&certificate);
        repo::insert_certificate(&tx, certificate.clone()).await?;
        // The owners hear that it is done, with the certificate's id; the
        // message is not tied to the business any more.
        let message = purged_notice(&certificate);
        for to in &owners {
            self.enqueue_mail(&tx, None, to, message.clone()).await?;
        }
        purges::finish(&tx, tenant.id, certificate.finished_at).await?;
        commit(tx).await?;
        self.wake_mail();
        tracing::warn!(event = "purge_finished", tenant_id = %tenant.id, reason = %certificate.reason, certificate_id = %certificate.id, "business purged");
        Ok(certificate)
    }

    /// The journal of this business's purge: the one already started, or a
    /// new one naming its members and owners before anything goes.
    async fn start_purge(
        &self,
        tenant: &Tenant,
        reason: &str,
        due_at: DateTime<Utc>,
    ) -> AppResult<PurgeJournalRow> {
        let scope = TenantScope::authenticated(tenant.id);
        let tx = self.db().begin_tenant(&scope).await?;
        let members = termino_store::repo::accounts::members(&tx, &scope).await?;
        commit(tx).await?;
        let owners: Vec<Uuid> = members
            .iter()
            .filter(|(m, _)| m.role == Role::Owner.as_str())
            .map(|(_, u)| u.id)
            .collect();
        let users: Vec<Uuid> = members.iter().map(|(_, u)| u.id).collect();
        let row = PurgeJournalRow {
            tenant_id: tenant.id,
            slug: tenant.slug.clone(),
            reason: reason.to_string(),
            requested_at: tenant.deletion_requested_at,
            due_at: chrono::SubsecRound::trunc_subsecs(due_at, 6),
            started_at: chrono::SubsecRound::trunc_subsecs(self.now(), 6),
            members: json!(users).to_string(),
            owners: json!(owners).to_string(),
            keys_destroyed: None,
            rows_deleted: "{}".into(),
            attempts: 0,
            last_error: None,
            finished_at: None,
        };
        let journal = purges::start(self.db().connection(), row).await?;
        if journal.attempts == 0 && journal.keys_destroyed.is_none() {
            tracing::warn!(event = "purge_started", tenant_id = %tenant.id, reason, "purging a business");
        }
        Ok(journal)
    }

    /// A purge failed part-way: noted in its journal (the next run finishes
    /// it) and reported to Termino's operators on the first failure and
    /// then once a day while it keeps failing.
    async fn purge_failed(&self, tenant: &Tenant, err: &AppError) -> AppResult<()> {
        let attempts =
            purges::record_failure(self.db().connection(), tenant.id, &err.to_string()).await?;
        tracing::error!(event = "purge_failed", tenant_id = %tenant.id, attempts, error = %err, "a purge failed part-way; the next retention run finishes it");
        if attempts == 1 || attempts % 24 == 0 {
            let operators = self.operator_emails().await?;
            let tx = self.db().begin().await?;
            for to in &operators {
                self.enqueue_mail(
                    &tx,
                    None,
                    to,
                    termino_notify::texts::Message {
                        subject: format!("Retention: the purge of business {} failed", tenant.id),
                        body: format!(
                            "The purge of business {} ({}) failed part-way, {attempts} time(s) so far. Its keys are destroyed first, so its client data is already unreadable; the hourly retention run finishes the rest from the purge journal.\nLook for event=purge_failed in the logs, or run `termino retention run` to retry now.\n\n— Termino",
                            tenant.id, tenant.slug
                        ),
                    },
                )
                .await?;
            }
            commit(tx).await?;
            self.wake_mail();
        }
        Ok(())
    }

    async fn apply_client_retention(
        &self,
        tenant: &Tenant,
        months: i32,
        now: DateTime<Utc>,
    ) -> AppResult<u64> {
        let scope = TenantScope::authenticated(tenant.id);
        let cutoff = rules::client_retention_cutoff(now, months);
        let mut deleted = 0;
        loop {
            let tx = self.db().begin_tenant(&scope).await?;
            let ids = repo::clients_inactive_since(&tx, &scope, cutoff, 100).await?;
            commit(tx).await?;
            if ids.is_empty() {
                break;
            }
            for id in &ids {
                self.erase_client_record(
                    &scope,
                    *id,
                    crate::audit::AuditEvent::new(
                        crate::audit::AuditActor::System,
                        "client.erased",
                    )
                    .on("client", *id)
                    .detail("the business's client retention"),
                )
                .await?;
                deleted += 1;
            }
        }
        if deleted > 0 {
            tracing::info!(event = "client_retention_applied", tenant_id = %tenant.id, deleted, months, "clients deleted by the business's retention rule");
        }
        Ok(deleted)
    }

    // ---- The owner's side ----------------------------------------------

    pub async fn deletion_request(
        &self,
        principal: &Principal,
    ) -> AppResult<Option<DeletionRequest>> {
        let tenant = self.business(principal).await?;
        Ok(tenant.deletion_requested_at.map(DeletionRequest::of))
    }

    /// The owner asks to delete the business: the booking page closes at
    /// once, the request can be cancelled during the grace period, and the
    /// purge follows within 5 business days.
    pub async fn request_deletion(&self, principal: &Principal) -> AppResult<DeletionRequest> {
        principal.require(
            principal.role() == Role::Owner && principal.user_id().is_some(),
            "only an owner can delete the business",
        )?;
        let tenant = self.business(principal).await?;
        if let Some(at) = tenant.deletion_requested_at {
            return Ok(DeletionRequest::of(at));
        }
        let now = self.now();
        repo::set_deletion_request(self.db().connection(), tenant.id, Some(now)).await?;
        let request = DeletionRequest::of(now);
        let link = self.link("/app/account");
        self.mail_owners(
            tenant.id,
            "Deletion of your business requested / Zlecono usunięcie firmy".into(),
            format!(
                "Deletion of the business \"{}\" was requested. You can cancel until {}: {link}\nAfter that its data is deleted, at the latest by {}.\n\nZlecono usunięcie firmy \"{}\". Możesz to odwołać do {}: {link}\nPotem jej dane zostaną usunięte, najpóźniej do {}.\n\n— Termino",
                tenant.slug,
                request.grace_ends.format("%Y-%m-%d %H:%M UTC"),
                request.deadline.format("%Y-%m-%d %H:%M UTC"),
                tenant.slug,
                request.grace_ends.format("%Y-%m-%d %H:%M UTC"),
                request.deadline.format("%Y-%m-%d %H:%M UTC"),
            ),
        )
        .await?;
        tracing::warn!(event = "deletion_requested", tenant_id = %tenant.id, "business deletion requested");
        Ok(request)
    }

    pub async fn cancel_deletion(&self, principal: &Principal) -> AppResult<()> {
        principal.require(
            principal.role() == Role::Owner && principal.user_id().is_some(),
            "only an owner can cancel the deletion",
        )?;
        let tenant = self.business(principal).await?;
        let Some(at) = tenant.deletion_requested_at else {
            return Err(AppError::NotFound);
        };
        if self.now() >= rules::deletion_grace_ends(at) {
            return Err(AppError::Conflict {
                kind: ConflictKind::DeletionUnderWay,
                field: None,
                message: "the grace period is over; the deletion is under way".into(),
            });
        }
        repo::set_deletion_request(self.db().connection(), tenant.id, None).await?;
        tracing::info!(event = "deletion_cancelled", tenant_id = %tenant.id, "business deletion cancelled");
        Ok(())
    }

    pub async fn set_client_retention(
        &self,
        principal: &Principal,
        months: Option<i32>,
    ) -> AppResult<()> {
        principal.require(
            matches!(principal.role(), Role::Owner | Role::Admin),
            "only an owner or admin can change the client retention",
        )?;
        let months = termino_domain::retention::parse_client_retention(months)
            .map_err(|p| AppError::invalid("client_retention_months", p.code, p.message))?;
        repo::set_client_retention(self.db().connection(), principal.tenant.id(), months).await?;
        tracing::info!(event = "client_retention_set", tenant_id = %principal.tenant.id(), months, "client retention changed");
        Ok(())
    }
}

/// The owners' notice that their business is gone.
fn purged_notice(certificate: &CertificateRow) -> termino_notify::texts::Message {
    let at = certificate.finished_at.format("%Y-%m-%d %H:%M UTC");
    let (slug, id, digest) = (&certificate.slug, certificate.id, &certificate.digest);
    termino_notify::texts::Message {
        subject: "Your business was deleted from Termino / Firma usunięta z Termino".into(),
        body: format!(
            "The business \"{slug}\" and all its data were deleted from Termino on {at}. Its encryption keys were destroyed first, so every copy of its client data, backups included, is unreadable.\nDeletion certificate: {id} (digest {digest}).\n\nFirma \"{slug}\" i wszystkie jej dane zostały usunięte z Termino {at}. Najpierw zniszczono jej klucze szyfrujące, więc żadna kopia danych klientów, także w kopiach zapasowych, nie da się odczytać.\nCertyfikat usunięcia: {id} (skrót {digest}).\n\n— Termino"
        ),
    }
}

/// Adds `n` deleted rows of `table` to the counts; the counts as JSON.
fn add(rows: &mut serde_json::Map<String, serde_json::Value>, table: &str, n: u64) -> String {
    let before = rows.get(table).and_then(serde_json::Value::as_u64);
    rows.insert(table.to_string(), json!(before.unwrap_or(0) + n));
    serde_json::Value::Object(rows.clone()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purge_reaches_every_table_with_sealed_values() {
        for table in termino_store::sealed::TABLES {
            assert!(
                table.table == "tenants" || TENANT_TABLES.contains(&table.table),
                "{} holds sealed values but the purge does not delete it",
                table.table
            );
        }
    }
}
