//! When a booking can be made: free start times for a service (one staff
//! member or anyone), from working hours, closures, bookings and the staff
//! members' own calendars.

use super::*;

impl App {
    /// A business's public face, by the slug of its booking page.
    pub async fn public_business(&self, slug: &str) -> AppResult<PublicBusiness> {
        let tenant = tenants::find_by_slug(self.db().connection(), slug)
            .await?
            .ok_or(AppError::NotFound)?;
        let current = self.current_dpa().await?;
        let dpa_missing =
            crate::dpa::dpa_state(&tenant, &current, self.now()) == crate::dpa::DpaState::Required;
        let accepts_bookings =
            crate::dpa::check_standing(&tenant, self.now()).is_ok() && !dpa_missing;
        Ok(PublicBusiness {
            accepts_bookings,
            not_yet: dpa_missing,
            scope: TenantScope::authenticated(tenant.id),
            slug: tenant.slug,
            name: tenant.name,
            time_zone: tenant.time_zone,
            language: tenant.language,
            cancellation_cutoff_hours: tenant.cancellation_cutoff_hours,
            booking_intro: tenant.booking_intro,
            privacy_notice_url: tenant.privacy_notice_url,
            marketing_consent_text: tenant.marketing_consent_text,
        })
    }

    /// Closed time of the business between two instants: its closures and,
    /// if it opted in, Polish public holidays (whole days in its zone).
    pub(super) async fn closed_time(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> AppResult<Vec<Closure>> {
        let tenant = tenants::get(tx, scope).await?.ok_or(AppError::NotFound)?;
        let zone: Tz = tenant
            .time_zone
            .parse()
            .unwrap_or(chrono_tz::Europe::Warsaw);
        let mut days: Vec<(NaiveDate, NaiveDate)> = repo::closures(tx, scope)
            .await?
            .into_iter()
            .filter_map(|c| Some((c.starts_on.parse().ok()?, c.ends_on.parse().ok()?)))
            .collect();
        if tenant.polish_holidays {
            let first = from.with_timezone(&zone).date_naive();
            let last = to.with_timezone(&zone).date_naive();
            for year in chrono::Datelike::year(&first)..=chrono::Datelike::year(&last) {
                for (day, _) in termino_domain::holidays::polish_public_holidays(year) {
                    days.push((day, day));
                }
            }
        }
        Ok(days
            .into_iter()
            .map(|(a, b)| Closure {
                start: local_midnight(a, zone),
                end: local_midnight(b + Duration::days(1), zone),
            })
            .filter(|c| c.end > from && c.start < to)
            .collect())
    }

    /// Calendars of the given staff members for [from, to), read in `tx`.
    pub(super) async fn calendars(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        staff_ids: &[Uuid],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        except_booking: Option<Uuid>,
    ) -> AppResult<Vec<StaffCalendar>> {
        // A day either side covers any zone's local dates and long buffers.
        let (wide_from, wide_to) = (from - Duration::days(2), to + Duration::days(2));
        let busy = repo::busy(tx, scope, staff_ids, wide_from, wide_to).await?;
        // Staff members' own calendars block like bookings (of no service).
        let elsewhere =
            termino_store::repo::external_calendars::busy(tx, scope, staff_ids, wide_from, wide_to)
                .await?;
        let overrides = repo::overrides(
            tx,
            scope,
            staff_ids,
            &wide_from.date_naive().to_string(),
            &wide_to.date_naive().to_string(),
        )
        .await?;
        let everyone = repo::staff(tx, scope, false).await?;
        let mut calendars = Vec::new();
        for staff in everyone.into_iter().filter(|s| staff_ids.contains(&s.id)) {
            let week: StoredWeek = serde_json::from_str(&staff.weekly_hours).unwrap_or_default();
            calendars.push(StaffCalendar {
                staff_id: staff.id,
                zone: staff.time_zone.parse().unwrap_or(chrono_tz::Europe::Warsaw),
                weekly: week.to_weekly(),
                overrides: overrides
                    .iter()
                    .filter(|o| o.staff_id == staff.id)
                    .filter_map(|o| {
                        let minutes: Vec<(u16, u16)> = serde_json::from_str(&o.intervals).ok()?;
                        Some(termino_domain::schedule::DayOverride {
                            date: o.day.parse().ok()?,
                            intervals: minutes
                                .into_iter()
                                .filter_map(|(s, e)| {
                                    termino_domain::schedule::LocalInterval::new(s, e).ok()
                                })
                                .collect(),
                        })
                    })
                    .collect(),
                busy: busy
                    .iter()
                    .filter(|b| b.staff_id == staff.id && Some(b.id) != except_booking)
                    .map(busy_of)
                    .chain(
                        elsewhere
                            .iter()
                            .filter(|b| b.staff_id == staff.id)
                            .map(|b| Busy {
                                start: b.starts_at,
                                end: b.ends_at,
                                service_id: None,
                                slot_start: b.starts_at,
                                seats: 1,
                            }),
                    )
                    .collect(),
            });
        }
        Ok(calendars)
    }

    /// Who may perform a service: its active staff, or the one asked for.
    pub(super) async fn performers(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        service: &ServiceRow,
        staff_id: Option<Uuid>,
    ) -> AppResult<Vec<Uuid>> {
        let pairs = repo::service_staff(tx, scope).await?;
        let active = repo::staff(tx, scope, true).await?;
        let mut ids: Vec<Uuid> = pairs
            .iter()
            .filter(|(s, staff)| *s == service.id && active.iter().any(|a| a.id == *staff))
            .map(|(_, staff)| *staff)
            .collect();
        ids.sort();
        match staff_id {
            Some(wanted) if ids.contains(&wanted) => Ok(vec![wanted]),
            Some(_) => Err(AppError::invalid(
                "staff_id",
                "does_not_perform",
                "this staff member does not perform this service",
            )),
            None => Ok(ids),
        }
    }

    pub(super) async fn active_service(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        id: Uuid,
    ) -> AppResult<ServiceRow> {
        match repo::get_service(tx, scope, id).await? {
            Some(s) if s.active => Ok(s),
            _ => Err(AppError::invalid(
                "service_id",
                "unknown_service",
                "no such service",
            )),
        }
    }

    /// Free slots for a service from `from` to `to` (dates in `zone`,
    /// inclusive), with one staff member or anyone.
    pub async fn availability(
        &self,
        scope: &TenantScope,
        service_id: Uuid,
        staff_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
    ) -> AppResult<Vec<AnySlot>> {
        self.free_slots(scope, service_id, staff_id, from, to, zone, None)
            .await
    }

    /// Free slots to move a client's booking to: with the same staff
    /// member, its own current time counted as free.
    pub async fn reschedule_slots(
        &self,
        slug: &str,
        token: &str,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
    ) -> AppResult<Vec<AnySlot>> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.free_slots(
            &business.scope,
            booking.service_id,
            Some(booking.staff_id),
            from,
            to,
            zone,
            Some(booking.id),
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn free_slots(
        &self,
        scope: &TenantScope,
        service_id: Uuid,
        staff_id: Option<Uuid>,
        from: NaiveDate,
        to: NaiveDate,
        zone: Tz,
        except_booking: Option<Uuid>,
    ) -> AppResult<Vec<AnySlot>> {
        if to < from {
            return Err(AppError::invalid(
                "to",
                "end_before_start",
                "must not be before from",
            ));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(AppError::invalid(
                "to",
                "range_too_long",
                format!("at most {MAX_RANGE_DAYS} days at once"),
            ));
        }
        let start = local_midnight(from, zone);
        let end = local_midnight(to + Duration::days(1), zone);
        let tx = self.db().begin_tenant(scope).await?;
        let service = self.active_service(&tx, scope, service_id).await?;
        let staff = self.performers(&tx, scope, &service, staff_id).await?;
        let calendars = self
            .calendars(&tx, scope, &staff, start, end, except_booking)
            .await?;
        let closures = self.closed_time(&tx, scope, start, end).await?;
        commit(tx).await?;
        Ok(slots_for_anyone(
            &calendars,
            &rules_of(&service),
            &closures,
            start,
            end,
            self.now(),
        ))
    }
}
