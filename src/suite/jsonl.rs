//! JSONL, one JSON object per line: the simplest form a user's own data takes (custom
//! suites). Lines are read one at a time, so memory stays bounded; a line that is not a JSON
//! object is an invalid row naming `file:line`, and the rest are read on.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::item::InvalidRow;
use super::row::{Row, RowStream, Value};

/// Lines longer than this are refused as invalid rows rather than held in memory.
const MAX_LINE: usize = 64 * 1024 * 1024;

/// Opens a JSONL file as rows (object keys become columns).
pub fn open(path: &Path) -> anyhow::Result<RowStream> {
    let file = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        anyhow::bail!(
            "{} is not a regular file; give a .jsonl file",
            path.display()
        );
    }
    let name = path.display().to_string();
    let mut reader = BufReader::new(file);
    let mut line_no = 0usize;
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            let mut line = Vec::new();
            line_no += 1;
            let read =
                std::io::Read::take(&mut reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut line);
            let source = format!("{name}:{line_no}");
            match read {
                Ok(0) => return None,
                Err(e) => {
                    return Some(Err(InvalidRow {
                        source,
                        reason: format!("cannot read the line: {e}"),
                    }));
                }
                Ok(_) if line.len() > MAX_LINE => {
                    // Skip the rest of the over-long line.
                    let mut rest = Vec::new();
                    let _ = reader.read_until(b'\n', &mut rest);
                    return Some(Err(InvalidRow {
                        source,
                        reason: format!("the line is longer than {MAX_LINE} bytes"),
                    }));
                }
                Ok(_) => {}
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(match serde_json::from_slice::<serde_json::Value>(&line) {
                Ok(serde_json::Value::Object(fields)) => Ok(Row {
                    source,
                    fields: fields
                        .into_iter()
                        .map(|(k, v)| (k, Value::from_json(v)))
                        .collect(),
                }),
                Ok(_) => Err(InvalidRow {
                    source,
                    reason: "the line is JSON but not an object; write one {\"key\": value} object per line".into(),
                }),
                Err(e) => Err(InvalidRow {
                    source,
                    reason: format!("not valid JSON: {e}"),
                }),
            });
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_become_rows_and_bad_lines_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.jsonl");
        std::fs::write(
            &path,
            "{\"id\": 1, \"q\": \"a\"}\n\n[1]\nnot json\n{\"id\": 2}",
        )
        .unwrap();
        let rows: Vec<_> = open(&path).unwrap().collect();
        assert_eq!(rows.len(), 4);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.fields["id"], Value::Int(1));
        assert!(first.source.ends_with("d.jsonl:1"));
        assert!(
            rows[1]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("not an object")
        );
        assert!(rows[2].as_ref().unwrap_err().source.ends_with(":4"));
        assert_eq!(rows[3].as_ref().unwrap().fields["id"], Value::Int(2));
        assert!(open(dir.path()).is_err());
    }
}
