//! What a business offers and when: services, staff, working hours, days
//! off and closures.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use termino_domain::ValidationErrors;
use termino_domain::business::TimeZone;
use termino_domain::schedule::{DayOverride, LocalInterval, WeeklyHours};
use termino_store::repo::scheduling::{self as repo, ClosureRow, ServiceRow, StaffRow};
use termino_store::repo::{accounts, tenants};
use termino_store::{TenantScope, commit};
use uuid::Uuid;

use crate::auth::Principal;
use crate::{App, AppError, AppResult};

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A service as given by the business (create and full update).
#[derive(Debug, Clone)]
pub struct ServiceInput {
    pub name: String,
    pub description: String,
    pub duration_min: i64,
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_min: i64,
    pub buffer_after_min: i64,
    pub min_notice_min: i64,
    pub max_advance_days: i64,
    pub step_min: i64,
    pub capacity: i64,
    pub requires_approval: bool,
    pub active: bool,
    pub staff_ids: Vec<Uuid>,
    /// `none`, `deposit` (with an amount or a percentage) or `full`.
    pub payment_mode: String,
    pub deposit_minor: Option<i64>,
    pub deposit_percent: Option<i64>,
}

impl Default for ServiceInput {
    fn default() -> Self {
        Self {
            name: String::new(),
            description: String::new(),
            duration_min: 60,
            price_minor: 0,
            currency: "PLN".into(),
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 60,
            max_advance_days: 90,
            step_min: 15,
            capacity: 1,
            requires_approval: false,
            active: true,
            staff_ids: Vec::new(),
            payment_mode: "none".into(),
            deposit_minor: None,
            deposit_percent: None,
        }
    }
}

/// A service as the edges see it: what it is, what it costs, its booking
/// rules and who performs it.
#[derive(Debug, Clone)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub duration_min: i32,
    /// Integer minor units (grosze, cents).
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub min_notice_min: i32,
    pub max_advance_days: i32,
    pub step_min: i32,
    /// 1 = an appointment; more = a class with seats.
    pub capacity: i32,
    pub requires_approval: bool,
    /// `none`, `deposit` or `full`: what a client pays when booking.
    pub payment_mode: String,
    pub deposit_minor: Option<i64>,
    pub deposit_percent: Option<i32>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub staff_ids: Vec<Uuid>,
}

impl Service {
    pub(crate) fn new(row: ServiceRow, staff_ids: Vec<Uuid>) -> Self {
        Self {
            id: row.id,
            name: row.name,
            description: row.description,
            duration_min: row.duration_min,
            price_minor: row.price_minor,
            currency: row.currency,
            buffer_before_min: row.buffer_before_min,
            buffer_after_min: row.buffer_after_min,
            min_notice_min: row.min_notice_min,
            max_advance_days: row.max_advance_days,
            step_min: row.step_min,
            capacity: row.capacity,
            requires_approval: row.requires_approval,
            payment_mode: row.payment_mode,
            deposit_minor: row.deposit_minor,
            deposit_percent: row.deposit_percent,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            staff_ids,
        }
    }
}

/// Weekly hours as stored: seven lists, Monday first, of (start, end)
/// minutes after local midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWeek(pub Vec<Vec<(u16, u16)>>);

impl StoredWeek {
    pub fn to_weekly(&self) -> WeeklyHours {
        let mut days: [Vec<LocalInterval>; 7] = Default::default();
        for (i, day) in self.0.iter().enumerate().take(7) {
            days[i] = day
                .iter()
                .filter_map(|(s, e)| LocalInterval::new(*s, *e).ok())
                .collect();
        }
        WeeklyHours { days }
    }
}

#[derive(Debug, Clone)]
pub struct StaffInput {
    pub name: String,
    pub user_id: Option<Uuid>,
    /// Defaults to the business's zone.
    pub time_zone: Option<String>,
    pub active: bool,
}

/// A staff member as the edges see it, with their weekly hours.
#[derive(Debug, Clone)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    /// Their own log-in, if they have one.
    pub user_id: Option<Uuid>,
    pub time_zone: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub week: StoredWeek,
}

