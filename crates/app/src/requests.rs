//! Data-subject requests: the business decides, Termino assists. A client
//! proves control of an e-mail address through a link sent to it, then asks
//! for a copy, a correction, erasure, restriction, no more marketing, or a
//! consent withdrawn. The business sees an inbox with the one-month deadline
//! (Art. 12(3)), extends it with a reason the client is told, and completes
//! each request with one action; the client is told the outcome.

use crate::ConflictKind;
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use termino_crypto::{FieldContext, decrypt_field, encrypt_field};
use termino_domain::account::Role;
use termino_domain::business::Language;
use termino_domain::contact::EmailAddress;
use termino_domain::requests::{RequestKind, answer_due, extended_due};
use termino_notify::Attachment;
use termino_notify::texts::Message;
use termino_store::repo::accountability::{self as repo, DataRequestRow};
use termino_store::repo::clients as client_repo;
use termino_store::repo::scheduling::{self, BookingFilter};
use termino_store::repo::{payments, tenants};
use termino_store::sealed;
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::auth::Principal;
use crate::clients::{Client, ClientPatch, ClientRecord};
use crate::keys::Keyring;
use crate::{App, AppError, AppResult};

/// How long the e-mailed link proves control of the address.
pub const LINK_VALID_HOURS: i64 = 24;

/// Links sent to one address of one business per hour: enough for a
/// person, too few to make the form a way of mailing strangers.
pub const LINKS_PER_HOUR: u64 = 3;

#[derive(Serialize, Deserialize)]
struct LinkPayload {
    /// Business.
    t: Uuid,
    /// Normalised e-mail.
    e: String,
    /// Expiry, Unix seconds.
    x: i64,
}

fn link_context(tenant: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant,
        table: "subject-link",
        column: "token",
        row: Uuid::nil(),
    }
}

/// A request as the business's inbox shows it.
#[derive(Debug, Clone)]
pub struct DataRequest {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub kind: RequestKind,
    /// `open`, `completed` or `refused`.
    pub status: String,
    /// Where the answer goes; gone once answered.
    pub contact: Option<String>,
    /// What the client wrote (a correction, which consent).
    pub details: Option<RequestDetails>,
    pub received_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub extended_due_at: Option<DateTime<Utc>>,
    pub extension_reason: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
}

impl DataRequest {
    /// The deadline in force.
    pub fn deadline(&self) -> DateTime<Utc> {
        self.extended_due_at.unwrap_or(self.due_at)
    }

    pub fn overdue_at(&self, now: DateTime<Utc>) -> bool {
        self.status == "open" && now > self.deadline()
    }
}

/// What the client wrote with the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetails {
    /// Rectification: the corrected values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Anything else, in the client's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the business decides.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Do what was asked.
    Complete,
    /// Refuse, with the reason the client is told (Art. 12(4)).
    Refuse(String),
}

/// What the client's link shows.
#[derive(Debug, Clone)]
pub struct SubjectView {
    pub business_name: String,
    pub language: String,
    /// Whether the business holds data about this address.
    pub known: bool,
    /// (kind, received, deadline, status)
    pub requests: Vec<(RequestKind, DateTime<Utc>, DateTime<Utc>, String)>,
}

fn texts(lang: Language) -> &'static RequestTexts {
    match lang {
        Language::Pl => &PL,
        Language::En => &EN,
    }
}

struct RequestTexts {
    link_subject: &'static str,
    link_body: &'static str,
    received_subject: &'static str,
    received_body: &'static str,
    extended_subject: &'static str,
    extended_body: &'static str,
    done_subject: &'static str,
    refused_body: &'static str,
    owner_subject: &'static str,
    owner_body: &'static str,
    outcome_access: &'static str,
    outcome_rectification: &'static str,
    outcome_erasure: &'static str,
    outcome_restriction: &'static str,
    outcome_objection: &'static str,
    outcome_withdrawal: &'static str,
}

