//! What a client does through the manage link: see, move or cancel before
//! the business's cutoff, and download the visit's calendar file.

use super::*;

impl App {
    /// The booking as an `.ics` event for the client's calendar.
    pub async fn managed_booking_ics(&self, slug: &str, token: &str) -> AppResult<String> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        let service = self.service(&business.scope, booking.service_id).await?;
        let link = format!(
            "{}/b/{}/manage/{token}",
            self.config().public_url,
            business.slug
        );
        Ok(termino_notify::calendar::booking_ics(
            &termino_notify::calendar::CalendarEvent {
                uid: &crate::calendar::booking_uid(booking.id),
                summary: &format!("{} — {}", service.name, business.name),
                description: &link,
                location: &business.name,
                start: booking.starts_at,
                end: booking.ends_at,
                sequence: booking.sequence.max(0) as u32,
                status: calendar_status(booking.status),
                organizer: None,
                attendee: None,
                alarm_before: Some(crate::calendar::ALARM_BEFORE),
            },
            Method::Publish,
            self.now(),
        ))
    }

    /// The booking behind a manage link, with its business.
    pub async fn managed_booking(
        &self,
        slug: &str,
        token: &str,
    ) -> AppResult<(PublicBusiness, Booking)> {
        let business = self.public_business(slug).await?;
        let row = termino_store::repo::scheduling::booking_by_token_hash(
            self.db().connection(),
            &token_hash(token),
        )
        .await?
        .filter(|r| r.tenant_id == business.scope.id())
        .ok_or(AppError::NotFound)?;
        let booking = self.opened(row.tenant_id, &row).await?;
        Ok((business, booking))
    }

    pub(super) fn before_cutoff(
        &self,
        business: &PublicBusiness,
        booking: &Booking,
    ) -> AppResult<()> {
        if !termino_domain::booking::client_may_change(
            booking.starts_at,
            business.cancellation_cutoff_hours,
            self.now(),
        ) {
            return Err(AppError::Conflict {
                kind: ConflictKind::PastCutoff,
                field: None,
                message: format!(
                    "changes are possible until {} hours before the visit; please contact the business",
                    business.cancellation_cutoff_hours
                ),
            });
        }
        Ok(())
    }

    pub async fn reschedule_by_client(
        &self,
        slug: &str,
        token: &str,
        start: DateTime<Utc>,
    ) -> AppResult<Booking> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.before_cutoff(&business, &booking)?;
        let row = self
            .move_booking(&business.scope, booking.id, start, None, Actor::Client)
            .await?;
        self.opened(business.scope.id(), &row).await
    }

    pub async fn cancel_by_client(
        &self,
        slug: &str,
        token: &str,
        reason: Option<&str>,
    ) -> AppResult<Booking> {
        let (business, booking) = self.managed_booking(slug, token).await?;
        self.before_cutoff(&business, &booking)?;
        let row = self
            .transition(
                &business.scope,
                booking.id,
                BookingStatus::Cancelled,
                Actor::Client,
                reason,
            )
            .await?;
        self.opened(business.scope.id(), &row).await
    }
}
