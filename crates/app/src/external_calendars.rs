//! A staff member's own calendar (Google, Outlook, Apple) as busy time.
//!
//! The staff member (or an owner) gives the secret iCal address of their
//! calendar; it is sealed under the business's key and fetched every
//! [`EVERY`] by the worker step, conditionally (ETag, Last-Modified), with
//! the webhooks' outbound rules (public addresses only, no redirect,
//! time-outs) and a size bound. Only the times of busy events are kept,
//! nothing of what they say; they block availability like bookings do.
//! Three failed fetches in a row tell the owners once.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventStatus};
use termino_domain::business::Language;
use termino_store::repo::external_calendars::{self as repo, CalendarRow};
use termino_store::repo::scheduling as staff_repo;
use termino_store::{TenantScope, commit, sealed};
use uuid::Uuid;

use crate::auth::Principal;
use crate::outbound::{self, Fetched};
use crate::{App, AppError, AppResult};

/// How often a calendar is fetched.
pub const EVERY: Duration = Duration::minutes(15);
/// Failed fetches in a row after which the owners are told.
pub const FAILURES_TOLD: i32 = 3;
/// The largest calendar file read.
const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Busy time is kept for this far ahead (and a day back).
const HORIZON_DAYS: i64 = 400;
/// Occurrences of one repeating event, at most.
const MAX_OCCURRENCES: u16 = 1000;
/// Calendars a staff member may connect.
const MAX_PER_STAFF: usize = 3;

/// A connected calendar as the panel and the API show it (the address
/// itself is a secret and is never shown again).
#[derive(Debug, Clone)]
pub struct ExternalCalendar {
    pub id: Uuid,
    pub staff_id: Uuid,
    pub host: String,
    pub last_success_at: Option<DateTime<Utc>>,
    pub failures: i32,
    pub last_error: Option<String>,
    pub next_fetch_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<CalendarRow> for ExternalCalendar {
    fn from(r: CalendarRow) -> Self {
        Self {
            id: r.id,
            staff_id: r.staff_id,
            host: r.host,
            last_success_at: r.last_success_at,
            failures: r.failures,
            last_error: r.last_error,
            next_fetch_at: r.next_fetch_at,
            created_at: r.created_at,
        }
    }
}

/// A busy interval, start and end.
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// What one sync step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncRun {
    pub fetched: usize,
    pub failed: usize,
}

