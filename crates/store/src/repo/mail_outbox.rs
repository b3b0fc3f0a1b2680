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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::testing::{Backend, TestDb, at, both_backends};

    fn mail(tenant: Option<Uuid>, to: &str, sealed: bool) -> NewMail {
        NewMail {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            recipient: to.into(),
            subject: "Przypomnienie o wizycie".into(),
            body_text: "Jutro o 10:00".into(),
            sealed,
            attachment_name: Some("wizyta.ics".into()),
            attachment: Some(b"BEGIN:VCALENDAR".to_vec()),
        }
    }

    async fn stored(db: &impl ConnectionTrait, id: Uuid) -> OutboxMail {
        MailOutbox::find_by_id(id).one(db).await.unwrap().unwrap()
    }

    async fn claim_takes_due_mail_oldest_first_with_a_lease(t: &TestDb) {
        let db = t.db.connection();
        let older = enqueue(db, mail(None, "a@example.com", false), at(0))
            .await
            .unwrap();
        let newer = enqueue(db, mail(None, "b@example.com", false), at(5))
            .await
            .unwrap();
        // Not due before it was queued.
        assert!(claim_due(db, at(-1), at(59), 10).await.unwrap().is_empty());

        let first = claim_due(db, at(10), at(70), 1).await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].id, older);
        assert_eq!(first[0].attempts, 1);
        let row = stored(db, older).await;
        assert_eq!((row.attempts, row.next_attempt_at), (1, at(70)));

        // The leased message is not claimed again while the lease holds.
        let next = claim_due(db, at(20), at(80), 10).await.unwrap();
        assert_eq!(next.iter().map(|m| m.id).collect::<Vec<_>>(), vec![newer]);
        assert!(claim_due(db, at(69), at(129), 10).await.unwrap().is_empty());
        let retaken = claim_due(db, at(70), at(130), 10).await.unwrap();
        assert_eq!(retaken.len(), 1);
        assert_eq!((retaken[0].id, retaken[0].attempts), (older, 2));
    }

    async fn record_refuses_a_stale_attempt_and_drops_the_text_when_sent(t: &TestDb) {
        let db = t.db.connection();
        let id = enqueue(db, mail(None, "a@example.com", false), at(0))
            .await
            .unwrap();
        claim_due(db, at(1), at(61), 10).await.unwrap();
        claim_due(db, at(61), at(121), 10).await.unwrap();

        // Attempt 1's lease ran out and attempt 2 took over: 1 is refused.
        assert!(
            !record(db, id, 1, Outcome::Sent { at: at(62) })
                .await
                .unwrap()
        );
        assert_eq!(stored(db, id).await.status, "pending");

        let failed = Outcome::Failed {
            error: "421 try later",
            retry: Some(at(300)),
        };
        assert!(record(db, id, 2, failed).await.unwrap());
        let row = stored(db, id).await;
        assert_eq!(row.status, "pending");
        assert_eq!(row.next_attempt_at, at(300));
        assert_eq!(row.last_error.as_deref(), Some("421 try later"));

        let third = claim_due(db, at(300), at(360), 10).await.unwrap();
        assert_eq!(third[0].attempts, 3);
        assert!(
            record(db, id, 3, Outcome::Sent { at: at(301) })
                .await
                .unwrap()
        );
        let row = stored(db, id).await;
        assert_eq!(row.status, "sent");
        assert_eq!(row.sent_at, Some(at(301)));
        assert_eq!(row.last_error, None);
        assert_eq!(row.body_text, "", "the text of sent mail is not kept");
        assert_eq!(row.attachment, None);
        // Sent mail is never claimed or recorded again.
        assert!(
            !record(db, id, 3, Outcome::Sent { at: at(302) })
                .await
                .unwrap()
        );
        assert!(
            claim_due(db, at(9999), at(10059), 10)
                .await
                .unwrap()
                .is_empty()
        );

        let give_up = enqueue(db, mail(None, "c@example.com", false), at(0))
            .await
            .unwrap();
        let claimed = claim_due(db, at(400), at(460), 10).await.unwrap();
        assert_eq!(claimed[0].id, give_up);
        let failed = Outcome::Failed {
            error: "550 no such user",
            retry: None,
        };
        assert!(record(db, give_up, 1, failed).await.unwrap());
        assert_eq!(stored(db, give_up).await.status, "failed");
    }

    async fn sealed_mail_of_a_business_is_found_and_deleted(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        let sealed = enqueue(&tx, mail(Some(anna.id()), "x", true), at(0))
            .await
            .unwrap();
        let plain = enqueue(&tx, mail(Some(anna.id()), "o@example.com", false), at(0))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tx = t.db.begin_tenant(&bob).await.unwrap();
        enqueue(&tx, mail(Some(bob.id()), "y", true), at(0))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let db = t.db.connection();
        assert_eq!(sealed_ids_of(db, anna.id()).await.unwrap(), vec![sealed]);
        // Only mail no longer waiting counts as done.
        assert!(sealed_done_of(db, anna.id()).await.unwrap().is_empty());
        for m in claim_due(db, at(1), at(61), 10).await.unwrap() {
            record(db, m.id, 1, Outcome::Sent { at: at(2) })
                .await
                .unwrap();
        }
        let done = sealed_done_of(db, anna.id()).await.unwrap();
        assert_eq!(done.iter().map(|m| m.id).collect::<Vec<_>>(), vec![sealed]);

        delete(db, sealed).await.unwrap();
        assert!(sealed_ids_of(db, anna.id()).await.unwrap().is_empty());
        let left: Vec<Uuid> = all(db).await.unwrap().iter().map(|m| m.id).collect();
        assert_eq!(left.len(), 2);
        assert!(left.contains(&plain));
    }

    /// On PostgreSQL a tenant transaction sees only its business's mail.
    async fn another_business_mail_is_hidden_by_row_level_security(t: &TestDb) {
        let anna = t.tenant("anna").await;
        let bob = t.tenant("bob").await;
        let tx = t.db.begin_tenant(&anna).await.unwrap();
        enqueue(&tx, mail(Some(anna.id()), "o@example.com", false), at(0))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let tx = t.db.begin_tenant(&bob).await.unwrap();
        let seen = all(&tx).await.unwrap().len();
        tx.commit().await.unwrap();
        assert_eq!(seen, if t.backend == Backend::Postgres { 0 } else { 1 });
        assert_eq!(all(t.db.connection()).await.unwrap().len(), 1);
    }

    both_backends!(
        claim_takes_due_mail_oldest_first_with_a_lease,
        record_refuses_a_stale_attempt_and_drops_the_text_when_sent,
        sealed_mail_of_a_business_is_found_and_deleted,
        another_business_mail_is_hidden_by_row_level_security,
    );
}