impl StaffMember {
    pub(crate) fn new(row: StaffRow) -> Self {
        Self {
            week: serde_json::from_str(&row.weekly_hours).unwrap_or_default(),
            id: row.id,
            name: row.name,
            user_id: row.user_id,
            time_zone: row.time_zone,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// "HH:MM" (or "24:00") to minutes after midnight.
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    if h > 24 || m > 59 || (h == 24 && m != 0) || h.to_string().len() > 2 {
        return None;
    }
    Some(h * 60 + m)
}

pub fn format_clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Validates one day's intervals given as "HH:MM" pairs.
pub fn parse_intervals(
    field: &str,
    raw: &[(String, String)],
    errors: &mut ValidationErrors,
) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for (i, (s, e)) in raw.iter().enumerate() {
        let f = format!("{field}[{i}]");
        match (parse_clock(s), parse_clock(e)) {
            (Some(s), Some(e)) if s < e => out.push((s, e)),
            (Some(_), Some(_)) => {
                errors.add(&f, "end_before_start", "the end must be after the start")
            }
            _ => errors.add(&f, "invalid_time", "times are HH:MM, 00:00 to 24:00"),
        }
    }
    let mut sorted = out.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0].1 > w[1].0) {
        errors.add(field, "overlap", "intervals of one day must not overlap");
    }
    sorted
}

fn validate_service(input: &ServiceInput) -> Result<(), ValidationErrors> {
    let mut e = ValidationErrors::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        e.add("name", "invalid_length", "1 to 120 characters");
    } else if name.chars().any(char::is_control) {
        // A name is one line wherever it goes (mail subjects, calendars).
        e.add(
            "name",
            "invalid_chars",
            "must not contain control characters",
        );
    }
    if input.description.chars().count() > 2000 {
        e.add("description", "too_long", "at most 2,000 characters");
    }
    let ranges: [(&str, i64, i64, i64); 8] = [
        ("duration_min", input.duration_min, 5, 24 * 60),
        ("price_minor", input.price_minor, 0, 100_000_000),
        ("buffer_before_min", input.buffer_before_min, 0, 240),
        ("buffer_after_min", input.buffer_after_min, 0, 240),
        ("min_notice_min", input.min_notice_min, 0, 60 * 24 * 60),
        ("max_advance_days", input.max_advance_days, 1, 730),
        ("step_min", input.step_min, 5, 240),
        ("capacity", input.capacity, 1, 500),
    ];
    for (field, value, min, max) in ranges {
        if value < min || value > max {
            e.add(
                field,
                "out_of_range",
                format!("must be between {min} and {max}"),
            );
        }
    }
    match (
        input.payment_mode.as_str(),
        input.deposit_minor,
        input.deposit_percent,
    ) {
        ("none", None, None) => {}
        ("full", None, None) if input.price_minor > 0 => {}
        ("deposit", Some(amount), None) if amount >= 1 && amount <= input.price_minor => {}
        ("deposit", None, Some(pct)) if (1..=100).contains(&pct) && input.price_minor > 0 => {}
        ("none" | "full" | "deposit", _, _) => e.add(
            "payment_mode",
            "invalid_payment",
            "full needs a price; a deposit needs either deposit_minor (1 up to the price) or deposit_percent (1–100)",
        ),
        _ => e.add(
            "payment_mode",
            "invalid_payment",
            "one of none, deposit, full",
        ),
    }
    if input.currency.len() != 3 || !input.currency.chars().all(|c| c.is_ascii_uppercase()) {
        e.add(
            "currency",
            "invalid_currency",
            "an ISO 4217 code such as PLN or EUR",
        );
    }
    e.into_result()
}

impl App {
    fn require_manager(&self, principal: &Principal) -> AppResult<()> {
        principal.require(
            principal.role().can_edit_business_settings(),
            "changing services, staff and hours",
        )
    }

    async fn check_staff_exist(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        ids: &[Uuid],
    ) -> AppResult<()> {
        for id in ids {
            if repo::get_staff(tx, scope, *id).await?.is_none() {
                return Err(AppError::invalid(
                    "staff_ids",
                    "unknown_staff",
                    format!("no staff member {id} in this business"),
                ));
            }
        }
        Ok(())
    }

