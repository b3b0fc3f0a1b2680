//! SMSAPI.pl: `POST {base}/sms.do` with a bearer token, form parameters
//! `to`, `message`, `from`, `encoding=utf-8`, `format=json`, `notify_url`.
//! It answers `{"count":1,"list":[{"id":..,"points":..,"status":"QUEUE"}]}`
//! or `{"error":<code>,"message":".."}`; delivery reports come to the
//! notify URL with `MsgId` and `status` (comma-separated when several).

use super::{Accepted, DeliveryStatus, Sms, SmsError, SmsGateway, http_client, transport_error};

pub struct Smsapi {
    token: String,
    /// `https://api.smsapi.pl`
    base_url: String,
    client: reqwest::Client,
}

impl Smsapi {
    pub fn new(token: String, base_url: String) -> Self {
        Self {
            token,
            base_url: base_url.trim_end_matches('/').to_string(),
            client: http_client(),
        }
    }
}

#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default)]
    list: Vec<Item>,
    error: Option<i64>,
    message: Option<String>,
}

#[derive(serde::Deserialize)]
struct Item {
    id: serde_json::Value,
    parts: Option<u32>,
}

/// Error codes after which another attempt may succeed: the gateway's own
/// failures and throttling (201, 202, 203, 999), too many messages to one
/// number within a minute (52), and no credit left (103; topped up later).
fn retryable(code: i64) -> bool {
    matches!(code, 52 | 103 | 201 | 202 | 203 | 999)
}

#[async_trait::async_trait]
impl SmsGateway for Smsapi {
    fn provider(&self) -> &'static str {
        "smsapi"
    }

    async fn send(&self, sms: &Sms<'_>) -> Result<Accepted, SmsError> {
        // SMSAPI takes numbers without the plus.
        let to = sms.to.trim_start_matches('+');
        let mut form = vec![
            ("to", to),
            ("message", sms.text),
            ("from", sms.sender),
            ("encoding", "utf-8"),
            ("format", "json"),
        ];
        if let Some(url) = sms.callback_url {
            form.push(("notify_url", url));
        }
        let response = self
            .client
            .post(format!("{}/sms.do", self.base_url))
            .bearer_auth(&self.token)
            .form(&form)
            .send()
            .await
            .map_err(|e| transport_error("SMSAPI", &e))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| transport_error("SMSAPI", &e))?;
        let answer: Option<Answer> = serde_json::from_str(&body).ok();
        match answer {
            Some(Answer {
                error: Some(code),
                message,
                ..
            }) => {
                let text = format!(
                    "SMSAPI error {code}: {}",
                    message
                        .unwrap_or_default()
                        .chars()
                        .take(200)
                        .collect::<String>()
                );
                Err(if retryable(code) || status.is_server_error() {
                    SmsError::Retryable(text)
                } else {
                    SmsError::Permanent(text)
                })
            }
            Some(Answer { list, .. }) if status.is_success() && !list.is_empty() => {
                let item = &list[0];
                let provider_id = match &item.id {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Ok(Accepted {
                    provider_id,
                    parts: item.parts,
                })
            }
            _ if status.is_server_error() || status.as_u16() == 429 => Err(SmsError::Retryable(
                format!("SMSAPI answered HTTP {}", status.as_u16()),
            )),
            _ => Err(SmsError::Permanent(format!(
                "SMSAPI answered HTTP {} without a message id",
                status.as_u16()
            ))),
        }
    }
}

/// A delivery report's status, by code or by name.
pub fn report_status(status: &str) -> Option<DeliveryStatus> {
    Some(match status.trim() {
        "404" | "DELIVERED" => DeliveryStatus::Delivered,
        "403" | "SENT" | "410" | "ACCEPTED" => DeliveryStatus::Sent,
        "409" | "QUEUE" | "411" | "RENEWAL" => DeliveryStatus::Queued,
        "401" | "NOT_FOUND" | "402" | "EXPIRED" | "405" | "UNDELIVERED" | "406" | "FAILED"
        | "407" | "REJECTED" | "412" | "STOP" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// The reports in one callback: `MsgId` and `status` name one message each,
/// or several, comma-separated in the same order.
pub fn reports(params: &[(String, String)]) -> Vec<(String, DeliveryStatus, String)> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let ids = get("MsgId").split(',');
    let statuses: Vec<&str> = get("status").split(',').collect();
    ids.zip(statuses)
        .filter(|(id, _)| !id.trim().is_empty())
        .filter_map(|(id, status)| {
            report_status(status).map(|s| (id.trim().to_string(), s, status.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reports_read_one_or_many() {
        let one = reports(&p(&[("MsgId", "abc"), ("status", "404")]));
        assert_eq!(
            one,
            vec![("abc".into(), DeliveryStatus::Delivered, "404".into())]
        );
        let many = reports(&p(&[("MsgId", "a,b"), ("status", "403,406")]));
        assert_eq!(many[0].1, DeliveryStatus::Sent);
        assert_eq!(many[1].1, DeliveryStatus::Failed);
        assert!(reports(&p(&[("MsgId", "a"), ("status", "999")])).is_empty());
    }
}
