//! `bookingEvents` over WebSocket (`graphql-transport-ws`), and GraphiQL
//! on a plain GET.
//!
//! * A browser page may open the socket only from an allowed origin (the
//!   public URL's by default): the upgrade carries the session cookie, so
//!   any other site's page could otherwise listen in. A program sends no
//!   `Origin` and authenticates with a key, in the upgrade or in
//!   `connection_init`.
//! * Subscriptions only: queries and mutations go over POST, where they are
//!   rate-limited and a cookie needs its CSRF token (see `graphql_guard`).
//! * The credentials are checked again before every event and every few
//!   minutes: once a key is revoked or a session ended, the socket closes
//!   with code 4403 and nothing more is sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, GraphiQLSource};
use async_graphql_poem::{GraphQLProtocol, GraphQLWebSocket};
use futures_util::{SinkExt, StreamExt};
use poem::http::StatusCode;
use poem::web::websocket::{Message, WebSocket, WebSocketStream};
use poem::web::{Data, Html};
use poem::{IntoResponse, Request, Response, handler};
use termino_app::auth::Principal;
use termino_app::{App, BookingNotice};
use tokio::sync::{Notify, broadcast};

use crate::graphql::{TerminoSchema, per_request};
use crate::rest::auth::{Credential, principal_from_request};
use crate::rest::problem::{Problem, problem_response};

/// How often an idle socket's credentials are checked again.
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// The close code when the credentials ended (4403: "forbidden").
const CREDENTIALS_ENDED: u16 = 4403;

/// Origins whose pages may open the socket, normalised
/// (`scheme://host[:port]`, lower case, no default port).
#[derive(Debug, Clone)]
pub struct AllowedOrigins(Vec<String>);

fn normalise(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("https://", ":443"), ("http://", ":80")] {
        if origin.starts_with(scheme)
            && let Some(bare) = origin.strip_suffix(port)
        {
            return bare.to_string();
        }
    }
    origin
}

impl AllowedOrigins {
    /// The configured origins, or else the public URL's own.
    pub fn new(configured: &[String], public_url: &str) -> Self {
        if !configured.is_empty() {
            return Self(configured.iter().map(|o| normalise(o)).collect());
        }
        let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
        let host = rest.split('/').next().unwrap_or("");
        Self(vec![normalise(&format!("{scheme}://{host}"))])
    }

    fn allows(&self, origin: &str) -> bool {
        let origin = normalise(origin);
        self.0.contains(&origin)
    }
}

/// One socket's state, in its GraphQL connection data: the credential to
/// check again, the booking events from the moment of the upgrade (so that
/// none is missed between the handshake and the first subscription), and
/// the signal that closes it.
pub struct SocketSession {
    credential: Mutex<Option<Credential>>,
    events: Mutex<Option<broadcast::Receiver<BookingNotice>>>,
    ended: Notify,
}

impl SocketSession {
    fn new(events: broadcast::Receiver<BookingNotice>) -> Self {
        Self {
            credential: Mutex::new(None),
            events: Mutex::new(Some(events)),
            ended: Notify::new(),
        }
    }

    fn remember(&self, credential: Credential) {
        *self.credential.lock().unwrap_or_else(|e| e.into_inner()) = Some(credential);
    }

    /// Booking events for a subscription: the first one gets those since
    /// the upgrade, later ones those from now on.
    pub fn booking_events(&self, app: &App) -> broadcast::Receiver<BookingNotice> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(|| app.booking_events())
    }

    /// Whether the credential the socket was opened with still holds.
    pub async fn still_valid(&self, app: &App) -> bool {
        let credential = self
            .credential
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match credential {
            Some(c) => c.check(app).await.is_ok(),
            // Not authenticated yet: nothing runs before it is.
            None => true,
        }
    }

    /// Closes the socket.
    pub fn end(&self) {
        self.ended.notify_one();
    }
}

