//! Durable background jobs: one claim / lease / outcome pattern.
//!
//! A job is written in the transaction of the change that causes it (a
//! booking made: its reminders), so it exists exactly when the change
//! committed. Any node claims due jobs in a short transaction (the attempt
//! counted, a lease taken; SKIP LOCKED on PostgreSQL, the write lock on
//! SQLite), runs each outside it, and records the outcome only if no newer
//! attempt took the job over. A job that changes the database makes its
//! writes in a transaction from [`JobContext::begin`] and ends it with
//! [`JobContext::complete`], which commits them together with "done": such
//! a job changes the database exactly once. (No transaction is held open
//! while a job runs: on SQLite it would hold the write lock.) Work that talks to
//! the outside world (mail, SMS, webhooks) is itself queued that way and
//! sent by its own queue, with the same pattern.
//!
//! Tests call [`App::run_due_jobs`] (or the whole worker step) with a
//! clock they control instead of waiting for the worker.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use termino_store::repo::jobs::{self as repo, JobRow, NewJob, Outcome};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::{App, AppError, AppResult};

/// How long a claimed job belongs to the node that claimed it.
const LEASE: Duration = Duration::minutes(10);
/// Attempts before a job is given up (about a day with the back-off below).
const MAX_ATTEMPTS: i32 = 10;

/// A kind of job: its payload is the value itself (ids and settings only).
#[async_trait::async_trait]
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync {
    /// Stored with each job; never change it once jobs of the kind exist.
    const KIND: &'static str;

    /// Does the work. Writes that must happen once go into a transaction
    /// from `ctx.begin()`, committed with `ctx.complete(tx)`; a job that
    /// returns without completing is marked done afterwards.
    async fn run(&self, app: &App, ctx: &JobContext) -> Result<(), JobError>;
}

/// One attempt of one job, as its run sees it.
pub struct JobContext {
    id: Uuid,
    attempt: i32,
    tenant: Option<Uuid>,
    completed: std::sync::atomic::AtomicBool,
}

impl JobContext {
    /// A transaction of the job's business (or a system one).
    pub async fn begin(&self, app: &App) -> Result<Tx, JobError> {
        Ok(match self.tenant {
            Some(t) => {
                app.db()
                    .begin_tenant(&TenantScope::authenticated(t))
                    .await?
            }
            None => app.db().begin().await?,
        })
    }

    /// Marks the job done in `tx` and commits; false (and nothing
    /// committed) when a newer attempt took the job over meanwhile.
    pub async fn complete(&self, app: &App, tx: Tx) -> Result<bool, JobError> {
        self.completed
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if repo::record(&tx, self.id, self.attempt, Outcome::Done, app.now()).await? {
            commit(tx).await?;
            Ok(true)
        } else {
            tx.rollback()
                .await
                .map_err(termino_store::StoreError::from)?;
            Ok(false)
        }
    }
}

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (an outage).
    #[error("{0}")]
    Retry(String),
    /// Another attempt would fail the same way.
    #[error("{0}")]
    GiveUp(String),
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unavailable(m) => JobError::Retry(m),
            AppError::Internal(e) => JobError::Retry(format!("{e:#}")),
            other => JobError::GiveUp(other.to_string()),
        }
    }
}

impl From<termino_store::StoreError> for JobError {
    fn from(e: termino_store::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

/// What one pass of [`App::run_due_jobs`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JobsRun {
    pub done: usize,
    pub retried: usize,
    pub failed: usize,
}

/// What one [`App::run_pending_jobs`] step sent or did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkDone {
    pub mail: usize,
    /// Text messages the gateway took.
    pub sms: usize,
    pub webhooks: usize,
    pub jobs: JobsRun,
}

impl WorkDone {
    fn is_empty(&self) -> bool {
        self.mail == 0 && self.sms == 0 && self.webhooks == 0 && self.jobs == JobsRun::default()
    }
}

impl App {
    /// One step of the background worker: everything due now, until a pass
    /// finds nothing more (a job may queue mail, a delivery a job). The
    /// worker calls it in a loop; tests call it instead of waiting. A part
    /// that fails is logged and the others go on.
    pub async fn run_pending_jobs(&self) -> WorkDone {
        let mut total = WorkDone::default();
        // Bounded: work that keeps queueing more waits for the next step.
        for _ in 0..10 {
            let pass = self.pending_pass().await;
            total.mail += pass.mail;
            total.sms += pass.sms;
            total.webhooks += pass.webhooks;
            total.jobs.done += pass.jobs.done;
            total.jobs.retried += pass.jobs.retried;
            total.jobs.failed += pass.jobs.failed;
            if pass.is_empty() {
                break;
            }
        }
        total
    }

