//! The page handlers: sign-up, log-in, log-out, password reset,
//! invitations and the panel shell.

use askama::Template;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{FromRequest, Request, RequestBody, Response, handler};
use serde::Deserialize;
use termino_app::accounts::SignupInput;
use termino_app::auth::{Actor, ClientInfo, Principal};
use termino_app::{App, AppError, ConflictKind};
use termino_domain::business::Language;

use crate::http::{self, CookiePolicy};
use crate::i18n::{self, Texts};
use crate::views::{
    DEFAULT_TIME_ZONE, Field, FieldErrors, InvitePage, LangSwitch, LoginPage, MessagePage,
    ResetPage, ResetRequestPage, SignupPage, TIME_ZONES,
};

/// Forms are small; anything bigger is refused before it is read whole.
const FORM_LIMIT: usize = 64 * 1024;

/// A submitted HTML form. A body that is not a readable form counts as an
/// empty one (which then fails the CSRF check): a page never answers 500
/// for bad input. Only a body over [`FORM_LIMIT`] is refused (413).
pub struct PageForm<T>(pub T);

impl<'a, T: serde::de::DeserializeOwned + Default + Send> FromRequest<'a> for PageForm<T> {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes_limit(FORM_LIMIT).await?;
        let mut limited = RequestBody::new(poem::Body::from_bytes(bytes));
        let form = Option::<Form<T>>::from_request(req, &mut limited).await?;
        Ok(PageForm(form.map(|Form(v)| v).unwrap_or_default()))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PageQuery {
    pub(crate) lang: Option<String>,
    business: Option<String>,
}

/// What every page needs: its texts, the language switch, and the cookies
/// to set with the answer.
pub(crate) struct Page {
    pub(crate) t: &'static Texts,
    pub(crate) lang: Language,
    pub(crate) sw: LangSwitch,
    pub(crate) policy: CookiePolicy,
    pub(crate) cookies: Vec<String>,
    pub(crate) query: PageQuery,
    /// The language came from `?lang=` or the language cookie, not from
    /// the browser's header.
    pub(crate) chosen: bool,
}

impl Page {
    pub(crate) fn new(req: &Request, policy: CookiePolicy) -> Self {
        let query: PageQuery = req.params().unwrap_or_default();
        let cookie = http::cookie(req, http::LANG_COOKIE);
        let chosen = query
            .lang
            .as_deref()
            .is_some_and(|l| Language::parse(l).is_ok())
            || cookie
                .as_deref()
                .is_some_and(|l| Language::parse(l).is_ok());
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = i18n::choose_language(query.lang.as_deref(), cookie.as_deref(), accept);
        let mut cookies = Vec::new();
        if let Some(chosen) = query.lang.as_deref().and_then(|q| Language::parse(q).ok()) {
            cookies.push(http::lang_cookie(chosen.code(), policy));
        }
        Self {
            t: i18n::texts(lang),
            lang,
            sw: LangSwitch::for_query(req.uri().query()),
            policy,
            cookies,
            query,
            chosen,
        }
    }

    /// The token for a pre-login form, with its cookie set on the answer.
    fn form_token(&mut self, req: &Request) -> String {
        let token = http::form_token(req);
        self.cookies
            .push(http::form_csrf_cookie(&token, self.policy));
        token
    }

    pub(crate) fn html<T: Template>(self, status: StatusCode, page: &T) -> Response {
        let body = match page.render() {
            Ok(body) => body,
            Err(err) => {
                tracing::error!(error = %err, "page failed to render");
                return Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .content_type("text/plain; charset=utf-8")
                    .header(header::CACHE_CONTROL, "no-store")
                    .body("Internal server error");
            }
        };
        let mut resp = Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store");
        for cookie in self.cookies {
            resp = resp.header(header::SET_COOKIE, cookie);
        }
        resp.body(body)
    }

