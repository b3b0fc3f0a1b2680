//! Records of processing activities (GDPR Art. 30): Termino's own record as
//! processor, generated from the live configuration and data, and a draft
//! of each business's record as controller for it to complete.

use std::collections::BTreeSet;

use termino_domain::account::Role;
use termino_store::repo::accountability as repo;
use termino_store::repo::compliance;
use termino_store::{TenantScope, commit};

use crate::auth::Principal;
use crate::clients::ClientRecord;
use crate::{App, AppResult};

/// The technical and organisational measures, as configured here.
fn security_measures(app: &App) -> Vec<String> {
    let c = app.config();
    let backend = match app.db().backend() {
        sea_orm::DbBackend::Postgres => {
            "PostgreSQL with row-level security: every business's rows are fenced off in the database itself"
        }
        _ => "an embedded database on the server's own disk",
    };
    vec![
        "Client data encrypted field by field with AES-256-GCM under a data key of each business; data keys wrapped by a master key and kept in a separate key store whose destruction shreds the data (crypto-shredding)".into(),
        "Look-up of e-mail and phone through keyed blind indexes (HMAC-SHA-256), never plaintext".into(),
        format!("Storage: {backend}"),
        format!(
            "Passwords hashed with Argon2id; log-in throttled after {} failures per account and {} per address within {} minutes; sessions end after {} hours idle",
            c.login_failures_per_account,
            c.login_failures_per_ip,
            c.login_window.as_secs() / 60,
            c.session_idle.as_secs() / 3600
        ),
        "API keys scoped per area (read or write), stored only as hashes".into(),
        "A hash-chained, append-only audit log per business of every access to client data".into(),
        "Termino's staff see client data only inside a time-limited support grant given by the business, each access logged".into(),
        "Retention enforced by a scheduled job: trial data purged 3 months after the trial, paid 2 years after the paid period, deletion on request within 5 business days, with a certificate".into(),
        "No personal data, tokens or full IP addresses in logs".into(),
    ]
}

impl App {
    /// Art. 30(2): Termino's record as processor, from the live system.
    pub async fn processor_record(&self) -> AppResult<String> {
        let db = self.db().connection();
        let subs = self.subprocessor_list().await?;
        let mut out = String::new();
        out.push_str("RECORD OF PROCESSING ACTIVITIES — PROCESSOR (Art. 30(2) GDPR)\n");
        out.push_str(&format!(
            "Generated: {} UTC\n\n",
            self.now().format("%Y-%m-%d %H:%M")
        ));
        out.push_str("(a) Processor: Termino, online booking service\n");
        out.push_str(&format!(
            "    Contact point for data protection: {}\n",
            self.config().privacy_contact
        ));
        out.push_str(&format!(
            "    Service address: {}\n\n",
            self.config().public_url
        ));
        out.push_str("    Controllers on whose behalf Termino processes (businesses with an accepted agreement):\n");
        let mut n = 0;
        for t in repo::all_tenants(db).await? {
            let Some(a) = compliance::acceptances_of(db, t.id).await?.pop() else {
                continue;
            };
            n += 1;
            out.push_str(&format!(
                "    - {} (NIP {}), booking page /b/{}, agreement {} accepted {}, contact {}\n",
                a.company_name,
                a.tax_id,
                t.slug,
                a.dpa_version,
                a.accepted_at.format("%Y-%m-%d"),
                a.user_email
            ));
        }
        if n == 0 {
            out.push_str("    (none yet)\n");
        }
        out.push_str("\n(b) Categories of processing carried out for each controller:\n");
        for line in [
            "storing and showing the controller's client records (name, contact details, notes, custom fields, consents)",
            "taking and managing bookings on the controller's booking page, widget and APIs",
            "sending booking confirmations, reminders and the controller's notices to its clients by e-mail, and to its owners and staff notices of new, moved and cancelled bookings",
            "sending reminders by text message, through the configured SMS gateway, to clients who consented to them",
            "publishing the controller's private calendar feeds (times, service, at most the client's first name) to the calendar programs its staff subscribe with, and reading its staff's own calendars as busy time (times only)",
            "handing payments for bookings to the controller's payment provider (Stripe, tpay); no card data",
            "answering data-subject requests and breach notifications on the controller's instructions",
            "backups, retention and deletion of the above",
        ] {
            out.push_str(&format!("    - {line}\n"));
        }
        out.push_str(&format!(
            "\n(c) Transfers and sub-processors (list version {}, in force since {}):\n",
            subs.version,
            subs.effective_at.format("%Y-%m-%d")
        ));
        for s in &subs.entries {
            out.push_str(&format!(
                "    - {}: {}; location {}; safeguard: {}\n",
                s.name, s.purpose, s.location, s.transfer_mechanism
            ));
        }
        out.push_str("\n(d) Technical and organisational security measures (Art. 32(1)):\n");
        for m in security_measures(self) {
            out.push_str(&format!("    - {m}\n"));
        }
        Ok(out)
    }

