//! `GET /calendar/{secret}.ics`: a private calendar feed, for calendar
//! programs (no log-in: the secret address is the credential).

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use termino_app::secret::opaque_key;
use termino_app::{App, AppError};

use crate::rest::problem::problem_response;
use crate::rest::rate_limit::{WINDOW, too_many};

#[handler]
pub async fn feed(req: &Request, app: Data<&App>, Path(file): Path<String>) -> Response {
    // A bucket of its own per address: the secret is the only credential,
    // so this is what makes guessing it slow, and the API's budget stays
    // the API's.
    let ip = termino_http::client_ip(req).unwrap_or_default();
    let limit = app.config().rate_limit_calendar_feeds;
    let key = format!("rl:feed:{}", opaque_key("ip", &ip));
    // If the store is down, serve rather than refuse every calendar.
    let (count, reset) = app.kv().hit(&key, WINDOW).await.unwrap_or((0, 60));
    if count > limit {
        tracing::info!(
            event = "calendar_feed_rate_limited",
            "a calendar feed address was read too often"
        );
        return problem_response(&too_many(limit, reset));
    }
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