    pub(crate) fn redirect(self, location: &str) -> Response {
        let mut resp = Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, "no-store");
        for cookie in self.cookies {
            resp = resp.header(header::SET_COOKIE, cookie);
        }
        resp.finish()
    }

    pub(crate) fn message(
        self,
        status: StatusCode,
        title: &'static str,
        body: String,
        is_error: bool,
        link: Option<(&str, &'static str)>,
    ) -> Response {
        let page = MessagePage {
            t: self.t,
            sw: self.sw.clone(),
            title,
            body,
            is_error,
            link_href: link.map(|(href, _)| href.to_string()),
            link_text: link.map(|(_, text)| text).unwrap_or(""),
        };
        self.html(status, &page)
    }

    /// A page for an error no form can fix (the service is down, a bug).
    pub(crate) fn failure(self, err: AppError) -> Response {
        let t = self.t;
        let f = Failure::of(t, err);
        let body = f.form_error.unwrap_or_else(|| t.internal_error.to_string());
        self.message(f.status, t.error_title, body, true, None)
    }
}

/// How a use case's error shows on a form.
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) form_error: Option<String>,
    pub(crate) fields: FieldErrors,
    pub(crate) retry_after: Option<u64>,
}

impl Failure {
    pub(crate) fn of(t: &Texts, err: AppError) -> Self {
        let mut fields = FieldErrors::default();
        let (status, form_error, retry_after) = match err {
            AppError::Invalid(errors) => {
                for e in errors.0 {
                    fields.add(&e.field, i18n::field_error(t, &e.field, e.code, &e.message));
                }
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    t.fix_fields.to_string(),
                    None,
                )
            }
            AppError::Conflict {
                kind,
                field,
                message,
            } => match field {
                Some(field) => {
                    let code = kind.as_str().replace('-', "_");
                    fields.add(field, i18n::field_error(t, field, &code, &message));
                    (StatusCode::CONFLICT, t.fix_fields.to_string(), None)
                }
                None => {
                    let lang = Language::parse(t.code).unwrap_or(Language::En);
                    let u = crate::ui::ui(lang);
                    let text = match kind {
                        ConflictKind::PlanLimit => u.plan_limit.to_string(),
                        ConflictKind::PlanExpired => u.closed_no_services.to_string(),
                        ConflictKind::PlanChange => u.plan_change_blocked.to_string(),
                        ConflictKind::PastCutoff => u.cutoff_passed.to_string(),
                        // Said once, in English, by the use case.
                        ConflictKind::ProcessingRestricted
                        | ConflictKind::RequestClosed
                        | ConflictKind::AlreadyExtended
                        | ConflictKind::ExtensionTooLate
                        | ConflictKind::AlreadySent
                        | ConflictKind::NoData => message,
                        _ => t.conflict.to_string(),
                    };
                    (StatusCode::CONFLICT, text, None)
                }
            },
            AppError::BadCredentials => (
                StatusCode::UNAUTHORIZED,
                t.bad_credentials.to_string(),
                None,
            ),
            AppError::Throttled { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                i18n::throttled_message(t, retry_after_secs),
                Some(retry_after_secs),
            ),
            AppError::NotFound => (StatusCode::NOT_FOUND, t.not_found_body.to_string(), None),
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                t.bad_credentials.to_string(),
                None,
            ),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, t.forbidden.to_string(), None),
            AppError::Unavailable(reason) => {
                tracing::warn!(reason = %reason, "a page could not reach a service");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    t.unavailable.to_string(),
                    None,
                )
            }
            AppError::Internal(err) => {
                // The chain names tables and constraints, never personal data.
                tracing::error!(error = ?err, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    t.internal_error.to_string(),
                    None,
                )
            }
        };
        Self {
            status,
            form_error: Some(form_error),
            fields,
            retry_after,
        }
    }

    pub(crate) fn expired(t: &Texts) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            form_error: Some(t.form_expired.to_string()),
            fields: FieldErrors::default(),
            retry_after: None,
        }
    }

    /// Places the field errors; errors for fields the form lacks join the
    /// page-level message.
    pub(crate) fn apply(&self, fields: &mut [Field]) -> Option<String> {
        let unplaced = self.fields.place(fields);
        let mut message = self.form_error.clone();
        if !unplaced.is_empty() {
            let extra = unplaced.join(" ");
            message = Some(match message {
                Some(m) => format!("{m} {extra}"),
                None => extra,
            });
        }
        message
    }
}

