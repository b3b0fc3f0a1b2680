//! The reminder settings page (issue 22): up to three reminders, each
//! hours before the visit with its channel, and the sending hours.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::reminders::ReminderSettingsInput;
use termino_app::{App, AppError};

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, failure_of, parse_int};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

#[derive(Template)]
#[template(path = "panel_reminders.html")]
struct RemindersPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    title: String,
    form: FormView,
    /// No gateway: the SMS channel sends nothing.
    sms_off: bool,
}

const HOURS: [&str; 3] = ["hours_1", "hours_2", "hours_3"];
const CHANNELS: [&str; 3] = ["channel_1", "channel_2", "channel_3"];

/// The form's name of a field the settings' errors name as the API does
/// (`offsets[1].channel` is `channel_2`).
fn form_field(field: &str) -> String {
    let index = field
        .strip_prefix("offsets[")
        .and_then(|rest| rest.split_once("]."));
    match index {
        Some((i, "hours_before")) => format!("hours_{}", i.parse::<usize>().unwrap_or(0) + 1),
        Some((i, "channel")) => format!("channel_{}", i.parse::<usize>().unwrap_or(0) + 1),
        _ => field.to_string(),
    }
}

fn reminders_page(
    ctx: Ctx,
    app: &App,
    req: &Request,
    form: &FormData,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let u = ctx.u;
    let channels = [
        ("email", u.channel_email),
        ("sms", u.channel_sms),
        ("both", u.channel_both),
    ];
    let hour_labels = [u.reminder_1_hours, u.reminder_2_hours, u.reminder_3_hours];
    let channel_labels = [
        u.reminder_1_channel,
        u.reminder_2_channel,
        u.reminder_3_channel,
    ];
    let mut fields = Vec::new();
    for i in 0..3 {
        fields.push(Field::new(HOURS[i], hour_labels[i], "number").value(form.get(HOURS[i])));
        let channel = match form.get(CHANNELS[i]) {
            "" => "email",
            c => c,
        };
        fields.push(
            Field::new(CHANNELS[i], channel_labels[i], "text")
                .value(channel)
                .choices(&channels),
        );
    }
    fields.push(Field::new("send_from", u.send_from, "time").value(form.get("send_from")));
    fields.push(Field::new("send_until", u.send_until, "time").value(form.get("send_until")));
    fields.push(
        Field::new("address", u.reminder_address, "text")
            .value(form.get("address"))
            .optional(),
    );
    let page = RemindersPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("reminders", req),
        title: u.reminders_title.to_string(),
        form: FormView::new("/app/settings/reminders", u.save, fields).with_failure(failure),
        sms_off: !app.sms_enabled(),
    };
    ctx.html(status, &page)
}

#[handler]
pub async fn reminders(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let settings = match app.reminder_settings(&ctx.principal).await {
        Ok(s) => s,
        Err(err) => return ctx.failure(err),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for i in 0..3 {
        let (hours, channel) = settings
            .offsets
            .get(i)
            .map_or(("0".to_string(), "email"), |o| {
                (o.hours_before.to_string(), o.channel.as_str())
            });
        pairs.push((HOURS[i].into(), hours));
        pairs.push((CHANNELS[i].into(), channel.into()));
    }
    pairs.push(("send_from".into(), settings.send_from));
    pairs.push(("send_until".into(), settings.send_until));
    pairs.push(("address".into(), settings.address));
    reminders_page(ctx, &app, req, &FormData(pairs), StatusCode::OK, None)
}

#[handler]
pub async fn save_reminders(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let mut errors = termino_domain::ValidationErrors::new();
    let offsets: Vec<(i64, String)> = (0..3)
        .map(|i| {
            (
                parse_int(&mut errors, &form, HOURS[i]),
                form.get(CHANNELS[i]).to_string(),
            )
        })
        .collect();
    let result = match errors.into_result() {
        Err(e) => Err(AppError::from(e)),
        Ok(()) => app
            .update_reminder_settings(
                &ctx.principal,
                ReminderSettingsInput {
                    offsets,
                    send_from: form.get("send_from").to_string(),
                    send_until: form.get("send_until").to_string(),
                    address: form.get("address").to_string(),
                },
            )
            .await
            .map(|_| ()),
    };
    let result = result.map_err(|err| match err {
        AppError::Invalid(mut errors) => {
            for e in &mut errors.0 {
                e.field = form_field(&e.field);
            }
            AppError::Invalid(errors)
        }
        other => other,
    });
    match result {
        Ok(()) => ctx.redirect("/app/settings/reminders?saved=1"),
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            reminders_page(ctx, &app, req, &form, status, Some(&f))
        }
    }
}
