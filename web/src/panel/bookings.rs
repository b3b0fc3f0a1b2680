//! Today's agenda, one booking with what can be done to it, and a new
//! booking made by the business.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use termino_app::bookings::{Booking, BookingRequest, BookingStatus, ClientDetails};
use termino_app::clients::{ClientRecord, ClientSnapshot};
use termino_app::sms_settings::NoSmsReason;
use termino_app::{App, AppError};
use termino_store::repo::scheduling::BookingFilter;
use uuid::Uuid;

use super::{
    Chrome, Ctx, FormData, FormView, PanelPost, PanelView, date_time, failure_of, time_range,
};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

/// A booking as a line of a list or a block of the calendar.
#[derive(Debug, Clone)]
pub(crate) struct BookingLine {
    pub href: String,
    pub time: String,
    pub client: String,
    pub service: String,
    pub staff: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub staff_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// A cancelled booking: who cancelled it and when, in words (empty
    /// otherwise).
    pub cancelled: String,
}

/// Names of the business's services, staff and clients, to label bookings.
pub(crate) struct Names {
    services: HashMap<Uuid, String>,
    pub staff: Vec<(Uuid, String)>,
    clients: ClientSnapshot,
}

impl Names {
    pub async fn load(ctx: &Ctx, app: &App) -> Result<Self, AppError> {
        let scope = ctx.principal.tenant;
        let services = app
            .services_of(&scope, false)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let staff = app
            .staff_of(&scope, false)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect();
        let clients = app.client_snapshot(&ctx.principal).await?;
        Ok(Self {
            services,
            staff,
            clients,
        })
    }

    pub fn client(&self, u: &Ui, id: Uuid) -> String {
        client_name(u, self.clients.get(id))
    }

    pub fn staff_name(&self, id: Uuid) -> String {
        self.staff
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    }

    pub fn line(&self, ctx: &Ctx, b: &Booking) -> BookingLine {
        BookingLine {
            href: format!("/app/bookings/{}", b.id),
            time: time_range(ctx, b.starts_at, b.ends_at),
            client: self.client(ctx.u, b.client_id),
            service: self
                .services
                .get(&b.service_id)
                .cloned()
                .unwrap_or_default(),
            staff: self.staff_name(b.staff_id),
            status: ui::status_name(ctx.u, b.status.as_str()),
            status_code: b.status.as_str(),
            staff_id: b.staff_id,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            cancelled: cancelled_text(ctx, b),
        }
    }
}

/// "Cancelled by the client, Monday, 7 December 2026, 14:05" (the time
/// when it is known); empty for a booking that is not cancelled.
pub(crate) fn cancelled_text(ctx: &Ctx, b: &Booking) -> String {
    if b.status != BookingStatus::Cancelled {
        return String::new();
    }
    let u = ctx.u;
    let mut text = u.cancelled_by.to_string();
    if let Some(by) = &b.cancelled_by {
        text = format!("{text} {}", ui::who_cancelled(u, by));
    }
    if let Some(at) = b.cancelled_at {
        text = format!("{text}, {}", date_time(ctx, at));
    }
    text
}

/// Whether cancelled bookings are shown (`?cancelled=hide` hides them).
pub(crate) fn shows_cancelled(req: &Request) -> bool {
    !req.uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "cancelled=hide"))
}

pub(crate) fn client_name(u: &Ui, record: Option<&ClientRecord>) -> String {
    match record {
        Some(ClientRecord::Readable(c)) => c.name.clone(),
        _ => u.erased.to_string(),
    }
}

/// Local midnight of `date` in the business's zone.
pub(crate) fn midnight(ctx: &Ctx, date: NaiveDate) -> DateTime<Utc> {
    local_to_utc(ctx, date, NaiveTime::MIN)
        .unwrap_or_else(|| Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
}

/// A wall-clock time of the business's zone (the earlier one when the
/// clocks go back; `None` in the hour that does not exist).
pub(crate) fn local_to_utc(ctx: &Ctx, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    ctx.zone
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) async fn bookings_between(
    ctx: &Ctx,
    app: &App,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    staff: Option<Uuid>,
) -> Result<Vec<Booking>, AppError> {
    app.bookings(
        &ctx.principal,
        BookingFilter {
            from: Some(from),
            to: Some(to),
            staff_id: staff,
            limit: 1000,
            ..BookingFilter::default()
        },
    )
    .await
}

// ---------------------------------------------------------------- today

#[derive(Template)]
#[template(path = "panel_today.html")]
struct TodayPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    date: String,
    lines: Vec<BookingLine>,
    to_approve: Vec<(BookingLine, String)>,
    needs_services: bool,
    needs_staff: bool,
    booking_url: String,
    embed_code: String,
    /// Whether cancelled bookings are listed, and the link that flips it.
    show_cancelled: bool,
    cancelled_toggle: String,
    changes: Vec<super::changes::ChangeLine>,
}

