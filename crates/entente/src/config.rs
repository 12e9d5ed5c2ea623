//! Configuration in layers: defaults < `entente.toml` < `ENTENTE_*`
//! environment < command-line flags. Unknown keys in the file are refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use crate::cli::{Cli, Command, LogFormat};

/// What `entente.toml` may contain.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<SocketAddr>,
    log_format: Option<LogFormat>,
    max_object_bytes: Option<usize>,
    node_name: Option<String>,
    taxii_max_page_size: Option<usize>,
    max_content_length: Option<u64>,
    max_bodies_in_flight: Option<u64>,
    taxii_public_discovery: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    sync_interval: Option<u64>,
    secure_cookies: Option<bool>,
    metrics_access: Option<String>,
    taxii_add_wait_ms: Option<u64>,
    auth_failure_limit: Option<u32>,
    /// Feeds pulled on a schedule (`[[sources]]`, docs/sources.md).
    sources: Option<Vec<node::sources::Source>>,
    scorecard_snapshot_days: Option<u32>,
    scope_cache_mb: Option<u64>,
    public_url: Option<String>,
    public_rate_limit: Option<u32>,
}

/// The effective configuration of one command.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// PostgreSQL instead of SQLite, when set.
    pub database_url: Option<String>,
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub limits: model::Limits,
    pub node_name: String,
    pub taxii: server::taxii::TaxiiConfig,
    /// `serve` over TLS: the certificate chain and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// With TLS, require client certificates issued by these CAs (PEM).
    pub tls_client_ca: Option<PathBuf>,
    /// `serve` pulls from its peers this often (`None`: never; `entente
    /// sync` still does).
    pub sync_interval: Option<std::time::Duration>,
    /// The pages' cookies are `Secure` (sent over HTTPS only): always when
    /// `serve` speaks TLS itself; set it when a TLS proxy stands in front.
    pub secure_cookies: bool,
    /// Who may read `/metrics`: the node's own machine, or the node's tokens.
    pub metrics_access: server::telemetry::MetricsAccess,
    /// Failed authentications an address (or a credential from it) may
    /// make in a minute before it is answered 429.
    pub auth_failure_limit: u32,
    /// `serve` snapshots each agreement's scorecard this often, in days
    /// (`None`: never; `entente scorecard --snapshot` still does).
    pub scorecard_snapshot_days: Option<u32>,
    /// The memory budget of the modules' kept scopes, in bytes at their
    /// estimate (`node::modules::scopes`): past it the least recently used go.
    pub scope_cache_bytes: u64,
    /// The node's public URL (`https://…`, no path but its own, no query):
    /// the public statements feed's links are absolute under it.
    pub public_url: Option<String>,
    /// Requests a client address may make of the public pages a minute.
    pub public_rate_limit: u32,
    /// The log level when `ENTENTE_LOG` is not set.
    pub log_level: &'static str,
    /// Feeds `serve` pulls on a schedule (`[[sources]]`; checked, names unique).
    pub sources: Vec<node::sources::Source>,
}

/// Reads an `ENTENTE_*` variable, refusing a value that does not parse.
fn env<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) => v.parse().map(Some).map_err(|_| anyhow::anyhow!("{name}: cannot read {v:?}")),
        Err(_) => Ok(None),
    }
}

