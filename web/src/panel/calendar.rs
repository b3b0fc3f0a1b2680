//! The calendar: a day or a week, for one staff member or everyone, with
//! bookings as blocks on a grid of quarter hours. Empty quarters link to a
//! new booking at that time. Placement is by CSS classes (`r{row}`,
//! `s{span}`): the Content-Security-Policy allows no inline styles.

use askama::Template;
use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use serde::Deserialize;
use termino_app::catalog::StaffMember;
use termino_app::{App, AppError};
use uuid::Uuid;

use super::bookings::{BookingLine, Names, bookings_between, midnight};
use super::{Chrome, PanelView};
use crate::booking::enc;
use crate::i18n::Texts;
use crate::ui::{self, Ui};
use crate::views::{Field, LangSwitch};

const QUARTER: i64 = 15;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CalendarQuery {
    view: String,
    date: String,
    staff: String,
    /// "hide": cancelled bookings left out (shown otherwise).
    cancelled: String,
}

#[derive(Debug, Clone)]
struct Cell {
    row: usize,
    label: String,
    href: String,
}

#[derive(Debug, Clone)]
struct Block {
    row: usize,
    span: usize,
    line: BookingLine,
}

#[derive(Debug, Clone)]
struct Column {
    title: String,
    subtitle: String,
    today: bool,
    cells: Vec<Cell>,
    blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
struct HourLabel {
    row: usize,
    label: String,
}

#[derive(Template)]
#[template(path = "panel_calendar.html")]
struct CalendarPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    title: String,
    week: bool,
    day_href: String,
    week_href: String,
    prev_href: String,
    next_href: String,
    today_href: String,
    filter: Vec<Field>,
    view: String,
    date: String,
    hours: Vec<HourLabel>,
    rows: usize,
    columns: Vec<Column>,
}

fn href(view: &str, date: NaiveDate, staff: &str, cancelled: &str) -> String {
    format!(
        "/app/calendar?view={view}&date={date}&staff={}&cancelled={cancelled}",
        enc(staff)
    )
}

/// Minutes after local midnight a staff member's hours start and end on
/// a weekday, if they work.
fn hours_of(member: &StaffMember, day: Weekday) -> Option<(u16, u16)> {
    let intervals = member.week.0.get(day.num_days_from_monday() as usize)?;
    let start = intervals.iter().map(|(s, _)| *s).min()?;
    let end = intervals.iter().map(|(_, e)| *e).max()?;
    Some((start, end))
}

