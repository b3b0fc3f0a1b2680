//! The business panel under `/app`: today's agenda, the calendar, bookings,
//! clients, services, staff, closures, settings, users and API keys.
//!
//! Every page is a plain server-rendered page and every change a plain
//! form post answered by a redirect (or, with errors, the same page again
//! with the input kept and the errors beside the fields).

// The error of a page's set-up is the answer to send (a redirect to the
// log-in, an error page): it is made once per request, boxing buys nothing.
#![allow(clippy::result_large_err)]

mod accountability;
mod bookings;
mod calendar;
mod catalog;
mod changes;
pub(crate) use accountability::{Cell, Section, cell, kind_label, link};
mod clients;
mod compliance;
mod feeds;
mod notices;
mod plan;
mod reminders;
mod settings;
mod sms;

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::{Request, Response, Route, get, post};
use termino_app::accounts::{Business, Member};
use termino_app::auth::Principal;
use termino_app::{App, AppError, ConflictKind};

use crate::http::{self, CookiePolicy};
use crate::i18n::{self, Texts};
use crate::pages::{self, Failure, Page, PageForm};
use crate::security_headers;
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

pub fn routes() -> Route {
    let page = |ep| security_headers(ep);
    Route::new()
        .at("/", page(get(bookings::today)))
        .at("/calendar", page(get(calendar::calendar)))
        .at("/changes", page(get(changes::changes)))
        .at(
            "/bookings/new",
            page(get(bookings::new_form).post(bookings::create)),
        )
        .at("/bookings/:id", page(get(bookings::show)))
        .at("/bookings/:id/move", page(post(bookings::move_booking)))
        .at("/bookings/:id/status", page(post(bookings::set_status)))
        .at("/clients", page(get(clients::list)))
        .at(
            "/clients/new",
            page(get(clients::new_form).post(clients::create)),
        )
        .at(
            "/clients/:id",
            page(get(clients::show).post(clients::update)),
        )
        .at("/clients/:id/delete", page(post(clients::delete)))
        .at("/services", page(get(catalog::services)))
        .at(
            "/services/new",
            page(get(catalog::new_service).post(catalog::create_service)),
        )
        .at(
            "/services/:id",
            page(get(catalog::service).post(catalog::update_service)),
        )
        .at(
            "/staff",
            page(get(catalog::staff_list).post(catalog::create_staff)),
        )
        .at(
            "/staff/:id",
            page(get(catalog::staff_member).post(catalog::update_staff)),
        )
        .at("/staff/:id/hours", page(post(catalog::set_hours)))
        .at("/staff/:id/days-off", page(post(catalog::add_day_off)))
        .at(
            "/staff/:id/days-off/:date/delete",
            page(post(catalog::remove_day_off)),
        )
        .at(
            "/closures",
            page(get(catalog::closures).post(catalog::create_closure)),
        )
        .at("/closures/:id/delete", page(post(catalog::delete_closure)))
        .at(
            "/settings",
            page(get(settings::settings).post(settings::save_settings)),
        )
        .at(
            "/settings/reminders",
            page(get(reminders::reminders).post(reminders::save_reminders)),
        )
        .at(
            "/calendar-feeds",
            page(get(feeds::show).post(feeds::create_feed)),
        )
        .at(
            "/calendar-feeds/:id/regenerate",
            page(post(feeds::regenerate)),
        )
        .at("/calendar-feeds/:id/revoke", page(post(feeds::revoke)))
        .at("/calendar-feeds/staff/:id", page(post(feeds::connect)))
        .at(
            "/calendar-feeds/external/:id/remove",
            page(post(feeds::disconnect)),
        )
        .at("/settings/sms", page(get(sms::show).post(sms::save)))
        .at("/notices", page(get(notices::show).post(notices::save)))
        .at("/team", page(get(settings::team)))
        .at("/team/invite", page(post(settings::invite)))
        .at("/team/:id/role", page(post(settings::change_role)))
        .at("/team/:id/remove", page(post(settings::remove_member)))
        .at(
            "/team/invitations/:id/revoke",
            page(post(settings::revoke_invitation)),
        )
        .at(
            "/api-keys",
            page(get(settings::api_keys).post(settings::create_api_key)),
        )
        .at("/api-keys/:id/revoke", page(post(settings::revoke_api_key)))
        .at("/plan", page(get(plan::show)))
        .at("/plan/checkout", page(post(plan::checkout)))
        .at("/plan/portal", page(post(plan::portal)))
        .at("/plan/free", page(post(plan::free)))
        .at("/plan/tpay", page(post(plan::tpay)))
        .at("/payments", page(get(plan::payments)))
        .at("/payments/connect", page(post(plan::connect)))
        .at("/payments/tpay", page(post(plan::save_tpay)))
        .at(
            "/dpa",
            page(get(compliance::show_dpa).post(compliance::accept_dpa)),
        )
        .at(
            "/dpa/acceptances/:id",
            page(get(compliance::acceptance_download)),
        )
        .at(
            "/dpa/objections/:version",
            page(post(compliance::object_change)),
        )
        .at("/account", page(get(compliance::show_account)))
        .at("/account/export.json", page(get(compliance::export_json)))
        .at("/account/export/:file", page(get(compliance::export_csv)))
        .at("/account/retention", page(post(compliance::set_retention)))
        .at("/account/delete", page(post(compliance::request_delete)))
        .at(
            "/account/delete/cancel",
            page(post(compliance::cancel_delete)),
        )
        .at("/requests", page(get(accountability::requests)))
        .at("/requests/:id", page(get(accountability::request)))
        .at(
            "/requests/:id/complete",
            page(post(accountability::complete_request)),
        )
        .at(
            "/requests/:id/refuse",
            page(post(accountability::refuse_request)),
        )
        .at(
            "/requests/:id/extend",
            page(post(accountability::extend_request)),
        )
        .at("/security", page(get(accountability::security)))
        .at(
            "/security/support",
            page(post(accountability::grant_support)),
        )
        .at(
            "/security/support/:id/revoke",
            page(post(accountability::revoke_support)),
        )
        .at("/audit", page(get(accountability::audit)))
        .at("/audit/export.csv", page(get(accountability::audit_csv)))
        .at("/records", page(get(accountability::records)))
        .at("/incidents/:id", page(get(accountability::incident)))
        .at(
            "/incidents/:id/decision",
            page(post(accountability::incident_decision)),
        )
        .at(
            "/incidents/:id/client-notice",
            page(post(accountability::incident_client_notice)),
        )
}

