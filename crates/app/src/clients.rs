//! A business's clients. Every personal field is encrypted under the
//! tenant's data key before it leaves this module; e-mail and phone also get
//! blind indexes for exact look-up. Listing and search decrypt in the app,
//! over a per-process cache keyed by the business's client revision.

use crate::ConflictKind;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use termino_crypto::CryptoError;
use termino_domain::ValidationErrors;
use termino_domain::business::Language;
use termino_domain::contact::{EmailAddress, PhoneNumber};
use termino_store::repo::clients::{self as repo, ClientRow};
use termino_store::sealed::{self, SealedColumn};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::auth::Principal;
use crate::keys::Keyring;
use crate::{App, AppError, AppResult};

const TABLE: &str = "clients";
pub const MAX_NAME: usize = 200;
pub const MAX_NOTES: usize = 5_000;
pub const MAX_CUSTOM_FIELDS: usize = 20;
pub const MAX_CUSTOM_KEY: usize = 50;
pub const MAX_CUSTOM_VALUE: usize = 500;

/// A client as the business sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub custom_fields: BTreeMap<String, String>,
    pub marketing_consent: bool,
    /// Text messages (SMS reminders) may be sent to the phone.
    pub sms_consent: bool,
    /// The language the client reads; none on clients from before (then
    /// the business's).
    pub language: Option<Language>,
    /// Processing restricted at the client's request (Art. 18).
    pub restricted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What can be said of a stored client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRecord {
    Readable(Client),
    /// The business's keys were destroyed: the data is gone for good.
    Erased {
        id: Uuid,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    },
    /// The stored value does not decrypt where it is (altered or moved).
    Damaged {
        id: Uuid,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    },
}

impl ClientRecord {
    pub fn id(&self) -> Uuid {
        match self {
            ClientRecord::Readable(c) => c.id,
            ClientRecord::Erased { id, .. } | ClientRecord::Damaged { id, .. } => *id,
        }
    }
}

/// The fields of a new client.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub custom_fields: BTreeMap<String, String>,
    pub marketing_consent: bool,
    pub sms_consent: bool,
    /// None: the business's language.
    pub language: Option<Language>,
}

/// The consents a client gives with a booking.
#[derive(Debug, Clone, Copy, Default)]
pub struct Consents {
    pub marketing: bool,
    /// To text messages (reminders) at the phone given.
    pub sms: bool,
}

/// A partial update; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub date_of_birth: Option<Option<NaiveDate>>,
    pub custom_fields: Option<BTreeMap<String, String>>,
    pub marketing_consent: Option<bool>,
    pub sms_consent: Option<bool>,
    pub language: Option<Language>,
}

/// The decrypted clients of a business at one moment.
pub struct ClientSnapshot(Arc<CachedClients>);

impl ClientSnapshot {
    pub fn get(&self, id: Uuid) -> Option<&ClientRecord> {
        self.0
            .records
            .binary_search_by(|(r, _)| r.id().cmp(&id))
            .ok()
            .map(|at| &self.0.records[at].0)
    }
}

/// A page of clients, oldest first; `next` continues after the last one.
#[derive(Debug, Clone)]
pub struct ClientPage {
    pub items: Vec<ClientRecord>,
    pub next: Option<Uuid>,
}

/// Decrypted clients of one business at one revision, with each readable
/// client's lower-cased search text.
pub(crate) struct CachedClients {
    revision: i64,
    records: Vec<(ClientRecord, String)>,
}

impl CachedClients {
    pub(crate) fn records(&self) -> &[(ClientRecord, String)] {
        &self.records
    }
}

#[derive(Default)]
pub(crate) struct ClientCache {
    by_tenant: Mutex<HashMap<Uuid, Arc<CachedClients>>>,
}

/// Validated, normalised values ready to encrypt.
struct ValidClient {
    name: String,
    /// Normalised: lower-case e-mail, E.164 phone.
    email: Option<String>,
    phone: Option<String>,
    notes: Option<String>,
    date_of_birth: Option<NaiveDate>,
    custom_fields: BTreeMap<String, String>,
    marketing_consent: bool,
    sms_consent: bool,
    language: Option<Language>,
}

