//! Bookings: availability, creation (by a client on the booking page or by
//! the business), the state machine, and a client's manage link.
//!
//! No two bookings that hold time ever overlap for one staff member: every
//! create, reschedule and approval checks its interval (with buffers)
//! inside a transaction that first locks the staff member's row, and on
//! PostgreSQL an exclusion constraint is the last line of defence.

mod availability;
mod by_client;
mod create;
mod messages;
mod status;

use crate::ConflictKind;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use termino_domain::schedule::{
    AnySlot, Busy, Closure, ServiceRules, SlotProblem, StaffCalendar, check_slot, fair_pick,
    slots_for_anyone,
};
use termino_notify::calendar::Method;
use termino_notify::texts::{self, BookingEvent};
use termino_store::repo::scheduling::{self as repo, BookingFilter, BookingRow, ServiceRow};
use termino_store::repo::tenants;
use termino_store::sealed::{self, SealedColumn};
use termino_store::{StoreError, TenantScope, Tx, commit};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::Principal;
use crate::catalog::StoredWeek;
use crate::changes::{ChangeActor, ChangeKind};
use crate::keys::Keyring;
use crate::notices::Notice;
use crate::secret::{new_token, token_hash};
use crate::{App, AppError, AppResult};

pub const MAX_RANGE_DAYS: i64 = 62;

pub use termino_domain::booking::{Actor, BookingStatus};

/// The client's details as given on the booking page.
#[derive(Debug, Clone, Default)]
pub struct ClientDetails {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    /// Ticked the business's marketing consent on the booking form.
    pub marketing_consent: bool,
    /// Ticked "remind me by text message" (SMS to the phone given).
    pub sms_consent: bool,
    /// The language the client reads (the booking page's); none: a new
    /// client gets the business's, a known one keeps theirs.
    pub language: Option<termino_domain::business::Language>,
}

#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub service_id: Uuid,
    /// `None`: anyone who performs the service.
    pub staff_id: Option<Uuid>,
    pub start: DateTime<Utc>,
    /// The zone the client chose; messages show times in it.
    pub client_zone: String,
    pub client: ClientDetails,
}

#[derive(Debug, Clone)]
pub struct Booking {
    pub id: Uuid,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub client_id: Uuid,
    pub status: BookingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub client_zone: String,
    pub notes: Option<String>,
    /// client, business, staff (a staff member's own log-in) or system.
    pub cancelled_by: Option<String>,
    /// When it was cancelled or declined (older cancellations: none).
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    /// The calendar SEQUENCE, raised by every change.
    pub sequence: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The client confirmed the visit from the manage link.
    pub confirmed_by_client_at: Option<DateTime<Utc>>,
}

/// A booking just made, with the client's manage token (shown once).
#[derive(Debug, Clone)]
pub struct CreatedBooking {
    pub booking: Booking,
    pub manage_token: String,
    /// True when this answer replays an earlier request's.
    pub replayed: bool,
}

/// Who sent a request with an `Idempotency-Key`. A stored answer is
/// replayed only to its own sender: never to another API key, person or
/// client of the business (a booking's answer carries its manage token).
#[derive(Debug, Clone, Copy)]
pub enum KeyOwner<'a> {
    /// A person's session or an API key of the business.
    Principal(&'a Principal),
    /// A public caller without credentials: the client's address is all
    /// that ties a retry to its sender. (A form token would tie it better,
    /// but the public REST API has none to require.)
    Address(Option<&'a str>),
    /// The booking page's own form: its token, signed by this server and
    /// new with every page, is the key and already its sender's alone.
    Form,
}

impl KeyOwner<'_> {
    /// The key as stored: a digest of sender and key (fixed length, and
    /// no address in the clear).
    fn scoped(&self, key: &str) -> String {
        let owner = match self {
            KeyOwner::Principal(p) => match &p.actor {
                crate::auth::Actor::User { user_id, .. } => format!("user:{user_id}"),
                crate::auth::Actor::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
                crate::auth::Actor::Operator { operator_id, .. } => {
                    format!("operator:{operator_id}")
                }
            },
            KeyOwner::Address(ip) => format!("address:{}", ip.unwrap_or("")),
            KeyOwner::Form => "form".into(),
        };
        let mut h = Sha256::new();
        for part in [owner.as_bytes(), key.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        hex::encode(h.finalize())
    }
}

/// A booking request's `Idempotency-Key`, its sender and its body.
#[derive(Debug, Clone, Copy)]
pub struct Idempotency<'a> {
    pub owner: KeyOwner<'a>,
    pub key: &'a str,
    pub body: &'a [u8],
}

/// Where a booking goes once every rule passed ([`App::place`]).
struct Placement {
    tenant: termino_store::repo::tenants::Tenant,
    service: ServiceRow,
    rules: ServiceRules,
    staff_id: Uuid,
    slot: termino_domain::schedule::Slot,
}

/// What a public page may show of a business.
#[derive(Debug, Clone)]
pub struct PublicBusiness {
    pub scope: TenantScope,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub language: String,
    pub cancellation_cutoff_hours: i32,
    pub booking_intro: String,
    pub privacy_notice_url: Option<String>,
    pub marketing_consent_text: Option<String>,
    /// False while the account is read-only (its plan ended, or it is
    /// being deleted) or the agreement is not accepted.
    pub accepts_bookings: bool,
    /// Online booking has not started yet (the business has not accepted
    /// the data-processing agreement).
    pub not_yet: bool,
}

