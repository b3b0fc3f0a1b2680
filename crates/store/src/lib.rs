//! The only crate that talks SQL. Tenant-owned tables are reached through a
//! [`TenantScope`]; there is no function here that reads or writes one
//! without it. On PostgreSQL, a tenant transaction also switches to the
//! row-level-security role, so a missing filter still sees nothing foreign.

pub mod entities;
mod error;
pub mod repo;
pub mod sealed;
#[cfg(test)]
mod testing;

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

pub use error::StoreError;
pub use sea_orm::DatabaseTransaction as Tx;

/// The tenant a unit of work belongs to. Made only by the application layer
/// after it has authenticated the caller (session, API key or public slug).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantScope {
    id: Uuid,
}

impl TenantScope {
    /// The caller has proven the right to act for this tenant.
    pub fn authenticated(id: Uuid) -> Self {
        Self { id }
    }

    pub fn id(&self) -> Uuid {
        self.id
    }
}

/// A connection pool to the main database (or the key store).
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    system: SystemConnection,
    /// Statements run on this pool: lets tests see N+1 query patterns.
    queries: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The pool as the application uses it outside a transaction of its own:
/// on the main PostgreSQL database each statement runs in a transaction of
/// its own as the system role, never as the owner of the schema (row-level
/// security is forced, so the owner would see no business's rows).
#[derive(Clone)]
pub struct SystemConnection {
    conn: DatabaseConnection,
    /// Whether transactions switch roles: the main database on PostgreSQL.
    roles: bool,
}

impl SystemConnection {
    async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        let tx = self.begin_plain().await?;
        if self.roles {
            tx.execute_unprepared(&format!(
                "SELECT set_config('role', '{}', true)",
                termino_migrations::rls::SYSTEM_ROLE
            ))
            .await?;
        }
        Ok(tx)
    }

    async fn begin_tenant(&self, scope: &TenantScope) -> Result<DatabaseTransaction, DbErr> {
        if !self.roles {
            return self.begin_plain().await;
        }
        let tx = self.begin_plain().await?;
        // The shared sealing lock first, before any row lock: see
        // [`lock_sealing`].
        let (class, key) = sealing_lock(scope);
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('termino.tenant_id', $1, true), set_config('role', $2, true), \
             pg_advisory_xact_lock_shared($3, $4)",
            [
                scope.id().to_string().into(),
                termino_migrations::rls::TENANT_ROLE.into(),
                class.into(),
                key.into(),
            ],
        ))
        .await?;
        Ok(tx)
    }

    async fn begin_plain(&self) -> Result<DatabaseTransaction, DbErr> {
        self.conn
            .begin_with_options(TransactionOptions {
                isolation_level: None,
                access_mode: None,
                // SQLite: take the write lock up front, so two writers queue
                // on the busy timeout instead of deadlocking on upgrade.
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            })
            .await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for SystemConnection {
    fn get_database_backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<sea_orm::ExecResult, DbErr> {
        if !self.roles {
            return self.conn.execute_raw(stmt).await;
        }
        let tx = self.begin().await?;
        let result = tx.execute_raw(stmt).await?;
        tx.commit().await?;
        Ok(result)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        if !self.roles {
            return self.conn.execute_unprepared(sql).await;
        }
        let tx = self.begin().await?;
        let result = tx.execute_unprepared(sql).await?;
        tx.commit().await?;
        Ok(result)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        if !self.roles {
            return self.conn.query_one_raw(stmt).await;
        }
        let tx = self.begin().await?;
        let result = tx.query_one_raw(stmt).await?;
        tx.commit().await?;
        Ok(result)
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        if !self.roles {
            return self.conn.query_all_raw(stmt).await;
        }
        let tx = self.begin().await?;
        let result = tx.query_all_raw(stmt).await?;
        tx.commit().await?;
        Ok(result)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend())
            .finish()
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The SQLite URL for a file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Database {
    /// The main database: on PostgreSQL every transaction runs as the
    /// tenant or the system role (see [`SystemConnection`]).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::open(url, true).await
    }

    /// The key store: a database of its own, without the main database's
    /// roles.
    pub async fn connect_keystore(url: &str) -> Result<Self, StoreError> {
        Self::open(url, false).await
    }

    async fn open(url: &str, roles: bool) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.to_string());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(10));
        if url.starts_with("sqlite:") {
            // WAL lets readers proceed during a write; the busy timeout makes
            // concurrent writers queue instead of failing.
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(15))
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(16);
        }
        let mut conn = sea_orm::Database::connect(options)
            .await
            .map_err(|source| StoreError::Connect {
                url: redact_url(url),
                source,
            })?;
        let queries = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = queries.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        let system = SystemConnection {
            roles: roles && conn.get_database_backend() == DbBackend::Postgres,
            conn: conn.clone(),
        };
        Ok(Self {
            conn,
            system,
            queries,
        })
    }

    /// Statements run so far on this pool.
    pub fn query_count(&self) -> u64 {
        self.queries.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// The pool's open connections and how many of them are idle.
    pub fn pool_connections(&self) -> (u32, u32) {
        match self.backend() {
            DbBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            DbBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            _ => (0, 0),
        }
    }

    /// For statements outside a transaction of the caller's own.
    pub fn connection(&self) -> &SystemConnection {
        &self.system
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.conn.ping().await.map_err(StoreError::from)
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }

    /// A transaction for global work (sign-up, log-in, look-ups by token,
    /// the workers), as the system role.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(self.system.begin().await?)
    }

    /// A transaction that can see only one tenant's rows (on PostgreSQL
    /// row-level security holds it to them, whatever a query says).
    pub async fn begin_tenant(&self, scope: &TenantScope) -> Result<Tx, StoreError> {
        Ok(self.system.begin_tenant(scope).await?)
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        use termino_migrations::{Migrator, MigratorTrait};
        Migrator::up(&self.conn, None)
            .await
            .map_err(StoreError::from)
    }

    /// The key store is a database of its own with its own migrations.
    pub async fn migrate_keystore(&self) -> Result<(), StoreError> {
        use termino_migrations::MigratorTrait;
        use termino_migrations::keystore::KeystoreMigrator;
        KeystoreMigrator::up(&self.conn, None)
            .await
            .map_err(StoreError::from)
    }
}

