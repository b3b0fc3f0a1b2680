//! Authentication of REST calls: an API key (`Authorization: Bearer`) or the
//! session cookie. Cookie-authenticated calls that change state must carry
//! the session's CSRF token in `X-CSRF-Token`.

use poem::Request;
use poem::http::StatusCode;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use termino_app::auth::{Actor, Principal};
use termino_app::{App, AppError, AppResult};
use termino_domain::scope::{Access, Area};
use termino_http::{CSRF_HEADER, is_state_changing, tokens_match};

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

/// The area a REST path belongs to, for API-key scopes; `None` for paths
/// any key may use (`/me`, log-out).
fn area_of(req: &Request) -> Option<Area> {
    let path = req.original_uri().path();
    let rest = path.strip_prefix("/api/v1/").unwrap_or(path);
    match rest.split('/').next().unwrap_or("") {
        "me" | "auth" => None,
        "services" | "staff" | "closures" => Some(Area::Catalog),
        "bookings" | "availability" => Some(Area::Bookings),
        "clients" | "data-requests" => Some(Area::Clients),
        // Business settings and the team (keys never manage people or
        // keys: their role does not allow it).
        _ => Some(Area::Business),
    }
}

pub async fn authorize(
    app: &App,
    req: &Request,
    auth: &BusinessAuth,
) -> Result<Principal, ApiError> {
    let principal = authenticate(app, req, auth).await?;
    // The read-only gate (plan ended, deletion requested) is the use
    // case's own: `App::check_writable` inside each one.
    if let Some(area) = area_of(req) {
        let access = if is_state_changing(req.method()) {
            Access::Write
        } else {
            Access::Read
        };
        if !principal.allows(area, access) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "insufficient-scope",
                "This API key's scopes do not allow this",
            )
            .detail(format!(
                "It needs the scope {}:{}.",
                area.as_str(),
                access.as_str()
            ))
            .into());
        }
    }
    Ok(principal)
}

/// The credentials a request carries: a bearer key first, else the
/// session cookie (the order poem-openapi's `BusinessAuth` tries them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Bearer(String),
    Session(String),
}

impl Credential {
    pub fn of(req: &Request) -> Option<Credential> {
        let bearer = req
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match bearer {
            Some(token) => Some(Credential::Bearer(token.to_string())),
            None => {
                termino_http::cookie(req, termino_http::SESSION_COOKIE).map(Credential::Session)
            }
        }
    }

    /// Who this credential is now.
    pub async fn check(&self, app: &App) -> AppResult<Principal> {
        match self {
            Credential::Bearer(token) => app.authenticate_api_key(token).await,
            Credential::Session(token) => app.authenticate_session(token).await,
        }
    }
}

/// A credential checked once, before the rate limit (which counts against
/// whom it authenticates), kept for the handler so that it is not looked
/// up twice; `None`: it does not authenticate.
#[derive(Debug, Clone)]
pub struct Checked {
    pub credential: Credential,
    pub principal: Option<Principal>,
}

async fn authenticate(
    app: &App,
    req: &Request,
    auth: &BusinessAuth,
) -> Result<Principal, ApiError> {
    let credential = match auth {
        BusinessAuth::ApiKey(ApiKeyAuth(bearer)) => Credential::Bearer(bearer.token.clone()),
        BusinessAuth::Session(SessionAuth(cookie)) => Credential::Session(cookie.key.clone()),
    };
    let principal = match req
        .extensions()
        .get::<Checked>()
        .filter(|c| c.credential == credential)
    {
        Some(Checked {
            principal: Some(p), ..
        }) => p.clone(),
        Some(Checked {
            principal: None, ..
        }) => return Err(AppError::Unauthenticated.into()),
        None => credential.check(app).await?,
    };
    if matches!(credential, Credential::Session(_)) && is_state_changing(req.method()) {
        let given = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let expected = match &principal.actor {
            Actor::User { csrf_token, .. } => csrf_token.as_str(),
            Actor::ApiKey { .. } | Actor::Operator { .. } => "",
        };
        if !tokens_match(expected, given) {
            return Err(
                Problem::new(StatusCode::FORBIDDEN, "csrf", "Missing or wrong CSRF token")
                    .detail("Send the X-CSRF-Token header with the token from log-in or /me.")
                    .into(),
            );
        }
    }
    Ok(principal)
}

/// The raw session token, for log-out.
pub fn session_token(auth: &BusinessAuth) -> Option<&str> {
    match auth {
        BusinessAuth::Session(SessionAuth(cookie)) => Some(&cookie.key),
        BusinessAuth::ApiKey(_) => None,
    }
}

/// For endpoints outside the OpenAPI service (GraphQL): the same
/// credentials, read from the request directly.
pub async fn principal_from_request(app: &App, req: &Request) -> Result<Principal, ApiError> {
    let auth = match Credential::of(req) {
        Some(Credential::Bearer(token)) => BusinessAuth::ApiKey(ApiKeyAuth(Bearer { token })),
        Some(Credential::Session(key)) => BusinessAuth::Session(SessionAuth(ApiKey { key })),
        None => {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            )
            .into());
        }
    };
    authenticate(app, req, &auth).await
}
