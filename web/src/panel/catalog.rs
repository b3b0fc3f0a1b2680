//! Services, staff with their hours and days off, and closures.

use askama::Template;
use chrono::{Duration, NaiveDate};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::catalog::{ServiceInput, StaffInput, WEEKDAYS, format_clock};
use termino_app::{App, AppError};
use termino_domain::ValidationErrors;
use uuid::Uuid;

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of, parse_int};
use crate::http::CookiePolicy;
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

const CURRENCIES: [&str; 5] = ["PLN", "EUR", "USD", "GBP", "CZK"];

/// How far ahead the staff page lists days off.
const DAYS_OFF_AHEAD: i64 = 365;

#[derive(Debug, Clone)]
struct Line {
    href: String,
    title: String,
    meta: String,
}

#[derive(Template)]
#[template(path = "panel_list.html")]
struct ListPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    title: &'static str,
    lead: &'static str,
    new_href: Option<(&'static str, &'static str)>,
    lines: Vec<Line>,
    forms: Vec<(String, FormView)>,
}

#[derive(Template)]
#[template(path = "panel_form_page.html")]
struct FormPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    title: String,
    form: FormView,
}

// -------------------------------------------------------------- services

#[handler]
pub async fn services(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let services = match app.services_of(&ctx.principal.tenant, false).await {
        Ok(s) => s,
        Err(err) => return ctx.failure(err),
    };
    let (u, lang) = (ctx.u, ctx.p.lang);
    let page = ListPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("services", req),
        title: u.services_title,
        lead: "",
        new_href: Some(("/app/services/new", u.new_service)),
        lines: services
            .iter()
            .map(|s| Line {
                href: format!("/app/services/{}", s.id),
                title: s.name.clone(),
                meta: format!(
                    "{} {} · {}{}",
                    s.duration_min,
                    u.minutes,
                    ui::money(lang, s.price_minor, &s.currency),
                    if s.active {
                        String::new()
                    } else {
                        format!(" · {}", u.inactive)
                    }
                ),
            })
            .collect(),
        forms: Vec::new(),
    };
    ctx.html(StatusCode::OK, &page)
}

