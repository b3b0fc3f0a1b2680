//! Request and response bodies of services, staff, hours, closures,
//! availability and bookings.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use poem_openapi::Object;
use serde::Deserialize;
use termino_app::catalog::{Service as AppService, StaffMember as AppStaff, format_clock};
use uuid::Uuid;

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Minutes.
    pub duration_min: i64,
    /// Integer minor units: 12000 is 120.00 PLN.
    #[serde(default)]
    pub price_minor: Option<i64>,
    /// ISO 4217; PLN by default.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub buffer_before_min: Option<i64>,
    #[serde(default)]
    pub buffer_after_min: Option<i64>,
    /// How long before the start a booking must be made (default 60).
    #[serde(default)]
    pub min_notice_min: Option<i64>,
    /// How far ahead bookings are taken (default 90 days).
    #[serde(default)]
    pub max_advance_days: Option<i64>,
    /// Distance between offered start times (default 15).
    #[serde(default)]
    pub step_min: Option<i64>,
    /// 1 is an appointment; more is a class with that many seats.
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub requires_approval: Option<bool>,
    #[serde(default)]
    pub active: Option<bool>,
    /// Who performs it.
    #[serde(default)]
    pub staff_ids: Option<Vec<Uuid>>,
    /// `none` (default), `deposit` or `full`: what a client pays online
    /// when booking (needs a connected Stripe account).
    #[serde(default)]
    pub payment_mode: Option<String>,
    /// A deposit of this many minor units (with `payment_mode: deposit`).
    #[serde(default)]
    pub deposit_minor: Option<i64>,
    /// Or a deposit of this percentage of the price.
    #[serde(default)]
    pub deposit_percent: Option<i64>,
}

impl From<ServiceInput> for termino_app::catalog::ServiceInput {
    fn from(s: ServiceInput) -> Self {
        let d = termino_app::catalog::ServiceInput::default();
        Self {
            name: s.name,
            description: s.description.unwrap_or_default(),
            duration_min: s.duration_min,
            price_minor: s.price_minor.unwrap_or(d.price_minor),
            currency: s.currency.unwrap_or(d.currency),
            buffer_before_min: s.buffer_before_min.unwrap_or(d.buffer_before_min),
            buffer_after_min: s.buffer_after_min.unwrap_or(d.buffer_after_min),
            min_notice_min: s.min_notice_min.unwrap_or(d.min_notice_min),
            max_advance_days: s.max_advance_days.unwrap_or(d.max_advance_days),
            step_min: s.step_min.unwrap_or(d.step_min),
            capacity: s.capacity.unwrap_or(d.capacity),
            requires_approval: s.requires_approval.unwrap_or(false),
            active: s.active.unwrap_or(true),
            staff_ids: s.staff_ids.unwrap_or_default(),
            payment_mode: s.payment_mode.unwrap_or(d.payment_mode),
            deposit_minor: s.deposit_minor,
            deposit_percent: s.deposit_percent,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub duration_min: i32,
    pub price_minor: i64,
    pub currency: String,
    pub buffer_before_min: i32,
    pub buffer_after_min: i32,
    pub min_notice_min: i32,
    pub max_advance_days: i32,
    pub step_min: i32,
    pub capacity: i32,
    pub requires_approval: bool,
    /// `none`, `deposit` or `full`.
    pub payment_mode: String,
    pub deposit_minor: Option<i64>,
    pub deposit_percent: Option<i32>,
    pub active: bool,
    pub staff_ids: Vec<Uuid>,
}

impl From<AppService> for Service {
    fn from(s: AppService) -> Self {
        let r = s;
        Self {
            id: r.id,
            name: r.name,
            description: r.description,
            duration_min: r.duration_min,
            price_minor: r.price_minor,
            currency: r.currency,
            buffer_before_min: r.buffer_before_min,
            buffer_after_min: r.buffer_after_min,
            min_notice_min: r.min_notice_min,
            max_advance_days: r.max_advance_days,
            step_min: r.step_min,
            capacity: r.capacity,
            requires_approval: r.requires_approval,
            payment_mode: r.payment_mode.clone(),
            deposit_minor: r.deposit_minor,
            deposit_percent: r.deposit_percent,
            active: r.active,
            staff_ids: r.staff_ids,
        }
    }
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    pub name: String,
    /// Link to a member's account (they get booking notices).
    #[serde(default)]
    pub user_id: Option<Uuid>,
    /// IANA zone; the business's by default.
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl From<StaffInput> for termino_app::catalog::StaffInput {
    fn from(b: StaffInput) -> Self {
        Self {
            name: b.name,
            user_id: b.user_id,
            time_zone: b.time_zone,
            active: b.active.unwrap_or(true),
        }
    }
}

/// One working interval, wall-clock time in the staff member's zone.
#[derive(Debug, Clone, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// `HH:MM`
    pub start: String,
    /// `HH:MM` (`24:00` for midnight)
    pub end: String,
}

/// Working hours per weekday; several intervals make breaks.
#[derive(Debug, Clone, Deserialize, Object, Default)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    #[serde(default)]
    pub monday: Vec<TimeRange>,
    #[serde(default)]
    pub tuesday: Vec<TimeRange>,
    #[serde(default)]
    pub wednesday: Vec<TimeRange>,
    #[serde(default)]
    pub thursday: Vec<TimeRange>,
    #[serde(default)]
    pub friday: Vec<TimeRange>,
    #[serde(default)]
    pub saturday: Vec<TimeRange>,
    #[serde(default)]
    pub sunday: Vec<TimeRange>,
}

fn pairs(ranges: &[TimeRange]) -> Vec<(String, String)> {
    ranges
        .iter()
        .map(|r| (r.start.clone(), r.end.clone()))
        .collect()
}

impl WeeklyHours {
    pub fn to_days(&self) -> [Vec<(String, String)>; 7] {
        [
            pairs(&self.monday),
            pairs(&self.tuesday),
            pairs(&self.wednesday),
            pairs(&self.thursday),
            pairs(&self.friday),
            pairs(&self.saturday),
            pairs(&self.sunday),
        ]
    }

