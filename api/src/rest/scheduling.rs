//! REST for services, staff, hours, closures, availability and bookings:
//! the business side and the public side of a booking page.

use chrono::{DateTime, NaiveDate, Utc};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use termino_app::App;
use termino_app::bookings::{
    BookingRequest, BookingStatus, ClientDetails as AppClient, Idempotency, KeyOwner, parse_zone,
};
use termino_store::repo::scheduling::BookingFilter;
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::problem::{ApiError, Problem};
use super::scheduling_types::*;

#[derive(Tags)]
enum Tag {
    /// What the business offers.
    Services,
    /// Who works, and when.
    Staff,
    /// Days the whole business is closed.
    Closures,
    /// Appointments and class seats.
    Bookings,
    /// A business's booking page, for its clients (no authentication).
    Public,
}

#[derive(ApiResponse)]
enum BookingCreated {
    /// Booked.
    #[oai(status = 201)]
    Created(Json<CreatedBooking>),
    /// A retry with the same Idempotency-Key: the first answer again.
    #[oai(status = 200)]
    Replayed(Json<CreatedBooking>),
}

use super::responses::{Created, NoContent, Result};

fn bad(field: &str, code: &str, reason: &str) -> ApiError {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "bad-parameter",
        "A parameter is invalid",
    )
    .field(field, code, reason)
    .into()
}

fn parse_date(field: &str, value: &str) -> Result<NaiveDate> {
    value
        .parse()
        .map_err(|_| bad(field, "invalid_date", "a date as YYYY-MM-DD"))
}

/// `staff` may be a staff id or `any`.
fn parse_staff(value: Option<&str>) -> Result<Option<Uuid>> {
    match value {
        None | Some("") | Some("any") => Ok(None),
        Some(id) => id
            .parse()
            .map(Some)
            .map_err(|_| bad("staff_id", "invalid_id", "a staff id or `any`")),
    }
}

fn slots_in(zone: chrono_tz::Tz, slots: Vec<termino_domain::schedule::AnySlot>) -> Vec<Slot> {
    slots
        .into_iter()
        .map(|s| Slot {
            start: s.start.with_timezone(&zone).fixed_offset(),
            end: s.end.with_timezone(&zone).fixed_offset(),
            seats_left: s.staff.first().map(|(_, seats)| *seats).unwrap_or(0),
            staff_ids: s.staff.into_iter().map(|(id, _)| id).collect(),
        })
        .collect()
}

fn booking_request(input: BookingInput) -> BookingRequest {
    BookingRequest {
        service_id: input.service_id,
        staff_id: input.staff_id,
        start: input.start.with_timezone(&Utc),
        client_zone: input.zone,
        client: AppClient {
            name: input.client.name,
            email: input.client.email,
            phone: input.client.phone,
            notes: input.client.notes,
            marketing_consent: input.client.marketing_consent.unwrap_or(false),
            sms_consent: input.client.sms_consent.unwrap_or(false),
            language: input.client.language.map(Into::into),
        },
    }
}

fn idempotency_key(header: &Option<String>) -> Result<Option<&str>> {
    match header.as_deref() {
        Some(k) if k.is_empty() || k.len() > 255 => {
            Err(bad("Idempotency-Key", "invalid_key", "1 to 255 characters"))
        }
        other => Ok(other),
    }
}

async fn availability_for(
    app: &App,
    scope: &termino_app::TenantScope,
    service_id: Uuid,
    staff: Option<&str>,
    from: &str,
    to: &str,
    zone: &str,
) -> Result<Availability> {
    let tz = parse_zone("zone", zone)?;
    let staff_id = parse_staff(staff)?;
    let (from, to) = (parse_date("from", from)?, parse_date("to", to)?);
    let slots = app
        .availability(scope, service_id, staff_id, from, to, tz)
        .await?;
    Ok(Availability {
        zone: tz.name().to_string(),
        slots: slots_in(tz, slots),
    })
}

pub struct SchedulingApi;

#[OpenApi]
impl SchedulingApi {
    /// Services
    #[oai(path = "/services", method = "get", tag = "Tag::Services")]
    async fn services(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Service>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.services_of(&p.tenant, false).await?;
        Ok(Json(list.into_iter().map(Service::from).collect()))
    }

    /// Create a service
    #[oai(path = "/services", method = "post", tag = "Tag::Services")]
    async fn create_service(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<ServiceInput>,
    ) -> Result<Created<Service>> {
        let p = authorize(&app, req, &auth).await?;
        let s = app.create_service(&p, body.0.into()).await?;
        Ok(Created::Created(Json(s.into())))
    }