    /// Art. 30(1): a draft of the business's own record, pre-filled from
    /// what Termino knows; the business completes and keeps it.
    pub async fn controller_record_draft(&self, principal: &Principal) -> AppResult<String> {
        principal.require(
            principal.user_id().is_some() && matches!(principal.role(), Role::Owner | Role::Admin),
            "only the owner or an admin can see the records of processing",
        )?;
        let tenant = self.business(principal).await?;
        let db = self.db().connection();
        let acceptance = compliance::acceptances_of(db, principal.tenant.id())
            .await?
            .pop();
        let subs = self.subprocessor_list().await?;
        // Which optional fields and custom fields are in use: their names
        // only, read from the data.
        let scope: TenantScope = principal.tenant;
        let clients = self.decrypted_clients(&scope).await?;
        let mut used = BTreeSet::new();
        let mut custom = BTreeSet::new();
        for (r, _) in clients.records() {
            if let ClientRecord::Readable(c) = r {
                if c.phone.is_some() {
                    used.insert("phone number");
                }
                if c.notes.is_some() {
                    used.insert("notes about the client");
                }
                if c.date_of_birth.is_some() {
                    used.insert("date of birth");
                }
                if c.marketing_consent {
                    used.insert("marketing consent");
                }
                custom.extend(c.custom_fields.keys().cloned());
            }
        }
        let tx = self.db().begin_tenant(&scope).await?;
        let t = termino_store::repo::tenants::get(&tx, &scope).await?;
        // Webhook receivers the owner chose to send client details to.
        let receivers: BTreeSet<String> = termino_store::repo::webhooks::endpoints(&tx, &scope)
            .await?
            .iter()
            .filter(|e| e.include_personal_data)
            .map(|e| crate::webhooks::receiver_of(&e.url))
            .collect();
        commit(tx).await?;
        let (stripe, tpay) = t
            .as_ref()
            .map(|t| (t.stripe_account_id.is_some(), t.tpay_credentials.is_some()))
            .unwrap_or((false, false));
        let todo = "[to complete]";
        let mut out = String::new();
        out.push_str("RECORD OF PROCESSING ACTIVITIES — CONTROLLER (Art. 30(1) GDPR) — DRAFT\n");
        out.push_str("Prepared by Termino from your account; check it, complete the marked parts and keep it.\n\n");
        out.push_str(&format!(
            "1. Controller: {}{}\n   Contact: {}\n   Data protection officer, if appointed: {todo}\n\n",
            acceptance.as_ref().map_or(tenant.name.as_str(), |a| a.company_name.as_str()),
            acceptance.as_ref().map(|a| format!(" (NIP {})", a.tax_id)).unwrap_or_default(),
            acceptance.as_ref().map_or(todo, |a| a.user_email.as_str()),
        ));
        out.push_str("2. Purpose: taking and managing appointments with clients; reminders; payments for bookings");
        out.push_str(if used.contains("marketing consent") {
            "; marketing to clients who consented\n"
        } else {
            "\n"
        });
        out.push_str("   Legal basis: Art. 6(1)(b) (the booking, a contract); Art. 6(1)(c) (tax records); Art. 6(1)(a) (marketing consent) — check and adjust\n\n");
        out.push_str("3. Categories of data subjects: clients who book appointments\n\n");
        out.push_str("4. Categories of personal data: name, e-mail address, booking history");
        for u in &used {
            out.push_str(&format!(", {u}"));
        }
        if !custom.is_empty() {
            let names: Vec<String> = custom.into_iter().collect();
            out.push_str(&format!(", custom fields ({})", names.join(", ")));
        }
        out.push_str("\n   Special categories (e.g. health data in notes)? ");
        out.push_str(todo);
        out.push_str("\n\n5. Recipients: Termino (processor, under the agreement");
        if let Some(a) = &acceptance {
            out.push_str(&format!(" version {}", a.dpa_version));
        }
        out.push_str(") and its sub-processors:");
        for s in &subs.entries {
            out.push_str(&format!(" {} ({});", s.name, s.location));
        }
        if stripe {
            out.push_str(" Stripe (your payment provider, for booking payments);");
        }
        if tpay {
            out.push_str(" tpay / Krajowy Integrator Płatności S.A. (your payment provider);");
        }
        if !receivers.is_empty() {
            let names: Vec<String> = receivers.into_iter().collect();
            out.push_str(&format!(
                " your webhook receivers that get clients' names and contact details, as the owner chose ({});",
                names.join(", ")
            ));
        }
        out.push_str(&format!(" other recipients: {todo}\n\n"));
        out.push_str("6. Transfers outside the EEA: as listed for the sub-processors, each with its safeguard\n\n");
        out.push_str("7. Time limits for erasure: ");
        match tenant.client_retention_months {
            Some(m) => out.push_str(&format!(
                "clients without a booking for {m} months are erased automatically by Termino"
            )),
            None => out.push_str(&format!("no automatic limit is set in Termino: {todo}")),
        }
        out.push_str("; payment records 5 years from the end of the tax year\n\n");
        out.push_str("8. Security measures (Art. 32(1)), as provided by Termino:\n");
        for m in security_measures(self) {
            out.push_str(&format!("   - {m}\n"));
        }
        out.push_str(&format!(
            "   Your own measures (devices, who has access): {todo}\n"
        ));
        Ok(out)
    }
}