    async fn pending_pass(&self) -> WorkDone {
        use tracing::Instrument;
        let mut done = WorkDone::default();
        self.flush_encryption_counts().await;
        let passes: [(&str, AppResult<()>); 4] = [
            (
                "idempotency_cleanup",
                self.forget_expired_idempotency().await.map(drop),
            ),
            (
                "plan_reminders",
                self.remind_plan_renewals().await.map(drop),
            ),
            ("payments", self.settle_payments().await.map(drop)),
            (
                "external_calendars",
                self.sync_external_calendars().await.map(drop),
            ),
        ];
        for (name, result) in passes {
            if let Err(err) = result {
                tracing::warn!(event = "worker_pass_failed", pass = name, error = %err, "a background pass failed; it runs again on the next step");
            }
        }
        match self
            .run_due_jobs()
            .instrument(tracing::info_span!("jobs"))
            .await
        {
            Ok(run) => done.jobs = run,
            Err(err) => {
                tracing::warn!(event = "worker_pass_failed", pass = "jobs", error = %err, "background jobs pass failed")
            }
        }
        match self
            .deliver_due_mail()
            .instrument(tracing::info_span!("mail"))
            .await
        {
            Ok(n) => done.mail = n,
            Err(err) => {
                tracing::warn!(event = "worker_pass_failed", pass = "mail", error = %err, "mail pass failed")
            }
        }
        match self
            .deliver_due_sms()
            .instrument(tracing::info_span!("sms"))
            .await
        {
            Ok(n) => done.sms = n,
            Err(err) => {
                tracing::warn!(event = "worker_pass_failed", pass = "sms", error = %err, "SMS pass failed")
            }
        }
        match self
            .deliver_due_webhooks()
            .instrument(tracing::info_span!("webhooks"))
            .await
        {
            Ok(n) => done.webhooks = n,
            Err(err) => {
                tracing::warn!(event = "worker_pass_failed", pass = "webhooks", error = %err, "webhook pass failed")
            }
        }
        done
    }

    /// The clock-driven periodic work: the hourly retention job (once per
    /// cluster) and breach escalations. The worker runs it every minute;
    /// tests that need it call it (or the CLI) with the time they set.
    pub async fn run_scheduled(&self, holder: &str) {
        if let Err(err) = self.run_scheduled_retention(holder).await {
            tracing::warn!(event = "retention_job_error", error = %err, "retention job failed; it runs again when next due");
        }
        if let Err(err) = self.escalate_incidents(self.now()).await {
            tracing::warn!(event = "incident_escalation_error", error = %err, "breach escalations failed; they are retried in a minute");
        }
    }