    /// A service
    #[oai(path = "/services/:id", method = "get", tag = "Tag::Services")]
    async fn service(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Service>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.service(&p.tenant, id.0).await?.into()))
    }

    /// Replace a service
    #[oai(path = "/services/:id", method = "put", tag = "Tag::Services")]
    async fn update_service(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<ServiceInput>,
    ) -> Result<Json<Service>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.update_service(&p, id.0, body.0.into()).await?.into(),
        ))
    }

    /// Staff members
    #[oai(path = "/staff", method = "get", tag = "Tag::Staff")]
    async fn staff(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<StaffMember>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.staff_of(&p.tenant, false).await?;
        Ok(Json(list.into_iter().map(StaffMember::from).collect()))
    }

    /// Add a staff member
    #[oai(path = "/staff", method = "post", tag = "Tag::Staff")]
    async fn create_staff(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<StaffInput>,
    ) -> Result<Created<StaffMember>> {
        let p = authorize(&app, req, &auth).await?;
        let s = app.create_staff(&p, body.0.into()).await?;
        Ok(Created::Created(Json(s.into())))
    }

    /// A staff member
    #[oai(path = "/staff/:id", method = "get", tag = "Tag::Staff")]
    async fn staff_member(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<StaffMember>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.staff_member(&p.tenant, id.0).await?.into()))
    }

    /// Change a staff member
    #[oai(path = "/staff/:id", method = "put", tag = "Tag::Staff")]
    async fn update_staff(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<StaffInput>,
    ) -> Result<Json<StaffMember>> {
        let p = authorize(&app, req, &auth).await?;
        let s = app.update_staff(&p, id.0, body.0.into()).await?;
        Ok(Json(s.into()))
    }

    /// Weekly working hours
    #[oai(path = "/staff/:id/working-hours", method = "get", tag = "Tag::Staff")]
    async fn working_hours(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<WeeklyHours>> {
        let p = authorize(&app, req, &auth).await?;
        let s = app.staff_member(&p.tenant, id.0).await?;
        Ok(Json(WeeklyHours::from_week(&s.week)))
    }

    /// Replace the weekly working hours
    ///
    /// Wall-clock times in the staff member's zone; 09:00–17:00 stays so
    /// across daylight-saving changes. Intervals of a day must not overlap.
    #[oai(path = "/staff/:id/working-hours", method = "put", tag = "Tag::Staff")]
    async fn set_working_hours(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<WeeklyHours>,
    ) -> Result<Json<WeeklyHours>> {
        let p = authorize(&app, req, &auth).await?;
        let s = app.set_working_hours(&p, id.0, &body.0.to_days()).await?;
        Ok(Json(WeeklyHours::from_week(&s.week)))
    }

    /// Different hours (or a day off) on one date
    #[oai(
        path = "/staff/:id/overrides/:date",
        method = "put",
        tag = "Tag::Staff"
    )]
    async fn set_override(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        date: Path<String>,
        body: JsonBody<DayOverrideInput>,
    ) -> Result<Json<DayOverride>> {
        let p = authorize(&app, req, &auth).await?;
        let day = parse_date("date", &date.0)?;
        let ranges: Vec<(String, String)> = body
            .0
            .intervals
            .iter()
            .map(|r| (r.start.clone(), r.end.clone()))
            .collect();
        let saved = app.set_day_override(&p, id.0, day, &ranges).await?;
        Ok(Json(DayOverride {
            date: day,
            intervals: saved
                .into_iter()
                .map(|(s, e)| TimeRange {
                    start: termino_app::catalog::format_clock(s),
                    end: termino_app::catalog::format_clock(e),
                })
                .collect(),
        }))
    }

    /// Back to the usual hours on one date
    #[oai(
        path = "/staff/:id/overrides/:date",
        method = "delete",
        tag = "Tag::Staff"
    )]
    async fn remove_override(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        date: Path<String>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        let day = parse_date("date", &date.0)?;
        app.remove_day_override(&p, id.0, day).await?;
        Ok(NoContent::Done)
    }

    /// Closures
    #[oai(path = "/closures", method = "get", tag = "Tag::Closures")]
    async fn closures(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Closure>>> {
        let p = authorize(&app, req, &auth).await?;
        let rows = app.closures_of(&p.tenant).await?;
        Ok(Json(
            rows.into_iter()
                .map(|c| Closure {
                    id: c.id,
                    starts_on: c.starts_on,
                    ends_on: c.ends_on,
                    reason: c.reason,
                })
                .collect(),
        ))
    }

    /// Close the business on some days
    #[oai(path = "/closures", method = "post", tag = "Tag::Closures")]
    async fn create_closure(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<ClosureInput>,
    ) -> Result<Created<Closure>> {
        let p = authorize(&app, req, &auth).await?;
        let b = body.0;
        let c = app
            .create_closure(
                &p,
                b.starts_on,
                b.ends_on,
                b.reason.as_deref().unwrap_or(""),
            )
            .await?;
        Ok(Created::Created(Json(Closure {
            id: c.id,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            reason: c.reason,
        })))
    }

    /// Remove a closure
    #[oai(path = "/closures/:id", method = "delete", tag = "Tag::Closures")]
    async fn delete_closure(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.delete_closure(&p, id.0).await?;
        Ok(NoContent::Done)
    }

    /// Free slots
    ///
    /// `from` and `to` are dates (inclusive) in `zone`; `staff_id` is a staff
    /// id or `any`. Slots are given in `zone`.
    #[oai(path = "/availability", method = "get", tag = "Tag::Bookings")]
    #[allow(clippy::too_many_arguments)]
    async fn availability(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        service_id: Query<Uuid>,
        staff_id: Query<Option<String>>,
        from: Query<String>,
        to: Query<String>,
        zone: Query<Option<String>>,
    ) -> Result<Json<Availability>> {
        let p = authorize(&app, req, &auth).await?;
        let business = app.business(&p).await?;
        let zone = zone.0.unwrap_or(business.time_zone);
        Ok(Json(
            availability_for(
                &app,
                &p.tenant,
                service_id.0,
                staff_id.0.as_deref(),
                &from.0,
                &to.0,
                &zone,
            )
            .await?,
        ))
    }

    /// Bookings
    ///
    /// Ordered by start. Filters: `from`/`to` (RFC 3339 instants),
    /// `staff_id`, `service_id`, `client_id`, `status`, `unconfirmed`
    /// (true: only those the client has not confirmed). Pages of `limit`
    /// (default 50, at most 200) continued with `cursor`.
    #[oai(path = "/bookings", method = "get", tag = "Tag::Bookings")]
    #[allow(clippy::too_many_arguments)]
    async fn bookings(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        staff_id: Query<Option<Uuid>>,
        service_id: Query<Option<Uuid>>,
        client_id: Query<Option<Uuid>>,
        status: Query<Option<String>>,
        unconfirmed: Query<Option<bool>>,
        cursor: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> Result<Json<BookingList>> {
        let p = authorize(&app, req, &auth).await?;
        if let Some(s) = status.0.as_deref()
            && BookingStatus::parse(s).is_none()
        {
            return Err(bad(
                "status",
                "invalid_status",
                "one of requested, awaiting_payment, confirmed, completed, no_show, cancelled",
            ));
        }
        let after = match cursor.0.as_deref() {
            None | Some("") => None,
            Some(c) => {
                let (at, id) = c
                    .split_once('_')
                    .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id.parse::<Uuid>().ok()?)))
                    .ok_or_else(|| {
                        bad(
                            "cursor",
                            "invalid_cursor",
                            "use next_cursor from the previous page",
                        )
                    })?;
                Some((DateTime::from_timestamp_micros(at).unwrap_or_default(), id))
            }
        };
        let limit = limit.0.unwrap_or(50).clamp(1, 200) as u64;
        let items = app
            .bookings(
                &p,
                BookingFilter {
                    from: from.0,
                    to: to.0,
                    staff_id: staff_id.0,
                    service_id: service_id.0,
                    client_id: client_id.0,
                    status: status.0,
                    after,
                    limit: limit + 1,
                    unconfirmed: unconfirmed.0.unwrap_or(false),
                },
            )
            .await?;
        let more = items.len() as u64 > limit;
        let items: Vec<_> = items.into_iter().take(limit as usize).collect();
        let next_cursor = if more {
            items
                .last()
                .map(|b| format!("{}_{}", b.starts_at.timestamp_micros(), b.id))
        } else {
            None
        };
        Ok(Json(BookingList {
            items: items.into_iter().map(Booking::from).collect(),
            next_cursor,
        }))
    }

    /// Book for a client
    ///
    /// The client is found (by e-mail, then phone) or created. Send an
    /// `Idempotency-Key` to retry safely: the same key and body from the
    /// same API key or person answer the first result; the same key with
    /// another body is 422. Keys of other callers never meet.
    #[oai(path = "/bookings", method = "post", tag = "Tag::Bookings")]
    async fn create_booking(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
        body: JsonBody<BookingInput>,
    ) -> Result<BookingCreated> {
        let p = authorize(&app, req, &auth).await?;
        let owner = KeyOwner::Principal(&p);
        book(&app, &p.tenant, &p.tenant_slug, (owner, key.0), body.0).await
    }

    /// A booking
    #[oai(path = "/bookings/:id", method = "get", tag = "Tag::Bookings")]
    async fn booking(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.booking(&p, id.0).await?.into()))
    }

    /// Move a booking
    #[oai(path = "/bookings/:id", method = "patch", tag = "Tag::Bookings")]
    async fn reschedule(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<Reschedule>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        let b = body.0;
        Ok(Json(
            app.reschedule_booking(&p, id.0, b.start.with_timezone(&Utc), b.staff_id)
                .await?
                .into(),
        ))
    }

    /// Approve a requested booking
    #[oai(path = "/bookings/:id/approve", method = "post", tag = "Tag::Bookings")]
    async fn approve(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.change_booking_status(&p, id.0, BookingStatus::Confirmed, None)
                .await?
                .into(),
        ))
    }

    /// Decline a requested booking
    #[oai(path = "/bookings/:id/decline", method = "post", tag = "Tag::Bookings")]
    async fn decline(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<Cancellation>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        let b = app.booking(&p, id.0).await?;
        if b.status != BookingStatus::Requested {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "invalid-transition",
                "Only a requested booking can be declined",
            )
            .into());
        }
        Ok(Json(
            app.change_booking_status(&p, id.0, BookingStatus::Cancelled, body.0.reason.as_deref())
                .await?
                .into(),
        ))
    }

    /// Cancel a booking
    #[oai(path = "/bookings/:id/cancel", method = "post", tag = "Tag::Bookings")]
    async fn cancel(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<Cancellation>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.change_booking_status(&p, id.0, BookingStatus::Cancelled, body.0.reason.as_deref())
                .await?
                .into(),
        ))
    }

    /// Mark a booking completed (after its start)
    #[oai(
        path = "/bookings/:id/complete",
        method = "post",
        tag = "Tag::Bookings"
    )]
    async fn complete(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.change_booking_status(&p, id.0, BookingStatus::Completed, None)
                .await?
                .into(),
        ))
    }

    /// Mark a no-show (after its start)
    #[oai(path = "/bookings/:id/no-show", method = "post", tag = "Tag::Bookings")]
    async fn no_show(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Booking>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.change_booking_status(&p, id.0, BookingStatus::NoShow, None)
                .await?
                .into(),
        ))
    }
}

