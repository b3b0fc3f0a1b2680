//! Authentication of REST calls: an API key (`Authorization: Bearer`) or the
//! session cookie. Cookie-authenticated calls that change state must carry
//! the session's CSRF token in `X-CSRF-Token`.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use termino_app::App;
use termino_app::auth::{Actor, Principal};
use termino_web::http::{CSRF_HEADER, is_state_changing, tokens_match};

use super::problem::{ApiError, Problem};

/// An API key created in the panel or with `termino api-key create`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "tmk_…")]
pub struct ApiKeyAuth(pub Bearer);

/// The session cookie set by log-in; state-changing calls also need the
/// `X-CSRF-Token` header with the token returned at log-in and by `/me`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "termino_session", key_in = "cookie")]
pub struct SessionAuth(pub ApiKey);

#[derive(SecurityScheme)]
pub enum BusinessAuth {
    ApiKey(ApiKeyAuth),
    Session(SessionAuth),
}

pub async fn authorize(
    app: &App,
    req: &Request,
    auth: &BusinessAuth,
) -> Result<Principal, ApiError> {
    match auth {
        BusinessAuth::ApiKey(ApiKeyAuth(bearer)) => {
            Ok(app.authenticate_api_key(&bearer.token).await?)
        }
        BusinessAuth::Session(SessionAuth(cookie)) => {
            let principal = app.authenticate_session(&cookie.key).await?;
            if is_state_changing(req.method()) {
                let given = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let expected = match &principal.actor {
                    Actor::User { csrf_token, .. } => csrf_token.as_str(),
                    Actor::ApiKey { .. } => "",
                };
                if !tokens_match(expected, given) {
                    return Err(Problem::new(
                        StatusCode::FORBIDDEN,
                        "csrf",
                        "Missing or wrong CSRF token",
                    )
                    .detail("Send the X-CSRF-Token header with the token from log-in or /me.")
                    .into());
                }
            }
            Ok(principal)
        }
    }
}

/// The raw session token, for log-out.
pub fn session_token(auth: &BusinessAuth) -> Option<&str> {
    match auth {
        BusinessAuth::Session(SessionAuth(cookie)) => Some(&cookie.key),
        BusinessAuth::ApiKey(_) => None,
    }
}
