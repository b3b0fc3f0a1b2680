//! Delivery reports from the SMS gateways: SMSAPI calls the address it was
//! given (GET or POST, `MsgId` and `status`, answered `OK`), Twilio posts
//! a signed form (403 when `X-Twilio-Signature` does not verify).
//! Incoming messages (STOP replies) come to a business's own address:
//! SMSAPI's with a secret key in it, Twilio's signed over it.

use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Body, Request, Response, handler};
use termino_app::{App, AppError};

/// A report is a few hundred bytes; a batch a few kilobytes.
const BODY_LIMIT: usize = 64 * 1024;

fn plain(status: StatusCode, text: &'static str) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain")
        .body(text)
}

fn refused(err: AppError) -> Response {
    match err {
        AppError::Forbidden(_) => plain(StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotFound => plain(StatusCode::NOT_FOUND, "not found"),
        other => {
            tracing::warn!(event = "sms_report_failed", error = %other, "a delivery report could not be applied");
            // The gateway tries again later.
            plain(StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

async fn params_of(req: &Request, body: Body) -> Option<Vec<(String, String)>> {
    let mut params: Vec<(String, String)> =
        serde_urlencoded::from_str(req.uri().query().unwrap_or("")).ok()?;
    if req.method() == poem::http::Method::POST {
        let bytes = body.into_bytes_limit(BODY_LIMIT).await.ok()?;
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).ok()?;
        params.extend(form);
    }
    Some(params)
}

/// Twilio posts a form and signs it in `X-Twilio-Signature`.
async fn twilio_form(
    req: &Request,
    body: Body,
) -> Result<(Vec<(String, String)>, Option<&str>), Response> {
    let Ok(bytes) = body.into_bytes_limit(BODY_LIMIT).await else {
        return Err(plain(StatusCode::PAYLOAD_TOO_LARGE, "too large"));
    };
    let Ok(params) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return Err(plain(StatusCode::BAD_REQUEST, "bad request"));
    };
    let signature = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    Ok((params, signature))
}

#[handler]
pub async fn smsapi(
    req: &Request,
    Path(key): Path<String>,
    body: Body,
    app: Data<&App>,
) -> Response {
    let Some(params) = params_of(req, body).await else {
        return plain(StatusCode::BAD_REQUEST, "bad request");
    };
    match app.apply_smsapi_reports(&key, &params).await {
        Ok(_) => plain(StatusCode::OK, "OK"),
        Err(e) => refused(e),
    }
}

#[handler]
pub async fn twilio(req: &Request, body: Body, app: Data<&App>) -> Response {
    let (params, signature) = match twilio_form(req, body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match app.apply_twilio_status(signature, &params).await {
        Ok(_) => plain(StatusCode::OK, ""),
        Err(e) => refused(e),
    }
}

/// SMSAPI's incoming message: answered `OK` (a STOP for a number no
/// client has too), 403 for a key that is not that business's.
#[handler]
pub async fn smsapi_incoming(
    req: &Request,
    Path((tenant, key)): Path<(String, String)>,
    body: Body,
    app: Data<&App>,
) -> Response {
    let Ok(tenant) = tenant.parse::<uuid::Uuid>() else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let Some(params) = params_of(req, body).await else {
        return plain(StatusCode::BAD_REQUEST, "bad request");
    };
    match app.apply_smsapi_incoming(tenant, &key, &params).await {
        Ok(()) => plain(StatusCode::OK, "OK"),
        Err(e) => refused(e),
    }
}

/// Twilio's incoming-message webhook: an empty TwiML answer (Twilio sends
/// its own STOP confirmation), 403 when the signature does not verify.
#[handler]
pub async fn twilio_incoming(
    req: &Request,
    Path(tenant): Path<String>,
    body: Body,
    app: Data<&App>,
) -> Response {
    let Ok(tenant) = tenant.parse::<uuid::Uuid>() else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let (params, signature) = match twilio_form(req, body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    match app.apply_twilio_incoming(tenant, signature, &params).await {
        Ok(()) => Response::builder()
            .status(StatusCode::OK)
            .content_type("text/xml")
            .body("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"),
        Err(e) => refused(e),
    }
}
