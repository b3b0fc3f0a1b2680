//! tpay's notification signature: `X-JWS-Signature` is a detached compact
//! JWS (`header..signature`), RS256 over `header_b64 "." base64url(raw
//! body)`. The header's `x5u` names the signing certificate; it must be a
//! plain address under tpay's own (`{cert base}/x509/….pem`: no query, no
//! user, nothing that normalises differently), and the certificate must
//! chain to tpay's root (fetched from `{cert base}/x509/tpay-jws-root.pem`):
//! issued in the root's name, signed by the root's key (RSA, SHA-256), and
//! both the certificate and the root valid now by the app's clock.
//! Certificates are fetched without redirects, at most 64 KiB, refreshed
//! daily, and kept in a cache of [`CACHE_ENTRIES`] addresses; the least
//! recently used one makes room for a new one.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use reqwest::Url;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{DecodePem, Encode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("no X-JWS-Signature header")]
    Missing,
    #[error("the signature is not a detached JWS")]
    Malformed,
    #[error("the signing certificate is not at tpay's address")]
    ForeignCertificate,
    #[error("the signing certificate could not be fetched")]
    Unavailable,
    #[error("the signing certificate is not issued by tpay's root")]
    Untrusted,
    #[error("the signing certificate or tpay's root is not valid now")]
    Expired,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Certificate addresses kept at most: tpay has one signing certificate
/// and a root, a few more while it rolls them over.
pub const CACHE_ENTRIES: usize = 8;
/// A certificate is fetched again after this long.
const REFRESH: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// A PEM certificate is a few kilobytes.
const PEM_LIMIT: usize = 64 * 1024;
/// `sha256WithRSAEncryption`, what the root signs with (RFC 4055).
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

struct Cached {
    pem: String,
    fetched_at: DateTime<Utc>,
    /// When it was last used, in uses of the cache (for eviction).
    used: u64,
}

#[derive(Default)]
struct Entries {
    uses: u64,
    by_url: HashMap<String, Cached>,
}

/// Fetched certificates by address, bounded (least recently used out).
pub struct CertCache {
    http: reqwest::Client,
    entries: Mutex<Entries>,
}

impl Default for CertCache {
    fn default() -> Self {
        Self {
            // Never followed elsewhere: the address checked is the one read.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            entries: Mutex::new(Entries::default()),
        }
    }
}

impl CertCache {
    /// How many addresses are held now.
    pub fn len(&self) -> usize {
        self.lock().by_url.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, url: &str, now: DateTime<Utc>) -> Option<String> {
        let mut entries = self.lock();
        entries.uses += 1;
        let uses = entries.uses;
        let hit = entries.by_url.get_mut(url)?;
        if now - hit.fetched_at >= REFRESH {
            return None;
        }
        hit.used = uses;
        Some(hit.pem.clone())
    }

    fn put(&self, url: &str, pem: String, now: DateTime<Utc>) {
        let mut entries = self.lock();
        entries.uses += 1;
        let used = entries.uses;
        if !entries.by_url.contains_key(url) && entries.by_url.len() >= CACHE_ENTRIES {
            let oldest = entries
                .by_url
                .iter()
                .min_by_key(|(_, c)| c.used)
                .map(|(u, _)| u.clone());
            if let Some(oldest) = oldest {
                entries.by_url.remove(&oldest);
            }
        }
        entries.by_url.insert(
            url.to_string(),
            Cached {
                pem,
                fetched_at: now,
                used,
            },
        );
    }

    /// A PEM by address: from the cache, or fetched (and kept).
    async fn fetch(&self, url: &str, now: DateTime<Utc>) -> Result<String, JwsError> {
        if let Some(pem) = self.get(url, now) {
            return Ok(pem);
        }
        let mut resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|_| JwsError::Unavailable)?;
        if !resp.status().is_success()
            || resp.content_length().is_some_and(|n| n > PEM_LIMIT as u64)
        {
            return Err(JwsError::Unavailable);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|_| JwsError::Unavailable)? {
            body.extend_from_slice(&chunk);
            if body.len() > PEM_LIMIT {
                return Err(JwsError::Unavailable);
            }
        }
        let pem = String::from_utf8(body).map_err(|_| JwsError::Untrusted)?;
        self.put(url, pem.clone(), now);
        Ok(pem)
    }
}

