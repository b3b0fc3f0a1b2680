//! HTTP pieces both the pages and the REST API need: the session cookie,
//! the client's address, the CSRF check.

use std::net::IpAddr;

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

/// Reverse proxies whose `X-Forwarded-For` is believed (the operator's
/// `TERMINO_TRUSTED_PROXIES`), shared through poem's `Data`. Without it the
/// header is ignored: anyone can write it.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a chain of hops: the peer, unless it is a trusted
    /// proxy; then, from the right of `X-Forwarded-For`, the first address
    /// that is not one (what is further left the client wrote itself).
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer;
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|header| header.rsplit(','))
            .map(str::trim);
        for hop in hops {
            if !self.trusts(client) {
                break;
            }
            match hop.parse::<IpAddr>() {
                Ok(ip) => client = ip,
                // Not an address: the last trusted hop is all we know.
                Err(_) => break,
            }
        }
        client
    }
}

/// The client's address, for throttling, rate limits and the evidence of
/// an acceptance (hashed before it is stored for throttling).
pub fn client_ip(req: &Request) -> Option<String> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    let Some(trusted) = req.data::<TrustedProxies>().filter(|t| !t.0.is_empty()) else {
        return Some(peer.to_string());
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(trusted.client(peer, &forwarded).to_string())
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
    #[allow(clippy::unwrap_used)]
    fn forwarded_for_is_read_from_the_right_past_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("10.0.0.2"), &["203.0.113.7"]),
            ip("10.0.0.2")
        );
        let proxies = TrustedProxies(vec![
            "10.0.0.0/8".parse().unwrap(),
            "fd00::/8".parse().unwrap(),
        ]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &["203.0.113.7"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // What the client wrote left of its own address is not believed.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["6.6.6.6, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two proxies of ours in a row, across two header lines.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["6.6.6.6, 203.0.113.7", "10.1.1.1"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("fd00::2"), &["2001:db8::7"]),
            ip("2001:db8::7")
        );
        // Garbage, or only proxies: the last trusted hop.
        assert_eq!(proxies.client(ip("10.0.0.2"), &["junk"]), ip("10.0.0.2"));
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["10.3.3.3"]),
            ip("10.3.3.3")
        );
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
    }

    #[test]
    fn csrf_tokens_compare_exactly() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("", ""));
    }
}