const EN: RequestTexts = RequestTexts {
    link_subject: "Your data at {business}",
    link_body: "Someone (we hope you) asked to see or manage the personal data {business} holds about this e-mail address.\n\nOpen this link within 24 hours:\n{link}\n\nIf it was not you, ignore this message: nothing happens without the link.",
    received_subject: "Your request to {business} was received",
    received_body: "{business} received your request ({kind}) on {received}. It must answer by {due}.",
    extended_subject: "Your request to {business} needs more time",
    extended_body: "{business} needs more time to answer your request ({kind}) and will answer by {due}.\n\nThe reason: {reason}",
    done_subject: "Your request to {business} was answered",
    refused_body: "{business} did not act on your request ({kind}).\n\nThe reason: {reason}\n\nYou may complain to the President of the Personal Data Protection Office (UODO) or go to court.",
    owner_subject: "A client's data request: answer by {due}",
    owner_body: "A client asked about their data ({kind}) on {received}. Answer by {due}, in the panel:\n{link}",
    outcome_access: "A copy of all data {business} holds about you is attached, as JSON.",
    outcome_rectification: "{business} corrected your data as you asked.",
    outcome_erasure: "{business} erased your data. Only what the law requires is kept: payment records, without your name or contact details.",
    outcome_restriction: "{business} restricted the use of your data: it is kept, but not used or changed until you ask otherwise.",
    outcome_objection: "{business} will not send you marketing any more.",
    outcome_withdrawal: "{business} recorded that you withdrew your consent.",
};

const PL: RequestTexts = RequestTexts {
    link_subject: "Twoje dane w {business}",
    link_body: "Ktoś (mamy nadzieję, że Ty) poprosił o wgląd w dane osobowe, które {business} przechowuje o tym adresie e-mail, lub o zarządzanie nimi.\n\nOtwórz ten link w ciągu 24 godzin:\n{link}\n\nJeśli to nie Ty, zignoruj tę wiadomość: bez linku nic się nie stanie.",
    received_subject: "{business} otrzymał(a) Twoje żądanie",
    received_body: "{business} otrzymał(a) Twoje żądanie ({kind}) w dniu {received}. Odpowiedź musi nadejść do {due}.",
    extended_subject: "{business} potrzebuje więcej czasu na Twoje żądanie",
    extended_body: "{business} potrzebuje więcej czasu na odpowiedź na Twoje żądanie ({kind}) i odpowie do {due}.\n\nPowód: {reason}",
    done_subject: "{business} odpowiedział(a) na Twoje żądanie",
    refused_body: "{business} nie spełnił(a) Twojego żądania ({kind}).\n\nPowód: {reason}\n\nMożesz złożyć skargę do Prezesa Urzędu Ochrony Danych Osobowych lub skorzystać z drogi sądowej.",
    owner_subject: "Żądanie klienta dotyczące danych: odpowiedź do {due}",
    owner_body: "Klient złożył żądanie dotyczące swoich danych ({kind}) w dniu {received}. Odpowiedz do {due} w panelu:\n{link}",
    outcome_access: "W załączniku jest kopia wszystkich Twoich danych, które przechowuje {business}, w formacie JSON.",
    outcome_rectification: "{business} poprawił(a) Twoje dane zgodnie z żądaniem.",
    outcome_erasure: "{business} usunął(-ęła) Twoje dane. Zostaje tylko to, czego wymaga prawo: zapisy płatności, bez imienia, nazwiska i danych kontaktowych.",
    outcome_restriction: "{business} ograniczył(a) przetwarzanie Twoich danych: są przechowywane, ale nie są używane ani zmieniane, dopóki nie poprosisz inaczej.",
    outcome_objection: "{business} nie będzie już wysyłać Ci informacji marketingowych.",
    outcome_withdrawal: "{business} odnotował(a) wycofanie Twojej zgody.",
};

fn outcome_text(t: &RequestTexts, kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => t.outcome_access,
        RequestKind::Rectification => t.outcome_rectification,
        RequestKind::Erasure => t.outcome_erasure,
        RequestKind::Restriction => t.outcome_restriction,
        RequestKind::Objection => t.outcome_objection,
        RequestKind::Withdrawal => t.outcome_withdrawal,
    }
}

