//! REST for the law in the workflows: the data-processing agreement, the
//! sub-processor list and objections, deletion of the business, the
//! business's client retention, and the export of everything.

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment, AttachmentType, Json};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};
use serde::Deserialize;
use termino_app::App;
use termino_app::dpa::{DpaAcceptanceInput, DpaState};
use termino_http::acceptance_meta;
use uuid::Uuid;

use super::auth::{BusinessAuth, authorize};
use super::json::JsonBody;
use super::responses::{Created, NoContent, Result};

#[derive(Tags)]
enum Tag {
    /// The data-processing agreement, sub-processors, deletion, retention
    /// and export.
    Compliance,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DpaStatus {
    /// The version in force.
    pub current_version: String,
    pub published_at: DateTime<Utc>,
    /// `accepted`; `pending` (an earlier version is accepted; accept this
    /// one by `accept_by`); `required` (no processing until accepted).
    pub state: String,
    pub accept_by: Option<DateTime<Utc>>,
    pub accepted_version: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// The text in the language asked for (`language`, default `en`).
    pub text: String,
    /// SHA-256 of `text`, as recorded on acceptance.
    pub text_sha256: String,
    pub acceptances: Vec<DpaAcceptance>,
}

#[derive(Debug, Object)]
pub struct DpaAcceptance {
    pub id: Uuid,
    pub dpa_version: String,
    pub text_sha256: String,
    pub language: String,
    pub subprocessor_list_version: i32,
    pub user_email: String,
    pub authority_statement: String,
    pub company_name: String,
    pub tax_id: String,
    pub accepted_at: DateTime<Utc>,
    /// `panel` or `api`.
    pub method: String,
    /// This entry's hash in Termino's acceptance ledger.
    pub entry_hash: String,
}

impl From<termino_store::repo::compliance::AcceptanceRow> for DpaAcceptance {
    fn from(a: termino_store::repo::compliance::AcceptanceRow) -> Self {
        Self {
            id: a.id,
            dpa_version: a.dpa_version,
            text_sha256: a.text_sha256,
            language: a.language,
            subprocessor_list_version: a.subprocessor_list_version,
            user_email: a.user_email,
            authority_statement: a.authority_statement,
            company_name: a.company_name,
            tax_id: a.tax_id,
            accepted_at: a.accepted_at,
            method: a.method,
            entry_hash: a.entry_hash,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct AcceptDpa {
    /// The version read (must be the current one).
    pub version: String,
    /// The language of the text read: `pl` or `en`.
    pub language: String,
    /// The company bound by the agreement.
    pub company_name: String,
    /// Its Polish tax id (NIP), ten digits.
    pub tax_id: String,
    /// The owner states they may bind the company.
    pub authority_confirmed: bool,
}

#[derive(Debug, Object)]
pub struct Subprocessor {
    pub name: String,
    pub purpose: String,
    pub location: String,
    pub transfer_mechanism: String,
}

impl From<termino_app::subprocessors::Subprocessor> for Subprocessor {
    fn from(s: termino_app::subprocessors::Subprocessor) -> Self {
        Self {
            name: s.name,
            purpose: s.purpose,
            location: s.location,
            transfer_mechanism: s.transfer_mechanism,
        }
    }
}

#[derive(Debug, Object)]
pub struct PlannedChange {
    pub version: i32,
    pub announced_at: DateTime<Utc>,
    pub effective_at: DateTime<Utc>,
    pub summary: String,
    pub added: Vec<Subprocessor>,
    pub removed: Vec<Subprocessor>,
}

#[derive(Debug, Object)]
pub struct SubprocessorList {
    pub version: i32,
    pub effective_at: DateTime<Utc>,
    pub subprocessors: Vec<Subprocessor>,
    /// Announced changes not yet in effect; a business may object.
    pub planned: Vec<PlannedChange>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    pub reason: String,
}

#[derive(Debug, Object)]
pub struct Objection {
    pub version: i32,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub effective_at: Option<DateTime<Utc>>,
    /// What follows for the business.
    pub consequences: String,
}

fn objection(o: termino_app::subprocessors::Objection) -> Objection {
    let date = o
        .effective_at
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    Objection {
        consequences: format!(
            "Your objection is recorded and Termino will answer it. Until {date} nothing changes. If the objection is not resolved by then, you may end the service before the change takes effect: export your data and delete the business."
        ),
        version: o.version,
        reason: o.reason,
        created_at: o.created_at,
        effective_at: o.effective_at,
    }
}

#[derive(Debug, Object)]
pub struct DeletionStatus {
    pub requested_at: DateTime<Utc>,
    /// Until then the owner can cancel.
    pub cancellable_until: DateTime<Utc>,
    /// The data is deleted by then at the latest (5 business days).
    pub deadline: DateTime<Utc>,
}

impl From<termino_app::retention::DeletionRequest> for DeletionStatus {
    fn from(r: termino_app::retention::DeletionRequest) -> Self {
        Self {
            requested_at: r.requested_at,
            cancellable_until: r.grace_ends,
            deadline: r.deadline,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct ClientRetention {
    /// Clients with no booking for this many months (1–120) are deleted;
    /// `null` keeps them.
    pub months: Option<i32>,
}

#[derive(ApiResponse)]
enum DeletionAccepted {
    /// The request is recorded.
    #[oai(status = 202)]
    Accepted(Json<DeletionStatus>),
}

fn download(body: Vec<u8>, name: String) -> Attachment<Vec<u8>> {
    Attachment::new(body)
        .attachment_type(AttachmentType::Attachment)
        .filename(name)
}

pub struct ComplianceApi;

#[OpenApi(tag = "Tag::Compliance")]
impl ComplianceApi {
    /// The data-processing agreement and where the business stands
    #[oai(path = "/dpa", method = "get")]
    async fn dpa(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        language: Query<Option<String>>,
    ) -> Result<Json<DpaStatus>> {
        let p = authorize(&app, req, &auth).await?;
        let status = app.dpa_status(&p).await?;
        let language = language.0.unwrap_or_else(|| "en".into());
        let text = status.text(&language).to_string();
        let (state, accept_by) = match status.state {
            DpaState::Accepted => ("accepted", None),
            DpaState::Pending { accept_by } => ("pending", Some(accept_by)),
            DpaState::Required => ("required", None),
        };
        Ok(Json(DpaStatus {
            current_version: status.current.version.clone(),
            published_at: status.current.published_at,
            state: state.into(),
            accept_by,
            accepted_version: status.accepted_version,
            accepted_at: status.accepted_at,
            text_sha256: termino_crypto::chain::sha256_hex(text.as_bytes()),
            text,
            acceptances: status.acceptances.into_iter().map(Into::into).collect(),
        }))
    }

    /// Accept the current agreement (an owner, signed in)
    #[oai(path = "/dpa/acceptances", method = "post")]
    async fn accept(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<AcceptDpa>,
    ) -> Result<Created<DpaAcceptance>> {
        let p = authorize(&app, req, &auth).await?;
        let b = body.0;
        let row = app
            .accept_dpa(
                &p,
                DpaAcceptanceInput {
                    version: b.version,
                    language: b.language,
                    company_name: b.company_name,
                    tax_id: b.tax_id,
                    authority_confirmed: b.authority_confirmed,
                },
                acceptance_meta(req, "api"),
            )
            .await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// The signed acceptance: the record and the exact text accepted
    #[oai(path = "/dpa/acceptances/:id/document", method = "get")]
    async fn acceptance_document(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        id: Path<Uuid>,
    ) -> Result<Attachment<Vec<u8>>> {
        let p = authorize(&app, req, &auth).await?;
        let doc = app.acceptance_document(&p, id.0).await?;
        Ok(download(
            doc.into_bytes(),
            format!("termino-dpa-acceptance-{}.txt", id.0),
        ))
    }

    /// Termino's sub-processors (public)
    #[oai(path = "/subprocessors", method = "get")]
    async fn subprocessors(&self, app: Data<&App>) -> Result<Json<SubprocessorList>> {
        let list = app.subprocessor_list().await?;
        Ok(Json(SubprocessorList {
            version: list.version,
            effective_at: list.effective_at,
            subprocessors: list.entries.into_iter().map(Into::into).collect(),
            planned: list
                .planned
                .into_iter()
                .map(|c| PlannedChange {
                    version: c.version,
                    announced_at: c.announced_at,
                    effective_at: c.effective_at,
                    summary: c.summary,
                    added: c.added.into_iter().map(Into::into).collect(),
                    removed: c.removed.into_iter().map(Into::into).collect(),
                })
                .collect(),
        }))
    }

    /// Object to a planned change of the sub-processors (an owner)
    #[oai(path = "/subprocessors/changes/:version/objection", method = "post")]
    async fn object(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        version: Path<i32>,
        body: JsonBody<ObjectionRequest>,
    ) -> Result<Created<Objection>> {
        let p = authorize(&app, req, &auth).await?;
        let o = app
            .object_to_subprocessor_change(&p, version.0, &body.0.reason)
            .await?;
        Ok(Created::Created(Json(objection(o))))
    }

    /// The business's objections
    #[oai(path = "/subprocessors/objections", method = "get")]
    async fn objections(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<Vec<Objection>>> {
        let p = authorize(&app, req, &auth).await?;
        let list = app.subprocessor_objections(&p).await?;
        Ok(Json(list.into_iter().map(objection).collect()))
    }

    /// The pending deletion request, if any
    #[oai(path = "/account/deletion", method = "get")]
    async fn deletion(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<DeletionStatus>> {
        let p = authorize(&app, req, &auth).await?;
        let request = app
            .deletion_request(&p)
            .await?
            .ok_or(termino_app::AppError::NotFound)?;
        Ok(Json(request.into()))
    }

    /// Delete the business (an owner): the booking page closes now; the
    /// request can be cancelled for 24 hours; the data is deleted within 5
    /// business days
    #[oai(path = "/account/deletion", method = "post")]
    async fn request_deletion(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<DeletionAccepted> {
        let p = authorize(&app, req, &auth).await?;
        let request = app.request_deletion(&p).await?;
        Ok(DeletionAccepted::Accepted(Json(request.into())))
    }

    /// Cancel the deletion (during the grace period)
    #[oai(path = "/account/deletion", method = "delete")]
    async fn cancel_deletion(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.cancel_deletion(&p).await?;
        Ok(NoContent::Done)
    }

    /// The business's own client retention
    #[oai(path = "/account/client-retention", method = "put")]
    async fn client_retention(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        body: JsonBody<ClientRetention>,
    ) -> Result<NoContent> {
        let p = authorize(&app, req, &auth).await?;
        app.set_client_retention(&p, body.0.months).await?;
        Ok(NoContent::Done)
    }

    /// Everything the business has in Termino, as JSON (an owner)
    #[oai(path = "/account/export", method = "get")]
    async fn export(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
    ) -> Result<Json<serde_json::Value>> {
        let p = authorize(&app, req, &auth).await?;
        Ok(Json(app.export_everything(&p).await?))
    }

    /// One kind as CSV: clients, bookings, services, staff, closures, payments
    #[oai(path = "/account/export/:kind", method = "get")]
    async fn export_csv(
        &self,
        app: Data<&App>,
        req: &Request,
        auth: BusinessAuth,
        kind: Path<String>,
    ) -> Result<Attachment<Vec<u8>>> {
        let p = authorize(&app, req, &auth).await?;
        let kind = kind.0.trim_end_matches(".csv").to_string();
        let csv = app.export_csv(&p, &kind).await?;
        Ok(download(csv.into_bytes(), format!("{kind}.csv")))
    }
}
