//! One bound on every request body, before anything reads it — GraphQL,
//! REST, forms, provider notifications — and before authentication, so an
//! anonymous caller cannot make the server buffer without end. A body
//! announced too large is refused from its `Content-Length` without being
//! read; one without a length (chunked) is read up to the bound and no
//! further. Endpoints may keep tighter bounds of their own.

use poem::http::StatusCode;
use poem::http::header::CONTENT_LENGTH;
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use crate::rest::problem::{Problem, problem_response};

/// The largest body read, in bytes; shared through poem's `Data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

fn too_large(limit: usize) -> Response {
    problem_response(
        &Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
        )
        .detail(format!("At most {limit} bytes.")),
    )
}

pub async fn limit_bodies<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let limit = req.data::<BodyLimit>().map_or(usize::MAX, |l| l.0);
    let announced = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().parse::<u64>());
    match announced {
        // An unreadable length: hyper has already refused it, but be sure.
        Some(Err(_)) => return Ok(StatusCode::BAD_REQUEST.into_response()),
        Some(Ok(length)) if length > limit as u64 => return Ok(too_large(limit)),
        // Framed by its length, which is within the bound.
        Some(Ok(_)) => {}
        // No length (chunked, or HTTP/2): read at most the bound, unless
        // there is no body at all.
        None => {
            let body = req.take_body();
            if body.is_empty() {
                req.set_body(body);
            } else {
                match body.into_bytes_limit(limit).await {
                    Ok(bytes) => req.set_body(Body::from_bytes(bytes)),
                    Err(poem::error::ReadBodyError::PayloadTooLarge) => {
                        return Ok(too_large(limit));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    async fn echo(body: Body) -> poem::Result<String> {
        Ok(body.into_string().await?)
    }

    fn app() -> impl Endpoint<Output = Response> {
        echo.around(limit_bodies)
            .data(BodyLimit(1024))
            .map_to_response()
    }

    fn chunked(total: usize) -> Request {
        let chunks = (0..total / 100).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 100]));
        Request::builder()
            .method(poem::http::Method::POST)
            .header("transfer-encoding", "chunked")
            .body(Body::from_bytes_stream(futures_util::stream::iter(chunks)))
    }

    #[tokio::test]
    async fn bodies_without_a_length_are_read_up_to_the_bound_only() {
        let resp = app().call(chunked(1000)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.into_body().into_string().await.unwrap().len(), 1000);
        let resp = app().call(chunked(100_000)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
    }

    #[tokio::test]
    async fn an_announced_length_over_the_bound_is_refused_unread() {
        let never_read = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
        let req = Request::builder()
            .method(poem::http::Method::POST)
            .header("content-length", "2000000")
            .body(Body::from_bytes_stream(never_read));
        let resp = app().call(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
}