/// One entry of the panel's navigation.
#[derive(Debug, Clone)]
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every panel page shows around its content.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub business_name: String,
    pub slug: String,
    pub person_name: String,
    pub role: &'static str,
    pub csrf_token: String,
    pub nav: Vec<NavItem>,
    pub flash: Option<&'static str>,
    /// The account is read-only: why, and until when its data is kept.
    pub expired: Option<String>,
    /// The agreement waits for acceptance (or a new version does).
    pub dpa: Option<String>,
    /// The owner asked to delete the business.
    pub closing: Option<&'static str>,
    /// Security incidents waiting for the business: (id, reference, clock).
    pub incidents: Vec<(uuid::Uuid, String, String)>,
}

/// A signed-in request to the panel.
pub(crate) struct Ctx {
    pub p: Page,
    pub u: &'static Ui,
    pub principal: Principal,
    pub csrf: String,
    pub business: Business,
    pub me: Member,
    pub zone: Tz,
    pub standing: termino_domain::plan::Standing,
    pub dpa: termino_app::dpa::DpaState,
    pub incidents: Vec<(uuid::Uuid, String, String)>,
}

impl Ctx {
    pub async fn load(req: &Request, app: &App, policy: CookiePolicy) -> Result<Self, Response> {
        let mut p = Page::new(req, policy);
        let Some(token) = pages::session_token(req) else {
            return Err(p.redirect("/login"));
        };
        let principal = match app.authenticate_session(&token).await {
            Ok(principal) => principal,
            Err(AppError::Unauthenticated) => {
                p.cookies.push(http::clear_session_cookie(p.policy));
                return Err(p.redirect("/login"));
            }
            Err(err) => return Err(p.failure(err)),
        };
        let Some(csrf) = pages::csrf_of(&principal).map(str::to_string) else {
            return Err(p.redirect("/login"));
        };
        let business = match app.business(&principal).await {
            Ok(business) => business,
            Err(err) => return Err(p.failure(err)),
        };
        let me = match app.me(&principal).await {
            Ok(Some(me)) => me,
            Ok(None) | Err(AppError::Unauthenticated) => {
                p.cookies.push(http::clear_session_cookie(p.policy));
                return Err(p.redirect("/login"));
            }
            Err(err) => return Err(p.failure(err)),
        };
        let zone = business
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Warsaw);
        let standing = termino_app::billing::standing_of(&business, app.now());
        let dpa = match app.current_dpa().await {
            Ok(current) => termino_app::dpa::dpa_state(&business, &current, app.now()),
            Err(err) => return Err(p.failure(err)),
        };
        let incidents = match app.incident_alerts(&principal).await {
            Ok(i) => i,
            Err(err) => return Err(p.failure(err)),
        };
        Ok(Self {
            dpa,
            incidents,
            standing,
            u: ui::ui(p.lang),
            p,
            principal,
            csrf,
            business,
            me,
            zone,
        })
    }

    /// Loads the context of a form post and checks its CSRF token.
    pub async fn load_post(
        req: &Request,
        app: &App,
        policy: CookiePolicy,
        form: &FormData,
    ) -> Result<Self, Response> {
        let ctx = Self::load(req, app, policy).await?;
        if !http::tokens_match(&ctx.csrf, form.get("csrf_token")) {
            let t = ctx.p.t;
            return Err(ctx.p.message(
                StatusCode::FORBIDDEN,
                t.error_title,
                t.form_expired.to_string(),
                true,
                None,
            ));
        }
        Ok(ctx)
    }

    pub fn t(&self) -> &'static Texts {
        self.p.t
    }

    pub fn sw(&self) -> LangSwitch {
        self.p.sw.clone()
    }

    pub fn chrome(&self, section: &str, req: &Request) -> Chrome {
        let u = self.u;
        let items: [(&'static str, &'static str, &str); 20] = [
            ("/app", u.nav_today, "today"),
            ("/app/calendar", u.nav_calendar, "calendar"),
            ("/app/changes", u.nav_changes, "changes"),
            ("/app/clients", u.nav_clients, "clients"),
            ("/app/services", u.nav_services, "services"),
            ("/app/staff", u.nav_staff, "staff"),
            ("/app/closures", u.nav_closures, "closures"),
            ("/app/settings", u.nav_settings, "settings"),
            ("/app/settings/reminders", u.nav_reminders, "reminders"),
            (
                "/app/calendar-feeds",
                u.nav_calendar_feeds,
                "calendar-feeds",
            ),
            ("/app/settings/sms", u.nav_sms, "sms"),
            ("/app/team", u.nav_team, "team"),
            ("/app/notices", u.nav_notices, "notices"),
            ("/app/api-keys", u.nav_api_keys, "api-keys"),
            ("/app/payments", u.nav_payments, "payments"),
            ("/app/plan", u.nav_plan, "plan"),
            ("/app/dpa", u.nav_dpa, "dpa"),
            ("/app/account", u.nav_account, "account"),
            ("/app/requests", u.nav_requests, "requests"),
            ("/app/security", u.nav_security, "security"),
        ];
        let saved = req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "saved=1"));
        Chrome {
            business_name: self.business.name.clone(),
            slug: self.business.slug.clone(),
            person_name: self.me.name.clone(),
            role: i18n::role_name(self.p.t, self.me.role),
            csrf_token: self.csrf.clone(),
            nav: items
                .into_iter()
                .map(|(href, label, id)| NavItem {
                    href,
                    label,
                    current: id == section,
                })
                .collect(),
            flash: saved.then_some(u.saved),
            expired: match self.standing {
                termino_domain::plan::Standing::Expired { since, purge_at } => Some(
                    u.plan_ended
                        .replace("{since}", &date_time(self, since))
                        .replace("{purge}", &date_time(self, purge_at)),
                ),
                termino_domain::plan::Standing::Active => None,
            },
            dpa: match self.dpa {
                termino_app::dpa::DpaState::Accepted => None,
                termino_app::dpa::DpaState::Required => Some(u.dpa_required_banner.to_string()),
                termino_app::dpa::DpaState::Pending { accept_by } => Some(
                    u.dpa_pending_banner
                        .replace("{date}", &date_time(self, accept_by)),
                ),
            },
            closing: self
                .business
                .deletion_requested_at
                .map(|_| u.closing_banner),
            incidents: self.incidents.clone(),
        }
    }

    pub fn html<T: Template>(self, status: StatusCode, page: &T) -> Response {
        self.p.html(status, page)
    }

    pub fn redirect(self, to: &str) -> Response {
        self.p.redirect(to)
    }

    pub fn failure(self, err: AppError) -> Response {
        let t = self.p.t;
        let f = failure_of(t, err);
        let body = f.form_error.unwrap_or_else(|| t.internal_error.to_string());
        let plan = (f.status == StatusCode::CONFLICT).then_some(("/app/plan", self.u.nav_plan));
        self.p.message(f.status, t.error_title, body, true, plan)
    }

    pub fn local(&self, at: DateTime<Utc>) -> DateTime<Tz> {
        at.with_timezone(&self.zone)
    }

    pub fn today(&self, app: &App) -> NaiveDate {
        app.now().with_timezone(&self.zone).date_naive()
    }
}

