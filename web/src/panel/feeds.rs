//! Calendars (issue 22): the private feeds a calendar program subscribes
//! to (their address shown once, on the answer that made it), and each
//! staff member's own calendar read as busy time, with when it was last
//! read and the last failure.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::calendar_feeds::{FeedClientDetails, NewFeed};
use termino_app::{App, AppError};
use uuid::Uuid;

use super::{Chrome, Ctx, FormData, FormView, PanelPost, PanelView, date_time, failure_of};
use crate::i18n::Texts;
use crate::pages::Failure;
use crate::ui::Ui;
use crate::views::{Field, LangSwitch};

/// One active feed.
#[derive(Debug, Clone)]
struct FeedLine {
    title: String,
    meta: String,
    regenerate: FormView,
    revoke: FormView,
}

/// One connected calendar of a staff member.
#[derive(Debug, Clone)]
struct CalendarLine {
    host: String,
    synced: String,
    failure: Option<String>,
    remove: FormView,
}

/// A staff member whose calendars the viewer may manage.
#[derive(Debug, Clone)]
struct StaffCalendars {
    anchor: String,
    name: String,
    calendars: Vec<CalendarLine>,
    add: FormView,
}

#[derive(Template)]
#[template(path = "panel_calendar_feeds.html")]
struct FeedsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    /// The address just made: (https, webcal), shown this once.
    created: Option<(String, String)>,
    feeds: Vec<FeedLine>,
    create: Option<FormView>,
    staff: Vec<StaffCalendars>,
}

/// Which form was posted, with what and what failed.
enum Posted<'a> {
    None,
    Feed(&'a FormData, &'a Failure),
    Calendar(Uuid, &'a FormData, &'a Failure),
}

async fn feeds_page(
    ctx: Ctx,
    req: &Request,
    app: &App,
    created: Option<NewFeed>,
    status: StatusCode,
    posted: Posted<'_>,
) -> Response {
    let loaded = async {
        let feeds = app.calendar_feeds(&ctx.principal).await?;
        let staff = app.staff_of(&ctx.principal.tenant, false).await?;
        // Owners and admins manage everyone's calendars, staff their own:
        // whoever the app lets the viewer see.
        let mut calendars = Vec::new();
        for member in staff {
            match app.external_calendars(&ctx.principal, member.id).await {
                Ok(list) => calendars.push((member, list)),
                Err(AppError::Forbidden(_)) => {}
                Err(err) => return Err(err),
            }
        }
        Ok::<_, AppError>((feeds, calendars))
    }
    .await;
    let (feeds, calendars) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let u = ctx.u;
    let name_of = |id: Option<Uuid>| match id {
        None => u.feed_whole_business.to_string(),
        Some(id) => calendars
            .iter()
            .find(|(m, _)| m.id == id)
            .map(|(m, _)| m.name.clone())
            .unwrap_or_default(),
    };
    let details = |d: FeedClientDetails| match d {
        FeedClientDetails::FirstName => u.feed_first_name,
        FeedClientDetails::None => u.feed_no_client_details,
    };
    let feed_lines = feeds
        .iter()
        .map(|f| FeedLine {
            title: name_of(f.staff_id),
            meta: format!(
                "{} · {}: {}",
                details(f.client_details),
                u.feed_created,
                date_time(&ctx, f.created_at)
            ),
            regenerate: FormView::new(
                format!("/app/calendar-feeds/{}/regenerate", f.id),
                u.feed_regenerate,
                Vec::new(),
            )
            .quiet()
            .inline(),
            revoke: FormView::new(
                format!("/app/calendar-feeds/{}/revoke", f.id),
                u.revoke,
                Vec::new(),
            )
            .danger()
            .inline(),
        })
        .collect();
    // Whose feed: the whole business (owners and admins) or a staff
    // member the viewer may manage.
    let mut whose: Vec<(String, String)> = Vec::new();
    if ctx.me.role.can_edit_business_settings() {
        whose.push((String::new(), u.feed_whole_business.to_string()));
    }
    for (m, _) in &calendars {
        whose.push((m.id.to_string(), m.name.clone()));
    }
    let empty = FormData::default();
    let (feed_values, feed_failure) = match &posted {
        Posted::Feed(f, e) => (*f, Some(*e)),
        _ => (&empty, None),
    };
    let chosen_details = match feed_values.get("client_details") {
        "" => "first_name",
        d => d,
    };
    let create = (!whose.is_empty()).then(|| {
        FormView::new(
            "/app/calendar-feeds",
            u.feed_create,
            vec![
                Field::new("staff_id", u.feed_whose, "text")
                    .value(feed_values.get("staff_id"))
                    .choices(&whose)
                    .optional(),
                Field::new("client_details", u.feed_client_details, "text")
                    .value(chosen_details)
                    .choices(&[
                        ("first_name", u.feed_first_name),
                        ("none", u.feed_no_client_details),
                    ]),
            ],
        )
        .with_failure(feed_failure)
    });
    let staff = calendars
        .iter()
        .map(|(m, list)| {
            let id = m.id;
            let (values, failure) = match &posted {
                Posted::Calendar(of, f, e) if *of == id => (*f, Some(*e)),
                _ => (&empty, None),
            };
            StaffCalendars {
                anchor: format!("staff-{id}"),
                name: m.name.clone(),
                calendars: list
                    .iter()
                    .map(|c| CalendarLine {
                        host: c.host.clone(),
                        synced: match c.last_success_at {
                            Some(at) => {
                                format!("{}: {}", u.calendar_last_sync, date_time(&ctx, at))
                            }
                            None => format!("{}: {}", u.calendar_last_sync, u.never),
                        },
                        failure: c.last_error.as_ref().filter(|_| c.failures > 0).map(|e| {
                            u.calendar_failing
                                .replace("{times}", &c.failures.to_string())
                                .replace("{why}", e)
                        }),
                        remove: FormView::new(
                            format!("/app/calendar-feeds/external/{}/remove", c.id),
                            u.remove,
                            Vec::new(),
                        )
                        .danger()
                        .inline(),
                    })
                    .collect(),
                add: FormView::new(
                    format!("/app/calendar-feeds/staff/{id}"),
                    u.add,
                    vec![
                        Field::new("url", u.calendar_address, "url")
                            .value(values.get("url"))
                            .hint(u.calendar_address_hint)
                            .prefixed(format!("cal-{id}-")),
                    ],
                )
                .with_failure(failure),
            }
        })
        .collect();
    let page = FeedsPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("calendar-feeds", req),
        created: created.map(|c| (c.url, c.webcal_url)),
        feeds: feed_lines,
        create,
        staff,
    };
    ctx.html(status, &page)
}