#[handler]
pub async fn today(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let today = ctx.today(&app);
    let from = midnight(&ctx, today);
    let to = midnight(&ctx, today + Duration::days(1));
    let loaded = async {
        let names = Names::load(&ctx, &app).await?;
        let day = bookings_between(&ctx, &app, from, to, None).await?;
        let requested = app
            .bookings(
                &ctx.principal,
                BookingFilter {
                    from: Some(app.now()),
                    status: Some("requested".into()),
                    limit: 50,
                    ..BookingFilter::default()
                },
            )
            .await?;
        let services = app.services_of(&ctx.principal.tenant, false).await?;
        let changes = app
            .recent_changes(&ctx.principal, super::changes::ON_TODAY)
            .await?;
        Ok::<_, AppError>((names, day, requested, services.is_empty(), changes))
    }
    .await;
    let (names, day, requested, no_services, changes) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let public = app.config().public_url.trim_end_matches('/').to_string();
    let shown = shows_cancelled(req);
    let page = TodayPage {
        t: ctx.t(),
        u: ctx.u,
        sw: ctx.sw(),
        c: ctx.chrome("today", req),
        date: ui::long_date(ctx.p.lang, today),
        lines: day
            .iter()
            .filter(|b| shown || b.status != BookingStatus::Cancelled)
            .map(|b| names.line(&ctx, b))
            .collect(),
        show_cancelled: shown,
        cancelled_toggle: if shown {
            "/app?cancelled=hide".into()
        } else {
            "/app".into()
        },
        changes: changes
            .iter()
            .map(|c| super::changes::ChangeLine::of(&ctx, &names, c))
            .collect(),
        to_approve: requested
            .iter()
            .map(|b| (names.line(&ctx, b), date_time(&ctx, b.starts_at)))
            .collect(),
        needs_services: no_services,
        needs_staff: names.staff.is_empty(),
        booking_url: format!("{public}/b/{}", ctx.business.slug),
        embed_code: format!(
            "<script src=\"{public}/embed.js\" data-business=\"{}\"></script>",
            ctx.business.slug
        ),
    };
    ctx.html(StatusCode::OK, &page)
}

// ------------------------------------------------------------ one booking

#[derive(Template)]
#[template(path = "panel_booking.html")]
struct BookingPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    line: BookingLine,
    when: String,
    client_href: String,
    notes: Option<String>,
    cancel_reason: Option<String>,
    cancelled_by: Option<String>,
    cancelled_at: Option<String>,
    /// When the client confirmed from the manage link.
    confirmed_by_client: Option<String>,
    actions: Vec<FormView>,
    move_form: Option<FormView>,
    error: Option<String>,
    payments: Vec<String>,
    /// The booking's text messages, one line each with its status.
    sms: Vec<SmsLine>,
    /// When none was or will be sent, why (or that one will go).
    sms_note: Option<&'static str>,
}

struct SmsLine {
    status: &'static str,
    status_code: String,
    text: String,
    error: Option<String>,
}

fn sms_note(u: &Ui, reason: Option<NoSmsReason>) -> &'static str {
    match reason {
        Some(NoSmsReason::Off) => u.sms_none_off,
        Some(NoSmsReason::NoConsent) => u.sms_none_no_consent,
        Some(NoSmsReason::NotMobile) => u.sms_none_not_mobile,
        Some(NoSmsReason::LimitReached) => u.sms_none_limit,
        Some(NoSmsReason::NotPlanned) => u.sms_none_not_planned,
        None => u.sms_will_go,
    }
}