    pub fn from_week(week: &termino_app::catalog::StoredWeek) -> Self {
        let day = |i: usize| -> Vec<TimeRange> {
            week.0
                .get(i)
                .map(|d| {
                    d.iter()
                        .map(|(s, e)| TimeRange {
                            start: format_clock(*s),
                            end: format_clock(*e),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            monday: day(0),
            tuesday: day(1),
            wednesday: day(2),
            thursday: day(3),
            friday: day(4),
            saturday: day(5),
            sunday: day(6),
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub user_id: Option<Uuid>,
    pub time_zone: String,
    pub active: bool,
    pub working_hours: WeeklyHours,
}

impl From<AppStaff> for StaffMember {
    fn from(s: AppStaff) -> Self {
        Self {
            id: s.id,
            name: s.name,
            user_id: s.user_id,
            time_zone: s.time_zone,
            active: s.active,
            working_hours: WeeklyHours::from_week(&s.week),
        }
    }
}

/// What the booking page shows of a staff member.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PublicStaff {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct DayOverrideInput {
    /// Empty: a day off.
    pub intervals: Vec<TimeRange>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DayOverride {
    pub date: NaiveDate,
    pub intervals: Vec<TimeRange>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct ClosureInput {
    pub starts_on: NaiveDate,
    /// Inclusive.
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Closure {
    pub id: Uuid,
    pub starts_on: String,
    pub ends_on: String,
    pub reason: String,
}

/// A free start time, in the zone asked for.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Slot {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// Who is free then (for "anyone").
    pub staff_ids: Vec<Uuid>,
    /// For classes: seats left with the first free staff member.
    pub seats_left: u32,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Availability {
    pub zone: String,
    pub slots: Vec<Slot>,
}

/// The language a client reads their mail and text messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, poem_openapi::Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum ClientLanguage {
    Pl,
    En,
}

impl From<ClientLanguage> for termino_domain::business::Language {
    fn from(l: ClientLanguage) -> Self {
        match l {
            ClientLanguage::Pl => Self::Pl,
            ClientLanguage::En => Self::En,
        }
    }
}

impl From<termino_domain::business::Language> for ClientLanguage {
    fn from(l: termino_domain::business::Language) -> Self {
        match l {
            termino_domain::business::Language::Pl => Self::Pl,
            termino_domain::business::Language::En => Self::En,
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct ClientDetails {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Up to 2,000 characters; stored encrypted.
    #[serde(default)]
    pub notes: Option<String>,
    /// The client ticked the business's marketing consent (recorded when
    /// the client is new).
    #[serde(default)]
    pub marketing_consent: Option<bool>,
    /// The client agrees to reminders by text message at `phone`
    /// (recorded when given, also by a known client; withdrawn with a
    /// data request).
    #[serde(default)]
    pub sms_consent: Option<bool>,
    /// The language of the client's mail and text messages; absent: a new
    /// client gets the business's, a known one keeps theirs.
    #[serde(default)]
    pub language: Option<ClientLanguage>,
}

#[derive(Debug, Deserialize, serde::Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    pub service_id: Uuid,
    /// Absent: anyone who performs the service.
    #[serde(default)]
    pub staff_id: Option<Uuid>,
    /// A start offered by the availability endpoint (any offset).
    pub start: DateTime<FixedOffset>,
    /// The client's zone, for messages (IANA).
    pub zone: String,
    pub client: ClientDetails,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Booking {
    pub id: Uuid,
    pub service_id: Uuid,
    pub staff_id: Uuid,
    pub client_id: Uuid,
    /// requested, awaiting_payment, confirmed, completed, no_show, cancelled
    pub status: String,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub client_zone: String,
    pub notes: Option<String>,
    /// Who cancelled or declined it: client, business, staff (a staff
    /// member's own log-in) or system (a hold for payment ran out).
    pub cancelled_by: Option<String>,
    /// When it was cancelled or declined (not kept before December 2026).
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The client confirmed the visit (from a reminder's manage link).
    pub confirmed_by_client: bool,
    pub confirmed_by_client_at: Option<DateTime<Utc>>,
}

impl From<termino_app::bookings::Booking> for Booking {
    fn from(b: termino_app::bookings::Booking) -> Self {
        let zone: chrono_tz::Tz = b.client_zone.parse().unwrap_or(chrono_tz::UTC);
        let local = |t: DateTime<Utc>| t.with_timezone(&zone).fixed_offset();
        Self {
            id: b.id,
            service_id: b.service_id,
            staff_id: b.staff_id,
            client_id: b.client_id,
            status: b.status.as_str().into(),
            starts_at: local(b.starts_at),
            ends_at: local(b.ends_at),
            client_zone: b.client_zone,
            notes: b.notes,
            cancelled_by: b.cancelled_by,
            cancelled_at: b.cancelled_at,
            cancel_reason: b.cancel_reason,
            created_at: b.created_at,
            updated_at: b.updated_at,
            confirmed_by_client: b.confirmed_by_client_at.is_some(),
            confirmed_by_client_at: b.confirmed_by_client_at,
        }
    }
}

/// A new booking. `manage_token` is shown only now: it opens the client's
/// manage page (`manage_url`).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedBooking {
    pub booking: Booking,
    pub manage_token: String,
    pub manage_url: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingList {
    pub items: Vec<Booking>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    pub start: DateTime<FixedOffset>,
    /// Business side only: move to another staff member.
    #[serde(default)]
    pub staff_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Object, Default)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
pub struct Cancellation {
    #[serde(default)]
    pub reason: Option<String>,
}

/// What the client sees on the manage page.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ManagedBooking {
    pub business: String,
    pub booking: Booking,
    /// Until when the client may reschedule or cancel.
    pub changes_until: DateTime<FixedOffset>,
}