    pub async fn create_service(
        &self,
        principal: &Principal,
        input: ServiceInput,
    ) -> AppResult<Service> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        validate_service(&input)?;
        let scope = principal.tenant;
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        self.check_staff_exist(&tx, &scope, &input.staff_ids)
            .await?;
        let row = repo::insert_service(
            &tx,
            &scope,
            ServiceRow {
                tenant_id: scope.id(),
                id: Uuid::now_v7(),
                name: input.name.trim().to_string(),
                description: input.description.trim().to_string(),
                duration_min: input.duration_min as i32,
                price_minor: input.price_minor,
                currency: input.currency,
                buffer_before_min: input.buffer_before_min as i32,
                buffer_after_min: input.buffer_after_min as i32,
                min_notice_min: input.min_notice_min as i32,
                max_advance_days: input.max_advance_days as i32,
                step_min: input.step_min as i32,
                capacity: input.capacity as i32,
                requires_approval: input.requires_approval,
                payment_mode: input.payment_mode.clone(),
                deposit_minor: input.deposit_minor,
                deposit_percent: input.deposit_percent.map(|p| p as i32),
                active: input.active,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        repo::set_service_staff(&tx, &scope, row.id, &input.staff_ids).await?;
        commit(tx).await?;
        Ok(Service::new(row, input.staff_ids))
    }

    pub async fn update_service(
        &self,
        principal: &Principal,
        id: Uuid,
        input: ServiceInput,
    ) -> AppResult<Service> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        validate_service(&input)?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let mut row = repo::get_service(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.check_staff_exist(&tx, &scope, &input.staff_ids)
            .await?;
        row.name = input.name.trim().to_string();
        row.description = input.description.trim().to_string();
        row.duration_min = input.duration_min as i32;
        row.price_minor = input.price_minor;
        row.currency = input.currency;
        row.buffer_before_min = input.buffer_before_min as i32;
        row.buffer_after_min = input.buffer_after_min as i32;
        row.min_notice_min = input.min_notice_min as i32;
        row.max_advance_days = input.max_advance_days as i32;
        row.step_min = input.step_min as i32;
        row.capacity = input.capacity as i32;
        row.requires_approval = input.requires_approval;
        row.payment_mode = input.payment_mode.clone();
        row.deposit_minor = input.deposit_minor;
        row.deposit_percent = input.deposit_percent.map(|p| p as i32);
        row.active = input.active;
        row.updated_at = self.now();
        let row = repo::save_service(&tx, &scope, row).await?;
        repo::set_service_staff(&tx, &scope, id, &input.staff_ids).await?;
        commit(tx).await?;
        Ok(Service::new(row, input.staff_ids))
    }

    /// Services of a business with who performs each.
    pub async fn services_of(
        &self,
        scope: &TenantScope,
        active_only: bool,
    ) -> AppResult<Vec<Service>> {
        let tx = self.db().begin_tenant(scope).await?;
        let rows = repo::services(&tx, scope, active_only).await?;
        let pairs = repo::service_staff(&tx, scope).await?;
        commit(tx).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut staff_ids: Vec<Uuid> = pairs
                    .iter()
                    .filter(|(s, _)| *s == row.id)
                    .map(|(_, st)| *st)
                    .collect();
                staff_ids.sort();
                Service::new(row, staff_ids)
            })
            .collect())
    }

    pub async fn service(&self, scope: &TenantScope, id: Uuid) -> AppResult<Service> {
        self.services_of(scope, false)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(AppError::NotFound)
    }

    pub async fn create_staff(
        &self,
        principal: &Principal,
        input: StaffInput,
    ) -> AppResult<StaffMember> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let scope = principal.tenant;
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        let zone = self
            .staff_zone(&tx, &scope, input.time_zone.as_deref())
            .await?;
        let name = validate_staff_name(&input.name)?;
        if let Some(user) = input.user_id
            && accounts::find_membership(&tx, &scope, user)
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "user_id",
                "unknown_user",
                "not a member of this business",
            ));
        }
        if input.active {
            crate::billing::check_staff_limit(&tx, &scope, None).await?;
        }
        let week = StoredWeek(vec![Vec::new(); 7]);
        let row = repo::insert_staff(
            &tx,
            &scope,
            StaffRow {
                tenant_id: scope.id(),
                id: Uuid::now_v7(),
                name,
                user_id: input.user_id,
                time_zone: zone,
                weekly_hours: serde_json::to_string(&week).map_err(anyhow::Error::from)?,
                active: input.active,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        Ok(StaffMember::new(row))
    }

    async fn staff_zone(
        &self,
        tx: &termino_store::Tx,
        scope: &TenantScope,
        given: Option<&str>,
    ) -> AppResult<String> {
        match given {
            Some(z) => TimeZone::parse(z)
                .map(|z| z.name().to_string())
                .map_err(|p| AppError::invalid("time_zone", p.code, p.message)),
            None => Ok(tenants::get(tx, scope)
                .await?
                .ok_or(AppError::NotFound)?
                .time_zone),
        }
    }

    pub async fn update_staff(
        &self,
        principal: &Principal,
        id: Uuid,
        input: StaffInput,
    ) -> AppResult<StaffMember> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let mut row = repo::get_staff(&tx, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        row.name = validate_staff_name(&input.name)?;
        if input.active && !row.active {
            crate::billing::check_staff_limit(&tx, &scope, Some(id)).await?;
        }
        if input.time_zone.is_some() {
            row.time_zone = self
                .staff_zone(&tx, &scope, input.time_zone.as_deref())
                .await?;
        }
        if let Some(user) = input.user_id
            && accounts::find_membership(&tx, &scope, user)
                .await?
                .is_none()
        {
            return Err(AppError::invalid(
                "user_id",
                "unknown_user",
                "not a member of this business",
            ));
        }
        row.user_id = input.user_id;
        row.active = input.active;
        row.updated_at = self.now();
        let row = repo::save_staff(&tx, &scope, row).await?;
        commit(tx).await?;
        Ok(StaffMember::new(row))
    }

    pub async fn staff_of(
        &self,
        scope: &TenantScope,
        active_only: bool,
    ) -> AppResult<Vec<StaffMember>> {
        let tx = self.db().begin_tenant(scope).await?;
        let rows = repo::staff(&tx, scope, active_only).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(StaffMember::new).collect())
    }

    pub async fn staff_member(&self, scope: &TenantScope, id: Uuid) -> AppResult<StaffMember> {
        let tx = self.db().begin_tenant(scope).await?;
        let row = repo::get_staff(&tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        commit(tx).await?;
        Ok(StaffMember::new(row))
    }

    /// Replaces a staff member's weekly hours; `days` is Monday first, each
    /// a list of ("HH:MM", "HH:MM").
    pub async fn set_working_hours(
        &self,
        principal: &Principal,
        staff_id: Uuid,
        days: &[Vec<(String, String)>; 7],
    ) -> AppResult<StaffMember> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let mut errors = ValidationErrors::new();
        let week = StoredWeek(
            days.iter()
                .enumerate()
                .map(|(i, d)| parse_intervals(WEEKDAYS[i], d, &mut errors))
                .collect(),
        );
        errors.into_result()?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let mut row = repo::get_staff(&tx, &scope, staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        row.weekly_hours = serde_json::to_string(&week).map_err(anyhow::Error::from)?;
        row.updated_at = self.now();
        let row = repo::save_staff(&tx, &scope, row).await?;
        commit(tx).await?;
        Ok(StaffMember::new(row))
    }

    /// Different hours on one date; an empty list is a day off.
    pub async fn set_day_override(
        &self,
        principal: &Principal,
        staff_id: Uuid,
        date: NaiveDate,
        intervals: &[(String, String)],
    ) -> AppResult<Vec<(u16, u16)>> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let mut errors = ValidationErrors::new();
        let parsed = parse_intervals("intervals", intervals, &mut errors);
        errors.into_result()?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        repo::get_staff(&tx, &scope, staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        repo::put_override(
            &tx,
            &scope,
            staff_id,
            &date.to_string(),
            serde_json::to_string(&parsed).map_err(anyhow::Error::from)?,
        )
        .await?;
        commit(tx).await?;
        Ok(parsed)
    }

    pub async fn remove_day_override(
        &self,
        principal: &Principal,
        staff_id: Uuid,
        date: NaiveDate,
    ) -> AppResult<()> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        repo::get_staff(&tx, &scope, staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let removed = repo::delete_override(&tx, &scope, staff_id, &date.to_string()).await?;
        commit(tx).await?;
        if removed {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn day_overrides(
        &self,
        scope: &TenantScope,
        staff_ids: &[Uuid],
        from: NaiveDate,
        to: NaiveDate,
    ) -> AppResult<Vec<(Uuid, DayOverride)>> {
        let tx = self.db().begin_tenant(scope).await?;
        let rows =
            repo::overrides(&tx, scope, staff_ids, &from.to_string(), &to.to_string()).await?;
        commit(tx).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let date: NaiveDate = r.day.parse().ok()?;
                let minutes: Vec<(u16, u16)> = serde_json::from_str(&r.intervals).ok()?;
                let intervals = minutes
                    .into_iter()
                    .filter_map(|(s, e)| LocalInterval::new(s, e).ok())
                    .collect();
                Some((r.staff_id, DayOverride { date, intervals }))
            })
            .collect())
    }

    pub async fn create_closure(
        &self,
        principal: &Principal,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        reason: &str,
    ) -> AppResult<ClosureRow> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        if ends_on < starts_on {
            return Err(AppError::invalid(
                "ends_on",
                "end_before_start",
                "must not be before starts_on",
            ));
        }
        if reason.chars().count() > 200 {
            return Err(AppError::invalid(
                "reason",
                "too_long",
                "at most 200 characters",
            ));
        }
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let row = repo::insert_closure(
            &tx,
            &scope,
            ClosureRow {
                tenant_id: scope.id(),
                id: Uuid::now_v7(),
                starts_on: starts_on.to_string(),
                ends_on: ends_on.to_string(),
                reason: reason.trim().to_string(),
                created_at: Utc::now(),
            },
        )
        .await?;
        commit(tx).await?;
        Ok(row)
    }

    pub async fn closures_of(&self, scope: &TenantScope) -> AppResult<Vec<ClosureRow>> {
        let tx = self.db().begin_tenant(scope).await?;
        let rows = repo::closures(&tx, scope).await?;
        commit(tx).await?;
        Ok(rows)
    }

    pub async fn delete_closure(&self, principal: &Principal, id: Uuid) -> AppResult<()> {
        self.check_writable(principal).await?;
        self.require_manager(principal)?;
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        let removed = repo::delete_closure(&tx, &scope, id).await?;
        commit(tx).await?;
        if removed {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }
}

