//! Who is calling: sessions (cookie) and API keys (bearer), log-in with
//! throttling, log-out. Every authenticated call ends in a [`Principal`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use termino_domain::account::Role;
use termino_domain::contact::EmailAddress;
use termino_domain::scope::{Access, Area, Scopes};
use termino_store::repo::{accounts, api_keys, tenants};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::kv::Taken;
use crate::secret::{new_token, opaque_key, token_hash, verify_password};
use crate::{App, AppError, AppResult};

/// The tenant an authenticated call acts for, and who acts.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant: TenantScope,
    pub tenant_slug: String,
    pub actor: Actor,
}

#[derive(Debug, Clone)]
pub enum Actor {
    User {
        user_id: Uuid,
        role: Role,
        /// Must accompany every state-changing request made with the cookie.
        csrf_token: String,
    },
    ApiKey {
        key_id: Uuid,
        scopes: Scopes,
    },
    /// A Termino operator inside the business's time-limited support
    /// grant: reads only, every one in the business's audit log.
    Operator {
        operator_id: Uuid,
        grant_id: Uuid,
    },
}

impl Principal {
    /// What the caller may do. An API key acts with the admin's rights:
    /// everything but managing people and keys (scopes come later).
    pub fn role(&self) -> Role {
        match &self.actor {
            Actor::User { role, .. } => *role,
            Actor::ApiKey { .. } => Role::Admin,
            Actor::Operator { .. } => Role::Staff,
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match &self.actor {
            Actor::User { user_id, .. } => Some(*user_id),
            Actor::ApiKey { .. } | Actor::Operator { .. } => None,
        }
    }

    /// Whether the caller may read or write an area: people by their role
    /// (checked by each use case), keys by their scopes as well.
    pub fn allows(&self, area: Area, access: Access) -> bool {
        match &self.actor {
            Actor::User { .. } => true,
            Actor::ApiKey { scopes, .. } => scopes.allows(area, access),
            Actor::Operator { .. } => access == Access::Read,
        }
    }

    pub fn require(&self, allowed: bool, what: &'static str) -> AppResult<()> {
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(what))
        }
    }
}

/// What the key-value store keeps for a session. Ids only.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionRecord {
    user_id: Uuid,
    tenant_id: Uuid,
    csrf_token: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// A new session: the token goes into the cookie, never into storage.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub tenant_slug: String,
}

/// Where a log-in attempt came from, for throttling. Only a hash of the
/// address is kept.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
}

fn session_key(token: &str) -> String {
    format!("sess:{}", token_hash(token))
}

impl App {
    pub(crate) async fn open_session(
        &self,
        user_id: Uuid,
        tenant_id: Uuid,
        tenant_slug: String,
    ) -> AppResult<NewSession> {
        let token = new_token();
        let now = self.now();
        let record = SessionRecord {
            user_id,
            tenant_id,
            csrf_token: new_token(),
            created_at: now,
            last_seen_at: now,
        };
        self.store_session(&token, &record).await?;
        Ok(NewSession {
            token,
            csrf_token: record.csrf_token,
            tenant_slug,
        })
    }

    async fn store_session(&self, token: &str, record: &SessionRecord) -> AppResult<()> {
        let json = serde_json::to_string(record).map_err(anyhow::Error::from)?;
        self.kv()
            .set(&session_key(token), &json, self.config().session_idle)
            .await?;
        Ok(())
    }

    /// Resolves a session cookie. An unknown, expired or voided session is
    /// `Unauthenticated`, all alike.
    pub async fn authenticate_session(&self, token: &str) -> AppResult<Principal> {
        let key = session_key(token);
        let Some(json) = self.kv().get(&key).await? else {
            return Err(AppError::Unauthenticated);
        };
        let mut record: SessionRecord =
            serde_json::from_str(&json).map_err(|_| AppError::Unauthenticated)?;
        let now = self.now();
        let idle = chrono::Duration::from_std(self.config().session_idle).unwrap_or_default();
        let absolute =
            chrono::Duration::from_std(self.config().session_absolute).unwrap_or_default();
        if now - record.last_seen_at > idle || now - record.created_at > absolute {
            self.kv().delete(&key).await?;
            return Err(AppError::Unauthenticated);
        }
        let scope = TenantScope::authenticated(record.tenant_id);
        let tx = self.db().begin_tenant(&scope).await?;
        let user = accounts::find_user(&tx, record.user_id).await?;
        let membership = accounts::find_membership(&tx, &scope, record.user_id).await?;
        let tenant = tenants::get(&tx, &scope).await?;
        commit(tx).await?;
        let (Some(user), Some(membership), Some(tenant)) = (user, membership, tenant) else {
            self.kv().delete(&key).await?;
            return Err(AppError::Unauthenticated);
        };
        if record.created_at < user.sessions_valid_after {
            self.kv().delete(&key).await?;
            return Err(AppError::Unauthenticated);
        }
        let role = Role::parse(&membership.role)
            .map_err(|_| anyhow::anyhow!("stored role is not a role"))?;
        // Slide the idle window, but write at most once a minute.
        if now - record.last_seen_at > chrono::Duration::minutes(1) {
            record.last_seen_at = now;
            self.store_session(token, &record).await?;
        }
        Ok(Principal {
            tenant: scope,
            tenant_slug: tenant.slug,
            actor: Actor::User {
                user_id: user.id,
                role,
                csrf_token: record.csrf_token,
            },
        })
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        self.kv().delete(&session_key(token)).await?;
        Ok(())
    }

