//! The public booking page `/b/{slug}`, the client's own page for a booking
//! `/b/{slug}/manage/{token}`, and the widget script.
//!
//! Every step is a plain link or form; the little script only detects the
//! client's time zone and, inside the widget, reports the page's height.
//! The pages keep no cookies of their own: inside a widget on another site
//! they are third-party and browsers drop them. Forms carry a sealed,
//! expiring token instead (and the browser's `Origin` must be ours).

use std::collections::BTreeSet;

use askama::Template;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use poem::http::{StatusCode, header};
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;
use termino_app::bookings::{
    BookingRequest, BookingStatus, ClientDetails, Idempotency, KeyOwner, PublicBusiness, parse_zone,
};
use termino_app::catalog::Service;
use termino_app::{App, AppError};
use termino_domain::business::Language;
use termino_domain::schedule::AnySlot;
use uuid::Uuid;

use crate::http::CookiePolicy;
use crate::i18n::{self, Texts};
use crate::pages::{Failure, Page, PageForm};
use crate::ui::{self, Ui};
use crate::views::{Choice, Field, LangSwitch, TIME_ZONES};

/// How long a rendered booking form stays valid.
const FORM_TTL_HOURS: i64 = 12;
/// How far ahead the month calendar goes.
const MONTHS_AHEAD: i32 = 24;

/// Percent-encodes a query value (zones like `Etc/GMT+1` carry a `+`).
pub(crate) fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FlowQuery {
    service: Option<String>,
    staff: Option<String>,
    month: Option<String>,
    date: Option<String>,
    start: Option<String>,
    tz: Option<String>,
    lang: Option<String>,
    embed: Option<String>,
    booked: Option<String>,
    moved: Option<String>,
    pay: Option<String>,
    paid: Option<String>,
}

/// What every link of the flow carries along: the language, the widget
/// mode and the client's time zone.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    base: String,
    lang: Option<String>,
    embed: bool,
    tz: String,
    tz_given: bool,
}

impl Flow {
    fn href(&self, path: &str, params: &[(&str, String)]) -> String {
        let mut parts: Vec<String> = params
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        if self.tz_given {
            parts.push(format!("tz={}", enc(&self.tz)));
        }
        if let Some(lang) = &self.lang {
            parts.push(format!("lang={}", enc(lang)));
        }
        if self.embed {
            parts.push("embed=1".into());
        }
        let url = format!("{}{path}", self.base);
        if parts.is_empty() {
            url
        } else {
            format!("{url}?{}", parts.join("&"))
        }
    }

    /// Hidden inputs that keep the same things in a form.
    fn hidden(&self) -> Vec<(String, String)> {
        let mut h = vec![("tz".to_string(), self.tz.clone())];
        if let Some(lang) = &self.lang {
            h.push(("lang".into(), lang.clone()));
        }
        if self.embed {
            h.push(("embed".into(), "1".into()));
        }
        h
    }
}

/// The page of a business's booking flow: the business's language unless
/// the client chose one.
fn business_page(req: &Request, policy: CookiePolicy, business: &PublicBusiness) -> Page {
    let mut p = Page::new(req, policy);
    if !p.chosen
        && let Ok(lang) = Language::parse(&business.language)
    {
        p.lang = lang;
        p.t = i18n::texts(lang);
    }
    // No cookies here: inside the widget they would be third-party.
    p.cookies.clear();
    p
}

fn flow_of(q: &FlowQuery, business: &PublicBusiness, base: String) -> Flow {
    let given =
        q.tz.as_deref()
            .filter(|z| parse_zone("tz", z).is_ok())
            .map(str::to_string);
    Flow {
        base,
        lang: q.lang.clone().filter(|l| Language::parse(l).is_ok()),
        embed: q.embed.as_deref() == Some("1"),
        tz_given: given.is_some(),
        tz: given.unwrap_or_else(|| business.time_zone.clone()),
    }
}

fn zone_of(flow: &Flow) -> Tz {
    flow.tz.parse().unwrap_or(chrono_tz::Europe::Warsaw)
}

/// Frames may show these pages (the widget); everything else says no.
fn framable(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        poem::http::HeaderValue::from_static(crate::BOOKING_PAGE_POLICY),
    );
    resp
}

/// A state-changing public form: our own token, from our own origin.
pub(crate) fn form_ok(req: &Request, app: &App, tenant: Uuid, token: &str) -> bool {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let ours = origin.trim_end_matches('/') == app.config().public_url.trim_end_matches('/')
            || origin
                .split_once("://")
                .is_some_and(|(_, rest)| !host.is_empty() && rest == host);
        if !ours {
            return false;
        }
    }
    app.check_public_form_token(tenant, token)
}

// ------------------------------------------------------------- calendar

#[derive(Debug, Clone)]
pub(crate) struct DayCell {
    pub day: u32,
    pub href: Option<String>,
    pub selected: bool,
    pub label: String,
}

