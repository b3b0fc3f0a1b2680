//! Accountability in the panel: the data-request inbox, the security page
//! (incidents, support access, the audit log, the record of processing)
//! and one incident with its clock and drafts.

use askama::Template;
use chrono::{DateTime, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::requests::{DataRequest, Decision};
use termino_domain::requests::RequestKind;
use uuid::Uuid;

use super::compliance::download;
use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, date_time, failure_of};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

/// One table cell, a link when `href` is set.
pub(crate) struct Cell {
    pub text: String,
    pub href: Option<String>,
}

pub(crate) fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: None,
    }
}

pub(crate) fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: Some(href.into()),
    }
}

#[derive(Default)]
pub(crate) struct Section {
    pub heading: String,
    pub class: &'static str,
    pub paragraphs: Vec<String>,
    pub alert: Option<String>,
    pub document: Option<String>,
    pub head: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub empty: String,
    pub links: Vec<(String, String)>,
    pub forms: Vec<FormView>,
}

#[derive(Template)]
#[template(path = "panel_sections.html")]
struct SectionsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    title: String,
    lead: String,
    sections: Vec<Section>,
}

fn render(
    ctx: Ctx,
    req: &Request,
    nav: &str,
    status: StatusCode,
    title: &str,
    lead: &str,
    sections: Vec<Section>,
) -> Response {
    let page = SectionsPage {
        t: ctx.t(),
        u: ctx.u,
        sw: ctx.sw(),
        c: ctx.chrome(nav, req),
        title: title.to_string(),
        lead: lead.to_string(),
        sections,
    };
    ctx.html(status, &page)
}

pub(crate) fn kind_label(u: &Ui, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => u.kind_access,
        RequestKind::Rectification => u.kind_rectification,
        RequestKind::Erasure => u.kind_erasure,
        RequestKind::Restriction => u.kind_restriction,
        RequestKind::Objection => u.kind_objection,
        RequestKind::Withdrawal => u.kind_withdrawal,
    }
}

fn status_label(u: &Ui, status: &str) -> &'static str {
    match status {
        "open" => u.req_open,
        "completed" => u.req_completed,
        _ => u.req_refused,
    }
}

fn what_happens(u: &Ui, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => u.req_what_happens_access,
        RequestKind::Rectification => u.req_what_happens_rectification,
        RequestKind::Erasure => u.req_what_happens_erasure,
        RequestKind::Restriction => u.req_what_happens_restriction,
        RequestKind::Objection => u.req_what_happens_objection,
        RequestKind::Withdrawal => u.req_what_happens_withdrawal,
    }
}

fn deadline_text(ctx: &Ctx, r: &DataRequest, now: DateTime<Utc>) -> String {
    let mut text = date_time(ctx, r.deadline());
    if r.overdue_at(now) {
        text.push_str(&format!(" ({})", ctx.u.req_overdue));
    }
    text
}

