//! Process-wide metrics: one Prometheus recorder, installed once, rendered at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder if no one has yet, and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
            .expect("static bucket list is valid")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_gauge!("entente_objects_stored", "object versions in the store");
    metrics::describe_counter!("entente_objects_ingested_total", "objects offered to the store, by outcome");
    metrics::describe_histogram!(
        "entente_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by route and status"
    );
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    install().render()
}
