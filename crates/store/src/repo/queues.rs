//! How much background work waits, for `/metrics`: per queue, the number
//! of pending items and when the oldest of them was queued.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::StoreError;
use crate::entities::{job, mail_outbox, webhook_delivery};

/// One queue's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub queue: &'static str,
    pub pending: u64,
    pub oldest: Option<DateTime<Utc>>,
}

/// The backlog of the jobs, mail and webhook queues.
pub async fn backlogs(db: &impl ConnectionTrait) -> Result<Vec<Backlog>, StoreError> {
    let jobs = job::Entity::find().filter(job::Column::Status.eq("pending"));
    let mail = mail_outbox::Entity::find().filter(mail_outbox::Column::Status.eq("pending"));
    let hooks =
        webhook_delivery::Entity::find().filter(webhook_delivery::Column::Status.eq("pending"));
    Ok(vec![
        Backlog {
            queue: "jobs",
            pending: jobs.clone().count(db).await?,
            oldest: jobs
                .order_by_asc(job::Column::CreatedAt)
                .one(db)
                .await?
                .map(|j| j.created_at),
        },
        Backlog {
            queue: "mail",
            pending: mail.clone().count(db).await?,
            oldest: mail
                .order_by_asc(mail_outbox::Column::CreatedAt)
                .one(db)
                .await?
                .map(|m| m.created_at),
        },
        Backlog {
            queue: "webhooks",
            pending: hooks.clone().count(db).await?,
            oldest: hooks
                .order_by_asc(webhook_delivery::Column::CreatedAt)
                .one(db)
                .await?
                .map(|d| d.created_at),
        },
    ])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::repo::{jobs, mail_outbox, webhooks};
    use crate::testing::{TestDb, at, both_backends};
    use uuid::Uuid;

    fn by_queue(all: &[Backlog], queue: &str) -> (u64, Option<DateTime<Utc>>) {
        let b = all.iter().find(|b| b.queue == queue).unwrap();
        (b.pending, b.oldest)
    }

    async fn backlogs_count_pending_work_and_the_oldest(t: &TestDb) {
        let db = t.db.connection();
        let empty = backlogs(db).await.unwrap();
        assert_eq!(empty.len(), 3);
        for queue in ["jobs", "mail", "webhooks"] {
            assert_eq!(by_queue(&empty, queue), (0, None));
        }

        for (key, queued) in [("a", at(5)), ("b", at(3)), ("c", at(8))] {
            let job = jobs::NewJob {
                tenant_id: None,
                kind: "k".into(),
                dedupe_key: key.into(),
                payload: "{}".into(),
                // Queued for later still counts as waiting work.
                run_at: at(1000),
            };
            jobs::enqueue(db, job, queued).await.unwrap();
        }
        let mail = mail_outbox::NewMail {
            id: Uuid::now_v7(),
            tenant_id: None,
            recipient: "a@example.com".into(),
            subject: "s".into(),
            body_text: "b".into(),
            sealed: false,
            attachment_name: None,
            attachment: None,
        };
        mail_outbox::enqueue(db, mail, at(7)).await.unwrap();

        let scope = t.tenant("anna").await;
        let tx = t.db.begin_tenant(&scope).await.unwrap();
        let endpoint = crate::testing::endpoint_row(&scope);
        webhooks::insert_endpoint(&tx, &scope, endpoint.clone())
            .await
            .unwrap();
        for created in [at(9), at(4)] {
            let delivery = crate::testing::delivery_row(&endpoint, created);
            webhooks::insert_delivery(&tx, &scope, delivery)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        let full = backlogs(db).await.unwrap();
        assert_eq!(by_queue(&full, "jobs"), (3, Some(at(3))));
        assert_eq!(by_queue(&full, "mail"), (1, Some(at(7))));
        assert_eq!(by_queue(&full, "webhooks"), (2, Some(at(4))));

        // Finished work leaves the backlog.
        let tx = t.db.begin().await.unwrap();
        let claimed = jobs::claim_due(&tx, at(1000), at(1060), 1).await.unwrap();
        jobs::record(&tx, claimed[0].id, 1, jobs::Outcome::Done, at(1001))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let after = backlogs(db).await.unwrap();
        assert_eq!(by_queue(&after, "jobs").0, 2);
    }

    both_backends!(backlogs_count_pending_work_and_the_oldest);
}
