//! Folders of JSON files the operator installs in the node's data
//! directory (MISP's taxonomies in `taxonomies`, its warning lists in
//! `warninglists`), read one way: a folder that is not there is none; one
//! that is, loaded the first time it is asked for and kept for the process
//! (per data directory: a node's folders change when its operator installs
//! new files: restart); an error names the folder's contents (`the node's
//! taxonomies: …`) and, through [`files_named`] and [`read_json`], the
//! file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// A folder `<data dir>/<name>` of files, loaded once per process and data directory.
pub struct Folder<T> {
    name: &'static str,
    what: &'static str,
    loaded: OnceLock<Mutex<HashMap<PathBuf, Arc<T>>>>,
}

impl<T> Folder<T> {
    /// The folder `name` under a data directory, holding `what` (for errors:
    /// "the node's `what`").
    pub const fn new(name: &'static str, what: &'static str) -> Folder<T> {
        Folder { name, what, loaded: OnceLock::new() }
    }

    /// What `<data_dir>/<name>` holds: `load` reads the folder the first
    /// time it is asked for in this process, later calls share what it
    /// made; none if there is no such directory; an error (`load`'s, after
    /// "the node's `what`: ") when it cannot be read, tried again next time.
    pub fn of(&self, data_dir: &Path, load: impl FnOnce(&Path) -> Result<T, String>) -> Result<Option<Arc<T>>, String> {
        let dir = data_dir.join(self.name);
        if !dir.is_dir() {
            return Ok(None);
        }
        let loaded = self.loaded.get_or_init(Default::default);
        if let Some(t) = loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&dir) {
            return Ok(Some(t.clone()));
        }
        let t = Arc::new(load(&dir).map_err(|e| format!("the node's {}: {e}", self.what))?);
        // Two first reads at once both load; the first one in is kept.
        let mut map = loaded.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Some(map.entry(dir).or_insert(t).clone()))
    }
}

/// Every file named `file` in `dir` or in a folder under it, at most
/// `depth` folders down, in path order; an error naming `dir` when it
/// cannot be read.
pub fn files_named(dir: &Path, file: &str, depth: usize) -> Result<Vec<PathBuf>, String> {
    fn find(dir: &Path, file: &str, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                if depth > 0 {
                    find(&path, file, depth - 1, out)?;
                }
            } else if path.file_name().is_some_and(|n| n == file) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    find(dir, file, depth, &mut out)?;
    out.sort();
    Ok(out)
}

/// The JSON in the file at `path`; an error naming the file, and `what`
/// it should have been when it is not JSON.
pub fn read_json(path: &Path, what: &str) -> Result<Value, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: not {what}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    static FOLDER: Folder<usize> = Folder::new("things", "things");

    #[test]
    fn a_folder_is_loaded_once_per_data_directory_and_a_missing_one_is_none() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let loads = AtomicUsize::new(0);
        let load = |dir: &Path| {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(files_named(dir, "x.json", 0)?.len())
        };
        assert_eq!(FOLDER.of(one.path(), load).unwrap(), None, "no folder: none");
        assert_eq!(loads.load(Ordering::SeqCst), 0);
        for d in [&one, &two] {
            std::fs::create_dir_all(d.path().join("things")).unwrap();
        }
        std::fs::write(one.path().join("things/x.json"), "{}").unwrap();
        assert_eq!(FOLDER.of(one.path(), load).unwrap().as_deref(), Some(&1));
        std::fs::write(two.path().join("things/y.json"), "{}").unwrap();
        assert_eq!(FOLDER.of(two.path(), load).unwrap().as_deref(), Some(&0), "another data directory, its own folder");
        std::fs::remove_file(one.path().join("things/x.json")).unwrap();
        assert_eq!(FOLDER.of(one.path(), load).unwrap().as_deref(), Some(&1), "kept for the process");
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_error_names_the_folders_contents_and_is_not_kept() {
        static BROKEN: Folder<usize> = Folder::new("broken", "broken things");
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("broken")).unwrap();
        let e = BROKEN.of(d.path(), |dir| Err(format!("{}: nothing in it", dir.display()))).unwrap_err();
        assert!(e.starts_with("the node's broken things: ") && e.ends_with("broken: nothing in it"), "{e}");
        assert_eq!(BROKEN.of(d.path(), |_| Ok(7)).unwrap().as_deref(), Some(&7), "tried again");
    }

    #[test]
    fn files_are_found_down_to_the_depth_given_in_path_order_and_read_by_name() {
        let d = tempfile::tempdir().unwrap();
        for path in ["b/list.json", "a/list.json", "list.json", "a/deeper/list.json", "a/other.json"] {
            let p = d.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "{\"n\": 1}").unwrap();
        }
        let rel = |depth| -> Vec<String> {
            files_named(d.path(), "list.json", depth).unwrap().iter().map(|p| p.strip_prefix(d.path()).unwrap().display().to_string()).collect()
        };
        assert_eq!(rel(0), ["list.json"]);
        assert_eq!(rel(1), ["a/list.json", "b/list.json", "list.json"]);
        assert_eq!(rel(2), ["a/deeper/list.json", "a/list.json", "b/list.json", "list.json"]);
        assert!(files_named(&d.path().join("none"), "list.json", 1).unwrap_err().contains("none"));
        assert_eq!(read_json(&d.path().join("list.json"), "a list").unwrap()["n"], 1);
        std::fs::write(d.path().join("bad.json"), "{").unwrap();
        let e = read_json(&d.path().join("bad.json"), "a list").unwrap_err();
        assert!(e.contains("bad.json: not a list: "), "{e}");
    }
}
