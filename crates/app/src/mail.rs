//! The mail outbox and its delivery worker.

use std::time::Duration;

use termino_notify::Email;
use termino_notify::texts::Message;
use termino_store::repo::mail_outbox;
use termino_store::{Tx, commit};
use uuid::Uuid;

use crate::{App, AppResult};

/// Attempts before a message is marked failed: with the back-off below the
/// last one is about a day and a half after the first.
const MAX_ATTEMPTS: i32 = 12;

impl App {
    /// Queues a message in the caller's transaction: it is sent only if the
    /// change that caused it commits.
    pub(crate) async fn enqueue_mail(
        &self,
        tx: &Tx,
        tenant_id: Option<Uuid>,
        to: &str,
        message: Message,
    ) -> AppResult<Uuid> {
        Ok(mail_outbox::enqueue(
            tx,
            tenant_id,
            to,
            &message.subject,
            &message.body,
            self.now(),
        )
        .await?)
    }

    pub(crate) fn wake_mail(&self) {
        self.inner.mail_waker.notify_one();
    }

    /// Sends what is due; returns how many were sent.
    pub async fn deliver_due_mail(&self) -> AppResult<usize> {
        let tx = self.db().begin().await?;
        let due = mail_outbox::claim_due(&tx, self.now(), 20).await?;
        let mut sent = 0;
        for row in due {
            let email = Email {
                id: row.id,
                to: row.recipient.clone(),
                subject: row.subject.clone(),
                body_text: row.body_text.clone(),
            };
            match self
                .inner
                .mailer
                .send(&email, &self.config().mail_from)
                .await
            {
                Ok(()) => {
                    mail_outbox::mark_sent(&tx, row, self.now()).await?;
                    sent += 1;
                }
                Err(err) => {
                    let attempts = row.attempts + 1;
                    let retry = match err {
                        termino_notify::SendError::Temporary(_) if attempts < MAX_ATTEMPTS => {
                            // 1, 2, 4 … minutes, capped at 8 hours.
                            let minutes = 1i64 << attempts.clamp(0, 9);
                            Some(self.now() + chrono::Duration::minutes(minutes.min(480)))
                        }
                        _ => None,
                    };
                    tracing::warn!(event = "mail_failed", mail_id = %row.id, attempts, error = %err, "mail delivery failed");
                    mail_outbox::mark_failed(&tx, row, &err.to_string(), retry).await?;
                }
            }
        }
        commit(tx).await?;
        Ok(sent)
    }

    /// Runs until `shutdown` resolves: delivers when woken or every few seconds.
    pub async fn run_mail_worker(&self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(err) = self.deliver_due_mail().await {
                tracing::warn!(event = "mail_worker_error", error = %err, "mail worker pass failed");
            }
            tokio::select! {
                _ = self.inner.mail_waker.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// Everything in the outbox, for tests and operators (recipients included,
/// so never logged).
pub async fn outbox(app: &App) -> AppResult<Vec<mail_outbox::OutboxMail>> {
    Ok(mail_outbox::all(app.db().connection()).await?)
}