#[derive(Debug, Clone)]
pub(crate) struct MonthView {
    pub title: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub weekdays: Vec<String>,
    pub weeks: Vec<Vec<DayCell>>,
    pub any_free: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct SlotLink {
    pub time: String,
    pub href: String,
}

#[derive(Debug, Clone)]
pub(crate) struct DaySlots {
    pub title: String,
    pub slots: Vec<SlotLink>,
}

fn parse_month(text: Option<&str>) -> Option<(i32, u32)> {
    let (y, m) = text?.split_once('-')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    NaiveDate::from_ymd_opt(y, m, 1).map(|_| (y, m))
}

fn month_start(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or_default()
}

fn add_months(y: i32, m: u32, n: i32) -> (i32, u32) {
    let index = y * 12 + (m as i32 - 1) + n;
    (index.div_euclid(12), (index.rem_euclid(12) + 1) as u32)
}

/// The picker: a month with its free days marked and, for the chosen day,
/// its free times. `link` makes a URL from (month, date, start).
struct Picker {
    month: MonthView,
    day: Option<DaySlots>,
}

/// The month the picker shows and the dates to fetch slots for.
struct PickerRange {
    y: i32,
    m: u32,
    first: NaiveDate,
    last: NaiveDate,
    from: NaiveDate,
    today: NaiveDate,
}

impl PickerRange {
    fn of(today: NaiveDate, q: &FlowQuery) -> Self {
        let (ty, tm) = (today.year(), today.month());
        let (y, m) = parse_month(q.month.as_deref())
            .or_else(|| {
                q.date
                    .as_deref()
                    .and_then(|d| d.parse::<NaiveDate>().ok())
                    .map(|d| (d.year(), d.month()))
            })
            .unwrap_or((ty, tm));
        // Not before this month, not beyond the horizon.
        let (y, m) = if (y, m) < (ty, tm) { (ty, tm) } else { (y, m) };
        let (ly, lm) = add_months(ty, tm, MONTHS_AHEAD);
        let (y, m) = if (y, m) > (ly, lm) { (ly, lm) } else { (y, m) };
        let first = month_start(y, m);
        let (ny, nm) = add_months(y, m, 1);
        let last = month_start(ny, nm) - Duration::days(1);
        Self {
            y,
            m,
            first,
            last,
            from: first.max(today),
            today,
        }
    }

    /// Whether there is anything to fetch.
    fn dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        (self.from <= self.last).then_some((self.from, self.last))
    }
}

fn picker(
    lang: Language,
    u: &Ui,
    zone: Tz,
    range: &PickerRange,
    q: &FlowQuery,
    slots: &[AnySlot],
    link: &dyn Fn(&str, &str, &str) -> String,
) -> Picker {
    let PickerRange {
        y,
        m,
        first,
        last,
        today,
        ..
    } = *range;
    let (ty, tm) = (today.year(), today.month());
    let (ly, lm) = add_months(ty, tm, MONTHS_AHEAD);
    let (ny, nm) = add_months(y, m, 1);
    let mut free_days = BTreeSet::new();
    for s in slots {
        free_days.insert(s.start.with_timezone(&zone).date_naive());
    }
    let chosen = q
        .date
        .as_deref()
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .filter(|d| d.year() == y && d.month() == m)
        .or_else(|| free_days.iter().next().copied());
    let month_param = format!("{y:04}-{m:02}");
    let mut weeks = Vec::new();
    let mut week = Vec::new();
    for _ in 0..first.weekday().num_days_from_monday() {
        week.push(DayCell {
            day: 0,
            href: None,
            selected: false,
            label: String::new(),
        });
    }
    let mut d = first;
    while d <= last {
        let free = free_days.contains(&d);
        let date = d.to_string();
        week.push(DayCell {
            day: d.day(),
            href: free.then(|| link(&month_param, &date, "")),
            selected: Some(d) == chosen,
            label: format!(
                "{}, {}",
                ui::long_date(lang, d),
                if free {
                    u.day_has_slots
                } else {
                    u.day_no_slots
                }
            ),
        });
        if week.len() == 7 {
            weeks.push(std::mem::take(&mut week));
        }
        d += Duration::days(1);
    }
    if !week.is_empty() {
        while week.len() < 7 {
            week.push(DayCell {
                day: 0,
                href: None,
                selected: false,
                label: String::new(),
            });
        }
        weeks.push(week);
    }
    let (py, pm) = add_months(y, m, -1);
    let month = MonthView {
        title: ui::month_title(lang, y, m),
        prev: ((py, pm) >= (ty, tm)).then(|| link(&format!("{py:04}-{pm:02}"), "", "")),
        next: ((ny, nm) <= (ly, lm)).then(|| link(&format!("{ny:04}-{nm:02}"), "", "")),
        weekdays: [
            chrono::Weekday::Mon,
            chrono::Weekday::Tue,
            chrono::Weekday::Wed,
            chrono::Weekday::Thu,
            chrono::Weekday::Fri,
            chrono::Weekday::Sat,
            chrono::Weekday::Sun,
        ]
        .into_iter()
        .map(|w| ui::weekday_short(lang, w))
        .collect(),
        weeks,
        any_free: !free_days.is_empty(),
    };
    let day = chosen.map(|date| DaySlots {
        title: ui::long_date(lang, date),
        slots: slots
            .iter()
            .filter(|s| s.start.with_timezone(&zone).date_naive() == date)
            .map(|s| SlotLink {
                time: s.start.with_timezone(&zone).format("%H:%M").to_string(),
                href: link(
                    &month_param,
                    &date.to_string(),
                    &s.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                ),
            })
            .collect(),
    });
    Picker { month, day }
}

