//! `GET /calendar/{secret}.ics`: a private calendar feed, for calendar
//! programs (no log-in: the secret address is the credential).

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Response, handler};
use termino_app::{App, AppError};

#[handler]
pub async fn feed(app: Data<&App>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };
    match app.calendar_feed_ics(token).await {
        Ok(ics) => Response::builder()
            .content_type("text/calendar; charset=utf-8")
            // Calendar programs poll; shared caches must not keep a copy.
            .header("cache-control", "private, max-age=300")
            .body(ics),
        Err(AppError::NotFound) => Response::builder().status(StatusCode::NOT_FOUND).finish(),
        Err(err) => {
            tracing::warn!(event = "calendar_feed_failed", error = %err, "a calendar feed could not be read");
            Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .finish()
        }
    }
}
