//! Pages for Termino's operators under `/ops`: log-in, the breach register
//! (open, update, close), a business's clients under its support grant,
//! and Termino's record of processing. English only: an internal tool.

use askama::Template;
use chrono::{DateTime, NaiveDateTime, Utc};
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, Route, get, handler, post};
use termino_app::breach::NewIncident;
use termino_app::clients::ClientRecord;
use termino_app::operators::Operator;
use termino_app::{App, AppError};
use termino_domain::breach::{both_zones, clock_text};
use uuid::Uuid;

use crate::http::{self, CookiePolicy, OPS_COOKIE};
use crate::pages::PageForm;
use crate::panel::{Cell, FormData, FormView, Section, cell, link};
use crate::security_headers;
use crate::views::Field;

pub fn routes() -> Route {
    let page = |ep| security_headers(ep);
    Route::new()
        .at("/", page(get(register).post(open_incident)))
        .at("/login", page(get(login_form).post(login)))
        .at("/logout", page(post(logout)))
        .at("/incidents/:id", page(get(incident)))
        .at("/incidents/:id/updates", page(post(add_update)))
        .at("/incidents/:id/close", page(post(close)))
        .at("/support/:slug", page(get(support_clients)))
        .at("/records", page(get(records)))
}

struct OpsChrome {
    csrf_token: String,
}

#[derive(Template)]
#[template(path = "ops.html")]
struct OpsPage {
    c: OpsChrome,
    title: String,
    error: Option<String>,
    sections: Vec<Section>,
}

fn html(status: StatusCode, page: &OpsPage) -> Response {
    match page.render() {
        Ok(body) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .body(body),
        Err(err) => {
            tracing::error!(error = %err, "an operator page did not render");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body("internal error")
        }
    }
}

fn page(
    op: Option<&Operator>,
    status: StatusCode,
    title: &str,
    error: Option<String>,
    sections: Vec<Section>,
) -> Response {
    html(
        status,
        &OpsPage {
            c: OpsChrome {
                csrf_token: op.map(|o| o.csrf_token.clone()).unwrap_or_default(),
            },
            title: title.to_string(),
            error,
            sections,
        },
    )
}

fn redirect(to: &str, cookie: Option<String>) -> Response {
    let mut resp = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .header(header::CACHE_CONTROL, "no-store");
    if let Some(c) = cookie {
        resp = resp.header(header::SET_COOKIE, c);
    }
    resp.finish()
}

fn error_text(err: &AppError) -> (StatusCode, String) {
    match err {
        AppError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        AppError::NotFound => (StatusCode::NOT_FOUND, "Not found.".into()),
        AppError::Forbidden(why) => (StatusCode::FORBIDDEN, format!("Not allowed: {why}.")),
        AppError::Conflict { message, .. } => (StatusCode::CONFLICT, message.clone()),
        AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "Wrong e-mail or password.".into()),
        AppError::Throttled { .. } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts; wait a while.".into(),
        ),
        other => {
            tracing::error!(error = %other, "operator page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong.".into(),
            )
        }
    }
}

/// The signed-in operator, or the log-in page.
async fn operator(req: &Request, app: &App) -> Result<Operator, Response> {
    let Some(token) = http::cookie(req, OPS_COOKIE).filter(|t| !t.is_empty()) else {
        return Err(redirect("/ops/login", None));
    };
    app.authenticate_operator(&token)
        .await
        .map_err(|_| redirect("/ops/login", None))
}

/// The signed-in operator of a form post, its CSRF token checked.
async fn operator_post(req: &Request, app: &App, form: &FormData) -> Result<Operator, Response> {
    let op = operator(req, app).await?;
    if !http::tokens_match(&op.csrf_token, form.get("csrf_token")) {
        return Err(page(
            Some(&op),
            StatusCode::FORBIDDEN,
            "Form expired",
            Some("Reload the page and try again.".into()),
            Vec::new(),
        ));
    }
    Ok(op)
}

fn login_page(email: &str, error: Option<String>, status: StatusCode) -> Response {
    let form = FormView::new(
        "/ops/login",
        "Log in",
        vec![
            Field::new("email", "E-mail", "email")
                .value(email)
                .autocomplete("username"),
            Field::new("password", "Password", "password").autocomplete("current-password"),
        ],
    );
    page(
        None,
        status,
        "Operator log-in",
        error,
        vec![Section {
            heading: "Log in".into(),
            paragraphs: vec!["Operator accounts are made with `termino operator create`.".into()],
            forms: vec![form],
            ..Section::default()
        }],
    )
}