fn zone_choices(current: &str) -> Vec<Choice> {
    let mut zones: Vec<&str> = TIME_ZONES.to_vec();
    if !zones.contains(&current) {
        zones.insert(0, current);
    }
    zones
        .into_iter()
        .map(|z| Choice {
            value: z.to_string(),
            label: z.replace('_', " "),
            selected: z == current,
        })
        .collect()
}

// ----------------------------------------------------------- the page

#[derive(Debug, Clone)]
pub(crate) struct ServiceView {
    pub name: String,
    pub description: String,
    pub facts: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    embed: bool,
    business_name: String,
    intro: String,
    closed: bool,
    /// Not taking bookings yet (no data-processing agreement accepted).
    not_yet: bool,
    services: Vec<ServiceView>,
    chosen_service: Option<ServiceView>,
    change_service: String,
    staff_choices: Vec<(String, String)>,
    chosen_staff: Option<String>,
    change_staff: String,
    month: Option<MonthView>,
    day: Option<DaySlots>,
    zones: Vec<Choice>,
    zone_hidden: Vec<(String, String)>,
    action: String,
    /// The client's own data: the data-subject request link.
    your_data: String,
}

fn facts(lang: Language, u: &Ui, s: &Service) -> String {
    let price = if s.price_minor == 0 {
        u.free.to_string()
    } else {
        ui::money(lang, s.price_minor, &s.currency)
    };
    format!("{} {} · {price}", s.duration_min, u.minutes)
}

/// Services a client can book: active, with someone active to do them.
async fn bookable(app: &App, business: &PublicBusiness) -> Result<Vec<Service>, AppError> {
    let services = app.services_of(&business.scope, true).await?;
    let staff = app.staff_of(&business.scope, true).await?;
    Ok(services
        .into_iter()
        .filter(|s| {
            s.staff_ids
                .iter()
                .any(|id| staff.iter().any(|m| m.id == *id))
        })
        .collect())
}

async fn load_business(app: &App, slug: &str) -> Result<PublicBusiness, AppError> {
    app.public_business(slug).await
}

pub(crate) fn not_found(p: Page) -> Response {
    let t = p.t;
    framable(p.message(
        StatusCode::NOT_FOUND,
        t.not_found_title,
        t.not_found_body.to_string(),
        true,
        None,
    ))
}

