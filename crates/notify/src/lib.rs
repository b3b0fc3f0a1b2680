//! Sending messages. E-mail goes out through a [`Mailer`]: SMTP when
//! configured, `.eml` files under the data directory on the embedded
//! default. Both build the message with lettre, so a file is exactly what
//! SMTP would have carried. Message texts (Polish and English) live in
//! [`texts`].

pub mod agenda_texts;
pub mod breach_letters;
pub mod calendar;
pub mod reminder_texts;
pub mod sms;
pub mod texts;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as LettreAttachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// One e-mail, ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// Stable id, also the Message-ID, so a retried send is recognisable as
    /// the same message.
    pub id: uuid::Uuid,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub attachment: Option<Attachment>,
}

/// A file sent with a message (an `.ics` invitation).
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for Email {
    // The recipient and body are personal data: never in debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection refused, a 4xx reply).
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// Retrying will not help (a rejected address, a malformed message).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, email: &Email, from: &str) -> Result<(), SendError>;

    /// Drops any copy of these messages the mailer kept (crypto-shredding
    /// a business, erasing a client). A mailer that keeps none has nothing
    /// to do.
    async fn forget(&self, _ids: &[uuid::Uuid]) {}
}

/// The RFC 5322 message for an e-mail.
pub fn build_message(email: &Email, from: &str) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| SendError::Permanent("the sender address is not valid".into()))?;
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| SendError::Permanent("the recipient address is not valid".into()))?;
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@termino>", email.id)));
    let built = match &email.attachment {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone()),
        Some(file) => {
            let content_type = ContentType::parse(&file.content_type)
                .map_err(|_| SendError::Permanent("bad attachment content type".into()))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(email.body_text.clone()))
                    .singlepart(
                        LettreAttachment::new(file.filename.clone())
                            .body(file.content.clone(), content_type),
                    ),
            )
        }
    };
    built.map_err(|e| SendError::Permanent(e.to_string()))
}

/// Writes each message as an `.eml` file, readable with any mail program.
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, email: &Email, from: &str) -> Result<(), SendError> {
        let message = build_message(email, from)?;
        let io = |e: std::io::Error| SendError::Temporary(e.kind().to_string());
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        // Write then rename, so a reader never sees half a message.
        let tmp = self.dir.join(format!(".{}.tmp", email.id));
        let path = self.dir.join(format!("{}.eml", email.id));
        tokio::fs::write(&tmp, message.formatted())
            .await
            .map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)?;
        Ok(())
    }

    async fn forget(&self, ids: &[uuid::Uuid]) {
        for id in ids {
            // Gone already (or never written) is as good.
            let _ = tokio::fs::remove_file(self.dir.join(format!("{id}.eml"))).await;
        }
    }
}

/// Sends through an SMTP server named by a URL such as
/// `smtps://user:pass@smtp.example.com` or `smtp://host:587?tls=required`.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    pub fn from_url(url: &str) -> Result<Self, SendError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // The URL may hold a password: the error says only that it is bad.
            .map_err(|_| SendError::Permanent("the SMTP URL is not valid".into()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Self { transport })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email, from: &str) -> Result<(), SendError> {
        let message = build_message(email, from)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(smtp_reason(&e))),
            Err(e) => Err(SendError::Temporary(smtp_reason(&e))),
        }
    }
}

/// The reply code only: servers echo addresses in their reply text.
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("SMTP reply {code}"),
        None if e.is_transient() => "SMTP temporary failure".into(),
        None => "SMTP connection failed".into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages_carry_their_id_and_encode_polish_subjects() {
        let email = Email {
            id: uuid::Uuid::nil(),
            to: "ola@example.com".into(),
            subject: "Zmiana hasła".into(),
            body_text: "Dzień dobry".into(),
            attachment: None,
        };
        let text = String::from_utf8(
            build_message(&email, "Termino <no-reply@termino.localhost>")
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(text.contains("Message-ID: <00000000-0000-0000-0000-000000000000@termino>"));
        assert!(text.contains("To: ola@example.com"));
        assert!(
            text.contains("Subject: Zmiana =?utf-8?b?aGFzxYJh?="),
            "{text}"
        );
    }

    #[test]
    fn bad_addresses_fail_permanently() {
        let email = Email {
            id: uuid::Uuid::nil(),
            to: "not an address".into(),
            subject: "x".into(),
            body_text: "x".into(),
            attachment: None,
        };
        assert!(matches!(
            build_message(&email, "a@b.pl"),
            Err(SendError::Permanent(_))
        ));
    }
}