#[handler]
pub async fn requests(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let list = match app.data_requests(&ctx.principal).await {
        Ok(l) => l,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    let now = app.now();
    let rows = list
        .iter()
        .map(|r| {
            vec![
                link(kind_label(u, r.kind), format!("/app/requests/{}", r.id)),
                cell(date_time(&ctx, r.received_at)),
                cell(deadline_text(&ctx, r, now)),
                cell(status_label(u, &r.status)),
            ]
        })
        .collect();
    let sections = vec![Section {
        heading: u.requests_title.into(),
        head: vec![u.req_kind, u.req_received, u.req_deadline, u.req_status],
        rows,
        empty: u.requests_none.into(),
        ..Section::default()
    }];
    render(
        ctx,
        req,
        "requests",
        StatusCode::OK,
        u.requests_title,
        u.requests_lead,
        sections,
    )
}

async fn request_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    form: &FormData,
    failure: Option<(&Failure, &str)>,
) -> Response {
    let r = match app.data_request(&ctx.principal, id).await {
        Ok(r) => r,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    let now = app.now();
    let status = failure.map_or(StatusCode::OK, |(f, _)| f.status);
    let on = |which: &str| failure.filter(|(_, w)| *w == which).map(|(f, _)| f);
    let mut facts = vec![
        format!("{}: {}", u.req_received, date_time(&ctx, r.received_at)),
        format!("{}: {}", u.req_deadline, deadline_text(&ctx, &r, now)),
        format!("{}: {}", u.req_status, status_label(u, &r.status)),
    ];
    if let Some(reason) = &r.extension_reason {
        facts.push(u.req_extended.replace("{reason}", reason));
    }
    if let Some(outcome) = &r.outcome {
        facts.push(format!("{}: {outcome}", u.req_outcome));
    }
    if let Some(d) = &r.details {
        let correction: Vec<String> = [d.name.clone(), d.phone.clone()]
            .into_iter()
            .flatten()
            .collect();
        if !correction.is_empty() {
            facts.push(format!("{}: {}", u.req_correction, correction.join(", ")));
        }
        if let Some(note) = &d.note {
            facts.push(format!("{}: {note}", u.req_note));
        }
    }
    let mut sections = vec![Section {
        heading: kind_label(u, r.kind).into(),
        paragraphs: facts,
        links: r
            .client_id
            .filter(|_| r.status == "open")
            .map(|c| (format!("/app/clients/{c}"), u.nav_clients.to_string()))
            .into_iter()
            .collect(),
        ..Section::default()
    }];
    if r.status == "open" {
        sections.push(Section {
            heading: u.req_complete.into(),
            paragraphs: vec![what_happens(u, r.kind).into()],
            forms: vec![
                FormView::new(
                    format!("/app/requests/{id}/complete"),
                    u.req_complete,
                    vec![],
                )
                .with_failure(on("complete")),
            ],
            ..Section::default()
        });
        if r.extended_due_at.is_none() && now <= r.due_at {
            sections.push(Section {
                heading: u.req_extend.into(),
                forms: vec![
                    FormView::new(
                        format!("/app/requests/{id}/extend"),
                        u.req_extend,
                        vec![
                            Field::new("months", u.req_extend_months, "number").value(
                                if on("extend").is_some() {
                                    form.get("months")
                                } else {
                                    "2"
                                },
                            ),
                            Field::new("reason", u.req_extend_reason, "textarea").value(
                                if on("extend").is_some() {
                                    form.get("reason")
                                } else {
                                    ""
                                },
                            ),
                        ],
                    )
                    .quiet()
                    .with_failure(on("extend")),
                ],
                ..Section::default()
            });
        }
        sections.push(Section {
            heading: u.req_refuse.into(),
            forms: vec![
                FormView::new(
                    format!("/app/requests/{id}/refuse"),
                    u.req_refuse,
                    vec![Field::new("reason", u.req_refuse_reason, "textarea").value(
                        if on("refuse").is_some() {
                            form.get("reason")
                        } else {
                            ""
                        },
                    )],
                )
                .danger()
                .with_failure(on("refuse")),
            ],
            ..Section::default()
        });
    }
    let title = u.requests_title;
    render(ctx, req, "requests", status, title, "", sections)
}

#[handler]
pub async fn request(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelView(ctx): PanelView,
) -> Response {
    request_page(ctx, req, &app, id, &FormData::default(), None).await
}

async fn after_request(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    form: &FormData,
    which: &str,
    result: termino_app::AppResult<DataRequest>,
) -> Response {
    match result {
        Ok(_) => ctx.redirect(&format!("/app/requests/{id}?saved=1")),
        Err(termino_app::AppError::NotFound) => ctx.failure(termino_app::AppError::NotFound),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            request_page(ctx, req, app, id, form, Some((&f, which))).await
        }
    }
}

#[handler]
pub async fn complete_request(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = app
        .complete_data_request(&ctx.principal, id, Decision::Complete)
        .await;
    after_request(ctx, req, &app, id, &form, "complete", result).await
}

#[handler]
pub async fn refuse_request(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = app
        .complete_data_request(
            &ctx.principal,
            id,
            Decision::Refuse(form.get("reason").to_string()),
        )
        .await;
    after_request(ctx, req, &app, id, &form, "refuse", result).await
}