#[handler]
pub async fn calendar(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let q: CalendarQuery = req.params().unwrap_or_default();
    let u = ctx.u;
    let lang = ctx.p.lang;
    let week = q.view == "week";
    let today = ctx.today(&app);
    let date = q.date.parse::<NaiveDate>().unwrap_or(today);
    let days: Vec<NaiveDate> = if week {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        (0..7).map(|i| monday + Duration::days(i)).collect()
    } else {
        vec![date]
    };
    let staff_filter = q.staff.parse::<Uuid>().ok();
    let staff_param = staff_filter.map_or("all".to_string(), |id| id.to_string());
    let show_cancelled = q.cancelled != "hide";
    let cancelled_param = if show_cancelled { "show" } else { "hide" };
    let from = midnight(&ctx, days[0]);
    let to = midnight(&ctx, days[days.len() - 1] + Duration::days(1));
    let loaded = async {
        let members = app.staff_of(&ctx.principal.tenant, false).await?;
        let names = Names::load(&ctx, &app).await?;
        let bookings = bookings_between(&ctx, &app, from, to, staff_filter).await?;
        Ok::<_, AppError>((members, names, bookings))
    }
    .await;
    let (members, names, bookings) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    // Everyone active, or the one asked for (even if inactive).
    let shown: Vec<&StaffMember> = members
        .iter()
        .filter(|m| match staff_filter {
            Some(id) => m.id == id,
            None => m.active,
        })
        .collect();
    let lines: Vec<BookingLine> = bookings.iter().map(|b| names.line(&ctx, b)).collect();

    // The hours to show: everyone's working hours and every booking, at
    // least 08:00–18:00.
    let (mut first, mut last) = (8 * 60_i64, 18 * 60_i64);
    for day in &days {
        for m in &shown {
            if let Some((s, e)) = hours_of(m, day.weekday()) {
                first = first.min(i64::from(s));
                last = last.max(i64::from(e));
            }
        }
    }
    for b in &lines {
        let s = ctx.local(b.starts_at);
        let e = ctx.local(b.ends_at);
        first = first.min(i64::from(s.hour() * 60 + s.minute()));
        if e.date_naive() == s.date_naive() {
            last = last.max(i64::from(e.hour() * 60 + e.minute()));
        } else {
            last = 24 * 60;
        }
    }
    first = first / 60 * 60;
    last = ((last + 59) / 60 * 60).min(24 * 60);
    let rows = ((last - first) / QUARTER) as usize;

    let mut columns = Vec::new();
    for day in &days {
        for m in &shown {
            let cells = (0..rows)
                .map(|r| {
                    let minute = first + r as i64 * QUARTER;
                    let time = format!("{:02}:{:02}", minute / 60, minute % 60);
                    Cell {
                        row: r + 1,
                        href: format!("/app/bookings/new?staff={}&date={day}&time={time}", m.id),
                        label: format!("{} {time}, {}", u.new_booking_at, m.name),
                    }
                })
                .collect();
            let blocks = lines
                .iter()
                .filter(|b| b.staff_id == m.id && ctx.local(b.starts_at).date_naive() == *day)
                .filter(|b| show_cancelled || b.status_code != "cancelled")
                .map(|b| {
                    let s = ctx.local(b.starts_at);
                    let start_min = i64::from(s.hour() * 60 + s.minute());
                    let length = (b.ends_at - b.starts_at).num_minutes().max(QUARTER);
                    let row = ((start_min - first) / QUARTER).max(0) as usize + 1;
                    let span = ((length + QUARTER - 1) / QUARTER) as usize;
                    Block {
                        row,
                        span: span.clamp(1, rows.saturating_sub(row - 1).max(1)),
                        line: b.clone(),
                    }
                })
                .collect();
            columns.push(Column {
                title: if week {
                    format!(
                        "{} {}",
                        ui::weekday_short(lang, day.weekday()),
                        day.format("%d.%m")
                    )
                } else {
                    m.name.clone()
                },
                subtitle: if week && shown.len() > 1 {
                    m.name.clone()
                } else {
                    String::new()
                },
                today: *day == today,
                cells,
                blocks,
            });
        }
    }
    let hours = (0..rows)
        .step_by(4)
        .map(|r| {
            let minute = first + r as i64 * QUARTER;
            HourLabel {
                row: r + 1,
                label: format!("{:02}:00", minute / 60),
            }
        })
        .collect();
    let view = if week { "week" } else { "day" };
    let step = if week { 7 } else { 1 };
    let mut staff_choices = vec![("all".to_string(), u.all_staff.to_string())];
    staff_choices.extend(members.iter().map(|m| (m.id.to_string(), m.name.clone())));
    let title = if week {
        format!(
            "{} – {}",
            ui::long_date(lang, days[0]),
            ui::long_date(lang, days[6])
        )
    } else {
        ui::long_date(lang, date)
    };
    let page = CalendarPage {
        t: ctx.t(),
        u,
        sw: ctx.sw(),
        c: ctx.chrome("calendar", req),
        title,
        week,
        day_href: href("day", date, &staff_param, cancelled_param),
        week_href: href("week", date, &staff_param, cancelled_param),
        prev_href: href(
            view,
            date - Duration::days(step),
            &staff_param,
            cancelled_param,
        ),
        next_href: href(
            view,
            date + Duration::days(step),
            &staff_param,
            cancelled_param,
        ),
        today_href: href(view, today, &staff_param, cancelled_param),
        filter: vec![
            Field::new("staff", u.staff_member, "text")
                .value(&staff_param)
                .choices(&staff_choices),
            Field::new("cancelled", u.cancelled_filter, "text")
                .value(cancelled_param)
                .choices(&[
                    ("show".to_string(), u.cancelled_shown.to_string()),
                    ("hide".to_string(), u.cancelled_hidden.to_string()),
                ]),
        ],
        view: view.to_string(),
        date: date.to_string(),
        hours,
        rows,
        columns,
    };
    ctx.html(StatusCode::OK, &page)
}
