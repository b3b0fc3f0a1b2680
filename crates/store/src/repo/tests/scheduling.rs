//! Tests of the scheduling repository (a file of their own: the
//! repository is long).
#![allow(clippy::unwrap_used)]
use super::*;
use crate::testing::{Backend, TestDb, at, both_backends, t0};

fn remembered(scope: &TenantScope, key: &str, created: DateTime<Utc>) -> IdempotencyRow {
    IdempotencyRow {
        tenant_id: scope.id(),
        key: key.into(),
        request_hash: "sha256-of-request".into(),
        status: 201,
        body: "{\"id\":\"b1\"}".into(),
        created_at: created,
    }
}

async fn an_idempotency_key_is_remembered_per_business(t: &TestDb) {
    let anna = t.tenant("anna").await;
    let bob = t.tenant("bob").await;
    let tx = t.db.begin_tenant(&anna).await.unwrap();
    insert_idempotency(&tx, &anna, remembered(&anna, "k1", at(0)))
        .await
        .unwrap();
    insert_idempotency(&tx, &anna, remembered(&anna, "k2", at(100)))
        .await
        .unwrap();
    let got = idempotency(&tx, &anna, "k1").await.unwrap().unwrap();
    assert_eq!((got.status, got.body.as_str()), (201, "{\"id\":\"b1\"}"));
    assert!(idempotency(&tx, &anna, "k3").await.unwrap().is_none());
    // A row naming another business is refused.
    assert!(
        insert_idempotency(&tx, &anna, remembered(&bob, "k9", at(0)))
            .await
            .is_err()
    );
    tx.commit().await.unwrap();

    // The same key twice: a unique violation the caller can tell apart.
    let tx = t.db.begin_tenant(&anna).await.unwrap();
    let twice = insert_idempotency(&tx, &anna, remembered(&anna, "k1", at(1))).await;
    assert!(matches!(twice, Err(StoreError::Unique(_))), "{twice:?}");
    drop(tx);

    // Keys are per business: Bob's "k1" is his own.
    let tx = t.db.begin_tenant(&bob).await.unwrap();
    assert!(idempotency(&tx, &bob, "k1").await.unwrap().is_none());
    insert_idempotency(&tx, &bob, remembered(&bob, "k1", at(0)))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let tx = t.db.begin().await.unwrap();
    assert_eq!(forget_idempotency_before(&tx, at(50)).await.unwrap(), 2);
    tx.commit().await.unwrap();
    let tx = t.db.begin_tenant(&anna).await.unwrap();
    assert!(idempotency(&tx, &anna, "k1").await.unwrap().is_none());
    assert!(idempotency(&tx, &anna, "k2").await.unwrap().is_some());
    tx.commit().await.unwrap();
}

