//! The mail outbox: messages are written in the same transaction as the
//! change that causes them, and a worker delivers them, so a failed send
//! loses nothing.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::StoreError;
pub use crate::entities::mail_outbox::Model as OutboxMail;
use crate::entities::mail_outbox::{self, Entity as MailOutbox};

/// A message to queue. For mail to a business's clients the text fields
/// and the attachment hold ciphertext (`sealed`).
pub struct NewMail {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub sealed: bool,
    pub attachment_name: Option<String>,
    pub attachment: Option<Vec<u8>>,
}

pub async fn enqueue(
    db: &impl ConnectionTrait,
    mail: NewMail,
    now: DateTime<Utc>,
) -> Result<Uuid, StoreError> {
    let active = mail_outbox::ActiveModel {
        id: Set(mail.id),
        tenant_id: Set(mail.tenant_id),
        recipient: Set(mail.recipient),
        subject: Set(mail.subject),
        body_text: Set(mail.body_text),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        sealed: Set(mail.sealed),
        attachment_name: Set(mail.attachment_name),
        attachment: Set(mail.attachment),
    };
    active.insert(db).await?;
    Ok(mail.id)
}

/// Claims due messages, oldest first, for one delivery attempt each: the
/// attempt is counted and the message leased until `lease_until` in the
/// caller's (short) transaction, so the send itself happens outside any
/// transaction and another node takes the message over only if this one
/// never reports back. On PostgreSQL the rows are locked with SKIP LOCKED
/// while they are claimed.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<OutboxMail>, StoreError> {
    let mut query = MailOutbox::find()
        .filter(mail_outbox::Column::Status.eq("pending"))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .order_by_asc(mail_outbox::Column::CreatedAt)
        .limit(limit);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_with_behavior(
            sea_orm::sea_query::LockType::Update,
            sea_orm::sea_query::LockBehavior::SkipLocked,
        );
    }
    let mut claimed = query.all(db).await?;
    for row in &mut claimed {
        row.attempts += 1;
        row.next_attempt_at = lease_until;
        MailOutbox::update_many()
            .col_expr(mail_outbox::Column::Attempts, Expr::value(row.attempts))
            .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(lease_until))
            .filter(mail_outbox::Column::Id.eq(row.id))
            .exec(db)
            .await?;
    }
    Ok(claimed)
}

/// How one claimed attempt ended.
pub enum Outcome<'a> {
    Sent {
        at: DateTime<Utc>,
    },
    /// Tried again at `retry`, or given up (`None`).
    Failed {
        error: &'a str,
        retry: Option<DateTime<Utc>>,
    },
}

/// Records the outcome of attempt number `attempt`, unless a newer attempt
/// has claimed the message since (its lease ran out): false then.
pub async fn record(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: i32,
    outcome: Outcome<'_>,
) -> Result<bool, StoreError> {
    let mut update = MailOutbox::update_many();
    match outcome {
        Outcome::Sent { at } => {
            // Sent: the text (links with tokens, client details) is not kept.
            update = update
                .col_expr(mail_outbox::Column::Status, Expr::value("sent"))
                .col_expr(mail_outbox::Column::SentAt, Expr::value(Some(at)))
                .col_expr(mail_outbox::Column::LastError, Expr::value(None::<String>))
                .col_expr(mail_outbox::Column::BodyText, Expr::value(""))
                .col_expr(
                    mail_outbox::Column::Attachment,
                    Expr::value(None::<Vec<u8>>),
                );
        }
        Outcome::Failed { error, retry } => {
            let error: String = error.chars().take(500).collect();
            update = update.col_expr(mail_outbox::Column::LastError, Expr::value(Some(error)));
            update = match retry {
                Some(at) => update.col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(at)),
                None => update.col_expr(mail_outbox::Column::Status, Expr::value("failed")),
            };
        }
    }
    let done = update
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(mail_outbox::Column::Attempts.eq(attempt))
        .filter(mail_outbox::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Every message, newest last (tests and the operator's view).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<OutboxMail>, StoreError> {
    Ok(MailOutbox::find()
        .order_by_asc(mail_outbox::Column::CreatedAt)
        .all(db)
        .await?)
}

/// A business's sealed mail that is no longer waiting to go (sent or
/// given up), to find what was sent to one client.
pub async fn sealed_done_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<OutboxMail>, StoreError> {
    Ok(MailOutbox::find()
        .filter(mail_outbox::Column::TenantId.eq(tenant))
        .filter(mail_outbox::Column::Sealed.eq(true))
        .filter(mail_outbox::Column::Status.ne("pending"))
        .all(db)
        .await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    MailOutbox::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The ids of a business's sealed mail (to its clients), to drop the
/// copies a mailer kept of them.
pub async fn sealed_ids_of(
    db: &impl ConnectionTrait,
    tenant: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(MailOutbox::find()
        .select_only()
        .column(mail_outbox::Column::Id)
        .filter(mail_outbox::Column::TenantId.eq(tenant))
        .filter(mail_outbox::Column::Sealed.eq(true))
        .into_tuple()
        .all(db)
        .await?)
}
