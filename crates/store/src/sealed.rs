//! The registry of sealed columns: every column that holds a value sealed
//! under a business's data key, with how its row is named and how the
//! value is stored. Key rotation, the export, the purge and the tests all
//! read this one list, so a new sealed column is one entry here and cannot
//! be forgotten by any of them. The app seals and opens only through an
//! entry (`Keyring::seal`), which also names what the value is bound to.

use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult, Value};
use uuid::Uuid;

use crate::repo::compliance::stmt;
use crate::{StoreError, TenantScope};

/// How a sealed value sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The sealed bytes (a binary column).
    Bytes,
    /// Standard base64 of the sealed bytes (a text column).
    Base64,
    /// A JSON object in a text column: the sealed value is standard base64
    /// at `field`, bound to the row whose id is at `row_field`.
    JsonBase64 {
        field: &'static str,
        row_field: &'static str,
    },
}

/// How a table's rows are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKey {
    /// A uuid column; the value is bound to that id.
    Uuid(&'static str),
    /// A text column (the value names its row itself, see `JsonBase64`).
    Text(&'static str),
    /// The business's own row (`tenants`): bound to the business's id.
    Tenant,
}

/// One sealed column.
#[derive(Debug, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The table and column names the value is bound to (its authenticated
    /// data); where they differ from where it is stored, the value was
    /// sealed for another place and is kept here as a copy.
    pub bound_table: &'static str,
    pub bound_column: &'static str,
    pub encoding: Encoding,
    pub nullable: bool,
}

/// A table with sealed columns.
#[derive(Debug)]
pub struct SealedTable {
    pub table: &'static str,
    /// The column naming the business.
    pub tenant_column: &'static str,
    pub key: RowKey,
    /// Only rows where this boolean column is true hold ciphertext.
    pub only_where: Option<&'static str>,
    /// A column naming the key version of the whole row, kept in step.
    pub version_column: Option<&'static str>,
    pub columns: &'static [&'static SealedColumn],
}

const fn bytes(table: &'static str, column: &'static str, nullable: bool) -> SealedColumn {
    SealedColumn {
        table,
        column,
        bound_table: table,
        bound_column: column,
        encoding: Encoding::Bytes,
        nullable,
    }
}

const fn base64(table: &'static str, column: &'static str) -> SealedColumn {
    SealedColumn {
        encoding: Encoding::Base64,
        ..bytes(table, column, false)
    }
}

pub static CLIENT_NAME: SealedColumn = bytes("clients", "name", false);
pub static CLIENT_EMAIL: SealedColumn = bytes("clients", "email", true);
pub static CLIENT_PHONE: SealedColumn = bytes("clients", "phone", true);
pub static CLIENT_NOTES: SealedColumn = bytes("clients", "notes", true);
pub static CLIENT_DATE_OF_BIRTH: SealedColumn = bytes("clients", "date_of_birth", true);
pub static CLIENT_CUSTOM_FIELDS: SealedColumn = bytes("clients", "custom_fields", true);
pub static CLIENT_MARKETING_CONSENT: SealedColumn = bytes("clients", "marketing_consent", false);
/// None on clients from before SMS: no consent.
pub static CLIENT_SMS_CONSENT: SealedColumn = bytes("clients", "sms_consent", true);
/// `pl` or `en`; none on clients from before: the business's language.
pub static CLIENT_LANGUAGE: SealedColumn = bytes("clients", "language", true);
pub static BOOKING_NOTES: SealedColumn = bytes("bookings", "notes", true);
pub static BOOKING_CANCEL_REASON: SealedColumn = bytes("bookings", "cancel_reason", true);
/// The manage token kept with its booking, for the links in reminders.
pub static BOOKING_TOKEN: SealedColumn = bytes("bookings", "manage_token", true);
/// A new booking's manage token, remembered (sealed as the booking's) with
/// its idempotency key so that a retry gets it back.
pub static BOOKING_MANAGE_TOKEN: SealedColumn = SealedColumn {
    table: "idempotency_keys",
    column: "body",
    bound_table: "bookings",
    bound_column: "manage_token",
    encoding: Encoding::JsonBase64 {
        field: "token",
        row_field: "booking_id",
    },
    nullable: false,
};
pub static WEBHOOK_SECRET: SealedColumn = bytes("webhook_endpoints", "secret", false);
/// Empty once erasure found it unreadable.
pub static WEBHOOK_PAYLOAD: SealedColumn = bytes("webhook_deliveries", "payload", false);
pub static MAIL_RECIPIENT: SealedColumn = base64("mail_outbox", "recipient");
pub static MAIL_SUBJECT: SealedColumn = base64("mail_outbox", "subject");
/// Empty once sent.
pub static MAIL_BODY: SealedColumn = base64("mail_outbox", "body_text");
pub static MAIL_ATTACHMENT: SealedColumn = bytes("mail_outbox", "attachment", true);
pub static REQUEST_CONTACT: SealedColumn = bytes("data_requests", "contact", true);
pub static REQUEST_DETAILS: SealedColumn = bytes("data_requests", "details", true);
pub static TPAY_CREDENTIALS: SealedColumn = bytes("tenants", "tpay_credentials", true);
/// A staff member's secret iCal address (it reads their whole calendar).
pub static EXTERNAL_CALENDAR_URL: SealedColumn = bytes("external_calendars", "url", false);
pub static SMS_PHONE: SealedColumn = bytes("sms_messages", "phone", false);
/// Dropped once sent.
pub static SMS_BODY: SealedColumn = bytes("sms_messages", "body", true);

