//! REST for accountability: the audit log, support access, data-subject
//! requests (the business's inbox and the client's side), the breach
//! incidents that touched the business, and its draft record of processing.

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment, AttachmentType, Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::App;
use termino_app::requests::{Decision, RequestDetails};
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::{Created, NoContent, Result};

#[derive(Tags)]
enum Tag {
    /// The audit log, support access, data-subject requests, security
    /// incidents and the record of processing.
    Accountability,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEvent {
    /// Position in the business's chain, from 1.
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `user`, `api_key`, `operator`, `client` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// `client.read`, `client.updated`, `login`, `api_key.created`, …
    pub action: String,
    pub target_kind: Option<String>,
    pub target_id: Option<Uuid>,
    /// A count or a role, never personal data.
    pub detail: Option<String>,
    pub prev_hash: String,
    pub entry_hash: String,
}

impl From<termino_store::repo::accountability::AuditRow> for AuditEvent {
    fn from(r: termino_store::repo::accountability::AuditRow) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            action: r.action,
            target_kind: r.target_kind,
            target_id: r.target_id,
            detail: r.detail,
            prev_hash: r.prev_hash,
            entry_hash: r.entry_hash,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEvent>,
    /// Pass as `before` for older entries.
    pub next_before: Option<i64>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SupportGrant {
    pub id: Uuid,
    pub granted_by: Uuid,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub reason: String,
    /// Whether Termino's support can look in now.
    pub active: bool,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct GrantSupport {
    /// How long, 1 to 168 hours.
    pub hours: i64,
    /// What support should look at.
    #[oai(default)]
    pub reason: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DataRequest {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    /// `access`, `rectification`, `erasure`, `restriction`, `objection`,
    /// `withdrawal`.
    pub kind: String,
    /// `open`, `completed` or `refused`.
    pub status: String,
    pub received_at: DateTime<Utc>,
    /// One month from receipt (Art. 12(3)).
    pub due_at: DateTime<Utc>,
    pub extended_due_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
    /// The deadline in force.
    pub deadline: DateTime<Utc>,
    pub overdue: bool,
    /// Rectification: the corrected name.
    pub name: Option<String>,
    /// Rectification: the corrected phone.
    pub phone: Option<String>,
    /// The client's note.
    pub note: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

fn data_request(r: termino_app::requests::DataRequest, now: DateTime<Utc>) -> DataRequest {
    let d = r.details.clone().unwrap_or_default();
    DataRequest {
        deadline: r.deadline(),
        overdue: r.overdue_at(now),
        id: r.id,
        client_id: r.client_id,
        kind: r.kind.as_str().into(),
        status: r.status,
        received_at: r.received_at,
        due_at: r.due_at,
        extended_due_at: r.extended_due_at,
        extension_reason: r.extension_reason,
        name: d.name,
        phone: d.phone,
        note: d.note,
        completed_at: r.completed_at,
        outcome: r.outcome,
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// 1 or 2 more months.
    pub months: u32,
    /// Told to the client.
    pub reason: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// `complete` (do what was asked) or `refuse`.
    pub decision: String,
    /// Why, when refusing (told to the client).
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct NewDataRequest {
    /// The token from the e-mailed link.
    pub token: String,
    pub kind: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Object)]
pub struct SubjectRequest {
    pub kind: String,
    pub received_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Object)]
pub struct SubjectView {
    pub business_name: String,
    /// Whether the business holds data about the proven address.
    pub known: bool,
    pub requests: Vec<SubjectRequest>,
}

#[derive(Debug, Object)]
pub struct FiledRequest {
    pub kind: String,
    pub received_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Incident {
    pub id: Uuid,
    pub reference: String,
    /// When Termino became aware.
    pub aware_at: DateTime<Utc>,
    /// The 72-hour deadline (Art. 33(1)), exact in UTC.
    pub notify_by: DateTime<Utc>,
    /// "41 h 07 min left" or "3 h 00 min overdue".
    pub clock: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub nature: String,
    pub status: String,
    pub encrypted: bool,
    pub key_exposed: bool,
    /// Art. 34(3)(a) applies: notifying individuals may not be required.
    pub individuals_exempt: bool,
    /// Approximate numbers for this business.
    pub data_subjects: i64,
    pub records: i64,
    /// Termino's notice to the business (Art. 33(2)).
    pub notice_subject: String,
    pub notice: String,
    /// A pre-filled draft of the business's notification to UODO.
    pub uodo_draft: String,
    /// A plain-language notice for the affected clients.
    pub client_notice_subject: String,
    pub client_notice: String,
    pub client_notice_sent_at: Option<DateTime<Utc>>,
    pub client_notice_recipients: Option<i64>,
    pub decision: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub updates: Vec<IncidentUpdate>,
}

#[derive(Debug, Object)]
pub struct IncidentUpdate {
    pub at: DateTime<Utc>,
    pub phase: String,
    pub body: String,
}

fn incident(v: termino_app::breach::BusinessIncident) -> Incident {
    Incident {
        id: v.incident.id,
        reference: v.incident.reference,
        aware_at: v.incident.aware_at,
        notify_by: v.notify_by,
        clock: v.clock,
        window_start: v.incident.window_start,
        window_end: v.incident.window_end,
        nature: v.incident.nature,
        status: v.incident.status,
        encrypted: v.incident.encrypted,
        key_exposed: v.incident.key_exposed,
        individuals_exempt: v.individuals_exempt,
        data_subjects: v.notice.data_subjects,
        records: v.notice.records,
        notice_subject: v.notice.subject,
        notice: v.notice.body,
        uodo_draft: v.uodo_draft.body,
        client_notice_subject: v.client_notice.subject,
        client_notice: v.client_notice.body,
        client_notice_sent_at: v.notice.client_notice_sent_at,
        client_notice_recipients: v.notice.client_notice_recipients,
        decision: v.notice.business_decision,
        decided_at: v.notice.business_decided_at,
        updates: v
            .updates
            .into_iter()
            .map(|u| IncidentUpdate {
                at: u.at,
                phase: u.phase,
                body: u.body,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct IncidentDecision {
    /// Whether and when UODO was notified (with its reference), or why not.
    pub decision: String,
}

#[derive(ApiResponse)]
enum LinkSent {
    /// If the address is right, a link is on its way.
    #[oai(status = 202)]
    Accepted,
}

pub struct AccountabilityApi;

#[OpenApi(tag = "Tag::Accountability")]
impl AccountabilityApi {
    /// The business's audit log, newest first (owner or admin)
    #[oai(path = "/audit-events", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn audit_events(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        before: Query<Option<i64>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditPage>> {
        let p = authorize(&app, req, &auth).await?;
        let page = app
            .audit_log(&p, before.0, from.0, to.0, limit.0.unwrap_or(100))
            .await?;
        Ok(Json(AuditPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_before: page.next,
        }))
    }

    /// The whole audit log as CSV, oldest first (owner or admin)
    #[oai(path = "/audit-events/export", method = "get")]
    async fn audit_export(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Attachment<Vec<u8>>> {
        let p = authorize(&app, req, &auth).await?;
        let csv = app.audit_csv(&p).await?;
        Ok(Attachment::new(csv.into_bytes())
            .attachment_type(AttachmentType::Attachment)
            .filename("audit-log.csv"))
    }

    /// Support access grants, newest first
    #[oai(path = "/support-grants", method = "get")]
    async fn grants(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<SupportGrant>>> {
        let p = authorize(&app, req, &auth).await?;
        let now = app.now();
        Ok(Json(
            app.support_grants(&p)
                .await?
                .into_iter()
                .map(|g| grant(g, now))
                .collect(),
        ))
    }

    /// Let Termino's support look at the business's data for a while
    #[oai(path = "/support-grants", method = "post")]
    async fn grant(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<GrantSupport>,
    ) -> Result<Created<SupportGrant>> {
        let p = authorize(&app, req, &auth).await?;
        let g = app.grant_support(&p, body.0.hours, &body.0.reason).await?;
        Ok(Created::Created(Json(grant(g, app.now()))))
    }

    /// End a support grant early
    #[oai(path = "/support-grants/:id", method = "delete")]
    async fn revoke(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.revoke_support(&p, id.0).await?;
        Ok(NoContent::Done)
    }

    /// The data-subject request inbox: open first, soonest deadline first
    #[oai(path = "/data-requests", method = "get")]
    async fn data_requests(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<DataRequest>>> {
        let p = authorize(&app, req, &auth).await?;
        let now = app.now();
        Ok(Json(
            app.data_requests(&p)
                .await?
                .into_iter()
                .map(|r| data_request(r, now))
                .collect(),
        ))
    }

    /// One data-subject request
    #[oai(path = "/data-requests/:id", method = "get")]
    async fn data_request(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<DataRequest>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(data_request(
            app.data_request(&p, id.0).await?,
            app.now(),
        )))
    }

    /// Extend the deadline by one or two months (within the first month;
    /// the client is told why)
    #[oai(path = "/data-requests/:id/extension", method = "post")]
    async fn extend(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<Extension>,
    ) -> Result<Json<DataRequest>> {
        let p = authorize(&app, req, &auth).await?;
        let r = app
            .extend_data_request(&p, id.0, body.0.months, &body.0.reason)
            .await?;
        Ok(Json(data_request(r, app.now())))
    }

    /// Complete the request with one action (or refuse it); the client is
    /// told
    #[oai(path = "/data-requests/:id/completion", method = "post")]
    async fn complete(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<Completion>,
    ) -> Result<Json<DataRequest>> {
        let p = authorize(&app, req, &auth).await?;
        let decision = match body.0.decision.as_str() {
            "complete" => Decision::Complete,
            "refuse" => Decision::Refuse(body.0.reason.unwrap_or_default()),
            _ => {
                return Err(termino_app::AppError::invalid(
                    "decision",
                    "invalid",
                    "must be complete or refuse",
                )
                .into());
            }
        };
        let r = app.complete_data_request(&p, id.0, decision).await?;
        Ok(Json(data_request(r, app.now())))
    }

    /// A client asks for a link to manage their data; it goes to the address
    #[oai(path = "/public/:slug/data-requests/link", method = "post")]
    async fn subject_link(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        body: JsonBody<LinkRequest>,
    ) -> Result<LinkSent> {
        app.request_subject_link(&slug.0, &body.0.email).await?;
        Ok(LinkSent::Accepted)
    }

    /// What the link shows: whether the business holds data, and the
    /// client's requests
    #[oai(path = "/public/:slug/data-requests", method = "get")]
    async fn subject_view(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        token: Query<String>,
    ) -> Result<Json<SubjectView>> {
        let v = app.subject_view(&slug.0, &token.0).await?;
        Ok(Json(SubjectView {
            business_name: v.business_name,
            known: v.known,
            requests: v
                .requests
                .into_iter()
                .map(|(kind, received_at, deadline, status)| SubjectRequest {
                    kind: kind.as_str().into(),
                    received_at,
                    deadline,
                    status,
                })
                .collect(),
        }))
    }

    /// A client files a request through the link
    #[oai(path = "/public/:slug/data-requests", method = "post")]
    async fn file_request(
        &self,
        app: Data<&App>,
        slug: Path<String>,
        body: JsonBody<NewDataRequest>,
    ) -> Result<Created<FiledRequest>> {
        let b = body.0;
        let r = app
            .file_data_request(
                &slug.0,
                &b.token,
                &b.kind,
                RequestDetails {
                    name: b.name,
                    phone: b.phone,
                    note: b.note,
                },
            )
            .await?;
        Ok(Created::Created(Json(FiledRequest {
            kind: r.kind.as_str().into(),
            received_at: r.received_at,
            deadline: r.deadline(),
        })))
    }

    /// Security incidents that touched the business, newest first
    #[oai(path = "/incidents", method = "get")]
    async fn incidents(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Incident>>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(
            app.business_incidents(&p)
                .await?
                .into_iter()
                .map(incident)
                .collect(),
        ))
    }

    /// One incident with the drafts (reading it records the alert as seen)
    #[oai(path = "/incidents/:id", method = "get")]
    async fn incident(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Incident>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(incident(app.business_incident(&p, id.0).await?)))
    }

    /// Record what the business did: notified UODO (when, reference) or not
    /// and why
    #[oai(path = "/incidents/:id/decision", method = "post")]
    async fn decide(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
        body: JsonBody<IncidentDecision>,
    ) -> Result<Json<Incident>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(incident(
            app.record_incident_decision(&p, id.0, &body.0.decision)
                .await?,
        )))
    }

    /// Send the client notice to exactly the affected clients (once)
    #[oai(path = "/incidents/:id/client-notice", method = "post")]
    async fn client_notice(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Json<Incident>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(incident(
            app.send_incident_client_notice(&p, id.0).await?,
        )))
    }

    /// A draft of the business's record of processing (Art. 30(1))
    #[oai(path = "/records-of-processing", method = "get")]
    async fn records(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<PlainText<String>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(PlainText(app.controller_record_draft(&p).await?))
    }
}

fn grant(g: termino_app::operators::SupportGrant, now: DateTime<Utc>) -> SupportGrant {
    SupportGrant {
        active: g.active_at(now),
        id: g.id,
        granted_by: g.granted_by,
        granted_at: g.granted_at,
        expires_at: g.expires_at,
        revoked_at: g.revoked_at,
        reason: g.reason,
    }
}