fn with_retry_after(mut resp: Response, retry_after: Option<u64>) -> Response {
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, poem::http::HeaderValue::from(secs));
    }
    resp
}

pub(crate) fn session_token(req: &Request) -> Option<String> {
    http::cookie(req, http::SESSION_COOKIE).filter(|t| !t.is_empty())
}

pub(crate) fn csrf_of(principal: &Principal) -> Option<&str> {
    match &principal.actor {
        Actor::User { csrf_token, .. } => Some(csrf_token),
        Actor::ApiKey { .. } | Actor::Operator { .. } => None,
    }
}

// ---------------------------------------------------------------- sign-up

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignupForm {
    company_name: String,
    slug: String,
    owner_name: String,
    email: String,
    phone: String,
    password: String,
    time_zone: String,
    language: String,
    csrf_token: String,
}

fn signup_fields(t: &'static Texts, form: &SignupForm) -> Vec<Field> {
    let zones: Vec<(&str, String)> = TIME_ZONES
        .iter()
        .map(|z| (*z, z.replace('_', " ")))
        .collect();
    vec![
        Field::new("company_name", t.company_name, "text")
            .value(&form.company_name)
            .autocomplete("organization"),
        Field::new("slug", t.slug, "text")
            .value(&form.slug)
            .autocomplete("off")
            .hint(t.slug_hint)
            .prefix("/b/"),
        Field::new("owner_name", t.owner_name, "text")
            .value(&form.owner_name)
            .autocomplete("name"),
        Field::new("email", t.email, "email")
            .value(&form.email)
            .autocomplete("email"),
        Field::new("phone", t.phone, "tel")
            .value(&form.phone)
            .autocomplete("tel")
            .hint(t.phone_hint),
        // The password is never sent back.
        Field::new("password", t.password, "password")
            .autocomplete("new-password")
            .hint(t.new_password_hint),
        Field::new("time_zone", t.time_zone, "select")
            .value(&form.time_zone)
            .hint(t.time_zone_hint)
            .choices(&zones),
        Field::new("language", t.business_language, "select")
            .value(&form.language)
            .hint(t.business_language_hint)
            .choices(&[("pl", t.lang_pl), ("en", t.lang_en)]),
    ]
}

fn signup_page(
    mut p: Page,
    req: &Request,
    form: &SignupForm,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let mut fields = signup_fields(p.t, form);
    let form_error = failure.and_then(|f| f.apply(&mut fields));
    let page = SignupPage {
        t: p.t,
        sw: p.sw.clone(),
        csrf_token: p.form_token(req),
        fields,
        form_error,
    };
    let retry_after = failure.and_then(|f| f.retry_after);
    with_retry_after(p.html(status, &page), retry_after)
}

#[handler]
pub async fn signup_form(req: &Request, policy: Data<&CookiePolicy>) -> Response {
    let p = Page::new(req, *policy.0);
    let form = SignupForm {
        time_zone: DEFAULT_TIME_ZONE.to_string(),
        language: p.lang.code().to_string(),
        ..SignupForm::default()
    };
    signup_page(p, req, &form, StatusCode::OK, None)
}