/// A signed-in form post: the panel context, with the CSRF token checked,
/// and the form. Anything else answers for the handler (the log-in page,
/// an expired form).
pub(crate) struct PanelPost(pub Ctx, pub FormData);

impl<'a> poem::FromRequest<'a> for PanelPost {
    async fn from_request(req: &'a Request, body: &mut poem::RequestBody) -> poem::Result<Self> {
        let PageForm(form) = PageForm::<FormData>::from_request(req, body).await?;
        let (Some(app), Some(policy)) = (req.data::<App>(), req.data::<CookiePolicy>()) else {
            return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
        };
        match Ctx::load_post(req, app, *policy, &form).await {
            Ok(ctx) => Ok(PanelPost(ctx, form)),
            Err(resp) => Err(poem::Error::from_response(resp)),
        }
    }
}

/// A signed-in page view: the panel context, or the answer instead (the
/// log-in page when there is no session).
pub(crate) struct PanelView(pub Ctx);

impl<'a> poem::FromRequest<'a> for PanelView {
    async fn from_request(req: &'a Request, _body: &mut poem::RequestBody) -> poem::Result<Self> {
        let (Some(app), Some(policy)) = (req.data::<App>(), req.data::<CookiePolicy>()) else {
            return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
        };
        Ctx::load(req, app, *policy)
            .await
            .map(PanelView)
            .map_err(poem::Error::from_response)
    }
}

