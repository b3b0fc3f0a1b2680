//! The client's side of data-subject requests, linked from the booking
//! page: prove the e-mail address through a link sent to it, then ask for a
//! copy, a correction, erasure, restriction, no more marketing, or a
//! consent withdrawn.

use askama::Template;
use chrono::Duration;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::requests::RequestDetails;
use termino_app::{App, AppError};
use termino_domain::business::Language;
use termino_domain::requests::RequestKind;

use crate::booking::not_found;
use crate::http::CookiePolicy;
use crate::i18n::{self, Texts};
use crate::pages::{Failure, Page, PageForm};
use crate::panel::{FormData, kind_label};
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

const FORM_TTL_HOURS: i64 = 2;

#[derive(Template)]
#[template(path = "your_data.html")]
struct YourDataPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    embed: bool,
    business_name: String,
    lead: String,
    error: Option<String>,
    notice: Option<String>,
    action: String,
    hidden: Vec<(String, String)>,
    fields: Vec<Field>,
    submit: &'static str,
    requests: Vec<String>,
}

struct Business {
    tenant: uuid::Uuid,
    slug: String,
    name: String,
    language: String,
}

/// The business whose page this is, or the page to answer instead (not
/// found, or a failure).
async fn business(
    app: &App,
    req: &Request,
    policy: CookiePolicy,
    slug: &str,
) -> Result<Business, Response> {
    match app.public_business(slug).await {
        Ok(b) => Ok(Business {
            tenant: b.scope.id(),
            slug: b.slug,
            name: b.name,
            language: b.language,
        }),
        Err(AppError::NotFound) => Err(not_found(Page::new(req, policy))),
        Err(e) => Err(Page::new(req, policy).failure(e)),
    }
}

fn page_of(req: &Request, policy: CookiePolicy, b: &Business) -> Page {
    let mut p = Page::new(req, policy);
    if !p.chosen
        && let Ok(lang) = Language::parse(&b.language)
    {
        p.lang = lang;
        p.t = i18n::texts(lang);
    }
    p
}

fn email_page(app: &App, p: Page, b: &Business, email: &str, failure: Option<Failure>) -> Response {
    let u = ui::ui(p.lang);
    let mut fields = vec![
        Field::new("email", u.your_email, "email")
            .value(email)
            .autocomplete("email"),
    ];
    let (status, error) = match failure {
        Some(f) => {
            let status = f.status;
            (status, f.apply(&mut fields))
        }
        None => (StatusCode::OK, None),
    };
    let page = YourDataPage {
        t: p.t,
        u,
        sw: p.sw.clone(),
        embed: false,
        business_name: b.name.clone(),
        lead: u.your_data_lead.into(),
        error,
        notice: None,
        action: format!("/b/{}/your-data", b.slug),
        hidden: vec![(
            "form_token".into(),
            app.public_form_token(b.tenant, Duration::hours(FORM_TTL_HOURS)),
        )],
        fields,
        submit: u.your_data_send,
        requests: Vec::new(),
    };
    p.html(status, &page)
}

#[handler]
pub async fn email_form(
    req: &Request,
    Path(slug): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    match business(&app, req, *policy.0, &slug).await {
        Ok(b) => email_page(&app, page_of(req, *policy.0, &b), &b, "", None),
        Err(answer) => answer,
    }
}

#[handler]
pub async fn send_link(
    req: &Request,
    Path(slug): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let b = match business(&app, req, *policy.0, &slug).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let p = page_of(req, *policy.0, &b);
    if !crate::booking::form_ok(req, &app, b.tenant, form.get("form_token")) {
        let f = Failure::expired(p.t);
        return email_page(&app, p, &b, form.get("email"), Some(f));
    }
    match app.request_subject_link(&b.slug, form.get("email")).await {
        Ok(()) => {
            let u = ui::ui(p.lang);
            p.message(
                StatusCode::OK,
                u.your_data_title,
                u.your_data_sent.to_string(),
                false,
                None,
            )
        }
        Err(err) => {
            let f = Failure::of(p.t, err);
            email_page(&app, p, &b, form.get("email"), Some(f))
        }
    }
}

