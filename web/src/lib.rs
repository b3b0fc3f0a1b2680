//! The server-rendered pages of Termino: sign-up, log-in, password reset,
//! invitations and the panel shell. Plain HTML forms, no JavaScript.
//!
//! The server adds the application and the cookie settings to the routes:
//! `termino_web::routes().data(app).data(cookie_policy)`.

mod booking;
pub use termino_http as http;
pub mod i18n;
mod ops;
mod pages;
mod panel;
pub mod ui;
mod views;
mod your_data;

use poem::http::HeaderValue;
use poem::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use poem::{Endpoint, IntoResponse, Request, Response, Route, get, post};

/// The one stylesheet, embedded in the binary.
pub const CSS: &str = include_str!("../static/termino.css");

/// Changes whenever the stylesheet does: its URL carries it, so the long
/// cache lifetime never serves a stale file.
pub const CSS_VERSION: u64 = fnv1a(CSS.as_bytes());

/// Changes whenever the page script does.
pub const JS_VERSION: u64 = fnv1a(booking::SCRIPT.as_bytes());

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The booking pages: as strict, but any site may frame them (the widget).
pub const BOOKING_PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors *; \
     base-uri 'none'";

/// The pages. Every route already carries [`security_headers`].
pub fn routes() -> Route {
    Route::new()
        .at(
            "/signup",
            security_headers(get(pages::signup_form).post(pages::signup_submit)),
        )
        .at(
            "/login",
            security_headers(get(pages::login_form).post(pages::login_submit)),
        )
        .at("/logout", security_headers(post(pages::logout)))
        .at(
            "/reset",
            security_headers(get(pages::reset_request_form).post(pages::reset_request_submit)),
        )
        .at(
            "/reset/:token",
            security_headers(get(pages::reset_form).post(pages::reset_submit)),
        )
        .at(
            "/invite/:token",
            security_headers(get(pages::invite_form).post(pages::invite_submit)),
        )
        .at("/b/:slug", security_headers(get(booking::book_page)))
        .at(
            "/b/:slug/details",
            security_headers(get(booking::details_form).post(booking::details_submit)),
        )
        .at(
            "/b/:slug/manage/:token",
            security_headers(get(booking::manage_page)),
        )
        .at(
            "/b/:slug/manage/:token/reschedule",
            security_headers(post(booking::manage_reschedule)),
        )
        .at(
            "/b/:slug/manage/:token/cancel",
            security_headers(post(booking::manage_cancel)),
        )
        .at(
            "/b/:slug/manage/:token/confirm",
            security_headers(post(booking::manage_confirm)),
        )
        .at(
            "/b/:slug/manage/:token/pay",
            security_headers(post(booking::manage_pay)),
        )
        .at(
            "/b/:slug/manage/:token/booking.ics",
            security_headers(get(booking::manage_ics)),
        )
        .at(
            "/subprocessors",
            security_headers(get(pages::subprocessors)),
        )
        .at(
            "/b/:slug/your-data",
            security_headers(get(your_data::email_form).post(your_data::send_link)),
        )
        .at(
            "/b/:slug/your-data/:token",
            security_headers(get(your_data::show).post(your_data::file)),
        )
        .nest("/ops", ops::routes())
        .at("/embed.js", security_headers(get(booking::embed_script)))
        .at("/static/termino.js", security_headers(get(booking::script)))
        .nest("/app", panel::routes())
        .at(
            "/static/termino.css",
            security_headers(get(pages::stylesheet)),
        )
}

/// Adds the Content-Security-Policy, `X-Content-Type-Options: nosniff` and
/// `Referrer-Policy: same-origin` headers to every answer of `ep`, errors
/// included (an error becomes its response here).
pub fn security_headers<E: Endpoint>(ep: E) -> impl Endpoint<Output = Response> {
    SecurityHeaders(ep)
}

struct SecurityHeaders<E>(E);

impl<E: Endpoint> Endpoint for SecurityHeaders<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let mut resp = match self.0.call(req).await {
            Ok(resp) => resp.into_response(),
            Err(err) => err.into_response(),
        };
        let headers = resp.headers_mut();
        // A page that may be framed (the booking pages) sets its own.
        if !headers.contains_key(CONTENT_SECURITY_POLICY) {
            headers.insert(
                CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
            );
        }
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        Ok(resp)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // panicking is how tests fail
mod tests {
    use poem::EndpointExt;
    use poem::http::{Method, StatusCode};

    use super::*;
    use crate::http::{CookiePolicy, FORM_CSRF_COOKIE, LANG_COOKIE};

