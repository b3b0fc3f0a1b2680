//! Business settings, users and roles, API keys.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::AppError;
use termino_app::business::BusinessUpdate;
use termino_domain::account::Role;
use termino_domain::scope::{Access, Area};
use uuid::Uuid;

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of, parse_int};
use crate::http::CookiePolicy;
use crate::i18n::{self, Texts};
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch, TIME_ZONES};

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

// -------------------------------------------------------------- settings

fn settings_page(
    ctx: Ctx,
    req: &Request,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let (u, t) = (ctx.u, ctx.t());
    let zones: Vec<(&str, String)> = TIME_ZONES
        .iter()
        .map(|z| (*z, z.replace('_', " ")))
        .collect();
    let languages = [("pl", "Polski"), ("en", "English")];
    let fields = vec![
        Field::new("name", t.company_name, "text").value(form.get("name")),
        Field::new("time_zone", t.time_zone, "text")
            .value(form.get("time_zone"))
            .choices(&zones),
        Field::new("language", t.business_language, "text")
            .value(form.get("language"))
            .choices(&languages),
        Field::new("cancellation_cutoff_hours", u.cutoff_hours, "number")
            .value(form.get("cancellation_cutoff_hours")),
        Field::checkbox(
            "polish_holidays",
            u.polish_holidays,
            form.on("polish_holidays"),
        ),
        Field::new("booking_intro", u.booking_intro, "textarea")
            .value(form.get("booking_intro"))
            .optional(),
        Field::new("privacy_notice_url", u.privacy_url, "url")
            .value(form.get("privacy_notice_url"))
            .optional(),
        Field::new("marketing_consent_text", u.consent_text, "text")
            .value(form.get("marketing_consent_text"))
            .optional(),
        Field::new("contact_email", u.contact_email, "email")
            .value(form.get("contact_email"))
            .optional(),
        Field::new("payment_hold_minutes", u.hold_minutes, "number")
            .value(form.get("payment_hold_minutes")),
        Field::checkbox(
            "refund_client_cancellations",
            u.refund_client_cancellations,
            form.on("refund_client_cancellations"),
        ),
    ];
    let page = FormPage {
        t,
        u,
        sw: ctx.sw(),
        c: ctx.chrome("settings", req),
        title: u.settings_title.to_string(),
        form: FormView::new("/app/settings", u.save, fields).with_failure(failure),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn settings(req: &Request, PanelView(ctx): PanelView) -> Response {
    let b = &ctx.business;
    let mut pairs: Vec<(String, String)> = vec![
        ("name".into(), b.name.clone()),
        ("time_zone".into(), b.time_zone.clone()),
        ("language".into(), b.language.clone()),
        (
            "cancellation_cutoff_hours".into(),
            b.cancellation_cutoff_hours.to_string(),
        ),
        ("booking_intro".into(), b.booking_intro.clone()),
        (
            "privacy_notice_url".into(),
            b.privacy_notice_url.clone().unwrap_or_default(),
        ),
        (
            "marketing_consent_text".into(),
            b.marketing_consent_text.clone().unwrap_or_default(),
        ),
        (
            "contact_email".into(),
            b.contact_email.clone().unwrap_or_default(),
        ),
    ];
    if b.polish_holidays {
        pairs.push(("polish_holidays".into(), "on".into()));
    }
    pairs.push((
        "payment_hold_minutes".into(),
        b.payment_hold_minutes.to_string(),
    ));
    if b.refund_client_cancellations {
        pairs.push(("refund_client_cancellations".into(), "on".into()));
    }
    settings_page(ctx, req, &FormData(pairs), StatusCode::OK, None)
}

#[handler]
pub async fn save_settings(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let mut errors = termino_domain::ValidationErrors::new();
    let cutoff = parse_int(&mut errors, &form, "cancellation_cutoff_hours");
    let hold = parse_int(&mut errors, &form, "payment_hold_minutes");
    let result = match errors.into_result() {
        Err(e) => Err(AppError::from(e)),
        Ok(()) => app
            .update_business(
                &ctx.principal,
                BusinessUpdate {
                    name: Some(form.get("name").to_string()),
                    time_zone: Some(form.get("time_zone").to_string()),
                    language: Some(form.get("language").to_string()),
                    cancellation_cutoff_hours: Some(cutoff),
                    polish_holidays: Some(form.on("polish_holidays")),
                    booking_intro: Some(form.get("booking_intro").to_string()),
                    privacy_notice_url: Some(form.get("privacy_notice_url").to_string()),
                    marketing_consent_text: Some(form.get("marketing_consent_text").to_string()),
                    payment_hold_minutes: Some(hold),
                    refund_client_cancellations: Some(form.on("refund_client_cancellations")),
                    // Not on this page yet: kept as it is.
                    sms_without_polish_characters: None,
                    contact_email: Some(form.get("contact_email").to_string()),
                },
            )
            .await
            .map(|_| ()),
    };
    match result {
        Ok(()) => ctx.redirect("/app/settings?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            settings_page(ctx, req, &form, status, Some(&f))
        }
    }
}

// ------------------------------------------------------------------ team

#[derive(Debug, Clone)]
struct MemberLine {
    name: String,
    email: String,
    role: &'static str,
    forms: Vec<FormView>,
}

#[derive(Template)]
#[template(path = "panel_team.html")]
struct TeamPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    members: Vec<MemberLine>,
    invitations: Vec<(String, FormView)>,
    invite: Option<FormView>,
    error: Option<String>,
}

fn role_choices(t: &Texts) -> Vec<(&'static str, &'static str)> {
    vec![
        ("staff", i18n::role_name(t, Role::Staff)),
        ("admin", i18n::role_name(t, Role::Admin)),
        ("owner", i18n::role_name(t, Role::Owner)),
    ]
}

async fn team_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let manage = ctx.me.role.can_manage_users();
    let loaded = async {
        let members = app.members(&ctx.principal).await?;
        let invitations = if manage {
            app.invitations(&ctx.principal).await?
        } else {
            Vec::new()
        };
        Ok::<_, AppError>((members, invitations))
    }
    .await;
    let (members, invitations) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let (u, t) = (ctx.u, ctx.t());
    let roles = role_choices(t);
    let me = ctx.me.user_id;
    let page = TeamPage {
        t,
        u,
        sw: ctx.sw(),
        c: ctx.chrome("team", req),
        members: members
            .iter()
            .map(|m| MemberLine {
                name: m.name.clone(),
                email: m.email.clone(),
                role: i18n::role_name(t, m.role),
                forms: if manage {
                    let mut forms = vec![
                        FormView::new(
                            format!("/app/team/{}/role", m.user_id),
                            u.change_role,
                            vec![
                                Field::new("role", u.role, "text")
                                    .value(m.role.as_str())
                                    .choices(&roles)
                                    .prefixed(format!("m{}-", m.user_id.simple())),
                            ],
                        )
                        .inline()
                        .quiet(),
                    ];
                    if m.user_id != me {
                        forms.push(
                            FormView::new(
                                format!("/app/team/{}/remove", m.user_id),
                                u.remove,
                                Vec::new(),
                            )
                            .inline()
                            .danger(),
                        );
                    }
                    forms
                } else {
                    Vec::new()
                },
            })
            .collect(),
        invitations: invitations
            .iter()
            .map(|i| {
                (
                    format!(
                        "{} · {} · {} {}",
                        i.email,
                        i18n::role_name(t, i.role),
                        u.expires,
                        super::date_time(&ctx, i.expires_at)
                    ),
                    FormView::new(
                        format!("/app/team/invitations/{}/revoke", i.id),
                        u.revoke,
                        Vec::new(),
                    )
                    .inline()
                    .quiet(),
                )
            })
            .collect(),
        invite: manage.then(|| {
            FormView::new(
                "/app/team/invite",
                u.invite,
                vec![
                    Field::new("email", t.email, "email").value(form.get("email")),
                    Field::new("role", u.role, "text")
                        .value(if form.get("role").is_empty() {
                            "staff"
                        } else {
                            form.get("role")
                        })
                        .choices(&roles),
                ],
            )
            .with_failure(failure)
        }),
        error: if manage {
            None
        } else {
            failure.and_then(|f| f.form_error.clone())
        },
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn team(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    team_page(ctx, req, &app, &FormData::default(), StatusCode::OK, None).await
}

#[handler]
pub async fn invite(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    match app
        .invite(&ctx.principal, form.get("email"), form.get("role"))
        .await
    {
        Ok(_) => ctx.redirect("/app/team?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            team_page(ctx, req, &app, &form, f.status, Some(&f)).await
        }
    }
}

async fn team_action(
    req: &Request,
    app: &App,
    ctx: Ctx,
    id: &str,
    act: impl AsyncFnOnce(&App, &Ctx, Uuid) -> Result<(), AppError>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    match act(app, &ctx, id).await {
        Ok(()) => ctx.redirect("/app/team?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let mut f = f;
            if f.form_error.is_none() || !f.fields.0.is_empty() {
                let text: Vec<String> = f.fields.0.iter().map(|(_, t)| t.clone()).collect();
                f.form_error = Some(text.join(" "));
            }
            team_page(ctx, req, app, &FormData::default(), f.status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn change_role(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let role = form.get("role").to_string();
    team_action(req, &app, ctx, &id, async move |app, ctx, id| {
        app.change_role(&ctx.principal, id, &role).await.map(|_| ())
    })
    .await
}

#[handler]
pub async fn remove_member(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    team_action(req, &app, ctx, &id, async |app, ctx, id| {
        app.remove_member(&ctx.principal, id).await
    })
    .await
}

#[handler]
pub async fn revoke_invitation(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    team_action(req, &app, ctx, &id, async |app, ctx, id| {
        app.revoke_invitation(&ctx.principal, id).await
    })
    .await
}

// -------------------------------------------------------------- API keys

#[derive(Debug, Clone)]
struct KeyLine {
    name: String,
    meta: String,
    revoke: Option<FormView>,
}

#[derive(Template)]
#[template(path = "panel_api_keys.html")]
struct KeysPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    keys: Vec<KeyLine>,
    create: Option<FormView>,
    secret: Option<String>,
    error: Option<String>,
}

fn scope_options(u: &Ui, chosen: &[&str]) -> Vec<(String, String, bool)> {
    let mut options = vec![(
        "*".to_string(),
        u.key_all.to_string(),
        chosen.contains(&"*"),
    )];
    for area in Area::ALL {
        for access in [Access::Read, Access::Write] {
            let value = format!("{}:{}", area.as_str(), access.as_str());
            let on = chosen.contains(&value.as_str());
            options.push((value.clone(), value, on));
        }
    }
    options
}

async fn keys_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    secret: Option<String>,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let allowed = ctx.me.role.can_manage_api_keys();
    let keys = if allowed {
        match app.api_keys(&ctx.principal).await {
            Ok(k) => k,
            Err(err) => return ctx.failure(err),
        }
    } else {
        Vec::new()
    };
    let u = ctx.u;
    let page = KeysPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("api-keys", req),
        keys: keys
            .iter()
            .map(|k| KeyLine {
                name: k.name.clone(),
                meta: format!(
                    "{}… · {} · {}: {}{}",
                    k.prefix,
                    k.scopes.list().join(", "),
                    u.last_used,
                    k.last_used_at
                        .map(|at| super::date_time(&ctx, at))
                        .unwrap_or_else(|| u.never.to_string()),
                    if k.revoked_at.is_some() {
                        format!(" · {}", u.revoked)
                    } else {
                        String::new()
                    }
                ),
                revoke: k.revoked_at.is_none().then(|| {
                    FormView::new(
                        format!("/app/api-keys/{}/revoke", k.id),
                        u.revoke,
                        Vec::new(),
                    )
                    .inline()
                    .danger()
                }),
            })
            .collect(),
        create: allowed.then(|| {
            let chosen = form.all("scopes");
            FormView::new(
                "/app/api-keys",
                u.new_key,
                vec![
                    Field::new("name", u.key_name, "text").value(form.get("name")),
                    Field::checkboxes(
                        "scopes",
                        u.key_scopes,
                        scope_options(u, if chosen.is_empty() { &["*"] } else { &chosen }),
                    ),
                ],
            )
            .with_failure(failure)
        }),
        secret,
        error: if allowed {
            None
        } else {
            Some(u.managers_only.to_string())
        },
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn api_keys(req: &Request, app: Data<&App>, policy: Data<&CookiePolicy>) -> Response {
    match Ctx::load(req, &app, *policy.0).await {
        Ok(ctx) => {
            keys_page(
                ctx,
                req,
                &app,
                &FormData::default(),
                None,
                StatusCode::OK,
                None,
            )
            .await
        }
        Err(resp) => resp,
    }
}

#[handler]
pub async fn create_api_key(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let scopes: Vec<String> = form.all("scopes").iter().map(|s| s.to_string()).collect();
    match app
        .create_api_key(&ctx.principal, form.get("name"), &scopes)
        .await
    {
        // Shown once, on this answer only (no-store).
        Ok(created) => {
            keys_page(
                ctx,
                req,
                &app,
                &FormData::default(),
                Some(created.secret),
                StatusCode::CREATED,
                None,
            )
            .await
        }
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            keys_page(ctx, req, &app, &form, None, f.status, Some(&f)).await
        }
    }
}

#[handler]
pub async fn revoke_api_key(
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return ctx.failure(AppError::NotFound);
    };
    match app.revoke_api_key(&ctx.principal, id).await {
        Ok(_) => ctx.redirect("/app/api-keys?saved=1"),
        Err(err) => ctx.failure(err),
    }
}
