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
