//! Metrics in the Prometheus text format (the `metrics` crate's macros, the
//! `metrics-exporter-prometheus` recorder), and the access log.
//!
//! The recorder is global and installed once per process ([`install`]);
//! until then every macro is a no-op. `/metrics` answers only where the
//! operator asked for it: on the main listener ([`WebConfig::metrics`]) or
//! on a listener of its own ([`metrics_router`]). Labels are route templates,
//! methods, statuses, job kinds and states: never a path with a private-link
//! secret, an address or any other private value.
//!
//! [`WebConfig::metrics`]: crate::WebConfig::metrics

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use embargo_app::App;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::error::ApiError;

/// Requests answered, by method, route template and status.
pub const HTTP_REQUESTS: &str = "embargo_http_requests_total";
/// Request latency in seconds, by method, route template and status.
pub const HTTP_DURATION: &str = "embargo_http_request_duration_seconds";

/// The buckets of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// The buckets of the SQLite writer's batch sizes (use cases per transaction).
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's recorder handle, once installed.
static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Whether a recorder is installed: until then the request metrics' labels
/// are not even built (the macros would drop them).
static RECORDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Why the metrics recorder could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The exporter refused its settings, or another recorder is installed.
    #[error("cannot install the metrics recorder: {0}")]
    Install(#[from] BuildError),
    /// A thread panicked while installing it.
    #[error("the metrics recorder is in an unknown state")]
    Poisoned,
}

/// Installs the global recorder the first time; later calls (several apps
/// in one test process) get the same handle.
pub fn install() -> Result<PrometheusHandle, MetricsError> {
    let mut slot = HANDLE.lock().map_err(|_| MetricsError::Poisoned)?;
    if let Some(handle) = slot.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), &LATENCY_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full("embargo_sqlite_writer_batch_size".into()), &BATCH_BUCKETS)?
        .install_recorder()?;
    describe();
    RECORDING.store(true, std::sync::atomic::Ordering::Relaxed);
    *slot = Some(handle.clone());
    Ok(handle)
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route template and status");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP request latency, by method, route template and status");
    describe_histogram!("embargo_sqlite_writer_batch_size", "use cases committed per SQLite write transaction");
    describe_gauge!(
        "embargo_sqlite_writer_queue_depth",
        "use cases waiting for the SQLite writer after a batch was taken"
    );
    describe_gauge!("embargo_db_pool_connections", "database connections open, by state (idle, in_use)");
    describe_gauge!("embargo_db_pool_max_connections", "the most connections the database pool opens");
    describe_gauge!("embargo_jobs", "unfinished background jobs, by kind and state (pending, running, failed)");
    describe_gauge!("embargo_search_backlog", "reports waiting for the background search indexer");
    describe_counter!("embargo_mail_received_total", "inbound mails filed (as a report or a message)");
    describe_counter!("embargo_mail_refused_total", "inbound mails refused, by reason");
    describe_counter!("embargo_mail_sent_total", "notification mails the relay accepted");
    describe_counter!(
        "embargo_mail_in_doubt_total",
        "notification mails not sent again because a worker stopped while sending them"
    );
    describe_counter!("embargo_osv_queries_total", "OSV API requests, by endpoint");
}

/// A router answering only `GET /metrics`, for a listener of its own.
pub fn metrics_router(app: App, handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(serve)).with_state(Exposed { app, handle: Arc::new(handle) })
}

/// What the separate metrics listener holds.
#[derive(Clone)]
struct Exposed {
    app: App,
    handle: Arc<PrometheusHandle>,
}

async fn serve(State(exposed): State<Exposed>) -> Response {
    render(&exposed.app, &exposed.handle).await
}

/// `/metrics` on the main listener: 404 unless the operator enabled it.
pub(crate) async fn serve_on_main(State(state): State<AppState>) -> Response {
    match &state.config.metrics {
        Some(handle) => render(&state.app, handle).await,
        None => ApiError::not_found().into_response(),
    }
}