async fn booking_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    status: StatusCode,
    move_input: Option<(&FormData, &Failure)>,
    status_failure: Option<&Failure>,
) -> Response {
    let loaded = async {
        let booking = app.booking(&ctx.principal, id).await?;
        let names = Names::load(&ctx, app).await?;
        let payments = app.booking_payments(&ctx.principal, id).await?;
        let sms = app.booking_sms_overview(&ctx.principal, id).await?;
        Ok::<_, AppError>((booking, names, payments, sms))
    }
    .await;
    let (booking, names, payments, sms) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let u = ctx.u;
    let base = format!("/app/bookings/{id}/status");
    let action = |submit: &'static str, what: &str| {
        FormView::new(base.clone(), submit, Vec::new())
            .hidden("action", what)
            .inline()
            .quiet()
    };
    let reason = |prefix: &'static str| {
        Field::new("reason", u.reason, "text")
            .optional()
            .prefixed(prefix)
    };
    let mut actions = Vec::new();
    match booking.status {
        BookingStatus::Requested => {
            let mut approve = action(u.approve, "approve");
            approve.button_class = "button--primary";
            actions.push(approve);
            let mut decline = FormView::new(base.clone(), u.decline, vec![reason("decline-")])
                .hidden("action", "decline")
                .danger();
            decline.inline = false;
            actions.push(decline);
        }
        BookingStatus::Confirmed | BookingStatus::AwaitingPayment => {
            if booking.starts_at <= app.now() {
                actions.push(action(u.mark_completed, "completed"));
                actions.push(action(u.mark_no_show, "no_show"));
            }
            actions.push(
                FormView::new(base.clone(), u.cancel_title, vec![reason("cancel-")])
                    .hidden("action", "cancel")
                    .danger(),
            );
        }
        _ => {}
    }
    let open = matches!(
        booking.status,
        BookingStatus::Requested | BookingStatus::Confirmed | BookingStatus::AwaitingPayment
    );
    let move_form = open.then(|| {
        let local = ctx.local(booking.starts_at);
        let (date, time, staff) = match move_input {
            Some((form, _)) => (
                form.get("date").to_string(),
                form.get("time").to_string(),
                form.get("staff").to_string(),
            ),
            None => (
                local.date_naive().to_string(),
                local.format("%H:%M").to_string(),
                booking.staff_id.to_string(),
            ),
        };
        let staff_choices: Vec<(String, String)> = names
            .staff
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect();
        FormView::new(
            format!("/app/bookings/{id}/move"),
            u.move_booking,
            vec![
                Field::new("date", u.date, "date").value(date),
                Field::new("time", u.time, "time").value(time),
                Field::new("staff", u.staff_member, "text")
                    .value(staff)
                    .choices(&staff_choices),
            ],
        )
        .with_failure(move_input.map(|(_, f)| f))
    });
    let upcoming = booking.status == BookingStatus::Confirmed && booking.starts_at > app.now();
    let line = names.line(&ctx, &booking);
    let page = BookingPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("calendar", req),
        when: format!(
            "{}, {}",
            ui::long_date(ctx.p.lang, ctx.local(booking.starts_at).date_naive()),
            line.time
        ),
        client_href: format!("/app/clients/{}", booking.client_id),
        line,
        notes: booking.notes.clone(),
        cancel_reason: booking.cancel_reason.clone(),
        cancelled_by: booking
            .cancelled_by
            .as_deref()
            .map(|by| ui::who_cancelled(u, by).to_string()),
        cancelled_at: booking.cancelled_at.map(|at| date_time(&ctx, at)),
        confirmed_by_client: booking
            .confirmed_by_client_at
            .map(|at| ctx.local(at).format("%Y-%m-%d %H:%M").to_string()),
        actions,
        move_form,
        error: status_failure.and_then(|f| f.form_error.clone()),
        payments: payments
            .iter()
            .map(|p| {
                format!(
                    "{} · {} · {}",
                    ui::money(ctx.p.lang, p.amount_minor, &p.currency),
                    p.provider,
                    payment_state(u, &p.status)
                )
            })
            .collect(),
        sms: sms
            .messages
            .iter()
            .map(|m| SmsLine {
                status: match m.status.as_str() {
                    "queued" => u.sms_status_queued,
                    "sent" => u.sms_status_sent,
                    "delivered" => u.sms_status_delivered,
                    _ => u.sms_status_failed,
                },
                status_code: m.status.clone(),
                text: format!(
                    "{} · {} {}",
                    super::date_time(&ctx, m.sent_at.unwrap_or(m.created_at)),
                    m.segments,
                    u.sms_parts
                ),
                error: (m.status == "failed").then(|| m.error.clone()).flatten(),
            })
            .collect(),
        // "It will go" only of an upcoming confirmed booking.
        sms_note: (sms.messages.is_empty() && (sms.none_because.is_some() || upcoming))
            .then(|| sms_note(u, sms.none_because)),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelView(ctx): PanelView,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    booking_page(ctx, req, &app, id, StatusCode::OK, None, None).await
}

