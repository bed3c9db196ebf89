//! Finding run directories: `evalkit report runs/` (and later compare, leaderboard, merge)
//! takes a tree of folders and reports every run in it. A run directory is a directory
//! holding `manifest.json`; the walk does not descend into one, lists what it finds in
//! path order (so reports are stable from one call to the next), follows symbolic links
//! once (a link loop is skipped, not followed forever) and skips hidden folders. Folders
//! it cannot read, and runs that do not open, are skipped with the reason, never fatal.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::MANIFEST;
use super::reader::RunDir;

/// Something left out of a scan, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Skip {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

/// The run directories found under some paths.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scan {
    /// Run directories, each once: the paths given in order, each tree in path order.
    pub runs: Vec<PathBuf>,
    /// Folders that could not be read.
    pub skipped: Vec<Skip>,
}

impl Scan {
    /// Opens the runs found one at a time (so a large tree is never all in memory),
    /// each a run directory or why it could not be opened.
    pub fn open(&self) -> impl Iterator<Item = Result<RunDir, Skip>> + '_ {
        self.runs.iter().map(|path| {
            RunDir::open(path).map_err(|e| Skip {
                path: path.clone(),
                reason: format!("{e:#}"),
            })
        })
    }
}

/// Whether `dir` is a run directory (it holds `manifest.json`).
pub fn is_run_dir(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

/// Every run directory at or under each of `paths`: a run directory is taken as it is; any
/// other directory is walked. A path that does not exist or is not a directory, or a tree
/// without any run, is an error naming it.
pub fn scan(paths: &[PathBuf]) -> anyhow::Result<Scan> {
    let mut scan = Scan::default();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for path in paths {
        if !path.exists() {
            anyhow::bail!(
                "{} does not exist: give a run directory (runs/<suite>/<model>/<run-id>) or a \
                 folder of them (runs/)",
                path.display()
            );
        }
        if !path.is_dir() {
            anyhow::bail!(
                "{} is not a directory: give a run directory (runs/<suite>/<model>/<run-id>) \
                 or a folder of them (runs/)",
                path.display()
            );
        }
        let before = scan.runs.len();
        walk(path, &mut scan, &mut seen);
        let found_here = scan.runs.len() > before;
        let seen_before = is_run_dir(path) || path_seen_as_run(path, &scan);
        if !found_here && !seen_before {
            let mut message = format!(
                "no run directory under {} (a run directory holds {MANIFEST}; `evalkit run` \
                 writes them under runs/<suite>/<model>/<run-id>)",
                path.display()
            );
            for skip in scan.skipped.iter().take(3) {
                message.push_str(&format!("\n  skipped {skip}"));
            }
            anyhow::bail!(message);
        }
    }
    Ok(scan)
}

/// True when a run under `path` was already listed (the same tree given twice).
fn path_seen_as_run(path: &Path, scan: &Scan) -> bool {
    let Ok(root) = path.canonicalize() else {
        return false;
    };
    scan.runs
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .any(|r| r.starts_with(&root))
}

fn walk(dir: &Path, scan: &mut Scan, seen: &mut HashSet<PathBuf>) {
    // The same folder reached twice (given twice, or through a link) is listed once.
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if !seen.insert(key) {
        return;
    }
    if is_run_dir(dir) {
        scan.runs.push(dir.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            scan.skipped.push(Skip {
                path: dir.to_path_buf(),
                reason: format!("cannot list it: {e}"),
            });
            return;
        }
    };
    let mut children = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => children.push(entry.path()),
            Err(e) => scan.skipped.push(Skip {
                path: dir.to_path_buf(),
                reason: format!("cannot list an entry: {e}"),
            }),
        }
    }
    children.sort();
    for child in children {
        let hidden = child
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        // `is_dir` follows links; a broken link is not a directory.
        if !hidden && child.is_dir() {
            walk(&child, scan, seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(root: &Path, rel: &str) -> PathBuf {
        let dir = root.join(rel);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST), "{}").unwrap();
        dir
    }

    #[test]
    fn finds_runs_in_path_order_without_descending_into_them() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let b = run(root, "runs/chartqa/b/1");
        let a2 = run(root, "runs/chartqa/a/2");
        let a1 = run(root, "runs/chartqa/a/1");
        let m = run(root, "runs/mathvista/m/x");
        run(root, "runs/chartqa/a/1/inner");
        run(root, "runs/.trash/z/1");
        std::fs::create_dir_all(root.join("runs/chartqa/decouple-abc")).unwrap();
        let scan = scan(&[root.join("runs")]).unwrap();
        assert_eq!(scan.runs, vec![a1.clone(), a2, b, m]);
        assert!(scan.skipped.is_empty());
        // A run given on its own, and the same run again inside a tree, is listed once.
        let again = super::scan(&[a1.clone(), root.join("runs/chartqa/a")]).unwrap();
        assert_eq!(again.runs.len(), 2);
        assert_eq!(again.runs[0], a1);
    }

    #[test]
    fn errors_name_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope");
        let err = scan(&[missing]).unwrap_err().to_string();
        assert!(err.contains("nope does not exist"), "{err}");
        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let err = scan(&[empty]).unwrap_err().to_string();
        assert!(err.contains("no run directory under"), "{err}");
        let file = tmp.path().join("f");
        std::fs::write(&file, "").unwrap();
        assert!(
            scan(&[file])
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
    }

    #[test]
    fn a_link_loop_is_walked_once_and_unopenable_runs_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("runs");
        let broken = run(&root, "s/m/1");
        std::os::unix::fs::symlink(&root, root.join("s/loop")).unwrap();
        let scan = scan(std::slice::from_ref(&root)).unwrap();
        assert_eq!(scan.runs, vec![broken]);
        let opened: Vec<_> = scan.open().collect();
        let skip = opened[0].as_ref().unwrap_err();
        assert!(skip.reason.contains("manifest"), "{skip}");
    }
}