/// Every table with sealed columns.
pub static TABLES: &[SealedTable] = &[
    SealedTable {
        table: "clients",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: Some("key_version"),
        columns: &[
            &CLIENT_NAME,
            &CLIENT_EMAIL,
            &CLIENT_PHONE,
            &CLIENT_NOTES,
            &CLIENT_DATE_OF_BIRTH,
            &CLIENT_CUSTOM_FIELDS,
            &CLIENT_MARKETING_CONSENT,
            &CLIENT_SMS_CONSENT,
            &CLIENT_LANGUAGE,
        ],
    },
    SealedTable {
        table: "bookings",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: None,
        columns: &[&BOOKING_NOTES, &BOOKING_CANCEL_REASON, &BOOKING_TOKEN],
    },
    SealedTable {
        table: "idempotency_keys",
        tenant_column: "tenant_id",
        key: RowKey::Text("key"),
        only_where: None,
        version_column: None,
        columns: &[&BOOKING_MANAGE_TOKEN],
    },
    SealedTable {
        table: "external_calendars",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: None,
        columns: &[&EXTERNAL_CALENDAR_URL],
    },
    SealedTable {
        table: "webhook_endpoints",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: None,
        columns: &[&WEBHOOK_SECRET],
    },
    SealedTable {
        table: "webhook_deliveries",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: None,
        columns: &[&WEBHOOK_PAYLOAD],
    },
    SealedTable {
        table: "mail_outbox",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: Some("sealed"),
        version_column: None,
        columns: &[&MAIL_RECIPIENT, &MAIL_SUBJECT, &MAIL_BODY, &MAIL_ATTACHMENT],
    },
    SealedTable {
        table: "sms_messages",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: None,
        columns: &[&SMS_PHONE, &SMS_BODY],
    },
    SealedTable {
        table: "data_requests",
        tenant_column: "tenant_id",
        key: RowKey::Uuid("id"),
        only_where: None,
        version_column: Some("key_version"),
        columns: &[&REQUEST_CONTACT, &REQUEST_DETAILS],
    },
    SealedTable {
        table: "tenants",
        tenant_column: "id",
        key: RowKey::Tenant,
        only_where: None,
        version_column: None,
        columns: &[&TPAY_CREDENTIALS],
    },
];

/// Columns that hold values sealed under a secret of Termino's own (not a
/// business's key): they are not rotated with a business's key.
pub static SERVER_SEALED: &[(&str, &str, &str)] = &[(
    "idempotency_keys",
    "key",
    "a booking form's token (sealed under the public-form secret) is its idempotency key",
)];

/// The table entry a column belongs to.
pub fn table_of(column: &SealedColumn) -> Option<&'static SealedTable> {
    TABLES.iter().find(|t| t.table == column.table)
}

/// A stored value as the column holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Bytes(Vec<u8>),
    Text(String),
}

impl Stored {
    fn value(&self) -> Value {
        match self {
            Stored::Bytes(b) => b.clone().into(),
            Stored::Text(t) => t.clone().into(),
        }
    }
}

/// A row's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowId {
    Uuid(Uuid),
    Text(String),
}

impl RowId {
    fn value(&self) -> Value {
        match self {
            RowId::Uuid(u) => (*u).into(),
            RowId::Text(t) => t.clone().into(),
        }
    }
}

/// One row's sealed values, in the order of its table's `columns`.
#[derive(Debug, Clone)]
pub struct SealedRow {
    pub tenant: Uuid,
    pub id: RowId,
    pub values: Vec<Option<Stored>>,
}

fn key_column(table: &SealedTable) -> &'static str {
    match table.key {
        RowKey::Uuid(c) | RowKey::Text(c) => c,
        RowKey::Tenant => table.tenant_column,
    }
}

