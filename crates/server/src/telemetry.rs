//! Process-wide metrics: one Prometheus recorder, installed once, rendered
//! at `/metrics` to whom [`MetricsAccess`] admits.

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

/// Who may read `/metrics`, whose counts are node-wide (configuration key
/// `metrics_access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsAccess {
    /// Clients on the node's own machine (a loopback address) only.
    #[default]
    Loopback,
    /// Callers with a token of the node's own partner (any role), from anywhere.
    Token,
}

impl MetricsAccess {
    /// Whether a client at `ip` (unknown: `None`) may read without a token.
    pub fn admits_address(self, ip: Option<std::net::IpAddr>) -> bool {
        self == MetricsAccess::Loopback && ip.is_some_and(|ip| ip.to_canonical().is_loopback())
    }
}

impl std::str::FromStr for MetricsAccess {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "loopback" => Ok(MetricsAccess::Loopback),
            "token" => Ok(MetricsAccess::Token),
            other => Err(format!("metrics_access: {other:?} is neither \"loopback\" nor \"token\"")),
        }
    }
}

#[cfg(test)]
mod tests;