#[handler]
pub async fn move_booking(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    let date = form.get("date").parse::<NaiveDate>();
    let time = NaiveTime::parse_from_str(form.get("time"), "%H:%M");
    let staff = form.get("staff").parse::<Uuid>().ok();
    let result = match (date, time) {
        (Err(_), _) => Err(AppError::invalid("date", "invalid_date", "not a date")),
        (_, Err(_)) => Err(AppError::invalid("time", "invalid_time", "not a time")),
        (Ok(date), Ok(time)) => match local_to_utc(&ctx, date, time) {
            None => Err(AppError::invalid("time", "invalid_time", "no such time")),
            Some(start) => app
                .reschedule_booking(&ctx.principal, id, start, staff)
                .await
                .map(|_| ()),
        },
    };
    match result {
        Ok(()) => ctx.redirect(&format!("/app/bookings/{id}?saved=1")),
        Err(err) => {
            let mut failure = failure_of(ctx.t(), err);
            for (field, _) in failure.fields.0.iter_mut() {
                if field == "start" {
                    *field = "time".into();
                } else if field == "staff_id" {
                    *field = "staff".into();
                }
            }
            let status = failure.status;
            booking_page(ctx, req, &app, id, status, Some((&form, &failure)), None).await
        }
    }
}

#[handler]
pub async fn set_status(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    let reason = form.opt("reason");
    let to = match form.get("action") {
        "approve" => BookingStatus::Confirmed,
        "decline" | "cancel" => BookingStatus::Cancelled,
        "completed" => BookingStatus::Completed,
        "no_show" => BookingStatus::NoShow,
        _ => {
            let f = failure_of(
                ctx.t(),
                AppError::invalid("action", "invalid_format", "unknown action"),
            );
            return booking_page(ctx, req, &app, id, f.status, None, Some(&f)).await;
        }
    };
    match app
        .change_booking_status(&ctx.principal, id, to, reason.as_deref())
        .await
    {
        Ok(_) => ctx.redirect(&format!("/app/bookings/{id}?saved=1")),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let mut f = f;
            if !f.fields.0.is_empty() {
                let text: Vec<String> = f.fields.0.iter().map(|(_, t)| t.clone()).collect();
                f.form_error = Some(text.join(" "));
            }
            booking_page(ctx, req, &app, id, f.status, None, Some(&f)).await
        }
    }
}

// ------------------------------------------------------------ new booking

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewQuery {
    service: String,
    staff: String,
    date: String,
    time: String,
    client: String,
}

#[derive(Debug, Clone)]
struct SlotOption {
    value: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "panel_new_booking.html")]
struct NewBookingPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    finder: Vec<Field>,
    slots: Option<Vec<SlotOption>>,
    service: String,
    staff: String,
    date: String,
    client_fields: Vec<Field>,
    new_client_fields: Vec<Field>,
    notes: Field,
    error: Option<String>,
    slot_error: Option<String>,
}

