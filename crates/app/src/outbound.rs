//! Where outbound webhooks may connect. A business names the URL, so a
//! target inside Termino's own network — loopback, private ranges, cloud
//! metadata — would let anyone reach internal services through us. Such
//! targets are refused (unless the operator allows private ones) when an
//! endpoint is saved and again at every delivery, after resolving the name
//! anew; the delivery then connects to exactly the addresses checked, and
//! follows no redirect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

use crate::{AppError, AppResult};

/// Why a target was not tried. Stored in the delivery log as it is: it
/// says nothing about what the target would have answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotHttp,
    PrivateAddress,
    NotFound,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NotHttp => "refused: not an http(s) URL",
            Refusal::PrivateAddress => "refused: private address",
            Refusal::NotFound => "address not found",
        }
    }
}

/// How long a name may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// IPv4 ranges that are not the public internet (IANA special-purpose
/// registry): this network, private, shared (CGNAT), loopback,
/// link-local (cloud metadata), IETF assignments, documentation, 6to4
/// relays, benchmarking, multicast, reserved and broadcast.
const NOT_PUBLIC_V4: [([u8; 4], u8); 16] = [
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 88, 99, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
    ([255, 255, 255, 255], 32),
];

/// Inside global unicast (2000::/3), the parts that are not reachable
/// hosts: IETF protocol assignments (Teredo, benchmarking, ORCHID) and
/// documentation. 6to4 (2002::/16) is judged by the IPv4 address in it.
const NOT_PUBLIC_V6: [(u128, u8); 3] = [
    (0x2001_0000 << 96, 23),
    (0x2001_0db8 << 96, 32),
    (0x3fff_0000 << 96, 20),
];

/// Cloud metadata services: refused even where private targets are allowed.
fn is_metadata(ip: IpAddr) -> bool {
    const METADATA: [IpAddr; 4] = [
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
        IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
        IpAddr::V4(Ipv4Addr::new(192, 0, 0, 192)),
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    ];
    let ip = match ip {
        IpAddr::V6(v6) => embedded_v4(v6).map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    METADATA.contains(&ip)
}

fn within(bits: u128, width: u32, net: u128, prefix: u8) -> bool {
    let shift = width - u32::from(prefix);
    prefix == 0 || (bits >> shift) == (net >> shift)
}

/// An IPv4 address carried inside an IPv6 one: mapped (`::ffff:a.b.c.d`),
/// NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::/48`). Connecting
/// to one reaches that IPv4 address, so it is judged as that.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    if bits >> 32 == 0xffff || bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return Some(low);
    }
    let seg = ip.segments();
    (seg[0] == 0x2002).then(|| Ipv4Addr::from((u32::from(seg[1]) << 16) | u32::from(seg[2])))
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u128::from(u32::from(v4));
            !NOT_PUBLIC_V4.iter().any(|(net, prefix)| {
                within(bits, 32, u128::from(u32::from_be_bytes(*net)), *prefix)
            })
        }
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let bits = u128::from(v6);
                within(bits, 128, 0x2000 << 112, 3)
                    && !NOT_PUBLIC_V6
                        .iter()
                        .any(|(net, prefix)| within(bits, 128, *net, *prefix))
            }
        },
    }
}

/// Whether a webhook may connect to this address.
pub fn may_connect(ip: IpAddr, allow_private: bool) -> bool {
    !is_metadata(ip) && (allow_private || is_public(ip))
}

/// Names internal by definition (RFC 6761, 6762, 8375, and the usual
/// private suffixes), and names of one label, which only the hosts file or
/// a local search domain can resolve.
fn is_internal_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    !host.contains('.')
        || ["localhost", "local", "internal", "localdomain", "home.arpa"]
            .iter()
            .any(|suffix| host == *suffix || host.ends_with(&format!(".{suffix}")))
}

/// The IP address a URL names literally, if it does (the URL parser has
/// already turned `2130706433` and `0x7f.1` into dotted form).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    url.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// Checks what can be checked without the network: the scheme, a host,
/// internal names and literal addresses.
pub fn check_form(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(Refusal::NotHttp);
    }
    match literal_ip(url) {
        Some(ip) if !may_connect(ip, allow_private) => Err(Refusal::PrivateAddress),
        Some(_) => Ok(()),
        None if !allow_private && url.host_str().is_some_and(is_internal_name) => {
            Err(Refusal::PrivateAddress)
        }
        None => Ok(()),
    }
}

