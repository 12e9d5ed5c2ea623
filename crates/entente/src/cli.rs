//! The command line, as clap parses it. Values given here win over the
//! environment (`ENTENTE_*`), which wins over `entente.toml`, which wins over
//! the defaults; see `config.rs`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Entente: a node of a strategic security partnership.
#[derive(Debug, Parser)]
#[command(name = "entente", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// Configuration file [default: ./entente.toml if it exists].
    #[arg(long, global = true, env = "ENTENTE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where the node keeps its data [default: ./entente-data].
    #[arg(long, global = true, env = "ENTENTE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL database to use instead of the embedded SQLite file
    /// (`postgres://user@host:port/db`).
    #[arg(long, global = true, env = "ENTENTE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log format: text for people, json for log shippers.
    #[arg(long, global = true, env = "ENTENTE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open (or create) the store and serve the node over HTTP.
    Serve(ServeArgs),
    /// Import STIX bundles, TAXII envelopes or JSON Lines files.
    Import(ImportArgs),
    /// Export stored objects as one STIX 2.1 bundle.
    Export(ExportArgs),
    /// Generate deterministic, realistic intelligence for demos, tests and benchmarks.
    Generate(GenerateArgs),
    /// Count stored objects by type and by producer.
    Stats,
    /// Create the node's partner identity (done by any command if not yet).
    Init(InitArgs),
    /// Partner accounts this node knows or hosts.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// User accounts that sign in to the pages with a password.
    #[command(subcommand)]
    User(UserCommand),
    /// TAXII collections.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Validate STIX patterns, or answer conformance cases as JSON Lines.
    Pattern(PatternArgs),
    /// Apply the store's migrations and exit (serve applies them at start too).
    Migrate,
    /// Agreements, acting as a partner hosted on this node.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// Partnership modules: their state under an agreement, their records,
    /// and their actions, acting as a partner hosted on this node.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// The partnership scorecard of an agreement as a partner hosted here
    /// sees it: indicators per party and pair with n and interval, the
    /// composite and trust (JSON; docs/assessment.md).
    Scorecard(ScorecardArgs),
    /// The release log: what was disclosed to whom, hash-chained.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Other nodes this node pulls from (federation).
    #[command(subcommand)]
    Peer(PeerCommand),
    /// Pull from peers now: one round each (or only PEER).
    Sync {
        /// The peer's id [default: every peer].
        peer: Option<String>,
    },
    /// Apply retention now: log what stops going on because the agreement
    /// it came under ended, delete what is past that agreement's retention
    /// (serve does it every hour).
    Retention,
    /// Share stored objects under more agreements: a partner's own, or ones
    /// it received from another node (re-sharing, as their handling allows).
    Share(ShareArgs),
    /// Match observations against the indicators a partner may see.
    Detect(DetectArgs),
    /// Which partners reported an observable value (what a partner may see).
    Correlate(CorrelateArgs),
    /// Find indicators in report text (plain or HTML; defanged forms too),
    /// marked where MISP's warning lists name them benign; with --report,
    /// a STIX bundle of a report and its indicators to share.
    Extract(ExtractArgs),
    /// Feeds the node pulls on a schedule (`[[sources]]` in entente.toml):
    /// each one's last pull, counts and error, as JSON lines; with --pull,
    /// pull those due now first (serve pulls them on their own).
    Sources {
        /// Pull every source now, due or not.
        #[arg(long)]
        pull: bool,
    },
    /// Start three federating nodes on loopback, one per nation, with a
    /// coalition, its agreements and intelligence; Ctrl-C stops them.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the nodes keep their data, one folder per nation (set up the
    /// first time, reused after).
    #[arg(long, default_value = "demo")]
    pub dir: PathBuf,
    /// Delete the folder first and set the demo up again.
    #[arg(long)]
    pub fresh: bool,
    /// Objects of intelligence each nation generates (when setting up).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub objects: u64,
    /// The first node's port; the other two take the next ones.
    #[arg(long, default_value_t = 8081)]
    pub base_port: u16,
    /// The three nodes' ports instead (e.g. 9001,9002,9003).
    #[arg(long, value_delimiter = ',', conflicts_with = "base_port")]
    pub ports: Vec<u16>,
    /// Seconds between each node's pulls from its peers.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub sync_interval: u64,
}

