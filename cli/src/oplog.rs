//! `kw oplog`: operation logs and their entries.

use keyward_core::api::{EntryInput, Oplog, OplogEntry};
use reqwest::Method;

use crate::args::{EntryFields, Global, OplogCommand};
use crate::client::Api;
use crate::failure::Failure;
use crate::output::{self, Table};

impl From<EntryFields> for EntryInput {
    fn from(f: EntryFields) -> EntryInput {
        EntryInput {
            start_date: f.start,
            end_date: f.end,
            source_host: f.source_host,
            dest_host: f.dest_host,
            tool: f.tool,
            user_context: f.user_context,
            command: f.command,
            description: f.description,
            output: f.output,
            operator: f.operator,
            tags: f.tags,
        }
    }
}

pub fn oplog(api: &Api, global: &Global, command: OplogCommand) -> Result<(), Failure> {
    match command {
        OplogCommand::List => {
            let logs: Vec<Oplog> = api.get(&["oplogs"])?;
            if global.json {
                return output::json(&logs);
            }
            let mut table = Table::new(&["ID", "PROJECT", "NAME"]);
            for log in logs {
                table.row(vec![
                    log.id.to_string(),
                    log.project_id.to_string(),
                    log.name,
                ]);
            }
            table.print("No operation logs are visible to this token.")
        }
        OplogCommand::Entries { oplog } => {
            let entries: Vec<OplogEntry> = api.get(&["oplogs", &oplog.to_string(), "entries"])?;
            if global.json {
                return output::json(&entries);
            }
            let mut table =
                Table::new(&["ID", "START", "OPERATOR", "TOOL", "COMMAND", "DESCRIPTION"]);
            for e in entries {
                table.row(vec![
                    e.id.to_string(),
                    output::optional_time(e.start_date),
                    e.operator,
                    e.tool,
                    e.command,
                    e.description,
                ]);
            }
            table.print(&format!("Operation log {oplog} has no entries."))
        }
        OplogCommand::Add { oplog, fields } => {
            let input = EntryInput::from(fields);
            let path = [oplog.to_string(), "entries".into()];
            let entry: OplogEntry =
                api.send(Method::POST, &["oplogs", &path[0], &path[1]], &input)?;
            if global.json {
                return output::json(&entry);
            }
            output::print(&format!(
                "Added entry {} to operation log {oplog}.\n",
                entry.id
            ))
        }
        OplogCommand::Edit {
            oplog,
            entry,
            fields,
        } => {
            let input = EntryInput::from(fields);
            if input == EntryInput::default() {
                return Err(Failure::usage(
                    "nothing to change: give at least one field, e.g. --output TEXT (see kw oplog edit --help)",
                ));
            }
            let (oplog, entry) = (oplog.to_string(), entry.to_string());
            let changed: OplogEntry = api.send(
                Method::PATCH,
                &["oplogs", &oplog, "entries", &entry],
                &input,
            )?;
            if global.json {
                return output::json(&changed);
            }
            output::print(&format!(
                "Updated entry {entry} of operation log {oplog}.\n"
            ))
        }
        OplogCommand::Delete { oplog, entry } => {
            let (oplog, entry) = (oplog.to_string(), entry.to_string());
            api.call(
                Method::DELETE,
                &["oplogs", &oplog, "entries", &entry],
                None::<&()>,
            )?;
            output::print(&format!(
                "Deleted entry {entry} of operation log {oplog}.\n"
            ))
        }
    }
}