#[handler]
pub async fn extend_request(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = match form.get("months").trim().parse::<u32>() {
        Ok(months) => {
            app.extend_data_request(&ctx.principal, id, months, form.get("reason"))
                .await
        }
        Err(_) => Err(termino_app::AppError::invalid(
            "months",
            "invalid_number",
            "not a whole number",
        )),
    };
    after_request(ctx, req, &app, id, &form, "extend", result).await
}

async fn security_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    failure: Option<&Failure>,
) -> Response {
    let (incidents, grants) = match (
        app.business_incidents(&ctx.principal).await,
        app.support_grants(&ctx.principal).await,
    ) {
        (Ok(i), Ok(g)) => (i, g),
        (Err(e), _) | (_, Err(e)) => return ctx.failure(e),
    };
    let u = ctx.u;
    let now = app.now();
    let status = failure.map_or(StatusCode::OK, |f| f.status);
    let incident_rows = incidents
        .iter()
        .map(|i| {
            vec![
                link(
                    i.incident.reference.clone(),
                    format!("/app/incidents/{}", i.incident.id),
                ),
                cell(date_time(&ctx, i.incident.aware_at)),
                cell(if i.notice.business_decision.is_some() {
                    i.notice.business_decision.clone().unwrap_or_default()
                } else {
                    i.clock.clone()
                }),
            ]
        })
        .collect();
    let grant_rows = grants
        .iter()
        .map(|g| {
            vec![
                cell(date_time(&ctx, g.granted_at)),
                cell(if g.active_at(now) {
                    u.support_active
                        .replace("{date}", &date_time(&ctx, g.expires_at))
                } else {
                    u.support_ended.to_string()
                }),
                cell(g.reason.clone()),
            ]
        })
        .collect();
    let revoke_forms = grants
        .iter()
        .filter(|g| g.active_at(now))
        .map(|g| {
            FormView::new(
                format!("/app/security/support/{}/revoke", g.id),
                u.support_revoke,
                vec![],
            )
            .quiet()
        })
        .collect::<Vec<_>>();
    let mut forms = revoke_forms;
    forms.push(
        FormView::new(
            "/app/security/support",
            u.support_grant,
            vec![
                Field::new("hours", u.support_hours, "number").value(if failure.is_some() {
                    form.get("hours")
                } else {
                    "24"
                }),
                Field::new("reason", u.support_reason, "textarea")
                    .value(form.get("reason"))
                    .optional(),
            ],
        )
        .with_failure(failure),
    );
    let sections = vec![
        Section {
            heading: u.incidents_title.into(),
            head: vec!["#", u.req_received, u.incident_decision],
            rows: incident_rows,
            empty: u.incidents_none.into(),
            ..Section::default()
        },
        Section {
            heading: u.support_title.into(),
            paragraphs: vec![u.support_lead.into()],
            head: vec![u.audit_when, u.req_status, u.support_reason],
            rows: grant_rows,
            forms,
            ..Section::default()
        },
        Section {
            heading: u.audit_title.into(),
            paragraphs: vec![u.audit_lead.into()],
            links: vec![
                ("/app/audit".into(), u.audit_title.into()),
                ("/app/records".into(), u.records_title.into()),
            ],
            ..Section::default()
        },
    ];
    render(
        ctx,
        req,
        "security",
        status,
        u.security_title,
        u.security_lead,
        sections,
    )
}

#[handler]
pub async fn security(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    security_page(ctx, req, &app, &FormData::default(), None).await
}

#[handler]
pub async fn grant_support(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = match form.get("hours").trim().parse::<i64>() {
        Ok(h) => {
            app.grant_support(&ctx.principal, h, form.get("reason"))
                .await
        }
        Err(_) => Err(termino_app::AppError::invalid(
            "hours",
            "invalid_number",
            "not a whole number",
        )),
    };
    match result {
        Ok(_) => ctx.redirect("/app/security?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            security_page(ctx, req, &app, &form, Some(&f)).await
        }
    }
}

