//! The node's MISP warning lists (`<data dir>/warninglists`: MISP's
//! `lists/<name>/list.json` layout), loaded once per process and data
//! directory, for whatever flags benign values: `POST /api/v1/extract` and
//! the pages' list-of-values share (docs/sources.md). A node's lists change
//! when its operator installs new ones: restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The largest warning list loaded (the two top-million lists are left out:
/// about a hundred megabytes each in memory).
pub const MAX_LIST_ENTRIES: usize = 200_000;

/// The warning lists under `data_dir`, none if it has no `warninglists`
/// directory; the error of a directory whose lists cannot be read.
pub fn of(data_dir: &Path) -> Result<Option<Arc<extract::WarningLists>>, String> {
    type Loaded = Mutex<HashMap<PathBuf, Arc<extract::WarningLists>>>;
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    let dir = data_dir.join("warninglists");
    if !dir.is_dir() {
        return Ok(None);
    }
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(w) = loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&dir) {
        return Ok(Some(w.clone()));
    }
    let w = Arc::new(extract::WarningLists::load(&dir, MAX_LIST_ENTRIES).map_err(|e| format!("the node's warning lists: {e}"))?);
    loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(dir, w.clone());
    Ok(Some(w))
}
