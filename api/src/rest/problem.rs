//! RFC 9457 problem details: every REST error, including those raised by the
//! framework itself (unknown route, bad path parameter, missing auth), leaves
//! as `application/problem+json` with a stable `type` per kind.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde::Serialize;
use termino_app::AppError;

pub const CONTENT_TYPE: &str = "application/problem+json";
const TYPE_BASE: &str = "https://termino.app/problems/";

/// One invalid field.
#[derive(Debug, Clone, Serialize, Object)]
pub struct InvalidParam {
    /// The field, as named in the request body (or `body` for the whole).
    pub name: String,
    /// A stable machine code, such as `invalid_email` or `weak_password`.
    pub code: String,
    /// What is wrong, for people.
    pub reason: String,
}

/// An error, as RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// A URI naming the kind of error; stable, compare it instead of `title`.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For invalid input: each offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[oai(rename = "invalid-params", skip_serializing_if_is_empty, default)]
    #[serde(rename = "invalid-params")]
    pub invalid_params: Vec<InvalidParam>,
    /// For 429: seconds until a retry may succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: None,
            invalid_params: Vec::new(),
            retry_after: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(mut self, name: &str, code: &str, reason: impl Into<String>) -> Self {
        self.invalid_params.push(InvalidParam {
            name: name.to_string(),
            code: code.to_string(),
            reason: reason.into(),
        });
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// The error type of every REST operation.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.title)]
pub struct ApiError(pub Box<Problem>);

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        ApiError(Box::new(p))
    }
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.0.status()
    }

    fn as_response(&self) -> Response {
        problem_response(&self.0)
    }
}

pub fn problem_response(problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut resp = Response::builder()
        .status(problem.status())
        .content_type(CONTENT_TYPE)
        .body(body);
    if let Some(secs) = problem.retry_after {
        resp.headers_mut().insert(
            poem::http::header::RETRY_AFTER,
            poem::http::HeaderValue::from(secs),
        );
    }
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        problem_response(&self.0)
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        let described = [
            (
                400,
                "The request could not be read (malformed JSON, wrong types, unknown fields).",
            ),
            (401, "Authentication is missing or invalid."),
            (
                403,
                "The caller's role does not allow this, or the CSRF token is missing.",
            ),
            (404, "No such object in this business."),
            (
                409,
                "A conflict with existing data (slug taken, e-mail taken).",
            ),
            (413, "The request body is too large."),
            (
                415,
                "The request body is not JSON (send `Content-Type: application/json`).",
            ),
            (422, "A field is invalid; `invalid-params` names each one."),
            (429, "Too many attempts; see `Retry-After`."),
            (500, "An unexpected error; nothing was changed."),
            (
                503,
                "A part the request needs (database, Redis) is unavailable; retry later.",
            ),
        ];
        MetaResponses {
            responses: described
                .into_iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: CONTENT_TYPE,
                        schema: Problem::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let problem = match err {
            AppError::Invalid(errors) => {
                let mut p = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-input",
                    "Some fields are invalid",
                );
                for e in errors.0 {
                    p = p.field(&e.field, e.code, e.message);
                }
                p
            }
            AppError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found"),
            AppError::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
            ),
            AppError::BadCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                "Invalid e-mail or password",
            ),
            AppError::Forbidden(what) => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed for your role",
            )
            .detail(format!("Your role does not allow {what}.")),
            AppError::Conflict {
                kind,
                field,
                message,
            } => {
                let mut p = Problem::new(StatusCode::CONFLICT, kind.as_str(), &message);
                if let Some(field) = field {
                    p = p.field(field, &kind.as_str().replace('-', "_"), message);
                }
                p
            }
            AppError::Throttled { retry_after_secs } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    "Too many attempts",
                )
                .detail(format!("Try again in {retry_after_secs} seconds."));
                p.retry_after = Some(retry_after_secs);
                p
            }
            AppError::Unavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Temporarily unavailable",
            ),
            AppError::Internal(err) => {
                // The chain may name tables and constraints; it goes to the
                // log (no personal data is ever put into errors), not out.
                tracing::error!(error = ?err, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal server error",
                )
            }
        };
        problem.into()
    }
}

/// Turns any framework error into problem details.
pub async fn from_poem_error(err: poem::Error) -> Response {
    if err.is::<ApiError>() {
        return err.into_response();
    }
    let status = err.status();
    let (kind, title) = match status {
        StatusCode::NOT_FOUND => ("not-found", "Not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method-not-allowed", "Method not allowed"),
        StatusCode::UNAUTHORIZED => ("unauthenticated", "Authentication required"),
        StatusCode::PAYLOAD_TOO_LARGE => ("too-large", "Request body too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported-media-type", "Unsupported media type"),
        s if s.is_client_error() => ("bad-request", "Bad request"),
        _ => ("internal", "Internal server error"),
    };
    let mut problem = Problem::new(status, kind, title);
    if status.is_client_error() && status != StatusCode::NOT_FOUND {
        problem = problem.detail(err.to_string());
    }
    problem_response(&problem)
}
