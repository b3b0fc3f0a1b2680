//! The business's own plan: trial, Pro through Stripe, its history.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::billing::{self, Interval};
use termino_domain::account::Role;

use super::{Chrome, Ctx, FormData, failure_of};
use crate::http::CookiePolicy;
use crate::i18n::Texts;
use crate::pages::PageForm;
use crate::ui::{self, Ui};
use crate::views::LangSwitch;

#[derive(Debug, Clone)]
struct HistoryLine {
    when: String,
    what: String,
}

#[derive(Template)]
#[template(path = "panel_plan.html")]
struct PlanPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    plan: &'static str,
    state: &'static str,
    past_due: bool,
    trial_until: Option<String>,
    paid_until: Option<String>,
    billed: Option<&'static str>,
    seats: i64,
    monthly: String,
    yearly: String,
    is_owner: bool,
    online: bool,
    has_subscription: bool,
    paid: bool,
    error: Option<String>,
    history: Vec<HistoryLine>,
}

fn plan_name(u: &Ui, kind: &str) -> &'static str {
    match kind {
        "pro" => u.plan_pro,
        "free" => u.plan_free,
        _ => u.plan_trial,
    }
}

fn state_name(u: &Ui, state: &str) -> &'static str {
    match state {
        billing::STATE_PAST_DUE => u.plan_state_past_due,
        billing::STATE_CANCELLED => u.plan_state_cancelled,
        _ => u.plan_state_active,
    }
}

async fn plan_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let view = match app.plan(&ctx.principal).await {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let (u, lang) = (ctx.u, ctx.p.lang);
    let when = |at| super::date_time(&ctx, at);
    let page = PlanPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("plan", req),
        plan: plan_name(u, &view.plan),
        state: state_name(u, &view.state),
        past_due: view.state == billing::STATE_PAST_DUE,
        trial_until: (view.plan == "trial")
            .then_some(view.trial_ends_at)
            .flatten()
            .map(when),
        paid_until: view.paid_until.map(when),
        billed: view.interval.as_deref().map(|i| match i {
            "year" => u.per_year,
            _ => u.per_month,
        }),
        seats: view.seats,
        monthly: ui::money(lang, Interval::Month.per_staff_minor() * view.seats, "PLN"),
        yearly: ui::money(lang, Interval::Year.per_staff_minor() * view.seats, "PLN"),
        is_owner: ctx.me.role == Role::Owner,
        online: view.online_payment,
        has_subscription: view.has_subscription,
        paid: req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "paid=1")),
        error,
        history: view
            .history
            .iter()
            .map(|h| HistoryLine {
                when: when(h.created_at),
                what: format!(
                    "{} · {}{}",
                    plan_name(u, &h.plan),
                    state_name(u, &h.state),
                    h.paid_until
                        .map(|p| format!(" · {} {}", u.paid_until, when(p)))
                        .unwrap_or_default()
                ),
            })
            .collect(),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show(req: &Request, app: Data<&App>, policy: Data<&CookiePolicy>) -> Response {
    match Ctx::load(req, &app, *policy.0).await {
        Ok(ctx) => plan_page(ctx, req, &app, StatusCode::OK, None).await,
        Err(resp) => resp,
    }
}

/// Off to Stripe, or back to this page with the reason it cannot go.
async fn go(
    ctx: Ctx,
    req: &Request,
    app: &App,
    result: termino_app::AppResult<String>,
) -> Response {
    match result {
        Ok(url) => ctx.redirect(&url),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            plan_page(ctx, req, app, status, f.form_error).await
        }
    }
}

#[handler]
pub async fn checkout(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let ctx = match Ctx::load_post(req, &app, *policy.0, &form).await {
        Ok(ctx) => ctx,
        Err(resp) => return resp,
    };
    let Some(interval) = Interval::parse(form.get("interval")) else {
        return plan_page(ctx, req, &app, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let result = app.start_plan_checkout(&ctx.principal, interval).await;
    go(ctx, req, &app, result).await
}

#[handler]
pub async fn portal(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let ctx = match Ctx::load_post(req, &app, *policy.0, &form).await {
        Ok(ctx) => ctx,
        Err(resp) => return resp,
    };
    let result = app.billing_portal(&ctx.principal).await;
    go(ctx, req, &app, result).await
}

// ------------------------------------------------------------- payments

#[derive(Template)]
#[template(path = "panel_payments.html")]
struct PaymentsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    available: bool,
    account: Option<String>,
    ready: bool,
    is_owner: bool,
    error: Option<String>,
}

async fn payments_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let view = match app.payments_settings(&ctx.principal).await {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let page = PaymentsPage {
        t: ctx.t(),
        u: ctx.u,
        sw: ctx.sw(),
        c: ctx.chrome("payments", req),
        available: view.stripe_available,
        account: view.stripe_account,
        ready: view.ready,
        is_owner: ctx.me.role == Role::Owner,
        error,
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn payments(req: &Request, app: Data<&App>, policy: Data<&CookiePolicy>) -> Response {
    match Ctx::load(req, &app, *policy.0).await {
        Ok(ctx) => payments_page(ctx, req, &app, StatusCode::OK, None).await,
        Err(resp) => resp,
    }
}

#[handler]
pub async fn connect(
    req: &Request,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<FormData>,
) -> Response {
    let ctx = match Ctx::load_post(req, &app, *policy.0, &form).await {
        Ok(ctx) => ctx,
        Err(resp) => return resp,
    };
    match app.connect_stripe(&ctx.principal).await {
        Ok(url) => ctx.redirect(&url),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            payments_page(ctx, req, &app, status, f.form_error).await
        }
    }
}