#[handler]
pub async fn book_page(
    req: &Request,
    Path(slug): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    let business = match load_business(&app, &slug).await {
        Ok(b) => b,
        Err(AppError::NotFound) => return not_found(Page::new(req, *policy.0)),
        Err(err) => return framable(Page::new(req, *policy.0).failure(err)),
    };
    let p = business_page(req, *policy.0, &business);
    let q: FlowQuery = req.params().unwrap_or_default();
    let flow = flow_of(&q, &business, format!("/b/{}", business.slug));
    let (lang, u) = (p.lang, ui::ui(p.lang));
    let services = match bookable(&app, &business).await {
        Ok(s) => s,
        Err(err) => return framable(p.failure(err)),
    };
    let chosen = q
        .service
        .as_deref()
        .and_then(|id| id.parse::<Uuid>().ok())
        .and_then(|id| services.iter().find(|s| s.id == id));
    let mut page = BookPage {
        t: p.t,
        u,
        sw: p.sw.clone(),
        embed: flow.embed,
        business_name: business.name.clone(),
        intro: business.booking_intro.clone(),
        closed: services.is_empty() || !business.accepts_bookings,
        not_yet: business.not_yet,
        services: services
            .iter()
            .map(|s| ServiceView {
                name: s.name.clone(),
                description: s.description.clone(),
                facts: facts(lang, u, s),
                href: flow.href("", &[("service", s.id.to_string())]),
            })
            .collect(),
        chosen_service: None,
        change_service: flow.href("", &[]),
        staff_choices: Vec::new(),
        chosen_staff: None,
        change_staff: String::new(),
        month: None,
        day: None,
        zones: zone_choices(&flow.tz),
        zone_hidden: Vec::new(),
        action: flow.href("", &[]),
        your_data: flow.href("/your-data", &[]),
    };
    if let Some(service) = chosen {
        let sid = service.id.to_string();
        page.chosen_service = Some(ServiceView {
            name: service.name.clone(),
            description: service.description.clone(),
            facts: facts(lang, u, service),
            href: String::new(),
        });
        page.change_staff = flow.href("", &[("service", sid.clone())]);
        let staff = match app.staff_of(&business.scope, true).await {
            Ok(s) => s,
            Err(err) => return framable(p.failure(err)),
        };
        let performers: Vec<_> = staff
            .iter()
            .filter(|m| service.staff_ids.contains(&m.id))
            .collect();
        let mut choices = vec![(
            u.anyone.to_string(),
            flow.href("", &[("service", sid.clone()), ("staff", "any".into())]),
        )];
        for m in &performers {
            choices.push((
                m.name.clone(),
                flow.href("", &[("service", sid.clone()), ("staff", m.id.to_string())]),
            ));
        }
        page.staff_choices = choices;
        // With one performer there is nothing to choose.
        let staff_pick: Option<Option<Uuid>> = match q.staff.as_deref() {
            Some("any") => Some(None),
            Some(id) => id
                .parse::<Uuid>()
                .ok()
                .filter(|id| performers.iter().any(|m| m.id == *id))
                .map(Some),
            None if performers.len() == 1 => Some(None),
            None => None,
        };
        if let Some(staff_id) = staff_pick {
            page.chosen_staff = Some(match staff_id {
                None if performers.len() == 1 => performers[0].name.clone(),
                None => u.anyone.to_string(),
                Some(id) => performers
                    .iter()
                    .find(|m| m.id == id)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
            });
            let staff_param = staff_id.map_or("any".to_string(), |id| id.to_string());
            let zone = zone_of(&flow);
            let today = app.now().with_timezone(&zone).date_naive();
            let range = PickerRange::of(today, &q);
            let slots = match range.dates() {
                Some((from, to)) => {
                    match app
                        .availability(&business.scope, service.id, staff_id, from, to, zone)
                        .await
                    {
                        Ok(slots) => slots,
                        Err(err) => return framable(p.failure(err)),
                    }
                }
                None => Vec::new(),
            };
            let link = |month: &str, date: &str, start: &str| {
                if start.is_empty() {
                    flow.href(
                        "",
                        &[
                            ("service", sid.clone()),
                            ("staff", staff_param.clone()),
                            ("month", month.to_string()),
                            ("date", date.to_string()),
                        ],
                    )
                } else {
                    flow.href(
                        "/details",
                        &[
                            ("service", sid.clone()),
                            ("staff", staff_param.clone()),
                            ("start", start.to_string()),
                        ],
                    )
                }
            };
            let picked = picker(lang, u, zone, &range, &q, &slots, &link);
            page.month = Some(picked.month);
            page.day = picked.day;
            let mut hidden = vec![
                ("service".to_string(), sid.clone()),
                ("staff".to_string(), staff_param),
            ];
            hidden.extend(flow.hidden().into_iter().filter(|(k, _)| k != "tz"));
            page.zone_hidden = hidden;
        }
    }
    framable(p.html(StatusCode::OK, &page))
}

// ------------------------------------------------------------ details

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    service: String,
    staff: String,
    start: String,
    tz: String,
    lang: String,
    embed: String,
    token: String,
    name: String,
    email: String,
    phone: String,
    notes: String,
    marketing: String,
    sms: String,
}

#[derive(Template)]
#[template(path = "book_details.html")]
struct DetailsPage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    embed: bool,
    business_name: String,
    service: String,
    staff: String,
    when: String,
    zone: String,
    back: String,
    action: String,
    hidden: Vec<(String, String)>,
    fields: Vec<Field>,
    notes: Field,
    consent_text: Option<String>,
    consent_checked: bool,
    /// Reminders by text message are offered (the server has a gateway).
    sms_offered: bool,
    sms_checked: bool,
    privacy_url: Option<String>,
    error: Option<String>,
    slot_taken: bool,
    submit: &'static str,
}

struct Chosen {
    service: Service,
    staff_id: Option<Uuid>,
    staff_name: String,
    start: DateTime<Utc>,
}

async fn chosen_slot(
    app: &App,
    business: &PublicBusiness,
    u: &Ui,
    service: &str,
    staff: &str,
    start: &str,
) -> Option<Chosen> {
    let service_id: Uuid = service.parse().ok()?;
    let start = DateTime::parse_from_rfc3339(start)
        .ok()?
        .with_timezone(&Utc);
    let services = bookable(app, business).await.ok()?;
    let service = services.into_iter().find(|s| s.id == service_id)?;
    let (staff_id, staff_name) = if staff == "any" || staff.is_empty() {
        (None, u.anyone.to_string())
    } else {
        let id: Uuid = staff.parse().ok()?;
        if !service.staff_ids.contains(&id) {
            return None;
        }
        let member = app.staff_member(&business.scope, id).await.ok()?;
        (Some(id), member.name)
    };
    Some(Chosen {
        service,
        staff_id,
        staff_name,
        start,
    })
}

fn when_text(lang: Language, start: DateTime<Utc>, zone: Tz) -> String {
    let local = start.with_timezone(&zone);
    format!(
        "{}, {}",
        ui::long_date(lang, local.date_naive()),
        local.format("%H:%M")
    )
}