/// The advisory lock that keeps sealing under a business's key and the
/// end of its key rotation apart.
fn sealing_lock(scope: &TenantScope) -> (i32, i32) {
    let b = scope.id().into_bytes();
    // "seal"; two businesses sharing the second half only wait for each other.
    (
        0x7365_616c,
        i32::from_be_bytes([b[12], b[13], b[14], b[15]]),
    )
}

/// Sealing under a business's key and the last pass of its key rotation
/// exclude each other, so that no value sealed under an old version lands
/// after the rotation checked that none is left. On PostgreSQL every
/// tenant transaction holds a shared advisory lock from its start (and
/// [`share_sealing_lock`] takes it in a global transaction that seals); the
/// rotation tries for it exclusively and never waits in line for it, so it
/// cannot queue ahead of a transaction that already holds it. On SQLite
/// every transaction holds the database's write lock, which excludes as
/// much. False while someone holds it (try again).
pub async fn try_lock_sealing(tx: &Tx, scope: &TenantScope) -> Result<bool, StoreError> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let (class, key) = sealing_lock(scope);
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1, $2) AS locked",
            [class.into(), key.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get::<bool>("", "locked")).transpose()? == Some(true))
}

/// The shared side of [`lock_sealing`], for a transaction not begun with
/// [`Database::begin_tenant`] that seals under the business's key.
pub async fn share_sealing_lock(tx: &Tx, scope: &TenantScope) -> Result<(), StoreError> {
    if tx.get_database_backend() == DbBackend::Postgres {
        let (class, key) = sealing_lock(scope);
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock_shared($1, $2)",
            [class.into(), key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Commit, mapping the error.
pub async fn commit(tx: DatabaseTransaction) -> Result<(), StoreError> {
    tx.commit().await.map_err(StoreError::from)
}
