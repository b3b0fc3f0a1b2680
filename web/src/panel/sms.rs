//! The SMS settings page (issue 22): the reminder's text with its length
//! and parts as the server counts them (the script in termino.js counts
//! along while typing; the page works without it), the "without Polish
//! characters" choice, and this month's count against the plan's limit.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::sms_settings::SmsTemplate;
use termino_domain::sms::Encoding;

use super::{Chrome, Ctx, FormData, PanelPost, PanelView, failure_of};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

#[derive(Template)]
#[template(path = "panel_sms.html")]
struct SmsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    enabled: bool,
    fields: Vec<Field>,
    error: Option<String>,
    /// None when the typed text was refused (nothing to count).
    counted: Option<Counted>,
    month: String,
    default_text: String,
    /// The example values the live count fills in, as the server does.
    samples: Vec<(&'static str, String)>,
    replies_address: Option<String>,
}

struct Counted {
    preview: String,
    length: usize,
    segments: usize,
    encoding: &'static str,
}

fn page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    stored: &SmsTemplate,
    shown: Option<&SmsTemplate>,
    typed: Option<(&FormData, Option<&Failure>)>,
    status: StatusCode,
) -> Response {
    let (form, failure) = match typed {
        Some((form, failure)) => (Some(form), failure),
        None => (None, None),
    };
    let u = ctx.u;
    let (text, without) = match form {
        Some(f) => (
            f.get("sms_template").to_string(),
            f.on("without_polish_characters"),
        ),
        None => (stored.text.clone(), stored.without_polish_characters),
    };
    let mut fields = vec![
        Field::new("sms_template", u.sms_template_label, "textarea")
            .value(text)
            .hint(u.sms_template_hint),
        Field::checkbox("without_polish_characters", u.sms_without_polish, without),
    ];
    let error = failure.and_then(|f| f.apply(&mut fields));
    let counted = shown.map(|t| Counted {
        preview: t.preview.clone(),
        length: t.length.units,
        segments: t.length.segments,
        encoding: match t.length.encoding {
            Encoding::Gsm7 => u.sms_gsm7,
            Encoding::Ucs2 => u.sms_ucs2,
        },
    });
    let page = SmsPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("sms", req),
        enabled: stored.enabled,
        fields,
        error,
        counted,
        month: u
            .sms_month_count
            .replace("{count}", &stored.sent_this_month.to_string())
            .replace("{limit}", &stored.monthly_limit.to_string()),
        default_text: stored.default_text.clone(),
        samples: stored.samples.clone(),
        replies_address: app.sms_inbound_url(ctx.principal.tenant.id()),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn show(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    match app.sms_template(&ctx.principal, None).await {
        Ok(t) => page(ctx, req, &app, &t, Some(&t), None, StatusCode::OK),
        Err(err) => ctx.failure(err),
    }
}

/// "Count again" shows the typed text's length without saving it; the
/// other button saves it.
#[handler]
pub async fn save(req: &Request, app: Data<&App>, PanelPost(ctx, form): PanelPost) -> Response {
    let stored = match app.sms_template(&ctx.principal, None).await {
        Ok(t) => t,
        Err(err) => return ctx.failure(err),
    };
    let text = form.get("sms_template").to_string();
    let without = form.on("without_polish_characters");
    let result = if form.get("action") == "preview" {
        app.sms_template(&ctx.principal, Some((&text, without)))
            .await
            .map(|t| (t, false))
    } else {
        app.update_sms_template(&ctx.principal, &text, Some(without))
            .await
            .map(|t| (t, true))
    };
    match result {
        Ok((_, true)) => ctx.redirect("/app/settings/sms?saved=1"),
        Ok((shown, false)) => page(
            ctx,
            req,
            &app,
            &stored,
            Some(&shown),
            Some((&form, None)),
            StatusCode::OK,
        ),
        Err(err) => {
            let mut f = failure_of(ctx.t(), err);
            // The API's `text` is this form's `sms_template`.
            for (field, _) in f.fields.0.iter_mut() {
                if field == "text" {
                    *field = "sms_template".into();
                }
            }
            let status = f.status;
            page(
                ctx,
                req,
                &app,
                &stored,
                None,
                Some((&form, Some(&f))),
                status,
            )
        }
    }
}
