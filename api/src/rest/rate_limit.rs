//! Rate limits for the REST API: per API key (or session) and, for calls
//! without credentials, per client address. Counted in the key-value store
//! (Redis when configured, so every node shares the count), in windows of
//! one minute. Every answer carries `RateLimit` and `RateLimit-Policy`
//! (draft-ietf-httpapi-ratelimit-headers); a refusal is 429 problem+json
//! with `Retry-After`.

use std::time::Duration;

use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use termino_app::App;
use termino_app::secret::opaque_key;
use termino_web::http::{SESSION_COOKIE, client_ip, cookie};

use super::problem::{Problem, problem_response};

const WINDOW: Duration = Duration::from_secs(60);

/// Which bucket a request counts against, and its limit per minute.
fn bucket(app: &App, req: &Request) -> (String, u64) {
    let config = app.config();
    let bearer = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        return (
            format!("rl:key:{}", opaque_key("api-key", token)),
            config.rate_limit_per_key,
        );
    }
    if let Some(session) = cookie(req, SESSION_COOKIE) {
        return (
            format!("rl:session:{}", opaque_key("session", &session)),
            config.rate_limit_per_key,
        );
    }
    let ip = client_ip(req).unwrap_or_default();
    (
        format!("rl:ip:{}", opaque_key("ip", &ip)),
        config.rate_limit_public,
    )
}

pub async fn limit<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let Some(app) = req.data::<App>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let (key, limit) = bucket(&app, &req);
    // If the store is down, serve rather than refuse everyone.
    let (count, reset) = app.kv().hit(&key, WINDOW).await.unwrap_or((0, 60));
    let remaining = limit.saturating_sub(count);
    let headers = |resp: &mut Response| {
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!(
            "limit={limit}, remaining={remaining}, reset={reset}"
        )) {
            h.insert("ratelimit", v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("{limit};w={}", WINDOW.as_secs())) {
            h.insert("ratelimit-policy", v);
        }
    };
    if count > limit {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
        )
        .detail(format!(
            "At most {limit} requests a minute; try again in {reset} seconds."
        ));
        p.retry_after = Some(reset);
        let mut resp = problem_response(&p);
        headers(&mut resp);
        return Ok(resp);
    }
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    headers(&mut resp);
    Ok(resp)
}
