use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};
use crate::{on_both_backends, on_postgres};

on_both_backends!(another_businesss_objects_are_not_found);
// Row-level security exists on PostgreSQL only.
on_postgres!(
    row_level_security_is_a_second_wall,
    row_level_security_is_forced_and_the_app_is_not_the_owner,
);

/// Every endpoint that takes an id answers 404 for another business's id,
/// and changes nothing there.
async fn another_businesss_objects_are_not_found(app: &TestApp) {
    let a = app.signup("firma-a").await;
    let b = app.signup("firma-b").await;
    let b_key: Value = b
        .post("/api-keys", json!({"name": "B key"}))
        .await
        .json()
        .await
        .unwrap();
    let b_key_id = b_key["key"]["id"].as_str().unwrap().to_string();
    let b_inv: Value = b
        .post(
            "/invitations",
            json!({"email": "p@firma-b.example.com", "role": "staff"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let b_inv_id = b_inv["id"].as_str().unwrap().to_string();
    let b_users: Value = b.get("/users").await.json().await.unwrap();
    let b_owner_id = b_users[0]["id"].as_str().unwrap().to_string();

    let attempts = [
        (
            Method::PATCH,
            format!("/users/{b_owner_id}"),
            Some(json!({"role": "staff"})),
        ),
        (Method::DELETE, format!("/users/{b_owner_id}"), None),
        (Method::DELETE, format!("/invitations/{b_inv_id}"), None),
        (Method::DELETE, format!("/api-keys/{b_key_id}"), None),
    ];
    for (method, path, body) in attempts {
        let resp = a.send(method.clone(), &path, body).await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
        problem(resp).await;
    }
    // B's objects are untouched.
    let key_ok = app
        .client()
        .get(app.api("/me"))
        .bearer_auth(b_key["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(key_ok.status(), StatusCode::OK);
    let invs: Value = b.get("/invitations").await.json().await.unwrap();
    assert_eq!(invs.as_array().unwrap().len(), 1);
    let users: Value = b.get("/users").await.json().await.unwrap();
    assert_eq!(users[0]["role"], "owner");
    // An API key of B sees B, never A.
    let me: Value = app
        .client()
        .get(app.api("/business"))
        .bearer_auth(b_key["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["slug"], "firma-b");
}

/// On PostgreSQL, a tenant transaction that forgets its filter still sees
/// only its own rows.
async fn row_level_security_is_a_second_wall(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    app.signup("rls-a").await;
    app.signup("rls-b").await;
    let db = app.app().db();
    let a = termino_store::repo::tenants::find_by_slug(db.connection(), "rls-a")
        .await
        .unwrap()
        .unwrap();
    let scope = termino_app::TenantScope::authenticated(a.id);
    let tx = db.begin_tenant(&scope).await.unwrap();
    let count = |table: &str| {
        Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!("SELECT count(*)::bigint AS n FROM {table}"),
        )
    };
    for (table, expected) in [("tenants", 1i64), ("memberships", 1)] {
        let row = tx.query_one_raw(count(table)).await.unwrap().unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, expected, "{table} seen from one tenant");
    }
    // Writing a row for another tenant is refused by the policy.
    let b = termino_store::repo::tenants::find_by_slug(db.connection(), "rls-b").await;
    assert!(b.is_ok());
    let err = tx
        .execute_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "UPDATE tenants SET name = 'x' WHERE slug = 'rls-b' RETURNING id".to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(err.rows_affected(), 0);
    tx.rollback().await.unwrap();
}

/// Issue 20, item 10. Failed before the fix: row-level security was
/// enabled but not forced (the owner, as which the application connects,
/// passed it), `users` and `mail_outbox` had none, and statements outside
/// a tenant transaction ran as the owner.
async fn row_level_security_is_forced_and_the_app_is_not_the_owner(app: &TestApp) {
    use sea_orm::{ConnectionTrait, Statement};
    let a = app.signup("wymuszona-a").await;
    app.signup("wymuszona-b").await;
    // Mail for both businesses' clients and staff is in the outbox.
    for (owner, who) in [(&a, "ala")] {
        let resp = owner
            .post(
                "/invitations",
                json!({"email": format!("{who}@example.com"), "role": "staff"}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let q = |sql: &str| Statement::from_string(sea_orm::DbBackend::Postgres, sql.to_string());
    let number = |row: Option<sea_orm::QueryResult>| -> i64 {
        row.unwrap().try_get_by_index::<i64>(0).unwrap()
    };

    // Every table that holds a business's rows, and users and the outbox.
    let admin = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let unforced = admin
        .query_all_raw(q(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r'
               AND (c.relname IN ('tenants', 'users', 'mail_outbox')
                    OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                               AND a.attname = 'tenant_id' AND NOT a.attisdropped))
               AND NOT (c.relrowsecurity AND c.relforcerowsecurity)",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect::<Vec<_>>();
    assert!(unforced.is_empty(), "not forced: {unforced:?}");
    let tables = number(
        admin
            .query_one_raw(q(
                "SELECT count(*)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relforcerowsecurity",
            ))
            .await
            .unwrap(),
    );
    assert!(tables >= 20, "{tables} tables forced");

    // The owner itself sees no business's rows…
    let owner = sea_orm::Database::connect(&app.settings.database_url)
        .await
        .unwrap();
    assert_eq!(
        number(
            owner
                .query_one_raw(q("SELECT count(*)::bigint FROM memberships"))
                .await
                .unwrap()
        ),
        0
    );
    owner.close().await.ok();
    let all_members = number(
        admin
            .query_one_raw(q("SELECT count(*)::bigint FROM memberships"))
            .await
            .unwrap(),
    );
    assert!(all_members >= 2);

    // …and the application never works as the owner.
    let db = app.app().db();
    let who = db
        .connection()
        .query_one_raw(q("SELECT current_user::text"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap();
    assert_eq!(who, "termino_system");

    // A tenant transaction sees its own members and its own mail only.
    let tenant = termino_store::repo::tenants::find_by_slug(db.connection(), "wymuszona-a")
        .await
        .unwrap()
        .unwrap();
    let tx = db
        .begin_tenant(&termino_app::TenantScope::authenticated(tenant.id))
        .await
        .unwrap();
    let users = number(
        tx.query_one_raw(q("SELECT count(*)::bigint FROM users"))
            .await
            .unwrap(),
    );
    assert_eq!(users, 1, "only the business's own owner");
    let mail = tx
        .query_all_raw(q("SELECT tenant_id FROM mail_outbox"))
        .await
        .unwrap();
    assert!(!mail.is_empty());
    for row in &mail {
        let t: Option<uuid::Uuid> = row.try_get_by_index(0).unwrap();
        assert_eq!(t, Some(tenant.id));
    }
    let updated = tx.execute_raw(q("UPDATE users SET name = 'x'")).await;
    assert!(updated.is_err(), "a tenant transaction cannot write users");
    tx.rollback().await.unwrap();
    admin.close().await.ok();
}