#[handler]
async fn login_form() -> Response {
    login_page("", None, StatusCode::OK)
}

#[handler]
async fn login(
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    match app
        .operator_login(form.get("email"), form.get("password"))
        .await
    {
        Ok((token, _)) => redirect("/ops", Some(http::ops_cookie(&token, *policy.0, 8 * 3600))),
        Err(err) => {
            let (status, text) = error_text(&err);
            login_page(form.get("email"), Some(text), status)
        }
    }
}

#[handler]
async fn logout(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    if let Ok(_op) = operator_post(req, &app, &form).await
        && let Some(token) = http::cookie(req, OPS_COOKIE)
    {
        let _ = app.operator_logout(&token).await;
    }
    redirect("/ops/login", Some(http::ops_cookie("", *policy.0, 0)))
}

fn parse_time(form: &FormData, name: &str, errors: &mut Vec<String>) -> Option<DateTime<Utc>> {
    let raw = form.get(name).trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, fmt) {
            return Some(t.and_utc());
        }
    }
    errors.push(format!("{name}: give a time like 2026-11-20T08:00 (UTC)"));
    None
}

fn list_of(text: &str) -> Vec<String> {
    text.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn register_page(
    app: &App,
    op: &Operator,
    form: &FormData,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let incidents = match app.incidents().await {
        Ok(i) => i,
        Err(e) => {
            let (status, text) = error_text(&e);
            return page(Some(op), status, "Breach register", Some(text), Vec::new());
        }
    };
    let now = app.now();
    let rows: Vec<Vec<Cell>> = incidents
        .iter()
        .map(|i| {
            vec![
                link(
                    i.row.reference.clone(),
                    format!("/ops/incidents/{}", i.row.id),
                ),
                cell(both_zones(i.row.aware_at)),
                cell(if i.row.status == "open" {
                    clock_text(i.row.aware_at, now)
                } else {
                    "closed".to_string()
                }),
                cell(i.notices.len().to_string()),
                cell(i.row.nature.clone()),
            ]
        })
        .collect();
    let v = |n: &str, d: &str| -> String {
        if form.0.is_empty() {
            d.to_string()
        } else {
            form.get(n).to_string()
        }
    };
    let now_text = now.format("%Y-%m-%dT%H:%M").to_string();
    let open = FormView::new(
        "/ops",
        "Open the incident and notify the affected businesses",
        vec![
            Field::new("aware_at", "Termino became aware at (UTC)", "text")
                .value(v("aware_at", &now_text)),
            Field::new("window_start", "Breach window from (UTC)", "text")
                .value(v("window_start", "")),
            Field::new("window_end", "Breach window to (UTC)", "text")
                .value(v("window_end", &now_text)),
            Field::new("nature", "What happened", "textarea").value(v("nature", "")),
            Field::new("systems", "Systems involved (comma-separated)", "text")
                .value(v("systems", "")),
            Field::new("categories", "Data categories (comma-separated)", "text")
                .value(v("categories", "")),
            Field::new("exposure", "Exposure", "select")
                .value(v("exposure", "window"))
                .choices(&[
                    ("window", "Data written or read in the window"),
                    ("stored", "Everything stored at the window's end"),
                ]),
            Field::checkbox("encrypted", "The data was encrypted", form.on("encrypted")),
            Field::checkbox(
                "key_exposed",
                "An encryption key was exposed",
                form.on("key_exposed"),
            ),
            Field::new("consequences", "Likely consequences", "textarea")
                .value(v("consequences", ""))
                .optional(),
            Field::new("measures", "Measures taken or proposed", "textarea")
                .value(v("measures", ""))
                .optional(),
        ],
    )
    .hidden("csrf_token_check", "1");
    page(
        Some(op),
        status,
        "Breach register",
        error,
        vec![
            Section {
                heading: "Incidents".into(),
                paragraphs: vec![format!(
                    "Signed in as {}. Every incident stays here, notified or not (Art. 33(5)).",
                    op.name
                )],
                head: vec![
                    "Reference",
                    "Aware",
                    "72-hour clock",
                    "Businesses",
                    "What happened",
                ],
                rows,
                empty: "No incidents.".into(),
                ..Section::default()
            },
            Section {
                heading: "Open an incident".into(),
                forms: vec![open],
                ..Section::default()
            },
        ],
    )
}

#[handler]
async fn register(req: &Request, app: Data<&App>) -> Response {
    match operator(req, &app).await {
        Ok(op) => register_page(&app, &op, &FormData::default(), None, StatusCode::OK).await,
        Err(resp) => resp,
    }
}

#[handler]
async fn open_incident(
    req: &Request,
    app: Data<&App>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let op = match operator_post(req, &app, &form).await {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    let mut errors = Vec::new();
    let aware_at = parse_time(&form, "aware_at", &mut errors);
    let window_start = parse_time(&form, "window_start", &mut errors);
    let window_end = parse_time(&form, "window_end", &mut errors);
    if !errors.is_empty() {
        return register_page(
            &app,
            &op,
            &form,
            Some(errors.join("; ")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let input = NewIncident {
        aware_at,
        window_start,
        window_end,
        nature: form.get("nature").to_string(),
        systems: list_of(form.get("systems")),
        categories: list_of(form.get("categories")),
        exposure: form.get("exposure").to_string(),
        encrypted: form.on("encrypted"),
        key_exposed: form.on("key_exposed"),
        consequences: form.get("consequences").to_string(),
        measures: form.get("measures").to_string(),
    };
    match app.open_incident(op.id, input).await {
        Ok(i) => redirect(&format!("/ops/incidents/{}", i.row.id), None),
        Err(err) => {
            let (status, text) = error_text(&err);
            register_page(&app, &op, &form, Some(text), status).await
        }
    }
}

async fn incident_page(
    app: &App,
    op: &Operator,
    id: Uuid,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let i = match app.incident(id).await {
        Ok(i) => i,
        Err(e) => {
            let (status, text) = error_text(&e);
            return page(Some(op), status, "Incident", Some(text), Vec::new());
        }
    };
    let now = app.now();
    let r = &i.row;
    let mut facts = vec![
        format!("Aware: {}", both_zones(r.aware_at)),
        format!(
            "Window: {} to {}",
            both_zones(r.window_start),
            both_zones(r.window_end)
        ),
        format!("What happened: {}", r.nature),
        format!("Systems: {}", i.systems().join(", ")),
        format!("Categories: {}", i.categories().join(", ")),
        format!(
            "Exposure: {}; encrypted: {}; key exposed: {}",
            r.exposure, r.encrypted, r.key_exposed
        ),
    ];
    if let Some(d) = &r.decision {
        facts.push(format!("Decision: {d}"));
    }
    let mut rows = Vec::new();
    for n in &i.notices {
        let delivered = app.notice_delivered_at(n).await.ok().flatten();
        let slug = termino_store::repo::tenants::find_by_id(app.db().connection(), n.tenant_id)
            .await
            .ok()
            .flatten()
            .map(|t| t.slug)
            .unwrap_or_else(|| n.tenant_id.to_string());
        rows.push(vec![
            cell(slug),
            cell(format!("{} / {}", n.data_subjects, n.records)),
            cell(delivered.map_or("not yet".into(), both_zones)),
            cell(n.seen_at.map_or("not yet".into(), both_zones)),
            cell(
                n.business_decision
                    .clone()
                    .unwrap_or_else(|| "none yet".into()),
            ),
        ]);
    }
    let mut sections = vec![
        Section {
            heading: "The 72-hour clock".into(),
            alert: Some(if r.status == "open" {
                format!(
                    "Deadline {} — {}",
                    both_zones(i.notify_by()),
                    clock_text(r.aware_at, now)
                )
            } else {
                format!("Closed {}", r.closed_at.map(both_zones).unwrap_or_default())
            }),
            paragraphs: facts,
            ..Section::default()
        },
        Section {
            heading: "Affected businesses and delivery".into(),
            head: vec![
                "Business",
                "Data subjects / records",
                "E-mail delivered",
                "Seen in the panel",
                "Their decision",
            ],
            rows,
            empty: "No business's data was in the window.".into(),
            ..Section::default()
        },
        Section {
            heading: "Updates".into(),
            paragraphs: i
                .updates
                .iter()
                .map(|u| format!("{} · {}: {}", both_zones(u.at), u.phase, u.body))
                .collect(),
            forms: if r.status == "open" {
                vec![
                    FormView::new(
                        format!("/ops/incidents/{id}/updates"),
                        "Send the update to the businesses",
                        vec![
                            Field::new("phase", "Phase", "text"),
                            Field::new("body", "What is new", "textarea"),
                        ],
                    )
                    .quiet(),
                ]
            } else {
                Vec::new()
            },
            ..Section::default()
        },
    ];
    if r.status == "open" {
        sections.push(Section {
            heading: "Close".into(),
            forms: vec![
                FormView::new(
                    format!("/ops/incidents/{id}/close"),
                    "Close with a report",
                    vec![Field::new(
                        "decision",
                        "Notified or not, and why",
                        "textarea",
                    )],
                )
                .danger(),
            ],
            ..Section::default()
        });
    }
    if let Some(report) = &r.report {
        sections.push(Section {
            heading: "Closing report".into(),
            document: Some(report.clone()),
            ..Section::default()
        });
    }
    page(Some(op), status, &r.reference, error, sections)
}

#[handler]
async fn incident(req: &Request, app: Data<&App>, Path(id): Path<Uuid>) -> Response {
    match operator(req, &app).await {
        Ok(op) => incident_page(&app, &op, id, None, StatusCode::OK).await,
        Err(resp) => resp,
    }
}

#[handler]
async fn add_update(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let op = match operator_post(req, &app, &form).await {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    match app
        .add_incident_update(op.id, id, form.get("phase"), form.get("body"))
        .await
    {
        Ok(_) => redirect(&format!("/ops/incidents/{id}"), None),
        Err(err) => {
            let (status, text) = error_text(&err);
            incident_page(&app, &op, id, Some(text), status).await
        }
    }
}

#[handler]
async fn close(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let op = match operator_post(req, &app, &form).await {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    match app.close_incident(id, form.get("decision")).await {
        Ok(_) => redirect(&format!("/ops/incidents/{id}"), None),
        Err(err) => {
            let (status, text) = error_text(&err);
            incident_page(&app, &op, id, Some(text), status).await
        }
    }
}

/// A business's clients, read under its support grant (and so in its
/// audit log); without a grant, a refusal that is logged too.
#[handler]
async fn support_clients(req: &Request, app: Data<&App>, Path(slug): Path<String>) -> Response {
    let op = match operator(req, &app).await {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    let principal = match app.support_principal(&op, &slug).await {
        Ok(p) => p,
        Err(err) => {
            let (status, text) = error_text(&err);
            return page(Some(&op), status, "Support access", Some(text), Vec::new());
        }
    };
    let clients = match app.clients(&principal, None, None, 200).await {
        Ok(c) => c,
        Err(err) => {
            let (status, text) = error_text(&err);
            return page(Some(&op), status, "Support access", Some(text), Vec::new());
        }
    };
    let rows = clients
        .items
        .iter()
        .map(|r| match r {
            ClientRecord::Readable(c) => vec![
                cell(c.name.clone()),
                cell(c.email.clone().unwrap_or_default()),
                cell(c.phone.clone().unwrap_or_default()),
            ],
            other => vec![cell(other.id().to_string()), cell("unreadable"), cell("")],
        })
        .collect();
    page(
        Some(&op),
        StatusCode::OK,
        &format!("Clients of {slug}"),
        None,
        vec![Section {
            heading: "Clients (read-only, under the business's support grant)".into(),
            paragraphs: vec!["This view is recorded in the business's audit log.".into()],
            head: vec!["Name", "E-mail", "Phone"],
            rows,
            empty: "No clients.".into(),
            ..Section::default()
        }],
    )
}

#[handler]
async fn records(req: &Request, app: Data<&App>) -> Response {
    let op = match operator(req, &app).await {
        Ok(op) => op,
        Err(resp) => return resp,
    };
    match app.processor_record().await {
        Ok(doc) => page(
            Some(&op),
            StatusCode::OK,
            "Record of processing",
            None,
            vec![Section {
                heading: "Termino as processor (Art. 30(2))".into(),
                document: Some(doc),
                ..Section::default()
            }],
        ),
        Err(err) => {
            let (status, text) = error_text(&err);
            page(
                Some(&op),
                status,
                "Record of processing",
                Some(text),
                Vec::new(),
            )
        }
    }
}
