//! What `kw` prints on stdout: aligned tables and `Field: value` lists for people, JSON
//! for scripts (`--json`).

use std::io::Write;

use chrono::{DateTime, Utc};
use keyward_core::validate::is_deceptive;
use serde::Serialize;

use crate::failure::Failure;

/// Longest cell of a table; `--json` has the whole value.
const CELL_MAX: usize = 80;

/// A value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::usage(format!("cannot write JSON: {e}")))?;
    print(&format!("{text}\n"))
}

/// Text on stdout, the credential in use hidden (a server may echo it back); other
/// token-shaped text is data the command asked for, printed as it is. A reader that went
/// away (`kw ... | head -1`) ends the command quietly.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(crate::failure::hide_held(text).as_bytes())?;
    out.flush()?;
    Ok(())
}

/// A table with a header row; columns are as wide as their widest cell.
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| cell(c)).collect());
    }

    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                let cells = self.rows.iter().filter_map(|r| r.get(i));
                cells.map(|c| c.chars().count()).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, c) in row.iter().enumerate() {
                line.push_str(c);
                if i + 1 < row.len() {
                    let pad = widths[i] - c.chars().count() + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints the table, or `empty` on stderr when it has no rows (stdout stays empty, so a
    /// script counting lines counts none).
    pub fn print(&self, empty: &str) -> Result<(), Failure> {
        if self.rows.len() == 1 {
            crate::failure::note(empty);
            return Ok(());
        }
        print(&self.render())
    }
}

/// `Label:  value` lines, labels padded to one width.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 3;
    pairs
        .iter()
        .map(|(label, value)| format!("{:<width$}{}\n", format!("{label}:"), plain(value)))
        .collect()
}

/// A cell from data anyone may have written (an entry's output, a name): one line, no
/// control characters (no terminal escape sequences), at most [`CELL_MAX`] characters.
fn cell(text: &str) -> String {
    let line = plain(text);
    if line.chars().count() <= CELL_MAX {
        return line;
    }
    let mut short: String = line.chars().take(CELL_MAX - 1).collect();
    short.push('…');
    short
}

/// One line as it will look: control characters (a newline, a terminal escape sequence) and
/// the bidirectional and invisible ones that make text show as something it is not, each a
/// space. The server refuses these in names it stores; this is for whatever else it sends.
pub fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if is_deceptive(c) { ' ' } else { c })
        .collect()
}

pub fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn optional_time(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "-".into(), time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_defuse_cells() {
        let mut t = Table::new(&["ID", "NAME"]);
        t.row(vec!["3".into(), "web".into()]);
        t.row(vec!["12".into(), "evil\x1b]0;title\x07\nname".into()]);
        t.row(vec!["4".into(), "x".repeat(120)]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ID  NAME");
        assert_eq!(lines[1], "3   web");
        assert_eq!(lines[2], "12  evil ]0;title  name");
        assert_eq!(lines[3].chars().count(), 4 + CELL_MAX);
        assert!(lines[3].ends_with('…'));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn field_lists_pad_their_labels() {
        let text = fields(&[("ID", "3".into()), ("Name", "web\nsite".into())]);
        assert_eq!(text, "ID:    3\nName:  web site\n");
        // Shown right to left from the override on, this would read "deployexe.txt".
        let text = fields(&[("File", "deploy\u{202E}txt.exe\u{200B}".into())]);
        assert_eq!(text, "File:  deploy txt.exe \n");
    }
}
