//! The mail outbox: messages are written in the same transaction as the
//! change that causes them, and a worker delivers them, so a failed send
//! loses nothing.

use chrono::{DateTime, Utc};
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

/// Due messages, oldest first. On PostgreSQL the rows are locked with
/// SKIP LOCKED so several nodes can deliver without sending twice.
pub async fn claim_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
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
    Ok(query.all(db).await?)
}

pub async fn mark_sent(
    db: &impl ConnectionTrait,
    row: OutboxMail,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let attempts = row.attempts + 1;
    let mut active: mail_outbox::ActiveModel = row.into();
    active.status = Set("sent".into());
    active.attempts = Set(attempts);
    active.sent_at = Set(Some(now));
    active.last_error = Set(None);
    // Sent: the text (links with tokens, client details) is not kept.
    active.body_text = Set(String::new());
    active.attachment = Set(None);
    active.update(db).await?;
    Ok(())
}

pub async fn mark_failed(
    db: &impl ConnectionTrait,
    row: OutboxMail,
    error: &str,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let attempts = row.attempts + 1;
    let mut active: mail_outbox::ActiveModel = row.into();
    active.attempts = Set(attempts);
    active.last_error = Set(Some(error.chars().take(500).collect()));
    match next_attempt_at {
        Some(at) => active.next_attempt_at = Set(at),
        None => active.status = Set("failed".into()),
    }
    active.update(db).await?;
    Ok(())
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
