//! Return of data (GDPR Art. 28(3)(g)): the owner exports everything the
//! business has in Termino, as one JSON document or as CSV files per kind.

use serde_json::{Map, Value, json};
use termino_domain::account::Role;
use termino_store::commit;
use termino_store::repo::compliance as repo;
use termino_store::repo::scheduling::{self, BookingFilter};

use crate::auth::Principal;
use crate::clients::ClientRecord;
use crate::{App, AppError, AppResult};

/// The kinds a CSV export offers.
pub const CSV_KINDS: &[&str] = &[
    "clients", "bookings", "services", "staff", "closures", "payments",
];

fn client_json(record: &ClientRecord) -> Value {
    match record {
        ClientRecord::Readable(c) => json!({
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "notes": c.notes,
            "date_of_birth": c.date_of_birth,
            "custom_fields": c.custom_fields,
            "marketing_consent": c.marketing_consent,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }),
        ClientRecord::Erased {
            id,
            created_at,
            updated_at,
        } => json!({
            "id": id, "erased": true, "created_at": created_at, "updated_at": updated_at,
        }),
        other => json!({ "id": other.id(), "unreadable": true }),
    }
}

impl App {
    /// Everything, as one JSON document. Owners only.
    pub async fn export_everything(&self, principal: &Principal) -> AppResult<Value> {
        principal.require(
            principal.role() == Role::Owner && principal.user_id().is_some(),
            "only an owner can export the business's data",
        )?;
        let scope = principal.tenant;
        self.audit(
            &scope,
            crate::audit::AuditEvent::new(principal.audit_actor(), "export")
                .detail("the business's data"),
        )
        .await?;
        let tenant = self.business(principal).await?;
        let mut out = Map::new();
        out.insert("format".into(), json!("termino-export-v1"));
        out.insert("exported_at".into(), json!(self.now()));
        out.insert(
            "business".into(),
            json!({
                "id": tenant.id,
                "slug": tenant.slug,
                "name": tenant.name,
                "time_zone": tenant.time_zone,
                "language": tenant.language,
                "plan": tenant.plan,
                "plan_state": tenant.plan_state,
                "trial_ends_at": tenant.trial_ends_at,
                "paid_until": tenant.paid_until,
                "cancellation_cutoff_hours": tenant.cancellation_cutoff_hours,
                "polish_holidays": tenant.polish_holidays,
                "booking_intro": tenant.booking_intro,
                "privacy_notice_url": tenant.privacy_notice_url,
                "marketing_consent_text": tenant.marketing_consent_text,
                "payment_hold_minutes": tenant.payment_hold_minutes,
                "refund_client_cancellations": tenant.refund_client_cancellations,
                "client_retention_months": tenant.client_retention_months,
                "dpa_version": tenant.dpa_version,
                "dpa_accepted_at": tenant.dpa_accepted_at,
                "created_at": tenant.created_at,
            }),
        );
        let members: Vec<Value> = self
            .members(principal)
            .await?
            .into_iter()
            .map(|m| {
                json!({"user_id": m.user_id, "name": m.name, "email": m.email,
                       "role": m.role.as_str(), "joined_at": m.joined_at})
            })
            .collect();
        out.insert("members".into(), Value::Array(members));
        let clients = self.decrypted_clients(&scope).await?;
        out.insert(
            "clients".into(),
            Value::Array(
                clients
                    .records()
                    .iter()
                    .map(|(r, _)| client_json(r))
                    .collect(),
            ),
        );
        out.insert(
            "bookings".into(),
            Value::Array(self.export_bookings(principal).await?),
        );
        let tx = self.db().begin_tenant(&scope).await?;
        for table in repo::EXPORT_TABLES {
            out.insert(
                (*table).to_string(),
                Value::Array(repo::export_rows(&tx, &scope, table).await?),
            );
        }
        commit(tx).await?;
        let db = self.db().connection();
        let acceptances: Vec<Value> = repo::acceptances_of(db, scope.id())
            .await?
            .into_iter()
            .map(|a| {
                json!({"id": a.id, "dpa_version": a.dpa_version, "text_sha256": a.text_sha256,
                       "language": a.language, "subprocessor_list_version": a.subprocessor_list_version,
                       "user_email": a.user_email, "authority_statement": a.authority_statement,
                       "company_name": a.company_name, "tax_id": a.tax_id, "accepted_at": a.accepted_at,
                       "method": a.method, "entry_hash": a.entry_hash})
            })
            .collect();
        out.insert("dpa_acceptances".into(), Value::Array(acceptances));
        let invoices: Vec<Value> = repo::billing_records_of(db, scope.id())
            .await?
            .into_iter()
            .map(|b| {
                json!({"provider": b.provider, "reference": b.reference, "amount_minor": b.amount_minor,
                       "currency": b.currency, "paid_at": b.paid_at})
            })
            .collect();
        out.insert("termino_invoices".into(), Value::Array(invoices));
        tracing::info!(event = "data_exported", tenant_id = %scope.id(), format = "json", "business data exported");
        Ok(Value::Object(out))
    }

