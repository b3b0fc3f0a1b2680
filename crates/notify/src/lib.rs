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
    /// Who it is from, as the recipient sees it (a business writing to
    /// its client); the address stays Termino's own.
    pub sender_name: Option<String>,
    /// Where answers go (the business's contact address).
    pub reply_to: Option<String>,
    /// Also sent as HTML (made from the text, see [`html_of`]).
    pub html: bool,
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
    let mut from: Mailbox = from
        .parse()
        .map_err(|_| SendError::Permanent("the sender address is not valid".into()))?;
    if let Some(name) = email
        .sender_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        // lettre encodes a name with Polish letters (RFC 2047).
        from.name = Some(name.trim().to_string());
    }
    let to: Mailbox = email
        .to
        .parse()
        .map_err(|_| SendError::Permanent("the recipient address is not valid".into()))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@termino>", email.id)));
    // A contact address that does not parse (it was checked when saved)
    // leaves the answers with nobody rather than failing the message.
    if let Some(reply_to) = email
        .reply_to
        .as_deref()
        .and_then(|r| r.parse::<lettre::Address>().ok())
    {
        builder = builder.reply_to(Mailbox::new(email.sender_name.clone(), reply_to));
    }
    let text = || SinglePart::plain(email.body_text.clone());
    let body = if email.html {
        Some(
            MultiPart::alternative()
                .singlepart(text())
                .singlepart(SinglePart::html(html_of(&email.body_text))),
        )
    } else {
        None
    };
    let built = match (&email.attachment, body) {
        (None, None) => builder
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone()),
        (None, Some(alternative)) => builder.multipart(alternative),
        (Some(file), body) => {
            let content_type = ContentType::parse(&file.content_type)
                .map_err(|_| SendError::Permanent("bad attachment content type".into()))?;
            let file = LettreAttachment::new(file.filename.clone())
                .body(file.content.clone(), content_type);
            let mixed = match body {
                Some(alternative) => MultiPart::mixed().multipart(alternative),
                None => MultiPart::mixed().singlepart(text()),
            };
            builder.multipart(mixed.singlepart(file))
        }
    };
    built.map_err(|e| SendError::Permanent(e.to_string()))
}

/// The HTML part of a message, made from its text so the two never say
/// different things: paragraphs at blank lines, links clickable, every
/// value escaped.
pub fn html_of(text: &str) -> String {
    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    let line = |l: &str| {
        let l = l.trim_end();
        if l.starts_with("https://") || l.starts_with("http://") {
            let href = escape(l);
            format!("<a href=\"{href}\">{href}</a>")
        } else {
            escape(l)
        }
    };
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.lines().map(line).collect::<Vec<_>>().join("<br>\n")
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n<body style=\"font-family:sans-serif;line-height:1.5;max-width:36em\">\n{}\n</body></html>\n",
        paragraphs.join("\n")
    )
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
            sender_name: None,
            reply_to: None,
            html: false,
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
    fn a_business_writes_as_itself_in_text_and_html() {
        let email = Email {
            id: uuid::Uuid::nil(),
            to: "ola@example.com".into(),
            subject: "Rezerwacja".into(),
            body_text: "Dzień dobry <Ola>,\n\nzobacz:\nhttps://t.example/b/x".into(),
            attachment: None,
            sender_name: Some("Salon Żaneta".into()),
            reply_to: Some("kontakt@zaneta.example".into()),
            html: true,
        };
        let text = String::from_utf8(
            build_message(&email, "Termino <no-reply@termino.localhost>")
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(
            text.contains("From: =?utf-8?b?U2Fsb24gxbthbmV0YQ==?= <no-reply@termino.localhost>"),
            "{text}"
        );
        assert!(
            text.contains("Reply-To: =?utf-8?b?U2Fsb24gxbthbmV0YQ==?= <kontakt@zaneta.example>"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("Content-Type: text/html"), "{text}");
        let html = html_of(&email.body_text);
        assert!(html.contains("&lt;Ola&gt;"), "{html}");
        assert!(
            html.contains("<a href=\"https://t.example/b/x\">"),
            "{html}"
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
            sender_name: None,
            reply_to: None,
            html: false,
        };
        assert!(matches!(
            build_message(&email, "a@b.pl"),
            Err(SendError::Permanent(_))
        ));
    }
}
