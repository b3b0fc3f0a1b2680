//! Whether a Stripe object is what Termino sold: the seats and the price a
//! seat recorded when Termino made the checkout, in its currency, for the
//! amount that comes to, less a discount Stripe recorded (a coupon can only
//! be the platform's own: these objects live on Termino's account, and its
//! Checkout Sessions take no promotion codes). Termino's sessions have no
//! tax or shipping, so none is allowed for.
//!
//! Shapes as documented by Stripe: a Checkout Session's `amount_subtotal`,
//! `amount_total`, `currency`, `total_details.amount_discount`; an invoice's
//! `currency`, `amount_paid`, `total_discount_amounts[].amount` and its
//! `lines.data[]` with `amount`, `quantity` and the unit price in
//! `pricing.unit_amount_decimal` (API 2025-03-31 and later) or
//! `price.unit_amount` (before); a subscription's `items.data[]` with
//! `quantity` and `price.{unit_amount, currency, recurring.interval}`.

use serde_json::Value;
use termino_store::repo::billing::PlanCheckoutRow;

use super::refusals::Refusal;

fn same_currency(value: &Value, checkout: &PlanCheckoutRow) -> bool {
    value
        .as_str()
        .is_some_and(|c| c.eq_ignore_ascii_case(&checkout.currency))
}

fn expected_total(checkout: &PlanCheckoutRow) -> i64 {
    checkout.unit_minor.saturating_mul(checkout.seats)
}

/// `total` is `subtotal` less a `discount` between nothing and all of it.
fn discounted(subtotal: i64, discount: i64, total: Option<i64>) -> bool {
    (0..=subtotal).contains(&discount) && total == Some(subtotal - discount)
}

/// A completed Checkout Session of a subscription.
pub(crate) fn check_session(session: &Value, checkout: &PlanCheckoutRow) -> Result<(), Refusal> {
    if !same_currency(&session["currency"], checkout) {
        return Err(Refusal::Currency);
    }
    if let Some(reference) = session["client_reference_id"].as_str()
        && reference != checkout.tenant_id.to_string()
    {
        return Err(Refusal::OtherBusiness);
    }
    let subtotal = expected_total(checkout);
    let discount = session["total_details"]["amount_discount"]
        .as_i64()
        .unwrap_or(0);
    if session["amount_subtotal"].as_i64() != Some(subtotal)
        || !discounted(subtotal, discount, session["amount_total"].as_i64())
    {
        return Err(Refusal::Amount);
    }
    Ok(())
}

/// A line's price a unit, in minor units.
fn unit_amount(line: &Value) -> Option<i64> {
    match line["pricing"]["unit_amount_decimal"].as_str() {
        // A decimal string ("4900" or "4900.000000000000").
        Some(text) => {
            let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
            if fraction.chars().all(|c| c == '0') {
                whole.parse().ok()
            } else {
                None
            }
        }
        None => line["price"]["unit_amount"].as_i64(),
    }
}

/// A paid invoice of a subscription Termino sold.
pub(crate) fn check_invoice(invoice: &Value, checkout: &PlanCheckoutRow) -> Result<(), Refusal> {
    if !same_currency(&invoice["currency"], checkout) {
        return Err(Refusal::Currency);
    }
    let lines = invoice["lines"]["data"].as_array().map_or(&[][..], |l| l);
    if lines.is_empty() {
        return Err(Refusal::Price);
    }
    let mut subtotal = 0i64;
    for line in lines {
        if unit_amount(line) != Some(checkout.unit_minor)
            || line["quantity"].as_i64() != Some(checkout.seats)
        {
            return Err(Refusal::Price);
        }
        if !line["currency"].is_null() && !same_currency(&line["currency"], checkout) {
            return Err(Refusal::Currency);
        }
        if line["amount"].as_i64() != Some(expected_total(checkout)) {
            return Err(Refusal::Amount);
        }
        subtotal = subtotal.saturating_add(expected_total(checkout));
    }
    let discount = invoice["total_discount_amounts"]
        .as_array()
        .map_or(0, |d| d.iter().filter_map(|a| a["amount"].as_i64()).sum());
    if !discounted(subtotal, discount, invoice["amount_paid"].as_i64()) {
        return Err(Refusal::Amount);
    }
    Ok(())
}