#[handler]
pub async fn revoke_support(
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, _form): PanelPost,
) -> Response {
    match app.revoke_support(&ctx.principal, id).await {
        Ok(()) => ctx.redirect("/app/security?saved=1"),
        Err(err) => ctx.failure(err),
    }
}

#[derive(serde::Deserialize, Default)]
struct AuditQuery {
    before: Option<i64>,
}

#[handler]
pub async fn audit(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let q: AuditQuery = req.params().unwrap_or_default();
    let page = match app
        .audit_log(&ctx.principal, q.before, None, None, 100)
        .await
    {
        Ok(p) => p,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    // The log keeps ids; the panel shows the business's own people and
    // keys by name (its staff, not its clients).
    let mut names: std::collections::HashMap<Uuid, String> = std::collections::HashMap::new();
    if let Ok(members) = app.members(&ctx.principal).await {
        names.extend(members.into_iter().map(|m| (m.user_id, m.name)));
    }
    if let Ok(keys) = app.api_keys(&ctx.principal).await {
        names.extend(keys.into_iter().map(|k| (k.id, k.name)));
    }
    // UUIDv7s share their leading (time) digits: the tail tells them apart.
    let short = |id: Uuid| format!("…{}", &id.simple().to_string()[24..]);
    let name = |id: Uuid| names.get(&id).cloned().unwrap_or_else(|| short(id));
    let rows = page
        .items
        .iter()
        .map(|e| {
            vec![
                cell(format!("{} · #{}", date_time(&ctx, e.at), e.seq)),
                cell(match e.actor_id {
                    Some(id) => format!("{} {}", e.actor_kind, name(id)),
                    None => e.actor_kind.clone(),
                }),
                cell(e.action.clone()),
                match (&e.target_kind, e.target_id) {
                    (Some(kind), Some(id)) if kind == "client" => link(
                        format!("{kind} {}", short(id)),
                        format!("/app/clients/{id}"),
                    ),
                    (Some(kind), Some(id)) => cell(format!("{kind} {}", name(id))),
                    _ => cell(""),
                },
                cell(e.detail.clone().unwrap_or_default()),
            ]
        })
        .collect();
    let mut links = vec![(
        "/app/audit/export.csv".to_string(),
        u.audit_download.to_string(),
    )];
    if let Some(next) = page.next {
        links.insert(
            0,
            (
                format!("/app/audit?before={next}"),
                u.audit_older.to_string(),
            ),
        );
    }
    let sections = vec![Section {
        heading: u.audit_entries.into(),
        head: vec![
            u.audit_when,
            u.audit_who,
            u.audit_what,
            u.audit_target,
            u.audit_detail,
        ],
        rows,
        links,
        ..Section::default()
    }];
    render(
        ctx,
        req,
        "security",
        StatusCode::OK,
        u.audit_title,
        u.audit_lead,
        sections,
    )
}

#[handler]
pub async fn audit_csv(app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    match app.audit_csv(&ctx.principal).await {
        Ok(csv) => download(csv.into_bytes(), "text/csv; charset=utf-8", "audit-log.csv"),
        Err(e) => ctx.failure(e),
    }
}

#[handler]
pub async fn records(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let doc = match app.controller_record_draft(&ctx.principal).await {
        Ok(d) => d,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    let sections = vec![Section {
        heading: u.records_title.into(),
        document: Some(doc),
        ..Section::default()
    }];
    render(
        ctx,
        req,
        "security",
        StatusCode::OK,
        u.records_title,
        u.records_lead,
        sections,
    )
}

async fn incident_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    id: Uuid,
    form: &FormData,
    failure: Option<&Failure>,
) -> Response {
    let v = match app.business_incident(&ctx.principal, id).await {
        Ok(v) => v,
        Err(e) => return ctx.failure(e),
    };
    let u = ctx.u;
    let status = failure.map_or(StatusCode::OK, |f| f.status);
    let counts = u
        .incident_counts
        .replace("{subjects}", &v.notice.data_subjects.to_string())
        .replace("{records}", &v.notice.records.to_string());
    let clock = format!(
        "{}: {} — {}",
        u.incident_clock,
        termino_domain::breach::both_zones(v.notify_by),
        v.clock
    );
    let mut sections = vec![Section {
        heading: v.incident.reference.clone(),
        class: "incident-clock",
        alert: Some(clock),
        paragraphs: vec![counts, v.incident.nature.clone()],
        ..Section::default()
    }];
    let decision_form = FormView::new(
        format!("/app/incidents/{id}/decision"),
        u.save,
        vec![
            Field::new("decision", u.incident_decision, "textarea")
                .value(if failure.is_some() {
                    form.get("decision")
                } else {
                    ""
                })
                .hint(u.incident_decision_hint),
        ],
    )
    .with_failure(failure);
    sections.push(Section {
        heading: u.incident_decision.into(),
        paragraphs: v
            .notice
            .business_decision
            .as_ref()
            .map(|d| {
                u.incident_decided
                    .replace(
                        "{date}",
                        &v.notice
                            .business_decided_at
                            .map(|t| date_time(&ctx, t))
                            .unwrap_or_default(),
                    )
                    .replace("{decision}", d)
            })
            .into_iter()
            .collect(),
        forms: if v.notice.business_decision.is_none() {
            vec![decision_form]
        } else {
            Vec::new()
        },
        ..Section::default()
    });
    sections.push(Section {
        heading: u.incident_uodo.into(),
        paragraphs: vec![u.incident_uodo_lead.into()],
        alert: v.individuals_exempt.then(|| u.incident_exempt.to_string()),
        document: Some(v.uodo_draft.body.clone()),
        ..Section::default()
    });
    let sent = v.notice.client_notice_sent_at.map(|at| {
        u.incident_sent
            .replace("{date}", &date_time(&ctx, at))
            .replace(
                "{n}",
                &v.notice.client_notice_recipients.unwrap_or(0).to_string(),
            )
    });
    sections.push(Section {
        heading: u.incident_client_notice.into(),
        paragraphs: sent.into_iter().collect(),
        document: Some(format!(
            "{}\n\n{}",
            v.client_notice.subject, v.client_notice.body
        )),
        forms: if v.notice.client_notice_sent_at.is_none() {
            vec![
                FormView::new(
                    format!("/app/incidents/{id}/client-notice"),
                    u.incident_send_clients,
                    vec![],
                )
                .quiet(),
            ]
        } else {
            Vec::new()
        },
        ..Section::default()
    });
    if !v.updates.is_empty() {
        sections.push(Section {
            heading: u.incident_updates.into(),
            paragraphs: v
                .updates
                .iter()
                .map(|x| format!("{} · {}: {}", date_time(&ctx, x.at), x.phase, x.body))
                .collect(),
            ..Section::default()
        });
    }
    sections.push(Section {
        heading: u.incident_notice.into(),
        document: Some(v.notice.body.clone()),
        ..Section::default()
    });
    render(
        ctx,
        req,
        "security",
        status,
        u.incidents_title,
        "",
        sections,
    )
}

#[handler]
pub async fn incident(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelView(ctx): PanelView,
) -> Response {
    incident_page(ctx, req, &app, id, &FormData::default(), None).await
}

#[handler]
pub async fn incident_decision(
    req: &Request,
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    match app
        .record_incident_decision(&ctx.principal, id, form.get("decision"))
        .await
    {
        Ok(_) => ctx.redirect(&format!("/app/incidents/{id}?saved=1")),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            incident_page(ctx, req, &app, id, &form, Some(&f)).await
        }
    }
}

#[handler]
pub async fn incident_client_notice(
    app: Data<&App>,
    Path(id): Path<Uuid>,
    PanelPost(ctx, _form): PanelPost,
) -> Response {
    match app.send_incident_client_notice(&ctx.principal, id).await {
        Ok(_) => ctx.redirect(&format!("/app/incidents/{id}?saved=1")),
        Err(err) => ctx.failure(err),
    }
}