impl App {
    /// The owner, an admin, or the staff member themselves.
    pub(crate) async fn may_manage_calendars_of(
        &self,
        tx: &termino_store::Tx,
        principal: &Principal,
        staff_id: Uuid,
    ) -> AppResult<()> {
        let staff = staff_repo::get_staff(tx, &principal.tenant, staff_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let own = matches!(principal.actor, crate::auth::Actor::User { user_id, .. } if staff.user_id == Some(user_id));
        principal.require(
            own || principal.role().can_edit_business_settings(),
            "connecting another staff member's calendar",
        )
    }

    /// Connects a calendar by its secret iCal address (`https://` or
    /// `webcal://`); it is fetched at the next worker step.
    pub async fn connect_external_calendar(
        &self,
        principal: &Principal,
        staff_id: Uuid,
        url: &str,
    ) -> AppResult<ExternalCalendar> {
        self.check_writable(principal).await?;
        let trimmed = url.trim();
        let url = match trimmed.strip_prefix("webcal://") {
            Some(rest) => format!("https://{rest}"),
            None => trimmed.to_string(),
        };
        let url = outbound::check_url(&url, self.config().webhooks_allow_private).await?;
        let host = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        let scope = principal.tenant;
        let tx = self.db().begin_tenant(&scope).await?;
        self.may_manage_calendars_of(&tx, principal, staff_id)
            .await?;
        if repo::of_staff(&tx, &scope, staff_id).await?.len() >= MAX_PER_STAFF {
            return Err(AppError::invalid(
                "url",
                "too_many",
                format!("at most {MAX_PER_STAFF} calendars per staff member"),
            ));
        }
        let keyring = self.sealing_keys(&tx, &scope).await?;
        let id = Uuid::now_v7();
        let now = self.now();
        let row = repo::insert(
            &tx,
            &scope,
            CalendarRow {
                id,
                tenant_id: scope.id(),
                staff_id,
                url: keyring.seal(&sealed::EXTERNAL_CALENDAR_URL, id, url.as_bytes())?,
                host,
                etag: None,
                last_modified: None,
                next_fetch_at: now,
                failures: 0,
                last_error: None,
                last_success_at: None,
                created_at: now,
            },
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        Ok(row.into())
    }

    pub async fn external_calendars(
        &self,
        principal: &Principal,
        staff_id: Uuid,
    ) -> AppResult<Vec<ExternalCalendar>> {
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        self.may_manage_calendars_of(&tx, principal, staff_id)
            .await?;
        let rows = repo::of_staff(&tx, &principal.tenant, staff_id).await?;
        commit(tx).await?;
        Ok(rows.into_iter().map(ExternalCalendar::from).collect())
    }

    /// Disconnects a calendar: its busy time goes with it.
    pub async fn disconnect_external_calendar(
        &self,
        principal: &Principal,
        id: Uuid,
    ) -> AppResult<()> {
        self.check_writable(principal).await?;
        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let row = repo::get(&tx, &principal.tenant, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.may_manage_calendars_of(&tx, principal, row.staff_id)
            .await?;
        repo::delete(&tx, &principal.tenant, id).await?;
        commit(tx).await?;
        Ok(())
    }

    /// Fetches every calendar that is due (part of the worker step). The
    /// claim is a short transaction; the fetch happens outside any.
    pub async fn sync_external_calendars(&self) -> AppResult<SyncRun> {
        let mut run = SyncRun::default();
        let now = self.now();
        let lease = now + Duration::minutes(5);
        let tx = self.db().begin().await?;
        let due = repo::claim_due(&tx, now, lease, 20).await?;
        commit(tx).await?;
        for row in due {
            if self.sync_one(row, lease).await? {
                run.fetched += 1;
            } else {
                run.failed += 1;
            }
        }
        Ok(run)
    }

    async fn sync_one(&self, row: CalendarRow, claim: DateTime<Utc>) -> AppResult<bool> {
        let scope = TenantScope::authenticated(row.tenant_id);
        let keyring = self
            .keys()
            .for_read(row.tenant_id, None, self.now())
            .await?;
        let Some(url) = keyring.open_text(&sealed::EXTERNAL_CALENDAR_URL, row.id, &row.url) else {
            return Ok(false);
        };
        let fetched = outbound::get_bounded(
            &url,
            self.config().webhooks_allow_private,
            row.etag.as_deref(),
            row.last_modified.as_deref(),
            MAX_BYTES,
        )
        .await;
        let now = self.now();
        let tx = self.db().begin_tenant(&scope).await?;
        // Another node took it over after our lease, or it was removed.
        let Some(mut current) = repo::lock_claimed(&tx, &scope, row.id, claim).await? else {
            return Ok(false);
        };
        let zone = staff_repo::get_staff(&tx, &scope, row.staff_id)
            .await?
            .and_then(|s| s.time_zone.parse().ok())
            .unwrap_or(chrono_tz::Europe::Warsaw);
        let outcome = match fetched {
            Fetched::NotModified => Ok(None),
            Fetched::Changed {
                body,
                etag,
                last_modified,
            } => match busy_intervals(&String::from_utf8_lossy(&body), zone, now) {
                Ok(busy) => Ok(Some((busy, etag, last_modified))),
                Err(category) => Err(category),
            },
            Fetched::Failed(category) => Err(category),
        };
        current.next_fetch_at = now + EVERY;
        let ok = outcome.is_ok();
        let mut tell_owners = false;
        match outcome {
            Ok(changed) => {
                if let Some((busy, etag, last_modified)) = changed {
                    repo::replace_busy(&tx, &current, &busy).await?;
                    current.etag = etag;
                    current.last_modified = last_modified;
                }
                current.failures = 0;
                current.last_error = None;
                current.last_success_at = Some(now);
            }
            Err(category) => {
                current.failures += 1;
                current.last_error = Some(category.to_string());
                tell_owners = current.failures == FAILURES_TOLD;
                tracing::warn!(event = "external_calendar_failed", tenant_id = %row.tenant_id, calendar_id = %row.id, failures = current.failures, error = category, "a staff calendar could not be read");
            }
        }
        let host = current.host.clone();
        let language = termino_store::repo::tenants::get(&tx, &scope)
            .await?
            .and_then(|t| Language::parse(&t.language).ok())
            .unwrap_or_default();
        repo::save(&tx, current).await?;
        commit(tx).await?;
        if tell_owners {
            let message = termino_notify::texts::external_calendar_failing(
                language,
                &host,
                FAILURES_TOLD,
                &self.link("/app/staff"),
            );
            self.mail_owners(row.tenant_id, message.subject, message.body)
                .await?;
        }
        Ok(ok)
    }
}

/// The busy intervals of a calendar file from a day ago to the horizon:
/// events that are not cancelled and not marked free (TRANSP:TRANSPARENT),
/// repeating ones expanded by their RRULE and EXDATEs. Floating times and
/// all-day events are read in the staff member's zone.
pub fn busy_intervals(
    ics: &str,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<Interval>, &'static str> {
    let calendar: icalendar::Calendar = ics.parse().map_err(|_| "not a calendar")?;
    let (from, to) = (now - Duration::days(1), now + Duration::days(HORIZON_DAYS));
    let mut busy = Vec::new();
    for event in calendar.events() {
        if event.get_status() == Some(EventStatus::Cancelled)
            || event
                .property_value("TRANSP")
                .is_some_and(|t| t.eq_ignore_ascii_case("TRANSPARENT"))
        {
            continue;
        }
        let Some(start) = event.get_start() else {
            continue;
        };
        let Some(first) = instant(&start, zone) else {
            continue;
        };
        let end = match event.get_end() {
            Some(end) => instant(&end, zone),
            None => match start {
                DatePerhapsTime::Date(d) => {
                    instant(&DatePerhapsTime::Date(d + Duration::days(1)), zone)
                }
                DatePerhapsTime::DateTime(_) => None,
            },
        };
        let Some(end) = end.filter(|e| *e > first) else {
            continue;
        };
        let length = end - first;
        let starts = match event.property_value("RRULE") {
            None => vec![first],
            Some(rule) => occurrences(event, rule, first, zone, from - length, to)?,
        };
        busy.extend(
            starts
                .into_iter()
                .map(|s| (s, s + length))
                .filter(|(s, e)| *e > from && *s < to),
        );
    }
    busy.sort();
    Ok(busy)
}

/// A DTSTART or DTEND as an instant.
fn instant(value: &DatePerhapsTime, zone: Tz) -> Option<DateTime<Utc>> {
    let local = |naive: NaiveDateTime, tz: Tz| {
        tz.from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    match value {
        DatePerhapsTime::Date(d) => local(midnight(*d), zone),
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => Some(*t),
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(n)) => local(*n, zone),
        DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
            // Outlook writes Windows names ("Central European Standard
            // Time"); those fall back to the staff member's zone.
            local(*date_time, tzid.parse().unwrap_or(zone))
        }
    }
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}

/// Starts of a repeating event in [from, to), with the rrule crate.
fn occurrences(
    event: &icalendar::Event,
    rule: &str,
    first: DateTime<Utc>,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, &'static str> {
    // The rule runs in the event's own zone, so that a weekly 10:00 stays
    // 10:00 across a change of daylight-saving time.
    let tz = match event.get_start() {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { tzid, .. })) => {
            tzid.parse().unwrap_or(zone)
        }
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(_))) => chrono_tz::UTC,
        _ => zone,
    };
    let local = first.with_timezone(&tz).naive_local();
    let mut text = format!(
        "DTSTART;TZID={}:{}\nRRULE:{rule}",
        tz.name(),
        local.format("%Y%m%dT%H%M%S")
    );
    for exdate in event.multi_properties().get("EXDATE").into_iter().flatten() {
        let value = exdate.value();
        let when = match exdate.params().get("TZID") {
            Some(p) => format!("EXDATE;TZID={}:{value}", p.value()),
            None => format!("EXDATE:{value}"),
        };
        text.push('\n');
        text.push_str(&when);
    }
    let set: rrule::RRuleSet = text.parse().map_err(|_| "bad repeat rule")?;
    let utc = rrule::Tz::UTC;
    Ok(set
        .after(from.with_timezone(&utc))
        .before(to.with_timezone(&utc))
        .all(MAX_OCCURRENCES)
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn busy_events_are_read_and_free_or_cancelled_ones_are_not() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20261208T090000Z\r\nDTEND:20261208T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261208T110000Z\r\nDTEND:20261208T120000Z\r\nTRANSP:TRANSPARENT\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261208T130000Z\r\nDTEND:20261208T140000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20261210\r\nDTEND;VALUE=DATE:20261211\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
        let busy =
            busy_intervals(ics, chrono_tz::Europe::Warsaw, at("2026-12-06T12:00:00Z")).unwrap();
        assert_eq!(
            busy,
            vec![
                (at("2026-12-08T09:00:00Z"), at("2026-12-08T10:00:00Z")),
                // The whole day in Warsaw.
                (at("2026-12-09T23:00:00Z"), at("2026-12-10T23:00:00Z")),
            ]
        );
    }

    #[test]
    fn a_weekly_event_keeps_its_wall_clock_time_across_the_change_of_time() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Warsaw:20261020T100000\r\nDTEND;TZID=Europe/Warsaw:20261020T110000\r\n\
RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=Europe/Warsaw:20261103T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let busy = busy_intervals(ics, chrono_tz::UTC, at("2026-10-19T00:00:00Z")).unwrap();
        assert_eq!(
            busy,
            vec![
                // 10:00 summer time, then 10:00 winter time; the third one
                // is an exception.
                (at("2026-10-20T08:00:00Z"), at("2026-10-20T09:00:00Z")),
                (at("2026-10-27T09:00:00Z"), at("2026-10-27T10:00:00Z")),
            ]
        );
    }

    #[test]
    fn what_is_not_a_calendar_is_an_error() {
        assert!(busy_intervals("<html>", chrono_tz::UTC, Utc::now()).is_err());
    }
}