    /// The background worker: runs until `shutdown` says so, a step when
    /// woken (something was queued) or every few seconds, the scheduled
    /// work every minute.
    pub async fn run_worker(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        // Names this node's lease on the scheduled jobs.
        let holder = format!(
            "{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        );
        let mut next_scheduled = std::time::Instant::now();
        loop {
            self.run_pending_jobs().await;
            if std::time::Instant::now() >= next_scheduled {
                next_scheduled = std::time::Instant::now() + std::time::Duration::from_secs(60);
                self.run_scheduled(&holder).await;
            }
            tokio::select! {
                _ = self.inner.mail_waker.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
                _ = shutdown.changed() => {
                    self.flush_encryption_counts().await;
                    return;
                }
            }
        }
    }

    /// Queues a job in the caller's transaction. A job with the same
    /// `dedupe_key` that exists already is kept as it is (false back).
    pub(crate) async fn enqueue_job<J: BackgroundJob>(
        &self,
        tx: &Tx,
        tenant: Option<Uuid>,
        dedupe_key: String,
        job: &J,
        run_at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let payload = serde_json::to_string(job).map_err(anyhow::Error::from)?;
        Ok(repo::enqueue(
            tx,
            NewJob {
                tenant_id: tenant,
                kind: J::KIND.to_string(),
                dedupe_key,
                payload,
                run_at,
            },
            self.now(),
        )
        .await?)
    }

    /// Runs every job that is due now, once each; returns what happened.
    pub async fn run_due_jobs(&self) -> AppResult<JobsRun> {
        let mut report = JobsRun::default();
        loop {
            let now = self.now();
            let tx = self.db().begin().await?;
            let due = repo::claim_due(&tx, now, now + LEASE, 20).await?;
            commit(tx).await?;
            if due.is_empty() {
                return Ok(report);
            }
            for row in due {
                let outcome = self.run_job(&row).await?;
                match outcome {
                    RunOutcome::Done => report.done += 1,
                    RunOutcome::Retried => report.retried += 1,
                    RunOutcome::Failed => report.failed += 1,
                    RunOutcome::Superseded => {}
                }
                self.metrics().job(&row.kind, outcome.label());
            }
        }
    }

    async fn run_job(&self, row: &JobRow) -> AppResult<RunOutcome> {
        use tracing::Instrument;
        let span =
            tracing::info_span!("job", kind = %row.kind, job_id = %row.id, attempt = row.attempts);
        self.run_job_in_span(row).instrument(span).await
    }

    async fn run_job_in_span(&self, row: &JobRow) -> AppResult<RunOutcome> {
        let ctx = JobContext {
            id: row.id,
            attempt: row.attempts,
            tenant: row.tenant_id,
            completed: false.into(),
        };
        let result = self.dispatch(row, &ctx).await;
        let now = self.now();
        match result {
            Ok(()) if ctx.completed.load(std::sync::atomic::Ordering::Relaxed) => {
                Ok(RunOutcome::Done)
            }
            Ok(()) => {
                let db = self.db().connection();
                Ok(
                    if repo::record(db, row.id, row.attempts, Outcome::Done, now).await? {
                        RunOutcome::Done
                    } else {
                        RunOutcome::Superseded
                    },
                )
            }
            Err(err) => {
                let retry = match &err {
                    JobError::Retry(_) if row.attempts < MAX_ATTEMPTS => {
                        // 1, 2, 4 … minutes, capped at 4 hours.
                        let minutes = (1i64 << row.attempts.clamp(0, 8)).min(240);
                        Some(now + Duration::minutes(minutes))
                    }
                    _ => None,
                };
                tracing::warn!(event = "job_failed", kind = %row.kind, job_id = %row.id, attempts = row.attempts, retry = retry.is_some(), error = %err, "background job failed");
                let message = err.to_string();
                let outcome = Outcome::Failed {
                    error: &message,
                    retry,
                };
                repo::record(self.db().connection(), row.id, row.attempts, outcome, now).await?;
                Ok(if retry.is_some() {
                    RunOutcome::Retried
                } else {
                    RunOutcome::Failed
                })
            }
        }
    }

    /// The one place that knows every kind of job.
    async fn dispatch(&self, row: &JobRow, ctx: &JobContext) -> Result<(), JobError> {
        match row.kind.as_str() {
            RotateKey::KIND => run::<RotateKey>(self, row, ctx).await,
            crate::reminders::SendReminder::KIND => {
                run::<crate::reminders::SendReminder>(self, row, ctx).await
            }
            crate::agenda::SendAgenda::KIND => {
                run::<crate::agenda::SendAgenda>(self, row, ctx).await
            }
            crate::sms::SmsLimitNotice::KIND => {
                run::<crate::sms::SmsLimitNotice>(self, row, ctx).await
            }
            kind => Err(JobError::GiveUp(format!("unknown job kind {kind}"))),
        }
    }
}

enum RunOutcome {
    Done,
    Retried,
    Failed,
    /// A newer attempt took the job over while this one ran.
    Superseded,
}

impl RunOutcome {
    fn label(&self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Retried => "retried",
            RunOutcome::Failed => "failed",
            RunOutcome::Superseded => "superseded",
        }
    }
}

/// Runs a job of kind `J` from its stored payload.
async fn run<J: BackgroundJob>(app: &App, row: &JobRow, ctx: &JobContext) -> Result<(), JobError> {
    let job: J = serde_json::from_str(&row.payload)
        .map_err(|e| JobError::GiveUp(format!("unreadable payload: {e}")))?;
    job.run(app, ctx).await
}

/// A business's data key reached its encryption limit: rotate it, once in
/// the cluster, surviving a restart (the rotation itself is resumable).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RotateKey {
    pub tenant: Uuid,
    /// The version that reached its limit; nothing is done if it is no
    /// longer the active one.
    pub version: u32,
}

#[async_trait::async_trait]
impl BackgroundJob for RotateKey {
    const KIND: &'static str = "rotate_key";

    async fn run(&self, app: &App, _ctx: &JobContext) -> Result<(), JobError> {
        // Its own batches, each in its own transaction; a rerun resumes.
        app.rotate_if_active(self.tenant, self.version).await?;
        Ok(())
    }
}