fn slot_problem(p: SlotProblem) -> AppError {
    match p {
        SlotProblem::Taken => AppError::Conflict {
            kind: ConflictKind::SlotTaken,
            field: Some("start"),
            message: "this time has just been taken; please choose another".into(),
        },
        other => {
            let code = match other {
                SlotProblem::InPast => "in_past",
                SlotProblem::TooSoon => "too_soon",
                SlotProblem::TooFarAhead => "too_far_ahead",
                SlotProblem::OutsideWorkingHours => "outside_working_hours",
                SlotProblem::NotOnStepGrid => "not_on_step_grid",
                SlotProblem::Closed => "closed",
                SlotProblem::Taken => "taken",
            };
            AppError::invalid("start", code, other.to_string())
        }
    }
}

fn slot_taken() -> AppError {
    slot_problem(SlotProblem::Taken)
}

/// The exclusion constraint speaks when the application's own check was
/// somehow passed by.
fn store_to_conflict(e: StoreError) -> AppError {
    match e {
        StoreError::Exclusion(_) => slot_taken(),
        other => other.into(),
    }
}

pub fn rules_of(service: &ServiceRow) -> ServiceRules {
    ServiceRules {
        service_id: service.id,
        duration_min: service.duration_min.max(0) as u32,
        buffer_before_min: service.buffer_before_min.max(0) as u32,
        buffer_after_min: service.buffer_after_min.max(0) as u32,
        min_notice_min: service.min_notice_min.max(0) as u32,
        max_advance_days: service.max_advance_days.max(0) as u32,
        step_min: service.step_min.max(1) as u32,
        capacity: service.capacity.max(1) as u32,
    }
}

fn busy_of(row: &BookingRow) -> Busy {
    Busy {
        start: row.occupied_start,
        end: row.occupied_end,
        service_id: Some(row.service_id),
        slot_start: row.starts_at,
        seats: row.seats.max(1) as u32,
    }
}

pub fn parse_zone(field: &str, zone: &str) -> AppResult<Tz> {
    termino_domain::business::TimeZone::parse(zone)
        .map(|z| z.tz())
        .map_err(|p| AppError::invalid(field, p.code, p.message))
}

/// Local midnight of a date in a zone (the earlier one if ambiguous; the
/// first valid minute if midnight does not exist).
fn local_midnight(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut t = date.and_time(NaiveTime::MIN);
    for _ in 0..180 {
        if let Some(dt) = zone.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(1);
    }
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN))
}

impl App {
    /// A stored booking, its encrypted fields opened.
    async fn opened(&self, tenant: Uuid, row: &BookingRow) -> AppResult<Booking> {
        let keyring = self.keys().for_read(tenant, None, self.now()).await?;
        Ok(self.open_booking(&keyring, row))
    }

    pub(crate) fn open_booking(&self, keyring: &Keyring, row: &BookingRow) -> Booking {
        let open = |column: &SealedColumn, stored: &Option<Vec<u8>>| {
            stored
                .as_deref()
                .and_then(|s| keyring.open_text(column, row.id, s))
        };
        Booking {
            id: row.id,
            service_id: row.service_id,
            staff_id: row.staff_id,
            client_id: row.client_id,
            status: BookingStatus::parse(&row.status).unwrap_or(BookingStatus::Cancelled),
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            client_zone: row.client_zone.clone(),
            notes: open(&sealed::BOOKING_NOTES, &row.notes),
            cancelled_by: row.cancelled_by.clone(),
            cancelled_at: row.cancelled_at,
            cancel_reason: open(&sealed::BOOKING_CANCEL_REASON, &row.cancel_reason),
            sequence: row.sequence,
            created_at: row.created_at,
            updated_at: row.updated_at,
            confirmed_by_client_at: row.confirmed_by_client_at,
        }
    }

    pub async fn booking(&self, principal: &Principal, id: Uuid) -> AppResult<Booking> {
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = repo::get_booking(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "booking.read").on("booking", id),
        )
        .await?;
        commit(tx).await?;
        self.opened(scope.id(), &row).await
    }

    pub async fn bookings(
        &self,
        principal: &Principal,
        filter: BookingFilter,
    ) -> AppResult<Vec<Booking>> {
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let rows = repo::bookings(&tx, &scope, &filter).await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "bookings.listed")
                .detail(format!("{} shown", rows.len())),
        )
        .await?;
        commit(tx).await?;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        Ok(rows
            .iter()
            .map(|r| self.open_booking(&keyring, r))
            .collect())
    }
}

/// How a booking's status shows in a calendar.
pub(crate) fn calendar_status(status: BookingStatus) -> termino_notify::calendar::Status {
    use termino_notify::calendar::Status;
    match status {
        BookingStatus::Cancelled => Status::Cancelled,
        BookingStatus::Requested | BookingStatus::AwaitingPayment => Status::Tentative,
        _ => Status::Confirmed,
    }
}

/// What a webhook says of a booking: ids and times only.
fn booking_data(row: &BookingRow) -> serde_json::Value {
    serde_json::json!({
        "id": row.id,
        "status": row.status,
        "service_id": row.service_id,
        "staff_id": row.staff_id,
        "client_id": row.client_id,
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
    })
}

fn class_key(service: &ServiceRow, booking: Uuid, start: DateTime<Utc>) -> String {
    if service.capacity > 1 {
        format!("class:{}:{}", service.id, start.timestamp())
    } else {
        format!("booking:{booking}")
    }
}
