//! The retention job survives its own failures: a purge cut short is
//! finished by the next run, and one failing business does not stop the
//! purge of the others.

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::compliance::{count, id_literal, sql};
use crate::helpers::{Backend, TestApp, owner_email};
use crate::on_both_backends;

on_both_backends!(retention_purge_is_resumable_and_isolated);

const OPERATOR: &str = "dyzurny@termino.test";

async fn trial(app: &TestApp, slug: &str) -> (String, DateTime<Utc>) {
    let owner = app.signup(slug).await;
    let resp = owner
        .post(
            "/clients",
            json!({"name": "Ewa Nowak", "email": format!("ewa@{slug}.example.com")}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let b: Value = owner.get("/business").await.json().await.unwrap();
    let ends: DateTime<Utc> = b["trial_ends_at"].as_str().unwrap().parse().unwrap();
    (b["id"].as_str().unwrap().to_string(), ends)
}

async fn retention_run(app: &TestApp, as_of: DateTime<Utc>) -> (bool, String) {
    let out = app
        .termino(&["retention", "run", "--as-of", &as_of.to_rfc3339()], &[])
        .await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A statement that fails whenever the purge deletes this business's row:
/// the last step, after its memberships are gone.
fn block_business_delete(app: &TestApp, tenant: &str) -> String {
    let id = id_literal(app, tenant);
    match app.backend {
        Backend::Postgres => format!(
            "CREATE FUNCTION block_purge() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk on fire'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER block_purge BEFORE DELETE ON tenants FOR EACH ROW WHEN (OLD.id = {id}) EXECUTE FUNCTION block_purge();"
        ),
        Backend::Sqlite => format!(
            "CREATE TRIGGER block_purge BEFORE DELETE ON tenants WHEN OLD.id = {id} BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;"
        ),
    }
}

async fn mails_to(app: &TestApp, address: &str) -> Vec<String> {
    termino_app::mail::outbox(app.app())
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == address)
        .map(|m| m.subject)
        .collect()
}

/// Issue 20, item 7. Failed before the fix: the first run stopped at the
/// failing business, so the second one was not purged either, and the rerun
/// had lost the first business's users with its memberships (they stayed,
/// orphaned, and its owner was never told).
async fn retention_purge_is_resumable_and_isolated(app: &TestApp) {
    let out = app
        .termino(
            &[
                "operator", "create", "--email", OPERATOR, "--name", "Dyżurny",
            ],
            &[("TERMINO_OPERATOR_PASSWORD", crate::helpers::PASSWORD.into())],
        )
        .await;
    assert!(out.status.success(), "{out:?}");
    // Created first, so it is the first the job meets.
    let (failing, ends_a) = trial(app, "przerwana").await;
    let (other, ends_b) = trial(app, "sasiednia").await;
    let as_of = ends_a
        .max(ends_b)
        .checked_add_months(chrono::Months::new(3))
        .unwrap()
        + Duration::days(1);
    let owner = owner_email("przerwana");
    let users_of_failing = format!("SELECT COUNT(*) FROM users WHERE email = '{owner}'");

    sql(app, &block_business_delete(app, &failing)).await;
    let (ok, out) = retention_run(app, as_of).await;
    assert!(!ok, "a failed business makes the run fail: {out}");
    assert!(out.contains(&format!("failed {failing}")), "{out}");
    assert!(
        out.contains(&format!("purged {other} (trial-ended)")),
        "the other business is purged all the same: {out}"
    );
    // Cut short after its memberships went: the journal still knows its owner.
    let failing_id = id_literal(app, &failing);
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM memberships WHERE tenant_id = {failing_id}")
        )
        .await,
        0
    );
    assert_eq!(count(app, &users_of_failing).await, 1);
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM purge_journal WHERE tenant_id = {failing_id} AND finished_at IS NULL AND attempts = 1")
        )
        .await,
        1
    );
    let told = mails_to(app, OPERATOR).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains(&failing), "{told:?}");

    // The cause is mended; the next run finishes the purge.
    let drop = match app.backend {
        Backend::Postgres => "DROP TRIGGER block_purge ON tenants; DROP FUNCTION block_purge();",
        Backend::Sqlite => "DROP TRIGGER block_purge;",
    };
    sql(app, drop).await;
    let (ok, out) = retention_run(app, as_of).await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("purged {failing} (trial-ended)")),
        "{out}"
    );
    assert!(
        !out.contains(&format!("purged {other}")),
        "purged once: {out}"
    );
    assert_eq!(count(app, &users_of_failing).await, 0, "no orphaned users");
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) FROM tenants WHERE id = {failing_id}")
        )
        .await,
        0
    );
    let out = app.termino(&["retention", "certificates"], &[]).await;
    let listing = String::from_utf8_lossy(&out.stdout);
    let line = listing
        .lines()
        .find(|l| l.contains(&failing))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        line.contains("\"users\":1")
            && line.contains("\"memberships\":1")
            && line.contains("intact"),
        "{line}"
    );
    let told = mails_to(app, &owner).await;
    assert!(
        told.iter().any(|s| s.contains("deleted from Termino")),
        "the owner is told: {told:?}"
    );
    // A run after that has nothing left to do.
    let (ok, out) = retention_run(app, as_of).await;
    assert!(
        ok && !out.contains("purged ") && !out.contains("failed "),
        "{out}"
    );
}