fn validate(c: NewClient, today: NaiveDate) -> Result<ValidClient, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = c.name.trim().to_string();
    if name.is_empty() {
        errors.add("name", "required", "must not be empty");
    } else if name.chars().count() > MAX_NAME {
        errors.add(
            "name",
            "too_long",
            format!("must be at most {MAX_NAME} characters"),
        );
    } else if name.chars().any(char::is_control) {
        errors.add(
            "name",
            "invalid_chars",
            "must not contain control characters",
        );
    }
    let email = c
        .email
        .filter(|e| !e.trim().is_empty())
        .and_then(|e| errors.check("email", EmailAddress::parse(&e)))
        .map(|e| e.as_str().to_string());
    let phone = c
        .phone
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| errors.check("phone", PhoneNumber::parse(&p, Some("PL"))))
        .map(|p| p.as_str().to_string());
    let notes = c.notes.filter(|n| !n.trim().is_empty());
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTES)
    {
        errors.add(
            "notes",
            "too_long",
            format!("must be at most {MAX_NOTES} characters"),
        );
    }
    if let Some(born) = c.date_of_birth {
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        if born > today || born < earliest {
            errors.add(
                "date_of_birth",
                "out_of_range",
                "must be between 1900-01-01 and today",
            );
        }
    }
    if c.custom_fields.len() > MAX_CUSTOM_FIELDS {
        errors.add(
            "custom_fields",
            "too_many",
            format!("at most {MAX_CUSTOM_FIELDS} custom fields"),
        );
    }
    for (k, v) in &c.custom_fields {
        if k.trim().is_empty() || k.chars().count() > MAX_CUSTOM_KEY {
            errors.add(
                &format!("custom_fields.{k}"),
                "invalid_key",
                format!("a field name has 1 to {MAX_CUSTOM_KEY} characters"),
            );
        } else if v.chars().count() > MAX_CUSTOM_VALUE {
            errors.add(
                &format!("custom_fields.{k}"),
                "too_long",
                format!("must be at most {MAX_CUSTOM_VALUE} characters"),
            );
        }
    }
    errors.into_result()?;
    Ok(ValidClient {
        name,
        email,
        phone,
        notes,
        date_of_birth: c.date_of_birth,
        custom_fields: c.custom_fields,
        marketing_consent: c.marketing_consent,
        sms_consent: c.sms_consent,
        language: c.language,
    })
}

