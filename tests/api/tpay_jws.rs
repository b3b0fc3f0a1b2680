//! Issue 20, item 12: tpay's notification signature counts only with a
//! certificate that chains to tpay's root (signed by the root's key, in
//! its name) and is valid, with a root valid too, both now by the app's
//! clock; fetched certificates are kept in a cache of bounded size, and
//! only from clean addresses under tpay's.

use reqwest::StatusCode;

use crate::deposits::book_on_page;
use crate::fake_tpay::{FakeTpay, MERCHANT_ID, SECURITY_CODE, cert};
use crate::helpers::{Backend, TestApp};
use crate::scheduling::Salon;
use crate::tpay::{notify, spawn, status_of, tpay_salon};

/// A business taking deposits through tpay, a booking waiting for its
/// payment, and tpay's notification of that payment (unsigned).
async fn waiting_payment(app: &TestApp, fake: &FakeTpay, slug: &str) -> (Salon, String, String) {
    let s = tpay_salon(app, slug).await;
    let (_, id) = book_on_page(app, &s, &format!("{slug}@example.com")).await;
    let crc = fake.transactions()[0]["hiddenDescription"]
        .as_str()
        .unwrap()
        .to_string();
    let body = fake.notification(MERCHANT_ID, SECURITY_CODE, &crc, "TR-TEST-0000", "36.00");
    (s, id, body)
}

fn refused((status, answer): (StatusCode, String), what: &str) {
    assert_eq!(
        (status, answer.as_str()),
        (StatusCode::BAD_REQUEST, "FALSE"),
        "{what}"
    );
}

async fn tpay_jws_certificates_chain_to_the_root_and_are_valid_now(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, id, body) = waiting_payment(&app, &fake, "tpay-lancuch").await;
    for (name, what) in [
        (
            cert::IMPOSTOR,
            "issuer named as the root, signed by another key",
        ),
        (cert::EXPIRED, "expired"),
        (cert::NOT_YET_VALID, "not valid yet"),
        (
            cert::MISNAMED,
            "signed by the root's key in another issuer's name",
        ),
    ] {
        refused(
            notify(&app, &body, Some(&fake.signed_by(name, &body))).await,
            what,
        );
        assert_eq!(status_of(&s, &id).await, "awaiting_payment", "{what}");
    }
    // tpay's own certificate still works.
    let (status, answer) = notify(&app, &body, Some(&fake.signed(&body))).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"));
    assert_eq!(status_of(&s, &id).await, "confirmed");
    app.finish().await;
}

async fn a_certificate_under_an_expired_root_is_refused(backend: Backend) {
    let fake = FakeTpay::start_with_expired_root().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, id, body) = waiting_payment(&app, &fake, "tpay-korzen").await;
    refused(
        notify(&app, &body, Some(&fake.signed(&body))).await,
        "the root expired",
    );
    assert_eq!(status_of(&s, &id).await, "awaiting_payment");
    app.finish().await;
}

async fn the_tpay_certificate_cache_is_bounded(backend: Backend) {
    let fake = FakeTpay::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let (s, id, body) = waiting_payment(&app, &fake, "tpay-pamiec").await;
    let copy = |i: usize| fake.signed_by(&format!("copy-{i}.pem"), &body);
    // tpay's certificate under many addresses of tpay's: each is fetched
    // once, and the first ones are let go to make room.
    for i in 0..40 {
        let (status, answer) = notify(&app, &body, Some(&copy(i))).await;
        assert_eq!((status, answer.as_str()), (StatusCode::OK, "TRUE"), "{i}");
    }
    assert_eq!(status_of(&s, &id).await, "confirmed");
    let fetched = fake.certificate_fetches();
    let (status, _) = notify(&app, &body, Some(&copy(0))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fake.certificate_fetches(),
        fetched + 1,
        "the first certificate was let go and is fetched again"
    );
    assert!(
        app.app().tpay_certificates_cached() <= termino_payments::tpay::jws::CACHE_ENTRIES,
        "{} held",
        app.app().tpay_certificates_cached()
    );
    // The last one is still held.
    let (status, _) = notify(&app, &body, Some(&copy(39))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.certificate_fetches(), fetched + 1);
    // An address with a query (a new cache entry for the same file) is
    // not one of tpay's certificates: refused without a fetch.
    let with_query = fake.signed_at(&format!("{}/x509/{}?v=1", fake.url, cert::TPAY), &body);
    refused(
        notify(&app, &body, Some(&with_query)).await,
        "x5u with a query",
    );
    assert_eq!(fake.certificate_fetches(), fetched + 1);
    app.finish().await;
}

crate::for_each_backend!(
    tpay_jws_certificates_chain_to_the_root_and_are_valid_now,
    a_certificate_under_an_expired_root_is_refused,
    the_tpay_certificate_cache_is_bounded
);