#[derive(Debug, Subcommand)]
pub enum PeerCommand {
    /// Add a peer: its URL, the partner that runs it, and the credential it
    /// issued to this node's partner; prints the peer's id.
    Add {
        /// The peer's TAXII URL (https://, or http:// on loopback).
        #[arg(long)]
        url: String,
        /// The partner (id or name) whose node it is; known, not hosted here.
        #[arg(long)]
        partner: String,
        /// The credential, in a file (kept in <data-dir>/peers/, 0600).
        #[arg(long, value_name = "FILE", conflicts_with = "token")]
        token_file: Option<PathBuf>,
        /// The credential itself (prefer --token-file: a command line is visible to others).
        #[arg(long, required_unless_present = "token_file")]
        token: Option<String>,
        /// CA certificates (PEM) to verify the peer's TLS certificate with.
        #[arg(long, value_name = "PEM")]
        ca: Option<PathBuf>,
    },
    /// List peers (never their credentials).
    List,
    /// Remove a peer and forget its credential.
    Remove {
        /// The peer's id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Observations: bundles, JSON Lines (objects or bundles) or one
    /// document; observed-data with the SCOs it references (`-`: stdin).
    pub file: PathBuf,
    /// The partner (id or name) whose view is used [default: the node's own].
    #[arg(long = "as", value_name = "PARTNER")]
    pub actor: Option<String>,
    /// Create a sighting per hit, authored by that partner, for the
    /// indicator's author under the agreement the indicator came by.
    #[arg(long)]
    pub sight: bool,
    /// Only indicators pre-selected by value (skip LIKE, MATCHES, ranges, ...).
    #[arg(long)]
    pub indexed_only: bool,
    /// Write hits (JSON Lines) here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// The report: a text or HTML file ("-": standard input).
    pub file: PathBuf,
    /// Read it as HTML [default: when the file name ends in .html or .htm].
    #[arg(long)]
    pub html: bool,
    /// MISP's warning lists (a directory holding their list.json files, as
    /// the pymispwarninglists package ships them) [default:
    /// <data dir>/warninglists, if there].
    #[arg(long, value_name = "DIR")]
    pub warninglists: Option<PathBuf>,
    /// Leave out warning lists longer than this (the top-million lists
    /// take about a hundred megabytes each).
    #[arg(long, default_value_t = 200_000)]
    pub max_list_entries: usize,
    /// Write a STIX bundle instead: a report of this title holding an
    /// indicator (or vulnerability, attack pattern) per candidate not on a
    /// warning list, for `entente import --share` or a TAXII add.
    #[arg(long, value_name = "TITLE")]
    pub report: Option<String>,
    /// The TLP of the report's objects (clear, green, amber, amber+strict, red).
    #[arg(long, default_value = "amber")]
    pub tlp: String,
}

#[derive(Debug, Args)]
pub struct CorrelateArgs {
    /// The value (an address, domain, URL, e-mail address, hash, ...).
    pub value: String,
    /// Its kind (an SCO type such as ipv4-addr, domain-name, file) [default: guessed from the value].
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// The partner (id or name) whose view is used [default: the node's own].
    #[arg(long = "as", value_name = "PARTNER")]
    pub actor: Option<String>,
    /// List the objects of a noisy value too (more than `--threshold` objects).
    #[arg(long)]
    pub noisy: bool,
    /// Values carried by more objects than this are noisy.
    #[arg(long, default_value_t = 100)]
    pub threshold: usize,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the release log's hash chain; exit 1 naming the first wrong entry.
    Verify {
        /// The log file [default: <data-dir>/release.log].
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Print entries as JSON Lines, oldest first.
    Show {
        /// The log file [default: <data-dir>/release.log].
        #[arg(long)]
        log: Option<PathBuf>,
        /// Only entries for this recipient (identity id).
        #[arg(long)]
        recipient: Option<String>,
        /// Only entries that carry this object (id).
        #[arg(long)]
        object: Option<String>,
        /// Only the latest N matching entries.
        #[arg(long)]
        limit: Option<usize>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Propose an agreement (or, with --amend, a new version of one you proposed)
    /// from a JSON file of terms: title, purpose, party_refs, scope,
    /// tlp_ceiling, handling, valid_from, valid_until.
    Propose {
        /// The acting partner (id or name).
        #[arg(long = "as")]
        actor: String,
        /// The terms, as JSON.
        terms: std::path::PathBuf,
        /// Amend this agreement instead of proposing a new one.
        #[arg(long)]
        amend: Option<String>,
    },
    /// Ratify the latest version, signing it with the partner's key.
    Ratify {
        /// The acting partner (id or name).
        #[arg(long = "as")]
        actor: String,
        /// The agreement id.
        id: String,
    },
    /// Give notice: suspension, resumption or withdrawal.
    Notice {
        /// The acting partner (id or name).
        #[arg(long = "as")]
        actor: String,
        /// suspension, resumption or withdrawal.
        kind: String,
        /// The agreement id.
        id: String,
        /// When it takes effect [default: now].
        #[arg(long)]
        effective: Option<String>,
    },
    /// Give notice of suspension (same as `notice suspension`).
    Suspend(NoticeArgs),
    /// Give notice of resumption (same as `notice resumption`).
    Resume(NoticeArgs),
    /// Give notice of withdrawal (same as `notice withdrawal`).
    Withdraw(NoticeArgs),
    /// Agreements the partner is party to, with their state.
    List {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// One agreement, with who ratified which version.
    Show {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
        /// The agreement id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// The modules this node runs, with their record kinds and actions.
    List,
    /// What needs the partner across its agreements and every module: minutes to approve, items it owns, objectives to endorse, reports due (JSON).
    Inbox {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// A module's state under an agreement, as the partner may see it (JSON).
    State {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
        /// The agreement id.
        agreement: String,
        /// The module's name.
        module: String,
    },
    /// A module's records under an agreement the partner may see, every version, oldest first (JSON Lines).
    Records {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
        /// Only records of this kind (one of the module's).
        #[arg(long)]
        kind: Option<String>,
        /// Only records naming this record (a channel's messages, an item's updates).
        #[arg(long)]
        of: Option<String>,
        /// The agreement id.
        agreement: String,
        /// The module's name.
        module: String,
    },
    /// Take an action: the partner authors the one record it makes, printed as JSON.
    Act {
        /// The acting partner (id or name).
        #[arg(long = "as")]
        actor: String,
        /// The agreement id.
        agreement: String,
        /// The module's name.
        module: String,
        /// The action's name.
        action: String,
        /// The action's input: a JSON object, or @FILE to read it from a file.
        #[arg(long, default_value = "{}")]
        input: String,
    },
    /// A file a module offers from its state, as the partner may see it: an exercise's after-action report or a crisis's review (report.html, report.pdf; --of the record), the resources ledger, commitments or figures (ledger.csv, commitments.csv, figures.csv). `entente module list` names each module's files.
    File {
        /// The partner (id or name) [default: the node's own].
        #[arg(long = "as")]
        actor: Option<String>,
        /// The record the file is about (an exercise, a crisis).
        #[arg(long)]
        of: Option<String>,
        /// Where to write it [default: standard output].
        #[arg(long, short = 'o')]
        output: Option<std::path::PathBuf>,
        /// The agreement id.
        agreement: String,
        /// The module's name.
        module: String,
        /// The file's name (report.pdf, ledger.csv).
        file: String,
    },
}

/// A notice of a given kind.
#[derive(Debug, Args)]
pub struct NoticeArgs {
    /// The acting partner (id or name).
    #[arg(long = "as")]
    pub actor: String,
    /// The agreement id.
    pub id: String,
    /// When it takes effect [default: now].
    #[arg(long)]
    pub effective: Option<String>,
}

#[derive(Debug, Args)]
pub struct PatternArgs {
    /// Read one JSON case per line on standard input and answer each on a line
    /// of standard output (`{"kind":"validator"|"matcher",...}`).
    #[arg(long)]
    pub jsonl: bool,
    /// A pattern to validate (strict STIX 2.1), when not using --jsonl.
    pub pattern: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The node's partner name [default: from entente.toml, else "Entente node"].
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Add a partner account hosted on this node (`--name`), or a partner
    /// known by its own identity object with its public key (`--identity`);
    /// prints its identity id.
    Add {
        /// The partner's name (a partner this node hosts).
        #[arg(long, required_unless_present = "identity", conflicts_with = "identity")]
        name: Option<String>,
        /// A file holding the partner's self-authored STIX identity with its key.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// List known partners.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints it once (only its hash is kept).
    Create {
        /// The partner the token acts for (identity id or name).
        #[arg(long)]
        partner: String,
        /// admin, liaison, analyst or viewer.
        #[arg(long, required_unless_present = "feed", conflicts_with = "feed")]
        role: Option<String>,
        /// A feed-only token (`entfeed_…`): it reads the partner's inbox
        /// feed (`/inbox.atom`) and nothing else.
        #[arg(long)]
        feed: bool,
        /// Lifetime, such as 90d, 12h or 30m [default: no expiry].
        #[arg(long)]
        expires: Option<String>,
        /// Who the token is for (a label).
        #[arg(long, default_value = "")]
        user: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id (the hex part after `ent_` or `entfeed_`).
    Revoke {
        /// The token id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user, or set an existing one's password, partner and role.
    /// The password is read from standard input (one line, at least 12
    /// characters); only its Argon2id hash is kept.
    Add {
        /// The sign-in name.
        name: String,
        /// The partner the user acts for (identity id or name).
        #[arg(long)]
        partner: String,
        /// admin, liaison, analyst or viewer.
        #[arg(long)]
        role: String,
    },
    /// List users (never their passwords or hashes).
    List,
    /// Disable a user: it can no longer sign in, and its sessions end.
    Disable {
        /// The sign-in name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Create a collection; prints its id.
    Create {
        /// Its title.
        #[arg(long)]
        title: String,
        /// Its id (a UUID) [default: a new one].
        #[arg(long)]
        id: Option<String>,
        /// Its description.
        #[arg(long)]
        description: Option<String>,
        /// Who may read: `all` or a comma list of partner ids or names.
        #[arg(long, default_value = "all")]
        read: String,
        /// Who may write: `all` or a comma list of partner ids or names [default: the node's partner].
        #[arg(long)]
        write: Option<String>,
    },
    /// List collections.
    List,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ENTENTE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Serve over TLS with this certificate chain (PEM) [config: tls_cert].
    #[arg(long, value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM) [config: tls_key].
    #[arg(long, value_name = "PEM")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates issued by these CAs (PEM): mutual TLS
    /// [config: tls_client_ca].
    #[arg(long, value_name = "PEM")]
    pub tls_client_ca: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import (`-` for standard input).
    #[arg(required_unless_present = "misp")]
    pub files: Vec<PathBuf>,
    /// Import MISP events instead: an event file (or a list of events) or a
    /// MISP feed directory (`manifest.json` and `<uuid>.json` files),
    /// converted to STIX as the importing partner's (docs/sources.md).
    #[arg(long, value_name = "PATH", conflicts_with = "files")]
    pub misp: Option<PathBuf>,
    /// Exit with success even if objects were rejected or a file was unreadable.
    #[arg(long)]
    pub keep_going: bool,
    /// Objects per store transaction.
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Also add the objects to this TAXII collection (its id).
    #[arg(long)]
    pub collection: Option<String>,
    /// Share the objects under this agreement (repeatable); the importing
    /// partner must be party to it and the author of every object.
    #[arg(long = "share", value_name = "AGREEMENT")]
    pub shares: Vec<String>,
    /// The partner (id or name) that submits the objects [default: the node's own].
    #[arg(long = "as", value_name = "PARTNER")]
    pub actor: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only these types (repeatable).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Only the latest version of each object (default: every version);
    /// with --for, the latest version that partner may see.
    #[arg(long)]
    pub latest: bool,
    /// Only what the release decision gives this partner (identity id) now,
    /// recorded in the release log.
    #[arg(long = "for", value_name = "PARTNER")]
    pub for_partner: Option<String>,
    /// What to write: `stix` (a bundle), `csv` (a table, one row per
    /// object), `iocs` (one value per line), `suricata` or `sigma` (rules
    /// for the indicators whose pattern a rule can say). Every format but
    /// `stix` writes the latest version of each object.
    #[arg(long, value_enum, default_value_t = ExportFormat::Stix)]
    pub format: ExportFormat,
    /// The first Suricata rule's `sid`; the others count up from it.
    #[arg(long, default_value_t = 9_100_000)]
    pub sid: u64,
    /// Write a MISP feed into this directory instead (`manifest.json` and
    /// one `<uuid>.json` per event) of the latest version of what --for
    /// PARTNER may see (docs/sources.md).
    #[arg(long, value_name = "DIR", requires = "for_partner", conflicts_with_all = ["output", "latest"])]
    pub misp: Option<PathBuf>,
}

/// `entente export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A STIX 2.1 bundle.
    Stix,
    /// A CSV table, one row per object.
    Csv,
    /// One value per line (an indicator's equality values, an observable's value).
    Iocs,
    /// Suricata rules.
    Suricata,
    /// Sigma rules (YAML documents).
    Sigma,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of objects to write.
    #[arg(long, default_value_t = 10_000)]
    pub objects: u64,
    /// Number of producer identities.
    #[arg(long, default_value_t = 5)]
    pub producers: u32,
    /// Random seed: the same seed gives the same output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of indicator values drawn from a pool that all producers report (0 to 1).
    #[arg(long, default_value_t = 0.1)]
    pub overlap: f64,
    /// Output layout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Bundle)]
    pub format: OutputFormat,
    /// Make every object authored by this identity id (no producer identities
    /// are written): data that one partner may post as its own.
    #[arg(long)]
    pub author: Option<String>,
    /// Write here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Bundle,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The partner that shares (id or name), hosted on this node [default: the node's].
    #[arg(long = "as", value_name = "PARTNER")]
    pub actor: Option<String>,
    /// An agreement (id) the partner is party to; repeat for several.
    #[arg(long = "agreement", value_name = "AGREEMENT", required = true)]
    pub agreements: Vec<String>,
    /// The objects' ids.
    #[arg(required = true)]
    pub ids: Vec<String>,
}

/// `entente scorecard`.
#[derive(Debug, clap::Args)]
pub struct ScorecardArgs {
    /// The partner (id or name) [default: the node's own].
    #[arg(long = "as")]
    pub actor: Option<String>,
    /// The window, in days (1 to 3650).
    #[arg(long, default_value_t = 90)]
    pub window: i64,
    /// The time it is for, a timestamp [default: now].
    #[arg(long)]
    pub at: Option<String>,
    /// Also record its figures as a snapshot authored by the partner (the
    /// module `scorecard`), shared with the agreement's parties; prints the
    /// record instead.
    #[arg(long)]
    pub snapshot: bool,
    /// Write the report for a review board to FILE instead (summary, what
    /// changed since the partner's last snapshot, indicators, trends,
    /// actions): HTML when FILE ends in `.html` or `.htm`, else PDF.
    #[arg(long, value_name = "FILE", conflicts_with = "snapshot")]
    pub report: Option<std::path::PathBuf>,
    /// The agreement id.
    pub agreement: String,
}
