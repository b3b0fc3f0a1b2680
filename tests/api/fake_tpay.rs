//! A local stand-in for tpay, started by the tests: `POST /oauth/auth`,
//! `POST /transactions`, `POST /transactions/{id}/refunds` in the shapes of
//! tpay's OpenAPI documentation, and the notification certificates under
//! `/x509/`: a test certificate authority (made fresh at start) issues the
//! signing certificate, exactly as tpay's root issues its own. Notifications
//! are form bodies with tpay's md5sum, signed as a detached JWS (RS256).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Request, Response, Route, get, handler, post};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};
use sha2::Sha256;

pub const MERCHANT_ID: &str = "1010";
pub const CLIENT_ID: &str = "01K-test-client";
pub const CLIENT_SECRET: &str = "test-client-secret";
pub const SECURITY_CODE: &str = "test-security-code";

/// A certificate authority and a certificate it issued, with the key.
struct Issued {
    pem: String,
    key: RsaPrivateKey,
}

fn rsa_key() -> (RsaPrivateKey, rcgen::KeyPair) {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    (key, pair)
}

fn authority(name: &str) -> (rcgen::Certificate, rcgen::KeyPair, String) {
    let (_, pair) = rsa_key();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&pair).unwrap();
    let pem = cert.pem();
    (cert, pair, pem)
}

fn issue(ca: &rcgen::Certificate, ca_key: &rcgen::KeyPair, expired: bool) -> Issued {
    let (key, pair) = rsa_key();
    let mut params = rcgen::CertificateParams::new(vec!["notifications.test".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "notifications-jws");
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&pair, ca, ca_key).unwrap();
    Issued {
        pem: cert.pem(),
        key,
    }
}

#[derive(Clone, Default)]
struct State {
    transactions: Arc<Mutex<Vec<Value>>>,
    refunds: Arc<Mutex<Vec<(String, Value)>>>,
    counter: Arc<AtomicU32>,
    pems: Arc<Mutex<Vec<(String, String)>>>,
}

pub struct FakeTpay {
    pub url: String,
    state: State,
    leaf: Issued,
    rogue: Issued,
    expired: Issued,
}

fn bearer_ok(req: &Request) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == Some("Bearer tpay-test-token")
}

#[handler]
fn auth(Json(body): Json<Value>) -> Response {
    if body["client_id"] != CLIENT_ID || body["client_secret"] != CLIENT_SECRET {
        return Response::builder()
            .status(poem::http::StatusCode::UNAUTHORIZED)
            .content_type("application/json")
            .body(
                json!({"result": "failed", "errors": [{"errorCode": "invalid_client"}]})
                    .to_string(),
            );
    }
    Response::builder().content_type("application/json").body(
        json!({"issued_at": chrono::Utc::now().timestamp(), "scope": "read",
            "token_type": "Bearer", "expires_in": 7200, "client_id": CLIENT_ID,
            "access_token": "tpay-test-token"})
        .to_string(),
    )
}

#[handler]
fn transactions(req: &Request, Json(body): Json<Value>, Data(s): Data<&State>) -> Response {
    if !bearer_ok(req) {
        return Response::builder()
            .status(poem::http::StatusCode::UNAUTHORIZED)
            .finish();
    }
    s.transactions.lock().unwrap().push(body.clone());
    let n = s.counter.fetch_add(1, Ordering::SeqCst);
    let title = format!("TR-TEST-{n:04}");
    Response::builder().content_type("application/json").body(
        json!({
            "result": "success", "requestId": format!("req_{n}"),
            "transactionId": format!("ta_test_{n}"), "title": title, "posId": "ps_test",
            "status": "pending", "date": {"creation": "2026-11-22 10:00:00", "realization": null},
            "amount": body["amount"], "currency": "PLN", "description": body["description"],
            "hiddenDescription": body["hiddenDescription"], "payer": body["payer"],
            "payments": {"status": "pending", "method": null, "amountPaid": 0},
            "transactionPaymentUrl": format!("https://secure.tpay.com/?title={title}"),
        })
        .to_string(),
    )
}