#[allow(clippy::too_many_arguments)]
fn details_page(
    p: Page,
    app: &App,
    business: &PublicBusiness,
    flow: &Flow,
    chosen: &Chosen,
    form: &DetailsForm,
    status: StatusCode,
    failure: Option<&Failure>,
) -> Response {
    let (lang, u, t) = (p.lang, ui::ui(p.lang), p.t);
    let mut fields = vec![
        Field::new("name", u.your_name, "text")
            .value(&form.name)
            .autocomplete("name"),
        Field::new("email", u.your_email, "email")
            .value(&form.email)
            .autocomplete("email")
            .hint(u.your_email_hint),
        {
            let mut f = Field::new("phone", u.your_phone, "tel")
                .value(&form.phone)
                .autocomplete("tel");
            f.required = false;
            f
        },
    ];
    let mut notes = Field::new("notes", u.your_notes, "textarea").value(&form.notes);
    notes.required = false;
    let mut error = None;
    let mut slot_taken = false;
    if let Some(f) = failure {
        slot_taken = f.fields.0.iter().any(|(field, _)| field == "start");
        let mut all = fields.clone();
        all.push(notes.clone());
        error = f.apply(&mut all);
        notes = all.pop().unwrap_or(notes);
        fields = all;
    }
    let zone = zone_of(flow);
    let sid = chosen.service.id.to_string();
    let staff_param = chosen
        .staff_id
        .map_or("any".to_string(), |id| id.to_string());
    let mut hidden = vec![
        ("service".to_string(), sid.clone()),
        ("staff".to_string(), staff_param.clone()),
        (
            "start".to_string(),
            chosen.start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
        (
            "token".to_string(),
            if form.token.is_empty() || failure.is_some_and(|f| f.status == StatusCode::FORBIDDEN) {
                app.public_form_token(business.scope.id(), Duration::hours(FORM_TTL_HOURS))
            } else {
                form.token.clone()
            },
        ),
    ];
    hidden.extend(flow.hidden());
    let local = chosen.start.with_timezone(&zone);
    let page = DetailsPage {
        t,
        u,
        sw: p.sw.clone(),
        embed: flow.embed,
        business_name: business.name.clone(),
        service: format!(
            "{} ({})",
            chosen.service.name,
            facts(lang, u, &chosen.service)
        ),
        staff: chosen.staff_name.clone(),
        when: when_text(lang, chosen.start, zone),
        zone: flow.tz.replace('_', " "),
        back: flow.href(
            "",
            &[
                ("service", sid),
                ("staff", staff_param),
                ("date", local.date_naive().to_string()),
            ],
        ),
        action: format!("/b/{}/details", business.slug),
        hidden,
        fields,
        notes,
        consent_text: business.marketing_consent_text.clone(),
        consent_checked: form.marketing == "on",
        sms_offered: app.sms_enabled(),
        sms_checked: form.sms == "on",
        privacy_url: business.privacy_notice_url.clone(),
        error,
        slot_taken,
        submit: if chosen.service.requires_approval {
            u.send_request
        } else {
            u.confirm_booking
        },
    };
    framable(p.html(status, &page))
}

#[handler]
pub async fn details_form(
    req: &Request,
    Path(slug): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    let business = match load_business(&app, &slug).await {
        Ok(b) => b,
        Err(AppError::NotFound) => return not_found(Page::new(req, *policy.0)),
        Err(err) => return framable(Page::new(req, *policy.0).failure(err)),
    };
    let p = business_page(req, *policy.0, &business);
    let q: FlowQuery = req.params().unwrap_or_default();
    let flow = flow_of(&q, &business, format!("/b/{}", business.slug));
    let u = ui::ui(p.lang);
    let Some(chosen) = chosen_slot(
        &app,
        &business,
        u,
        q.service.as_deref().unwrap_or(""),
        q.staff.as_deref().unwrap_or("any"),
        q.start.as_deref().unwrap_or(""),
    )
    .await
    else {
        return p.redirect(&flow.href("", &[]));
    };
    details_page(
        p,
        &app,
        &business,
        &flow,
        &chosen,
        &DetailsForm::default(),
        StatusCode::OK,
        None,
    )
}

#[handler]
pub async fn details_submit(
    req: &Request,
    Path(slug): Path<String>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<DetailsForm>,
) -> Response {
    let business = match load_business(&app, &slug).await {
        Ok(b) => b,
        Err(AppError::NotFound) => return not_found(Page::new(req, *policy.0)),
        Err(err) => return framable(Page::new(req, *policy.0).failure(err)),
    };
    let mut p = business_page(req, *policy.0, &business);
    if let Ok(lang) = Language::parse(&form.lang) {
        p.lang = lang;
        p.t = i18n::texts(lang);
    }
    let q = FlowQuery {
        tz: Some(form.tz.clone()),
        lang: Some(form.lang.clone()).filter(|l| !l.is_empty()),
        embed: Some(form.embed.clone()),
        ..FlowQuery::default()
    };
    let flow = flow_of(&q, &business, format!("/b/{}", business.slug));
    let u = ui::ui(p.lang);
    let Some(chosen) =
        chosen_slot(&app, &business, u, &form.service, &form.staff, &form.start).await
    else {
        return p.redirect(&flow.href("", &[]));
    };
    if !form_ok(req, &app, business.scope.id(), &form.token) {
        let failure = Failure::expired(p.t);
        return details_page(
            p,
            &app,
            &business,
            &flow,
            &chosen,
            &form,
            failure.status,
            Some(&failure),
        );
    }
    // The booking page asks for an e-mail: the confirmation and the
    // manage link go there.
    if form.email.trim().is_empty() {
        let failure = Failure::of(
            p.t,
            AppError::invalid("email", "required", "must not be empty"),
        );
        return details_page(
            p,
            &app,
            &business,
            &flow,
            &chosen,
            &form,
            failure.status,
            Some(&failure),
        );
    }
    let nonempty = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    let request = BookingRequest {
        service_id: chosen.service.id,
        staff_id: chosen.staff_id,
        start: chosen.start,
        client_zone: flow.tz.clone(),
        client: ClientDetails {
            name: form.name.clone(),
            email: nonempty(&form.email),
            phone: nonempty(&form.phone),
            notes: nonempty(&form.notes),
            marketing_consent: business.marketing_consent_text.is_some() && form.marketing == "on",
            sms_consent: app.sms_enabled() && form.sms == "on" && !form.phone.trim().is_empty(),
            // The page's language is the one the client reads.
            language: Some(p.lang),
        },
    };
    // The form's token is the idempotency key: a double click books once.
    let fingerprint = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        form.service,
        form.staff,
        form.start,
        form.tz,
        form.name,
        form.email,
        form.phone,
        form.notes
    );
    match app
        .book(
            &business.scope,
            request,
            Some(Idempotency {
                owner: KeyOwner::Form,
                key: &format!("form:{}", form.token),
                body: fingerprint.as_bytes(),
            }),
        )
        .await
    {
        Ok(created) => {
            if created.booking.status == BookingStatus::AwaitingPayment {
                // Straight on to pay; if the provider is down, the manage
                // page explains and offers to try again (the time is held).
                match app
                    .deposit_checkout(&business.slug, &created.manage_token)
                    .await
                {
                    Ok(url) => return p.redirect(&url),
                    Err(err) => tracing::warn!(error = %err, "no payment page for a new booking"),
                }
                let to = flow.href(
                    &format!("/manage/{}", created.manage_token),
                    &[("pay", "1".into())],
                );
                return p.redirect(&to);
            }
            let to = flow.href(
                &format!("/manage/{}", created.manage_token),
                &[("booked", "1".into())],
            );
            p.redirect(&to)
        }
        Err(err) => {
            let failure = Failure::of(p.t, err);
            details_page(
                p,
                &app,
                &business,
                &flow,
                &chosen,
                &form,
                failure.status,
                Some(&failure),
            )
        }
    }
}