/// A posted form as name/value pairs (checkbox groups repeat a name).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn on(&self, name: &str) -> bool {
        self.get(name) == "on"
    }

    /// The trimmed value, `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        let v = self.get(name).trim();
        (!v.is_empty()).then(|| v.to_string())
    }
}

/// One form of a page, rendered by `form.html`.
#[derive(Debug, Clone)]
pub(crate) struct FormView {
    pub action: String,
    pub fields: Vec<Field>,
    pub hidden: Vec<(String, String)>,
    pub submit: &'static str,
    pub button_class: &'static str,
    pub error: Option<String>,
    pub inline: bool,
    pub confirm: Option<&'static str>,
}

impl FormView {
    pub fn new(action: impl Into<String>, submit: &'static str, fields: Vec<Field>) -> Self {
        Self {
            action: action.into(),
            fields,
            hidden: Vec::new(),
            submit,
            button_class: "button--primary",
            error: None,
            inline: false,
            confirm: None,
        }
    }

    pub fn quiet(mut self) -> Self {
        self.button_class = "button--quiet";
        self
    }

    pub fn danger(mut self) -> Self {
        self.button_class = "button--danger";
        self
    }

    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }

    pub fn hidden(mut self, name: &str, value: impl Into<String>) -> Self {
        self.hidden.push((name.to_string(), value.into()));
        self
    }

    /// Shows a failure: field errors beside the fields, the rest on top.
    pub fn with_failure(mut self, failure: Option<&Failure>) -> Self {
        if let Some(f) = failure {
            self.error = f.apply(&mut self.fields);
        }
        self
    }
}

/// Field errors keyed like `monday[0]` belong to the field `monday`. The
/// read-only gate (each use case checks it) is said as the banner says it.
pub(crate) fn failure_of(t: &Texts, err: AppError) -> Failure {
    if let AppError::Conflict {
        kind: kind @ (ConflictKind::PlanExpired | ConflictKind::DeletionRequested),
        field: None,
        ..
    } = &err
    {
        let u = ui::ui(termino_domain::business::Language::parse(t.code).unwrap_or_default());
        let why = if *kind == ConflictKind::DeletionRequested {
            u.closing_banner
        } else {
            u.plan_ended_short
        };
        return Failure {
            status: StatusCode::CONFLICT,
            form_error: Some(u.read_only.replace("{why}", why)),
            fields: Default::default(),
            retry_after: None,
        };
    }
    let mut f = Failure::of(t, err);
    for (field, _) in f.fields.0.iter_mut() {
        if let Some(at) = field.find('[') {
            field.truncate(at);
        }
    }
    f
}

/// Whole minutes and days typed into number fields.
pub(crate) fn parse_int(
    errors: &mut termino_domain::ValidationErrors,
    form: &FormData,
    name: &str,
) -> i64 {
    match form.get(name).trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.add(name, "invalid_number", "not a whole number");
            0
        }
    }
}

pub(crate) fn time_range(ctx: &Ctx, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{}–{}",
        ctx.local(start).format("%H:%M"),
        ctx.local(end).format("%H:%M")
    )
}

pub(crate) fn date_time(ctx: &Ctx, at: DateTime<Utc>) -> String {
    let local = ctx.local(at);
    format!(
        "{}, {}",
        ui::long_date(ctx.p.lang, local.date_naive()),
        local.format("%H:%M")
    )
}