/// A subscription Termino sold, as it stands now.
pub(crate) fn check_subscription(
    subscription: &Value,
    checkout: &PlanCheckoutRow,
) -> Result<(), Refusal> {
    let items = subscription["items"]["data"]
        .as_array()
        .map_or(&[][..], |i| i);
    if items.is_empty() {
        return Err(Refusal::Price);
    }
    for item in items {
        let price = &item["price"];
        if !same_currency(&price["currency"], checkout) {
            return Err(Refusal::Currency);
        }
        if price["unit_amount"].as_i64() != Some(checkout.unit_minor)
            || price["recurring"]["interval"].as_str() != Some(checkout.interval.as_str())
            || item["quantity"].as_i64() != Some(checkout.seats)
        {
            return Err(Refusal::Price);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sold(seats: i64) -> PlanCheckoutRow {
        PlanCheckoutRow {
            provider: termino_payments::Provider::Stripe.as_str().into(),
            reference: "cs_1".into(),
            tenant_id: uuid::Uuid::nil(),
            interval: "month".into(),
            seats,
            unit_minor: 4900,
            currency: "pln".into(),
            subscription_id: None,
            created_at: chrono::Utc::now(),
            completed_at: None,
        }
    }

    fn session(subtotal: i64, discount: i64, total: i64) -> Value {
        json!({"currency": "pln", "amount_subtotal": subtotal, "amount_total": total,
            "total_details": {"amount_discount": discount}})
    }

    #[test]
    fn a_session_comes_to_every_seat_less_a_recorded_discount() {
        let c = sold(3);
        assert!(check_session(&session(14_700, 0, 14_700), &c).is_ok());
        assert!(check_session(&session(14_700, 4_900, 9_800), &c).is_ok());
        assert!(check_session(&session(14_700, 14_700, 0), &c).is_ok());
        for (s, d, t) in [
            (4_900, 0, 4_900),
            (14_700, 0, 0),
            (0, 0, 0),
            (14_700, 20_000, -5_300),
            (14_700, -100, 14_800),
        ] {
            assert_eq!(
                check_session(&session(s, d, t), &c),
                Err(Refusal::Amount),
                "{s} {d} {t}"
            );
        }
        let mut euro = session(14_700, 0, 14_700);
        euro["currency"] = json!("eur");
        assert_eq!(check_session(&euro, &c), Err(Refusal::Currency));
    }

    #[test]
    fn an_invoice_is_pro_s_price_for_the_seats_sold() {
        let c = sold(2);
        let invoice = |unit: &str, quantity: i64, amount: i64, paid: i64| {
            json!({"currency": "pln", "amount_paid": paid, "total_discount_amounts": [],
                "lines": {"data": [{"amount": amount, "quantity": quantity, "currency": "pln",
                    "pricing": {"unit_amount_decimal": unit}}]}})
        };
        assert!(check_invoice(&invoice("4900", 2, 9_800, 9_800), &c).is_ok());
        assert!(check_invoice(&invoice("4900.000000000000", 2, 9_800, 9_800), &c).is_ok());
        assert_eq!(
            check_invoice(&invoice("100", 2, 200, 200), &c),
            Err(Refusal::Price)
        );
        assert_eq!(
            check_invoice(&invoice("4900", 1, 4_900, 4_900), &c),
            Err(Refusal::Price)
        );
        assert_eq!(
            check_invoice(&invoice("4900.5", 2, 9_801, 9_801), &c),
            Err(Refusal::Price)
        );
        assert_eq!(
            check_invoice(&invoice("4900", 2, 9_800, 0), &c),
            Err(Refusal::Amount)
        );
        let mut coupon = invoice("4900", 2, 9_800, 4_900);
        coupon["total_discount_amounts"] = json!([{"amount": 4_900, "discount": "di_1"}]);
        assert!(check_invoice(&coupon, &c).is_ok());
        // The older shape: the price object on the line.
        let old = json!({"currency": "pln", "amount_paid": 9_800,
            "lines": {"data": [{"amount": 9_800, "quantity": 2, "price": {"unit_amount": 4900}}]}});
        assert!(check_invoice(&old, &c).is_ok());
        assert_eq!(
            check_invoice(&json!({"currency": "pln", "amount_paid": 0}), &c),
            Err(Refusal::Price)
        );
    }

    #[test]
    fn a_subscription_keeps_pro_s_price_interval_and_seats() {
        let c = sold(1);
        let sub = |unit: i64, interval: &str, quantity: i64| {
            json!({"items": {"data": [{"quantity": quantity, "price": {"unit_amount": unit,
                "currency": "pln", "recurring": {"interval": interval}}}]}})
        };
        assert!(check_subscription(&sub(4900, "month", 1), &c).is_ok());
        assert_eq!(
            check_subscription(&sub(100, "month", 1), &c),
            Err(Refusal::Price)
        );
        assert_eq!(
            check_subscription(&sub(4900, "year", 1), &c),
            Err(Refusal::Price)
        );
        assert_eq!(
            check_subscription(&sub(4900, "month", 2), &c),
            Err(Refusal::Price)
        );
    }
}