async fn request_page(
    app: &App,
    p: Page,
    b: &Business,
    token: &str,
    form: &FormData,
    failure: Option<Failure>,
) -> Response {
    let u = ui::ui(p.lang);
    let view = match app.subject_view(&b.slug, token).await {
        Ok(v) => v,
        Err(AppError::NotFound) => {
            return p.message(
                StatusCode::NOT_FOUND,
                u.your_data_title,
                u.your_data_bad_link.to_string(),
                true,
                Some((&format!("/b/{}/your-data", b.slug), u.your_data_send)),
            );
        }
        Err(e) => return p.failure(e),
    };
    if !view.known {
        return p.message(
            StatusCode::OK,
            u.your_data_title,
            u.your_data_unknown.replace("{business}", &b.name),
            false,
            None,
        );
    }
    let kinds: Vec<(&str, &str)> = RequestKind::ALL
        .iter()
        .map(|k| (k.as_str(), kind_label(u, *k)))
        .collect();
    let mut fields = vec![
        Field::new("kind", u.your_data_ask, "select")
            .value(form.get("kind"))
            .choices(&kinds),
        Field::new("name", u.your_data_name, "text")
            .value(form.get("name"))
            .optional(),
        Field::new("phone", u.your_data_phone, "tel")
            .value(form.get("phone"))
            .optional(),
        Field::new("note", u.your_data_note, "textarea")
            .value(form.get("note"))
            .optional(),
    ];
    let (status, error) = match failure {
        Some(f) => {
            let status = f.status;
            (status, f.apply(&mut fields))
        }
        None => (StatusCode::OK, None),
    };
    let requests = view
        .requests
        .iter()
        .map(|(kind, received, deadline, status)| {
            format!(
                "{} · {} · {} {} · {}",
                kind_label(u, *kind),
                received.format("%Y-%m-%d"),
                u.req_deadline,
                deadline.format("%Y-%m-%d"),
                match status.as_str() {
                    "open" => u.req_open,
                    "completed" => u.req_completed,
                    _ => u.req_refused,
                }
            )
        })
        .collect();
    let page = YourDataPage {
        t: p.t,
        u,
        sw: p.sw.clone(),
        embed: false,
        business_name: view.business_name,
        lead: String::new(),
        error,
        notice: None,
        action: format!("/b/{}/your-data/{token}", b.slug),
        hidden: vec![(
            "form_token".into(),
            app.public_form_token(b.tenant, Duration::hours(FORM_TTL_HOURS)),
        )],
        fields,
        submit: u.your_data_file,
        requests,
    };
    p.html(status, &page)
}

#[handler]
pub async fn show(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    match business(&app, req, *policy.0, &slug).await {
        Ok(b) => {
            let p = page_of(req, *policy.0, &b);
            request_page(&app, p, &b, &token, &FormData::default(), None).await
        }
        Err(answer) => answer,
    }
}

#[handler]
pub async fn file(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let b = match business(&app, req, *policy.0, &slug).await {
        Ok(b) => b,
        Err(answer) => return answer,
    };
    let p = page_of(req, *policy.0, &b);
    if !crate::booking::form_ok(req, &app, b.tenant, form.get("form_token")) {
        let f = Failure::expired(p.t);
        return request_page(&app, p, &b, &token, &form, Some(f)).await;
    }
    let result = app
        .file_data_request(
            &b.slug,
            &token,
            form.get("kind"),
            RequestDetails {
                name: form.opt("name"),
                phone: form.opt("phone"),
                note: form.opt("note"),
            },
        )
        .await;
    match result {
        Ok(r) => {
            let u = ui::ui(p.lang);
            p.message(
                StatusCode::CREATED,
                u.your_data_title,
                u.your_data_filed
                    .replace("{business}", &b.name)
                    .replace("{date}", &r.deadline().format("%Y-%m-%d").to_string()),
                false,
                None,
            )
        }
        Err(err) => {
            let f = Failure::of(p.t, err);
            request_page(&app, p, &b, &token, &form, Some(f)).await
        }
    }
}
