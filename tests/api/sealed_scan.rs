//! Finds every value in the main database that looks sealed (the format
//! and algorithm bytes of `termino_crypto`, raw, in base64 or inside JSON)
//! and names the columns that hold one but are not in the registry of
//! sealed columns (`termino_store::sealed`). A column sealed without an
//! entry would be left behind by key rotation, so this must stay empty.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

/// Whether bytes are a sealed value: format 1, algorithm 1, a plausible
/// key version, nonce and tag.
fn looks_sealed(bytes: &[u8]) -> bool {
    bytes.len() >= 2 + 4 + 12 + 16
        && bytes[0] == 1
        && bytes[1] == 1
        && termino_crypto::field_key_version(bytes).is_ok_and(|v| (1..=10_000).contains(&v))
}

fn text_looks_sealed(text: &str) -> bool {
    let decoded = |t: &str| {
        STANDARD
            .decode(t)
            .ok()
            .or_else(|| URL_SAFE_NO_PAD.decode(t).ok())
    };
    if decoded(text).is_some_and(|b| looks_sealed(&b)) {
        return true;
    }
    fn any_string(v: &Value, f: &dyn Fn(&str) -> bool) -> bool {
        match v {
            Value::String(s) => f(s),
            Value::Array(a) => a.iter().any(|x| any_string(x, f)),
            Value::Object(o) => o.values().any(|x| any_string(x, f)),
            _ => false,
        }
    }
    serde_json::from_str::<Value>(text)
        .is_ok_and(|v| any_string(&v, &|s| decoded(s).is_some_and(|b| looks_sealed(&b))))
}

/// Every (table, column) of the main database with text or bytes.
async fn columns(db: &sea_orm::DatabaseConnection, backend: Backend) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match backend {
        Backend::Postgres => {
            let rows = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
                     WHERE table_schema = 'public' AND data_type IN ('bytea', 'text', 'character varying')",
                ))
                .await
                .unwrap();
            for r in rows {
                out.push((r.try_get("", "t").unwrap(), r.try_get("", "c").unwrap()));
            }
        }
        Backend::Sqlite => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                ))
                .await
                .unwrap();
            for t in tables {
                let table: String = t.try_get("", "name").unwrap();
                let cols = db
                    .query_all_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await
                    .unwrap();
                for c in cols {
                    out.push((table.clone(), c.try_get("", "name").unwrap()));
                }
            }
        }
    }
    out
}

/// Whether any value of a column looks sealed.
async fn holds_sealed(
    db: &sea_orm::DatabaseConnection,
    backend: Backend,
    table: &str,
    column: &str,
) -> bool {
    // SQLite keeps any type in any column: look at each value as it is.
    let sql = match backend {
        Backend::Postgres => {
            format!("SELECT \"{column}\" AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL")
        }
        Backend::Sqlite => format!(
            "SELECT CAST(\"{column}\" AS BLOB) AS v FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
        ),
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter().any(|r| {
        if let Ok(bytes) = r.try_get::<Vec<u8>>("", "v") {
            looks_sealed(&bytes) || std::str::from_utf8(&bytes).is_ok_and(text_looks_sealed)
        } else if let Ok(text) = r.try_get::<String>("", "v") {
            text_looks_sealed(&text)
        } else {
            false
        }
    })
}

/// The columns holding sealed values that the registry does not name
/// (nor lists as sealed under a secret of Termino's own).
pub async fn unregistered_sealed_columns(app: &TestApp) -> Vec<String> {
    let registered: BTreeSet<(&str, &str)> = termino_store::sealed::TABLES
        .iter()
        .flat_map(|t| t.columns.iter().map(|c| (c.table, c.column)))
        .chain(
            termino_store::sealed::SERVER_SEALED
                .iter()
                .map(|(t, c, _)| (*t, *c)),
        )
        .collect();
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let mut found = Vec::new();
    let mut seen_registered = 0;
    for (table, column) in columns(&db, app.backend).await {
        if !holds_sealed(&db, app.backend, &table, &column).await {
            continue;
        }
        if registered.contains(&(table.as_str(), column.as_str())) {
            seen_registered += 1;
        } else {
            found.push(format!("{table}.{column}"));
        }
    }
    db.close().await.ok();
    // The scan can see sealed values: the registered ones are found.
    assert!(seen_registered >= 10, "the scan found {seen_registered}");
    found
}