/// Encrypts one row's fields under the keyring's active key.
fn seal_row(
    keyring: &Keyring,
    id: Uuid,
    v: &ValidClient,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> AppResult<(ClientRow, i64)> {
    let version = keyring.active.ok_or_else(keys_destroyed)?;
    let indexer = keyring.indexer().ok_or_else(keys_destroyed)?;
    let tenant = keyring.tenant;
    let mut count = 0;
    let mut seal = |column: &SealedColumn, plain: &[u8]| {
        count += 1;
        keyring.seal(column, id, plain)
    };
    let custom = serde_json::to_vec(&v.custom_fields).map_err(anyhow::Error::from)?;
    let row = ClientRow {
        tenant_id: tenant,
        id,
        key_version: version as i32,
        name: seal(&sealed::CLIENT_NAME, v.name.as_bytes())?,
        email: v
            .email
            .as_ref()
            .map(|e| seal(&sealed::CLIENT_EMAIL, e.as_bytes()))
            .transpose()?,
        phone: v
            .phone
            .as_ref()
            .map(|p| seal(&sealed::CLIENT_PHONE, p.as_bytes()))
            .transpose()?,
        notes: v
            .notes
            .as_ref()
            .map(|n| seal(&sealed::CLIENT_NOTES, n.as_bytes()))
            .transpose()?,
        date_of_birth: v
            .date_of_birth
            .map(|d| seal(&sealed::CLIENT_DATE_OF_BIRTH, d.to_string().as_bytes()))
            .transpose()?,
        custom_fields: (!v.custom_fields.is_empty())
            .then(|| seal(&sealed::CLIENT_CUSTOM_FIELDS, &custom))
            .transpose()?,
        marketing_consent: seal(
            &sealed::CLIENT_MARKETING_CONSENT,
            if v.marketing_consent { b"1" } else { b"0" },
        )?,
        // Sealed either way, so the row does not tell who consented.
        sms_consent: Some(seal(
            &sealed::CLIENT_SMS_CONSENT,
            if v.sms_consent { b"1" } else { b"0" },
        )?),
        language: v
            .language
            .map(|l| seal(&sealed::CLIENT_LANGUAGE, l.code().as_bytes()))
            .transpose()?,
        email_index: v.email.as_ref().map(|e| indexer.index(TABLE, "email", e)),
        phone_index: v.phone.as_ref().map(|p| indexer.index(TABLE, "phone", p)),
        restricted_at: None,
        created_at,
        updated_at,
    };
    Ok((row, count))
}

fn open_row(keyring: &Keyring, row: &ClientRow) -> ClientRecord {
    match open_fields(keyring, row) {
        Ok(client) => ClientRecord::Readable(client),
        Err(CryptoError::KeyUnavailable(_)) if keyring.is_destroyed() => ClientRecord::Erased {
            id: row.id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
        Err(_) => {
            tracing::error!(event = "client_undecryptable", tenant_id = %row.tenant_id, client_id = %row.id, "a client record does not decrypt");
            ClientRecord::Damaged {
                id: row.id,
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
        }
    }
}

fn open_fields(keyring: &Keyring, row: &ClientRow) -> Result<Client, CryptoError> {
    let open = |column: &SealedColumn, stored: &[u8]| -> Result<String, CryptoError> {
        let plain = keyring.open(column, row.id, stored)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Integrity)
    };
    let opt =
        |column: &SealedColumn, stored: &Option<Vec<u8>>| -> Result<Option<String>, CryptoError> {
            stored.as_deref().map(|s| open(column, s)).transpose()
        };
    Ok(Client {
        id: row.id,
        name: open(&sealed::CLIENT_NAME, &row.name)?,
        email: opt(&sealed::CLIENT_EMAIL, &row.email)?,
        phone: opt(&sealed::CLIENT_PHONE, &row.phone)?,
        notes: opt(&sealed::CLIENT_NOTES, &row.notes)?,
        date_of_birth: opt(&sealed::CLIENT_DATE_OF_BIRTH, &row.date_of_birth)?
            .map(|d| d.parse().map_err(|_| CryptoError::Integrity))
            .transpose()?,
        custom_fields: opt(&sealed::CLIENT_CUSTOM_FIELDS, &row.custom_fields)?
            .map(|j| serde_json::from_str(&j).map_err(|_| CryptoError::Integrity))
            .transpose()?
            .unwrap_or_default(),
        marketing_consent: open(&sealed::CLIENT_MARKETING_CONSENT, &row.marketing_consent)? == "1",
        sms_consent: opt(&sealed::CLIENT_SMS_CONSENT, &row.sms_consent)?.as_deref() == Some("1"),
        language: opt(&sealed::CLIENT_LANGUAGE, &row.language)?
            .map(|l| Language::parse(&l).map_err(|_| CryptoError::Integrity))
            .transpose()?,
        restricted_at: row.restricted_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The language a client's mail and texts are written in: theirs, or the
/// business's for clients from before it was kept.
pub(crate) fn client_language(
    keyring: &Keyring,
    row: Option<&ClientRow>,
    business: &termino_store::repo::tenants::Tenant,
) -> Language {
    row.and_then(|r| keyring.open_text(&sealed::CLIENT_LANGUAGE, r.id, r.language.as_deref()?))
        .and_then(|l| Language::parse(&l).ok())
        .unwrap_or_else(|| Language::parse(&business.language).unwrap_or_default())
}

/// Name and contact details of a client, for webhooks that carry them.
pub(crate) fn contact_json(c: &Client) -> serde_json::Value {
    serde_json::json!({"id": c.id, "name": c.name, "email": c.email, "phone": c.phone})
}

/// Art. 18: a restricted client's data is kept, not changed or used.
pub(crate) fn check_not_restricted(row: &ClientRow) -> AppResult<()> {
    if row.restricted_at.is_some() {
        return Err(AppError::Conflict {
            kind: ConflictKind::ProcessingRestricted,
            field: None,
            message: "this client asked to restrict the processing of their data; it is kept but cannot be changed or used until the restriction is lifted".into(),
        });
    }
    Ok(())
}

fn keys_destroyed() -> AppError {
    AppError::Conflict {
        kind: ConflictKind::KeysDestroyed,
        field: None,
        message: "this business's client data has been erased; no client can be written".into(),
    }
}

fn duplicate(field: &'static str) -> AppError {
    AppError::Conflict {
        kind: ConflictKind::ClientExists,
        field: Some(field),
        message: format!("another client already has this {field}"),
    }
}

/// Decrypts rows in order, in parallel chunks when there are many.
fn open_all(keyring: &Keyring, rows: &[ClientRow]) -> Vec<(ClientRecord, String)> {
    let open = |row: &ClientRow| {
        let record = open_row(keyring, row);
        let text = search_text(&record);
        (record, text)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || rows.len() < 2_000 {
        return rows.iter().map(open).collect();
    }
    let chunk = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(open).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

fn search_text(record: &ClientRecord) -> String {
    match record {
        ClientRecord::Readable(c) => {
            let mut s = c.name.to_lowercase();
            for part in [&c.email, &c.phone, &c.notes].into_iter().flatten() {
                s.push('\n');
                s.push_str(&part.to_lowercase());
            }
            s
        }
        _ => String::new(),
    }
}

impl App {
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Every client of a business, decrypted; from this process's cache
    /// while the business's client revision is unchanged.
    /// A client's contact details read in `tx`, for an event's payload.
    pub(crate) async fn client_contact(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        id: Uuid,
    ) -> AppResult<Option<serde_json::Value>> {
        let row = repo::get(tx, scope, id).await?;
        Ok(row
            .and_then(|r| open_fields(keyring, &r).ok())
            .map(|c| contact_json(&c)))
    }

    pub(crate) async fn decrypted_clients(
        &self,
        scope: &TenantScope,
    ) -> AppResult<Arc<CachedClients>> {
        let tx = self.db().begin_tenant(scope).await?;
        let revision = repo::revision(&tx, scope).await?;
        let hit = self
            .inner
            .clients
            .by_tenant
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&scope.id())
            .filter(|c| c.revision == revision)
            .cloned();
        if let Some(hit) = hit {
            commit(tx).await?;
            return Ok(hit);
        }
        let rows = repo::all(&tx, scope).await?;
        commit(tx).await?;
        // A new revision may mean rotated or destroyed keys: ask the store.
        let keyring = self.inner.keys.load(scope.id(), self.now()).await?;
        // Decrypting a large client list is CPU work: off the async
        // workers, spread over the cores.
        let records = tokio::task::spawn_blocking(move || open_all(&keyring, &rows))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("decrypting clients: {e}")))?;
        let cached = Arc::new(CachedClients { revision, records });
        self.inner
            .clients
            .by_tenant
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(scope.id(), cached.clone());
        Ok(cached)
    }

    /// Lists clients, oldest first, optionally filtered by a search over
    /// name, e-mail, phone and notes.
    pub async fn clients(
        &self,
        principal: &Principal,
        query: Option<&str>,
        after: Option<Uuid>,
        limit: usize,
    ) -> AppResult<ClientPage> {
        let all = self.decrypted_clients(&principal.tenant).await?;
        let needle = query
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        let start = match after {
            // Ids are UUIDv7 and the list is in id order: continue after it,
            // even if that client was deleted meanwhile.
            Some(after) => all.records.partition_point(|(r, _)| r.id() <= after),
            None => 0,
        };
        let limit = limit.clamp(1, 200);
        let mut items: Vec<ClientRecord> = all.records[start..]
            .iter()
            .filter(|(_, text)| needle.as_ref().is_none_or(|n| text.contains(n.as_str())))
            .take(limit + 1)
            .map(|(r, _)| r.clone())
            .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(ClientRecord::id)
        } else {
            None
        };
        // The search text is personal data: the log keeps only how many.
        let detail = format!(
            "{} shown{}",
            items.len(),
            if needle.is_some() { ", searched" } else { "" }
        );
        self.audit_read(principal, "clients.listed", None, Some(detail))
            .await?;
        Ok(ClientPage { items, next })
    }

    /// Every client as of now, to look many up without further queries
    /// (GraphQL's DataLoader keeps one per request).
    pub async fn client_snapshot(&self, principal: &Principal) -> AppResult<ClientSnapshot> {
        let all = self.decrypted_clients(&principal.tenant).await?;
        self.audit_read(
            principal,
            "clients.listed",
            None,
            Some("names shown with bookings".into()),
        )
        .await?;
        Ok(ClientSnapshot(all))
    }

    pub async fn client(&self, principal: &Principal, id: Uuid) -> AppResult<ClientRecord> {
        let record = self.client_in(&principal.tenant, id).await?;
        self.audit_read(principal, "client.read", Some(("client", id)), None)
            .await?;
        Ok(record)
    }

    pub(crate) async fn client_in(&self, scope: &TenantScope, id: Uuid) -> AppResult<ClientRecord> {
        let all = self.decrypted_clients(scope).await?;
        let at = all
            .records
            .binary_search_by(|(r, _)| r.id().cmp(&id))
            .map_err(|_| AppError::NotFound)?;
        Ok(all.records[at].0.clone())
    }

    pub async fn create_client(
        &self,
        principal: &Principal,
        input: NewClient,
    ) -> AppResult<Client> {
        let valid = validate(input, self.today())?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        self.check_processing(&tx, &scope).await?;
        let (client, version, count) = self.insert_client_in(&tx, &scope, valid).await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(principal.audit_actor(), "client.created").on("client", client.id),
        )
        .await?;
        commit(tx).await?;
        self.after_encrypting(scope.id(), version, count);
        Ok(client)
    }

    /// Inserts in the caller's transaction, which has already passed
    /// `check_processing`; the caller commits and then calls
    /// `after_encrypting` with the version and count returned.
    async fn insert_client_in(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        mut valid: ValidClient,
    ) -> AppResult<(Client, u32, i64)> {
        let now = self.now();
        if valid.language.is_none() {
            let business = termino_store::repo::tenants::get(tx, scope)
                .await?
                .ok_or(AppError::NotFound)?;
            valid.language = Some(Language::parse(&business.language).unwrap_or_default());
        }
        let id = Uuid::now_v7();
        // Locks the business's row: client writes of one business queue.
        repo::bump_revision(tx, scope).await?;
        let keyring = self.sealing_keys(tx, scope).await?;
        let (row, count) = seal_row(&keyring, id, &valid, now, now)?;
        self.check_duplicates(tx, scope, &row, None).await?;
        let row = repo::insert(tx, scope, row)
            .await
            .map_err(unique_to_duplicate)?;
        tracing::info!(event = "client_created", tenant_id = %scope.id(), client_id = %id, "client created");
        let client = open_fields(&keyring, &row).map_err(|_| {
            AppError::Internal(anyhow::anyhow!("a client just written does not decrypt"))
        })?;
        self.emit(
            tx,
            scope,
            &keyring,
            "client.created",
            serde_json::json!({"id": id}),
            Some(contact_json(&client)),
        )
        .await?;
        Ok((client, row.key_version as u32, count))
    }

    async fn check_duplicates(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        row: &ClientRow,
        except: Option<Uuid>,
    ) -> AppResult<()> {
        let found = repo::find_by_index(
            tx,
            scope,
            row.email_index.as_deref(),
            row.phone_index.as_deref(),
        )
        .await?;
        for other in found.iter().filter(|o| Some(o.id) != except) {
            if other.email_index.is_some() && other.email_index == row.email_index {
                return Err(duplicate("email"));
            }
            if other.phone_index.is_some() && other.phone_index == row.phone_index {
                return Err(duplicate("phone"));
            }
        }
        Ok(())
    }

    pub async fn update_client(
        &self,
        principal: &Principal,
        id: Uuid,
        patch: ClientPatch,
    ) -> AppResult<Client> {
        self.change_client(principal, id, patch, false).await
    }

    /// `stops_use`: the change only stops a use (marketing consent off),
    /// which Art. 18 allows even while processing is restricted.
    pub(crate) async fn change_client(
        &self,
        principal: &Principal,
        id: Uuid,
        patch: ClientPatch,
        stops_use: bool,
    ) -> AppResult<Client> {
        self.change_client_as(
            principal.tenant,
            principal.audit_actor(),
            id,
            patch,
            stops_use,
            false,
        )
        .await
    }

    /// `always`: the change only stops a use and comes from the client
    /// (a STOP reply), so it is made whatever the business's standing.
    pub(crate) async fn change_client_as(
        &self,
        scope: TenantScope,
        actor: crate::audit::AuditActor,
        id: Uuid,
        patch: ClientPatch,
        stops_use: bool,
        always: bool,
    ) -> AppResult<Client> {
        let current = match self.client_in(&scope, id).await? {
            ClientRecord::Readable(c) => c,
            _ => return Err(keys_destroyed()),
        };
        let merged = NewClient {
            name: patch.name.unwrap_or(current.name),
            email: patch.email.unwrap_or(current.email),
            phone: patch.phone.unwrap_or(current.phone),
            notes: patch.notes.unwrap_or(current.notes),
            date_of_birth: patch.date_of_birth.unwrap_or(current.date_of_birth),
            custom_fields: patch.custom_fields.unwrap_or(current.custom_fields),
            marketing_consent: patch.marketing_consent.unwrap_or(current.marketing_consent),
            sms_consent: patch.sms_consent.unwrap_or(current.sms_consent),
            language: patch.language.or(current.language),
        };
        let valid = validate(merged, self.today())?;
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        if !always {
            self.check_processing(&tx, &scope).await?;
        }
        repo::bump_revision(&tx, &scope).await?;
        let existing = repo::get(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !stops_use {
            check_not_restricted(&existing)?;
        }
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let (row, count) = seal_row(&keyring, id, &valid, existing.created_at, now)?;
        self.check_duplicates(&tx, &scope, &row, Some(id)).await?;
        let row = repo::replace(&tx, &scope, row)
            .await
            .map_err(unique_to_duplicate)?;
        let client = open_fields(&keyring, &row).map_err(|_| {
            AppError::Internal(anyhow::anyhow!("a client just written does not decrypt"))
        })?;
        self.emit(
            &tx,
            &scope,
            &keyring,
            "client.updated",
            serde_json::json!({"id": id}),
            Some(contact_json(&client)),
        )
        .await?;
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(actor, "client.updated").on("client", id),
        )
        .await?;
        commit(tx).await?;
        self.after_encrypting(scope.id(), row.key_version as u32, count);
        tracing::info!(event = "client_updated", tenant_id = %scope.id(), client_id = %id, "client updated");
        Ok(client)
    }

    /// The business's clients with this phone (E.164), by its blind index.
    pub(crate) async fn clients_with_phone(
        &self,
        scope: &TenantScope,
        e164: &str,
    ) -> AppResult<Vec<Uuid>> {
        let tx = self.db().begin_tenant(scope).await?;
        let keyring = self.sealing_keys(&tx, scope).await?;
        let Some(indexer) = keyring.indexer() else {
            commit(tx).await?;
            return Ok(Vec::new());
        };
        let index = indexer.index(TABLE, "phone", e164);
        let found = repo::find_by_index(&tx, scope, None, Some(&index)).await?;
        commit(tx).await?;
        Ok(found
            .into_iter()
            .filter(|r| r.phone_index.as_deref() == Some(index.as_str()))
            .map(|r| r.id)
            .collect())
    }

    pub async fn delete_client(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        let scope = principal.tenant;
        let event = AuditEvent::new(principal.audit_actor(), "client.deleted").on("client", id);
        self.delete_client_in_scope(&scope, id, false, event).await
    }

    /// A client removed for good with their bookings (the business's
    /// retention rule; erasure requests): payments stay as records.
    pub(crate) async fn erase_client_record(
        &self,
        scope: &TenantScope,
        id: Uuid,
        event: AuditEvent,
    ) -> AppResult<()> {
        self.delete_client_in_scope(scope, id, true, event).await
    }

    async fn delete_client_in_scope(
        &self,
        scope: &TenantScope,
        id: Uuid,
        with_bookings: bool,
        event: AuditEvent,
    ) -> AppResult<()> {
        let scope = *scope;
        let tx = self.db().begin_tenant(&scope).await?;
        repo::bump_revision(&tx, &scope).await?;
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let deleted = repo::delete(&tx, &scope, id).await?;
        if !deleted {
            return Err(AppError::NotFound);
        }
        if with_bookings {
            termino_store::repo::compliance::delete_client_bookings(&tx, &scope, id).await?;
        }
        self.forget_client_in_webhooks(&tx, &scope, &keyring, id)
            .await?;
        self.audit_in(&tx, &scope, event).await?;
        self.emit(
            &tx,
            &scope,
            &keyring,
            "client.deleted",
            serde_json::json!({"id": id}),
            None,
        )
        .await?;
        commit(tx).await?;
        tracing::info!(event = "client_deleted", tenant_id = %scope.id(), client_id = %id, "client deleted");
        Ok(())
    }

    /// For the booking flow: the client with this e-mail (or, failing that,
    /// this phone), created if there is none. Look-up is by blind index, so
    /// differently written addresses and numbers find the same client.
    pub async fn find_or_create_client(
        &self,
        scope: &TenantScope,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> AppResult<(Uuid, bool)> {
        let tx = self.db().begin_tenant(scope).await?;
        self.check_processing(&tx, scope).await?;
        let found = self
            .find_or_create_client_in(&tx, scope, name, email, phone, Consents::default(), None)
            .await?;
        commit(tx).await?;
        if let Some((version, count)) = found.2 {
            self.after_encrypting(scope.id(), version, count);
        }
        Ok((found.0, found.1))
    }

    /// In the caller's transaction (a booking and its new client commit
    /// together). Returns the id, whether it was created, and what to count.
    #[allow(clippy::too_many_arguments)] // what a booking form gives of its client
    pub(crate) async fn find_or_create_client_in(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        consents: Consents,
        language: Option<Language>,
    ) -> AppResult<(Uuid, bool, Option<(u32, i64)>)> {
        let valid = validate(
            NewClient {
                name: name.to_string(),
                email: email.map(str::to_string),
                phone: phone.map(str::to_string),
                // A known client keeps what they chose before; changing a
                // consent is a data-subject request, not a booking.
                marketing_consent: consents.marketing,
                sms_consent: consents.sms,
                language,
                ..NewClient::default()
            },
            self.today(),
        )?;
        // Serialises with other client writes of the business first, so
        // two bookings by one new client cannot both create it.
        repo::bump_revision(tx, scope).await?;
        let keyring = self.sealing_keys(tx, scope).await?;
        let indexer = keyring.indexer().ok_or_else(keys_destroyed)?;
        let email_index = valid
            .email
            .as_ref()
            .map(|e| indexer.index(TABLE, "email", e));
        let phone_index = valid
            .phone
            .as_ref()
            .map(|p| indexer.index(TABLE, "phone", p));
        let found =
            repo::find_by_index(tx, scope, email_index.as_deref(), phone_index.as_deref()).await?;
        let by_email = found
            .iter()
            .find(|r| r.email_index.is_some() && r.email_index == email_index);
        let by_phone = found
            .iter()
            .find(|r| r.phone_index.is_some() && r.phone_index == phone_index);
        if let Some(existing) = by_email.or(by_phone) {
            check_not_restricted(existing)?;
            let counted = self
                .returning_client(tx, scope, &keyring, existing, consents.sms, language)
                .await?;
            return Ok((existing.id, false, counted));
        }
        let (client, version, count) = self.insert_client_in(tx, scope, valid).await?;
        Ok((client.id, true, Some((version, count))))
    }
}

impl App {
    /// A known client booking again: a ticked SMS consent is recorded (an
    /// unticked box withdraws nothing: that is a request of its own), and
    /// the language they booked in becomes theirs. The row is sealed anew
    /// only when something changed.
    async fn returning_client(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        keyring: &Keyring,
        existing: &ClientRow,
        sms_consent: bool,
        language: Option<Language>,
    ) -> AppResult<Option<(u32, i64)>> {
        let Ok(current) = open_fields(keyring, existing) else {
            return Ok(None);
        };
        let consent_given = sms_consent && !current.sms_consent;
        let language_changed = language.is_some_and(|l| current.language != Some(l));
        if !consent_given && !language_changed {
            return Ok(None);
        }
        let valid = ValidClient {
            name: current.name,
            email: current.email,
            phone: current.phone,
            notes: current.notes,
            date_of_birth: current.date_of_birth,
            custom_fields: current.custom_fields,
            marketing_consent: current.marketing_consent,
            sms_consent: current.sms_consent || sms_consent,
            language: language.or(current.language),
        };
        let (row, count) = seal_row(
            keyring,
            existing.id,
            &valid,
            existing.created_at,
            self.now(),
        )?;
        let row = repo::replace(tx, scope, row).await?;
        if consent_given {
            tracing::info!(event = "client_sms_consent_given", tenant_id = %scope.id(), client_id = %row.id, "a returning client consented to text messages");
        }
        Ok(Some((row.key_version as u32, count)))
    }
}

fn unique_to_duplicate(e: termino_store::StoreError) -> AppError {
    if e.is_unique(&["clients_email_index_key", "clients.email_index"]) {
        duplicate("email")
    } else if e.is_unique(&["clients_phone_index_key", "clients.phone_index"]) {
        duplicate("phone")
    } else {
        e.into()
    }
}