fn service_defaults() -> FormData {
    FormData(
        [
            ("duration_min", "60"),
            ("price", "0"),
            ("currency", "PLN"),
            ("buffer_before_min", "0"),
            ("buffer_after_min", "0"),
            ("min_notice_min", "60"),
            ("max_advance_days", "90"),
            ("step_min", "15"),
            ("capacity", "1"),
            ("payment_mode", "none"),
            ("active", "on"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
    )
}

fn service_fields(u: &Ui, form: &FormData, staff: &[(Uuid, String)]) -> Vec<Field> {
    let num = |name: &'static str, label: &'static str| {
        Field::new(name, label, "number").value(form.get(name))
    };
    let currencies: Vec<(&str, &str)> = CURRENCIES.iter().map(|c| (*c, *c)).collect();
    let chosen = form.all("staff_ids");
    vec![
        Field::new("name", u.service_name, "text").value(form.get("name")),
        Field::new("description", u.description, "textarea")
            .value(form.get("description"))
            .optional(),
        num("duration_min", u.duration_min),
        Field::new("price", u.price_label, "text")
            .value(form.get("price"))
            .autocomplete("off"),
        Field::new("currency", u.currency, "text")
            .value(form.get("currency"))
            .choices(&currencies),
        num("buffer_before_min", u.buffer_before),
        num("buffer_after_min", u.buffer_after),
        num("min_notice_min", u.min_notice),
        num("max_advance_days", u.max_advance),
        num("step_min", u.step),
        num("capacity", u.capacity),
        Field::checkboxes(
            "staff_ids",
            u.performed_by,
            staff
                .iter()
                .map(|(id, name)| {
                    let id = id.to_string();
                    let on = chosen.contains(&id.as_str());
                    (id, name.clone(), on)
                })
                .collect(),
        ),
        Field::new("payment_mode", u.payment_mode, "text")
            .value(form.get("payment_mode"))
            .choices(&[
                ("none", u.payment_none),
                ("deposit", u.payment_deposit),
                ("full", u.payment_full),
            ]),
        Field::new("deposit_amount", u.deposit_amount, "text")
            .value(form.get("deposit_amount"))
            .optional(),
        Field::new("deposit_percent", u.deposit_percent, "number")
            .value(form.get("deposit_percent"))
            .optional(),
        Field::checkbox(
            "requires_approval",
            u.requires_approval,
            form.on("requires_approval"),
        ),
        Field::checkbox("active", u.active, form.on("active")),
    ]
}

fn service_input(form: &FormData) -> Result<ServiceInput, AppError> {
    let mut errors = ValidationErrors::new();
    let price_minor = match ui::parse_money(form.get("price")) {
        Some(p) => p,
        None => {
            errors.add("price", "invalid_amount", "not an amount");
            0
        }
    };
    let input = ServiceInput {
        name: form.get("name").to_string(),
        description: form.get("description").to_string(),
        duration_min: parse_int(&mut errors, form, "duration_min"),
        price_minor,
        currency: form.get("currency").to_string(),
        buffer_before_min: parse_int(&mut errors, form, "buffer_before_min"),
        buffer_after_min: parse_int(&mut errors, form, "buffer_after_min"),
        min_notice_min: parse_int(&mut errors, form, "min_notice_min"),
        max_advance_days: parse_int(&mut errors, form, "max_advance_days"),
        step_min: parse_int(&mut errors, form, "step_min"),
        capacity: parse_int(&mut errors, form, "capacity"),
        requires_approval: form.on("requires_approval"),
        active: form.on("active"),
        staff_ids: form
            .all("staff_ids")
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect(),
        payment_mode: match form.get("payment_mode") {
            "" => "none".into(),
            other => other.to_string(),
        },
        deposit_minor: match form.opt("deposit_amount") {
            Some(text) => match ui::parse_money(&text) {
                Some(v) => Some(v),
                None => {
                    errors.add("deposit_amount", "invalid_amount", "not an amount");
                    None
                }
            },
            None => None,
        },
        deposit_percent: match form.opt("deposit_percent") {
            Some(text) => match text.trim_end_matches('%').trim().parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.add("deposit_percent", "invalid_number", "not a whole number");
                    None
                }
            },
            None => None,
        },
    };
    errors.into_result()?;
    Ok(input)
}

