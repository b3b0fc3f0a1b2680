//! Notifications from payment providers: `/webhooks/stripe` and
//! `/webhooks/tpay`. The body is
//! read raw (the signature covers its exact bytes), verified, and applied
//! once by event id; an unknown event type is acknowledged with a log line.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, IntoResponse, Request, Response, handler};
use termino_app::{App, AppError};

use crate::rest::problem::{ApiError, Problem, problem_response};

/// Stripe's events are a few kilobytes; anything far larger is not one.
const BODY_LIMIT: usize = 256 * 1024;

#[handler]
pub async fn stripe(req: &Request, body: Body, app: Data<&App>) -> Response {
    if app.config().stripe.is_none() {
        return problem_response(&Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Stripe is not configured on this server",
        ));
    }
    let Ok(bytes) = body.into_bytes_limit(BODY_LIMIT).await else {
        return problem_response(&Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The body is too large",
        ));
    };
    let signature = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match app.apply_stripe_notification(signature, &bytes).await {
        Ok(applied) => Response::builder()
            .status(StatusCode::OK)
            .content_type("application/json")
            .body(format!(
                "{{\"received\":true,\"applied\":\"{}\"}}",
                match applied {
                    termino_app::billing::Applied::Changed => "changed",
                    termino_app::billing::Applied::Duplicate => "duplicate",
                    termino_app::billing::Applied::Ignored => "ignored",
                    termino_app::billing::Applied::Refused => "refused",
                }
            )),
        Err(AppError::Invalid(errors)) => {
            let signature_problem = errors.0.iter().any(|e| e.field == "stripe-signature");
            let mut p = if signature_problem {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-signature",
                    "The Stripe-Signature header does not verify",
                )
            } else {
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-event",
                    "Not a Stripe event",
                )
            };
            for e in errors.0 {
                p = p.field(&e.field, e.code, e.message);
            }
            problem_response(&p)
        }
        // Anything else is ours: Stripe will retry.
        Err(other) => ApiError::from(other).into_response(),
    }
}

/// tpay expects the body `TRUE` for a notification it need not send again;
/// anything else makes it retry. A refused notification gets `FALSE` and a
/// 400: a forged one changes nothing, a real one will be retried.
#[handler]
pub async fn tpay(req: &Request, body: Body, app: Data<&App>) -> Response {
    let Ok(bytes) = body.into_bytes_limit(BODY_LIMIT).await else {
        return Response::builder()
            .status(StatusCode::PAYLOAD_TOO_LARGE)
            .content_type("text/plain")
            .body("FALSE");
    };
    let signature = req
        .headers()
        .get("x-jws-signature")
        .and_then(|v| v.to_str().ok());
    match app.apply_tpay_notification(signature, &bytes).await {
        Ok(_) => Response::builder()
            .status(StatusCode::OK)
            .content_type("text/plain")
            .body("TRUE"),
        Err(AppError::Invalid(_)) => Response::builder()
            .status(StatusCode::BAD_REQUEST)
            .content_type("text/plain")
            .body("FALSE"),
        Err(other) => {
            let status = ApiError::from(other).into_response().status();
            Response::builder()
                .status(status)
                .content_type("text/plain")
                .body("FALSE")
        }
    }
}
