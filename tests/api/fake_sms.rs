//! Local stand-ins for the SMS gateways, speaking their documented shapes:
//! SMSAPI.pl's `POST /sms.do` (bearer token, form parameters, JSON list or
//! `{"error":code,"message":..}`) and Twilio's
//! `POST /2010-04-01/Accounts/{sid}/Messages.json` (basic auth, form
//! `To`/`From`/`Body`/`StatusCallback`, the message resource or
//! `{"code":..,"message":..,"status":..}`). They record every request and
//! answer scripted errors first. They also send what the gateways send
//! for a client's reply: SMSAPI's incoming-message callback (a form POST
//! of `sms_to`, `sms_from`, `sms_text`, `sms_date`, `MO_id`, `username`)
//! and Twilio's incoming-message webhook (its form, `OptOutType` under
//! Advanced Opt-Out, signed in `X-Twilio-Signature`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{Body, EndpointExt, Request, Response, Route, handler, post};
use serde_json::{Value, json};

pub const SMSAPI_TOKEN: &str = "smsapi-test-token-0123456789";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio-test-auth-token";
pub const SENDER: &str = "Termino";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
struct State {
    requests: Arc<Mutex<Vec<Recorded>>>,
    /// Answers given before the normal one: (HTTP status, JSON body).
    scripted: Arc<Mutex<VecDeque<(u16, Value)>>>,
    counter: Arc<AtomicU32>,
    /// An outage: SMSAPI's "system internal error" to every call.
    down: Arc<std::sync::atomic::AtomicBool>,
}

pub struct FakeSms {
    pub url: String,
    state: State,
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/json")
        .body(body.to_string())
}

fn record(state: &State, req: &Request, body: &[u8]) -> Recorded {
    let recorded = Recorded {
        path: req.uri().path().to_string(),
        authorization: req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        form: serde_urlencoded::from_bytes(body).unwrap_or_default(),
    };
    state.requests.lock().unwrap().push(recorded.clone());
    recorded
}

#[handler]
async fn smsapi(req: &Request, body: Body, Data(state): Data<&State>) -> Response {
    let body = body.into_vec().await.unwrap_or_default();
    let r = record(state, req, &body);
    if r.authorization.as_deref() != Some(&format!("Bearer {SMSAPI_TOKEN}")) {
        return json_response(
            401,
            &json!({"error": 101, "message": "Authorization failed"}),
        );
    }
    if state.down.load(Ordering::SeqCst) {
        return json_response(
            500,
            &json!({"error": 201, "message": "System internal error"}),
        );
    }
    if let Some((status, body)) = state.scripted.lock().unwrap().pop_front() {
        return json_response(status, &body);
    }
    let n = state.counter.fetch_add(1, Ordering::SeqCst);
    let parts = termino_domain::sms::length(r.get("message").unwrap_or("")).segments;
    json_response(
        200,
        &json!({
            "count": 1,
            "list": [{
                "id": format!("6a3b9c1f00000000000000{n:02}"),
                "points": 0.16,
                "number": r.get("to"),
                "date_sent": chrono::Utc::now().timestamp(),
                "submitted_number": r.get("to"),
                "status": "QUEUE",
                "error": null,
                "idx": null,
                "parts": parts,
            }],
        }),
    )
}

#[handler]
async fn twilio(req: &Request, body: Body, Data(state): Data<&State>) -> Response {
    let body = body.into_vec().await.unwrap_or_default();
    let r = record(state, req, &body);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}"));
    if r.authorization.as_deref() != Some(&format!("Basic {basic}"))
        || r.path != format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
    {
        return json_response(
            401,
            &json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}),
        );
    }
    if let Some((status, body)) = state.scripted.lock().unwrap().pop_front() {
        return json_response(status, &body);
    }
    let n = state.counter.fetch_add(1, Ordering::SeqCst);
    let segments = termino_domain::sms::length(r.get("Body").unwrap_or("")).segments;
    json_response(
        201,
        &json!({
            "account_sid": TWILIO_SID,
            "api_version": "2010-04-01",
            "body": r.get("Body"),
            "date_created": "Sun, 06 Dec 2026 20:00:00 +0000",
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": r.get("From"),
            "num_segments": segments.to_string(),
            "price": null,
            "sid": format!("SM{n:032}"),
            "status": "queued",
            "to": r.get("To"),
            "uri": format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages/SM{n:032}.json"),
        }),
    )
}

/// SMSAPI calls the incoming-message address with a reply from `from`
/// (`48601234567`, no plus) to the account's number.
pub async fn smsapi_reply(url: &str, from: &str, text: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .form(&[
            ("sms_to", "48500600700"),
            ("sms_from", from),
            ("sms_text", text),
            ("sms_date", "1765141200"),
            ("MO_id", "1765141200123456"),
            ("username", "termino"),
        ])
        .send()
        .await
        .unwrap()
}

/// Twilio's incoming-message webhook for a reply from `from` (E.164),
/// signed with `token` over `address` (the one Termino gave; a wrong
/// token makes a forgery), posted to `url`.
pub async fn twilio_reply(
    url: &str,
    address: &str,
    token: &str,
    from: &str,
    body: &str,
    opt_out: Option<&str>,
) -> reqwest::Response {
    let mut params: Vec<(String, String)> = [
        ("ToCountry", "PL"),
        ("SmsMessageSid", "SM11111111111111111111111111111111"),
        ("NumMedia", "0"),
        ("SmsSid", "SM11111111111111111111111111111111"),
        ("SmsStatus", "received"),
        ("Body", body),
        ("FromCountry", "PL"),
        ("To", "+48500600700"),
        ("MessagingServiceSid", "MG22222222222222222222222222222222"),
        ("NumSegments", "1"),
        ("MessageSid", "SM11111111111111111111111111111111"),
        ("AccountSid", TWILIO_SID),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(kind) = opt_out {
        params.push(("OptOutType".into(), kind.into()));
    }
    let signature = termino_notify::sms::twilio::signature(token, address, &params);
    reqwest::Client::new()
        .post(url)
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap()
}

impl FakeSms {
    pub async fn start() -> FakeSms {
        let state = State::default();
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let app = Route::new()
            .at("/sms.do", post(smsapi))
            .at("/2010-04-01/Accounts/:sid/Messages.json", post(twilio))
            .data(state.clone());
        tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(app).await });
        FakeSms {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// The next call gets this answer instead of a success.
    pub fn answer_next(&self, status: u16, body: Value) {
        self.state
            .scripted
            .lock()
            .unwrap()
            .push_back((status, body));
    }
}

/// A server whose SMS gateway is this fake: SMSAPI, or Twilio with `twilio`.
pub async fn spawn(
    backend: crate::helpers::Backend,
    fake: &FakeSms,
    use_twilio: bool,
) -> Option<crate::helpers::TestApp> {
    let base = fake.url.clone();
    crate::helpers::TestApp::spawn_with(backend, move |s| {
        let gateway = if use_twilio {
            termino_app::sms::SmsGatewayConfig::Twilio {
                account_sid: TWILIO_SID.into(),
                auth_token: TWILIO_TOKEN.into(),
                base_url: base,
            }
        } else {
            termino_app::sms::SmsGatewayConfig::Smsapi {
                token: SMSAPI_TOKEN.into(),
                base_url: base,
            }
        };
        s.sms = Some(termino_app::sms::SmsConfig {
            gateway,
            sender: SENDER.into(),
        });
    })
    .await
}
