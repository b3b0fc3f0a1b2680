//! Precise errors from the database layer. A unique-constraint violation is
//! reported with the constraint's name, so the application can say what it
//! means ("slug taken") instead of failing with a 500.

use sea_orm::{DbErr, RuntimeErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not connect to the database at {url}")]
    Connect {
        url: String,
        #[source]
        source: DbErr,
    },
    #[error("unique constraint {0} violated")]
    Unique(String),
    /// A PostgreSQL exclusion constraint (two bookings overlapping).
    #[error("exclusion constraint {0} violated")]
    Exclusion(String),
    #[error("database error")]
    Db(#[source] DbErr),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if let Some(name) = unique_violation(&err) {
            return StoreError::Unique(name);
        }
        if let Some(name) = exclusion_violation(&err) {
            return StoreError::Exclusion(name);
        }
        StoreError::Db(err)
    }
}

impl StoreError {
    /// Whether this is a violation of the named unique constraint (PostgreSQL
    /// names it; SQLite names the columns, so callers pass both spellings).
    pub fn is_unique(&self, names: &[&str]) -> bool {
        matches!(self, StoreError::Unique(n) if names.iter().any(|x| n.contains(x)))
    }
}

fn unique_violation(err: &DbErr) -> Option<String> {
    let runtime = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    let db_err = runtime.as_database_error()?;
    if !db_err.is_unique_violation() {
        return None;
    }
    // PostgreSQL gives the constraint name; SQLite only the message
    // ("UNIQUE constraint failed: tenants.slug").
    Some(
        db_err
            .constraint()
            .map(str::to_string)
            .unwrap_or_else(|| db_err.message().to_string()),
    )
}

fn exclusion_violation(err: &DbErr) -> Option<String> {
    let runtime = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    let db_err = runtime.as_database_error()?;
    // 23P01: exclusion_violation.
    (db_err.code().as_deref() == Some("23P01"))
        .then(|| db_err.constraint().unwrap_or("exclusion").to_string())
}