async fn new_booking_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    q: &NewQuery,
    form: Option<&FormData>,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let u = ctx.u;
    let scope = ctx.principal.tenant;
    let loaded = async {
        let services = app.services_of(&scope, true).await?;
        let staff = app.staff_of(&scope, true).await?;
        let clients = app.clients(&ctx.principal, None, None, 200).await?;
        Ok::<_, AppError>((services, staff, clients))
    }
    .await;
    let (services, staff, clients) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let service_choices: Vec<(String, String)> = services
        .iter()
        .map(|s| (s.id.to_string(), s.name.clone()))
        .collect();
    let mut staff_choices: Vec<(String, String)> = vec![("any".into(), u.anyone.into())];
    staff_choices.extend(staff.iter().map(|m| (m.id.to_string(), m.name.clone())));
    let date = if q.date.is_empty() {
        ctx.today(app).to_string()
    } else {
        q.date.clone()
    };
    let finder = vec![
        Field::new("service", u.service, "text")
            .value(&q.service)
            .choices(&service_choices),
        Field::new("staff", u.staff_member, "text")
            .value(if q.staff.is_empty() { "any" } else { &q.staff })
            .choices(&staff_choices),
        Field::new("date", u.date, "date").value(&date),
    ];
    let service_id = q.service.parse::<Uuid>().ok();
    let staff_id = q.staff.parse::<Uuid>().ok();
    let mut slots = None;
    if let (Some(service_id), Ok(day)) = (service_id, date.parse::<NaiveDate>()) {
        match app
            .availability(&scope, service_id, staff_id, day, day, ctx.zone)
            .await
        {
            Ok(found) => {
                let chosen = form.map(|f| f.get("start").to_string());
                slots = Some(
                    found
                        .iter()
                        .map(|s| {
                            let value = s.start.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                            let label = ctx.local(s.start).format("%H:%M").to_string();
                            SlotOption {
                                checked: match &chosen {
                                    Some(c) => *c == value,
                                    None => !q.time.is_empty() && q.time == label,
                                },
                                value,
                                label,
                            }
                        })
                        .collect(),
                );
            }
            Err(AppError::NotFound) => {}
            Err(err) => return ctx.failure(err),
        }
    }
    let mut client_choices: Vec<(String, String)> = vec![(String::new(), "—".into())];
    client_choices.extend(clients.items.iter().filter_map(|r| match r {
        ClientRecord::Readable(c) => Some((c.id.to_string(), c.name.clone())),
        _ => None,
    }));
    let value = |name: &str| form.map(|f| f.get(name).to_string()).unwrap_or_default();
    let client_value = form
        .map(|f| f.get("client").to_string())
        .unwrap_or_else(|| q.client.clone());
    let mut client_fields = vec![
        Field::new("client", u.existing_client, "text")
            .value(client_value)
            .choices(&client_choices)
            .optional(),
    ];
    let mut new_client_fields = vec![
        Field::new("name", u.your_name, "text")
            .value(value("name"))
            .optional(),
        Field::new("email", u.your_email, "email")
            .value(value("email"))
            .optional(),
        Field::new("phone", u.your_phone, "tel")
            .value(value("phone"))
            .optional(),
    ];
    let mut notes = Field::new("notes", u.your_notes, "textarea")
        .value(value("notes"))
        .optional();
    let mut error = None;
    let mut slot_error = None;
    if let Some(f) = failure {
        slot_error = f
            .fields
            .0
            .iter()
            .find(|(k, _)| k == "start")
            .map(|(_, t)| t.clone());
        let mut all: Vec<Field> = client_fields
            .drain(..)
            .chain(new_client_fields.drain(..))
            .chain(std::iter::once(notes.clone()))
            .collect();
        let mut rest = f.fields.clone();
        rest.0.retain(|(k, _)| k != "start");
        let shown = Failure {
            status: f.status,
            form_error: f.form_error.clone(),
            fields: rest,
            retry_after: None,
        };
        error = shown.apply(&mut all);
        notes = all.pop().unwrap_or(notes);
        new_client_fields = all.split_off(1);
        client_fields = all;
    }
    let page = NewBookingPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("calendar", req),
        finder,
        slots,
        service: q.service.clone(),
        staff: q.staff.clone(),
        date,
        client_fields,
        new_client_fields,
        notes,
        error,
        slot_error,
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn new_form(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let q: NewQuery = req.params().unwrap_or_default();
    new_booking_page(ctx, req, &app, &q, None, StatusCode::OK, None).await
}

#[handler]
pub async fn create(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let q = NewQuery {
        service: form.get("service").to_string(),
        staff: form.get("staff").to_string(),
        date: form.get("date").to_string(),
        time: String::new(),
        client: String::new(),
    };
    let result = async {
        let service_id = form
            .get("service")
            .parse::<Uuid>()
            .map_err(|_| AppError::invalid("service", "required", "choose a service"))?;
        let start = DateTime::parse_from_rfc3339(form.get("start"))
            .map(|s| s.with_timezone(&Utc))
            .map_err(|_| AppError::invalid("start", "required", "choose a time"))?;
        let client = match form.get("client").parse::<Uuid>() {
            Ok(id) => match app.client(&ctx.principal, id).await? {
                ClientRecord::Readable(c) => ClientDetails {
                    name: c.name,
                    email: c.email,
                    phone: c.phone,
                    notes: form.opt("notes"),
                    marketing_consent: false,
                    sms_consent: false,
                    language: None,
                },
                _ => return Err(AppError::invalid("client", "required", "choose a client")),
            },
            Err(_) => ClientDetails {
                name: form.get("name").to_string(),
                email: form.opt("email"),
                phone: form.opt("phone"),
                notes: form.opt("notes"),
                marketing_consent: false,
                sms_consent: false,
                language: None,
            },
        };
        app.book_by(
            &ctx.principal.tenant,
            BookingRequest {
                service_id,
                staff_id: form.get("staff").parse::<Uuid>().ok(),
                start,
                client_zone: ctx.business.time_zone.clone(),
                client,
            },
            None,
            termino_app::changes::actor_of(&ctx.principal),
        )
        .await
    }
    .await;
    match result {
        Ok(created) => ctx.redirect(&format!("/app/bookings/{}?saved=1", created.booking.id)),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            new_booking_page(ctx, req, &app, &q, Some(&form), status, Some(&f)).await
        }
    }
}

fn payment_state(u: &Ui, status: &str) -> &'static str {
    match status {
        "pending" => u.payment_pending,
        "paid" => u.payment_paid,
        "expired" => u.payment_expired,
        "refund_due" | "refunding" => u.payment_refund_due,
        _ => u.payment_refunded,
    }
}
