//! A booking moving: to another time or staff member, or along the state
//! machine of `termino_domain::booking` (approve, cancel, attended, no-show).

use super::*;

impl App {
    /// Moves a booking (same booking, same client) to a new start, and
    /// optionally another staff member, through every check a new booking
    /// passes. A client moving a booking the business had to approve asks
    /// for its approval again; the business moving it approves it itself.
    pub(super) async fn move_booking(
        &self,
        scope: &TenantScope,
        id: Uuid,
        new_start: DateTime<Utc>,
        new_staff: Option<Uuid>,
        by: Actor,
    ) -> AppResult<BookingRow> {
        let now = self.now();
        let tx = self.db().begin_tenant(scope).await?;
        let row = repo::get_booking(&tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let status = BookingStatus::parse(&row.status).unwrap_or(BookingStatus::Cancelled);
        if !status.movable() {
            return Err(AppError::Conflict {
                kind: ConflictKind::BookingNotMovable,
                field: None,
                message: format!("a {} booking cannot be moved", status.as_str()),
            });
        }
        let Placement {
            service,
            rules,
            staff_id,
            slot,
            ..
        } = self
            .place(
                &tx,
                scope,
                row.service_id,
                Some(new_staff.unwrap_or(row.staff_id)),
                new_start,
                Some(&row),
            )
            .await?;
        let mut moved = row.clone();
        moved.staff_id = staff_id;
        moved.starts_at = slot.start;
        moved.ends_at = slot.end;
        moved.occupied_start = slot.start - Duration::minutes(i64::from(rules.buffer_before_min));
        moved.occupied_end = slot.end + Duration::minutes(i64::from(rules.buffer_after_min));
        moved.class_key = class_key(&service, row.id, slot.start);
        moved.updated_at = now;
        // A confirmation was for the old time.
        moved.confirmed_by_client_at = None;
        moved.sequence += 1;
        if by == Actor::Client && service.requires_approval {
            moved.status = BookingStatus::Requested.as_str().into();
        }
        let saved = repo::save_booking(&tx, scope, moved)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(&tx, scope, &saved).await?;
        self.record_change(&tx, scope, saved.id, ChangeKind::Rescheduled, by)
            .await?;
        let keyring = self.sealing_keys(&tx, scope).await?;
        self.queue_booking_messages(
            &tx,
            scope,
            &keyring,
            &saved,
            None,
            BookingEvent::Rescheduled,
        )
        .await?;
        self.notice_to_business(
            &tx,
            scope,
            &saved,
            Notice::Rescheduled {
                before: row.starts_at,
            },
        )
        .await?;
        let contact = self
            .client_contact(&tx, scope, &keyring, saved.client_id)
            .await?;
        self.emit(
            &tx,
            scope,
            &keyring,
            "booking.rescheduled",
            booking_data(&saved),
            contact,
        )
        .await?;
        commit(tx).await?;
        self.wake_mail();
        self.announce(scope.id(), "booking.rescheduled", id);
        tracing::info!(event = "booking_rescheduled", tenant_id = %scope.id(), booking_id = %id, "booking rescheduled");
        Ok(saved)
    }

    pub async fn reschedule_booking(
        &self,
        principal: &Principal,
        id: Uuid,
        start: DateTime<Utc>,
        staff_id: Option<Uuid>,
    ) -> AppResult<Booking> {
        self.check_writable(principal).await?;
        let row = self
            .move_booking(
                &principal.tenant,
                id,
                start,
                staff_id,
                crate::changes::actor_of(principal),
            )
            .await?;
        self.audit(
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "booking.rescheduled").on("booking", id),
        )
        .await?;
        self.opened(principal.tenant.id(), &row).await
    }

    /// The business's moves along the state machine.
    pub async fn change_booking_status(
        &self,
        principal: &Principal,
        id: Uuid,
        to: BookingStatus,
        reason: Option<&str>,
    ) -> AppResult<Booking> {
        self.check_writable(principal).await?;
        let row = self
            .transition(
                &principal.tenant,
                id,
                to,
                crate::changes::actor_of(principal),
                reason,
            )
            .await?;
        self.audit(
            &principal.tenant,
            AuditEvent::new(principal.audit_actor(), "booking.status_changed")
                .on("booking", id)
                .detail(row.status.clone()),
        )
        .await?;
        self.opened(principal.tenant.id(), &row).await
    }

    pub(crate) async fn transition(
        &self,
        scope: &TenantScope,
        id: Uuid,
        to: BookingStatus,
        by: Actor,
        reason: Option<&str>,
    ) -> AppResult<BookingRow> {
        let tx = self.db().begin_tenant(scope).await?;
        let (saved, from, hook) = self.transition_in(&tx, scope, id, to, by, reason).await?;
        commit(tx).await?;
        self.after_transition(scope, &saved, from, to, hook).await;
        Ok(saved)
    }

