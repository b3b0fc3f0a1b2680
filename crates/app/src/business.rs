//! Business settings.

use termino_domain::ValidationErrors;
use termino_domain::business::{Language, TimeZone, validate_company_name};
use termino_store::commit;
use termino_store::repo::tenants;

use crate::accounts::Business;
use crate::auth::Principal;
use crate::{App, AppError, AppResult};

/// A partial update: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct BusinessUpdate {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub language: Option<String>,
    /// Clients may reschedule or cancel until this many hours before.
    pub cancellation_cutoff_hours: Option<i64>,
    /// Closed on Polish public holidays.
    pub polish_holidays: Option<bool>,
}

impl App {
    pub async fn update_business(
        &self,
        principal: &Principal,
        update: BusinessUpdate,
    ) -> AppResult<Business> {
        principal.require(
            principal.role().can_edit_business_settings(),
            "editing business settings",
        )?;
        let mut errors = ValidationErrors::new();
        let name = update
            .name
            .as_deref()
            .and_then(|n| errors.check("name", validate_company_name(n)));
        let time_zone = update
            .time_zone
            .as_deref()
            .and_then(|z| errors.check("time_zone", TimeZone::parse(z)));
        let language = update
            .language
            .as_deref()
            .and_then(|l| errors.check("language", Language::parse(l)));
        if let Some(h) = update.cancellation_cutoff_hours
            && !(0..=24 * 30).contains(&h)
        {
            errors.add(
                "cancellation_cutoff_hours",
                "out_of_range",
                "between 0 and 720 hours",
            );
        }
        errors.into_result()?;

        let tx = self.db().begin_tenant(&principal.tenant).await?;
        let mut business = tenants::get(&tx, &principal.tenant)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(name) = name {
            business.name = name;
        }
        if let Some(zone) = time_zone {
            business.time_zone = zone.name().to_string();
        }
        if let Some(lang) = language {
            business.language = lang.code().to_string();
        }
        if let Some(h) = update.cancellation_cutoff_hours {
            business.cancellation_cutoff_hours = h as i32;
        }
        if let Some(on) = update.polish_holidays {
            business.polish_holidays = on;
        }
        business.updated_at = self.now();
        let saved = tenants::update(&tx, &principal.tenant, business).await?;
        commit(tx).await?;
        Ok(saved)
    }
}
