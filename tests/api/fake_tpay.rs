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

fn rsa_key() -> (RsaPrivateKey, rcgen::KeyPair) {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let pem = key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap();
    (key, pair)
}

/// The root's name in the fake (tpay's real one has its own).
const ROOT_NAME: &str = "Test tpay JWS root";

type Validity = Option<((i32, u8, u8), (i32, u8, u8))>;

fn authority(name: &str, key: &rcgen::KeyPair, validity: Validity) -> rcgen::Certificate {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
        params.not_before = rcgen::date_time_ymd(y1, m1, d1);
        params.not_after = rcgen::date_time_ymd(y2, m2, d2);
    }
    params.self_signed(key).unwrap()
}

/// A signing certificate (PEM) for `leaf_key`, issued by `ca` with
/// `ca_key`. Every fake leaf has the same key: what differs is who signed
/// the certificate, in whose name, and when it is valid.
fn issue(
    leaf_key: &rcgen::KeyPair,
    ca: &rcgen::Certificate,
    ca_key: &rcgen::KeyPair,
    validity: Validity,
) -> String {
    let mut params = rcgen::CertificateParams::new(vec!["notifications.test".into()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "notifications-jws");
    if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
        params.not_before = rcgen::date_time_ymd(y1, m1, d1);
        params.not_after = rcgen::date_time_ymd(y2, m2, d2);
    }
    params.signed_by(leaf_key, ca, ca_key).unwrap().pem()
}

#[derive(Clone, Default)]
struct State {
    transactions: Arc<Mutex<Vec<Value>>>,
    refunds: Arc<Mutex<Vec<(String, Value)>>>,
    counter: Arc<AtomicU32>,
    pems: Arc<Mutex<Vec<(String, String)>>>,
    /// Certificates served, counted (what Termino fetched).
    fetches: Arc<AtomicU32>,
}

pub struct FakeTpay {
    pub url: String,
    state: State,
    /// The one key every fake signing certificate is for.
    key: RsaPrivateKey,
}

/// The certificate names under `/x509/`, for [`FakeTpay::signed_by`].
pub mod cert {
    /// tpay's own signing certificate.
    pub const TPAY: &str = "notifications-jws.pem";
    /// Issued by someone else's authority, under another name.
    pub const ROGUE: &str = "rogue.pem";
    /// Issued in tpay's root's name, signed by another key.
    pub const IMPOSTOR: &str = "impostor.pem";
    /// Signed by tpay's root key, but naming another issuer.
    pub const MISNAMED: &str = "misnamed.pem";
    /// Issued by tpay's root, expired in 2021.
    pub const EXPIRED: &str = "expired.pem";
    /// Issued by tpay's root, valid from 2035.
    pub const NOT_YET_VALID: &str = "not-yet-valid.pem";
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
    s.fetches.fetch_add(1, Ordering::SeqCst);
    // `copy-N.pem`: tpay's own certificate under as many names as asked.
    let name = if name.starts_with("copy-") {
        cert::TPAY.to_string()
    } else {
        name
    };
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
        Self::start_with_root(None).await
    }

    /// tpay's root itself expired (2020–2021), its signing certificate
    /// still valid.
    pub async fn start_with_expired_root() -> FakeTpay {
        Self::start_with_root(Some(((2020, 1, 1), (2021, 1, 1)))).await
    }

    async fn start_with_root(root_validity: Validity) -> FakeTpay {
        let (_, root_key) = rsa_key();
        let (_, other_key) = rsa_key();
        let (key, leaf_key) = rsa_key();
        let root = authority(ROOT_NAME, &root_key, root_validity);
        let impostor_root = authority(ROOT_NAME, &other_key, None);
        let rogue_root = authority("Someone else's root", &other_key, None);
        let misnamed_root = authority("Not tpay's root", &root_key, None);
        let by_root = |validity| issue(&leaf_key, &root, &root_key, validity);
        let state = State::default();
        *state.pems.lock().unwrap() = vec![
            ("tpay-jws-root.pem".into(), root.pem()),
            (cert::TPAY.into(), by_root(None)),
            (
                cert::EXPIRED.into(),
                by_root(Some(((2020, 1, 1), (2021, 1, 1)))),
            ),
            (
                cert::NOT_YET_VALID.into(),
                by_root(Some(((2035, 1, 1), (2040, 1, 1)))),
            ),
            (
                cert::ROGUE.into(),
                issue(&leaf_key, &rogue_root, &other_key, None),
            ),
            (
                cert::IMPOSTOR.into(),
                issue(&leaf_key, &impostor_root, &other_key, None),
            ),
            (
                cert::MISNAMED.into(),
                issue(&leaf_key, &misnamed_root, &root_key, None),
            ),
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
            key,
        }
    }

    /// How many certificates were fetched from the fake so far.
    pub fn certificate_fetches(&self) -> u32 {
        self.state.fetches.load(Ordering::SeqCst)
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
        let md5 = termino_payments::tpay::jws::md5sum(merchant, tr_id, amount, crc, code);
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

    /// Signed with the certificate at `x5u`.
    pub fn signed_at(&self, x5u: &str, body: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "x5u": x5u}).to_string());
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(body));
        let sig = SigningKey::<Sha256>::new(self.key.clone()).sign(input.as_bytes());
        format!("{header}..{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// Signed with the certificate called `name` on the fake (see [`cert`]).
    pub fn signed_by(&self, name: &str, body: &str) -> String {
        self.signed_at(&format!("{}/x509/{name}", self.url), body)
    }

    /// The JWS tpay would send, by its own certificate.
    pub fn signed(&self, body: &str) -> String {
        self.signed_by(cert::TPAY, body)
    }

    /// Signed by a certificate someone else's authority issued.
    pub fn signed_by_rogue(&self, body: &str) -> String {
        self.signed_by(cert::ROGUE, body)
    }

    /// Signed by tpay's certificate that has expired.
    pub fn signed_by_expired(&self, body: &str) -> String {
        self.signed_by(cert::EXPIRED, body)
    }

    /// The right key, but the certificate named elsewhere.
    pub fn signed_elsewhere(&self, body: &str) -> String {
        self.signed_at("https://tpay.example.evil/x509/notifications-jws.pem", body)
    }
}