    /// Resolves `Authorization: Bearer <key>`.
    pub async fn authenticate_api_key(&self, key: &str) -> AppResult<Principal> {
        let hash = token_hash(key);
        let found = api_keys::find_active_by_hash(self.db().connection(), &hash).await?;
        let Some(found) = found else {
            return Err(AppError::Unauthenticated);
        };
        let scope = TenantScope::authenticated(found.tenant_id);
        let tx = self.db().begin_tenant(&scope).await?;
        let tenant = tenants::get(&tx, &scope).await?;
        // Last-used is shown to the business; a minute's precision is enough.
        if found
            .last_used_at
            .is_none_or(|t| self.now() - t > chrono::Duration::minutes(1))
        {
            api_keys::touch(&tx, &scope, found.id, self.now()).await?;
        }
        commit(tx).await?;
        let tenant = tenant.ok_or(AppError::Unauthenticated)?;
        Ok(Principal {
            tenant: scope,
            tenant_slug: tenant.slug,
            actor: Actor::ApiKey {
                key_id: found.id,
                scopes: Scopes::from_stored(&found.scopes),
            },
        })
    }

    /// Takes a log-in attempt (throttling), then checks the password. `business` picks one of the
    /// person's businesses by slug; without it, the oldest membership.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        business: Option<&str>,
        client: &ClientInfo,
    ) -> AppResult<NewSession> {
        // A malformed address cannot match an account; treat it the same.
        let email = EmailAddress::parse(email).ok();
        let account_key = email
            .as_ref()
            .map(|e| format!("throttle:login:acct:{}", opaque_key("email", e.as_str())));
        let ip_key = client
            .ip
            .as_ref()
            .map(|ip| format!("throttle:login:ip:{}", opaque_key("ip", ip)));
        let config = self.config();
        let limits = [
            (account_key.as_deref(), config.login_failures_per_account),
            (ip_key.as_deref(), config.login_failures_per_ip),
        ];
        self.take_attempts(&limits, config.login_window).await?;

        let user = match &email {
            Some(e) => accounts::find_user_by_email(self.db().connection(), e.as_str()).await?,
            None => None,
        };
        let hash = match &user {
            Some(u) => u.password_hash.clone(),
            None => crate::secret::dummy_hash().await,
        };
        let password_ok = verify_password(password.to_string(), hash).await;
        let user = match user {
            Some(u) if password_ok => u,
            _ => {
                // The attempts taken stay taken: they are the failure.
                tracing::info!(event = "login_failed", "log-in refused");
                return Err(AppError::BadCredentials);
            }
        };

        let memberships = accounts::memberships_of_user(self.db().connection(), user.id).await?;
        let chosen = match business {
            Some(slug) => memberships.into_iter().find(|(_, t)| t.slug == slug),
            None => memberships.into_iter().next(),
        };
        let Some((_, tenant)) = chosen else {
            // A person whose last membership was removed has nowhere to go.
            return Err(AppError::BadCredentials);
        };
        // The right password clears the account's failures and gives the
        // address its attempt back.
        if let Some(key) = &account_key {
            self.kv().delete(key).await?;
        }
        if let Some(key) = &ip_key {
            self.kv().give_back(key).await?;
        }
        tracing::info!(event = "login", user_id = %user.id, tenant_id = %tenant.id, "logged in");
        self.audit(
            &TenantScope::authenticated(tenant.id),
            crate::audit::AuditEvent::new(crate::audit::AuditActor::User(user.id), "login"),
        )
        .await?;
        self.open_session(user.id, tenant.id, tenant.slug).await
    }

    /// Takes one attempt under each limit before a password is checked.
    /// Each take is one atomic counter update that decides, so parallel
    /// guesses can never get more verdicts than the limit; a failed
    /// attempt keeps what it took, and a refusal gives back what it took.
    pub(crate) async fn take_attempts(
        &self,
        limits: &[(Option<&str>, u64)],
        window: Duration,
    ) -> AppResult<()> {
        let mut taken = Vec::new();
        for (key, limit) in limits {
            let Some(key) = key else { continue };
            if let Taken::No { retry_after_secs } = self.kv().take(key, *limit, window).await? {
                for key in taken {
                    self.kv().give_back(key).await?;
                }
                return Err(AppError::Throttled { retry_after_secs });
            }
            taken.push(*key);
        }
        Ok(())
    }
}
