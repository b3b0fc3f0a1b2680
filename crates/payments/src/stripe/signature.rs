//! `Stripe-Signature` verification: `t=<unix>,v1=<hex>[,v1=<hex>…]`, each
//! `v1` a hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the endpoint's
//! whole `whsec_…` secret. Any matching `v1` is accepted (Stripe sends
//! several while a secret is being rolled); the timestamp must be within
//! the tolerance either side of now.
//!
//! Written here rather than taken from async-stripe's webhook module: that
//! one also parses the event into generated types, which ties us to one
//! API version's exact shapes; we read only the few fields we act on.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Stripe's own default.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the timestamp is outside the tolerance")]
    Expired,
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// The header value Stripe would send for `body` at `timestamp` (tests and
/// the local fake server sign with it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let hex = mac(secret, &t, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={t},v1={hex}")
}

/// Checks `header` against every secret in `secrets` (an endpoint's
/// current and, while rolling, previous secret).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return Err(SignatureError::Malformed);
        };
        match k {
            "t" => timestamp = Some(v),
            "v1" => {
                if let Ok(bytes) = hex::decode(v) {
                    signatures.push(bytes);
                }
            }
            _ => {} // v0 and future schemes
        }
    }
    let t_text = timestamp.ok_or(SignatureError::Malformed)?;
    let t: i64 = t_text.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let matched = secrets.iter().any(|secret| {
        let Some(m) = mac(secret, t_text, body) else {
            return false;
        };
        let expected = m.finalize().into_bytes();
        signatures
            .iter()
            .any(|s| bool::from(s.as_slice().ct_eq(expected.as_slice())))
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    // Checked after the signature, so that a forged header learns nothing
    // about our clock.
    if (now.timestamp() - t).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Expired);
    }
    Ok(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn at(t: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(t, 0).unwrap()
    }

    #[test]
    fn a_fresh_signature_verifies() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(SECRET, 1_800_000_000, body);
        assert_eq!(
            verify(Some(&header), body, &[SECRET.into()], at(1_800_000_100)),
            Ok(1_800_000_000)
        );
    }

    #[test]
    fn any_v1_may_match_while_a_secret_rolls() {
        let body = b"{}";
        let good = sign(SECRET, 1_800_000_000, body);
        let v1 = good.split(",v1=").nth(1).unwrap();
        let header = format!("t=1800000000,v1={},v1={v1},v0=abc", "00".repeat(32));
        assert!(verify(Some(&header), body, &[SECRET.into()], at(1_800_000_000)).is_ok());
        // Our side rolls too: the old secret still verifies during the roll.
        let old = sign("whsec_old", 1_800_000_000, body);
        assert!(
            verify(
                Some(&old),
                body,
                &[SECRET.into(), "whsec_old".into()],
                at(1_800_000_000)
            )
            .is_ok()
        );
    }

    #[test]
    fn tampered_forged_expired_and_malformed_fail() {
        let body = br#"{"amount":100}"#;
        let header = sign(SECRET, 1_800_000_000, body);
        let now = at(1_800_000_000);
        let secrets = [SECRET.to_string()];
        assert_eq!(
            verify(Some(&header), br#"{"amount":999}"#, &secrets, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), body, &["whsec_other".into()], now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), body, &secrets, at(1_800_000_301)),
            Err(SignatureError::Expired)
        );
        assert_eq!(
            verify(Some(&header), body, &secrets, at(1_799_999_699)),
            Err(SignatureError::Expired)
        );
        // A changed timestamp breaks the signature.
        let moved = header.replace("t=1800000000", "t=1800000200");
        assert_eq!(
            verify(Some(&moved), body, &secrets, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(None, body, &secrets, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some("garbage"), body, &secrets, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(Some("t=x,v1=00"), body, &secrets, now),
            Err(SignatureError::Malformed)
        );
    }
}
