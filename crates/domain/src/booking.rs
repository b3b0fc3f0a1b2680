//! A booking's life: its statuses, who may move it from what to what, and
//! until when a client may change it themselves. `app` asks these rules for
//! every entry point (REST, GraphQL, panel, manage link, payments, jobs).

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingStatus {
    /// Waiting for the business's approval.
    Requested,
    /// Waiting for the client's deposit; the time is held meanwhile.
    AwaitingPayment,
    Confirmed,
    Completed,
    NoShow,
    Cancelled,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 6] = [
        BookingStatus::Requested,
        BookingStatus::AwaitingPayment,
        BookingStatus::Confirmed,
        BookingStatus::Completed,
        BookingStatus::NoShow,
        BookingStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Requested => "requested",
            BookingStatus::AwaitingPayment => "awaiting_payment",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Completed => "completed",
            BookingStatus::NoShow => "no_show",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the booking holds its time (what collides).
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            BookingStatus::Confirmed
                | BookingStatus::AwaitingPayment
                | BookingStatus::Completed
                | BookingStatus::NoShow
        )
    }

    /// Whether the booking may still be moved to another time (by anyone
    /// allowed to move it).
    pub fn movable(self) -> bool {
        matches!(self, BookingStatus::Requested | BookingStatus::Confirmed)
    }
}

/// Who asks for a change. Stored as the booking's `cancelled_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The business: its owner, an admin or an API key.
    Business,
    /// A staff member with their own log-in (may what the business may).
    Staff,
    /// The client, through the manage link.
    Client,
    /// A payment notification (deposit paid).
    Payment,
    /// Termino itself (a deposit hold that ran out).
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Business => "business",
            Actor::Staff => "staff",
            Actor::Client => "client",
            Actor::Payment => "payment",
            Actor::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Actor::Business,
            Actor::Client,
            Actor::Payment,
            Actor::System,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No one may make this move (e.g. a cancelled booking cannot be confirmed).
    Invalid,
    /// The move exists but not for this actor (a client cannot approve).
    NotForActor,
    /// Attended or no-show can only be recorded once the visit has started.
    NotStarted,
}

/// The state machine: may `actor` move a booking that starts at `starts_at`
/// from `from` to `to` at `now`?
///
/// | from | to | who |
/// |---|---|---|
/// | requested | confirmed (approve) | business |
/// | awaiting payment | confirmed | payment, business (paid at the desk) |
/// | requested, confirmed, awaiting payment | cancelled | business, client |
/// | awaiting payment | cancelled (hold ran out) | system |
/// | confirmed | completed, no-show (after the start) | business |
pub fn may_transition(
    from: BookingStatus,
    to: BookingStatus,
    actor: Actor,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    use Actor::*;
    use BookingStatus::*;
    // A staff member acts for the business.
    let actor = if actor == Staff { Business } else { actor };
    let allowed: &[Actor] = match (from, to) {
        (Requested, Confirmed) => &[Business],
        (AwaitingPayment, Confirmed) => &[Payment, Business],
        (Requested | Confirmed, Cancelled) => &[Business, Client],
        (AwaitingPayment, Cancelled) => &[Business, Client, System],
        (Confirmed, Completed | NoShow) => &[Business],
        _ => return Err(Refusal::Invalid),
    };
    if !allowed.contains(&actor) {
        return Err(Refusal::NotForActor);
    }
    if matches!(to, Completed | NoShow) && starts_at > now {
        return Err(Refusal::NotStarted);
    }
    Ok(())
}

/// A client may move or cancel a booking themselves until `cutoff_hours`
/// before it starts; after that they contact the business.
pub fn client_may_change(starts_at: DateTime<Utc>, cutoff_hours: i32, now: DateTime<Utc>) -> bool {
    now <= starts_at - Duration::hours(i64::from(cutoff_hours))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn status_names_round_trip() {
        for s in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(BookingStatus::parse("deleted"), None);
        for a in [
            Actor::Business,
            Actor::Client,
            Actor::Payment,
            Actor::System,
        ] {
            assert_eq!(Actor::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn only_the_business_approves_and_only_a_payment_or_the_business_confirms_a_hold() {
        use BookingStatus::*;
        let (start, now) = (at(12), at(9));
        assert_eq!(
            may_transition(Requested, Confirmed, Actor::Business, start, now),
            Ok(())
        );
        assert_eq!(
            may_transition(Requested, Confirmed, Actor::Staff, start, now),
            Ok(())
        );
        assert_eq!(
            may_transition(Requested, Confirmed, Actor::Client, start, now),
            Err(Refusal::NotForActor)
        );
        assert_eq!(
            may_transition(Requested, Confirmed, Actor::Payment, start, now),
            Err(Refusal::NotForActor)
        );
        assert_eq!(
            may_transition(AwaitingPayment, Confirmed, Actor::Payment, start, now),
            Ok(())
        );
        assert_eq!(
            may_transition(Cancelled, Confirmed, Actor::Business, start, now),
            Err(Refusal::Invalid)
        );
    }

    #[test]
    fn the_system_only_releases_a_hold() {
        use BookingStatus::*;
        let (start, now) = (at(12), at(9));
        assert_eq!(
            may_transition(AwaitingPayment, Cancelled, Actor::System, start, now),
            Ok(())
        );
        assert_eq!(
            may_transition(Confirmed, Cancelled, Actor::System, start, now),
            Err(Refusal::NotForActor)
        );
    }

    #[test]
    fn attendance_is_recorded_only_after_the_start_and_only_once() {
        use BookingStatus::*;
        let start = at(12);
        assert_eq!(
            may_transition(Confirmed, NoShow, Actor::Business, start, at(11)),
            Err(Refusal::NotStarted)
        );
        assert_eq!(
            may_transition(Confirmed, Completed, Actor::Business, start, at(12)),
            Ok(())
        );
        assert_eq!(
            may_transition(Completed, NoShow, Actor::Business, start, at(13)),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            may_transition(Confirmed, Completed, Actor::Client, start, at(13)),
            Err(Refusal::NotForActor)
        );
    }

    #[test]
    fn a_cancelled_or_finished_booking_is_never_movable() {
        use BookingStatus::*;
        assert!(Requested.movable() && Confirmed.movable());
        assert!(!Cancelled.movable() && !Completed.movable() && !NoShow.movable());
        assert!(!AwaitingPayment.movable());
    }

    #[test]
    fn the_client_may_change_until_the_cutoff() {
        let start = at(12);
        assert!(client_may_change(start, 24, at(12) - Duration::hours(24)));
        assert!(!client_may_change(
            start,
            24,
            at(12) - Duration::hours(24) + Duration::seconds(1)
        ));
        assert!(client_may_change(start, 0, at(12)));
    }
}
