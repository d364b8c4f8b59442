//! Logs and metrics set-up.
//!
//! Logs are JSON when stderr is not a terminal (what log shippers want) and human-readable
//! otherwise. Metrics go to one process-wide Prometheus recorder rendered at `/metrics`.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;

pub fn init_logging() {
    // Without an exporter, `init` cannot fail to build one.
    drop(init(None));
}

/// Logs, and trace export when `otlp` names a collector. The returned guard flushes the spans
/// still buffered when dropped: hold it until the process ends.
pub fn init(otlp: Option<&url::Url>) -> Result<TraceGuard, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let provider = otlp.map(tracer_provider).transpose()?;
    let traces = provider.as_ref().map(|p| {
        use opentelemetry::trace::TracerProvider as _;
        // Spans go out whatever RUST_LOG says of logs: the exporter sees every span at INFO
        // and above, the log filter only what is printed.
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("reelproof"))
            .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
    });
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(traces);
    let result = if std::io::stderr().is_terminal() {
        registry.with(fmt.with_filter(filter)).try_init()
    } else {
        registry.with(fmt.json().flatten_event(true).with_current_span(true).with_filter(filter)).try_init()
    };
    // A second init (tests start several apps in one process) is harmless.
    drop(result);
    Ok(TraceGuard { provider })
}

/// OTLP over HTTP/protobuf to `<endpoint>/v1/traces`, batched on the SDK's own thread.
fn tracer_provider(endpoint: &url::Url) -> Result<opentelemetry_sdk::trace::SdkTracerProvider, String> {
    use opentelemetry_otlp::WithExportConfig;
    let traces = endpoint.join("v1/traces").map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(traces.as_str())
        .with_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name("reelproof")
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Flushes and stops trace export when dropped.
#[must_use = "dropping the guard stops trace export"]
pub struct TraceGuard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TraceGuard {
    /// Sends the spans still buffered and stops the exporter (blocking: call it off the async
    /// runtime, or at the very end of `main`).
    pub fn shutdown(mut self) {
        if let Some(p) = self.provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("trace export did not shut down cleanly: {e}");
        }
    }
}

/// The process-wide Prometheus handle; installed on first use. Tests run several servers in
/// one process, so this must be idempotent.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
                .expect("static bucket list is valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may exist if an embedding program installed one; keep ours
            // for rendering either way.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
