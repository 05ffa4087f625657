//! `kw projects`, `kw config` and `kw secrets`: a project and what it holds.

use keyward_core::api::{Project, PutSecret, SecretValue};
use keyward_core::validate::{self, config_document};
use reqwest::Method;

use crate::args::{ConfigCommand, Global, ProjectsCommand, SecretsCommand};
use crate::client::Api;
use crate::failure::{Failure, note};
use crate::input;
use crate::output::{self, Table};

pub fn projects(api: &Api, global: &Global, command: ProjectsCommand) -> Result<(), Failure> {
    match command {
        ProjectsCommand::List => {
            let projects: Vec<Project> = api.get(&["projects"])?;
            if global.json {
                return output::json(&projects);
            }
            let mut table = Table::new(&["ID", "NAME", "ORGANIZATION", "PERMISSIONS"]);
            for p in projects {
                table.row(vec![
                    p.id.to_string(),
                    p.name,
                    p.organization.unwrap_or_else(|| "-".into()),
                    p.permissions.names().join(", "),
                ]);
            }
            table.print("No projects are visible to this token.")
        }
        ProjectsCommand::Show(arg) => {
            let id = project_id(api, &arg.project)?;
            let p: Project = api.get(&["projects", &id])?;
            if global.json {
                return output::json(&p);
            }
            output::print(&output::fields(&[
                ("ID", p.id.to_string()),
                ("Name", p.name),
                ("Organization", p.organization.unwrap_or_else(|| "-".into())),
                ("Created", output::time(p.created_at)),
                ("Permissions", p.permissions.names().join(", ")),
            ]))
        }
        ProjectsCommand::Delete { project, yes } => {
            let id = project_id(api, &project.project)?;
            if !yes {
                confirm_delete(api, &id)?;
            }
            api.call(Method::DELETE, &["projects", &id], None::<&()>)?;
            output::print(&format!("Deleted project {id}.\n"))
        }
    }
}

/// A person at a terminal types the project's name (as GitHub asks for a repository's);
/// a script must say --yes, so nothing is deleted by a command that meant something else.
fn confirm_delete(api: &Api, id: &str) -> Result<(), Failure> {
    if !input::stdin_is_terminal() {
        return Err(Failure::usage(format!(
            "not deleting project {id} without --yes (nobody is at a terminal to confirm)"
        )));
    }
    let p: Project = api.get(&["projects", id])?;
    let answer = input::line(&format!(
        "This deletes project {} ({}) with its config, secrets and operation logs.\nType its name to confirm: ",
        p.id,
        output::plain(&p.name)
    ))?;
    if answer != p.name {
        return Err(Failure::usage(format!(
            "not deleted: {answer:?} is not the project's name"
        )));
    }
    Ok(())
}

pub fn config(api: &Api, global: &Global, command: ConfigCommand) -> Result<(), Failure> {
    match command {
        ConfigCommand::Get(arg) => {
            let id = project_id(api, &arg.project)?;
            let config: serde_json::Value = api.get(&["projects", &id, "config"])?;
            output::json(&config)
        }
        ConfigCommand::Set { project, file } => {
            let (text, from) = match file.as_deref() {
                Some(path) if path.as_os_str() != "-" => (
                    std::fs::read_to_string(path).map_err(|e| {
                        Failure::usage(format!("cannot read {}: {e}", path.display()))
                    })?,
                    path.display().to_string(),
                ),
                _ => {
                    if input::stdin_is_terminal() {
                        note("Reading the config (JSON) from standard input; end with Ctrl-D.");
                    }
                    (input::read_stdin("the config")?, "standard input".into())
                }
            };
            // Checked before the project is even looked up: nothing is sent that would fail.
            let document = config_document(&text)
                .map_err(|e| Failure::usage(format!("{from}: {}", e.message)))?;
            let id = project_id(api, &project.project)?;
            let stored: serde_json::Value =
                api.send(Method::PUT, &["projects", &id, "config"], &document)?;
            if global.json {
                return output::json(&stored);
            }
            output::print(&format!("Saved the config of project {id}.\n"))
        }
    }
}

pub fn secrets(api: &Api, global: &Global, command: SecretsCommand) -> Result<(), Failure> {
    match command {
        SecretsCommand::List(arg) => {
            let id = project_id(api, &arg.project)?;
            let secrets: Vec<SecretValue> = api.get(&["projects", &id, "secrets"])?;
            if global.json {
                return output::json(&secrets);
            }
            // Values only in --json: a table is for screens, and screens are seen by others.
            let mut table = Table::new(&["NAME", "UPDATED"]);
            for s in secrets {
                table.row(vec![s.name, output::time(s.updated_at)]);
            }
            table.print(&format!("Project {id} has no secrets."))
        }
        SecretsCommand::Set {
            project,
            name,
            allow_empty,
        } => {
            secret_name(&name)?;
            let value = if input::stdin_is_terminal() {
                input::hidden(&format!("Value of {name} (not shown): "))?
            } else {
                input::without_final_newline(input::read_stdin("the secret value")?)
            };
            if value.is_empty() && !allow_empty {
                return Err(Failure::usage(format!(
                    "not setting {name} to an empty value (standard input was empty; --allow-empty means it)"
                )));
            }
            let id = project_id(api, &project.project)?;
            api.call(
                Method::PUT,
                &["projects", &id, "secrets", &name],
                Some(&PutSecret { value }),
            )?;
            output::print(&format!("Set secret {name} of project {id}.\n"))
        }
        SecretsCommand::Delete { project, name } => {
            secret_name(&name)?;
            let id = project_id(api, &project.project)?;
            api.call(
                Method::DELETE,
                &["projects", &id, "secrets", &name],
                None::<&()>,
            )?;
            output::print(&format!("Deleted secret {name} of project {id}.\n"))
        }
    }
}

/// Checked before anything is read or sent. The refusal does not repeat the name: given
/// `KEY=value`, what was typed holds the value.
fn secret_name(name: &str) -> Result<(), Failure> {
    validate::secret_name(name)
        .map(drop)
        .map_err(|e| Failure::usage(format!("the secret name is refused: {}", e.message)))
}

/// A project's id: the argument when it is a number, else the one visible project with
/// exactly that name. A number that is also another visible project's name is refused as
/// ambiguous rather than guessed (`kw projects delete 42 --yes` must not pick the wrong one).
fn project_id(api: &Api, project: &str) -> Result<String, Failure> {
    let projects: Vec<Project> = api.get(&["projects"])?;
    let named: Vec<String> = projects
        .iter()
        .filter(|p| p.name == project)
        .map(|p| p.id.to_string())
        .collect();
    if project.parse::<i64>().is_ok() {
        if let Some(other) = named.iter().find(|id| *id != project) {
            return Err(Failure::usage(format!(
                "{project:?} is both a project id and the name of project {other}: give the id of the one you mean"
            )));
        }
        return Ok(project.to_string());
    }
    match named.as_slice() {
        [id] => Ok(id.clone()),
        [] => Err(Failure::denied(format!(
            "not found: no project named {project:?} is visible to this token"
        ))),
        _ => Err(Failure::usage(format!(
            "several projects are named {project:?} (ids {}): give the id",
            named.join(", ")
        ))),
    }
}