/// The root the leaf must chain to and where both are fetched from.
pub struct Trust<'a> {
    /// `https://secure.tpay.com` (or the sandbox, or a test server).
    pub cert_base: &'a str,
    pub cache: &'a CertCache,
}

/// `x5u` if it is a plain certificate address under `base`'s `/x509/`.
fn certificate_url(base: &str, x5u: &str) -> Result<Url, JwsError> {
    let foreign = |_| JwsError::ForeignCertificate;
    let base = Url::parse(base).map_err(foreign)?;
    let url = Url::parse(x5u).map_err(foreign)?;
    let dir = format!("{}/x509/", base.path().trim_end_matches('/'));
    let name = url.path().strip_prefix(&dir).unwrap_or_default();
    // Written exactly as it parses: no `..`, no odd encodings, and so
    // one cache entry per certificate.
    let plain = url.as_str() == x5u
        && url.scheme() == base.scheme()
        && url.host_str() == base.host_str()
        && url.port_or_known_default() == base.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && name.len() > ".pem".len()
        && name.ends_with(".pem")
        && !name.contains('/');
    if plain {
        Ok(url)
    } else {
        Err(JwsError::ForeignCertificate)
    }
}

fn public_key(cert: &Certificate) -> Result<RsaPublicKey, JwsError> {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| JwsError::Untrusted)?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| JwsError::Untrusted)
}

fn valid_at(cert: &Certificate, now: DateTime<Utc>) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    u64::try_from(now.timestamp()).is_ok_and(|t| not_before <= t && t <= not_after)
}

/// Checks that `leaf` is issued by `root` (in its name, signed by its key
/// with RSA and SHA-256) and that both are valid at `now`.
pub fn check_chain(
    leaf: &Certificate,
    root: &Certificate,
    now: DateTime<Utc>,
) -> Result<(), JwsError> {
    if leaf.tbs_certificate.issuer != root.tbs_certificate.subject
        || leaf.signature_algorithm.oid != SHA256_WITH_RSA
        || leaf.tbs_certificate.signature.oid != SHA256_WITH_RSA
    {
        return Err(JwsError::Untrusted);
    }
    let tbs = leaf
        .tbs_certificate
        .to_der()
        .map_err(|_| JwsError::Untrusted)?;
    let sig = leaf
        .signature
        .as_bytes()
        .and_then(|b| Signature::try_from(b).ok())
        .ok_or(JwsError::Untrusted)?;
    VerifyingKey::<Sha256>::new(public_key(root)?)
        .verify(&tbs, &sig)
        .map_err(|_| JwsError::Untrusted)?;
    if !valid_at(leaf, now) || !valid_at(root, now) {
        return Err(JwsError::Expired);
    }
    Ok(())
}

/// Verifies `header` (the X-JWS-Signature value) over `body`.
pub async fn verify(
    trust: &Trust<'_>,
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), JwsError> {
    let header = header.ok_or(JwsError::Missing)?;
    let mut parts = header.split('.');
    let (Some(protected), Some(""), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decoded = URL_SAFE_NO_PAD
        .decode(protected)
        .map_err(|_| JwsError::Malformed)?;
    let json: serde_json::Value =
        serde_json::from_slice(&decoded).map_err(|_| JwsError::Malformed)?;
    if json["alg"] != "RS256" {
        return Err(JwsError::Malformed);
    }
    let x5u = json["x5u"].as_str().ok_or(JwsError::Malformed)?;
    let base = trust.cert_base.trim_end_matches('/');
    let leaf_url = certificate_url(base, x5u)?;
    let leaf_pem = trust.cache.fetch(leaf_url.as_str(), now).await?;
    let root_pem = trust
        .cache
        .fetch(&format!("{base}/x509/tpay-jws-root.pem"), now)
        .await?;
    let leaf = Certificate::from_pem(leaf_pem.as_bytes()).map_err(|_| JwsError::Untrusted)?;
    let root = Certificate::from_pem(root_pem.as_bytes()).map_err(|_| JwsError::Untrusted)?;
    check_chain(&leaf, &root, now)?;
    let sig = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|b| Signature::try_from(b.as_slice()).ok())
        .ok_or(JwsError::Malformed)?;
    let input = format!("{protected}.{}", URL_SAFE_NO_PAD.encode(body));
    VerifyingKey::<Sha256>::new(public_key(&leaf)?)
        .verify(input.as_bytes(), &sig)
        .map_err(|_| JwsError::Mismatch)
}

