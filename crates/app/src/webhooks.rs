//! Outbound webhooks, signed per the Standard Webhooks specification.
//!
//! A delivery is written in the same transaction as the change it
//! announces, one per subscribed endpoint, its payload sealed under the
//! business's key. A worker sends due deliveries with exponential back-off
//! over more than a day; every retry carries the same `webhook-id`, so a
//! receiver can drop duplicates. An endpoint is never disabled silently:
//! when deliveries keep failing, the owners are told by e-mail.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::Sha256;
use termino_domain::account::Role;
use termino_store::repo::webhooks::{self as repo, DeliveryRow, EndpointRow};
use termino_store::sealed;
use termino_store::{TenantScope, Tx, commit};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::{Actor, Principal};
use crate::keys::Keyring;
use crate::outbound::{self, Outcome};
use crate::{App, AppError, AppResult};

pub const EVENTS: [&str; 9] = [
    "booking.created",
    "booking.confirmed",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.completed",
    "booking.no_show",
    "client.created",
    "client.updated",
    "client.deleted",
];

/// Waits after each failed attempt (Standard Webhooks' suggestion): the
/// last try is about 27 hours after the first.
const BACKOFF_SECS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// Failed attempts in a row after which the owners are told.
const TELL_AFTER_FAILURES: i32 = 3;
/// How long a claimed delivery is reserved for the node sending it.
const LEASE_SECS: i64 = 120;

#[derive(Debug, Clone)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub include_personal_data: bool,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub include_personal_data: bool,
    pub active: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint with its signing secret (shown once).
#[derive(Debug, Clone)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<EndpointRow> for Endpoint {
    fn from(r: EndpointRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            description: r.description,
            events: r.events.split_whitespace().map(str::to_string).collect(),
            include_personal_data: r.include_personal_data,
            active: r.active,
            failing_since: r.failing_since,
            created_at: r.created_at,
        }
    }
}

impl From<DeliveryRow> for Delivery {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            endpoint_id: r.endpoint_id,
            event_type: r.event_type,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        }
    }
}

/// `webhook-signature` for a message: `v1,<base64 HMAC-SHA256>` over
/// `{id}.{timestamp}.{body}` with the secret after `whsec_`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The receiving host of an endpoint (`host[:port]`), for the audit log
/// and the records of processing.
pub(crate) fn receiver_of(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_default()
}