fn validate_staff_name(name: &str) -> AppResult<String> {
    termino_domain::business::validate_person_name(name)
        .map_err(|p| AppError::invalid("name", p.code, p.message))
}

/// What a client pays when booking `service`, in minor units (0: nothing).
pub fn amount_due(service: &ServiceRow) -> i64 {
    match service.payment_mode.as_str() {
        "full" => service.price_minor,
        "deposit" => match (service.deposit_minor, service.deposit_percent) {
            (Some(amount), _) => amount.min(service.price_minor),
            // Rounded half up to the grosz.
            (None, Some(pct)) => (service.price_minor * i64::from(pct) + 50) / 100,
            _ => 0,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times_parse_strictly() {
        assert_eq!(parse_clock("09:30"), Some(570));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("24:01"), None);
        assert_eq!(parse_clock("9:5"), Some(545));
        assert_eq!(parse_clock("25:00"), None);
        assert_eq!(parse_clock("noon"), None);
        assert_eq!(format_clock(570), "09:30");
    }

    #[test]
    fn overlapping_or_reversed_intervals_are_named() {
        let mut e = ValidationErrors::new();
        let raw = vec![
            ("09:00".to_string(), "13:00".to_string()),
            ("12:00".to_string(), "17:00".to_string()),
        ];
        parse_intervals("monday", &raw, &mut e);
        assert_eq!(e.0[0].field, "monday");
        let mut e = ValidationErrors::new();
        parse_intervals("friday", &[("17:00".into(), "09:00".into())], &mut e);
        assert_eq!(e.0[0].code, "end_before_start");
        assert_eq!(e.0[0].field, "friday[0]");
    }

    #[test]
    fn deposits_are_amounts_percentages_or_the_price() {
        let mut row = ServiceRow {
            tenant_id: Uuid::nil(),
            id: Uuid::nil(),
            name: "x".into(),
            description: String::new(),
            duration_min: 60,
            price_minor: 12_345,
            currency: "PLN".into(),
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            max_advance_days: 30,
            step_min: 15,
            capacity: 1,
            requires_approval: false,
            payment_mode: "none".into(),
            deposit_minor: None,
            deposit_percent: None,
            active: true,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(super::amount_due(&row), 0);
        row.payment_mode = "full".into();
        assert_eq!(super::amount_due(&row), 12_345);
        row.payment_mode = "deposit".into();
        row.deposit_percent = Some(30);
        // 3703.5 rounds half up to 3704.
        assert_eq!(super::amount_due(&row), 3_704);
        row.deposit_percent = None;
        row.deposit_minor = Some(50_000);
        assert_eq!(super::amount_due(&row), 12_345, "never more than the price");
    }
}