// ------------------------------------------------------------- manage

#[derive(Template)]
#[template(path = "book_manage.html")]
struct ManagePage {
    t: &'static Texts,
    u: &'static Ui,
    sw: LangSwitch,
    embed: bool,
    business_name: String,
    booked: bool,
    moved: bool,
    requested: bool,
    cancelled: bool,
    service: String,
    staff: String,
    when: String,
    zone: String,
    status: &'static str,
    ics: String,
    manage_url: String,
    can_change: bool,
    cutoff: String,
    month: Option<MonthView>,
    day: Option<DaySlots>,
    confirm_move: Option<String>,
    confirm_start: String,
    reschedule_action: String,
    cancel_action: String,
    hidden: Vec<(String, String)>,
    token: String,
    reason: Field,
    error: Option<String>,
    zones: Vec<Choice>,
    zone_hidden: Vec<(String, String)>,
    action: String,
    pay: Option<String>,
    pay_action: String,
    pay_failed: bool,
    paid: bool,
    /// An upcoming confirmed visit the client has not confirmed yet.
    can_confirm: bool,
    client_confirmed: bool,
    confirm_action: String,
}

async fn manage_view(
    p: Page,
    app: &App,
    slug: &str,
    token: &str,
    q: &FlowQuery,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (business, booking) = match app.managed_booking(slug, token).await {
        Ok(found) => found,
        Err(AppError::NotFound) => return not_found(p),
        Err(err) => return framable(p.failure(err)),
    };
    let p = {
        let mut p = p;
        let chose = p.chosen;
        let lang = q
            .lang
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .or_else(|| {
                (!chose)
                    .then(|| Language::parse(&business.language).ok())
                    .flatten()
            });
        if let Some(lang) = lang {
            p.lang = lang;
            p.t = i18n::texts(lang);
        }
        p.cookies.clear();
        p
    };
    let mut q2 = FlowQuery {
        tz: q.tz.clone().or_else(|| Some(booking.client_zone.clone())),
        lang: q.lang.clone(),
        embed: q.embed.clone(),
        ..FlowQuery::default()
    };
    q2.month = q.month.clone();
    q2.date = q.date.clone();
    let mut flow = flow_of(
        &q2,
        &business,
        format!("/b/{}/manage/{token}", business.slug),
    );
    flow.tz_given = q.tz.is_some();
    let (lang, u) = (p.lang, ui::ui(p.lang));
    let zone = zone_of(&flow);
    let service = app.service(&business.scope, booking.service_id).await;
    let staff = app.staff_member(&business.scope, booking.staff_id).await;
    let (service, staff) = match (service, staff) {
        (Ok(s), Ok(m)) => (s, m),
        (Err(err), _) | (_, Err(err)) => return framable(p.failure(err)),
    };
    let cutoff_at =
        booking.starts_at - Duration::hours(i64::from(business.cancellation_cutoff_hours));
    let open = matches!(
        booking.status,
        BookingStatus::Confirmed | BookingStatus::Requested | BookingStatus::AwaitingPayment
    );
    let can_change = open && app.now() <= cutoff_at;
    let mut month = None;
    let mut day = None;
    if can_change {
        let today = app.now().with_timezone(&zone).date_naive();
        let range = PickerRange::of(today, &q2);
        let slots = match range.dates() {
            Some((from, to)) => match app.reschedule_slots(slug, token, from, to, zone).await {
                Ok(slots) => slots,
                Err(err) => return framable(p.failure(err)),
            },
            None => Vec::new(),
        };
        let link = |month: &str, date: &str, start: &str| {
            flow.href(
                "",
                &[
                    ("month", month.to_string()),
                    ("date", date.to_string()),
                    ("start", start.to_string()),
                ],
            )
        };
        let picked = picker(lang, u, zone, &range, &q2, &slots, &link);
        month = Some(picked.month);
        day = picked.day;
    }
    let confirm = q
        .start
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|s| s.with_timezone(&Utc))
        .filter(|_| can_change);
    let pay = match app.payment_due(slug, token).await {
        Ok(Some(due)) => Some(format!(
            "{} {} {}",
            ui::money(lang, due.amount_minor, &due.currency),
            u.pay_by,
            when_text(lang, due.due_by, zone)
        )),
        _ => None,
    };
    let mut reason = Field::new("reason", u.cancel_reason, "textarea");
    reason.required = false;
    let page = ManagePage {
        t: p.t,
        u,
        sw: p.sw.clone(),
        embed: flow.embed,
        business_name: business.name.clone(),
        booked: q.booked.as_deref() == Some("1"),
        moved: q.moved.as_deref() == Some("1"),
        requested: booking.status == BookingStatus::Requested,
        cancelled: booking.status == BookingStatus::Cancelled,
        service: format!("{} ({})", service.name, facts(lang, u, &service)),
        staff: staff.name,
        when: when_text(lang, booking.starts_at, zone),
        zone: flow.tz.replace('_', " "),
        status: ui::status_name(u, booking.status.as_str()),
        ics: format!("/b/{}/manage/{token}/booking.ics", business.slug),
        manage_url: format!(
            "{}/b/{}/manage/{token}",
            app.config().public_url,
            business.slug
        ),
        can_change,
        cutoff: when_text(lang, cutoff_at, zone),
        month,
        day,
        confirm_move: confirm.map(|s| when_text(lang, s, zone)),
        confirm_start: confirm
            .map(|s| s.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default(),
        reschedule_action: format!("/b/{}/manage/{token}/reschedule", business.slug),
        cancel_action: format!("/b/{}/manage/{token}/cancel", business.slug),
        hidden: flow.hidden(),
        token: app.public_form_token(business.scope.id(), Duration::hours(FORM_TTL_HOURS)),
        reason,
        error,
        zones: zone_choices(&flow.tz),
        zone_hidden: flow
            .hidden()
            .into_iter()
            .filter(|(k, _)| k != "tz")
            .collect(),
        action: flow.href("", &[]),
        pay_failed: q.pay.as_deref() == Some("1") && pay.is_some(),
        pay,
        pay_action: format!("/b/{}/manage/{token}/pay", business.slug),
        paid: q.paid.as_deref() == Some("1"),
        can_confirm: booking.status == BookingStatus::Confirmed
            && booking.starts_at > app.now()
            && booking.confirmed_by_client_at.is_none(),
        client_confirmed: booking.confirmed_by_client_at.is_some(),
        confirm_action: format!("/b/{}/manage/{token}/confirm", business.slug),
    };
    framable(p.html(status, &page))
}