/// The md5sum tpay puts in a notification:
/// md5(merchant id + tr_id + tr_amount + tr_crc + security code).
pub fn md5sum(merchant_id: &str, tr_id: &str, tr_amount: &str, tr_crc: &str, code: &str) -> String {
    use md5::{Digest, Md5};
    let mut h = Md5::new();
    for part in [merchant_id, tr_id, tr_amount, tr_crc, code] {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_certificate_addresses_under_the_base() {
        let base = "https://secure.tpay.com";
        let ok = "https://secure.tpay.com/x509/notifications-jws.pem";
        assert!(certificate_url(base, ok).is_ok());
        assert!(certificate_url("https://secure.tpay.com/", ok).is_ok());
        for bad in [
            "https://secure.tpay.com.evil.example/x509/notifications-jws.pem",
            "https://secure.tpay.com/x509/notifications-jws.pem?v=1",
            "https://secure.tpay.com/x509/notifications-jws.pem#x",
            "https://user@secure.tpay.com/x509/notifications-jws.pem",
            "https://secure.tpay.com/x509/../x509/notifications-jws.pem",
            "https://secure.tpay.com/x509/a/notifications-jws.pem",
            "https://secure.tpay.com/other/notifications-jws.pem",
            "https://secure.tpay.com:8443/x509/notifications-jws.pem",
            "http://secure.tpay.com/x509/notifications-jws.pem",
            "https://SECURE.tpay.com/x509/notifications-jws.pem",
            "https://secure.tpay.com/x509/.pem",
            "https://secure.tpay.com/x509/notifications-jws.txt",
        ] {
            assert_eq!(
                certificate_url(base, bad).unwrap_err(),
                JwsError::ForeignCertificate,
                "{bad}"
            );
        }
    }

    #[test]
    fn the_cache_keeps_the_recently_used_within_its_bound() {
        let cache = CertCache::default();
        let now = Utc::now();
        let url = |i: usize| format!("https://secure.tpay.com/x509/{i}.pem");
        cache.put(&url(0), "root".into(), now);
        for i in 1..100 {
            cache.put(&url(i), "pem".into(), now);
            // The first one is used all the time, like tpay's root.
            assert_eq!(cache.get(&url(0), now).as_deref(), Some("root"));
            assert!(cache.len() <= CACHE_ENTRIES);
        }
        assert_eq!(cache.len(), CACHE_ENTRIES);
        assert!(cache.get(&url(1), now).is_none(), "let go");
        assert!(cache.get(&url(99), now).is_some());
        assert!(cache.get(&url(0), now + REFRESH).is_none(), "fetched again");
    }

    #[test]
    fn md5sum_concatenates_without_separators() {
        // md5("1010" + "TR-ABC" + "36.00" + "crc" + "secret")
        assert_eq!(md5sum("1010", "TR-ABC", "36.00", "crc", "secret"), {
            use md5::{Digest, Md5};
            hex::encode(Md5::digest(b"1010TR-ABC36.00crcsecret"))
        });
        assert_ne!(
            md5sum("1010", "TR-ABC", "36.00", "crc", "secret"),
            md5sum("1011", "TR-ABC", "36.00", "crc", "secret")
        );
    }
}
