//! The law in the panel: the data-processing agreement and the
//! sub-processors (accept, download, object), and the business's data
//! (export, client retention, deletion).

use askama::Template;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::dpa::{DpaAcceptanceInput, DpaState};
use termino_domain::account::Role;
use uuid::Uuid;

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of};
use crate::http::acceptance_meta;
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

struct Planned {
    title: String,
    summary: String,
    objected: Option<String>,
    form: Option<FormView>,
}

#[derive(Template)]
#[template(path = "panel_dpa.html")]
struct DpaPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    version: String,
    text: String,
    accepted: Option<String>,
    accept: Option<FormView>,
    needs_owner: bool,
    /// (when, what, id)
    history: Vec<(String, String, Uuid)>,
    subprocessors: Vec<termino_app::subprocessors::Subprocessor>,
    planned: Vec<Planned>,
}

async fn dpa_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    status: StatusCode,
    failure: Option<(&Failure, Option<i32>)>,
) -> Response {
    let (dpa, list, objections) = match (
        app.dpa_status(&ctx.principal).await,
        app.subprocessor_list().await,
        app.subprocessor_objections(&ctx.principal).await,
    ) {
        (Ok(d), Ok(l), Ok(o)) => (d, l, o),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return ctx.failure(e),
    };
    let u = ctx.u;
    let lang = ctx.p.lang.code();
    let is_owner = ctx.me.role == Role::Owner;
    let accepted = (dpa.state == DpaState::Accepted).then(|| {
        u.dpa_accepted
            .replace("{version}", &dpa.current.version)
            .replace(
                "{date}",
                &dpa.accepted_at
                    .map(|t| super::date_time(&ctx, t))
                    .unwrap_or_default(),
            )
    });
    let accept_failure = failure.filter(|(_, v)| v.is_none()).map(|(f, _)| f);
    let accept = (is_owner && dpa.state != DpaState::Accepted).then(|| {
        let company = if form.0.is_empty() {
            ctx.business.name.clone()
        } else {
            form.get("company_name").to_string()
        };
        FormView::new(
            "/app/dpa",
            u.dpa_accept,
            vec![
                Field::new("company_name", ctx.t().company_name, "text")
                    .value(company)
                    .autocomplete("organization"),
                Field::new("tax_id", u.dpa_tax_id, "text")
                    .value(form.get("tax_id"))
                    .autocomplete("off"),
                Field::checkbox(
                    "authority_confirmed",
                    u.dpa_authority,
                    form.on("authority_confirmed"),
                ),
            ],
        )
        .hidden("version", dpa.current.version.clone())
        .hidden("language", lang)
        .with_failure(accept_failure)
    });
    let objection_failure = failure.and_then(|(f, v)| v.map(|v| (f, v)));
    let planned = list
        .planned
        .iter()
        .map(|c| {
            let objected = objections.iter().find(|o| o.version == c.version).map(|o| {
                u.sub_objected
                    .replace("{date}", &super::date_time(&ctx, o.created_at))
                    .replace("{reason}", &o.reason)
                    .replace("{effective}", &super::date_time(&ctx, c.effective_at))
            });
            let mut lines: Vec<String> = c
                .added
                .iter()
                .map(|s| {
                    format!(
                        "{}: {} ({}, {}; {})",
                        u.sub_adds, s.name, s.purpose, s.location, s.transfer_mechanism
                    )
                })
                .collect();
            lines.extend(
                c.removed
                    .iter()
                    .map(|s| format!("{}: {}", u.sub_removes, s.name)),
            );
            Planned {
                title: u
                    .sub_planned
                    .replace("{date}", &super::date_time(&ctx, c.effective_at)),
                summary: if lines.is_empty() {
                    c.summary.clone()
                } else {
                    lines.join("; ")
                },
                form: (is_owner && objected.is_none()).then(|| {
                    let this = objection_failure
                        .filter(|(_, v)| *v == c.version)
                        .map(|(f, _)| f);
                    FormView::new(
                        format!("/app/dpa/objections/{}", c.version),
                        u.sub_object,
                        vec![
                            Field::new("reason", u.sub_reason, "textarea")
                                .value(if this.is_some() {
                                    form.get("reason")
                                } else {
                                    ""
                                })
                                .prefixed(format!("v{}-", c.version)),
                        ],
                    )
                    .quiet()
                    .with_failure(this)
                }),
                objected,
            }
        })
        .collect();
    let page = DpaPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("dpa", req),
        version: dpa.current.version.clone(),
        text: dpa.text(lang).to_string(),
        accepted,
        needs_owner: !is_owner && dpa.state != DpaState::Accepted,
        accept,
        history: dpa
            .acceptances
            .iter()
            .map(|a| {
                (
                    super::date_time(&ctx, a.accepted_at),
                    format!(
                        "{} {} · {} · {} · NIP {}",
                        u.dpa_version, a.dpa_version, a.user_email, a.company_name, a.tax_id
                    ),
                    a.id,
                )
            })
            .collect(),
        subprocessors: list.entries,
        planned,
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show_dpa(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    dpa_page(ctx, req, &app, &FormData::default(), StatusCode::OK, None).await
}

#[handler]
pub async fn accept_dpa(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = app
        .accept_dpa(
            &ctx.principal,
            DpaAcceptanceInput {
                version: form.get("version").to_string(),
                language: form.get("language").to_string(),
                company_name: form.get("company_name").to_string(),
                tax_id: form.get("tax_id").to_string(),
                authority_confirmed: form.on("authority_confirmed"),
            },
            acceptance_meta(req, "panel"),
        )
        .await;
    match result {
        Ok(_) => ctx.redirect("/app/dpa?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            dpa_page(ctx, req, &app, &form, status, Some((&f, None))).await
        }
    }
}

#[handler]
pub async fn object_change(
    req: &Request,
    app: Data<&App>,
    Path(version): Path<i32>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    match app
        .object_to_subprocessor_change(&ctx.principal, version, form.get("reason"))
        .await
    {
        Ok(_) => ctx.redirect("/app/dpa?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            dpa_page(ctx, req, &app, &form, status, Some((&f, Some(version)))).await
        }
    }
}

pub(super) fn download(body: Vec<u8>, content_type: &str, name: &str) -> Response {
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

#[handler]
pub async fn acceptance_download(
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelView(ctx): PanelView,
) -> Response {
    match app.acceptance_document(&ctx.principal, id).await {
        Ok(doc) => download(
            doc.into_bytes(),
            "text/plain; charset=utf-8",
            &format!("termino-dpa-acceptance-{id}.txt"),
        ),
        Err(err) => ctx.failure(err),
    }
}

// ------------------------------------------------------------- account

#[derive(Template)]
#[template(path = "panel_account.html")]
struct AccountPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    is_owner: bool,
    csv_kinds: &'static [&'static str],
    retention: Option<FormView>,
    requested: Option<String>,
    cancel: Option<FormView>,
    delete: Option<FormView>,
}

