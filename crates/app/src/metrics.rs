//! What `/metrics` shows, in Prometheus's text format: requests per route,
//! bookings and conflicts, background queues and outcomes, the database
//! pool. Labels are route patterns, kinds and outcomes, never a path with
//! ids or tokens in it, and never personal data. Each [`App`] has its own
//! registry (several run in one test process).

// Names, help texts and labels below are constants: registering them fails
// only on a programming mistake, which every test that starts an App hits.
#![allow(clippy::expect_used)]

use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::{App, AppError, AppResult};

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    bookings: IntCounterVec,
    conflicts: IntCounterVec,
    jobs: IntCounterVec,
    deliveries: IntCounterVec,
    backlog: IntGaugeVec,
    backlog_age: GaugeVec,
    pool: IntGaugeVec,
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
    registry.register(Box::new(c.clone())).expect("a new name");
    c
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid metric");
    registry.register(Box::new(g.clone())).expect("a new name");
    g
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new_custom(Some("termino".into()), None).expect("a registry");
        let http_seconds = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to answer a request.")
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ]),
            &["method", "route"],
        )
        .expect("a valid metric");
        registry
            .register(Box::new(http_seconds.clone()))
            .expect("a new name");
        let backlog_age = GaugeVec::new(
            Opts::new(
                "queue_oldest_age_seconds",
                "How long the oldest pending item of a queue has waited.",
            ),
            &["queue"],
        )
        .expect("a valid metric");
        registry
            .register(Box::new(backlog_age.clone()))
            .expect("a new name");
        Metrics {
            http_requests: counter(
                &registry,
                "http_requests_total",
                "Requests answered, by route pattern and status.",
                &["method", "route", "status"],
            ),
            bookings: counter(&registry, "bookings_created_total", "Bookings made.", &[]),
            conflicts: counter(
                &registry,
                "booking_conflicts_total",
                "Bookings refused by a conflict, by kind.",
                &["kind"],
            ),
            jobs: counter(
                &registry,
                "jobs_total",
                "Background jobs run, by kind and outcome.",
                &["kind", "outcome"],
            ),
            deliveries: counter(
                &registry,
                "deliveries_total",
                "Mail, SMS and webhook deliveries tried, by channel and outcome.",
                &["channel", "outcome"],
            ),
            backlog: gauge(
                &registry,
                "queue_pending",
                "Items waiting in a background queue.",
                &["queue"],
            ),
            pool: gauge(
                &registry,
                "db_pool_connections",
                "Connections of the main database pool, by state.",
                &["state"],
            ),
            http_seconds,
            backlog_age,
            registry,
        }
    }
}

impl Metrics {
    /// One answered request; `route` is the matched pattern.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_seconds
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// The result of a booking attempt.
    pub(crate) fn booking<T>(&self, result: &AppResult<T>) {
        match result {
            Ok(_) => self.bookings.with_label_values::<&str>(&[]).inc(),
            Err(AppError::Conflict { kind, .. }) => {
                self.conflicts.with_label_values(&[kind.as_str()]).inc()
            }
            Err(_) => {}
        }
    }

    pub(crate) fn job(&self, kind: &str, outcome: &'static str) {
        self.jobs.with_label_values(&[kind, outcome]).inc();
    }

    pub(crate) fn delivery(&self, channel: &'static str, outcome: &'static str) {
        self.deliveries.with_label_values(&[channel, outcome]).inc();
    }
}

impl App {
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Every metric in Prometheus's text format, the queue and pool gauges
    /// read now.
    pub async fn render_metrics(&self) -> AppResult<String> {
        let m = &self.inner.metrics;
        let now = self.now();
        for b in termino_store::repo::queues::backlogs(self.db().connection()).await? {
            m.backlog
                .with_label_values(&[b.queue])
                .set(b.pending as i64);
            let age = b
                .oldest
                .map(|t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
                .unwrap_or(0.0);
            m.backlog_age.with_label_values(&[b.queue]).set(age);
        }
        let (open, idle) = self.db().pool_connections();
        m.pool.with_label_values(&["idle"]).set(i64::from(idle));
        m.pool
            .with_label_values(&["in_use"])
            .set(i64::from(open.saturating_sub(idle)));
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&m.registry.gather(), &mut out)
            .map_err(|e| AppError::Internal(e.into()))?;
        String::from_utf8(out).map_err(|e| AppError::Internal(e.into()))
    }
}
