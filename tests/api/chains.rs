//! The audit log and the agreement ledger are chained with a key the
//! database does not hold: someone with only the database can edit an
//! entry and recompute every hash the old way, and the verifier still
//! finds the edit.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as SqlValue};
use serde_json::json;
use termino_crypto::chain::{GENESIS, chain_hash};
use termino_store::repo::{accountability, compliance};

use crate::compliance::sql;
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    audit_and_dpa_chains_are_keyed,
    unkeyed_entries_from_before_verify_only_as_recorded,
);

async fn run(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = app.termino(args, &[]).await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs a statement written with `$n` placeholders on either backend.
async fn exec(db: &sea_orm::DatabaseConnection, pg: &str, values: Vec<SqlValue>) {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        pg.to_string()
    } else {
        let mut out = pg.to_string();
        for n in (1..=values.len()).rev() {
            out = out.replace(&format!("${n}"), "?");
        }
        out
    };
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap();
}

async fn allow_edits(app: &TestApp) {
    if app.backend == Backend::Postgres {
        // Whoever holds the database can switch the append-only guards off.
        sql(
            app,
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
        )
        .await;
        sql(
            app,
            "ALTER TABLE dpa_acceptances DISABLE TRIGGER dpa_acceptances_append_only",
        )
        .await;
    }
}

/// How an attacker with the database only rewrites a business's audit
/// log: entry `edit` changed, then the hashes and links of the first
/// `upto` entries (all: `None`) rebuilt with the documented unkeyed hash,
/// marked as `mark` (as they are: `None`), and the head moved.
struct Rewrite {
    edit: Option<i64>,
    upto: Option<i64>,
    mark: Option<i32>,
}

async fn rewrite_audit(app: &TestApp, tenant: uuid::Uuid, how: Rewrite) {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let rows = accountability::audit_chain(&db, tenant).await.unwrap();
    let mut prev = GENESIS.to_string();
    for mut row in rows {
        if how.upto.is_some_and(|n| row.seq > n) {
            break;
        }
        if how.edit == Some(row.seq) {
            row.detail = Some("nothing happened".into());
        }
        row.prev_hash = prev.clone();
        let f = termino_app::audit::entry_fields(&row);
        let named: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
        row.entry_hash = chain_hash(&row.prev_hash, &named);
        exec(
            &db,
            "UPDATE audit_events SET detail = $1, prev_hash = $2, entry_hash = $3, mac_version = $4 WHERE tenant_id = $5 AND seq = $6",
            vec![
                row.detail.clone().into(),
                row.prev_hash.clone().into(),
                row.entry_hash.clone().into(),
                how.mark.unwrap_or(row.mac_version).into(),
                tenant.into(),
                row.seq.into(),
            ],
        )
        .await;
        prev = row.entry_hash;
    }
    if how.upto.is_none() {
        exec(
            &db,
            "UPDATE audit_heads SET hash = $1 WHERE tenant_id = $2",
            vec![prev.into(), tenant.into()],
        )
        .await;
    }
    db.close().await.ok();
}

/// An attacker with the database only: edits entry `seq` of a business's
/// audit log, then rebuilds every hash and link after it (and the head)
/// with the documented unkeyed hash.
async fn edit_and_rebuild_audit(app: &TestApp, tenant: uuid::Uuid, seq: i64) {
    rewrite_audit(
        app,
        tenant,
        Rewrite {
            edit: Some(seq),
            upto: None,
            mark: None,
        },
    )
    .await;
}

/// The same for the agreement ledger: one acceptance's company changed
/// (unless `edit` is false), the whole ledger rebuilt, marked `mark`.
async fn rewrite_ledger(app: &TestApp, tenant: uuid::Uuid, edit: bool, mark: Option<i32>) {
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let rows = compliance::acceptances_page(&db, 0, 10_000).await.unwrap();
    assert!(!rows.is_empty());
    let mut prev = GENESIS.to_string();
    for mut row in rows {
        if edit && row.tenant_id == tenant {
            row.company_name = "Someone Else sp. z o.o.".into();
        }
        row.prev_hash = prev.clone();
        let f = termino_app::dpa::entry_fields(&row);
        let named: Vec<(&str, &str)> = f.iter().map(|(n, v)| (*n, v.as_str())).collect();
        row.entry_hash = chain_hash(&row.prev_hash, &named);
        exec(
            &db,
            "UPDATE dpa_acceptances SET company_name = $1, prev_hash = $2, entry_hash = $3, mac_version = $4 WHERE seq = $5",
            vec![
                row.company_name.clone().into(),
                row.prev_hash.clone().into(),
                row.entry_hash.clone().into(),
                mark.unwrap_or(row.mac_version).into(),
                row.seq.into(),
            ],
        )
        .await;
        prev = row.entry_hash;
    }
    db.close().await.ok();
}

async fn edit_and_rebuild_ledger(app: &TestApp, tenant: uuid::Uuid) {
    rewrite_ledger(app, tenant, true, None).await;
}

async fn tenant_of(owner: &crate::helpers::Session) -> uuid::Uuid {
    let b: serde_json::Value = owner.get("/business").await.json().await.unwrap();
    b["id"].as_str().unwrap().parse().unwrap()
}