#[handler]
pub async fn signup_submit(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<SignupForm>,
) -> Response {
    let mut p = Page::new(req, *policy.0);
    if !http::form_csrf_ok(req, &form.csrf_token) {
        let failure = Failure::expired(p.t);
        return signup_page(p, req, &form, failure.status, Some(&failure));
    }
    let input = SignupInput {
        company_name: form.company_name.clone(),
        slug: form.slug.clone(),
        owner_name: form.owner_name.clone(),
        email: form.email.clone(),
        phone: form.phone.clone(),
        password: form.password.clone(),
        time_zone: form.time_zone.clone(),
        language: form.language.clone(),
        // The page asks for a phone.
        phone_optional: false,
        dpa: None,
    };
    match app.signup(input).await {
        Ok(session) => {
            p.cookies
                .push(http::session_cookie(&session.token, p.policy));
            p.redirect("/app")
        }
        Err(err) => {
            let failure = Failure::of(p.t, err);
            signup_page(p, req, &form, failure.status, Some(&failure))
        }
    }
}

// ----------------------------------------------------------------- log-in

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    business: String,
    csrf_token: String,
}

fn login_page(
    mut p: Page,
    req: &Request,
    form: &LoginForm,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let t = p.t;
    let mut fields = vec![
        Field::new("email", t.email, "email")
            .value(&form.email)
            .autocomplete("username"),
        Field::new("password", t.password, "password").autocomplete("current-password"),
    ];
    let form_error = failure.and_then(|f| f.apply(&mut fields));
    let page = LoginPage {
        t,
        sw: p.sw.clone(),
        csrf_token: p.form_token(req),
        business: form.business.clone(),
        fields,
        form_error,
    };
    let retry_after = failure.and_then(|f| f.retry_after);
    with_retry_after(p.html(status, &page), retry_after)
}

#[handler]
pub async fn login_form(req: &Request, policy: Data<&CookiePolicy>) -> Response {
    let p = Page::new(req, *policy.0);
    let form = LoginForm {
        business: p.query.business.clone().unwrap_or_default(),
        ..LoginForm::default()
    };
    login_page(p, req, &form, StatusCode::OK, None)
}

#[handler]
pub async fn login_submit(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let mut p = Page::new(req, *policy.0);
    if !http::form_csrf_ok(req, &form.csrf_token) {
        let failure = Failure::expired(p.t);
        return login_page(p, req, &form, failure.status, Some(&failure));
    }
    let business = Some(form.business.trim()).filter(|b| !b.is_empty());
    let client = ClientInfo {
        ip: http::client_ip(req),
    };
    match app
        .login(&form.email, &form.password, business, &client)
        .await
    {
        Ok(session) => {
            p.cookies
                .push(http::session_cookie(&session.token, p.policy));
            p.redirect("/app")
        }
        Err(err) => {
            let failure = Failure::of(p.t, err);
            login_page(p, req, &form, failure.status, Some(&failure))
        }
    }
}

// ---------------------------------------------------------------- log-out

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf_token: String,
}

#[handler]
pub async fn logout(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<CsrfForm>,
) -> Response {
    let mut p = Page::new(req, *policy.0);
    if let Some(token) = session_token(req) {
        match app.authenticate_session(&token).await {
            Ok(principal) => {
                let expected = csrf_of(&principal).unwrap_or("");
                if !http::tokens_match(expected, &form.csrf_token) {
                    let t = p.t;
                    return p.message(
                        StatusCode::FORBIDDEN,
                        t.error_title,
                        t.logout_expired.to_string(),
                        true,
                        Some(("/app", t.back_to_app)),
                    );
                }
                if let Err(err) = app.logout(&token).await {
                    return p.failure(err);
                }
            }
            // Already over: only the cookie is left to clear.
            Err(AppError::Unauthenticated) => {}
            Err(err) => return p.failure(err),
        }
    }
    p.cookies.push(http::clear_session_cookie(p.policy));
    p.redirect("/login")
}

// --------------------------------------------------------- password reset

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetRequestForm {
    email: String,
    csrf_token: String,
}