fn fill(text: &str, pairs: &[(&str, &str)]) -> String {
    pairs.iter().fold(text.to_string(), |t, (k, v)| {
        t.replace(&format!("{{{k}}}"), v)
    })
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn open_request(keyring: &Keyring, r: DataRequestRow) -> AppResult<DataRequest> {
    let kind = RequestKind::parse(&r.kind)
        .map_err(|_| anyhow::anyhow!("stored request kind is not a kind"))?;
    Ok(DataRequest {
        id: r.id,
        client_id: r.client_id,
        kind,
        status: r.status,
        contact: r
            .contact
            .as_deref()
            .and_then(|c| keyring.open_text(&sealed::REQUEST_CONTACT, r.id, c)),
        details: r
            .details
            .as_deref()
            .and_then(|d| keyring.open_text(&sealed::REQUEST_DETAILS, r.id, d))
            .and_then(|j| serde_json::from_str(&j).ok()),
        received_at: r.received_at,
        due_at: r.due_at,
        extended_due_at: r.extended_due_at,
        extension_reason: r.extension_reason,
        completed_at: r.completed_at,
        outcome: r.outcome,
    })
}

impl App {
    fn subject_link_token(&self, tenant: Uuid, email: &str) -> AppResult<String> {
        let payload = serde_json::to_vec(&LinkPayload {
            t: tenant,
            e: email.to_string(),
            x: (self.now() + Duration::hours(LINK_VALID_HOURS)).timestamp(),
        })
        .map_err(anyhow::Error::from)?;
        let sealed = encrypt_field(&self.inner.form_secret, 1, link_context(tenant), &payload);
        Ok(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The address a valid, unexpired link proves control of.
    fn subject_link_email(&self, tenant: Uuid, token: &str) -> AppResult<String> {
        let sealed = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| AppError::NotFound)?;
        let plain = decrypt_field(
            |_| Some(&self.inner.form_secret),
            link_context(tenant),
            &sealed,
        )
        .map_err(|_| AppError::NotFound)?;
        let p: LinkPayload = serde_json::from_slice(&plain).map_err(|_| AppError::NotFound)?;
        if p.t != tenant || p.x <= self.now().timestamp() {
            return Err(AppError::NotFound);
        }
        Ok(p.e)
    }

    /// The client whose e-mail this is, through the blind index.
    async fn client_by_email(
        &self,
        scope: &TenantScope,
        keyring: &Keyring,
        email: &str,
    ) -> AppResult<Option<Uuid>> {
        let Some(indexer) = keyring.indexer() else {
            return Ok(None);
        };
        let index = indexer.index("clients", "email", email);
        let tx = self.db().begin_tenant(scope).await?;
        let found = client_repo::find_by_index(&tx, scope, Some(&index), None).await?;
        commit(tx).await?;
        Ok(found
            .into_iter()
            .find(|r| r.email_index.as_deref() == Some(index.as_str()))
            .map(|r| r.id))
    }

    /// Step one, from the booking page: e-mails a link to the address.
    /// The answer is the same whether or not the business knows it.
    pub async fn request_subject_link(&self, slug: &str, email: &str) -> AppResult<()> {
        let email = EmailAddress::parse(email)
            .map_err(|p| AppError::invalid("email", p.code, p.message))?;
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let scope = TenantScope::authenticated(tenant.id);
        let throttle = format!(
            "subject-link:{}:{}",
            tenant.id,
            crate::secret::token_hash(email.as_str())
        );
        let (sent, retry_after_secs) = self
            .kv()
            .hit(&throttle, std::time::Duration::from_secs(3600))
            .await?;
        if sent > LINKS_PER_HOUR {
            return Err(AppError::Throttled { retry_after_secs });
        }
        let token = self.subject_link_token(tenant.id, email.as_str())?;
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let t = texts(lang);
        let link = self.link(&format!("/b/{}/your-data/{token}", tenant.slug));
        let pairs = [("business", tenant.name.as_str()), ("link", link.as_str())];
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        self.enqueue_sealed_mail(
            &tx,
            &keyring,
            email.as_str(),
            Message {
                subject: fill(t.link_subject, &pairs),
                body: fill(t.link_body, &pairs),
            },
            None,
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        Ok(())
    }

    /// What the link's page shows.
    pub async fn subject_view(&self, slug: &str, token: &str) -> AppResult<SubjectView> {
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let email = self.subject_link_email(tenant.id, token)?;
        let scope = TenantScope::authenticated(tenant.id);
        let keyring = self.keys().for_read(tenant.id, None, self.now()).await?;
        let client = self.client_by_email(&scope, &keyring, &email).await?;
        let mut requests = Vec::new();
        if let Some(client) = client {
            let tx = self.db().begin_tenant(&scope).await?;
            let rows = repo::requests(&tx, &scope).await?;
            commit(tx).await?;
            for r in rows.into_iter().filter(|r| r.client_id == Some(client)) {
                let r = open_request(&keyring, r)?;
                requests.push((r.kind, r.received_at, r.deadline(), r.status));
            }
        }
        Ok(SubjectView {
            business_name: tenant.name,
            language: tenant.language,
            known: client.is_some(),
            requests,
        })
    }

    /// Step two: the client files a request through the link.
    pub async fn file_data_request(
        &self,
        slug: &str,
        token: &str,
        kind: &str,
        details: RequestDetails,
    ) -> AppResult<DataRequest> {
        let kind =
            RequestKind::parse(kind).map_err(|p| AppError::invalid("kind", p.code, p.message))?;
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let email = self.subject_link_email(tenant.id, token)?;
        let scope = TenantScope::authenticated(tenant.id);
        let mut details = details;
        for (field, value, max) in [
            ("name", &mut details.name, crate::clients::MAX_NAME),
            ("phone", &mut details.phone, 40),
            ("note", &mut details.note, 2000),
        ] {
            *value = value
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if value.as_ref().is_some_and(|v| v.chars().count() > max) {
                return Err(AppError::invalid(
                    field,
                    "too_long",
                    format!("must be at most {max} characters"),
                ));
            }
        }
        if kind == RequestKind::Rectification
            && details.name.is_none()
            && details.phone.is_none()
            && details.note.is_none()
        {
            return Err(AppError::invalid(
                "note",
                "required",
                "say what should be corrected",
            ));
        }
        if let Some(phone) = &details.phone {
            termino_domain::contact::PhoneNumber::parse(phone, Some("PL"))
                .map_err(|p| AppError::invalid("phone", p.code, p.message))?;
        }
        let keyring = self.keys().for_write(tenant.id, self.now()).await?;
        let Some(client) = self.client_by_email(&scope, &keyring, &email).await? else {
            return Err(AppError::Conflict {
                kind: ConflictKind::NoData,
                field: None,
                message: "this business holds no data about this e-mail address".into(),
            });
        };
        let id = Uuid::now_v7();
        let received = self.now().trunc_subsecs(6);
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let version = keyring.active.ok_or_else(crate::keys::keys_destroyed)? as i32;
        let contact = keyring.seal(&sealed::REQUEST_CONTACT, id, email.as_bytes())?;
        let details_json = serde_json::to_vec(&details).map_err(anyhow::Error::from)?;
        let sealed_details = keyring.seal(&sealed::REQUEST_DETAILS, id, &details_json)?;
        let row = DataRequestRow {
            id,
            tenant_id: tenant.id,
            client_id: Some(client),
            kind: kind.as_str().to_string(),
            status: "open".into(),
            key_version: version,
            contact: Some(contact),
            details: Some(sealed_details),
            received_at: received,
            due_at: answer_due(received),
            extended_due_at: None,
            extension_reason: None,
            completed_at: None,
            completed_by: None,
            outcome: None,
        };
        let lang = Language::parse(&tenant.language).unwrap_or_default();
        let t = texts(lang);
        let due = day(row.due_at);
        let received_day = day(received);
        let inbox = self.link(&format!("/app/requests/{id}"));
        let pairs = [
            ("business", tenant.name.as_str()),
            ("kind", kind.as_str()),
            ("received", received_day.as_str()),
            ("due", due.as_str()),
            ("link", inbox.as_str()),
        ];
        repo::insert_request(&tx, &row).await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(AuditActor::Client, "data_request.received")
                .on("client", client)
                .detail(kind.as_str()),
        )
        .await?;
        self.enqueue_sealed_mail(
            &tx,
            &keyring,
            &email,
            Message {
                subject: fill(t.received_subject, &pairs),
                body: fill(t.received_body, &pairs),
            },
            None,
        )
        .await?;
        for owner in crate::mail::owner_emails(&tx, &scope).await? {
            self.enqueue_mail(
                &tx,
                Some(tenant.id),
                &owner,
                Message {
                    subject: fill(t.owner_subject, &pairs),
                    body: fill(t.owner_body, &pairs),
                },
            )
            .await?;
        }
        commit(tx).await?;
        self.wake_mail();
        open_request(&keyring, row)
    }

    fn require_request_handler(principal: &Principal) -> AppResult<()> {
        principal.require(
            principal.user_id().is_some() && matches!(principal.role(), Role::Owner | Role::Admin)
                || matches!(principal.actor, crate::auth::Actor::ApiKey { .. })
                    && principal.allows(
                        termino_domain::scope::Area::Clients,
                        termino_domain::scope::Access::Write,
                    ),
            "only the owner, an admin or a key with clients:write handles data requests",
        )
    }

    /// The inbox: open requests first, soonest deadline first.
    pub async fn data_requests(&self, principal: &Principal) -> AppResult<Vec<DataRequest>> {
        Self::require_request_handler(principal)?;
        let scope = principal.tenant;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let tx = self.db().begin_tenant(&scope).await?;
        let rows = repo::requests(&tx, &scope).await?;
        commit(tx).await?;
        rows.into_iter()
            .map(|r| open_request(&keyring, r))
            .collect()
    }

    pub async fn data_request(&self, principal: &Principal, id: Uuid) -> AppResult<DataRequest> {
        Self::require_request_handler(principal)?;
        let scope = principal.tenant;
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = repo::request(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        open_request(&keyring, row)
    }

    /// Art. 12(3): up to two more months, decided and told to the client
    /// within the first month.
    pub async fn extend_data_request(
        &self,
        principal: &Principal,
        id: Uuid,
        months: u32,
        reason: &str,
    ) -> AppResult<DataRequest> {
        let request = self.data_request(principal, id).await?;
        if request.status != "open" {
            return Err(AppError::Conflict {
                kind: ConflictKind::RequestClosed,
                field: None,
                message: "this request has been answered".into(),
            });
        }
        if request.extended_due_at.is_some() {
            return Err(AppError::Conflict {
                kind: ConflictKind::AlreadyExtended,
                field: None,
                message: "this request has already been extended".into(),
            });
        }
        let now = self.now();
        if now > request.due_at {
            return Err(AppError::Conflict {
                kind: ConflictKind::ExtensionTooLate,
                field: None,
                message: "an extension must be decided and told within the first month".into(),
            });
        }
        let until = extended_due(request.received_at, months)
            .ok_or_else(|| AppError::invalid("months", "out_of_range", "must be 1 or 2"))?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "required",
                "the client must be told why",
            ));
        }
        if reason.chars().count() > 1000 {
            return Err(AppError::invalid(
                "reason",
                "too_long",
                "must be at most 1000 characters",
            ));
        }
        let scope = principal.tenant;
        let tenant = self.business(principal).await?;
        let t = texts(Language::parse(&tenant.language).unwrap_or_default());
        let due = day(until);
        let pairs = [
            ("business", tenant.name.as_str()),
            ("kind", request.kind.as_str()),
            ("due", due.as_str()),
            ("reason", reason),
        ];
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        if !repo::extend_request(&tx, &scope, id, until, reason).await? {
            return Err(AppError::NotFound);
        }
        if let Some(contact) = &request.contact {
            self.enqueue_sealed_mail(
                &tx,
                &keyring,
                contact,
                Message {
                    subject: fill(t.extended_subject, &pairs),
                    body: fill(t.extended_body, &pairs),
                },
                None,
            )
            .await?;
        }
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "data_request.extended")
                .on("data_request", id)
                .detail(format!("until {due}")),
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.data_request(principal, id).await
    }

    /// One action: do what was asked (or refuse with a reason), and tell
    /// the client. The contact address is forgotten afterwards.
    pub async fn complete_data_request(
        &self,
        principal: &Principal,
        id: Uuid,
        decision: Decision,
    ) -> AppResult<DataRequest> {
        let request = self.data_request(principal, id).await?;
        if request.status != "open" {
            return Err(AppError::Conflict {
                kind: ConflictKind::RequestClosed,
                field: None,
                message: "this request has been answered".into(),
            });
        }
        let scope = principal.tenant;
        let tenant = self.business(principal).await?;
        let t = texts(Language::parse(&tenant.language).unwrap_or_default());
        let actor = principal.audit_actor();
        let client = request.client_id.ok_or(AppError::NotFound)?;
        let pairs = [
            ("business", tenant.name.as_str()),
            ("kind", request.kind.as_str()),
        ];
        let mut attachment = None;
        let (status, outcome, body) = match &decision {
            Decision::Refuse(reason) => {
                let reason = reason.trim();
                if reason.is_empty() {
                    return Err(AppError::invalid(
                        "reason",
                        "required",
                        "the client must be told why",
                    ));
                }
                let mut p = pairs.to_vec();
                p.push(("reason", reason));
                (
                    "refused",
                    format!("refused: {reason}"),
                    fill(t.refused_body, &p),
                )
            }
            Decision::Complete => {
                match request.kind {
                    RequestKind::Access => {
                        let export = self.client_export(&scope, client).await?;
                        let json =
                            serde_json::to_vec_pretty(&export).map_err(anyhow::Error::from)?;
                        attachment = Some(Attachment {
                            filename: "your-data.json".into(),
                            content_type: "application/json".into(),
                            content: json,
                        });
                        self.audit(
                            &scope,
                            AuditEvent::new(actor, "client.exported").on("client", client),
                        )
                        .await?;
                    }
                    RequestKind::Rectification => {
                        let d = request.details.clone().unwrap_or_default();
                        if d.name.is_some() || d.phone.is_some() {
                            let patch = ClientPatch {
                                name: d.name.clone(),
                                phone: d.phone.clone().map(Some),
                                ..ClientPatch::default()
                            };
                            self.update_client(principal, client, patch).await?;
                        }
                    }
                    RequestKind::Erasure => {
                        self.erase_client_record(
                            &scope,
                            client,
                            AuditEvent::new(actor, "client.erased")
                                .on("client", client)
                                .detail("data-subject request"),
                        )
                        .await?;
                        if let Some(contact) = &request.contact {
                            self.forget_mail_to(scope.id(), contact).await?;
                        }
                    }
                    RequestKind::Restriction => {
                        let tx = self.db().begin_tenant(&scope).await?;
                        client_repo::bump_revision(&tx, &scope).await?;
                        if !repo::set_client_restricted(
                            &tx,
                            &scope,
                            client,
                            Some(self.now().trunc_subsecs(6)),
                        )
                        .await?
                        {
                            return Err(AppError::NotFound);
                        }
                        self.audit_in(
                            &tx,
                            &scope,
                            AuditEvent::new(actor, "client.restricted").on("client", client),
                        )
                        .await?;
                        commit(tx).await?;
                    }
                    RequestKind::Objection => {
                        self.withdraw_consents(principal, client, false).await?;
                    }
                    // Withdrawing consent withdraws it for text messages too.
                    RequestKind::Withdrawal => {
                        self.withdraw_consents(principal, client, true).await?;
                    }
                }
                (
                    "completed",
                    request.kind.as_str().to_string(),
                    fill(outcome_text(t, request.kind), &pairs),
                )
            }
        };
        let tx = self.db().begin_tenant(&scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        if !repo::complete_request(
            &tx,
            &scope,
            id,
            status,
            self.now().trunc_subsecs(6),
            principal.user_id(),
            &outcome,
        )
        .await?
        {
            return Err(AppError::NotFound);
        }
        if let Some(contact) = &request.contact {
            self.enqueue_sealed_mail(
                &tx,
                &keyring,
                contact,
                Message {
                    subject: fill(t.done_subject, &pairs),
                    body,
                },
                attachment,
            )
            .await?;
        }
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(actor, "data_request.completed")
                .on("data_request", id)
                .detail(status),
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.data_request(principal, id).await
    }

    /// Marketing consent off (and, with `sms`, the consent to text
    /// messages), whatever the restriction: stopping a use is always
    /// allowed, and it is one write.
    async fn withdraw_consents(
        &self,
        principal: &Principal,
        client: Uuid,
        sms: bool,
    ) -> AppResult<()> {
        let patch = ClientPatch {
            marketing_consent: Some(false),
            sms_consent: sms.then_some(false),
            ..ClientPatch::default()
        };
        self.change_client(principal, client, patch, true)
            .await
            .map(|_| ())
    }

    /// Everything about one client (Arts. 15 and 20): the record, their
    /// bookings with what was booked, payments, requests, and who looked at
    /// their data. Nothing about any other client.
    pub async fn client_export(&self, scope: &TenantScope, client: Uuid) -> AppResult<Value> {
        let record = self.client_in(scope, client).await?;
        let ClientRecord::Readable(c) = record else {
            return Err(AppError::Conflict {
                kind: ConflictKind::KeysDestroyed,
                field: None,
                message: "this client's data can no longer be read".into(),
            });
        };
        let keyring = self.keys().for_read(scope.id(), None, self.now()).await?;
        let tx = self.db().begin_tenant(scope).await?;
        let tenant = tenants::get(&tx, scope).await?.ok_or(AppError::NotFound)?;
        let services: BTreeMap<Uuid, String> = scheduling::services(&tx, scope, false)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let staff: BTreeMap<Uuid, String> = scheduling::staff(&tx, scope, false)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let rows = scheduling::bookings(
            &tx,
            scope,
            &BookingFilter {
                client_id: Some(client),
                limit: 100_000,
                ..BookingFilter::default()
            },
        )
        .await?;
        let mut bookings = Vec::new();
        for row in &rows {
            let b = self.open_booking(&keyring, row);
            let paid: Vec<Value> = payments::for_booking(&tx, scope, b.id)
                .await?
                .into_iter()
                .map(|p| {
                    json!({"provider": p.provider, "amount_minor": p.amount_minor,
                    "currency": p.currency, "status": p.status, "refund_minor": p.refund_minor,
                    "created_at": p.created_at})
                })
                .collect();
            bookings.push(json!({
                "id": b.id,
                "service": services.get(&b.service_id),
                "with": staff.get(&b.staff_id),
                "status": b.status.as_str(),
                "starts_at": b.starts_at, "ends_at": b.ends_at, "time_zone": b.client_zone,
                "notes": b.notes, "cancelled_by": b.cancelled_by, "cancel_reason": b.cancel_reason,
                "created_at": b.created_at, "payments": paid,
            }));
        }
        let requests: Vec<Value> = repo::requests(&tx, scope)
            .await?
            .into_iter()
            .filter(|r| r.client_id == Some(client))
            .map(|r| {
                json!({"kind": r.kind, "status": r.status, "received_at": r.received_at,
                "completed_at": r.completed_at})
            })
            .collect();
        let accesses: Vec<Value> = repo::audit_chain(&tx, scope.id())
            .await?
            .into_iter()
            .filter(|e| e.target_kind.as_deref() == Some("client") && e.target_id == Some(client))
            .map(|e| json!({"at": e.at, "by": e.actor_kind, "action": e.action}))
            .collect();
        commit(tx).await?;
        Ok(json!({
            "format": "termino-subject-export-v1",
            "exported_at": self.now(),
            "controller": {"name": tenant.name, "booking_page": self.link(&format!("/b/{}", tenant.slug))},
            "processor": "Termino",
            "you": client_json(&c),
            "bookings": bookings,
            "requests": requests,
            "accesses": accesses,
        }))
    }
}

fn client_json(c: &Client) -> Value {
    json!({
        "name": c.name, "email": c.email, "phone": c.phone, "notes": c.notes,
        "date_of_birth": c.date_of_birth, "custom_fields": c.custom_fields,
        "marketing_consent": c.marketing_consent, "processing_restricted_since": c.restricted_at,
        "created_at": c.created_at, "updated_at": c.updated_at,
    })
}