/// A service, a staff member and a client of one business.
async fn setup(t: &TestDb, scope: &TenantScope) -> (Uuid, Uuid, Uuid) {
    let tx = t.db.begin_tenant(scope).await.unwrap();
    let service = insert_service(
        &tx,
        scope,
        ServiceRow {
            tenant_id: scope.id(),
            id: Uuid::now_v7(),
            name: "Strzyżenie".into(),
            description: String::new(),
            duration_min: 60,
            price_minor: 12_000,
            currency: "PLN".into(),
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            max_advance_days: 90,
            step_min: 15,
            capacity: 1,
            requires_approval: false,
            payment_mode: "none".into(),
            deposit_minor: None,
            deposit_percent: None,
            active: true,
            created_at: t0(),
            updated_at: t0(),
        },
    )
    .await
    .unwrap();
    let staff = insert_staff(
        &tx,
        scope,
        StaffRow {
            tenant_id: scope.id(),
            id: Uuid::now_v7(),
            name: "Ola".into(),
            user_id: None,
            time_zone: "Europe/Warsaw".into(),
            weekly_hours: "[[],[],[],[],[],[],[]]".into(),
            active: true,
            created_at: t0(),
            updated_at: t0(),
        },
    )
    .await
    .unwrap();
    let client = crate::repo::clients::insert(
        &tx,
        scope,
        crate::repo::clients::ClientRow {
            tenant_id: scope.id(),
            id: Uuid::now_v7(),
            key_version: 1,
            name: b"sealed".to_vec(),
            email: None,
            phone: None,
            notes: None,
            date_of_birth: None,
            custom_fields: None,
            marketing_consent: b"sealed".to_vec(),
            sms_consent: None,
            language: None,
            email_index: None,
            phone_index: None,
            restricted_at: None,
            created_at: t0(),
            updated_at: t0(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (service.id, staff.id, client.id)
}

fn booking(
    scope: &TenantScope,
    (service, staff, client): (Uuid, Uuid, Uuid),
    from: DateTime<Utc>,
    minutes: i64,
    status: &str,
) -> BookingRow {
    let id = Uuid::now_v7();
    let to = from + chrono::Duration::minutes(minutes);
    BookingRow {
        tenant_id: scope.id(),
        id,
        service_id: service,
        staff_id: staff,
        client_id: client,
        status: status.into(),
        starts_at: from,
        ends_at: to,
        occupied_start: from,
        occupied_end: to,
        class_key: id.to_string(),
        seats: 1,
        client_zone: "Europe/Warsaw".into(),
        notes: None,
        manage_token_hash: format!("token-{id}"),
        cancelled_by: None,
        payment_due_by: None,
        cancel_reason: None,
        sequence: 0,
        created_at: t0(),
        updated_at: t0(),
        manage_token: None,
        confirmed_by_client_at: None,
        cancelled_at: None,
    }
}

async fn bookings_hold_their_time_and_never_overlap_on_postgres(t: &TestDb) {
    let anna = t.tenant("anna").await;
    let refs = setup(t, &anna).await;
    let hour = 3600;
    let tx = t.db.begin_tenant(&anna).await.unwrap();
    let ten = insert_booking(&tx, &anna, booking(&anna, refs, at(hour), 60, "confirmed"))
        .await
        .unwrap();
    let twelve = booking(&anna, refs, at(3 * hour), 60, "awaiting_payment");
    let twelve = insert_booking(&tx, &anna, twelve).await.unwrap();
    let cancelled = booking(&anna, refs, at(5 * hour), 60, "cancelled");
    let cancelled = insert_booking(&tx, &anna, cancelled).await.unwrap();
    tx.commit().await.unwrap();

    let tx = t.db.begin_tenant(&anna).await.unwrap();
    let ids = |rows: Vec<BookingRow>| rows.into_iter().map(|b| b.id).collect::<Vec<_>>();
    // Half-open intervals: a booking ending at 11:00 does not hold 11:00.
    let ola = [refs.1];
    let busy_at = |from: i64, to: i64| busy(&tx, &anna, &ola, at(from), at(to));
    assert_eq!(
        ids(busy_at(0, 6 * hour).await.unwrap()),
        vec![ten.id, twelve.id]
    );
    assert!(busy_at(2 * hour, 3 * hour).await.unwrap().is_empty());
    assert!(
        busy_at(5 * hour, 6 * hour).await.unwrap().is_empty(),
        "cancelled"
    );
    assert!(
        busy(&tx, &anna, &[Uuid::now_v7()], at(0), at(6 * hour))
            .await
            .unwrap()
            .is_empty()
    );

    let page = BookingFilter {
        limit: 2,
        ..Default::default()
    };
    let first = bookings(&tx, &anna, &page).await.unwrap();
    assert_eq!(ids(first.clone()), vec![ten.id, twelve.id]);
    let rest = BookingFilter {
        after: Some((first[1].starts_at, first[1].id)),
        ..page.clone()
    };
    assert_eq!(
        ids(bookings(&tx, &anna, &rest).await.unwrap()),
        vec![cancelled.id]
    );
    let only = BookingFilter {
        status: Some("cancelled".into()),
        ..page
    };
    assert_eq!(
        ids(bookings(&tx, &anna, &only).await.unwrap()),
        vec![cancelled.id]
    );
    tx.commit().await.unwrap();

    // The manage link names its booking through the token alone.
    let by_token = booking_by_token_hash(t.db.connection(), &ten.manage_token_hash)
        .await
        .unwrap();
    assert_eq!(by_token.map(|b| b.id), Some(ten.id));

    // Overlapping 10:30: PostgreSQL's exclusion constraint refuses it.
    let tx = t.db.begin_tenant(&anna).await.unwrap();
    let clash = booking(&anna, refs, at(hour + 1800), 60, "confirmed");
    let inserted = insert_booking(&tx, &anna, clash).await;
    if t.backend == Backend::Postgres {
        assert!(
            matches!(inserted, Err(StoreError::Exclusion(_))),
            "{inserted:?}"
        );
    } else {
        assert!(inserted.is_ok(), "SQLite has no such constraint");
    }
}

both_backends!(
    an_idempotency_key_is_remembered_per_business,
    bookings_hold_their_time_and_never_overlap_on_postgres,
);