fn manage_redirect(p: Page, slug: &str, token: &str, form: &ManageForm, extra: &str) -> Response {
    let mut parts = Vec::new();
    if !extra.is_empty() {
        parts.push(extra.to_string());
    }
    if !form.tz.is_empty() {
        parts.push(format!("tz={}", enc(&form.tz)));
    }
    if !form.lang.is_empty() {
        parts.push(format!("lang={}", enc(&form.lang)));
    }
    if form.embed == "1" {
        parts.push("embed=1".into());
    }
    let mut to = format!("/b/{slug}/manage/{token}");
    if !parts.is_empty() {
        to = format!("{to}?{}", parts.join("&"));
    }
    p.redirect(&to)
}

#[handler]
pub async fn manage_page(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
) -> Response {
    let p = Page::new(req, *policy.0);
    let q: FlowQuery = req.params().unwrap_or_default();
    manage_view(p, &app, &slug, &token, &q, StatusCode::OK, None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ManageForm {
    token: String,
    start: String,
    reason: String,
    tz: String,
    lang: String,
    embed: String,
}

impl ManageForm {
    fn query(&self) -> FlowQuery {
        FlowQuery {
            tz: Some(self.tz.clone()).filter(|z| !z.is_empty()),
            lang: Some(self.lang.clone()).filter(|l| !l.is_empty()),
            embed: Some(self.embed.clone()),
            ..FlowQuery::default()
        }
    }
}

/// What every form of the manage page passes first: the business exists
/// and the form is ours (token and origin).
async fn checked_manage_post(
    req: &Request,
    app: &App,
    policy: CookiePolicy,
    slug: &str,
    token: &str,
    form: &ManageForm,
) -> Result<Page, Response> {
    let p = Page::new(req, policy);
    let Some(tenant) = manage_tenant(app, slug).await else {
        return Err(not_found(p));
    };
    if !form_ok(req, app, tenant, &form.token) {
        let msg = p.t.form_expired.to_string();
        let q = form.query();
        let view = manage_view(p, app, slug, token, &q, StatusCode::FORBIDDEN, Some(msg));
        return Err(view.await);
    }
    Ok(p)
}

async fn manage_tenant(app: &App, slug: &str) -> Option<Uuid> {
    app.public_business(slug).await.ok().map(|b| b.scope.id())
}

/// The manage page again, saying why the client's action did not happen.
async fn manage_failed(
    p: Page,
    app: &App,
    slug: &str,
    token: &str,
    q: &FlowQuery,
    err: AppError,
) -> Response {
    let (status, msg) = error_text(&p, err);
    manage_view(p, app, slug, token, q, status, Some(msg)).await
}

fn error_text(p: &Page, err: AppError) -> (StatusCode, String) {
    let f = Failure::of(p.t, err);
    let mut text: Vec<String> = f.fields.0.iter().map(|(_, t)| t.clone()).collect();
    if text.is_empty() {
        text.push(f.form_error.unwrap_or_default());
    }
    (f.status, text.join(" "))
}

#[handler]
pub async fn manage_reschedule(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<ManageForm>,
) -> Response {
    let q = form.query();
    let p = match checked_manage_post(req, &app, *policy.0, &slug, &token, &form).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let Some(start) = DateTime::parse_from_rfc3339(&form.start)
        .ok()
        .map(|s| s.with_timezone(&Utc))
    else {
        let err = AppError::invalid("start", "invalid_format", "not a time");
        return manage_failed(p, &app, &slug, &token, &q, err).await;
    };
    match app.reschedule_by_client(&slug, &token, start).await {
        Ok(_) => manage_redirect(p, &slug, &token, &form, "moved=1"),
        Err(err) => manage_failed(p, &app, &slug, &token, &q, err).await,
    }
}

#[handler]
pub async fn manage_cancel(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<ManageForm>,
) -> Response {
    let q = form.query();
    let p = match checked_manage_post(req, &app, *policy.0, &slug, &token, &form).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let reason = form.reason.trim();
    let reason = (!reason.is_empty()).then_some(reason);
    match app.cancel_by_client(&slug, &token, reason).await {
        Ok(_) => manage_redirect(p, &slug, &token, &form, ""),
        Err(err) => manage_failed(p, &app, &slug, &token, &q, err).await,
    }
}

/// The client confirms the visit (the link in a reminder leads here).
#[handler]
pub async fn manage_confirm(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<ManageForm>,
) -> Response {
    let q = form.query();
    let p = match checked_manage_post(req, &app, *policy.0, &slug, &token, &form).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match app.confirm_by_client(&slug, &token).await {
        Ok(_) => manage_redirect(p, &slug, &token, &form, ""),
        Err(err) => manage_failed(p, &app, &slug, &token, &q, err).await,
    }
}

#[handler]
pub async fn manage_pay(
    req: &Request,
    Path((slug, token)): Path<(String, String)>,
    app: Data<&App>,
    policy: Data<&CookiePolicy>,
    PageForm(form): PageForm<ManageForm>,
) -> Response {
    let q = form.query();
    let p = match checked_manage_post(req, &app, *policy.0, &slug, &token, &form).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match app.deposit_checkout(&slug, &token).await {
        Ok(url) => p.redirect(&url),
        Err(err) => manage_failed(p, &app, &slug, &token, &q, err).await,
    }
}

#[handler]
pub async fn manage_ics(Path((slug, token)): Path<(String, String)>, app: Data<&App>) -> Response {
    match app.managed_booking_ics(&slug, &token).await {
        Ok(ics) => Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .header(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"booking.ics\"",
            )
            .body(ics),
        Err(AppError::NotFound) => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("Not found"),
        Err(_) => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .content_type("text/plain; charset=utf-8")
            .body("Unavailable"),
    }
}

// ------------------------------------------------------------- scripts

pub const SCRIPT: &str = include_str!("../static/termino.js");
pub const EMBED_SCRIPT: &str = include_str!("../static/embed.js");

#[handler]
pub fn script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(SCRIPT)
}

/// The widget loader. Short cache: sites embed a fixed URL.
#[handler]
pub fn embed_script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .header("access-control-allow-origin", "*")
        .body(EMBED_SCRIPT)
}
