//! Verified provider notifications that do not match what Termino sold —
//! from a business's own connected account, for a checkout or subscription
//! Termino never made, at another price, amount or currency — are refused:
//! acknowledged (a retry would not change them), applied to nothing, logged
//! as the structured event `payment_event_refused` and kept in
//! `refused_payment_events`, with ids and a reason only.

use termino_payments::Provider;
use termino_store::commit;
use termino_store::repo::billing::{self as repo, RefusedEventRow};
use uuid::Uuid;

use super::Applied;
use crate::{App, AppResult};

/// Why a notification was refused (stored as its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A plan event from a connected account, not Termino's own.
    ConnectedAccount,
    /// A Checkout Session Termino did not create.
    UnknownSession,
    /// A subscription no Termino checkout completed with.
    UnknownSubscription,
    /// A tpay plan transaction Termino did not create.
    UnknownPayment,
    /// Completed before, for another subscription.
    AlreadyCompleted,
    /// The object names another business than the checkout was for.
    OtherBusiness,
    Currency,
    /// Not Pro's price a seat, for the interval and seats sold.
    Price,
    /// The amount does not come to the price (less a recorded discount).
    Amount,
    /// Less paid than every seat's price for the period.
    Underpaid,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::ConnectedAccount => "connected_account",
            Self::UnknownSession => "unknown_session",
            Self::UnknownSubscription => "unknown_subscription",
            Self::UnknownPayment => "unknown_payment",
            Self::AlreadyCompleted => "already_completed",
            Self::OtherBusiness => "other_business",
            Self::Currency => "currency",
            Self::Price => "price",
            Self::Amount => "amount",
            Self::Underpaid => "underpaid",
        }
    }
}

/// The notification being refused.
pub(crate) struct Refused<'a> {
    pub provider: Provider,
    pub event_id: &'a str,
    pub kind: &'a str,
    /// The connected account it came from, if any.
    pub account: Option<&'a str>,
    /// The business it named or was matched to.
    pub tenant: Option<Uuid>,
}

impl App {
    /// Logs and keeps `event` as refused for `reason`; nothing else moves.
    pub(crate) async fn refuse(&self, event: Refused<'_>, reason: Refusal) -> AppResult<Applied> {
        tracing::warn!(
            event = "payment_event_refused",
            provider = event.provider.as_str(),
            event_id = event.event_id,
            kind = event.kind,
            reason = reason.code(),
            tenant = ?event.tenant,
            connected_account = event.account.is_some(),
            "a payment notification did not match what Termino sold; refused"
        );
        let tx = self.db().begin().await?;
        repo::record_refusal(
            &tx,
            RefusedEventRow {
                provider: event.provider.as_str().into(),
                event_id: event.event_id.to_string(),
                kind: event.kind.to_string(),
                reason: reason.code().to_string(),
                account: event.account.map(str::to_string),
                tenant_id: event.tenant,
                received_at: self.now(),
            },
        )
        .await?;
        commit(tx).await?;
        Ok(Applied::Refused)
    }

    /// The latest refused notifications, newest first (for operators).
    pub async fn refused_payment_events(&self, limit: u64) -> AppResult<Vec<RefusedEventRow>> {
        Ok(repo::refused_events(self.db().connection(), limit).await?)
    }
}
