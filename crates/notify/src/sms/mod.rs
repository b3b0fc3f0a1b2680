//! Text messages through a gateway: one trait, with SMSAPI.pl (the Polish
//! market standard) and Twilio behind it. The gateway's base URL is a
//! setting, so tests run this same HTTP code against local fakes.

pub mod smsapi;
pub mod twilio;

use std::time::Duration;

pub use smsapi::Smsapi;
pub use twilio::Twilio;

/// One message to hand to a gateway.
#[derive(Debug, Clone, Copy)]
pub struct Sms<'a> {
    /// E.164, e.g. `+48601234567`.
    pub to: &'a str,
    /// The sender name (SMSAPI) or number (Twilio) the account may use.
    pub sender: &'a str,
    pub text: &'a str,
    /// Where the gateway reports delivery.
    pub callback_url: Option<&'a str>,
}

/// Where a message is, as Termino shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// The gateway took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The gateway's id of the message; delivery reports name it.
    pub provider_id: String,
    /// How many parts the gateway billed, when it says.
    pub parts: Option<u32>,
}

/// Why a gateway did not take a message, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    /// An outage, a rate limit, no credit yet: another attempt may work.
    #[error("{0}")]
    Retryable(String),
    /// The gateway refused this message (a bad number, a blocked
    /// recipient, wrong credentials): another attempt fails the same way.
    #[error("{0}")]
    Permanent(String),
}

impl SmsError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SmsError::Retryable(_))
    }
}

/// A text-message gateway.
#[async_trait::async_trait]
pub trait SmsGateway: Send + Sync {
    /// `smsapi` or `twilio`: which callbacks belong to it.
    fn provider(&self) -> &'static str;

    async fn send(&self, sms: &Sms<'_>) -> Result<Accepted, SmsError>;
}

/// The HTTP client every gateway uses: bounded time, no redirects.
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// A transport failure (no answer, a time-out): the message may or may not
/// have been taken, but not having sent it is the likelier case.
pub(crate) fn transport_error(provider: &str, e: &reqwest::Error) -> SmsError {
    SmsError::Retryable(format!(
        "{provider} could not be reached: {}",
        if e.is_timeout() {
            "timed out"
        } else {
            "connection failed"
        }
    ))
}