/// The addresses a request to `url` may connect to: every address the name
/// resolves to must be allowed (a name that also points inside is refused
/// as a whole).
pub async fn vet(url: &Url, allow_private: bool) -> Result<Vec<SocketAddr>, Refusal> {
    check_form(url, allow_private)?;
    let port = url.port_or_known_default().ok_or(Refusal::NotHttp)?;
    if let Some(ip) = literal_ip(url) {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let host = url.host_str().ok_or(Refusal::NotHttp)?;
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| Refusal::NotFound)?
            .map_err(|_| Refusal::NotFound)?
            .collect();
    if addrs.is_empty() {
        return Err(Refusal::NotFound);
    }
    if addrs.iter().any(|a| !may_connect(a.ip(), allow_private)) {
        return Err(Refusal::PrivateAddress);
    }
    Ok(addrs)
}

/// Checks an endpoint's URL when it is saved: its form, and where its name
/// points now. A name that does not resolve yet is accepted; every
/// delivery resolves and checks it again.
pub(crate) async fn check_url(url: &str, allow_private: bool) -> AppResult<String> {
    let bad = |msg: &str| AppError::invalid("url", "invalid_url", msg);
    let parsed = Url::parse(url.trim()).map_err(|_| bad("must be an http or https URL"))?;
    match vet(&parsed, allow_private).await {
        Ok(_) | Err(Refusal::NotFound) => Ok(parsed.to_string()),
        Err(Refusal::NotHttp) => Err(bad("must be an http or https URL")),
        Err(Refusal::PrivateAddress) => Err(bad("must be a public address")),
    }
}

