//! API keys: shown once, stored as a hash, revocable.

use chrono::{DateTime, Utc};
use termino_domain::business::validate_company_name;
use termino_domain::scope::Scopes;
use termino_store::repo::{api_keys, tenants};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::audit::{AuditActor, AuditEvent};
use crate::auth::Principal;
use crate::secret::{new_token, token_hash};
use crate::{App, AppError, AppResult};

const KEY_PREFIX: &str = "tmk_";

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub scopes: Scopes,
    /// The first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key just created: the only time its secret is seen.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

impl From<api_keys::ApiKey> for ApiKey {
    fn from(row: api_keys::ApiKey) -> Self {
        Self {
            id: row.id,
            name: row.name,
            scopes: Scopes::from_stored(&row.scopes),
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

impl App {
    /// `scopes` empty means every scope.
    pub async fn create_api_key(
        &self,
        principal: &Principal,
        name: &str,
        scopes: &[String],
    ) -> AppResult<CreatedApiKey> {
        self.check_writable(principal).await?;
        // People manage keys; a key never makes or revokes keys.
        principal.require(
            principal.role().can_manage_api_keys() && principal.user_id().is_some(),
            "managing API keys",
        )?;
        self.insert_api_key(principal.tenant, principal.user_id(), name, scopes)
            .await
    }

    /// `termino api-key create --tenant <slug>`.
    pub async fn create_api_key_for_slug(
        &self,
        slug: &str,
        name: &str,
        scopes: &[String],
    ) -> AppResult<CreatedApiKey> {
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        self.insert_api_key(TenantScope::authenticated(tenant.id), None, name, scopes)
            .await
    }

    async fn insert_api_key(
        &self,
        scope: TenantScope,
        created_by: Option<Uuid>,
        name: &str,
        scopes: &[String],
    ) -> AppResult<CreatedApiKey> {
        let name = validate_company_name(name)
            .map_err(|p| AppError::invalid("name", p.code, p.message))?;
        let scopes = if scopes.is_empty() {
            Scopes::all()
        } else {
            Scopes::parse_list(scopes)
                .map_err(|p| AppError::invalid("scopes", p.code, p.message))?
        };
        let secret = format!("{KEY_PREFIX}{}", new_token());
        let tx = self.db().begin_tenant(&scope).await?;
        let row = api_keys::insert(
            &tx,
            &scope,
            api_keys::ApiKey {
                tenant_id: scope.id(),
                id: Uuid::now_v7(),
                name,
                prefix: secret.chars().take(12).collect(),
                key_hash: token_hash(&secret),
                created_by,
                created_at: self.now(),
                last_used_at: None,
                revoked_at: None,
                scopes: scopes.to_stored(),
            },
        )
        .await?;
        let actor = match created_by {
            Some(user) => AuditActor::User(user),
            None => AuditActor::System,
        };
        self.audit_in(
            &tx,
            &scope,
            AuditEvent::new(actor, "api_key.created")
                .on("api_key", row.id)
                .detail(row.scopes.clone()),
        )
        .await?;
        commit(tx).await?;
        tracing::info!(event = "api_key_created", tenant_id = %scope.id(), api_key_id = %row.id, "API key created");
        Ok(CreatedApiKey {
            key: row.into(),
            secret,
        })
    }

    pub async fn api_keys(&self, principal: &Principal) -> AppResult<Vec<ApiKey>> {
        // People manage keys; a key never makes or revokes keys.
        principal.require(
            principal.role().can_manage_api_keys() && principal.user_id().is_some(),
            "managing API keys",
        )?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let rows = api_keys::list(&tx, &principal.tenant).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(ApiKey::from).collect())
    }

    pub async fn revoke_api_key(&self, principal: &Principal, id: Uuid) -> AppResult<ApiKey> {
        self.check_writable(principal).await?;
        // People manage keys; a key never makes or revokes keys.
        principal.require(
            principal.role().can_manage_api_keys() && principal.user_id().is_some(),
            "managing API keys",
        )?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let row = api_keys::revoke(&tx, &principal.tenant, id, self.now()).await?;
        if row.is_some() {
            self.audit_in(
                &tx,
                &principal.tenant,
                AuditEvent::new(principal.audit_actor(), "api_key.revoked").on("api_key", id),
            )
            .await?;
        }
        commit(tx).await?;
        let row = row.ok_or(AppError::NotFound)?;
        tracing::info!(event = "api_key_revoked", tenant_id = %principal.tenant.id(), api_key_id = %id, "API key revoked");
        Ok(row.into())
    }
}
