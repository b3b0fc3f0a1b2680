//! HTTP pieces both the pages and the REST API need: the session cookie,
//! the client's address, the CSRF check.

use poem::Request;
use poem::http::Method;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "termino_session";
/// Double-submit cookie protecting forms shown before log-in.
pub const FORM_CSRF_COOKIE: &str = "termino_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The language chosen with `?lang=`, remembered for a year.
pub const LANG_COOKIE: &str = "termino_lang";
const LANG_COOKIE_MAX_AGE: u64 = 365 * 24 * 3600;

/// Cookie settings, shared through poem's `Data`.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// `Secure` on cookies: on whenever the site is served over TLS.
    pub secure: bool,
    pub max_age_secs: u64,
}

pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(name: &str, value: &str, policy: CookiePolicy, max_age: u64) -> String {
    let secure = if policy.secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn session_cookie(token: &str, policy: CookiePolicy) -> String {
    set_cookie(SESSION_COOKIE, token, policy, policy.max_age_secs)
}

pub fn clear_session_cookie(policy: CookiePolicy) -> String {
    set_cookie(SESSION_COOKIE, "", policy, 0)
}

/// Termino's operators: a cookie of their own, only under `/ops`.
pub const OPS_COOKIE: &str = "termino_ops";

pub fn ops_cookie(token: &str, policy: CookiePolicy, max_age: u64) -> String {
    let secure = if policy.secure { "; Secure" } else { "" };
    format!("{OPS_COOKIE}={token}; Path=/ops; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

pub fn form_csrf_cookie(token: &str, policy: CookiePolicy) -> String {
    set_cookie(FORM_CSRF_COOKIE, token, policy, 2 * 3600)
}

pub fn lang_cookie(code: &str, policy: CookiePolicy) -> String {
    set_cookie(LANG_COOKIE, code, policy, LANG_COOKIE_MAX_AGE)
}

/// A fresh random token (256 bits, URL-safe base64) for the form CSRF cookie.
pub fn new_form_token() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a cookie value has the shape of a token from [`new_form_token`].
fn is_form_token(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The token to put into a pre-login form: the one already in the
/// `termino_csrf` cookie (so that several open tabs keep working), or a new one.
/// Set it again with [`form_csrf_cookie`] to refresh its lifetime.
pub fn form_token(req: &Request) -> String {
    cookie(req, FORM_CSRF_COOKIE)
        .filter(|v| is_form_token(v))
        .unwrap_or_else(new_form_token)
}

/// The double-submit check of a pre-login form: the `csrf_token` field must
/// equal the `termino_csrf` cookie.
pub fn form_csrf_ok(req: &Request, submitted: &str) -> bool {
    cookie(req, FORM_CSRF_COOKIE).is_some_and(|expected| tokens_match(&expected, submitted))
}

/// The peer's address, for throttling only (hashed before it is stored).
pub fn client_ip(req: &Request) -> Option<String> {
    req.remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip().to_string())
}

/// Where an acceptance of the agreement came from (kept as evidence in the
/// ledger, never logged).
pub fn acceptance_meta(req: &Request, method: &'static str) -> termino_app::dpa::AcceptanceMeta {
    termino_app::dpa::AcceptanceMeta {
        ip: client_ip(req).unwrap_or_default(),
        user_agent: req
            .headers()
            .get(poem::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        method,
    }
}

pub fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let req = Request::builder()
            .header("cookie", "a=1; termino_session=abc; b=2")
            .finish();
        assert_eq!(cookie(&req, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&req, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_and_lax() {
        let c = session_cookie(
            "t",
            CookiePolicy {
                secure: true,
                max_age_secs: 60,
            },
        );
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        let c = clear_session_cookie(CookiePolicy {
            secure: false,
            max_age_secs: 60,
        });
        assert!(c.contains("Max-Age=0") && !c.contains("Secure"));
    }

    #[test]
    fn form_csrf_needs_cookie_and_field_to_match() {
        let token = new_form_token();
        let req = Request::builder()
            .header("cookie", format!("a=1; {FORM_CSRF_COOKIE}={token}"))
            .finish();
        assert!(form_csrf_ok(&req, &token));
        assert!(!form_csrf_ok(&req, ""));
        assert!(!form_csrf_ok(&req, &new_form_token()));
        // No cookie: nothing can match, not even an empty field.
        let bare = Request::builder().finish();
        assert!(!form_csrf_ok(&bare, ""));
        assert!(!form_csrf_ok(&bare, &token));
        // An empty cookie never matches an empty field.
        let empty = Request::builder()
            .header("cookie", format!("{FORM_CSRF_COOKIE}="))
            .finish();
        assert!(!form_csrf_ok(&empty, ""));
    }

    #[test]
    fn form_token_reuses_a_well_formed_cookie_only() {
        let token = new_form_token();
        assert_eq!(token.len(), 43);
        assert_ne!(token, new_form_token());
        let req = Request::builder()
            .header("cookie", format!("{FORM_CSRF_COOKIE}={token}"))
            .finish();
        assert_eq!(form_token(&req), token);
        let odd = Request::builder()
            .header("cookie", format!("{FORM_CSRF_COOKIE}=short"))
            .finish();
        let fresh = form_token(&odd);
        assert_ne!(fresh, "short");
        assert_eq!(fresh.len(), 43);
    }

    #[test]
    fn lang_cookie_lasts_a_year() {
        let c = lang_cookie(
            "pl",
            CookiePolicy {
                secure: false,
                max_age_secs: 60,
            },
        );
        assert!(c.starts_with("termino_lang=pl;") && c.contains("Max-Age=31536000"));
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
    }
}