#[handler]
fn refunds(
    req: &Request,
    Path(id): Path<String>,
    Json(body): Json<Value>,
    Data(s): Data<&State>,
) -> Response {
    if !bearer_ok(req) {
        return Response::builder()
            .status(poem::http::StatusCode::UNAUTHORIZED)
            .finish();
    }
    s.refunds.lock().unwrap().push((id.clone(), body));
    Response::builder().content_type("application/json").body(
        json!({"result": "success", "requestId": "req_refund", "transactionId": id, "status": "correct"})
            .to_string(),
    )
}

#[handler]
fn certificate(Path(name): Path<String>, Data(s): Data<&State>) -> Response {
    match s.pems.lock().unwrap().iter().find(|(n, _)| *n == name) {
        Some((_, pem)) => Response::builder()
            .content_type("application/x-pem-file")
            .body(pem.clone()),
        None => Response::builder()
            .status(poem::http::StatusCode::NOT_FOUND)
            .finish(),
    }
}

impl FakeTpay {
    pub async fn start() -> FakeTpay {
        let (root, root_key, root_pem) = authority("Test tpay JWS root");
        let leaf = issue(&root, &root_key, false);
        let expired = issue(&root, &root_key, true);
        let (rogue_root, rogue_key, _) = authority("Someone else's root");
        let rogue = issue(&rogue_root, &rogue_key, false);
        let state = State::default();
        *state.pems.lock().unwrap() = vec![
            ("tpay-jws-root.pem".into(), root_pem),
            ("notifications-jws.pem".into(), leaf.pem.clone()),
            ("expired.pem".into(), expired.pem.clone()),
            ("rogue.pem".into(), rogue.pem.clone()),
        ];
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let app = Route::new()
            .at("/oauth/auth", post(auth))
            .at("/transactions", post(transactions))
            .at("/transactions/:id/refunds", post(refunds))
            .at("/x509/:name", get(certificate))
            .data(state.clone());
        tokio::spawn(async move { poem::Server::new_with_acceptor(acceptor).run(app).await });
        FakeTpay {
            url: format!("http://{addr}"),
            state,
            leaf,
            rogue,
            expired,
        }
    }

    pub fn transactions(&self) -> Vec<Value> {
        self.state.transactions.lock().unwrap().clone()
    }

    pub fn refunds(&self) -> Vec<(String, Value)> {
        self.state.refunds.lock().unwrap().clone()
    }

    /// A notification body as tpay sends it (form-encoded, with md5sum).
    pub fn notification(
        &self,
        merchant: &str,
        code: &str,
        crc: &str,
        tr_id: &str,
        amount: &str,
    ) -> String {
        let md5 = termino_app::tpay::jws::md5sum(merchant, tr_id, amount, crc, code);
        serde_urlencoded::to_string([
            ("id", merchant),
            ("tr_id", tr_id),
            ("tr_date", "2026-11-22 10:05:00"),
            ("tr_crc", crc),
            ("tr_amount", amount),
            ("tr_paid", amount),
            ("tr_desc", "Booking"),
            ("tr_status", "TRUE"),
            ("tr_error", "none"),
            ("tr_email", "payer@example.com"),
            ("test_mode", "1"),
            ("md5sum", md5.as_str()),
        ])
        .unwrap()
    }

    fn sign(key: &RsaPrivateKey, x5u: &str, body: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "x5u": x5u}).to_string());
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(body));
        let sig = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
        format!("{header}..{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// The JWS tpay would send, by its own certificate.
    pub fn signed(&self, body: &str) -> String {
        Self::sign(
            &self.leaf.key,
            &format!("{}/x509/notifications-jws.pem", self.url),
            body,
        )
    }

    /// Signed by a certificate someone else's authority issued.
    pub fn signed_by_rogue(&self, body: &str) -> String {
        Self::sign(
            &self.rogue.key,
            &format!("{}/x509/rogue.pem", self.url),
            body,
        )
    }

    /// Signed by tpay's certificate that has expired.
    pub fn signed_by_expired(&self, body: &str) -> String {
        Self::sign(
            &self.expired.key,
            &format!("{}/x509/expired.pem", self.url),
            body,
        )
    }

    /// The right key, but the certificate named elsewhere.
    pub fn signed_elsewhere(&self, body: &str) -> String {
        Self::sign(
            &self.leaf.key,
            "https://tpay.example.evil/x509/notifications-jws.pem",
            body,
        )
    }
}
