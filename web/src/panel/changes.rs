//! The feed of recent changes to bookings (issue 22): the last 14 days,
//! newest first, each linking to its booking; also the latest few on the
//! today page. A staff member's log-in sees their own bookings' only.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};
use termino_app::App;
use termino_app::changes::{BookingChange, ChangeKind};

use super::bookings::{BookingLine, Names};
use super::{Chrome, Ctx, PanelView, date_time};
use crate::i18n::Texts;
use crate::ui::{self, Ui};
use crate::views::LangSwitch;

/// How many the today page shows.
pub(crate) const ON_TODAY: u64 = 5;
/// How many the feed's page shows at most.
const ON_PAGE: u64 = 200;

/// One change as a line of the feed.
#[derive(Debug, Clone)]
pub(crate) struct ChangeLine {
    pub kind_code: &'static str,
    /// "Cancelled by the client".
    pub what: String,
    /// When the change was made.
    pub at: String,
    /// When the visit is (now).
    pub when: String,
    pub line: BookingLine,
}

fn kind_name(u: &Ui, kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Created => u.change_created,
        ChangeKind::Requested => u.change_requested,
        ChangeKind::Rescheduled => u.change_rescheduled,
        ChangeKind::Cancelled => u.change_cancelled,
        ChangeKind::Declined => u.change_declined,
        ChangeKind::Approved => u.change_approved,
        ChangeKind::ConfirmedByClient => u.change_confirmed_by_client,
    }
}

impl ChangeLine {
    pub fn of(ctx: &Ctx, names: &Names, c: &BookingChange) -> Self {
        let u = ctx.u;
        let what = match c.kind {
            // Said already by the kind itself.
            ChangeKind::ConfirmedByClient => kind_name(u, c.kind).to_string(),
            kind => format!(
                "{} {} {}",
                kind_name(u, kind),
                u.change_by,
                ui::who_cancelled(u, c.actor.as_str())
            ),
        };
        Self {
            kind_code: c.kind.as_str(),
            what,
            at: date_time(ctx, c.at),
            when: date_time(ctx, c.booking.starts_at),
            line: names.line(ctx, &c.booking),
        }
    }
}

#[derive(Template)]
#[template(path = "panel_changes.html")]
struct ChangesPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    c: Chrome,
    changes: Vec<ChangeLine>,
}

#[handler]
pub async fn changes(req: &Request, app: Data<&App>, PanelView(ctx): PanelView) -> Response {
    let loaded = async {
        let names = Names::load(&ctx, &app).await?;
        let changes = app.recent_changes(&ctx.principal, ON_PAGE).await?;
        Ok::<_, termino_app::AppError>((names, changes))
    }
    .await;
    let (names, changes) = match loaded {
        Ok(v) => v,
        Err(err) => return ctx.failure(err),
    };
    let page = ChangesPage {
        t: ctx.t(),
        u: ctx.u,
        sw: ctx.sw(),
        c: ctx.chrome("changes", req),
        changes: changes
            .iter()
            .map(|c| ChangeLine::of(&ctx, &names, c))
            .collect(),
    };
    ctx.html(StatusCode::OK, &page)
}
