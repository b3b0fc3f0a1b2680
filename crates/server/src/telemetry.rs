//! One function builds the log subscriber. Log lines carry ids and request
//! ids; never names, e-mails, phones, tokens or full IP addresses.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,poem=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // A second call (tests start many servers) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