    fn app() -> impl Endpoint<Output = Response> {
        routes()
            .data(CookiePolicy {
                secure: false,
                max_age_secs: 3600,
            })
            .map_to_response()
    }

    async fn get_page(uri: &str, headers: &[(&str, &str)]) -> (Response, String) {
        let mut req = Request::builder().uri(uri.parse().unwrap());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = app().call(req.finish()).await.unwrap();
        let (parts, body) = resp.into_parts();
        let body = body.into_string().await.unwrap();
        (Response::from_parts(parts, poem::Body::empty()), body)
    }

    fn set_cookies(resp: &Response) -> Vec<String> {
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    fn hidden_csrf(body: &str) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = body.find(marker).unwrap() + marker.len();
        let end = start + body[start..].find('"').unwrap();
        body[start..end].to_string()
    }

    #[tokio::test]
    async fn form_pages_set_a_matching_csrf_cookie() {
        for uri in ["/signup", "/login", "/reset", "/reset/some-token"] {
            let (resp, body) = get_page(uri, &[]).await;
            assert_eq!(resp.status(), StatusCode::OK, "{uri}");
            let token = hidden_csrf(&body);
            assert_eq!(token.len(), 43);
            let cookie = format!("{FORM_CSRF_COOKIE}={token};");
            assert!(
                set_cookies(&resp).iter().any(|c| c.starts_with(&cookie)),
                "{uri}"
            );
        }
    }

    #[tokio::test]
    async fn pages_carry_security_headers() {
        let (resp, _) = get_page("/login", &[]).await;
        let h = resp.headers();
        assert_eq!(
            h.get("content-security-policy").unwrap(),
            CONTENT_SECURITY_POLICY_VALUE
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("referrer-policy").unwrap(), "same-origin");
        // A framework error (wrong method) gets them too.
        let req = Request::builder()
            .method(Method::PUT)
            .uri("/login".parse().unwrap())
            .finish();
        let resp = app().call(req).await.unwrap();
        assert!(resp.status().is_client_error());
        assert!(resp.headers().contains_key("content-security-policy"));
    }

    #[tokio::test]
    async fn language_comes_from_query_then_cookie_then_header() {
        let (resp, body) = get_page("/login?lang=pl", &[("accept-language", "en")]).await;
        assert!(body.contains("<html lang=\"pl\">"));
        assert!(
            set_cookies(&resp)
                .iter()
                .any(|c| c.starts_with("termino_lang=pl;"))
        );
        let cookie = format!("{LANG_COOKIE}=pl");
        let (resp, body) =
            get_page("/login", &[("cookie", &cookie), ("accept-language", "en")]).await;
        assert!(body.contains("<html lang=\"pl\">"));
        assert!(
            !set_cookies(&resp)
                .iter()
                .any(|c| c.starts_with("termino_lang="))
        );
        let (_, body) = get_page("/login", &[("accept-language", "pl-PL,pl;q=0.9")]).await;
        assert!(body.contains("<html lang=\"pl\">"));
        assert!(body.contains("Zaloguj się"));
        let (_, body) = get_page("/login", &[]).await;
        assert!(body.contains("<html lang=\"en\">"));
        assert!(body.contains("href=\"?lang=pl\""));
    }

    #[tokio::test]
    async fn login_keeps_the_business_and_the_switch_keeps_the_query() {
        let (_, body) = get_page("/login?business=salon-anna", &[]).await;
        assert!(body.contains("name=\"business\" value=\"salon-anna\""));
        assert!(
            body.contains("href=\"?business=salon-anna&#38;lang=pl\""),
            "{body}"
        );
    }

    #[tokio::test]
    async fn signup_form_has_the_expected_fields() {
        let (_, body) = get_page("/signup", &[]).await;
        for name in [
            "company_name",
            "slug",
            "owner_name",
            "email",
            "phone",
            "password",
            "time_zone",
            "language",
            "csrf_token",
        ] {
            assert!(body.contains(&format!("name=\"{name}\"")), "{name}");
        }
        assert!(body.contains("<option value=\"Europe/Warsaw\" selected>"));
        assert!(body.contains("for=\"slug\""));
        assert!(!body.contains("style="));
        assert!(!body.contains("<script"));
    }

    #[tokio::test]
    async fn stylesheet_is_served_with_a_long_cache() {
        let (resp, body) = get_page("/static/termino.css", &[]).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/css")
        );
        assert!(
            resp.headers()
                .get("cache-control")
                .unwrap()
                .to_str()
                .unwrap()
                .contains("max-age=31536000")
        );
        assert_eq!(body, CSS);
    }
}
