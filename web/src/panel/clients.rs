//! Clients: search, a profile with its bookings, edit and delete.

use askama::Template;
use chrono::NaiveDate;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use termino_app::clients::{Client, ClientPatch, ClientRecord, NewClient};
use termino_app::{App, AppError};
use termino_store::repo::scheduling::BookingFilter;
use uuid::Uuid;

use super::bookings::{BookingLine, Names};
use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of};
use crate::booking::enc;
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone)]
struct ClientLine {
    href: String,
    name: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "panel_clients.html")]
struct ClientsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    q: String,
    clients: Vec<ClientLine>,
    more: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ListQuery {
    q: String,
    after: String,
}

#[handler]
pub async fn list(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let q: ListQuery = req.params().unwrap_or_default();
    let after = q.after.parse::<Uuid>().ok();
    let found = match app
        .clients(&ctx.principal, Some(&q.q), after, PAGE_SIZE)
        .await
    {
        Ok(found) => found,
        Err(err) => return ctx.failure(err),
    };
    let clients = found
        .items
        .iter()
        .filter_map(|r| match r {
            ClientRecord::Readable(c) => Some(ClientLine {
                href: format!("/app/clients/{}", c.id),
                name: c.name.clone(),
                contact: [c.email.clone(), c.phone.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
            }),
            _ => None,
        })
        .collect();
    let page = ClientsPage {
        t: ctx.t(),
        u: ctx.u,
        sw: ctx.sw(),
        c: ctx.chrome("clients", req),
        more: found
            .next
            .map(|n| format!("/app/clients?q={}&after={n}", enc(&q.q))),
        q: q.q,
        clients,
    };
    ctx.html(StatusCode::OK, &page)
}

fn client_fields(u: &Ui, form: &FormData, prefix: &'static str) -> Vec<Field> {
    vec![
        Field::new("name", u.your_name, "text")
            .value(form.get("name"))
            .prefixed(prefix),
        Field::new("email", u.your_email, "email")
            .value(form.get("email"))
            .optional()
            .prefixed(prefix),
        Field::new("phone", u.your_phone, "tel")
            .value(form.get("phone"))
            .optional()
            .prefixed(prefix),
        Field::new("date_of_birth", u.date_of_birth, "date")
            .value(form.get("date_of_birth"))
            .optional()
            .prefixed(prefix),
        Field::new("notes", u.client_notes, "textarea")
            .value(form.get("notes"))
            .optional()
            .prefixed(prefix),
        Field::checkbox(
            "marketing_consent",
            u.client_marketing,
            form.on("marketing_consent"),
        )
        .prefixed(prefix),
    ]
}

fn form_of(c: &Client) -> FormData {
    let mut pairs = vec![
        ("name".to_string(), c.name.clone()),
        ("email".to_string(), c.email.clone().unwrap_or_default()),
        ("phone".to_string(), c.phone.clone().unwrap_or_default()),
        (
            "date_of_birth".to_string(),
            c.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("notes".to_string(), c.notes.clone().unwrap_or_default()),
    ];
    if c.marketing_consent {
        pairs.push(("marketing_consent".into(), "on".into()));
    }
    FormData(pairs)
}

fn date_of_birth(form: &FormData) -> Result<Option<NaiveDate>, AppError> {
    match form.opt("date_of_birth") {
        None => Ok(None),
        Some(d) => d
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid("date_of_birth", "invalid_date", "not a date")),
    }
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

fn new_client_page(
    ctx: Ctx,
    req: &Request,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let u = ctx.u;
    let page = FormPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("clients", req),
        title: u.new_client.to_string(),
        form: FormView::new("/app/clients/new", u.save, client_fields(u, form, ""))
            .with_failure(failure),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn new_form(req: &Request, PanelView(ctx): PanelView) -> Response {
    new_client_page(ctx, req, &FormData::default(), StatusCode::OK, None)
}

#[handler]
pub async fn create(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let result = async {
        let input = NewClient {
            name: form.get("name").to_string(),
            email: form.opt("email"),
            phone: form.opt("phone"),
            notes: form.opt("notes"),
            date_of_birth: date_of_birth(&form)?,
            custom_fields: Default::default(),
            marketing_consent: form.on("marketing_consent"),
            // The client gives it on the booking page or in writing (REST).
            sms_consent: false,
            // The business's, until the client books on the page.
            language: None,
        };
        app.create_client(&ctx.principal, input).await
    }
    .await;
    match result {
        Ok(client) => ctx.redirect(&format!("/app/clients/{}?saved=1", client.id)),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            new_client_page(ctx, req, &form, status, Some(&f))
        }
    }
}

#[derive(Template)]
#[template(path = "panel_client.html")]
struct ClientPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    name: String,
    erased: bool,
    edit: Option<FormView>,
    delete: FormView,
    lines: Vec<BookingLine>,
    new_booking: String,
    /// Why this client's number gets no text messages, if it gets none.
    sms_note: Option<&'static str>,
}

async fn client_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    form: Option<&FormData>,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let u = ctx.u;
    let loaded = async {
        let record = app.client(&ctx.principal, id).await?;
        let names = Names::load(&ctx, app).await?;
        let bookings = app
            .bookings(
                &ctx.principal,
                BookingFilter {
                    client_id: Some(id),
                    limit: 200,
                    ..BookingFilter::default()
                },
            )
            .await?;
        Ok::<_, AppError>((record, names, bookings))
    }
    .await;
    let (record, names, bookings) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let sms_note = match &record {
        ClientRecord::Readable(c) => {
            match termino_app::sms_settings::client_sms_reason(c.phone.as_deref(), c.sms_consent) {
                Some(termino_app::sms_settings::NoSmsReason::NotMobile) => {
                    Some(u.client_sms_not_mobile)
                }
                Some(_) => Some(u.client_sms_no_consent),
                None => None,
            }
        }
        _ => None,
    };
    let (name, edit) = match &record {
        ClientRecord::Readable(c) => {
            let values = form.cloned().unwrap_or_else(|| form_of(c));
            (
                c.name.clone(),
                Some(
                    FormView::new(
                        format!("/app/clients/{id}"),
                        u.save,
                        client_fields(u, &values, ""),
                    )
                    .with_failure(failure),
                ),
            )
        }
        _ => (u.erased.to_string(), None),
    };
    let mut lines: Vec<BookingLine> = bookings.iter().map(|b| names.line(&ctx, b)).collect();
    for (line, b) in lines.iter_mut().zip(&bookings) {
        line.time = format!("{}, {}", super::date_time(&ctx, b.starts_at), line.time);
    }
    let mut delete_form = FormView::new(
        format!("/app/clients/{id}/delete"),
        u.confirm_delete,
        Vec::new(),
    )
    .danger();
    delete_form.confirm = Some(u.delete_client_hint);
    let page = ClientPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("clients", req),
        erased: edit.is_none(),
        name,
        edit,
        delete: delete_form,
        lines,
        new_booking: format!("/app/bookings/new?client={id}"),
        sms_note,
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
    client_page(ctx, req, &app, id, None, StatusCode::OK, None).await
}

#[handler]
pub async fn update(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    let result = async {
        let patch = ClientPatch {
            name: Some(form.get("name").to_string()),
            email: Some(form.opt("email")),
            phone: Some(form.opt("phone")),
            notes: Some(form.opt("notes")),
            date_of_birth: Some(date_of_birth(&form)?),
            custom_fields: None,
            marketing_consent: Some(form.on("marketing_consent")),
            // Not on this form: kept as the client gave it.
            sms_consent: None,
            language: None,
        };
        app.update_client(&ctx.principal, id, patch).await
    }
    .await;
    match result {
        Ok(_) => ctx.redirect(&format!("/app/clients/{id}?saved=1")),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            client_page(ctx, req, &app, id, Some(&form), status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn delete(
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    match app.delete_client(&ctx.principal, id).await {
        Ok(()) => ctx.redirect("/app/clients?saved=1"),
        Err(err) => ctx.failure(err),
    }
}