async fn staff_names(ctx: &Ctx, app: &App) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(app
        .staff_of(&ctx.principal.tenant, false)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn service_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    title: String,
    action: String,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let staff = match staff_names(&ctx, app).await {
        Ok(s) => s,
        Err(err) => return ctx.failure(err),
    };
    let u = ctx.u;
    let mut failure_fields = failure.map(|f| Failure {
        status: f.status,
        form_error: f.form_error.clone(),
        fields: f.fields.clone(),
        retry_after: None,
    });
    if let Some(f) = failure_fields.as_mut() {
        for (field, _) in f.fields.0.iter_mut() {
            if field == "price_minor" {
                *field = "price".into();
            } else if field == "deposit_minor" {
                *field = "deposit_amount".into();
            }
        }
    }
    let page = FormPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("services", req),
        title,
        form: FormView::new(action, u.save, service_fields(u, form, &staff))
            .with_failure(failure_fields.as_ref()),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn new_service(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let mut form = service_defaults();
    // A new service is done by everyone until the owner says otherwise.
    if let Ok(staff) = staff_names(&ctx, &app).await {
        for (id, _) in staff {
            form.0.push(("staff_ids".into(), id.to_string()));
        }
    }
    let title = ctx.u.new_service.to_string();
    service_page(
        ctx,
        req,
        &app,
        title,
        "/app/services/new".into(),
        &form,
        StatusCode::OK,
        None,
    )
    .await
}

#[handler]
pub async fn create_service(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = match service_input(&form) {
        Ok(input) => app.create_service(&ctx.principal, input).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => ctx.redirect("/app/services?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let title = ctx.u.new_service.to_string();
            service_page(
                ctx,
                req,
                &app,
                title,
                "/app/services/new".into(),
                &form,
                f.status,
                Some(&f),
            )
            .await
        }
    }
}

#[handler]
pub async fn service(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelView(ctx): PanelView,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    let s = match app.service(&ctx.principal.tenant, id).await {
        Ok(s) => s,
        Err(err) => return ctx.failure(err),
    };
    let mut pairs: Vec<(String, String)> = vec![
        ("name".into(), s.name.clone()),
        ("description".into(), s.description.clone()),
        ("duration_min".into(), s.duration_min.to_string()),
        (
            "price".into(),
            format!("{}.{:02}", s.price_minor / 100, s.price_minor % 100),
        ),
        ("currency".into(), s.currency.clone()),
        ("buffer_before_min".into(), s.buffer_before_min.to_string()),
        ("buffer_after_min".into(), s.buffer_after_min.to_string()),
        ("min_notice_min".into(), s.min_notice_min.to_string()),
        ("max_advance_days".into(), s.max_advance_days.to_string()),
        ("step_min".into(), s.step_min.to_string()),
        ("capacity".into(), s.capacity.to_string()),
        ("payment_mode".into(), s.payment_mode.clone()),
        (
            "deposit_amount".into(),
            s.deposit_minor
                .map(|m| format!("{}.{:02}", m / 100, m % 100))
                .unwrap_or_default(),
        ),
        (
            "deposit_percent".into(),
            s.deposit_percent.map(|p| p.to_string()).unwrap_or_default(),
        ),
    ];
    if s.requires_approval {
        pairs.push(("requires_approval".into(), "on".into()));
    }
    if s.active {
        pairs.push(("active".into(), "on".into()));
    }
    for id in &s.staff_ids {
        pairs.push(("staff_ids".into(), id.to_string()));
    }
    service_page(
        ctx,
        req,
        &app,
        s.name.clone(),
        format!("/app/services/{id}"),
        &FormData(pairs),
        StatusCode::OK,
        None,
    )
    .await
}

#[handler]
pub async fn update_service(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    let result = match service_input(&form) {
        Ok(input) => app.update_service(&ctx.principal, id, input).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => ctx.redirect("/app/services?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let title = form.get("name").to_string();
            service_page(
                ctx,
                req,
                &app,
                title,
                format!("/app/services/{id}"),
                &form,
                f.status,
                Some(&f),
            )
            .await
        }
    }
}

// ----------------------------------------------------------------- staff

fn week_text(intervals: &[(u16, u16)]) -> String {
    intervals
        .iter()
        .map(|(s, e)| format!("{}-{}", format_clock(*s), format_clock(*e)))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn staff_list_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let members = match app.staff_of(&ctx.principal.tenant, false).await {
        Ok(m) => m,
        Err(err) => return ctx.failure(err),
    };
    let u = ctx.u;
    let lang = ctx.p.lang;
    let page = ListPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("staff", req),
        title: u.staff_title,
        lead: "",
        new_href: None,
        lines: members
            .iter()
            .map(|m| {
                let days: Vec<String> = m
                    .week
                    .0
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| !d.is_empty())
                    .map(|(i, d)| {
                        let day =
                            chrono::Weekday::try_from(i as u8).unwrap_or(chrono::Weekday::Mon);
                        format!("{} {}", ui::weekday_short(lang, day), week_text(d))
                    })
                    .collect();
                Line {
                    href: format!("/app/staff/{}", m.id),
                    title: m.name.clone(),
                    meta: if m.active {
                        days.join("; ")
                    } else {
                        u.inactive.to_string()
                    },
                }
            })
            .collect(),
        forms: vec![(
            u.new_staff.to_string(),
            FormView::new(
                "/app/staff",
                u.add,
                vec![Field::new("name", u.staff_name, "text").value(form.get("name"))],
            )
            .with_failure(failure),
        )],
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn staff_list(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    staff_list_page(ctx, req, &app, &FormData::default(), StatusCode::OK, None).await
}

#[handler]
pub async fn create_staff(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let input = StaffInput {
        name: form.get("name").to_string(),
        user_id: None,
        time_zone: None,
        active: true,
    };
    match app.create_staff(&ctx.principal, input).await {
        // Next: their hours.
        Ok(m) => ctx.redirect(&format!("/app/staff/{}?saved=1", m.id)),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            staff_list_page(ctx, req, &app, &form, f.status, Some(&f)).await
        }
    }
}

