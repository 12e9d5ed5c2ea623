//! The service layer every interface of a node calls (the REST API, TAXII,
//! the web pages, the command line): who is calling ([`Caller`]), the one
//! error each transport maps once ([`Error`]), the one read path that
//! applies the release gate and appends to the release log in one call
//! ([`read`], whose [`read::Released`] only it builds), and the services
//! under it, held as one value ([`Node`]): the release decision and the
//! agreements' index ([`release`]), agreement actions and views
//! ([`agreements`]; through [`Node`], which forgets the index when it writes),
//! the one write path for partner input ([`write`]), authors' signatures
//! ([`provenance`]), the one release path to the public, published joint
//! statements ([`public`]), retention under ended agreements ([`retention`]),
//! the node's own identity and the partners it hosts or knows ([`identity`]),
//! hosted partners' keys ([`keys`]), token and password checks ([`auth`])
//! and detection and correlation through the caller's gate ([`detect`]),
//! the partnership scorecard's evidence as one partner sees it ([`scorecard`]),
//! the MISP feed a partner's MISP pulls ([`misp_feed`]), what each user
//! has read of a module's threads ([`marks`]), the feeds the node
//! pulls on a schedule: their rules, conversions and status ([`sources`]),
//! the folders of JSON files the operator installs in the data directory,
//! loaded once ([`folders`]: [`taxonomies`], [`warninglists`]).
//!
//! It knows nothing of HTTP, the async runtime or SQL (`cargo xtask tidy`
//! checks): transports call its blocking functions off their workers.

pub mod agreements;
pub mod curation;
pub mod auth;
mod caller;
pub mod detect;
pub mod folders;
pub mod formats;
pub mod identity;
mod error;
pub mod keys;
pub mod marks;
pub mod misp_feed;
pub mod modules;
pub mod overview;
pub mod partners;
pub mod provenance;
pub mod public;
pub mod read;
pub mod release;
pub mod retention;
pub mod scorecard;
pub mod share;
pub mod sources;
mod service;
pub mod write;
pub mod warninglists;
pub mod taxonomies;

pub use caller::Caller;
pub use service::Node;
pub use error::{Error, Result};