impl App {
    pub async fn create_webhook_endpoint(
        &self,
        principal: &Principal,
        input: EndpointInput,
    ) -> AppResult<CreatedEndpoint> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "managing webhooks",
        )?;
        // Client details leave Termino only with the controller's say-so:
        // the owner, signed in; never a key, whatever its scopes.
        if input.include_personal_data {
            principal.require(
                matches!(
                    principal.actor,
                    Actor::User {
                        role: Role::Owner,
                        ..
                    }
                ),
                "sending clients' personal data to a webhook: only the owner, signed in, can switch it on",
            )?;
        }
        let url = outbound::check_url(&input.url, self.config().webhooks_allow_private).await?;
        if input.events.is_empty() {
            return Err(AppError::invalid(
                "events",
                "required",
                "choose at least one event",
            ));
        }
        if let Some(bad) = input.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
            return Err(AppError::invalid(
                "events",
                "unknown_event",
                format!("{bad:?} is not an event"),
            ));
        }
        if input.description.chars().count() > 200 {
            return Err(AppError::invalid(
                "description",
                "too_long",
                "at most 200 characters",
            ));
        }
        let mut raw = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret = format!("whsec_{}", STANDARD.encode(raw));
        let scope = principal.tenant;
        let now = self.now();
        let id = Uuid::now_v7();
        let mut events = input.events.clone();
        events.sort();
        events.dedup();
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let row = repo::insert_endpoint(
            &tx,
            &scope,
            EndpointRow {
                tenant_id: scope.id(),
                id,
                url,
                description: input.description.trim().to_string(),
                events: events.join(" "),
                include_personal_data: input.include_personal_data,
                secret: keyring.seal(&sealed::WEBHOOK_SECRET, id, secret.as_bytes())?,
                active: true,
                failing_since: None,
                failure_notified_at: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        if row.include_personal_data {
            self.audit_in(
                &tx,
                &scope,
                AuditEvent::new(principal.audit_actor(), "webhook.personal_data_enabled")
                    .on("webhook_endpoint", id)
                    .detail(receiver_of(&row.url)),
            )
            .await?;
        }
        commit(tx).await?;
        Ok(CreatedEndpoint {
            endpoint: row.into(),
            secret,
        })
    }

    pub async fn webhook_endpoints(&self, principal: &Principal) -> AppResult<Vec<Endpoint>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = repo::endpoints(&tx, &principal.tenant).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(Endpoint::from).collect())
    }

    pub async fn delete_webhook_endpoint(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "managing webhooks",
        )?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let endpoint = repo::endpoint(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        repo::delete_endpoint(&tx, &scope, id).await?;
        if endpoint.include_personal_data {
            self.audit_in(
                &tx,
                &scope,
                AuditEvent::new(principal.audit_actor(), "webhook.personal_data_disabled")
                    .on("webhook_endpoint", id)
                    .detail(receiver_of(&endpoint.url)),
            )
            .await?;
        }
        commit(tx).await?;
        Ok(())
    }

    pub async fn webhook_deliveries(
        &self,
        principal: &Principal,
        endpoint_id: Uuid,
    ) -> AppResult<Vec<Delivery>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        repo::endpoint(&tx, &principal.tenant, endpoint_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows = repo::deliveries(&tx, &principal.tenant, endpoint_id, 200).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(Delivery::from).collect())
    }

    /// Sends a delivery again (same `webhook-id`), now.
    pub async fn replay_delivery(&self, principal: &Principal, id: Uuid) -> AppResult<Delivery> {
        self.check_writable(principal).await?;
        principal.require(
            principal.role().can_edit_business_settings(),
            "managing webhooks",
        )?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let mut row = repo::delivery(&tx, &principal.tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        row.status = "pending".into();
        row.next_attempt_at = self.now();
        repo::save_delivery(&tx, row.clone()).await?;
        commit(tx).await?;
        self.wake_mail();
        Ok(row.into())
    }

    /// Records an event for every endpoint subscribed to it, in the
    /// caller's transaction. `personal` goes only to endpoints that chose
    /// to receive personal data.
    pub(crate) async fn emit(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        event: &str,
        data: Value,
        personal: Option<Value>,
    ) -> AppResult<()> {
        let endpoints = repo::endpoints(tx, scope).await?;
        let now = self.now();
        for endpoint in endpoints
            .iter()
            .filter(|e| e.active && e.events.split_whitespace().any(|x| x == event))
        {
            let mut data = data.clone();
            let mut client_id = None;
            if endpoint.include_personal_data
                && let (Some(p), Some(obj)) = (&personal, data.as_object_mut())
            {
                obj.insert("client".into(), p.clone());
                client_id = p.get("id").and_then(|id| id.as_str()?.parse().ok());
            }
            let id = Uuid::now_v7();
            let payload = json!({
                "type": event,
                "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "data": data,
            });
            repo::insert_delivery(
                tx,
                scope,
                DeliveryRow {
                    tenant_id: scope.id(),
                    id,
                    endpoint_id: endpoint.id,
                    event_type: event.to_string(),
                    payload: keyring.seal(
                        &sealed::WEBHOOK_PAYLOAD,
                        id,
                        payload.to_string().as_bytes(),
                    )?,
                    status: "pending".into(),
                    attempts: 0,
                    next_attempt_at: now,
                    last_status_code: None,
                    last_error: None,
                    created_at: now,
                    delivered_at: None,
                    client_id,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Erasure: the client's contact details leave every delivery that
    /// carries them, queued or logged; the events stay, with ids only.
    /// Runs in the caller's transaction, so the erasure is all or nothing.
    pub(crate) async fn forget_client_in_webhooks(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        client: Uuid,
    ) -> AppResult<()> {
        for row in repo::deliveries_carrying(tx, scope, client).await? {
            let payload = keyring
                .open_text(&sealed::WEBHOOK_PAYLOAD, row.id, &row.payload)
                .and_then(|text| serde_json::from_str::<Value>(&text).ok());
            let sealed = match payload {
                Some(mut payload) => {
                    if let Some(data) = payload.get_mut("data").and_then(Value::as_object_mut) {
                        data.remove("client");
                    }
                    keyring.seal(
                        &sealed::WEBHOOK_PAYLOAD,
                        row.id,
                        payload.to_string().as_bytes(),
                    )?
                }
                // Unreadable (its key version is gone): nothing can be
                // sent or read from it, so nothing is kept.
                None => Vec::new(),
            };
            repo::replace_payload(tx, scope, row.id, sealed).await?;
        }
        Ok(())
    }

    /// Sends what is due; returns how many were delivered.
    pub async fn deliver_due_webhooks(&self) -> AppResult<usize> {
        let now = self.now();
        // Claim: reserve due deliveries for this node for a while, in a
        // short transaction; the HTTP calls happen outside it.
        let tx = self.db().begin().await?;
        let due = repo::claim_due(&tx, now, 50).await?;
        for row in &due {
            let mut leased = row.clone();
            leased.next_attempt_at = now + chrono::Duration::seconds(LEASE_SECS);
            // The attempt counts when it is claimed: should a lease run out
            // mid-send and another node take the delivery over, each try
            // still has its own number.
            leased.attempts += 1;
            repo::save_delivery(&tx, leased).await?;
        }
        commit(tx).await?;
        let mut delivered = 0;
        for mut row in due {
            row.attempts += 1;
            if self.send_one(row).await? {
                delivered += 1;
            }
        }
        Ok(delivered)
    }

    async fn send_one(&self, mut row: DeliveryRow) -> AppResult<bool> {
        let tenant = row.tenant_id;
        let db = self.db().connection();
        let Some(mut endpoint) = repo::endpoint_any(db, tenant, row.endpoint_id).await? else {
            return Ok(false);
        };
        let keyring = self.keys().for_read(tenant, None, self.now()).await?;
        let payload = keyring.open_text(&sealed::WEBHOOK_PAYLOAD, row.id, &row.payload);
        let secret = keyring.open_text(&sealed::WEBHOOK_SECRET, endpoint.id, &endpoint.secret);
        let (Some(body), Some(secret)) = (payload, secret) else {
            // The business's keys are gone: this can never be sent.
            row.status = "failed".into();
            row.last_error = Some("the business's keys were destroyed".into());
            repo::save_delivery(db, row).await?;
            return Ok(false);
        };
        let id = row.id.to_string();
        let timestamp = Utc::now().timestamp();
        let signature = sign(&secret, &id, timestamp, &body).unwrap_or_default();
        let outcome = outbound::post(
            &endpoint.url,
            self.config().webhooks_allow_private,
            [
                ("content-type", "application/json".to_string()),
                ("webhook-id", id),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signature),
            ],
            body,
        )
        .await;
        let now = self.now();
        let ok = matches!(outcome, Outcome::Delivered(_));
        (row.last_status_code, row.last_error) = match outcome {
            Outcome::Delivered(code) => (Some(i32::from(code)), None),
            Outcome::Answered(code) => (Some(i32::from(code)), Some(format!("HTTP {code}"))),
            Outcome::NotSent(category) => (None, Some(category.to_string())),
        };
        if ok {
            row.status = "delivered".into();
            row.delivered_at = Some(now);
            self.metrics().delivery("webhook", "sent");
        } else {
            match BACKOFF_SECS.get((row.attempts - 1) as usize) {
                Some(wait) => {
                    row.next_attempt_at = now + chrono::Duration::seconds(*wait);
                    self.metrics().delivery("webhook", "retry");
                }
                None => {
                    row.status = "failed".into();
                    self.metrics().delivery("webhook", "failed");
                }
            }
            tracing::warn!(event = "webhook_failed", tenant_id = %tenant, delivery_id = %row.id, attempts = row.attempts, status = ?row.last_status_code, "webhook delivery failed");
        }
        let attempts = row.attempts;
        if !repo::save_attempt(db, row).await? {
            // A newer attempt took this delivery over (our lease ran out):
            // its outcome is the one that counts.
            return Ok(ok);
        }
        let scope = TenantScope::authenticated(tenant);
        if ok {
            if endpoint.failing_since.is_some() {
                endpoint.failing_since = None;
                endpoint.failure_notified_at = None;
                endpoint.updated_at = now;
                repo::save_endpoint(db, &scope, endpoint).await?;
            }
        } else {
            if endpoint.failing_since.is_none() {
                endpoint.failing_since = Some(now);
            }
            if attempts >= TELL_AFTER_FAILURES && endpoint.failure_notified_at.is_none() {
                endpoint.failure_notified_at = Some(now);
                self.tell_owners_of_failing_endpoint(tenant, &endpoint)
                    .await?;
            }
            endpoint.updated_at = now;
            repo::save_endpoint(db, &scope, endpoint).await?;
        }
        Ok(ok)
    }

    async fn tell_owners_of_failing_endpoint(
        &self,
        tenant: Uuid,
        endpoint: &EndpointRow,
    ) -> AppResult<()> {
        self.mail_owners(
            tenant,
            "Webhook deliveries are failing / Webhooki nie dochodzą".into(),
            format!(
                "Deliveries to your webhook endpoint {url} keep failing. Termino keeps retrying for about a day; fix the endpoint and replay the failed deliveries from the delivery log.\n\nDostarczanie do Twojego adresu webhooków {url} wciąż się nie udaje. Termino ponawia próby przez około dobę; napraw adres i wyślij nieudane dostawy ponownie z dziennika.\n\n— Termino",
                url = endpoint.url
            ),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The example from the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}