#[derive(Debug, Clone)]
struct DayOff {
    label: String,
    form: FormView,
}

#[derive(Template)]
#[template(path = "panel_staff.html")]
struct StaffPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    name: String,
    edit: FormView,
    hours: FormView,
    day_off: FormView,
    days_off: Vec<DayOff>,
    /// This staff member's calendars (feeds and their own calendar).
    calendars_href: String,
}

/// Which of the staff page's forms was posted, with what and what failed.
enum Posted<'a> {
    None,
    Edit(&'a FormData, &'a Failure),
    Hours(&'a FormData, &'a Failure),
    DayOff(&'a FormData, &'a Failure),
}

async fn staff_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    status: StatusCode,
    posted: Posted<'_>,
) -> Response {
    let scope = ctx.principal.tenant;
    let today = ctx.today(app);
    let loaded = async {
        let member = app.staff_member(&scope, id).await?;
        let overrides = app
            .day_overrides(&scope, &[id], today, today + Duration::days(DAYS_OFF_AHEAD))
            .await?;
        Ok::<_, AppError>((member, overrides))
    }
    .await;
    let (member, overrides) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let (u, lang) = (ctx.u, ctx.p.lang);
    let saved_edit = FormData(
        [
            ("name".to_string(), member.name.clone()),
            (
                "active".to_string(),
                if member.active { "on" } else { "" }.to_string(),
            ),
        ]
        .into(),
    );
    let saved_hours = FormData(
        WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let intervals = member.week.0.get(i).cloned().unwrap_or_default();
                (day.to_string(), week_text(&intervals))
            })
            .collect(),
    );
    let empty = FormData::default();
    let (edit_values, edit_failure) = match &posted {
        Posted::Edit(f, e) => (*f, Some(*e)),
        _ => (&saved_edit, None),
    };
    let (hours_values, hours_failure) = match &posted {
        Posted::Hours(f, e) => (*f, Some(*e)),
        _ => (&saved_hours, None),
    };
    let (off_values, off_failure) = match &posted {
        Posted::DayOff(f, e) => (*f, Some(*e)),
        _ => (&empty, None),
    };
    let edit = FormView::new(
        format!("/app/staff/{id}"),
        u.save,
        vec![
            Field::new("name", u.staff_name, "text")
                .value(edit_values.get("name"))
                .prefixed("edit-"),
            Field::checkbox("active", u.staff_active, edit_values.on("active")).prefixed("edit-"),
        ],
    )
    .with_failure(edit_failure);
    let hours = FormView::new(
        format!("/app/staff/{id}/hours"),
        u.save,
        WEEKDAYS
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let weekday = chrono::Weekday::try_from(i as u8).unwrap_or(chrono::Weekday::Mon);
                let mut f = Field::new(day, ui::weekday_name(lang, weekday), "text")
                    .value(hours_values.get(day))
                    .optional()
                    .autocomplete("off");
                if i == 0 {
                    f = f.hint(u.working_hours_hint);
                }
                f
            })
            .collect(),
    )
    .with_failure(hours_failure);
    let day_off = FormView::new(
        format!("/app/staff/{id}/days-off"),
        u.add,
        vec![
            Field::new("date", u.date, "date")
                .value(off_values.get("date"))
                .prefixed("off-"),
            Field::new("hours", u.day_off_hours, "text")
                .value(off_values.get("hours"))
                .optional()
                .prefixed("off-"),
        ],
    )
    .with_failure(off_failure);
    let days_off = overrides
        .iter()
        .map(|(_, o)| {
            let hours: Vec<(u16, u16)> = o.intervals.iter().map(|i| (i.start(), i.end())).collect();
            DayOff {
                label: format!(
                    "{}: {}",
                    ui::long_date(lang, o.date),
                    if hours.is_empty() {
                        u.day_off.to_string()
                    } else {
                        week_text(&hours)
                    }
                ),
                form: FormView::new(
                    format!("/app/staff/{id}/days-off/{}/delete", o.date),
                    u.remove,
                    Vec::new(),
                )
                .quiet()
                .inline(),
            }
        })
        .collect();
    let page = StaffPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("staff", req),
        name: member.name.clone(),
        edit,
        hours,
        day_off,
        days_off,
        calendars_href: format!("/app/calendar-feeds#staff-{id}"),
    };
    ctx.html(status, &page)
}

