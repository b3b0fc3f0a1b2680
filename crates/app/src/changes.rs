//! The panel's feed of recent changes to bookings (issue 22): a booking
//! made, moved, cancelled (and by whom), approved or declined, confirmed
//! by the client. Each change is recorded in the transaction that makes
//! it, as kinds and times only; names are the panel's to resolve.

use chrono::{DateTime, Duration, Utc};
use termino_domain::account::Role;
use termino_store::repo::booking_changes as repo;
use termino_store::repo::scheduling;
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::auth::{Actor, Principal};
use crate::bookings::Booking;
use crate::{App, AppResult};

/// How far back the feed reaches.
pub const FEED_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A new booking, confirmed or waiting for payment.
    Created,
    /// A new booking waiting for the business's approval.
    Requested,
    Rescheduled,
    Cancelled,
    /// A booking waiting for approval that the business refused.
    Declined,
    Approved,
    ConfirmedByClient,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Requested => "requested",
            ChangeKind::Rescheduled => "rescheduled",
            ChangeKind::Cancelled => "cancelled",
            ChangeKind::Declined => "declined",
            ChangeKind::Approved => "approved",
            ChangeKind::ConfirmedByClient => "confirmed_by_client",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => ChangeKind::Created,
            "requested" => ChangeKind::Requested,
            "rescheduled" => ChangeKind::Rescheduled,
            "cancelled" => ChangeKind::Cancelled,
            "declined" => ChangeKind::Declined,
            "approved" => ChangeKind::Approved,
            "confirmed_by_client" => ChangeKind::ConfirmedByClient,
            _ => return None,
        })
    }
}

/// Who made a change (also what `cancelled_by` says of a booking): the
/// booking state machine's actor.
pub use termino_domain::booking::Actor as ChangeActor;

/// The business's side of a change made by `principal`.
pub fn actor_of(principal: &Principal) -> ChangeActor {
    match &principal.actor {
        Actor::User {
            role: Role::Staff, ..
        } => ChangeActor::Staff,
        _ => ChangeActor::Business,
    }
}

/// One change of the feed, with the booking as it is now.
#[derive(Debug, Clone)]
pub struct BookingChange {
    pub kind: ChangeKind,
    pub actor: ChangeActor,
    pub at: DateTime<Utc>,
    pub booking: Booking,
}

impl App {
    /// Records a change of a booking in the change's transaction.
    pub(crate) async fn record_change(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        booking: Uuid,
        kind: ChangeKind,
        actor: ChangeActor,
    ) -> AppResult<()> {
        repo::insert(
            tx,
            scope,
            booking,
            kind.as_str(),
            actor.as_str(),
            self.now(),
        )
        .await?;
        Ok(())
    }

    /// The staff members whose bookings a person sees when the view is
    /// their own: a staff member's log-in, their own staff entries
    /// (`None`: everyone's — owners, admins, keys, support).
    pub(crate) async fn own_staff(
        &self,
        tx: &Tx,
        principal: &Principal,
    ) -> AppResult<Option<Vec<Uuid>>> {
        let Actor::User {
            role: Role::Staff,
            user_id,
            ..
        } = &principal.actor
        else {
            return Ok(None);
        };
        Ok(Some(
            scheduling::staff(tx, &principal.tenant, false)
                .await?
                .into_iter()
                .filter(|s| s.user_id == Some(*user_id))
                .map(|s| s.id)
                .collect(),
        ))
    }

    /// The changes of the last [`FEED_DAYS`] days, newest first, at most
    /// `limit`; a staff member's log-in sees only their own bookings'.
    pub async fn recent_changes(
        &self,
        principal: &Principal,
        limit: u64,
    ) -> AppResult<Vec<BookingChange>> {
        let scope = principal.tenant;
        let since = self.now() - Duration::days(FEED_DAYS);
        let tx = self.db().begin_tenant(&scope).await?;
        let own = self.own_staff(&tx, principal).await?;
        let rows = repo::recent(&tx, &scope, since, own.as_deref(), limit).await?;
        commit(tx).await?;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        Ok(rows
            .into_iter()
            .filter_map(|(c, b)| {
                Some(BookingChange {
                    kind: ChangeKind::parse(&c.kind)?,
                    actor: ChangeActor::parse(&c.actor).unwrap_or(ChangeActor::Business),
                    at: c.at,
                    booking: self.open_booking(&keyring, &b),
                })
            })
            .collect())
    }
}