fn reset_request_page(
    mut p: Page,
    req: &Request,
    email: &str,
    status: StatusCode,
    failure: Option<&Failure>,
    sent: bool,
) -> Response {
    let t = p.t;
    let mut fields = vec![
        Field::new("email", t.email, "email")
            .value(email)
            .autocomplete("email"),
    ];
    let form_error = failure.and_then(|f| f.apply(&mut fields));
    let page = ResetRequestPage {
        t,
        sw: p.sw.clone(),
        csrf_token: p.form_token(req),
        fields,
        form_error,
        sent,
    };
    p.html(status, &page)
}

#[handler]
pub async fn reset_request_form(req: &Request, policy: Data<&CookiePolicy>) -> Response {
    let p = Page::new(req, *policy.0);
    reset_request_page(p, req, "", StatusCode::OK, None, false)
}

#[handler]
pub async fn reset_request_submit(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<ResetRequestForm>,
) -> Response {
    let p = Page::new(req, *policy.0);
    if !http::form_csrf_ok(req, &form.csrf_token) {
        let failure = Failure::expired(p.t);
        return reset_request_page(p, req, &form.email, failure.status, Some(&failure), false);
    }
    match app.request_password_reset(&form.email).await {
        // The same answer whether or not the address has an account.
        Ok(()) => reset_request_page(p, req, "", StatusCode::OK, None, true),
        Err(err) => {
            let failure = Failure::of(p.t, err);
            reset_request_page(p, req, &form.email, failure.status, Some(&failure), false)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResetForm {
    password: String,
    csrf_token: String,
}

fn reset_page(
    mut p: Page,
    req: &Request,
    token: &str,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let t = p.t;
    let mut fields = vec![
        Field::new("password", t.new_password, "password")
            .autocomplete("new-password")
            .hint(t.new_password_hint),
    ];
    let form_error = failure.and_then(|f| f.apply(&mut fields));
    let page = ResetPage {
        t,
        sw: p.sw.clone(),
        csrf_token: p.form_token(req),
        token: token.to_string(),
        fields,
        form_error,
    };
    p.html(status, &page)
}

fn reset_invalid(p: Page) -> Response {
    let t = p.t;
    p.message(
        StatusCode::NOT_FOUND,
        t.reset_invalid_title,
        t.reset_invalid.to_string(),
        true,
        Some(("/reset", t.reset_ask_again)),
    )
}

#[handler]
pub async fn reset_form(
    req: &Request,
    policy: Data<&CookiePolicy>,
    Path(token): Path<String>,
) -> Response {
    let p = Page::new(req, *policy.0);
    reset_page(p, req, &token, StatusCode::OK, None)
}

#[handler]
pub async fn reset_submit(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    Path(token): Path<String>,
    PageForm(form): PageForm<ResetForm>,
) -> Response {
    let p = Page::new(req, *policy.0);
    if !http::form_csrf_ok(req, &form.csrf_token) {
        let failure = Failure::expired(p.t);
        return reset_page(p, req, &token, failure.status, Some(&failure));
    }
    match app.reset_password(&token, &form.password).await {
        Ok(()) => {
            let t = p.t;
            p.message(
                StatusCode::OK,
                t.reset_done_title,
                t.reset_done.to_string(),
                false,
                Some(("/login", t.login_link)),
            )
        }
        Err(AppError::NotFound) => reset_invalid(p),
        Err(AppError::Invalid(errors)) if errors.0.iter().any(|e| e.field == "token") => {
            reset_invalid(p)
        }
        Err(err) => {
            let failure = Failure::of(p.t, err);
            reset_page(p, req, &token, failure.status, Some(&failure))
        }
    }
}

// ------------------------------------------------------------ invitations

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    name: String,
    password: String,
    csrf_token: String,
}

fn invite_invalid(p: Page) -> Response {
    let t = p.t;
    p.message(
        StatusCode::NOT_FOUND,
        t.invite_invalid_title,
        t.invite_invalid.to_string(),
        true,
        None,
    )
}

/// The invitation form, or the "not valid" page when the link is.
async fn invite_page(
    mut p: Page,
    req: &Request,
    app: &App,
    token: &str,
    form: &InviteForm,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let preview = match app.invitation_preview(token).await {
        Ok(preview) => preview,
        Err(AppError::NotFound) => return invite_invalid(p),
        Err(err) => return p.failure(err),
    };
    let t = p.t;
    let mut fields = if preview.has_account {
        vec![Field::new("password", t.your_password, "password").autocomplete("current-password")]
    } else {
        vec![
            Field::new("name", t.your_name, "text")
                .value(&form.name)
                .autocomplete("name"),
            Field::new("password", t.password, "password")
                .autocomplete("new-password")
                .hint(t.new_password_hint),
        ]
    };
    let form_error = failure.and_then(|f| f.apply(&mut fields));
    let page = InvitePage {
        t,
        sw: p.sw.clone(),
        csrf_token: p.form_token(req),
        token: token.to_string(),
        business_name: preview.business_name,
        role: i18n::role_name(t, preview.role),
        email: preview.email,
        has_account: preview.has_account,
        fields,
        form_error,
    };
    p.html(status, &page)
}

#[handler]
pub async fn invite_form(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    Path(token): Path<String>,
) -> Response {
    let p = Page::new(req, *policy.0);
    invite_page(
        p,
        req,
        &app,
        &token,
        &InviteForm::default(),
        StatusCode::OK,
        None,
    )
    .await
}

#[handler]
pub async fn invite_submit(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    Path(token): Path<String>,
    PageForm(form): PageForm<InviteForm>,
) -> Response {
    let mut p = Page::new(req, *policy.0);
    if !http::form_csrf_ok(req, &form.csrf_token) {
        let failure = Failure::expired(p.t);
        return invite_page(p, req, &app, &token, &form, failure.status, Some(&failure)).await;
    }
    let name = Some(form.name.as_str()).filter(|n| !n.trim().is_empty());
    match app.accept_invitation(&token, name, &form.password).await {
        Ok(session) => {
            p.cookies
                .push(http::session_cookie(&session.token, p.policy));
            p.redirect("/app")
        }
        Err(AppError::NotFound) => invite_invalid(p),
        Err(AppError::BadCredentials) => {
            let t = p.t;
            let mut failure = Failure::of(t, AppError::BadCredentials);
            failure.form_error = Some(t.fix_fields.to_string());
            failure
                .fields
                .add("password", t.invite_wrong_password.to_string());
            invite_page(p, req, &app, &token, &form, failure.status, Some(&failure)).await
        }
        Err(err) => {
            let failure = Failure::of(p.t, err);
            invite_page(p, req, &app, &token, &form, failure.status, Some(&failure)).await
        }
    }
}

// ----------------------------------------------------------------- static

#[handler]
pub fn stylesheet() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(crate::CSS)
}

#[derive(askama::Template)]
#[template(path = "subprocessors.html")]
struct SubprocessorsPage {
    t: &'static Texts,
    u: &'static crate::ui::Ui,
    sw: crate::views::LangSwitch,
    subprocessors: Vec<termino_app::subprocessors::Subprocessor>,
    planned: Vec<String>,
}

/// Termino's sub-processors, public (the DPA points here).
#[handler]
pub async fn subprocessors(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    let p = Page::new(req, **policy);
    let list = match app.subprocessor_list().await {
        Ok(l) => l,
        Err(err) => return p.failure(err),
    };
    let u = crate::ui::ui(p.lang);
    let planned = list
        .planned
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                u.sub_planned
                    .replace("{date}", &c.effective_at.format("%Y-%m-%d").to_string()),
                c.summary
            )
        })
        .collect();
    let page = SubprocessorsPage {
        t: p.t,
        u,
        sw: p.sw.clone(),
        subprocessors: list.entries,
        planned,
    };
    p.html(StatusCode::OK, &page)
}