fn staff_id(ctx: Ctx, id: &str) -> Result<(Ctx, Uuid), Response> {
    match id.parse::<Uuid>() {
        Ok(id) => Ok((ctx, id)),
        Err(_) => Err(ctx.failure(AppError::NotFound)),
    }
}

#[handler]
pub async fn staff_member(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    let (ctx, id) = match Ctx::load(req, &app, *policy.0).await {
        Ok(ctx) => match staff_id(ctx, &id) {
            Ok(v) => v,
            Err(resp) => return resp,
        },
        Err(resp) => return resp,
    };
    staff_page(ctx, req, &app, id, StatusCode::OK, Posted::None).await
}

#[handler]
pub async fn update_staff(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let (ctx, id) = match staff_id(ctx, &id) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let input = StaffInput {
        name: form.get("name").to_string(),
        user_id: None,
        time_zone: None,
        active: form.on("active"),
    };
    match app.update_staff(&ctx.principal, id, input).await {
        Ok(_) => ctx.redirect(&format!("/app/staff/{id}?saved=1")),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            staff_page(ctx, req, &app, id, f.status, Posted::Edit(&form, &f)).await
        }
    }
}

/// "09:00-13:00, 14:00-18:00" as pairs of clock times.
fn parse_hours(errors: &mut ValidationErrors, field: &str, text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in text
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let normalised = part.replace(['–', '—'], "-");
        match normalised.split_once('-') {
            Some((s, e)) => out.push((s.trim().to_string(), e.trim().to_string())),
            None => {
                errors.add(field, "invalid_hours", "hours are written 09:00-17:00");
                return Vec::new();
            }
        }
    }
    out
}

#[handler]
pub async fn set_hours(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let (ctx, id) = match staff_id(ctx, &id) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut errors = ValidationErrors::new();
    let days: [Vec<(String, String)>; 7] =
        std::array::from_fn(|i| parse_hours(&mut errors, WEEKDAYS[i], form.get(WEEKDAYS[i])));
    let result = match errors.into_result() {
        Ok(()) => app
            .set_working_hours(&ctx.principal, id, &days)
            .await
            .map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => ctx.redirect(&format!("/app/staff/{id}?saved=1")),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            staff_page(ctx, req, &app, id, f.status, Posted::Hours(&form, &f)).await
        }
    }
}

