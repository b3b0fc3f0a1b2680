//! Twilio's Messages API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`
//! with basic auth (account SID : auth token) and the form `To`, `From`,
//! `Body`, `StatusCallback`. It answers the message resource (`sid`,
//! `status`) or `{"code":..,"message":..,"status":<http>}`. Its callbacks
//! (status, inbound replies) are signed: `X-Twilio-Signature` is the
//! base64 HMAC-SHA1, under the auth token, of the full URL followed by
//! every POST parameter, sorted by name, as name and value.

use base64::Engine;
use hmac::{Hmac, Mac};

use super::{Accepted, DeliveryStatus, Sms, SmsError, SmsGateway, http_client, transport_error};

pub struct Twilio {
    account_sid: String,
    auth_token: String,
    /// `https://api.twilio.com`
    base_url: String,
    client: reqwest::Client,
}

impl Twilio {
    pub fn new(account_sid: String, auth_token: String, base_url: String) -> Self {
        Self {
            account_sid,
            auth_token,
            base_url: base_url.trim_end_matches('/').to_string(),
            client: http_client(),
        }
    }
}

#[derive(serde::Deserialize)]
struct Answer {
    sid: Option<String>,
    num_segments: Option<String>,
    code: Option<i64>,
    message: Option<String>,
}

/// Error codes another attempt may get past: throttling (20429), Twilio's
/// own failures (20500, 20503) and a full queue (30001).
fn retryable(code: i64) -> bool {
    matches!(code, 20429 | 20500 | 20503 | 30001)
}

#[async_trait::async_trait]
impl SmsGateway for Twilio {
    fn provider(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, sms: &Sms<'_>) -> Result<Accepted, SmsError> {
        let mut form = vec![("To", sms.to), ("From", sms.sender), ("Body", sms.text)];
        if let Some(url) = sms.callback_url {
            form.push(("StatusCallback", url));
        }
        let response = self
            .client
            .post(format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                self.base_url, self.account_sid
            ))
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error("Twilio", &e))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| transport_error("Twilio", &e))?;
        let answer: Option<Answer> = serde_json::from_str(&body).ok();
        match answer {
            Some(Answer {
                sid: Some(sid),
                num_segments,
                ..
            }) if status.is_success() => Ok(Accepted {
                provider_id: sid,
                parts: num_segments.and_then(|n| n.parse().ok()),
            }),
            Some(Answer {
                code: Some(code),
                message,
                ..
            }) => {
                let text = format!(
                    "Twilio error {code}: {}",
                    message
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect::<String>()
                );
                Err(
                    if retryable(code) || status.is_server_error() || status.as_u16() == 429 {
                        SmsError::Retryable(text)
                    } else {
                        SmsError::Permanent(text)
                    },
                )
            }
            _ if status.is_server_error() || status.as_u16() == 429 => Err(SmsError::Retryable(
                format!("Twilio answered HTTP {}", status.as_u16()),
            )),
            _ => Err(SmsError::Permanent(format!(
                "Twilio answered HTTP {} without a message sid",
                status.as_u16()
            ))),
        }
    }
}

/// A status callback's `MessageStatus`.
pub fn callback_status(status: &str) -> Option<DeliveryStatus> {
    Some(match status {
        "accepted" | "scheduled" | "queued" | "sending" => DeliveryStatus::Queued,
        "sent" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "undelivered" | "failed" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// Twilio's default opt-out keywords: a reply of one of them is a STOP.
pub fn is_opt_out(body: &str) -> bool {
    let word = body.trim().to_ascii_uppercase();
    matches!(
        word.as_str(),
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "REVOKE" | "OPTOUT"
    )
}

/// The signature Twilio sends for a callback to `url` with `params`.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether a callback's `X-Twilio-Signature` is Twilio's (compared in
/// constant time).
pub fn verify(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = signature(auth_token, url, params);
    expected.as_bytes().ct_eq(header.trim().as_bytes()).into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_documented_example() {
        // The example of Twilio's "validating requests" documentation.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .rev()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let sig = signature("12345", url, &params);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify("12345", url, &params, &sig));
        assert!(!verify("12346", url, &params, &sig));
        assert!(!verify(
            "12345",
            "https://mycompany.com/other",
            &params,
            &sig
        ));
    }

    #[test]
    fn statuses_and_opt_outs() {
        assert_eq!(
            callback_status("delivered"),
            Some(DeliveryStatus::Delivered)
        );
        assert_eq!(callback_status("undelivered"), Some(DeliveryStatus::Failed));
        assert_eq!(callback_status("sending"), Some(DeliveryStatus::Queued));
        assert!(is_opt_out(" stop "));
        assert!(!is_opt_out("stop please"));
    }
}
