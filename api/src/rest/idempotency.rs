//! `Idempotency-Key` on every POST that creates something: the first answer
//! is kept for 24 hours and replayed to a retry of the same request; the
//! same key with a different request is 422. Kept in the key-value store
//! (Redis when configured) as ciphertext under a secret derived from the
//! master key, so the store never holds response bodies (which may carry
//! personal data or a new API key's secret) in the clear. Booking creation
//! keeps its own record in the database, in the booking's transaction.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::http::{HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use termino_app::App;
use termino_crypto::{FieldContext, decrypt_field, encrypt_field};
use termino_http::{SESSION_COOKIE, client_ip, cookie};

use super::json::MAX_BODY_BYTES;
use super::problem::{Problem, problem_response};

const KEEP: Duration = Duration::from_secs(24 * 3600);
const IN_PROGRESS: Duration = Duration::from_secs(60);
pub const HEADER: &str = "idempotency-key";

#[derive(Serialize, Deserialize)]
struct Stored {
    fingerprint: String,
    /// 0 while the first request is still running.
    status: u16,
    content_type: String,
    /// Base64 of the sealed body.
    body: String,
}

fn hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// Whose key it is: the API key or session, or for anonymous calls the
/// address (so two clients never share a key space).
fn caller(req: &Request) -> String {
    let bearer = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match (bearer, cookie(req, SESSION_COOKIE)) {
        (Some(b), _) => format!("auth:{b}"),
        (None, Some(s)) => format!("session:{s}"),
        (None, None) => format!("ip:{}", client_ip(req).unwrap_or_default()),
    }
}

fn problem(status: StatusCode, kind: &str, title: &str, reason: &str) -> Response {
    problem_response(&Problem::new(status, kind, title).field(
        "Idempotency-Key",
        &kind.replace('-', "_"),
        reason,
    ))
}

fn context(slot: &str) -> FieldContext<'_> {
    FieldContext {
        tenant: uuid::Uuid::nil(),
        table: "idempotent_responses",
        column: slot,
        row: uuid::Uuid::nil(),
    }
}

pub async fn idempotent<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let path = req.original_uri().path().to_string();
    let (Some(key), Some(app)) = (key, req.data::<App>().cloned()) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    // Bookings keep their record in the booking's own transaction.
    if req.method() != Method::POST || path.ends_with("/bookings") {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    if key.is_empty() || key.len() > 255 {
        return Ok(problem(
            StatusCode::BAD_REQUEST,
            "invalid-key",
            "The Idempotency-Key is invalid",
            "1 to 255 characters",
        ));
    }
    let body = match req.take_body().into_bytes_limit(MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return Ok(problem_response(&Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-large",
                "Request body too large",
            )));
        }
    };
    let query = req.original_uri().query().unwrap_or("").to_string();
    let fingerprint = hash(&[path.as_bytes(), query.as_bytes(), &body]);
    let slot = format!("idem:{}", hash(&[caller(&req).as_bytes(), key.as_bytes()]));
    let kv = app.kv();

    let pending = serde_json::to_string(&Stored {
        fingerprint: fingerprint.clone(),
        status: 0,
        content_type: String::new(),
        body: String::new(),
    })
    .unwrap_or_default();
    if !kv
        .set_if_absent(&slot, &pending, IN_PROGRESS)
        .await
        .unwrap_or(true)
    {
        let stored: Option<Stored> = kv
            .get(&slot)
            .await
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str(&s).ok());
        let Some(stored) = stored else {
            return Ok(problem(
                StatusCode::CONFLICT,
                "key-in-progress",
                "A request with this key is in progress",
                "retry in a moment",
            ));
        };
        if stored.fingerprint != fingerprint {
            return Ok(problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "key-reused",
                "This Idempotency-Key was used for another request",
                "use a new key for a new request",
            ));
        }
        if stored.status == 0 {
            return Ok(problem(
                StatusCode::CONFLICT,
                "key-in-progress",
                "A request with this key is in progress",
                "retry in a moment",
            ));
        }
        let opened = STANDARD.decode(&stored.body).ok().and_then(|sealed| {
            decrypt_field(|_| Some(app.response_secret()), context(&slot), &sealed).ok()
        });
        let Some(body) = opened else {
            return Ok(problem(
                StatusCode::CONFLICT,
                "key-in-progress",
                "The first answer is not available",
                "use a new key",
            ));
        };
        let mut resp = Response::builder()
            .status(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK))
            .content_type(stored.content_type)
            .body(body);
        resp.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
        return Ok(resp);
    }

    req.set_body(body);
    let resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let status = resp.status();
    if status.is_server_error() {
        // Nothing to keep: let a retry run again.
        let _ = kv.delete(&slot).await;
        return Ok(resp);
    }
    let (parts, body) = resp.into_parts();
    let bytes = body.into_bytes().await.unwrap_or_default();
    let sealed = encrypt_field(app.response_secret(), 1, context(&slot), &bytes);
    let stored = Stored {
        fingerprint,
        status: status.as_u16(),
        content_type: parts
            .headers
            .get(poem::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string(),
        body: STANDARD.encode(sealed),
    };
    if let Ok(json) = serde_json::to_string(&stored) {
        let _ = kv.set(&slot, &json, KEEP).await;
    }
    Ok(Response::from_parts(parts, bytes.into()))
}