async fn account_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: Option<&FormData>,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let request = match app.deletion_request(&ctx.principal).await {
        Ok(r) => r,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    let is_owner = ctx.me.role == Role::Owner;
    let can_set = matches!(ctx.me.role, Role::Owner | Role::Admin);
    let months = match form {
        Some(f) => f.get("client_retention_months").to_string(),
        None => ctx
            .business
            .client_retention_months
            .map(|m| m.to_string())
            .unwrap_or_default(),
    };
    let is_retention =
        form.is_some_and(|f| f.0.iter().any(|(k, _)| k == "client_retention_months"));
    let page = AccountPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("account", req),
        is_owner,
        csv_kinds: termino_app::export::CSV_KINDS,
        retention: can_set.then(|| {
            FormView::new(
                "/app/account/retention",
                u.save,
                vec![
                    Field::new("client_retention_months", u.retention_months, "number")
                        .value(months)
                        .optional(),
                ],
            )
            .with_failure(failure.filter(|_| is_retention))
        }),
        requested: request.as_ref().map(|r| {
            u.delete_requested
                .replace("{date}", &super::date_time(&ctx, r.requested_at))
                .replace("{grace}", &super::date_time(&ctx, r.grace_ends))
                .replace("{deadline}", &super::date_time(&ctx, r.deadline))
        }),
        cancel: request
            .as_ref()
            .filter(|r| app.now() < r.grace_ends)
            .map(|_| FormView::new("/app/account/delete/cancel", u.delete_cancel, vec![])),
        delete: Some(
            FormView::new(
                "/app/account/delete",
                u.delete_button,
                vec![Field::checkbox("confirm", u.delete_confirm, false)],
            )
            .danger()
            .with_failure(failure.filter(|_| !is_retention)),
        ),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show_account(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    account_page(ctx, req, &app, None, StatusCode::OK, None).await
}

#[handler]
pub async fn export_json(app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    match app.export_everything(&ctx.principal).await {
        Ok(v) => download(
            serde_json::to_vec_pretty(&v).unwrap_or_default(),
            "application/json",
            &format!("termino-{}.json", ctx.business.slug),
        ),
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn export_csv(
    app: Data<&App>,
    Path(file): Path<String>,
    PanelView(ctx): PanelView,
) -> Response {
    let kind = file.trim_end_matches(".csv");
    match app.export_csv(&ctx.principal, kind).await {
        Ok(csv) => download(
            csv.into_bytes(),
            "text/csv; charset=utf-8",
            &format!("{kind}.csv"),
        ),
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn set_retention(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let raw = form.get("client_retention_months").trim();
    let months = if raw.is_empty() {
        Ok(None)
    } else {
        raw.parse::<i32>().map(Some).map_err(|_| {
            termino_app::AppError::invalid(
                "client_retention_months",
                "not_a_number",
                "a whole number of months",
            )
        })
    };
    let result = match months {
        Ok(m) => app.set_client_retention(&ctx.principal, m).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ctx.redirect("/app/account?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            account_page(ctx, req, &app, Some(&form), status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn request_delete(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = if form.on("confirm") {
        app.request_deletion(&ctx.principal).await.map(|_| ())
    } else {
        Err(termino_app::AppError::invalid(
            "confirm",
            "required",
            "tick the box to confirm",
        ))
    };
    match result {
        Ok(()) => ctx.redirect("/app/account"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            account_page(ctx, req, &app, Some(&form), status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn cancel_delete(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    match app.cancel_deletion(&ctx.principal).await {
        Ok(()) => ctx.redirect("/app/account?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            account_page(ctx, req, &app, Some(&form), status, Some(&f)).await
        }
    }
}