fn read_row(table: &SealedTable, tenant: Uuid, r: &QueryResult) -> Result<SealedRow, StoreError> {
    let id = match table.key {
        RowKey::Uuid(c) => RowId::Uuid(r.try_get("", c)?),
        RowKey::Text(c) => RowId::Text(r.try_get("", c)?),
        RowKey::Tenant => RowId::Uuid(tenant),
    };
    let values = table
        .columns
        .iter()
        .map(|c| {
            Ok(match c.encoding {
                Encoding::Bytes => r
                    .try_get::<Option<Vec<u8>>>("", c.column)?
                    .map(Stored::Bytes),
                _ => r.try_get::<Option<String>>("", c.column)?.map(Stored::Text),
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok(SealedRow { tenant, id, values })
}

/// A page of a business's rows of `table`, by row name, after `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    table: &SealedTable,
    after: Option<&RowId>,
    limit: u64,
) -> Result<Vec<SealedRow>, StoreError> {
    let key = key_column(table);
    let columns: Vec<&str> = table.columns.iter().map(|c| c.column).collect();
    let mut sql = format!(
        "SELECT {key} AS {key}, {} FROM {} WHERE {} = $1",
        columns.join(", "),
        table.table,
        table.tenant_column
    );
    let mut values: Vec<Value> = vec![scope.id().into()];
    if let Some(flag) = table.only_where {
        values.push(true.into());
        sql.push_str(&format!(" AND {flag} = ${}", values.len()));
    }
    if let Some(after) = after {
        values.push(after.value());
        sql.push_str(&format!(" AND {key} > ${}", values.len()));
    }
    sql.push_str(&format!(" ORDER BY {key} LIMIT {limit}"));
    let rows = db.query_all_raw(stmt(db, &sql, values)).await?;
    rows.iter()
        .map(|r| read_row(table, scope.id(), r))
        .collect()
}

/// Replaces the values of one row that changed (`new[i]` is `Some` for
/// those), only if each still holds what was read (`old`); true when it
/// did. With a version column, it names `version` afterwards.
pub async fn replace(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    table: &SealedTable,
    old: &SealedRow,
    new: &[Option<Stored>],
    version: i32,
) -> Result<bool, StoreError> {
    let mut sets = Vec::new();
    let mut checks = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    let mut check_values: Vec<Value> = Vec::new();
    for ((column, before), after) in table.columns.iter().zip(&old.values).zip(new) {
        let (Some(before), Some(after)) = (before, after) else {
            continue;
        };
        values.push(after.value());
        sets.push(format!("{} = ${}", column.column, values.len()));
        checks.push(column.column);
        check_values.push(before.value());
    }
    if sets.is_empty() {
        return Ok(false);
    }
    if let Some(v) = table.version_column {
        values.push(version.into());
        sets.push(format!("{v} = ${}", values.len()));
    }
    let mut sql = format!("UPDATE {} SET {}", table.table, sets.join(", "));
    values.push(scope.id().into());
    sql.push_str(&format!(
        " WHERE {} = ${}",
        table.tenant_column,
        values.len()
    ));
    if !matches!(table.key, RowKey::Tenant) {
        values.push(old.id.value());
        sql.push_str(&format!(" AND {} = ${}", key_column(table), values.len()));
    }
    for (column, before) in checks.into_iter().zip(check_values) {
        values.push(before);
        sql.push_str(&format!(" AND {column} = ${}", values.len()));
    }
    let done = db.execute_raw(stmt(db, &sql, values)).await?;
    Ok(done.rows_affected() == 1)
}

/// A count of rows, as the tests and reports use it.
#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

/// How many of a business's rows a table holds (for progress reports).
pub async fn count(
    db: &impl ConnectionTrait,
    scope: &TenantScope,
    table: &SealedTable,
) -> Result<u64, StoreError> {
    let mut sql = format!(
        "SELECT COUNT(*) AS n FROM {} WHERE {} = $1",
        table.table, table.tenant_column
    );
    let mut values: Vec<Value> = vec![scope.id().into()];
    if let Some(flag) = table.only_where {
        values.push(true.into());
        sql.push_str(&format!(" AND {flag} = $2"));
    }
    let row = db.query_one_raw(stmt(db, &sql, values)).await?;
    let n = match row {
        Some(r) => Count::from_query_result(&r, "")?.n,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_in_its_table_entry_once() {
        let mut seen = Vec::new();
        for t in TABLES {
            for c in t.columns {
                assert_eq!(c.table, t.table, "{} listed under {}", c.column, t.table);
                assert!(
                    !seen.contains(&(c.table, c.column)),
                    "{}.{} twice",
                    c.table,
                    c.column
                );
                seen.push((c.table, c.column));
                assert!(table_of(c).is_some());
            }
        }
    }
}
