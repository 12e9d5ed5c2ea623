//! Pull sync between Entente nodes: this node reads what a peer releases to
//! it over TAXII 2.1 and keeps what its own rules accept.
//!
//! One file per concern: the HTTP client per peer and API root discovery
//! ([`client`]), TAXII paging over a peer's collections ([`paging`]), the
//! authors' signatures ([`provenance`]), the acceptance decision
//! ([`accept`]) and one round over a peer ([`round`], [`pull`]). Blocking
//! calls (reqwest's blocking client), no async API: the server's scheduler
//! runs each round on a blocking thread and keeps the peers' status
//! ([`status`]).

pub mod accept;
pub mod client;
pub mod paging;
pub mod provenance;
pub mod round;
pub mod status;

pub use accept::Arrival;
pub use client::check_url;
pub use paging::{cursor_key, read_again, EPOCH, PAGE};
pub use round::{pull, Report};
pub use status::{PeerStatus, SyncStatus};
