//! tpay's notification signature: `X-JWS-Signature` is a detached compact
//! JWS (`header..signature`), RS256 over `header_b64 "." base64url(raw
//! body)`. The header's `x5u` names the signing certificate; it must live
//! under tpay's own address, and the certificate must be issued by tpay's
//! root certificate (fetched from the same place) and be valid now.
//! Certificates are fetched once and cached.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha2::Sha256;
use x509_cert::Certificate;
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
    #[error("the signing certificate is not valid now")]
    Expired,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// The root the leaf must chain to and where both are fetched from.
pub struct Trust<'a> {
    /// `https://secure.tpay.com` (or the sandbox, or a test server).
    pub cert_base: &'a str,
}

/// Fetched PEMs by URL, with when they were fetched.
type PemCache = Mutex<HashMap<String, (String, DateTime<Utc>)>>;

fn cache() -> &'static PemCache {
    static CACHE: OnceLock<PemCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// A PEM by URL, fetched at most once a day.
async fn fetch(http: &reqwest::Client, url: &str, now: DateTime<Utc>) -> Result<String, JwsError> {
    if let Some((pem, at)) = cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(url)
        .cloned()
        && now - at < chrono::Duration::hours(24)
    {
        return Ok(pem);
    }
    let resp = http
        .get(url)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map_err(|_| JwsError::Unavailable)?;
    if !resp.status().is_success() {
        return Err(JwsError::Unavailable);
    }
    let pem = resp.text().await.map_err(|_| JwsError::Unavailable)?;
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(url.to_string(), (pem.clone(), now));
    Ok(pem)
}

fn public_key(cert: &Certificate) -> Result<RsaPublicKey, JwsError> {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| JwsError::Untrusted)?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| JwsError::Untrusted)
}

/// Checks that `leaf` is signed by `root` and valid at `now`.
pub fn check_chain(
    leaf: &Certificate,
    root: &Certificate,
    now: DateTime<Utc>,
) -> Result<(), JwsError> {
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
    let validity = &leaf.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs() as i64;
    let not_after = validity.not_after.to_unix_duration().as_secs() as i64;
    let t = now.timestamp();
    if t < not_before || t > not_after {
        return Err(JwsError::Expired);
    }
    Ok(())
}

/// Verifies `header` (the X-JWS-Signature value) over `body`.
pub async fn verify(
    http: &reqwest::Client,
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
    // The prefix with its slash: `https://secure.tpay.com.evil.example/`
    // must not pass.
    if !x5u.starts_with(&format!("{base}/")) {
        return Err(JwsError::ForeignCertificate);
    }
    let leaf_pem = fetch(http, x5u, now).await?;
    let root_pem = fetch(http, &format!("{base}/x509/tpay-jws-root.pem"), now).await?;
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
mod tests {
    use super::*;

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