/// GET: the GraphiQL page, or a WebSocket for subscriptions (credentials
/// from the upgrade request, or `{"authorization": "Bearer …"}` in the
/// connection_init payload).
#[handler]
pub async fn graphql_get(
    req: &Request,
    app: Data<&App>,
    schema: Data<&TerminoSchema>,
    origins: Data<&AllowedOrigins>,
    ws: Option<WebSocket>,
    protocol: Option<GraphQLProtocol>,
) -> Response {
    let (Some(ws), Some(protocol)) = (ws, protocol) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql")
                .finish(),
        )
        .into_response();
    };
    if let Some(origin) = req.headers().get(poem::http::header::ORIGIN)
        && !origin.to_str().is_ok_and(|o| origins.allows(o))
    {
        return problem_response(
            &Problem::new(
                StatusCode::FORBIDDEN,
                "origin-not-allowed",
                "Pages of this origin may not open the GraphQL socket",
            )
            .detail("Open it from the service's own pages, or from a program without an Origin header and with an API key."),
        );
    }
    let upgrade = match (Credential::of(req), principal_from_request(&app, req).await) {
        (Some(credential), Ok(principal)) => Some((credential, principal)),
        _ => None,
    };
    let session = Arc::new(SocketSession::new(app.booking_events()));
    let app = app.0.clone();
    let schema = schema.0.clone();
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(socket, app, schema, protocol, session, upgrade))
        .into_response()
}

/// The principal of `connection_init`: the upgrade's, or the key in the
/// payload.
async fn principal_at_init(
    app: &App,
    payload: &serde_json::Value,
    upgrade: Option<(Credential, Principal)>,
) -> async_graphql::Result<(Credential, Principal)> {
    if let Some(found) = upgrade {
        return Ok(found);
    }
    let refused = || async_graphql::Error::new("authentication required");
    let token = payload
        .get("authorization")
        .and_then(|v| v.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(refused)?;
    let credential = Credential::Bearer(token.to_string());
    let principal = credential.check(app).await.map_err(|_| refused())?;
    Ok((credential, principal))
}

async fn serve(
    socket: WebSocketStream,
    app: App,
    schema: TerminoSchema,
    protocol: GraphQLProtocol,
    session: Arc<SocketSession>,
    upgrade: Option<(Credential, Principal)>,
) {
    let (sink, stream) = socket.split();
    // Shared, so that the socket can still be closed properly after the
    // GraphQL side is stopped.
    let sink = Arc::new(tokio::sync::Mutex::new(sink));
    let graphql_sink =
        futures_util::sink::unfold(sink.clone(), |sink, message: Message| async move {
            sink.lock().await.send(message).await?;
            Ok::<_, std::io::Error>(sink)
        });
    let (init_app, init_session) = (app.clone(), session.clone());
    let mut serving = Box::pin(
        GraphQLWebSocket::new_with_pair(graphql_sink, stream, schema, protocol)
            .on_connection_init(move |payload| async move {
                let (credential, principal) =
                    principal_at_init(&init_app, &payload, upgrade).await?;
                init_session.remember(credential);
                let mut data = per_request(&init_app, principal);
                data.insert(init_session);
                Ok(data)
            })
            .serve(),
    );
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    recheck.tick().await;
    loop {
        tokio::select! {
            () = &mut serving => return,
            () = session.ended.notified() => break,
            _ = recheck.tick() => if !session.still_valid(&app).await {
                break;
            },
        }
    }
    // Stop the GraphQL side (its subscriptions with it), then say why.
    drop(serving);
    let mut sink = sink.lock().await;
    let _ = sink
        .send(Message::close_with(
            CREDENTIALS_ENDED,
            "the credentials are no longer valid",
        ))
        .await;
    let _ = sink.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_default_to_the_public_url_and_ignore_default_ports() {
        let own = AllowedOrigins::new(&[], "https://Book.example.com/base");
        assert!(own.allows("https://book.example.com"));
        assert!(own.allows("https://book.example.com:443"));
        assert!(!own.allows("http://book.example.com"));
        assert!(!own.allows("https://book.example.com.evil.example"));
        assert!(!own.allows("null"));
        let local = AllowedOrigins::new(&[], "http://127.0.0.1:8080");
        assert!(local.allows("http://127.0.0.1:8080"));
        assert!(!local.allows("http://127.0.0.1:8081"));
        let listed = AllowedOrigins::new(
            &["https://a.example".into(), "http://b.example:8000".into()],
            "https://book.example.com",
        );
        assert!(listed.allows("https://a.example") && listed.allows("http://b.example:8000"));
        assert!(!listed.allows("https://book.example.com"));
    }
}