    /// What follows a committed status change: mail, subscribers, refunds.
    pub(crate) async fn after_transition(
        &self,
        scope: &TenantScope,
        saved: &BookingRow,
        from: BookingStatus,
        to: BookingStatus,
        hook: &'static str,
    ) {
        self.wake_mail();
        if !hook.is_empty() {
            self.announce(scope.id(), hook, saved.id);
        }
        if to == BookingStatus::Cancelled {
            self.refund_due_payments(scope, saved.id).await;
        }
        tracing::info!(event = "booking_status", tenant_id = %scope.id(), booking_id = %saved.id, from = from.as_str(), to = to.as_str(), "booking status changed");
    }

    /// A status change in the caller's transaction (a payment notification
    /// confirms its booking in the same transaction as it records itself).
    pub(crate) async fn transition_in(
        &self,
        tx: &Tx,
        scope: &TenantScope,
        id: Uuid,
        to: BookingStatus,
        by: Actor,
        reason: Option<&str>,
    ) -> AppResult<(BookingRow, BookingStatus, &'static str)> {
        use BookingStatus::*;
        let now = self.now();
        let row = repo::get_booking(tx, scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let from = BookingStatus::parse(&row.status).unwrap_or(Cancelled);
        if let Err(refusal) =
            termino_domain::booking::may_transition(from, to, by, row.starts_at, now)
        {
            use termino_domain::booking::Refusal;
            let why = match refusal {
                Refusal::Invalid => "",
                Refusal::NotForActor => " this way",
                Refusal::NotStarted => " before it starts",
            };
            return Err(AppError::Conflict {
                kind: ConflictKind::InvalidTransition,
                field: Some("status"),
                message: format!(
                    "a {} booking cannot become {}{why}",
                    from.as_str(),
                    to.as_str()
                ),
            });
        }
        let mut changed = row.clone();
        if to == Confirmed {
            // Approval claims the time: checked like a new booking.
            let service = repo::get_service(tx, scope, row.service_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let rules = rules_of(&service);
            repo::lock_staff(tx, scope, row.staff_id).await?;
            let window = (
                row.starts_at - Duration::days(1),
                row.starts_at + Duration::days(1),
            );
            let closures = self.closed_time(tx, scope, window.0, window.1).await?;
            let calendars = self
                .calendars(tx, scope, &[row.staff_id], window.0, window.1, Some(row.id))
                .await?;
            let calendar = calendars.first().ok_or(AppError::NotFound)?;
            // Approving late is fine: only collisions and closures count.
            let approval_rules = ServiceRules {
                min_notice_min: 0,
                max_advance_days: rules.max_advance_days.max(3650),
                ..rules
            };
            match check_slot(
                calendar,
                &approval_rules,
                &closures,
                row.starts_at,
                row.created_at.min(now),
            ) {
                Ok(_) | Err(SlotProblem::InPast) | Err(SlotProblem::TooSoon) => {}
                Err(p) => return Err(slot_problem(p)),
            }
        }
        let keyring = self.sealing_keys(tx, scope).await?;
        changed.status = to.as_str().into();
        changed.updated_at = now;
        changed.sequence += 1;
        if to == Cancelled {
            changed.cancelled_by = Some(by.as_str().to_string());
            changed.cancelled_at = Some(now);
            changed.cancel_reason = reason
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| keyring.seal(&sealed::BOOKING_CANCEL_REASON, row.id, r.as_bytes()))
                .transpose()?;
        }
        let saved = repo::save_booking(tx, scope, changed)
            .await
            .map_err(store_to_conflict)?;
        self.refresh_reminders(tx, scope, &saved).await?;
        let change = match (from, to) {
            (Requested, Cancelled) if by != Actor::Client => Some(ChangeKind::Declined),
            (_, Cancelled) => Some(ChangeKind::Cancelled),
            (Requested, Confirmed) => Some(ChangeKind::Approved),
            _ => None,
        };
        if let Some(kind) = change {
            self.record_change(tx, scope, saved.id, kind, by).await?;
        }
        let event = match (from, to) {
            (AwaitingPayment, Confirmed) => Some(BookingEvent::DepositPaid),
            (_, Confirmed) => Some(BookingEvent::Approved),
            (Requested, Cancelled) if by != Actor::Client => Some(BookingEvent::Declined),
            (_, Cancelled) => Some(BookingEvent::Cancelled),
            _ => None,
        };
        if let Some(event) = event {
            self.queue_booking_messages(tx, scope, &keyring, &saved, None, event)
                .await?;
        }
        // A hold that ran out was never announced to the business.
        if to == Cancelled && from != AwaitingPayment {
            let by_client = by == Actor::Client;
            self.notice_to_business(tx, scope, &saved, Notice::Cancelled { by_client })
                .await?;
        }
        let hook = match to {
            Confirmed => "booking.confirmed",
            Cancelled => "booking.cancelled",
            Completed => "booking.completed",
            NoShow => "booking.no_show",
            _ => "",
        };
        if !hook.is_empty() {
            let contact = self
                .client_contact(tx, scope, &keyring, saved.client_id)
                .await?;
            self.emit(tx, scope, &keyring, hook, booking_data(&saved), contact)
                .await?;
        }
        crate::deposits::on_booking_status(tx, scope, &saved, to, by, now).await?;
        Ok((saved, from, hook))
    }
}