/// `key`: the `Idempotency-Key`, if sent, and who sent it.
async fn book(
    app: &App,
    scope: &termino_app::TenantScope,
    slug: &str,
    (owner, key): (KeyOwner<'_>, Option<String>),
    input: BookingInput,
) -> Result<BookingCreated> {
    let key = idempotency_key(&key)?;
    let body = serde_json::to_vec(&input).unwrap_or_default();
    // A business's own caller books for a client; anyone else is the client.
    let by = match owner {
        KeyOwner::Principal(p) => termino_app::changes::actor_of(p),
        _ => termino_app::changes::ChangeActor::Client,
    };
    let created = app
        .book_by(
            scope,
            booking_request(input),
            key.map(|key| Idempotency {
                owner,
                key,
                body: &body,
            }),
            by,
        )
        .await?;
    let manage_url = format!(
        "{}/b/{slug}/manage/{}",
        app.config().public_url,
        created.manage_token
    );
    let out = CreatedBooking {
        booking: created.booking.into(),
        manage_token: created.manage_token,
        manage_url,
    };
    Ok(if created.replayed {
        BookingCreated::Replayed(Json(out))
    } else {
        BookingCreated::Created(Json(out))
    })
}

pub struct PublicApi;

#[OpenApi(tag = "Tag::Public")]
impl PublicApi {
    /// The business's bookable services
    #[oai(path = "/public/:slug/services", method = "get")]
    async fn services(&self, app: Data<&App>, slug: Path<String>) -> Result<Json<Vec<Service>>> {
        let b = app.public_business(&slug.0).await?;
        let list = app.services_of(&b.scope, true).await?;
        Ok(Json(list.into_iter().map(Service::from).collect()))
    }

    /// Its staff (optionally those performing one service)
    #[oai(path = "/public/:slug/staff", method = "get")]
    async fn staff(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        service_id: Query<Option<Uuid>>,
    ) -> Result<Json<Vec<PublicStaff>>> {
        let b = app.public_business(&slug.0).await?;
        let performing = match service_id.0 {
            Some(id) => Some(app.service(&b.scope, id).await?.staff_ids),
            None => None,
        };
        let list = app.staff_of(&b.scope, true).await?;
        Ok(Json(
            list.into_iter()
                .filter(|s| performing.as_ref().is_none_or(|p| p.contains(&s.id)))
                .map(|s| PublicStaff {
                    id: s.id,
                    name: s.name,
                })
                .collect(),
        ))
    }

    /// Free slots
    ///
    /// `from`/`to`: dates (inclusive) in `zone` (the business's by default);
    /// `staff_id`: an id or `any`.
    #[oai(path = "/public/:slug/availability", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn availability(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        service_id: Query<Uuid>,
        staff_id: Query<Option<String>>,
        from: Query<String>,
        to: Query<String>,
        zone: Query<Option<String>>,
    ) -> Result<Json<Availability>> {
        let b = app.public_business(&slug.0).await?;
        let zone = zone.0.unwrap_or(b.time_zone.clone());
        Ok(Json(
            availability_for(
                &app,
                &b.scope,
                service_id.0,
                staff_id.0.as_deref(),
                &from.0,
                &to.0,
                &zone,
            )
            .await?,
        ))
    }

    /// Book
    ///
    /// Send an `Idempotency-Key` to retry safely: a retry from the same
    /// address with the same key and body answers the first result.
    #[oai(path = "/public/:slug/bookings", method = "post")]
    async fn book(
        &self,
        app: Data<&App>,
        req: &Request,
        slug: Path<String>,
        #[oai(name = "Idempotency-Key")] key: Header<Option<String>>,
        body: JsonBody<BookingInput>,
    ) -> Result<BookingCreated> {
        let b = app.public_business(&slug.0).await?;
        let ip = termino_http::client_ip(req);
        let owner = KeyOwner::Address(ip.as_deref());
        book(&app, &b.scope, &b.slug, (owner, key.0), body.0).await
    }

    /// A booking by its manage token
    #[oai(path = "/public/:slug/bookings/:token", method = "get")]
    async fn managed(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        token: Path<String>,
    ) -> Result<Json<ManagedBooking>> {
        let (b, booking) = app.managed_booking(&slug.0, &token.0).await?;
        Ok(Json(managed(b, booking)))
    }

    /// Reschedule (until the business's cutoff)
    #[oai(path = "/public/:slug/bookings/:token/reschedule", method = "post")]
    async fn reschedule(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        token: Path<String>,
        body: JsonBody<Reschedule>,
    ) -> Result<Json<ManagedBooking>> {
        if body.0.staff_id.is_some() {
            return Err(bad(
                "staff_id",
                "not_allowed",
                "clients keep their staff member",
            ));
        }
        app.reschedule_by_client(&slug.0, &token.0, body.0.start.with_timezone(&Utc))
            .await?;
        let (b, booking) = app.managed_booking(&slug.0, &token.0).await?;
        Ok(Json(managed(b, booking)))
    }

    /// Confirm the visit (the client will come)
    ///
    /// Recorded once and shown to the business as "confirmed by client".
    #[oai(path = "/public/:slug/bookings/:token/confirm", method = "post")]
    async fn confirm(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        token: Path<String>,
    ) -> Result<Json<ManagedBooking>> {
        app.confirm_by_client(&slug.0, &token.0).await?;
        let (b, booking) = app.managed_booking(&slug.0, &token.0).await?;
        Ok(Json(managed(b, booking)))
    }

    /// Cancel (until the business's cutoff)
    #[oai(path = "/public/:slug/bookings/:token/cancel", method = "post")]
    async fn cancel(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        token: Path<String>,
        body: JsonBody<Cancellation>,
    ) -> Result<Json<ManagedBooking>> {
        app.cancel_by_client(&slug.0, &token.0, body.0.reason.as_deref())
            .await?;
        let (b, booking) = app.managed_booking(&slug.0, &token.0).await?;
        Ok(Json(managed(b, booking)))
    }
}

fn managed(
    b: termino_app::bookings::PublicBusiness,
    booking: termino_app::bookings::Booking,
) -> ManagedBooking {
    let zone: chrono_tz::Tz = booking.client_zone.parse().unwrap_or(chrono_tz::UTC);
    let until = booking.starts_at - chrono::Duration::hours(i64::from(b.cancellation_cutoff_hours));
    ManagedBooking {
        business: b.name,
        changes_until: until.with_timezone(&zone).fixed_offset(),
        booking: booking.into(),
    }
}
