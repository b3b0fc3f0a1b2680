//! The business's own plan: trial, Pro through Stripe, its history.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::billing::{self, Interval};
use termino_domain::account::Role;

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of};
use crate::http::CookiePolicy;
use crate::i18n::Texts;
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

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
    stripe: bool,
    tpay: bool,
    has_subscription: bool,
    paid: bool,
    error: Option<String>,
    history: Vec<HistoryLine>,
    can_go_free: bool,
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
        online: view.online_payment || view.tpay_available,
        tpay: view.tpay_available,
        stripe: view.online_payment,
        has_subscription: view.has_subscription,
        paid: req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p == "paid=1")),
        error,
        can_go_free: ctx.me.role == Role::Owner
            && (view.plan == "trial" || view.state == billing::STATE_CANCELLED),
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
pub async fn show(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    plan_page(ctx, req, &app, StatusCode::OK, None).await
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
pub async fn checkout(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let Some(interval) = Interval::parse(form.get("interval")) else {
        return plan_page(ctx, req, &app, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let result = app.start_plan_checkout(&ctx.principal, interval).await;
    go(ctx, req, &app, result).await
}

#[handler]
pub async fn free(req: &Request, app: Data<&App>, PanelPost(ctx, _): PanelPost) -> Response {
    match app.choose_free_plan(&ctx.principal).await {
        Ok(()) => ctx.redirect("/app/plan?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            plan_page(ctx, req, &app, status, f.form_error).await
        }
    }
}

#[handler]
pub async fn tpay(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let Some(interval) = Interval::parse(form.get("interval")) else {
        return plan_page(ctx, req, &app, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let result = app.start_plan_tpay(&ctx.principal, interval).await;
    go(ctx, req, &app, result).await
}

#[handler]
pub async fn portal(req: &Request, app: Data<&App>, PanelPost(ctx, _): PanelPost) -> Response {
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
    tpay_merchant: Option<String>,
    tpay_form: Option<FormView>,
}

async fn payments_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    form: &FormData,
    status: StatusCode,
    error: Option<String>,
    failure: Option<&crate::pages::Failure>,
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
        tpay_form: (ctx.me.role == Role::Owner).then(|| {
            let u = ctx.u;
            FormView::new(
                "/app/payments/tpay",
                u.save,
                vec![
                    Field::new("merchant_id", u.tpay_merchant_id, "text")
                        .value(form.get("merchant_id"))
                        .autocomplete("off"),
                    Field::new("client_id", u.tpay_client_id, "text")
                        .value(form.get("client_id"))
                        .autocomplete("off"),
                    // Secrets are never shown back, not even after a mistake.
                    Field::new("client_secret", u.tpay_client_secret, "password")
                        .autocomplete("off"),
                    Field::new("security_code", u.tpay_security_code, "password")
                        .autocomplete("off"),
                ],
            )
            .with_failure(failure)
        }),
        tpay_merchant: view.tpay_merchant,
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn save_tpay(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let creds = termino_app::tpay::TpayCredentials {
        merchant_id: form.get("merchant_id").trim().to_string(),
        client_id: form.get("client_id").trim().to_string(),
        client_secret: form.get("client_secret").to_string(),
        security_code: form.get("security_code").to_string(),
    };
    match app.save_tpay_credentials(&ctx.principal, creds).await {
        Ok(()) => ctx.redirect("/app/payments?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            payments_page(ctx, req, &app, &form, status, None, Some(&f)).await
        }
    }
}

#[handler]
pub async fn payments(req: &Request, app: Data<&App>, policy: Data<&CookiePolicy>) -> Response {
    match Ctx::load(req, &app, *policy.0).await {
        Ok(ctx) => {
            payments_page(
                ctx,
                req,
                &app,
                &FormData::default(),
                StatusCode::OK,
                None,
                None,
            )
            .await
        }
        Err(resp) => resp,
    }
}

#[handler]
pub async fn connect(req: &Request, app: Data<&App>, PanelPost(ctx, _): PanelPost) -> Response {
    match app.connect_stripe(&ctx.principal).await {
        Ok(url) => ctx.redirect(&url),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            payments_page(
                ctx,
                req,
                &app,
                &FormData::default(),
                status,
                f.form_error,
                None,
            )
            .await
        }
    }
}
