//! The node's MISP warning lists (`<data dir>/warninglists`: MISP's
//! `lists/<name>/list.json` layout), loaded once per process and data
//! directory, for whatever flags benign values: `POST /api/v1/extract` and
//! the pages' list-of-values share (docs/sources.md). A node's lists change
//! when its operator installs new ones: restart ([`crate::folders`], as the
//! taxonomies).
//!
//! The pages flag indicators whose values are on a list ([`flagging`],
//! [`flags`]): with the node's lists when it has them, else with a small
//! built-in set ([`extract::WarningLists::built_in`]: RFC 1918 and RFC 5735
//! ranges, the best-known public resolvers).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::folders::Folder;

/// The largest warning list loaded (the two top-million lists are left out:
/// about a hundred megabytes each in memory).
pub const MAX_LIST_ENTRIES: usize = 200_000;

/// The warning lists under `data_dir`, none if it has no `warninglists`
/// directory; the error of a directory whose lists cannot be read.
pub fn of(data_dir: &Path) -> Result<Option<Arc<extract::WarningLists>>, String> {
    static FOLDER: Folder<extract::WarningLists> = Folder::new("warninglists", "warning lists");
    FOLDER.of(data_dir, |dir| extract::WarningLists::load(dir, MAX_LIST_ENTRIES).map_err(|e| e.to_string()))
}

/// The lists the pages flag values with: the node's own ([`of`]), else
/// the built-in set.
pub fn flagging(data_dir: &Path) -> Result<Arc<extract::WarningLists>, String> {
    static BUILT_IN: OnceLock<Arc<extract::WarningLists>> = OnceLock::new();
    Ok(match of(data_dir)? {
        Some(w) => w,
        None => BUILT_IN.get_or_init(|| Arc::new(extract::WarningLists::built_in())).clone(),
    })
}

/// The candidate kind an observable of SCO type `kind` is checked as
/// (file hashes by their length), if any.
fn kind_of(kind: &str, value: &str) -> Option<extract::Kind> {
    use extract::Kind;
    Some(match kind {
        "ipv4-addr" => Kind::Ipv4,
        "ipv6-addr" => Kind::Ipv6,
        "domain-name" => Kind::Domain,
        "url" => Kind::Url,
        "email-addr" => Kind::Email,
        "file" | "artifact" => match value.len() {
            32 => Kind::Md5,
            40 => Kind::Sha1,
            64 => Kind::Sha256,
            128 => Kind::Sha512,
            _ => return None,
        },
        _ => return None,
    })
}

/// Each of `observables` (SCO type, value: an object's, or what a
/// pattern tests) on one of `lists`, with the list's name; an address
/// written as a single-host network (`/32`, `/128`) is checked as the
/// address.
pub fn flags<'a>(lists: &extract::WarningLists, observables: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (kind, value) in observables {
        let value = value.strip_suffix("/32").or_else(|| value.strip_suffix("/128")).unwrap_or(value);
        let Some(k) = kind_of(kind, value) else { continue };
        if let Some(list) = lists.check(k, value) {
            if !out.iter().any(|(v, _)| v == value) {
                out.push((value.to_owned(), list.to_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indicators_values_on_a_list_are_named_with_the_list() {
        let w = extract::WarningLists::built_in();
        let found = flags(&w, [("ipv4-addr", "8.8.8.8/32"), ("ipv4-addr", "185.220.101.4"), ("domain-name", "example.org"), ("file", "d41d8cd98f00b204e9800998ecf8427e"), ("ipv4-addr", "10.1.2.3")]);
        assert_eq!(
            found,
            vec![("8.8.8.8".to_owned(), "Public DNS resolvers (built in)".to_owned()), ("10.1.2.3".to_owned(), "Private networks, RFC 1918 (built in)".to_owned())]
        );
    }

    #[test]
    fn a_node_without_lists_flags_with_the_built_in_set() {
        let dir = std::env::temp_dir().join(format!("entente-warninglists-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w = flagging(&dir).unwrap();
        assert_eq!(w.check(extract::Kind::Ipv4, "1.1.1.1"), Some("Public DNS resolvers (built in)"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