async fn audit_and_dpa_chains_are_keyed(app: &TestApp) {
    let owner = app.signup("lancuch-klucz").await;
    let other = app.signup("lancuch-obok").await;
    for name in ["Ala", "Ola", "Ela"] {
        let resp = owner.post("/clients", json!({"name": name})).await;
        assert!(resp.status().is_success());
    }
    let tenant = tenant_of(&owner).await;
    let _ = tenant_of(&other).await;
    let (ok, out) = run(app, &["audit", "verify", "--tenant", "lancuch-klucz"]).await;
    assert!(
        ok && out.contains("intact") && out.contains("all keyed"),
        "{out}"
    );
    let (ok, out) = run(app, &["dpa", "verify"]).await;
    assert!(
        ok && out.contains("intact") && out.contains("all keyed"),
        "{out}"
    );

    allow_edits(app).await;
    edit_and_rebuild_audit(app, tenant, 2).await;
    let (ok, out) = run(app, &["audit", "verify", "--tenant", "lancuch-klucz"]).await;
    assert!(!ok, "a rebuilt chain must not verify: {out}");
    assert!(out.contains("BROKEN at entry"), "{out}");
    // The other business's log is untouched and still intact.
    let (ok, out) = run(app, &["audit", "verify", "--tenant", "lancuch-obok"]).await;
    assert!(ok, "{out}");

    edit_and_rebuild_ledger(app, tenant).await;
    let (ok, out) = run(app, &["dpa", "verify"]).await;
    assert!(!ok, "a rebuilt ledger must not verify: {out}");
    assert!(out.contains("broken at entry"), "{out}");
    downgrade_is_caught(
        app,
        tenant,
        "lancuch-klucz",
        "unkeyed hash where the chain is keyed",
    )
    .await;
}

/// Marking the rebuilt entries as old (unkeyed) ones is caught too: the
/// key store never recorded them as such.
async fn downgrade_is_caught(app: &TestApp, tenant: uuid::Uuid, slug: &str, problem: &str) {
    rewrite_audit(
        app,
        tenant,
        Rewrite {
            edit: Some(2),
            upto: None,
            mark: Some(termino_crypto::chain::UNKEYED),
        },
    )
    .await;
    let (ok, out) = run(app, &["audit", "verify", "--tenant", slug]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("BROKEN at entry") && out.contains(problem),
        "{out}"
    );
    rewrite_ledger(app, tenant, true, Some(termino_crypto::chain::UNKEYED)).await;
    let (ok, out) = run(app, &["dpa", "verify"]).await;
    assert!(!ok, "{out}");
}

/// Entries written before chains were keyed: once, at the first start
/// after the upgrade, the key store records how many each chain begins
/// with. They verify as unkeyed (and verify says so), new entries are
/// keyed, and neither kind can be rewritten from the database alone.
async fn unkeyed_entries_from_before_verify_only_as_recorded(app: &TestApp) {
    let owner = app.signup("lancuch-stary").await;
    for name in ["Ala", "Ola", "Ela"] {
        let resp = owner.post("/clients", json!({"name": name})).await;
        assert!(resp.status().is_success());
    }
    let tenant = tenant_of(&owner).await;
    let slug = "lancuch-stary";
    // As the code before keyed chains left them: plain SHA-256, marked
    // unkeyed, and nothing recorded in the key store yet.
    allow_edits(app).await;
    rewrite_audit(
        app,
        tenant,
        Rewrite {
            edit: None,
            upto: None,
            mark: Some(termino_crypto::chain::UNKEYED),
        },
    )
    .await;
    rewrite_ledger(app, tenant, false, Some(termino_crypto::chain::UNKEYED)).await;
    let ks = sea_orm::Database::connect(&app.settings.keystore_url)
        .await
        .unwrap();
    ks.execute_unprepared("DELETE FROM chain_checkpoints")
        .await
        .unwrap();
    ks.close().await.ok();

    // The next start (here the command's) records them.
    let (ok, out) = run(app, &["audit", "verify", "--tenant", slug]).await;
    assert!(
        ok && out.contains("intact, 3 entries, all unkeyed"),
        "{out}"
    );
    let (ok, out) = run(app, &["dpa", "verify"]).await;
    assert!(ok && out.contains("all unkeyed"), "{out}");
    // New entries are keyed.
    let resp = owner.post("/clients", json!({"name": "Ula"})).await;
    assert!(resp.status().is_success());
    let (ok, out) = run(app, &["audit", "verify", "--tenant", slug]).await;
    assert!(ok, "{out}");
    assert!(out.contains("1–3 unkeyed"), "{out}");
    assert!(out.contains("4–4 keyed"), "{out}");

    // The unkeyed beginning rewritten consistently: its last hash is not
    // the one the key store recorded.
    rewrite_audit(
        app,
        tenant,
        Rewrite {
            edit: Some(2),
            upto: Some(3),
            mark: None,
        },
    )
    .await;
    let (ok, out) = run(app, &["audit", "verify", "--tenant", slug]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("BROKEN at entry 3"), "{out}");
    downgrade_is_caught(app, tenant, slug, "recorded").await;
}
