//! The service layer every interface of a node calls (the REST API, TAXII,
//! the web pages, the command line): who is calling ([`Caller`]) and the
//! one error each transport maps once ([`Error`]).
//!
//! It knows nothing of HTTP, the async runtime or SQL (`cargo xtask tidy`
//! checks): transports call its blocking functions off their workers.

mod caller;
mod error;

pub use caller::Caller;
pub use error::{Error, Result};
