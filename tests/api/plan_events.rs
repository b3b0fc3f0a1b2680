//! Issue 20, item 2: a business cannot give itself a paid plan. Plan
//! events count only from Termino's own Stripe account, for a Checkout
//! Session or subscription Termino made for that business, at Pro's price,
//! in its currency, for the amount that price comes to (less a coupon
//! Stripe recorded). Everything else is acknowledged, refused and kept as
//! a refused event.

use serde_json::{Value, json};

use crate::fake_stripe::{
    FakeStripe, MONTH_SEAT, event, invoice, invoice_priced, session_paid, subscription_priced,
};
use crate::helpers::Backend;
use crate::payments::{business, notify, paid_until, spawn, start_checkout, tenant_id};

/// `checkout.session.completed` around `session`.
fn completed(id: &str, session: Value) -> Value {
    event(id, "checkout.session.completed", session)
}

async fn a_business_cannot_give_itself_a_paid_plan(backend: Backend) {
    let fake = FakeStripe::start().await;
    let Some(app) = spawn(backend, &fake).await else {
        return;
    };
    let owner = app.signup("plan-za-darmo").await;
    let tenant = tenant_id(&owner).await;
    let session = start_checkout(&app, &owner, "month").await;
    let stays_trial = |b: Value, what: &str| {
        assert_eq!(b["plan"], "trial", "{what}");
        assert!(b["paid_until"].is_null(), "{what}");
    };

    // The business's own connected account (Connect, for deposits) sends
    // a checkout for 0 zł naming this business, even Termino's session id.
    let mut own = completed(
        "evt_own",
        session_paid(&session, &tenant, "cus_own", "sub_own", 0, 0),
    );
    own["account"] = json!("acct_the_business_itself");
    assert_eq!(notify(&app, &own).await["applied"], "refused");
    stays_trial(business(&owner).await, "connected account");
    // … or at the full price: still not Termino's account.
    let mut own_full = completed(
        "evt_own_full",
        session_paid(&session, &tenant, "cus_own", "sub_own", MONTH_SEAT, 0),
    );
    own_full["account"] = json!("acct_the_business_itself");
    assert_eq!(notify(&app, &own_full).await["applied"], "refused");
    stays_trial(business(&owner).await, "connected account, full price");

    // Termino's account, Termino's session, an amount of 0 with no coupon.
    let zero = completed(
        "evt_zero",
        session_paid(&session, &tenant, "cus_1", "sub_1", 0, 0),
    );
    assert_eq!(notify(&app, &zero).await["applied"], "refused");
    // The total cut to 0 with no discount recorded.
    let mut cut = session_paid(&session, &tenant, "cus_1", "sub_1", MONTH_SEAT, 0);
    cut["amount_total"] = json!(0);
    assert_eq!(
        notify(&app, &completed("evt_cut", cut)).await["applied"],
        "refused"
    );
    // Another currency.
    let mut euro = session_paid(&session, &tenant, "cus_1", "sub_1", MONTH_SEAT, 0);
    euro["currency"] = json!("eur");
    assert_eq!(
        notify(&app, &completed("evt_eur", euro)).await["applied"],
        "refused"
    );
    // A session (and subscription) Termino never created.
    let never = completed(
        "evt_never",
        session_paid(
            "cs_never_made",
            &tenant,
            "cus_1",
            "sub_never",
            MONTH_SEAT,
            0,
        ),
    );
    assert_eq!(notify(&app, &never).await["applied"], "refused");
    stays_trial(business(&owner).await, "platform, wrong amounts or session");

    // A coupon the platform made: Stripe records the discount; that is
    // fine, and Termino's session moves the plan.
    let coupon = completed(
        "evt_coupon",
        session_paid(&session, &tenant, "cus_1", "sub_1", MONTH_SEAT, MONTH_SEAT),
    );
    assert_eq!(notify(&app, &coupon).await["applied"], "changed");
    let b = business(&owner).await;
    assert_eq!(b["plan"], "pro");
    assert!(b["paid_until"].is_null());

    let now = app.app().now().timestamp();
    let end = now + 30 * 86_400;
    // The subscription's invoice at a foreign price (1 zł a seat).
    let cheap = invoice_priced("in_cheap", &tenant, "sub_1", (now, end), (100, 1), "pln");
    assert_eq!(
        notify(&app, &event("evt_cheap", "invoice.paid", cheap)).await["applied"],
        "refused"
    );
    // At Pro's price, but paid 0 with no discount.
    let mut unpaid = invoice("in_unpaid", &tenant, "sub_1", now, end, true, "pln");
    unpaid["amount_paid"] = json!(0);
    assert_eq!(
        notify(&app, &event("evt_unpaid", "invoice.paid", unpaid)).await["applied"],
        "refused"
    );
    // A subscription Termino never created, naming this business.
    let foreign = invoice("in_foreign", &tenant, "sub_never", now, end, true, "pln");
    assert_eq!(
        notify(&app, &event("evt_foreign", "invoice.paid", foreign)).await["applied"],
        "refused"
    );
    // The right invoice, from the business's connected account.
    let mut connected = event(
        "evt_connected_invoice",
        "invoice.paid",
        invoice("in_c", &tenant, "sub_1", now, end, true, "pln"),
    );
    connected["account"] = json!("acct_the_business_itself");
    assert_eq!(notify(&app, &connected).await["applied"], "refused");
    assert!(business(&owner).await["paid_until"].is_null());
    // Termino's subscription moved to a foreign price.
    let moved = subscription_priced("sub_1", &tenant, "active", end, 100);
    assert_eq!(
        notify(
            &app,
            &event("evt_moved", "customer.subscription.updated", moved)
        )
        .await["applied"],
        "refused"
    );

    // Termino's own invoice at Pro's price moves paid_until.
    let right = invoice("in_right", &tenant, "sub_1", now, end, true, "pln");
    assert_eq!(
        notify(&app, &event("evt_right", "invoice.paid", right)).await["applied"],
        "changed"
    );
    let b = business(&owner).await;
    assert_eq!(b["plan"], "pro");
    assert_eq!(paid_until(&b), end);

    // Each refusal is kept, with ids and its reason (and logged as the
    // structured event `payment_event_refused`).
    let rows = app.app().refused_payment_events(100).await.unwrap();
    let mut seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.event_id.as_str(), r.reason.as_str()))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("evt_cheap", "price"),
            ("evt_connected_invoice", "connected_account"),
            ("evt_cut", "amount"),
            ("evt_eur", "currency"),
            ("evt_foreign", "unknown_subscription"),
            ("evt_moved", "price"),
            ("evt_never", "unknown_session"),
            ("evt_own", "connected_account"),
            ("evt_own_full", "connected_account"),
            ("evt_unpaid", "amount"),
            ("evt_zero", "amount"),
        ]
    );
    for r in &rows {
        assert_eq!(r.provider, "stripe");
        assert_eq!(r.tenant_id.map(|t| t.to_string()), Some(tenant.clone()));
        let from_connected = r.reason == "connected_account";
        assert_eq!(
            r.account.as_deref(),
            from_connected.then_some("acct_the_business_itself"),
            "{r:?}"
        );
    }
    // Sent again, a refused event is kept once.
    assert_eq!(notify(&app, &own).await["applied"], "refused");
    assert_eq!(
        app.app().refused_payment_events(100).await.unwrap().len(),
        rows.len()
    );
    app.finish().await;
}

mod a_business_cannot_give_itself_a_paid_plan {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_business_cannot_give_itself_a_paid_plan(crate::helpers::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_business_cannot_give_itself_a_paid_plan(crate::helpers::Backend::Postgres).await;
    }
}