/// How one attempt went, as the delivery log keeps it.
pub(crate) enum Outcome {
    Delivered(u16),
    /// Any other status, redirects included (they are not followed).
    Answered(u16),
    /// Not sent, or no answer: a fixed category, never the error's text.
    NotSent(&'static str),
}

/// One POST: resolves and checks the target, then connects only to the
/// addresses checked. The answer's body is never read.
pub(crate) async fn post<const N: usize>(
    url: &str,
    allow_private: bool,
    headers: [(&'static str, String); N],
    body: String,
) -> Outcome {
    let Ok(url) = Url::parse(url) else {
        return Outcome::NotSent(Refusal::NotHttp.as_str());
    };
    let addrs = match vet(&url, allow_private).await {
        Ok(addrs) => addrs,
        Err(refusal) => return Outcome::NotSent(refusal.as_str()),
    };
    let Ok(http) = client_for(&url, &addrs) else {
        return Outcome::NotSent("connection failed");
    };
    let mut request = http.post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(resp) if resp.status().is_success() => Outcome::Delivered(resp.status().as_u16()),
        Ok(resp) => Outcome::Answered(resp.status().as_u16()),
        // Timed out, refused, reset: all alike, so that the log cannot
        // tell an open port from a closed one.
        Err(_) => Outcome::NotSent("connection failed"),
    }
}

/// What a conditional GET of a calendar brought.
pub(crate) enum Fetched {
    Changed {
        body: Vec<u8>,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified,
    /// A fixed category, never the error's text.
    Failed(&'static str),
}

/// One conditional GET under the same rules as a webhook delivery (the
/// target checked, no redirect, time-outs), reading at most `max_bytes`.
pub(crate) async fn get_bounded(
    url: &str,
    allow_private: bool,
    etag: Option<&str>,
    last_modified: Option<&str>,
    max_bytes: usize,
) -> Fetched {
    let Ok(url) = Url::parse(url) else {
        return Fetched::Failed(Refusal::NotHttp.as_str());
    };
    let addrs = match vet(&url, allow_private).await {
        Ok(addrs) => addrs,
        Err(refusal) => return Fetched::Failed(refusal.as_str()),
    };
    let Ok(http) = client_for(&url, &addrs) else {
        return Fetched::Failed("connection failed");
    };
    let mut request = http.get(url).header("accept", "text/calendar");
    if let Some(tag) = etag {
        request = request.header("if-none-match", tag);
    }
    if let Some(date) = last_modified {
        request = request.header("if-modified-since", date);
    }
    let mut resp = match request.send().await {
        Ok(resp) => resp,
        Err(_) => return Fetched::Failed("connection failed"),
    };
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        return Fetched::NotModified;
    }
    if !resp.status().is_success() {
        return Fetched::Failed("error status");
    }
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (etag, last_modified) = (header("etag"), header("last-modified"));
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_bytes {
                    return Fetched::Failed("too large");
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(_) => return Fetched::Failed("connection failed"),
        }
    }
    Fetched::Changed {
        body,
        etag,
        last_modified,
    }
}

/// An HTTP client that reaches `url`'s host only at `addrs` (no second
/// look-up, no proxy from the environment, no redirects).
fn client_for(url: &Url, addrs: &[SocketAddr]) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent("Termino/1");
    match url.host_str() {
        Some(host) if literal_ip(url).is_none() => builder.resolve_to_addrs(host, addrs),
        _ => builder,
    }
    .build()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn public_addresses_are_public() {
        for text in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.1.255",
            "198.20.0.1",
            "2a00:1450:4001:82b::200e",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(text)), "{text}");
            assert!(may_connect(ip(text), false), "{text}");
        }
    }

    #[test]
    fn addresses_inside_the_network_are_not_public() {
        for text in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "169.254.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.192",
            "192.0.2.10",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:2::1",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "3fff::1",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(text)), "{text}");
            assert!(!may_connect(ip(text), false), "{text}");
        }
    }

    #[test]
    fn allowing_private_targets_never_allows_metadata() {
        assert!(may_connect(ip("127.0.0.1"), true));
        assert!(may_connect(ip("10.1.2.3"), true));
        assert!(may_connect(ip("::1"), true));
        for text in [
            "169.254.169.254",
            "::ffff:169.254.169.254",
            "fd00:ec2::254",
            "100.100.100.200",
        ] {
            assert!(!may_connect(ip(text), true), "{text}");
        }
    }

    #[test]
    fn names_and_literal_forms_are_judged_before_any_look_up() {
        let form = |text: &str, allow| check_form(&Url::parse(text).unwrap(), allow);
        for ok in [
            "https://hooks.example.com/termino",
            "http://hooks.example.com.:8080/x",
            "http://8.8.8.8/x",
        ] {
            assert_eq!(form(ok, false), Ok(()), "{ok}");
        }
        for bad in [
            "http://localhost/x",
            "http://localhost./x",
            "http://LocalHost:9000/x",
            "http://api.localhost/x",
            "http://ip6-localhost/x",
            "http://intranet/x",
            "http://printer.local/x",
            "http://db.internal/x",
            "http://router.home.arpa/x",
            "http://127.0.0.1:9000/x",
            "http://2130706433/x",
            "http://0177.0.0.1/x",
            "http://0x7f.1/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://[::]/x",
            "http://0.0.0.0/x",
        ] {
            assert_eq!(form(bad, false), Err(Refusal::PrivateAddress), "{bad}");
        }
        assert_eq!(form("ftp://example.com/x", false), Err(Refusal::NotHttp));
        assert_eq!(form("http://127.0.0.1:9000/x", true), Ok(()));
        assert_eq!(form("http://localhost:9000/x", true), Ok(()));
        assert_eq!(
            form("http://169.254.169.254/latest", true),
            Err(Refusal::PrivateAddress)
        );
    }

    #[tokio::test]
    async fn saved_urls_must_be_public_unless_allowed() {
        assert!(check_url("https://8.8.8.8/termino", false).await.is_ok());
        for bad in [
            "http://127.0.0.1:9000/x",
            "http://localhost/x",
            "http://localhost./x",
            "http://10.0.0.5/x",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "ftp://example.com/x",
            "not a url",
        ] {
            assert!(check_url(bad, false).await.is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9000/x", true).await.is_ok());
    }

    #[tokio::test]
    async fn names_are_resolved_and_every_address_checked() {
        let url = Url::parse("http://localhost:9/x").unwrap();
        assert_eq!(vet(&url, false).await, Err(Refusal::PrivateAddress));
        let allowed = vet(&url, true).await.unwrap();
        assert!(
            !allowed.is_empty()
                && allowed
                    .iter()
                    .all(|a| a.ip().is_loopback() && a.port() == 9)
        );
        let literal = Url::parse("http://127.0.0.1:7/x").unwrap();
        assert_eq!(
            vet(&literal, true).await.unwrap(),
            vec![SocketAddr::new(ip("127.0.0.1"), 7)]
        );
    }
}
