//! Rate limits for REST, GraphQL and the pages' forms. A request whose
//! credentials authenticate counts against who they are (an API key, a
//! person); one without credentials, or with credentials that do not
//! authenticate, against the client's address — so making up a new key
//! per request gains nothing. Counted in the key-value store (Redis when
//! configured, so every node shares the count), in windows of one minute.
//! Every answer carries `RateLimit` and `RateLimit-Policy`
//! (draft-ietf-httpapi-ratelimit-headers); a refusal is 429 problem+json
//! with `Retry-After`.

use std::time::Duration;

use poem::http::{HeaderValue, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use termino_app::auth::Actor;
use termino_app::secret::opaque_key;
use termino_app::{App, AppError};
use termino_http::{client_ip, is_state_changing};

use super::auth::{Checked, Credential};
use super::problem::{Problem, problem_response};

pub const WINDOW: Duration = Duration::from_secs(60);

/// The bucket a request counted against, for the handler: GraphQL charges
/// a costly query to it once more.
#[derive(Debug, Clone)]
pub struct RateBucket {
    pub key: String,
    pub limit: u64,
}

/// Checks the request's credentials (remembering the outcome for the
/// handler) and picks its bucket.
async fn bucket(app: &App, req: &mut Request) -> RateBucket {
    let config = app.config();
    if let Some(credential) = Credential::of(req) {
        match credential.check(app).await {
            Ok(principal) => {
                let key = match &principal.actor {
                    Actor::ApiKey { key_id, .. } => format!("rl:key:{key_id}"),
                    Actor::User { user_id, .. } => format!("rl:user:{user_id}"),
                    Actor::Operator { operator_id, .. } => format!("rl:operator:{operator_id}"),
                };
                req.extensions_mut().insert(Checked {
                    credential,
                    principal: Some(principal),
                });
                return RateBucket {
                    key,
                    limit: config.rate_limit_per_key,
                };
            }
            Err(AppError::Unauthenticated) => {
                req.extensions_mut().insert(Checked {
                    credential,
                    principal: None,
                });
            }
            // The store or the database failed: the handler tries again
            // and reports it; meanwhile the address pays.
            Err(_) => {}
        }
    }
    let ip = client_ip(req).unwrap_or_default();
    RateBucket {
        key: format!("rl:ip:{}", opaque_key("ip", &ip)),
        limit: config.rate_limit_public,
    }
}

/// The 429 answer, for GraphQL's cost check too.
pub fn too_many(limit: u64, reset: u64) -> Problem {
    let mut p = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
    )
    .detail(format!(
        "At most {limit} requests a minute; try again in {reset} seconds."
    ));
    p.retry_after = Some(reset);
    p
}

/// Every request counts (REST, GraphQL).
pub async fn limit<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let Some(app) = req.data::<App>().cloned() else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    let bucket = bucket(&app, &mut req).await;
    let limit = bucket.limit;
    // If the store is down, serve rather than refuse everyone.
    let (count, reset) = app.kv().hit(&bucket.key, WINDOW).await.unwrap_or((0, 60));
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
        let mut resp = problem_response(&too_many(limit, reset));
        headers(&mut resp);
        return Ok(resp);
    }
    req.extensions_mut().insert(bucket);
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    headers(&mut resp);
    Ok(resp)
}

/// The pages: what is submitted counts (log-in, sign-up, password reset,
/// bookings, data requests, the panel's forms); reading pages does not.
pub async fn limit_forms<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    if is_state_changing(req.method()) {
        limit(next, req).await
    } else {
        next.call(req).await.map(IntoResponse::into_response)
    }
}