#[handler]
pub async fn add_day_off(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let (ctx, id) = match staff_id(ctx, &id) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let mut errors = ValidationErrors::new();
    let date = form.get("date").parse::<NaiveDate>().ok();
    if date.is_none() {
        errors.add("date", "invalid_date", "not a date");
    }
    let hours = parse_hours(&mut errors, "hours", form.get("hours"));
    let result = match (errors.into_result(), date) {
        (Ok(()), Some(date)) => app
            .set_day_override(&ctx.principal, id, date, &hours)
            .await
            .map(|_| ()),
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(AppError::invalid("date", "invalid_date", "not a date")),
    };
    match result {
        Ok(()) => ctx.redirect(&format!("/app/staff/{id}?saved=1")),
        Err(err) => {
            let mut f = failure_of(ctx.t(), err);
            for (field, _) in f.fields.0.iter_mut() {
                if field == "intervals" {
                    *field = "hours".into();
                }
            }
            staff_page(ctx, req, &app, id, f.status, Posted::DayOff(&form, &f)).await
        }
    }
}

#[handler]
pub async fn remove_day_off(
    Path((id, date)): Path<(String, String)>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let (ctx, id) = match staff_id(ctx, &id) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Ok(date) = date.parse::<NaiveDate>() else {
        return ctx.failure(AppError::NotFound);
    };
    match app.remove_day_override(&ctx.principal, id, date).await {
        Ok(()) => ctx.redirect(&format!("/app/staff/{id}?saved=1")),
        Err(err) => ctx.failure(err),
    }
}

// -------------------------------------------------------------- closures

async fn closures_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let rows = match app.closures_of(&ctx.principal.tenant).await {
        Ok(c) => c,
        Err(err) => return ctx.failure(err),
    };
    let (u, lang) = (ctx.u, ctx.p.lang);
    let date = |text: &str| {
        text.parse::<NaiveDate>()
            .map(|d| ui::long_date(lang, d))
            .unwrap_or_else(|_| text.to_string())
    };
    let mut forms = vec![(
        u.add.to_string(),
        FormView::new(
            "/app/closures",
            u.add,
            vec![
                Field::new("starts_on", u.starts_on, "date").value(form.get("starts_on")),
                Field::new("ends_on", u.ends_on, "date").value(form.get("ends_on")),
                Field::new("reason", u.closure_reason, "text")
                    .value(form.get("reason"))
                    .optional(),
            ],
        )
        .with_failure(failure),
    )];
    for c in &rows {
        forms.push((
            format!(
                "{} – {}{}",
                date(&c.starts_on),
                date(&c.ends_on),
                if c.reason.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.reason)
                }
            ),
            FormView::new(
                format!("/app/closures/{}/delete", c.id),
                u.delete,
                Vec::new(),
            )
            .quiet()
            .inline(),
        ));
    }
    let page = ListPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("closures", req),
        title: u.closures_title,
        lead: u.closures_lead,
        new_href: None,
        lines: Vec::new(),
        forms,
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn closures(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    closures_page(ctx, req, &app, &FormData::default(), StatusCode::OK, None).await
}

#[handler]
pub async fn create_closure(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let starts = form.get("starts_on").parse::<NaiveDate>();
    let ends = form.get("ends_on").parse::<NaiveDate>();
    let result = match (starts, ends) {
        (Ok(s), Ok(e)) => app
            .create_closure(&ctx.principal, s, e, form.get("reason").trim())
            .await
            .map(|_| ()),
        (Err(_), _) => Err(AppError::invalid("starts_on", "invalid_date", "not a date")),
        (_, Err(_)) => Err(AppError::invalid("ends_on", "invalid_date", "not a date")),
    };
    match result {
        Ok(()) => ctx.redirect("/app/closures?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            closures_page(ctx, req, &app, &form, f.status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn delete_closure(
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    match app.delete_closure(&ctx.principal, id).await {
        Ok(()) => ctx.redirect("/app/closures?saved=1"),
        Err(err) => ctx.failure(err),
    }
}
