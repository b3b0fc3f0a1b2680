//! The caller's own choice of e-mail notices and of the hour of their
//! daily agenda (issue 22).

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::notices::NoticeKind;
use termino_app::{App, AppError};

use super::{Chrome, Ctx, FormView, PanelPost, PanelView, failure_of};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

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

fn label(u: &Ui, kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::NewBooking => u.notice_new_booking,
        NoticeKind::AwaitingApproval => u.notice_awaiting_approval,
        NoticeKind::Rescheduled => u.notice_rescheduled,
        NoticeKind::Cancelled => u.notice_cancelled,
        NoticeKind::DepositPaid => u.notice_deposit_paid,
        NoticeKind::DepositRefunded => u.notice_deposit_refunded,
    }
}

/// `agenda_hour`: as stored or as typed.
fn page(
    ctx: Ctx,
    req: &Request,
    enabled: &[NoticeKind],
    agenda_hour: &str,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let u = ctx.u;
    let mut fields: Vec<Field> = NoticeKind::ALL
        .into_iter()
        .map(|k| Field::checkbox(k.as_str(), label(u, k), enabled.contains(&k)))
        .collect();
    fields.push(
        Field::new("agenda_hour", u.agenda_hour, "number")
            .value(agenda_hour)
            .optional(),
    );
    let page = FormPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("notices", req),
        title: u.notices_title.to_string(),
        form: FormView::new("/app/notices", u.save, fields).with_failure(failure),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    match app.notice_settings(&ctx.principal).await {
        Ok(s) => {
            let hour = s.agenda_hour.map(|h| h.to_string()).unwrap_or_default();
            page(ctx, req, &s.enabled, &hour, StatusCode::OK, None)
        }
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn save(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let enabled: Vec<String> = NoticeKind::ALL
        .into_iter()
        .filter(|k| form.on(k.as_str()))
        .map(|k| k.as_str().to_string())
        .collect();
    let typed = form.get("agenda_hour").trim().to_string();
    let result = match typed.as_str() {
        "" => Ok(None),
        h => h
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid("agenda_hour", "invalid_hour", "not a whole hour")),
    };
    let result = match result {
        Ok(hour) => app
            .set_notice_settings(&ctx.principal, &enabled, hour)
            .await
            .map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ctx.redirect("/app/notices?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            let kept: Vec<NoticeKind> = enabled
                .iter()
                .filter_map(|k| NoticeKind::parse(k))
                .collect();
            page(ctx, req, &kept, &typed, status, Some(&f))
        }
    }
}
