//! The business panel under `/app`.

use poem::{Route, get};

use crate::{pages, security_headers};

pub fn routes() -> Route {
    Route::new().at("/", security_headers(get(pages::app_home)))
}
