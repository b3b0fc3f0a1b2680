//! Mail goes out over a real SMTP exchange (lettre talking to a small SMTP
//! server here), survives a server that refuses at first, and is sent once.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{Backend, TestApp, link_token};

/// An SMTP server that answers `451` to the first `fail_first` recipients,
/// then accepts and records each message.
#[derive(Clone, Default)]
pub(crate) struct SmtpSink {
    messages: Arc<Mutex<Vec<String>>>,
    refusals_left: Arc<Mutex<u32>>,
}

impl SmtpSink {
    pub(crate) async fn start(fail_first: u32) -> (SmtpSink, u16) {
        let sink = SmtpSink::default();
        *sink.refusals_left.lock().unwrap() = fail_first;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(stream).await });
            }
        });
        (sink, port)
    }

    async fn session(&self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
        while let Ok(Some(line)) = lines.next_line().await {
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                b"250-sink.test\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM") {
                b"250 ok\r\n"
            } else if upper.starts_with("RCPT TO") {
                let mut left = self.refusals_left.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    b"451 4.3.0 try again later\r\n"
                } else {
                    b"250 ok\r\n"
                }
            } else if upper == "DATA" {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut message = String::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    message.push_str(&l);
                    message.push('\n');
                }
                self.messages.lock().unwrap().push(message);
                b"250 queued\r\n"
            } else if upper == "QUIT" {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else if upper == "RSET" || upper == "NOOP" {
                b"250 ok\r\n"
            } else {
                b"502 not implemented\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }

    pub(crate) fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

async fn invitation_travels_over_smtp(backend: Backend) {
    let (sink, port) = SmtpSink::start(1).await;
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await
    else {
        return;
    };
    let owner = app.signup("poczta").await;
    let resp = owner
        .post(
            "/invitations",
            json!({"email": "kasia@example.com", "role": "staff"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    // The first attempt meets 451: the message waits in the outbox.
    app.run_jobs().await;
    let row = termino_app::mail::outbox(app.app())
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient == "kasia@example.com")
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert_eq!(
        row.last_error.as_deref(),
        Some("temporary failure: SMTP reply 451")
    );
    assert!(sink.messages().is_empty());

    // Not before its back-off…
    assert_eq!(app.app().deliver_due_mail().await.unwrap(), 0);
    // …then it goes.
    app.clock.advance(chrono::Duration::minutes(3));
    assert_eq!(app.app().deliver_due_mail().await.unwrap(), 1);
    assert_eq!(app.app().deliver_due_mail().await.unwrap(), 0, "sent once");
    let messages: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| crate::helpers::decode_quoted_printable(m))
        .collect();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("To: kasia@example.com"));
    let token = link_token(&messages[0], "/invite/");
    assert!(token.len() >= 40, "{}", messages[0]);
    let outbox = termino_app::mail::outbox(app.app()).await.unwrap();
    let row = outbox
        .into_iter()
        .find(|m| m.recipient == "kasia@example.com")
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_travels_over_smtp_sqlite() {
    invitation_travels_over_smtp(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_travels_over_smtp_postgres() {
    invitation_travels_over_smtp(Backend::Postgres).await;
}

/// An SMTP server that accepts connections and then says nothing until it
/// is released: a mail server stalling for its whole time-out.
struct StalledSmtp {
    port: u16,
    connected: Arc<tokio::sync::Notify>,
    release: tokio::sync::watch::Sender<bool>,
}

impl StalledSmtp {
    async fn start() -> StalledSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connected = Arc::new(tokio::sync::Notify::new());
        let (release, released) = tokio::sync::watch::channel(false);
        let c = connected.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.notify_one();
                let mut released = released.clone();
                tokio::spawn(async move {
                    let _ = released.wait_for(|r| *r).await;
                    drop(stream);
                });
            }
        });
        StalledSmtp {
            port,
            connected,
            release,
        }
    }
}

/// Issue 20, item 9: the mail worker used to claim, send and record in one
/// transaction, so on SQLite it held the write lock for as long as the SMTP
/// server took to answer (up to its 20 s time-out) and every booking
/// meanwhile failed with "database is locked". Failed before the fix: the
/// booking below waited out the busy time-out and answered 500.
async fn a_stalled_smtp_server_does_not_delay_a_booking(backend: Backend) {
    let smtp = StalledSmtp::start().await;
    let Some(app) = TestApp::spawn_with(backend, |s| {
        s.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
    })
    .await
    else {
        return;
    };
    let salon = crate::scheduling::salon(&app, "zawieszona-poczta", json!({})).await;
    // A message to send: the worker (or this call) claims it and meets the
    // silent server.
    let resp = salon
        .owner
        .post(
            "/invitations",
            json!({"email": "ola@example.com", "role": "staff"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let sender = app.app().clone();
    let delivery = tokio::spawn(async move { sender.deliver_due_mail().await });
    smtp.connected.notified().await;

    // While the SMTP exchange hangs, a client books.
    let date = crate::scheduling::day_ahead(2);
    let slots = crate::scheduling::slots(&app, &salon, date, "Europe/Warsaw").await;
    let start = slots[0]["start"].as_str().unwrap();
    let resp = crate::scheduling::book(
        &app,
        &salon,
        &crate::scheduling::booking_body(&salon, start, "klientka@example.com"),
    )
    .await;
    assert_eq!(
        resp.status(),
        StatusCode::CREATED,
        "{}",
        resp.text().await.unwrap()
    );
    smtp.release.send_replace(true);
    let _ = delivery.await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_smtp_server_does_not_delay_a_booking_sqlite() {
    a_stalled_smtp_server_does_not_delay_a_booking(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_smtp_server_does_not_delay_a_booking_postgres() {
    a_stalled_smtp_server_does_not_delay_a_booking(Backend::Postgres).await;
}
