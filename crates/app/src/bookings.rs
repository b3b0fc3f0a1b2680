//! Bookings: availability, creation (by a client on the booking page or by
//! the business), the state machine, and a client's manage link.
//!
//! No two bookings that hold time ever overlap for one staff member: every
//! create, reschedule and approval checks its interval (with buffers)
//! inside a transaction that first locks the staff member's row, and on
//! PostgreSQL an exclusion constraint is the last line of defence.

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
    /// A business's public face, by the slug of its booking page.
    pub async fn public_business(&self, slug: &str) -> AppResult<PublicBusiness> {
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let current = self.current_dpa().await?;
        let dpa_missing =
            crate::dpa::dpa_state(&tenant, &current, self.now()) == crate::dpa::DpaState::Required;
        let accepts_bookings =
            crate::dpa::check_standing(&tenant, self.now()).is_ok() && !dpa_missing;
        Ok(PublicBusiness {
            accepts_bookings,
            not_yet: dpa_missing,
            scope: TenantScope::authenticated(tenant.id),
            slug: tenant.slug,
            name: tenant.name,
            time_zone: tenant.time_zone,
            language: tenant.language,
            cancellation_cutoff_hours: tenant.cancellation_cutoff_hours,
            booking_intro: tenant.booking_intro,
            privacy_notice_url: tenant.privacy_notice_url,
            marketing_consent_text: tenant.marketing_consent_text,
        })
    }

    /// Closed time of the business between two instants: its closures and,
    /// if it opted in, Polish public holidays (whole days in its zone).
    async fn closed_time(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> AppResult<Vec<Closure>> {
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let zone: Tz = tenant
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Warsaw);
        let mut days: Vec<(NaiveDate, NaiveDate)> = repo::closures(tx, scope)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.starts_on.parse().ok()?, c.ends_on.parse().ok()?)))
            .collect();
        if tenant.polish_holidays {
            let first = from.with_timezone(&zone).date_naive();
            let last = to.with_timezone(&zone).date_naive();
            for year in chrono::Datelike::year(&first)..=chrono::Datelike::year(&last) {
                for (day, _) in termino_domain::holidays::polish_public_holidays(year) {
                    days.push((day, day));
                }
            }
        }
        Ok(days
            .into_iter()
            .map(|(a, b)| Closure {
                start: local_midnight(a, zone),
                end: local_midnight(b + Duration::days(1), zone),
            })
            .filter(|c| c.end > from && c.start < to)
            .collect())
    }

    /// Calendars of the given staff members for [from, to), read in `tx`.
    async fn calendars(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        staff_ids: &[Uuid],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        except_booking: Option<Uuid>,
    ) -> AppResult<Vec<StaffCalendar>> {
        // A day either side covers any zone's local dates and long buffers.
        let (wide_from, wide_to) = (from - Duration::days(2), to + Duration::days(2));
        let busy = repo::busy(tx, scope, staff_ids, wide_from, wide_to).await?;
        // Staff members' own calendars block like bookings (of no service).
        let elsewhere =
            termino_store::repo::external_calendars::busy(tx, scope, staff_ids, wide_from, wide_to)
                .await?;
        let overrides = repo::overrides(
            tx,
            scope,
            staff_ids,
            &wide_from.date_naive().to_string(),
            &wide_to.date_naive().to_string(),
        )
        .await?;
        let everyone = repo::staff(tx, scope, false).await?;
        let mut calendars = Vec::new();
        for staff in everyone.into_iter().filter(|s| staff_ids.contains(&s.id)) {
            let week: StoredWeek = serde_json::from_str(&staff.weekly_hours).unwrap_or_default();
            calendars.push(StaffCalendar {
                staff_id: staff.id,
                zone: staff.time_zone.parse().unwrap_or(chrono_tz::Europe::Warsaw),
                weekly: week.to_weekly(),
                overrides: overrides
                    .iter()
                    .filter(|o| o.staff_id == staff.id)
                    .filter_map(|o| {
                        let minutes: Vec<(u16, u16)> = serde_json::from_str(&o.intervals).ok()?;
                        Some(termino_domain::schedule::DayOverride {
                            date: o.day.parse().ok()?,
                            intervals: minutes
                                .into_iter()
                                .filter_map(|(s, e)| {
                                    termino_domain::schedule::LocalInterval::new(s, e).ok()
                                })
                                .collect(),
                        })
                    })
                    .collect(),
                busy: busy
                    .iter()
                    .filter(|b| b.staff_id == staff.id && Some(b.id) != except_booking)
                    .map(busy_of)
                    .chain(
                        elsewhere
                            .iter()
                            .filter(|b| b.staff_id == staff.id)
                            .map(|b| Busy {
                                start: b.starts_at,
                                end: b.ends_at,
                                service_id: None,
                                slot_start: b.starts_at,
                                seats: 1,
                            }),
                    )
                    .collect(),
            });
        }
        Ok(calendars)
    }

    /// Who may perform a service: its active staff, or the one asked for.
    async fn performers(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        service: &ServiceRow,
        staff_id: Option<Uuid>,
    ) -> AppResult<Vec<Uuid>> {
        let pairs = repo::service_staff(tx, scope).await?;
        let active = repo::staff(tx, scope, true).await?;
        let mut ids: Vec<Uuid> = pairs
            .iter()
            .filter(|(s, staff)| *s == service.id && active.iter().any(|a| a.id == *staff))
            .map(|(_, staff)| *staff)
            .collect();
        ids.sort();
        match staff_id {
            Some(wanted) if ids.contains(&wanted) => Ok(vec![wanted]),
            Some(_) => Err(AppError::invalid(
                "staff_id",
                "does_not_perform",
                "this staff member does not perform this service",
            )),
            None => Ok(ids),
        }
    }

    async fn active_service(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        id: Uuid,
    ) -> AppResult<ServiceRow> {
        match repo::get_service(tx, scope, id).await? {
            Some(s) if s.active => Ok(s),
            _ => Err(AppError::invalid(
                "service_id",
                "unknown_service",
                "no such service",
            )),
        }
    }

    /// Free slots for a service from `from` to `to` (dates in `zone`,
    /// inclusive), with one staff member or anyone.
    pub async fn availability(
        &self,
        scope: &TenantScope,
        service_id: Uuid,
        staff_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
    ) -> AppResult<Vec<AnySlot>> {
        self.free_slots(scope, service_id, staff_id, from, to, zone, None)
            .await
    }

    /// Free slots to move a client's booking to: with the same staff
    /// member, its own current time counted as free.
    pub async fn reschedule_slots(
        &self,
        slug: &str,
        token: &str,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
    ) -> AppResult<Vec<AnySlot>> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.free_slots(
            &business.scope,
            booking.service_id,
            Some(booking.staff_id),
            from,
            to,
            zone,
            Some(booking.id),
        )
        .await
    }

    /// The booking as an `.ics` event for the client's calendar.
    pub async fn managed_booking_ics(&self, slug: &str, token: &str) -> AppResult<String> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        let service = self.service(&business.scope, booking.service_id).await?;
        let link = format!(
            "{}/b/{}/manage/{token}",
            self.config().public_url,
            business.slug
        );
        Ok(termino_notify::calendar::booking_ics(
            &termino_notify::calendar::CalendarEvent {
                uid: &crate::calendar::booking_uid(booking.id),
                summary: &format!("{} — {}", service.name, business.name),
                description: &link,
                location: &business.name,
                start: booking.starts_at,
                end: booking.ends_at,
                sequence: booking.sequence.max(0) as u32,
                status: calendar_status(booking.status),
                organizer: None,
                attendee: None,
                alarm_before: Some(crate::calendar::ALARM_BEFORE),
            },
            Method::Publish,
            self.now(),
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn free_slots(
        &self,
        scope: &TenantScope,
        service_id: Uuid,
        staff_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
        except_booking: Option<Uuid>,
    ) -> AppResult<Vec<AnySlot>> {
        if to < from {
            return Err(AppError::invalid(
                "to",
                "end_before_start",
                "must not be before from",
            ));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::invalid(
                "to",
                "range_too_long",
                format!("at most {MAX_RANGE_DAYS} days at once"),
            ));
        }
        let start = local_midnight(from, zone);
        let end = local_midnight(to + Duration::days(1), zone);
        let tx = self.db().begin_tenant(scope).await?;
        let service = self.active_service(&tx, scope, service_id).await?;
        let staff = self.performers(&tx, scope, &service, staff_id).await?;
        let calendars = self
            .calendars(&tx, scope, &staff, start, end, except_booking)
            .await?;
        let closures = self.closed_time(&tx, scope, start, end).await?;
        commit(tx).await?;
        Ok(slots_for_anyone(
            &calendars,
            &rules_of(&service),
            &closures,
            start,
            end,
            self.now(),
        ))
    }

    /// Books a slot. The client is found or created through the encrypted
    /// client records. With an idempotency key, a retry of the same request
    /// by the same sender answers the first result; the same key with
    /// another request is 422.
    pub async fn book(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
    ) -> AppResult<CreatedBooking> {
        self.book_by(scope, request, idempotency, ChangeActor::Client)
            .await
    }

    /// [`App::book`], made by `by` (the business books for a client in
    /// the panel or through the API).
    pub async fn book_by(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
        by: ChangeActor,
    ) -> AppResult<CreatedBooking> {
        let result = self.book_once(scope, request, idempotency, by).await;
        self.metrics().booking(&result);
        result
    }

    async fn book_once(
        &self,
        scope: &TenantScope,
        request: BookingRequest,
        idempotency: Option<Idempotency<'_>>,
        by: ChangeActor,
    ) -> AppResult<CreatedBooking> {
        let _ = parse_zone("client_zone", &request.client_zone)?;
        let remembered_as = idempotency
            .as_ref()
            .map(|i| (i.owner.scoped(i.key), hex::encode(Sha256::digest(i.body))));
        if let Some((key, hash)) = &remembered_as
            && let Some(replay) = self.replay(scope, key, hash).await?
        {
            return Ok(replay);
        }
        let now = self.now();
        let tx = self.db().begin_tenant(scope).await?;
        let Placement {
            tenant,
            service,
            rules,
            staff_id,
            slot,
        } = self
            .place(
                &tx,
                scope,
                request.service_id,
                request.staff_id,
                request.start,
                None,
            )
            .await?;

        // The free plan's cap counts new bookings (a move is not one).
        crate::billing::check_booking_cap(&tx, scope, &tenant, now).await?;
        let (client_id, _, counted) = self
            .find_or_create_client_in(
                &tx,
                scope,
                &request.client.name,
                request.client.email.as_deref(),
                request.client.phone.as_deref(),
                crate::clients::Consents {
                    marketing: request.client.marketing_consent,
                    sms: request.client.sms_consent,
                },
                request.client.language,
            )
            .await?;
        let keyring = self.sealing_keys(&tx, scope).await?;
        let id = Uuid::now_v7();
        let token = new_token();
        // A service that takes payment (and a business that can receive
        // it) holds the time until paid; approval comes first when asked.
        let terms = if service.requires_approval {
            None
        } else {
            crate::deposits::terms(self, &tenant, &service)
        };
        let status = if service.requires_approval {
            BookingStatus::Requested
        } else if terms.is_some() {
            BookingStatus::AwaitingPayment
        } else {
            BookingStatus::Confirmed
        };
        let notes = request
            .client
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        if notes.is_some_and(|n| n.chars().count() > 2000) {
            return Err(AppError::invalid(
                "notes",
                "too_long",
                "at most 2,000 characters",
            ));
        }
        let row = BookingRow {
            tenant_id: scope.id(),
            id,
            service_id: service.id,
            staff_id,
            client_id,
            status: status.as_str().into(),
            starts_at: slot.start,
            ends_at: slot.end,
            occupied_start: slot.start - Duration::minutes(i64::from(rules.buffer_before_min)),
            occupied_end: slot.end + Duration::minutes(i64::from(rules.buffer_after_min)),
            class_key: class_key(&service, id, slot.start),
            seats: 1,
            client_zone: request.client_zone.clone(),
            notes: notes
                .map(|n| keyring.seal(&sealed::BOOKING_NOTES, id, n.as_bytes()))
                .transpose()?,
            manage_token_hash: token_hash(&token),
            cancelled_by: None,
            payment_due_by: terms
                .as_ref()
                .map(|t| now + Duration::minutes(i64::from(t.hold_minutes))),
            cancel_reason: None,
            sequence: 0,
            created_at: now,
            updated_at: now,
            manage_token: Some(keyring.seal(&sealed::BOOKING_TOKEN, id, token.as_bytes())?),
            confirmed_by_client_at: None,
            cancelled_at: None,
        };
        let row = repo::insert_booking(&tx, scope, row)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(&tx, scope, &row).await?;
        let kind = if status == BookingStatus::Requested {
            ChangeKind::Requested
        } else {
            ChangeKind::Created
        };
        self.record_change(&tx, scope, row.id, kind, by).await?;
        if let Some((key, hash)) = &remembered_as {
            let remembered = serde_json::json!({
                "booking_id": id,
                "token": keyring.seal_base64(&sealed::BOOKING_MANAGE_TOKEN, id, token.as_bytes())?,
            });
            let saved = repo::insert_idempotency(
                &tx,
                scope,
                repo::IdempotencyRow {
                    tenant_id: scope.id(),
                    key: key.clone(),
                    request_hash: hash.clone(),
                    status: 201,
                    body: remembered.to_string(),
                    created_at: now,
                },
            )
            .await;
            if let Err(StoreError::Unique(_)) = saved {
                // A retry raced this one and won: drop ours, answer theirs.
                drop(tx);
                return self.replay(scope, key, hash).await?.ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("idempotency row vanished"))
                });
            }
            saved?;
        }
        if let Some(terms) = &terms {
            crate::deposits::record_pending(&tx, scope, &row, terms, now).await?;
        } else {
            // A booking waiting for payment is announced once paid.
            let event = if status == BookingStatus::Requested {
                BookingEvent::Pending
            } else {
                BookingEvent::Created
            };
            self.queue_booking_messages(&tx, scope, &keyring, &row, Some(&token), event)
                .await?;
            let notice = if status == BookingStatus::Requested {
                Notice::AwaitingApproval
            } else {
                Notice::NewBooking
            };
            self.notice_to_business(&tx, scope, &row, notice).await?;
        }
        let contact = self
            .client_contact(&tx, scope, &keyring, row.client_id)
            .await?;
        self.emit(
            &tx,
            scope,
            &keyring,
            "booking.created",
            booking_data(&row),
            contact,
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.announce(scope.id(), "booking.created", id);
        if let Some((version, count)) = counted {
            self.after_encrypting(scope.id(), version, count);
        }
        tracing::info!(event = "booking_created", tenant_id = %scope.id(), booking_id = %id, status = status.as_str(), "booking created");
        Ok(CreatedBooking {
            booking: self.open_booking(&keyring, &row),
            manage_token: token,
            replayed: false,
        })
    }

    /// Every rule a booking must pass, for a new booking and a moved one
    /// alike (`moving`: the booking being moved, whose own time is free to
    /// it): the service is still offered and the staff member (or, with
    /// none asked for, the fairest free one) still performs it; the time
    /// passes notice, the booking window, working hours, closures and
    /// capacity against what is committed, with the staff member's row
    /// locked so the answer holds until commit; the account may take
    /// bookings (plan, not read-only, the agreement accepted); and a moved
    /// booking's client is not restricted (a new one's is checked when the
    /// client is found).
    async fn place(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        service_id: Uuid,
        staff: Option<Uuid>,
        start: DateTime<Utc>,
        moving: Option<&BookingRow>,
    ) -> AppResult<Placement> {
        let now = self.now();
        let except = moving.map(|b| b.id);
        let service = self.active_service(tx, scope, service_id).await?;
        let rules = rules_of(&service);
        let candidates = self.performers(tx, scope, &service, staff).await?;
        if candidates.is_empty() {
            return Err(AppError::invalid(
                "service_id",
                "no_staff",
                "nobody performs this service yet",
            ));
        }
        let closures = self
            .closed_time(
                tx,
                scope,
                start - Duration::days(1),
                start + Duration::days(1),
            )
            .await?;
        // "Anyone": among those free at that time, the one with the fewest
        // bookings that day.
        let staff_id = if candidates.len() == 1 {
            candidates[0]
        } else {
            let day = (start - Duration::hours(12), start + Duration::hours(12));
            let calendars = self
                .calendars(tx, scope, &candidates, day.0, day.1, except)
                .await?;
            let free: Vec<(Uuid, u32)> = calendars
                .iter()
                .filter_map(|c| {
                    check_slot(c, &rules, &closures, start, now)
                        .ok()
                        .map(|s| (c.staff_id, s.seats_left))
                })
                .collect();
            let load: HashMap<Uuid, u32> = calendars
                .iter()
                .map(|c| (c.staff_id, c.busy.len() as u32))
                .collect();
            let slot = AnySlot {
                start,
                end: start + Duration::minutes(i64::from(rules.duration_min)),
                staff: free,
            };
            match fair_pick(&slot, &load) {
                Some(id) => id,
                None => {
                    // Say why with the first candidate's precise reason.
                    let c = &calendars[0];
                    return Err(slot_problem(
                        check_slot(c, &rules, &closures, start, now)
                            .err()
                            .unwrap_or(SlotProblem::Taken),
                    ));
                }
            }
        };
        // Serialise on the staff member, then check again with what is
        // committed now.
        repo::lock_staff(tx, scope, staff_id).await?;
        let calendar = self
            .calendars(
                tx,
                scope,
                &[staff_id],
                start - Duration::days(1),
                start + Duration::days(1),
                except,
            )
            .await?;
        let calendar = calendar.first().ok_or(AppError::NotFound)?;
        let slot = check_slot(calendar, &rules, &closures, start, now).map_err(slot_problem)?;
        // Read-only accounts and a missing agreement stop it before
        // anything is written.
        let tenant = self.check_processing(tx, scope).await?;
        if let Some(booking) = moving
            && let Some(client) =
                termino_store::repo::clients::get(tx, scope, booking.client_id).await?
        {
            crate::clients::check_not_restricted(&client)?;
        }
        Ok(Placement {
            tenant,
            service,
            rules,
            staff_id,
            slot,
        })
    }

    /// Booking idempotency records are kept 24 hours, like every other
    /// stored answer; the background worker calls this.
    pub async fn forget_expired_idempotency(&self) -> AppResult<u64> {
        let before = self.now() - Duration::hours(24);
        Ok(repo::forget_idempotency_before(self.db().connection(), before).await?)
    }

    async fn replay(
        &self,
        scope: &TenantScope,
        key: &str,
        hash: &str,
    ) -> AppResult<Option<CreatedBooking>> {
        let tx = self.db().begin_tenant(scope).await?;
        let found = repo::idempotency(&tx, scope, key).await?;
        let Some(found) = found else {
            commit(tx).await?;
            return Ok(None);
        };
        if found.request_hash != hash {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "key_reused",
                "this key was used for a different request",
            ));
        }
        let body: serde_json::Value =
            serde_json::from_str(&found.body).map_err(anyhow::Error::from)?;
        let id: Uuid = body["booking_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("bad idempotency record"))?;
        let row = repo::get_booking(&tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let token = body["token"]
            .as_str()
            .and_then(|t| keyring.open_base64(&sealed::BOOKING_MANAGE_TOKEN, id, t))
            .unwrap_or_default();
        Ok(Some(CreatedBooking {
            booking: self.open_booking(&keyring, &row),
            manage_token: token,
            replayed: true,
        }))
    }

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

    /// Moves a booking (same booking, same client) to a new start, and
    /// optionally another staff member, through every check a new booking
    /// passes. A client moving a booking the business had to approve asks
    /// for its approval again; the business moving it approves it itself.
    async fn move_booking(
        &self,
        scope: &TenantScope,
        id: Uuid,
        new_start: DateTime<Utc>,
        new_staff: Option<Uuid>,
        by: Actor,
    ) -> AppResult<BookingRow> {
        let now = self.now();
        let tx = self.db().begin_tenant(scope).await?;
        let row = repo::get_booking(&tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let status = BookingStatus::parse(&row.status).unwrap_or(BookingStatus::Cancelled);
        if !status.movable() {
            return Err(AppError::Conflict {
                kind: ConflictKind::BookingNotMovable,
                field: None,
                message: format!("a {} booking cannot be moved", status.as_str()),
            });
        }
        let Placement {
            service,
            rules,
            staff_id,
            slot,
            ..
        } = self
            .place(
                &tx,
                scope,
                row.service_id,
                Some(new_staff.unwrap_or(row.staff_id)),
                new_start,
                Some(&row),
            )
            .await?;
        let mut moved = row.clone();
        moved.staff_id = staff_id;
        moved.starts_at = slot.start;
        moved.ends_at = slot.end;
        moved.occupied_start = slot.start - Duration::minutes(i64::from(rules.buffer_before_min));
        moved.occupied_end = slot.end + Duration::minutes(i64::from(rules.buffer_after_min));
        moved.class_key = class_key(&service, row.id, slot.start);
        moved.updated_at = now;
        // A confirmation was for the old time.
        moved.confirmed_by_client_at = None;
        moved.sequence += 1;
        if by == Actor::Client && service.requires_approval {
            moved.status = BookingStatus::Requested.as_str().into();
        }
        let saved = repo::save_booking(&tx, scope, moved)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(&tx, scope, &saved).await?;
        self.record_change(&tx, scope, saved.id, ChangeKind::Rescheduled, by)
            .await?;
        let keyring = self.sealing_keys(&tx, scope).await?;
        self.queue_booking_messages(
            &tx,
            scope,
            &keyring,
            &saved,
            None,
            BookingEvent::Rescheduled,
        )
        .await?;
        self.notice_to_business(
            &tx,
            scope,
            &saved,
            Notice::Rescheduled {
                before: row.starts_at,
            },
        )
        .await?;
        let contact = self
            .client_contact(&tx, scope, &keyring, saved.client_id)
            .await?;
        self.emit(
            &tx,
            scope,
            &keyring,
            "booking.rescheduled",
            booking_data(&saved),
            contact,
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.announce(scope.id(), "booking.rescheduled", id);
        tracing::info!(event = "booking_rescheduled", tenant_id = %scope.id(), booking_id = %id, "booking rescheduled");
        Ok(saved)
    }

    pub async fn reschedule_booking(
        &self,
        principal: &Principal,
        id: Uuid,
        start: DateTime<Utc>,
        staff_id: Option<Uuid>,
    ) -> AppResult<Booking> {
        self.check_writable(principal).await?;
        let row = self
            .move_booking(
                &principal.tenant,
                id,
                start,
                staff_id,
                crate::changes::actor_of(principal),
            )
            .await?;
        self.audit(
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "booking.rescheduled").on("booking", id),
        )
        .await?;
        self.opened(principal.tenant.id(), &row).await
    }

    /// The business's moves along the state machine.
    pub async fn change_booking_status(
        &self,
        principal: &Principal,
        id: Uuid,
        to: BookingStatus,
        reason: Option<&str>,
    ) -> AppResult<Booking> {
        self.check_writable(principal).await?;
        let row = self
            .transition(
                &principal.tenant,
                id,
                to,
                crate::changes::actor_of(principal),
                reason,
            )
            .await?;
        self.audit(
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "booking.status_changed")
                .on("booking", id)
                .detail(row.status.clone()),
        )
        .await?;
        self.opened(principal.tenant.id(), &row).await
    }

    pub(crate) async fn transition(
        &self,
        scope: &TenantScope,
        id: Uuid,
        to: BookingStatus,
        by: Actor,
        reason: Option<&str>,
    ) -> AppResult<BookingRow> {
        let tx = self.db().begin_tenant(scope).await?;
        let (saved, from, hook) = self.transition_in(&tx, scope, id, to, by, reason).await?;
        commit(tx).await?;
        self.after_transition(scope, &saved, from, to, hook).await;
        Ok(saved)
    }

    /// What follows a committed status change: mail, subscribers, refunds.
    pub(crate) async fn after_transition(
        &self,
        scope: &TenantScope,
        saved: &BookingRow,
        from: BookingStatus,
        to: BookingStatus,
        hook: &'static str,
    ) {
        self.wake_mail();
        if !hook.is_empty() {
            self.announce(scope.id(), hook, saved.id);
        }
        if to == BookingStatus::Cancelled {
            self.refund_due_payments(scope, saved.id).await;
        }
        tracing::info!(event = "booking_status", tenant_id = %scope.id(), booking_id = %saved.id, from = from.as_str(), to = to.as_str(), "booking status changed");
    }

    /// A status change in the caller's transaction (a payment notification
    /// confirms its booking in the same transaction as it records itself).
    pub(crate) async fn transition_in(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        id: Uuid,
        to: BookingStatus,
        by: Actor,
        reason: Option<&str>,
    ) -> AppResult<(BookingRow, BookingStatus, &'static str)> {
        use BookingStatus::*;
        let now = self.now();
        let row = repo::get_booking(tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let from = BookingStatus::parse(&row.status).unwrap_or(Cancelled);
        if let Err(refusal) =
            termino_domain::booking::may_transition(from, to, by, row.starts_at, now)
        {
            use termino_domain::booking::Refusal;
            let why = match refusal {
                Refusal::Invalid => "",
                Refusal::NotForActor => " this way",
                Refusal::NotStarted => " before it starts",
            };
            return Err(AppError::Conflict {
                kind: ConflictKind::InvalidTransition,
                field: Some("status"),
                message: format!(
                    "a {} booking cannot become {}{why}",
                    from.as_str(),
                    to.as_str()
                ),
            });
        }
        let mut changed = row.clone();
        if to == Confirmed {
            // Approval claims the time: checked like a new booking.
            let service = repo::get_service(tx, scope, row.service_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let rules = rules_of(&service);
            repo::lock_staff(tx, scope, row.staff_id).await?;
            let window = (
                row.starts_at - Duration::days(1),
                row.starts_at + Duration::days(1),
            );
            let closures = self.closed_time(tx, scope, window.0, window.1).await?;
            let calendars = self
                .calendars(tx, scope, &[row.staff_id], window.0, window.1, Some(row.id))
                .await?;
            let calendar = calendars.first().ok_or(AppError::NotFound)?;
            // Approving late is fine: only collisions and closures count.
            let approval_rules = ServiceRules {
                min_notice_min: 0,
                max_advance_days: rules.max_advance_days.max(3650),
                ..rules
            };
            match check_slot(
                calendar,
                &approval_rules,
                &closures,
                row.starts_at,
                row.created_at.min(now),
            ) {
                Ok(_) | Err(SlotProblem::InPast) | Err(SlotProblem::TooSoon) => {}
                Err(p) => return Err(slot_problem(p)),
            }
        }
        let keyring = self.sealing_keys(tx, scope).await?;
        changed.status = to.as_str().into();
        changed.updated_at = now;
        changed.sequence += 1;
        if to == Cancelled {
            changed.cancelled_by = Some(by.as_str().to_string());
            changed.cancelled_at = Some(now);
            changed.cancel_reason = reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| keyring.seal(&sealed::BOOKING_CANCEL_REASON, row.id, r.as_bytes()))
                .transpose()?;
        }
        let saved = repo::save_booking(tx, scope, changed)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(tx, scope, &saved).await?;
        let change = match (from, to) {
            (Requested, Cancelled) if by != Actor::Client => Some(ChangeKind::Declined),
            (_, Cancelled) => Some(ChangeKind::Cancelled),
            (Requested, Confirmed) => Some(ChangeKind::Approved),
            _ => None,
        };
        if let Some(kind) = change {
            self.record_change(tx, scope, saved.id, kind, by).await?;
        }
        let event = match (from, to) {
            (AwaitingPayment, Confirmed) => Some(BookingEvent::DepositPaid),
            (_, Confirmed) => Some(BookingEvent::Approved),
            (Requested, Cancelled) if by != Actor::Client => Some(BookingEvent::Declined),
            (_, Cancelled) => Some(BookingEvent::Cancelled),
            _ => None,
        };
        if let Some(event) = event {
            self.queue_booking_messages(tx, scope, &keyring, &saved, None, event)
                .await?;
        }
        // A hold that ran out was never announced to the business.
        if to == Cancelled && from != AwaitingPayment {
            let by_client = by == Actor::Client;
            self.notice_to_business(tx, scope, &saved, Notice::Cancelled { by_client })
                .await?;
        }
        let hook = match to {
            Confirmed => "booking.confirmed",
            Cancelled => "booking.cancelled",
            Completed => "booking.completed",
            NoShow => "booking.no_show",
            _ => "",
        };
        if !hook.is_empty() {
            let contact = self
                .client_contact(tx, scope, &keyring, saved.client_id)
                .await?;
            self.emit(tx, scope, &keyring, hook, booking_data(&saved), contact)
                .await?;
        }
        crate::deposits::on_booking_status(tx, scope, &saved, to, by, now).await?;
        Ok((saved, from, hook))
    }

    /// The booking behind a manage link, with its business.
    pub async fn managed_booking(
        &self,
        slug: &str,
        token: &str,
    ) -> AppResult<(PublicBusiness, Booking)> {
        let business = self.public_business(slug).await?;
        let row = termino_store::repo::scheduling::booking_by_token_hash(
            self.db().connection(),
            &token_hash(token),
        )
        .await?
        .filter(|r| r.tenant_id == business.scope.id())
        .ok_or(AppError::NotFound)?;
        let booking = self.opened(row.tenant_id, &row).await?;
        Ok((business, booking))
    }

    fn before_cutoff(&self, business: &PublicBusiness, booking: &Booking) -> AppResult<()> {
        if !termino_domain::booking::client_may_change(
            booking.starts_at,
            business.cancellation_cutoff_hours,
            self.now(),
        ) {
            return Err(AppError::Conflict {
                kind: ConflictKind::PastCutoff,
                field: None,
                message: format!(
                    "changes are possible until {} hours before the visit; please contact the business",
                    business.cancellation_cutoff_hours
                ),
            });
        }
        Ok(())
    }

    pub async fn reschedule_by_client(
        &self,
        slug: &str,
        token: &str,
        start: DateTime<Utc>,
    ) -> AppResult<Booking> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.before_cutoff(&business, &booking)?;
        let row = self
            .move_booking(&business.scope, booking.id, start, None, Actor::Client)
            .await?;
        self.opened(business.scope.id(), &row).await
    }

    pub async fn cancel_by_client(
        &self,
        slug: &str,
        token: &str,
        reason: Option<&str>,
    ) -> AppResult<Booking> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.before_cutoff(&business, &booking)?;
        let row = self
            .transition(
                &business.scope,
                booking.id,
                BookingStatus::Cancelled,
                Actor::Client,
                reason,
            )
            .await?;
        self.opened(business.scope.id(), &row).await
    }

    /// Confirmation, approval, reschedule and cancellation notices for the
    /// client (sealed, with an `.ics`), and new/cancelled notices for the
    /// staff member when linked to an account.
    async fn queue_booking_messages(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        row: &BookingRow,
        manage_token: Option<&str>,
        event: BookingEvent,
    ) -> AppResult<()> {
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let service = repo::get_service(tx, scope, row.service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let staff = repo::get_staff(tx, scope, row.staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let client = termino_store::repo::clients::get(tx, scope, row.client_id).await?;
        let lang = crate::clients::client_language(keyring, client.as_ref(), &tenant);
        let zone: Tz = row.client_zone.parse().unwrap_or(chrono_tz::Europe::Warsaw);
        let when = texts::format_when(lang, row.starts_at.with_timezone(&zone));
        let price = crate::reminders::price_text(lang, service.price_minor, &service.currency);
        let address = crate::reminders::business_address(tx, scope).await?;
        // The token kept (sealed) with the booking when the caller has
        // none at hand: an approval's mail links the manage page too.
        let kept = row
            .manage_token
            .as_deref()
            .and_then(|t| keyring.open_text(&sealed::BOOKING_TOKEN, row.id, t));
        // A cancelled or declined visit has nothing left to manage.
        let ended = matches!(event, BookingEvent::Cancelled | BookingEvent::Declined);
        let manage_link = manage_token
            .map(str::to_string)
            .or(kept)
            .filter(|_| !ended)
            .map(|t| format!("{}/b/{}/manage/{t}", self.config().public_url, tenant.slug));
        let details = texts::BookingDetails {
            business: &tenant.name,
            service: &service.name,
            staff: &staff.name,
            when: &when,
            duration_min: (row.ends_at - row.starts_at).num_minutes(),
            price: &price,
            address: &address,
            manage_link: manage_link.as_deref(),
        };
        let client_email = client
            .as_ref()
            .and_then(|c| keyring.open_text(&sealed::CLIENT_EMAIL, c.id, c.email.as_deref()?));
        if let Some(to) = client_email {
            let message = texts::booking_for_client(lang, event, &details);
            let attachment = self
                .invitation(
                    tx,
                    scope,
                    row,
                    &service.name,
                    &tenant,
                    &to,
                    manage_link.as_deref(),
                )
                .await?;
            self.enqueue_sealed_mail(tx, keyring, &to, message, Some(attachment))
                .await?;
        }
        Ok(())
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
