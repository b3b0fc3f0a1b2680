//! The mail outbox and its delivery worker.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use termino_domain::account::Role;
use termino_notify::texts::Message;
use termino_notify::{Attachment, Email};
use termino_store::repo::mail_outbox;
use termino_store::repo::mail_outbox::NewMail;
use termino_store::sealed::{self, SealedColumn};
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::keys::Keyring;
use crate::{App, AppResult};

/// Attempts before a message is marked failed: with the back-off below the
/// last one is about a day and a half after the first.
const MAX_ATTEMPTS: i32 = 12;

/// How long a claimed message is left to the node that claimed it: well
/// past a batch of SMTP time-outs, after which another node may retry it.
const MAIL_LEASE: chrono::Duration = chrono::Duration::minutes(10);

impl App {
    /// A link into Termino for a message.
    pub(crate) fn link(&self, path: &str) -> String {
        format!("{}{path}", self.config().public_url.trim_end_matches('/'))
    }

    /// Queues a message to every owner of a business.
    pub(crate) async fn mail_owners(
        &self,
        tenant: Uuid,
        subject: String,
        body: String,
    ) -> AppResult<usize> {
        let scope = TenantScope::authenticated(tenant);
        let tx = self.db().begin_tenant(&scope).await?;
        let owners = owner_emails(&tx, &scope).await?;
        for to in &owners {
            self.enqueue_mail(
                &tx,
                Some(tenant),
                to,
                Message {
                    subject: subject.clone(),
                    body: body.clone(),
                },
            )
            .await?;
        }
        commit(tx).await?;
        self.wake_mail();
        Ok(owners.len())
    }

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
            NewMail {
                id: Uuid::now_v7(),
                tenant_id,
                recipient: to.to_string(),
                subject: message.subject,
                body_text: message.body,
                sealed: false,
                attachment_name: None,
                attachment: None,
            },
            // A run `--as-of` a later time still sends now.
            self.now().min(chrono::Utc::now()),
        )
        .await?)
    }

    /// Queues mail to a business's client: recipient, subject, body and
    /// attachment are stored encrypted under the business's key.
    pub(crate) async fn enqueue_sealed_mail(
        &self,
        tx: &Tx,
        keyring: &Keyring,
        to: &str,
        message: Message,
        attachment: Option<Attachment>,
    ) -> AppResult<Uuid> {
        let version = keyring.active.ok_or_else(crate::keys::keys_destroyed)?;
        let id = Uuid::now_v7();
        let tenant = keyring.tenant;
        let text =
            |column: &SealedColumn, plain: &str| keyring.seal_base64(column, id, plain.as_bytes());
        mail_outbox::enqueue(
            tx,
            NewMail {
                id,
                tenant_id: Some(tenant),
                recipient: text(&sealed::MAIL_RECIPIENT, to)?,
                subject: text(&sealed::MAIL_SUBJECT, &message.subject)?,
                body_text: text(&sealed::MAIL_BODY, &message.body)?,
                sealed: true,
                attachment_name: attachment.as_ref().map(|a| a.filename.clone()),
                attachment: attachment
                    .map(|a| {
                        let mut plain = a.content_type.into_bytes();
                        plain.push(b'\n');
                        plain.extend_from_slice(&a.content);
                        keyring.seal(&sealed::MAIL_ATTACHMENT, id, &plain)
                    })
                    .transpose()?,
            },
            self.now(),
        )
        .await?;
        self.after_encrypting(tenant, version, 4);
        Ok(id)
    }

    /// Erasure: the copies of sent mail to one address go too (they hold
    /// the address and what was said, if only as ciphertext), and the
    /// mailer's own copies of them.
    pub(crate) async fn forget_mail_to(&self, tenant: Uuid, address: &str) -> AppResult<u64> {
        let db = self.db().connection();
        let mut gone = Vec::new();
        for row in mail_outbox::sealed_done_of(db, tenant).await? {
            // A sent message keeps only its (sealed) recipient and subject.
            let version = STANDARD
                .decode(&row.recipient)
                .ok()
                .and_then(|b| termino_crypto::field_key_version(&b).ok());
            let keyring = self.keys().for_read(tenant, version, self.now()).await?;
            let to = keyring.open_base64(&sealed::MAIL_RECIPIENT, row.id, &row.recipient);
            if to.is_some_and(|to| to.eq_ignore_ascii_case(address)) {
                mail_outbox::delete(db, row.id).await?;
                gone.push(row.id);
            }
        }
        self.inner.mailer.forget(&gone).await;
        Ok(gone.len() as u64)
    }

    /// Crypto-shredding: the mailer's copies of a business's mail to its
    /// clients (the `.eml` files of the embedded default hold it in
    /// plaintext). Mail to its owners and staff stays: it is theirs.
    pub(crate) async fn forget_mail_copies(&self, tenant: Uuid) -> AppResult<()> {
        let ids = mail_outbox::sealed_ids_of(self.db().connection(), tenant).await?;
        self.inner.mailer.forget(&ids).await;
        Ok(())
    }

    /// The message as it goes out (opening sealed mail).
    async fn open_mail(&self, row: &mail_outbox::OutboxMail) -> Result<Email, String> {
        if !row.sealed {
            return Ok(Email {
                id: row.id,
                to: row.recipient.clone(),
                subject: row.subject.clone(),
                body_text: row.body_text.clone(),
                attachment: None,
                sender_name: None,
                reply_to: None,
                html: false,
            });
        }
        let tenant = row.tenant_id.ok_or("sealed mail without a business")?;
        // The recipient stays after sending (the body is scrubbed then).
        let version = STANDARD
            .decode(&row.recipient)
            .ok()
            .and_then(|b| termino_crypto::field_key_version(&b).ok());
        let keyring = self
            .inner
            .keys
            .for_read(tenant, version, self.now())
            .await
            .map_err(|e| e.to_string())?;
        let unopenable = |column: &str| format!("cannot open sealed mail ({column})");
        let text = |column: &SealedColumn, b64: &str| {
            keyring
                .open_base64(column, row.id, b64)
                .ok_or_else(|| unopenable(column.column))
        };
        let attachment = match (&row.attachment_name, &row.attachment) {
            (Some(name), Some(stored)) => {
                let plain = keyring
                    .open(&sealed::MAIL_ATTACHMENT, row.id, stored)
                    .map_err(|_| unopenable("attachment"))?;
                let split = plain.iter().position(|b| *b == b'\n').unwrap_or(0);
                Some(Attachment {
                    filename: name.clone(),
                    content_type: String::from_utf8_lossy(&plain[..split]).into_owned(),
                    content: plain[(split + 1).min(plain.len())..].to_vec(),
                })
            }
            _ => None,
        };
        // Sealed mail is the business's to its client: from the business
        // by name, answers to its contact address.
        let scope = TenantScope::authenticated(tenant);
        let business = async {
            let tx = self.db().begin_tenant(&scope).await?;
            let business = termino_store::repo::tenants::get(&tx, &scope).await?;
            commit(tx).await?;
            AppResult::Ok(business)
        }
        .await
        .map_err(|e| e.to_string())?;
        Ok(Email {
            sender_name: business.as_ref().map(|b| b.name.clone()),
            reply_to: business.and_then(|b| b.contact_email),
            html: true,
            id: row.id,
            to: text(&sealed::MAIL_RECIPIENT, &row.recipient)?,
            subject: text(&sealed::MAIL_SUBJECT, &row.subject)?,
            body_text: match row.body_text.as_str() {
                "" => String::new(),
                stored => text(&sealed::MAIL_BODY, stored)?,
            },
            attachment,
        })
    }

    pub(crate) fn wake_mail(&self) {
        self.inner.mail_waker.notify_one();
    }

    /// Sends what is due; returns how many were sent. Messages are claimed
    /// in one short transaction and their outcomes recorded in others: the
    /// SMTP exchange (which may stall for its whole time-out) runs outside
    /// any transaction, so on SQLite it never holds the write lock.
    pub async fn deliver_due_mail(&self) -> AppResult<usize> {
        let now = self.now();
        let tx = self.db().begin().await?;
        let due = mail_outbox::claim_due(&tx, now, now + MAIL_LEASE, 10).await?;
        commit(tx).await?;
        let mut sent = 0;
        for row in due {
            let outcome = match self.open_mail(&row).await {
                Ok(email) => {
                    self.inner
                        .mailer
                        .send(&email, &self.config().mail_from)
                        .await
                }
                Err(reason) => {
                    // The business's keys are gone (or the row was altered):
                    // this message can never be sent.
                    tracing::warn!(event = "mail_unopenable", mail_id = %row.id, "sealed mail cannot be opened");
                    Err(termino_notify::SendError::Permanent(reason))
                }
            };
            let error;
            self.metrics().delivery(
                "mail",
                match &outcome {
                    Ok(()) => "sent",
                    Err(termino_notify::SendError::Temporary(_)) => "retry",
                    Err(_) => "failed",
                },
            );
            let recorded = match outcome {
                Ok(()) => {
                    sent += 1;
                    mail_outbox::Outcome::Sent { at: self.now() }
                }
                Err(err) => {
                    let retry = match err {
                        termino_notify::SendError::Temporary(_) if row.attempts < MAX_ATTEMPTS => {
                            // 1, 2, 4 … minutes, capped at 8 hours.
                            let minutes = 1i64 << row.attempts.clamp(0, 9);
                            Some(self.now() + chrono::Duration::minutes(minutes.min(480)))
                        }
                        _ => None,
                    };
                    tracing::warn!(event = "mail_failed", mail_id = %row.id, attempts = row.attempts, error = %err, "mail delivery failed");
                    error = err.to_string();
                    mail_outbox::Outcome::Failed {
                        error: &error,
                        retry,
                    }
                }
            };
            if !mail_outbox::record(self.db().connection(), row.id, row.attempts, recorded).await? {
                // Our lease ran out mid-send and a newer attempt took over:
                // its outcome is the one that counts.
                tracing::warn!(event = "mail_outcome_superseded", mail_id = %row.id, "a newer attempt claimed this mail");
            }
        }
        Ok(sent)
    }
}

/// Everything in the outbox, for tests and operators (recipients included,
/// so never logged).
pub async fn outbox(app: &App) -> AppResult<Vec<mail_outbox::OutboxMail>> {
    Ok(mail_outbox::all(app.db().connection()).await?)
}

/// Everything in the outbox as it goes out (sealed mail opened, the body
/// empty once sent; what cannot be opened left out), for tests and
/// operators: never logged.
pub async fn outbox_opened(app: &App) -> AppResult<Vec<Email>> {
    let mut out = Vec::new();
    for row in outbox(app).await? {
        if let Ok(email) = app.open_mail(&row).await {
            out.push(email);
        }
    }
    Ok(out)
}

/// The e-mail addresses of a business's owners.
pub(crate) async fn owner_emails(
    tx: &termino_store::Tx,
    scope: &TenantScope,
) -> AppResult<Vec<String>> {
    Ok(termino_store::repo::accounts::members(tx, scope)
        .await?
        .into_iter()
        .filter(|(m, _)| m.role == Role::Owner.as_str())
        .map(|(_, u)| u.email)
        .collect())
}