impl Config {
    pub fn load(cli: &Cli) -> anyhow::Result<Config> {
        let file = match &cli.global.config {
            Some(path) => read_file(path)?,
            None if Path::new("entente.toml").exists() => read_file(Path::new("entente.toml"))?,
            None => FileConfig::default(),
        };
        let (listen_flag, cert_flag, key_flag, ca_flag) = match &cli.command {
            Command::Serve(a) => (a.listen, a.tls_cert.clone(), a.tls_key.clone(), a.tls_client_ca.clone()),
            _ => (None, None, None, None),
        };
        let cert = cert_flag.or(env("ENTENTE_TLS_CERT")?).or(file.tls_cert.clone());
        let key = key_flag.or(env("ENTENTE_TLS_KEY")?).or(file.tls_key.clone());
        let tls = match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => anyhow::bail!("TLS needs both a certificate (tls_cert) and its key (tls_key)"),
        };
        let tls_client_ca = ca_flag.or(env("ENTENTE_TLS_CLIENT_CA")?).or(file.tls_client_ca.clone());
        if tls_client_ca.is_some() && tls.is_none() {
            anyhow::bail!("tls_client_ca needs TLS (tls_cert and tls_key)");
        }
        let defaults = server::taxii::TaxiiConfig::default();
        let init_name = match &cli.command {
            Command::Init(a) => a.name.clone(),
            _ => None,
        };
        let sources = file.sources.clone().unwrap_or_default();
        let mut names = std::collections::HashSet::new();
        for s in &sources {
            s.check().map_err(anyhow::Error::msg)?;
            if !names.insert(s.name.clone()) {
                anyhow::bail!("sources: {:?}: `name`: two sources have this name", s.name);
            }
        }
        Ok(Config {
            sources,
            data_dir: cli.global.data_dir.clone().or(file.data_dir).unwrap_or_else(|| "entente-data".into()),
            database_url: cli.global.database_url.clone().or(file.database_url),
            listen: listen_flag.or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid")),
            log_format: cli.global.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            limits: model::Limits {
                max_object_bytes: env("ENTENTE_MAX_OBJECT_BYTES")?
                    .or(file.max_object_bytes)
                    .unwrap_or(model::Limits::default().max_object_bytes),
            },
            node_name: init_name
                .or(env("ENTENTE_NODE_NAME")?)
                .or(file.node_name)
                .unwrap_or_else(|| "Entente node".into()),
            taxii: server::taxii::TaxiiConfig {
                max_page_size: env("ENTENTE_TAXII_MAX_PAGE_SIZE")?
                    .or(file.taxii_max_page_size)
                    .unwrap_or(defaults.max_page_size)
                    .max(1),
                max_content_length: env("ENTENTE_MAX_CONTENT_LENGTH")?
                    .or(file.max_content_length)
                    .unwrap_or(defaults.max_content_length),
                max_bodies_in_flight: env("ENTENTE_MAX_BODIES_IN_FLIGHT")?
                    .or(file.max_bodies_in_flight)
                    .unwrap_or(defaults.max_bodies_in_flight),
                public_discovery: env("ENTENTE_TAXII_PUBLIC_DISCOVERY")?
                    .or(file.taxii_public_discovery)
                    .unwrap_or(defaults.public_discovery),
                add_wait: env::<u64>("ENTENTE_TAXII_ADD_WAIT_MS")?
                    .or(file.taxii_add_wait_ms)
                    .map_or(defaults.add_wait, std::time::Duration::from_millis),
                ..defaults
            },
            tls,
            tls_client_ca,
            sync_interval: match env::<u64>("ENTENTE_SYNC_INTERVAL")?.or(file.sync_interval).unwrap_or(60) {
                0 => None,
                secs => Some(std::time::Duration::from_secs(secs)),
            },
            secure_cookies: env::<bool>("ENTENTE_SECURE_COOKIES")?.or(file.secure_cookies).unwrap_or(false),
            metrics_access: match env::<String>("ENTENTE_METRICS_ACCESS")?.or(file.metrics_access) {
                Some(v) => v.parse().map_err(anyhow::Error::msg)?,
                None => server::telemetry::MetricsAccess::default(),
            },
            auth_failure_limit: match env::<u32>("ENTENTE_AUTH_FAILURE_LIMIT")?.or(file.auth_failure_limit).unwrap_or(20) {
                0 => anyhow::bail!("auth_failure_limit: must be at least 1"),
                n => n,
            },
            scorecard_snapshot_days: match env::<u32>("ENTENTE_SCORECARD_SNAPSHOT_DAYS")?.or(file.scorecard_snapshot_days).unwrap_or(0) {
                0 => None,
                d if d > 3650 => anyhow::bail!("scorecard_snapshot_days: at most 3650 (0: never)"),
                d => Some(d),
            },
            scope_cache_bytes: match env::<u64>("ENTENTE_SCOPE_CACHE_MB")?.or(file.scope_cache_mb) {
                None => node::modules::scopes::DEFAULT_MAX_BYTES,
                Some(mb) if mb > 1 << 30 => anyhow::bail!("scope_cache_mb: at most {}", 1u64 << 30),
                Some(mb) => mb << 20,
            },
            public_url: match env::<String>("ENTENTE_PUBLIC_URL")?.or(file.public_url) {
                Some(url) => Some(public_url(&url)?),
                None => None,
            },
            public_rate_limit: match env::<u32>("ENTENTE_PUBLIC_RATE_LIMIT")?.or(file.public_rate_limit).unwrap_or(server::web::DEFAULT_PUBLIC_PER_MINUTE) {
                0 => anyhow::bail!("public_rate_limit: must be at least 1"),
                n => n,
            },
            // The demo speaks for itself (its own pulls refuse third parties'
            // records, as they should); its servers log to their own files.
            log_level: if matches!(cli.command, Command::Demo(_)) { "error" } else { "info" },
        })
    }
}

/// `public_url` checked: an absolute `http(s)` URL with a host, no query,
/// fragment, credentials or characters that need escaping; its trailing `/`
/// dropped.
fn public_url(url: &str) -> anyhow::Result<String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split('/').next().unwrap_or_default()).unwrap_or_default();
    let clean = url.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '?' | '#' | '"' | '<' | '>' | '\\' | '`' | '{' | '}' | '|' | '^'));
    if host.is_empty() || host.contains('@') || !clean {
        anyhow::bail!("public_url: {url:?} must be an absolute http(s) URL with a host and no query, fragment or credentials (such as https://cert.example.org)");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in {}", path.display()))
}

/// Starts logging to standard error; the level comes from `ENTENTE_LOG`
/// (default `info`, `error` for the demo), the format from the configuration.
pub fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ENTENTE_LOG").unwrap_or_else(|_| EnvFilter::new(config.log_level));
    // Colours only for a person at a terminal, never into log files.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
