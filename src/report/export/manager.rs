//! The one place that writes reports out, as hyperfine's `ExportManager`: it holds the
//! exporters chosen and where each goes (standard output or a file), serializes every one
//! before writing any (so a failing format leaves no half-written set), writes files
//! atomically (temporary file + rename, creating the folder) and returns the paths written.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Exporter, Format};
use crate::journal::Summary;

/// Where one export goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(PathBuf),
}

/// Exporters and their targets, for one kind of input (summaries unless said otherwise).
pub struct ExportManager<'a, Input: ?Sized = [Summary]> {
    exports: Vec<(Box<dyn Exporter<Input> + 'a>, Target)>,
}

impl<Input: ?Sized> Default for ExportManager<'_, Input> {
    fn default() -> Self {
        ExportManager {
            exports: Vec::new(),
        }
    }
}

impl<'a, Input: ?Sized> ExportManager<'a, Input> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an export; exports are written in the order added.
    pub fn add(&mut self, exporter: Box<dyn Exporter<Input> + 'a>, target: Target) -> &mut Self {
        self.exports.push((exporter, target));
        self
    }

    /// Serializes every export, then writes each; returns the files written.
    pub fn export(&self, input: &Input) -> anyhow::Result<Vec<PathBuf>> {
        let mut rendered = Vec::with_capacity(self.exports.len());
        for (exporter, target) in &self.exports {
            rendered.push((exporter.serialize(input)?, target));
        }
        let mut written = Vec::new();
        for (bytes, target) in rendered {
            match target {
                Target::Stdout => print(&bytes)?,
                Target::File(path) => {
                    write_file(path, &bytes)?;
                    written.push(path.clone());
                }
            }
        }
        Ok(written)
    }
}

impl ExportManager<'_> {
    /// Adds each format to `dir/<stem>.<extension>` (e.g. `report.md`).
    pub fn add_files(&mut self, dir: &Path, stem: &str, formats: &[Format]) -> &mut Self {
        for format in formats {
            self.add(
                format.exporter(),
                Target::File(dir.join(format!("{stem}.{}", format.extension()))),
            );
        }
        self
    }
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn print(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to standard output")
        }
        _ => Ok(()),
    }
}

/// Writes one file atomically, creating its folder.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create {} for the report (is the parent writable? choose another --out)",
                dir.display()
            )
        })?;
    }
    crate::journal::write_atomic(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str);

    impl Exporter<str> for Fixed {
        fn serialize(&self, input: &str) -> anyhow::Result<Vec<u8>> {
            Ok(format!("{}{input}", self.0).into_bytes())
        }
    }

    struct Failing;

    impl Exporter<str> for Failing {
        fn serialize(&self, _: &str) -> anyhow::Result<Vec<u8>> {
            anyhow::bail!("no")
        }
    }

    #[test]
    fn writes_every_file_or_none() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("out/a.txt");
        let b = tmp.path().join("out/b.md");
        let mut manager: ExportManager<'_, str> = ExportManager::new();
        manager
            .add(Box::new(Fixed("a:")), Target::File(a.clone()))
            .add(Box::new(Fixed("b:")), Target::File(b.clone()));
        assert_eq!(manager.export("x").unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a:x");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "b:x");

        let c = tmp.path().join("out/c.txt");
        manager
            .add(Box::new(Fixed("c:")), Target::File(c.clone()))
            .add(Box::new(Failing), Target::Stdout);
        assert!(manager.export("y").is_err());
        assert!(!c.exists(), "nothing written when one format fails");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a:x");
    }

    #[test]
    fn files_are_named_by_format() {
        let mut manager = ExportManager::new();
        manager.add_files(Path::new("r"), "report", &[Format::Markdown]);
        assert_eq!(manager.exports.len(), 1);
        assert_eq!(
            manager.exports[0].1,
            Target::File(PathBuf::from("r/report.md"))
        );
    }
}