fn id_of(id: &str) -> Option<Uuid> {
    id.parse().ok()
}

#[handler]
pub async fn show(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    feeds_page(ctx, req, &app, None, StatusCode::OK, Posted::None).await
}

#[handler]
pub async fn create_feed(
    req: &Request,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let result = async {
        let staff = match form.get("staff_id") {
            "" => None,
            s => Some(s.parse::<Uuid>().map_err(|_| {
                AppError::invalid("staff_id", "not_found", "choose a staff member")
            })?),
        };
        let details = FeedClientDetails::parse(form.get("client_details")).ok_or_else(|| {
            AppError::invalid("client_details", "invalid_choice", "first_name or none")
        })?;
        app.create_calendar_feed(&ctx.principal, staff, details)
            .await
    }
    .await;
    match result {
        // The address is shown on this answer only (pages are no-store).
        Ok(created) => {
            feeds_page(
                ctx,
                req,
                &app,
                Some(created),
                StatusCode::CREATED,
                Posted::None,
            )
            .await
        }
        Err(err) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            feeds_page(ctx, req, &app, None, status, Posted::Feed(&form, &f)).await
        }
    }
}

#[handler]
pub async fn regenerate(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Some(id) = id_of(&id) else {
        return ctx.failure(AppError::NotFound);
    };
    match app.regenerate_calendar_feed(&ctx.principal, id).await {
        Ok(created) => {
            feeds_page(ctx, req, &app, Some(created), StatusCode::OK, Posted::None).await
        }
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn revoke(
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Some(id) = id_of(&id) else {
        return ctx.failure(AppError::NotFound);
    };
    match app.revoke_calendar_feed(&ctx.principal, id).await {
        Ok(()) => ctx.redirect("/app/calendar-feeds?saved=1"),
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn connect(
    req: &Request,
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, form): PanelPost,
) -> Response {
    let Some(staff) = id_of(&id) else {
        return ctx.failure(AppError::NotFound);
    };
    match app
        .connect_external_calendar(&ctx.principal, staff, form.get("url"))
        .await
    {
        Ok(_) => ctx.redirect(&format!("/app/calendar-feeds?saved=1#staff-{staff}")),
        Err(err @ AppError::Invalid(_)) => {
            let f = failure_of(ctx.t(), err);
            let status = f.status;
            feeds_page(
                ctx,
                req,
                &app,
                None,
                status,
                Posted::Calendar(staff, &form, &f),
            )
            .await
        }
        Err(err) => ctx.failure(err),
    }
}

#[handler]
pub async fn disconnect(
    Path(id): Path<String>,
    app: Data<&App>,
    PanelPost(ctx, _): PanelPost,
) -> Response {
    let Some(id) = id_of(&id) else {
        return ctx.failure(AppError::NotFound);
    };
    match app.disconnect_external_calendar(&ctx.principal, id).await {
        Ok(()) => ctx.redirect("/app/calendar-feeds?saved=1"),
        Err(err) => ctx.failure(err),
    }
}