/// The job, search backlog and pool gauges are read at scrape time, then everything is rendered.
async fn render(app: &App, handle: &PrometheusHandle) -> Response {
    match app.operations_snapshot().await {
        Ok(snapshot) => {
            let pool = snapshot.pool;
            let backend = snapshot.backend;
            metrics::gauge!("embargo_db_pool_connections", "backend" => backend, "state" => "idle")
                .set(f64::from(pool.idle));
            metrics::gauge!("embargo_db_pool_connections", "backend" => backend, "state" => "in_use")
                .set(f64::from(pool.open.saturating_sub(pool.idle)));
            metrics::gauge!("embargo_db_pool_max_connections", "backend" => backend).set(f64::from(pool.max));
            record_jobs(&snapshot.jobs);
            #[expect(clippy::cast_precision_loss, reason = "a gauge is a float; a backlog stays far below 2^52")]
            metrics::gauge!("embargo_search_backlog").set(snapshot.search_backlog as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the job and pool counts for /metrics"),
    }
    handle.run_upkeep();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// The (kind, state) pairs reported before: a pair that has no job left is
/// set to 0 rather than left at its last value.
static SEEN_JOBS: Mutex<BTreeSet<(String, &'static str)>> = Mutex::new(BTreeSet::new());

fn record_jobs(jobs: &[embargo_store::operations::JobCount]) {
    let Ok(mut seen) = SEEN_JOBS.lock() else { return };
    let now: BTreeSet<(String, &'static str)> = jobs.iter().map(|j| (j.kind.clone(), j.state)).collect();
    for (kind, state) in seen.difference(&now) {
        metrics::gauge!("embargo_jobs", "kind" => kind.clone(), "state" => *state).set(0.0);
    }
    for job in jobs {
        #[expect(clippy::cast_precision_loss, reason = "a gauge is a float; job counts stay far below 2^52")]
        let count = job.count as f64;
        metrics::gauge!("embargo_jobs", "kind" => job.kind.clone(), "state" => job.state).set(count);
    }
    seen.extend(now);
}

/// Counts and times every request, and writes its access-log line at `info`:
/// method, route template, status, milliseconds and request id (the path of
/// a private link is redacted, as in the request span).
pub(crate) async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let request_id = request.headers().get(crate::request_id::HEADER).cloned();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let seen = Seen { method: &method, route: route.as_ref(), path: uri.path(), request_id: request_id.as_ref() };
    record(&seen, response.status().as_u16(), started);
    response
}

/// What [`record`] says of a request.
pub(crate) struct Seen<'a> {
    /// Its method.
    pub method: &'a axum::http::Method,
    /// Its route template, when a route matched.
    pub route: Option<&'a MatchedPath>,
    /// Its path (redacted here when it holds a private link's secret).
    pub path: &'a str,
    /// Its `x-request-id`.
    pub request_id: Option<&'a axum::http::HeaderValue>,
}

/// Counts and times one answered request and writes its access-log line:
/// the one place both are made, for the middleware above and for the
/// public cache, which answers kept pages before the rest of the stack.
/// Labels are built only when a recorder is installed, and the line's
/// fields only when `info` is on for `embargo::access`.
pub(crate) fn record(seen: &Seen<'_>, status: u16, started: Instant) {
    let elapsed = started.elapsed();
    // Unmatched paths share one label, so a scan cannot grow the label set.
    let route = seen.route.map_or("unmatched", MatchedPath::as_str);
    if RECORDING.load(std::sync::atomic::Ordering::Relaxed) {
        let labels =
            [("method", seen.method.as_str().to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
        metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
        metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
    }
    tracing::info!(
        target: "embargo::access",
        method = %seen.method,
        route = %route,
        path = %crate::loggable_path(seen.path),
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        request_id = %seen.request_id.and_then(|v| v.to_str().ok()).unwrap_or("-"),
        "request"
    );
}