    async fn export_bookings(&self, principal: &Principal) -> AppResult<Vec<Value>> {
        let scope = principal.tenant;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let mut out = Vec::new();
        let mut after = None;
        loop {
            let tx = self.db().begin_tenant(&scope).await?;
            let rows = scheduling::bookings(
                &tx,
                &scope,
                &BookingFilter {
                    after,
                    limit: 1000,
                    ..BookingFilter::default()
                },
            )
            .await?;
            commit(tx).await?;
            let Some(last) = rows.last() else { break };
            after = Some((last.starts_at, last.id));
            for row in &rows {
                let b = self.open_booking(&keyring, row);
                out.push(json!({
                    "id": b.id, "service_id": b.service_id, "staff_id": b.staff_id,
                    "client_id": b.client_id, "status": b.status.as_str(),
                    "starts_at": b.starts_at, "ends_at": b.ends_at, "client_zone": b.client_zone,
                    "notes": b.notes, "cancelled_by": b.cancelled_by, "cancel_reason": b.cancel_reason,
                    "created_at": b.created_at, "updated_at": b.updated_at,
                }));
            }
            if rows.len() < 1000 {
                break;
            }
        }
        Ok(out)
    }

    /// One kind as CSV (a header row, then a row per record).
    pub async fn export_csv(&self, principal: &Principal, kind: &str) -> AppResult<String> {
        if !CSV_KINDS.contains(&kind) {
            return Err(AppError::NotFound);
        }
        let everything = self.export_everything(principal).await?;
        let rows = everything[kind].as_array().cloned().unwrap_or_default();
        to_csv(&rows).map_err(AppError::Internal)
    }
}

/// Flattens JSON objects into CSV: the union of their keys as the header.
/// Text that a spreadsheet would run as a formula is prefixed with `'`.
pub fn to_csv(rows: &[Value]) -> anyhow::Result<String> {
    let mut header: Vec<String> = Vec::new();
    for row in rows {
        if let Some(obj) = row.as_object() {
            for k in obj.keys() {
                if !header.contains(k) {
                    header.push(k.clone());
                }
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header)?;
    for row in rows {
        let record: Vec<String> = header
            .iter()
            .map(|k| match row.get(k) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => {
                    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                        format!("'{s}")
                    } else {
                        s.clone()
                    }
                }
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&record)?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let rows = vec![
            json!({"name": "Anna, \"Ania\"", "n": 3}),
            json!({"name": "=HYPERLINK(\"x\")", "extra": true}),
        ];
        let text = to_csv(&rows).unwrap();
        let mut lines = text.lines();
        // Keys in the order the objects hold them (sorted), new ones after.
        assert_eq!(lines.next().unwrap(), "n,name,extra");
        assert_eq!(lines.next().unwrap(), "3,\"Anna, \"\"Ania\"\"\",");
        assert_eq!(lines.next().unwrap(), ",\"'=HYPERLINK(\"\"x\"\")\",true");
    }
}
