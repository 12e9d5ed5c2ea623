//! The data dir's modes: the folder and its `keys/`, `peers/` and `tallies/` folders
//! 0700, the files in them 0600, made so when created and checked each time
//! a command opens the node (docs/security.md, "Files on disk").

use std::path::Path;

use anyhow::Context;

/// The files a node keeps directly in its data dir.
const FILES: [&str; 4] = ["entente.db", "entente.db-wal", "entente.db-shm", "release.log"];

/// The folders of secrets, and of the scorecard's saved tallies (what the
/// node holds, by object), inside the data dir (their files are 0600 too).
const FOLDERS: [&str; 3] = ["keys", "peers", "tallies"];

/// Creates `dir` (0700) if it is missing, then restricts to their owner the
/// data dir and every file and folder of the node in it that is open to
/// anyone else, with a warning naming each one.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    create(dir).with_context(|| format!("creating {}", dir.display()))?;
    restrict(dir)?;
    for name in FILES {
        restrict(&dir.join(name))?;
    }
    for name in FOLDERS {
        let folder = dir.join(name);
        restrict(&folder)?;
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", folder.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", folder.display()))?;
            restrict(&entry.path())?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn create(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Removes every permission of group and others from `path` (if it exists)
/// when it has any, and says so: the node makes its folders 0700 and its
/// files 0600, so this finds only what an older version or a person made.
#[cfg(unix)]
fn restrict(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading the mode of {}", path.display())),
    };
    let current = meta.permissions().mode() & 0o7777;
    if current & 0o077 == 0 {
        return Ok(());
    }
    let wanted = current & !0o077;
    tracing::warn!(
        path = %path.display(),
        mode = format!("{current:04o}"),
        now = format!("{wanted:04o}"),
        "data open to other users: restricting it to its owner"
    );
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))
        .with_context(|| format!("restricting {} to its owner", path.display()))
}

#[cfg(not(unix))]
fn restrict(_: &Path) -> anyhow::Result<()> {
    Ok(())
}
