//! Operation logs behind the bearer API. A person who can read a project can read and write
//! its operation logs and their entries; a service token gets what its scope allows
//! ([`Scope::oplog_access`]); any other log does not exist for the caller (404).

use chrono::{DateTime, Utc};
use keyward_core::api::EntryInput;
use keyward_core::{FieldError, OplogAccess, Scope};

use crate::db::{EntryFields, EntryRow, OplogRow, UserRow};
use crate::{Actor, Backend, Error, Principal};

/// Longest text of one entry field (command output can be long).
const FIELD_MAX: usize = 1024 * 1024;

/// Applies the present fields of `input` to `fields`.
fn apply(input: EntryInput, fields: &mut EntryFields) -> Result<(), Error> {
    let texts = [
        ("source_host", input.source_host, &mut fields.source_host),
        ("dest_host", input.dest_host, &mut fields.dest_host),
        ("tool", input.tool, &mut fields.tool),
        ("user_context", input.user_context, &mut fields.user_context),
        ("command", input.command, &mut fields.command),
        ("description", input.description, &mut fields.description),
        ("output", input.output, &mut fields.output),
        ("operator", input.operator, &mut fields.operator),
        ("tags", input.tags, &mut fields.tags),
    ];
    for (name, value, slot) in texts {
        if let Some(value) = value {
            if value.len() > FIELD_MAX {
                return Err(FieldError::new(name, "This field is limited to 1 MiB.").into());
            }
            *slot = value;
        }
    }
    if input.start_date.is_some() {
        fields.start_date = input.start_date;
    }
    if input.end_date.is_some() {
        fields.end_date = input.end_date;
    }
    if let (Some(start), Some(end)) = (fields.start_date, fields.end_date)
        && end < start
    {
        return Err(FieldError::new("end_date", "The end date is before the start date.").into());
    }
    Ok(())
}

/// What a caller wants to do with an operation log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OplogAction {
    /// Read the log and its entries.
    Read,
    /// Create or edit entries.
    Write,
    /// Delete entries.
    Delete,
}

impl Backend {
    /// The one authorization decision for operation-log routes: the log if the caller may do
    /// `action` with it; 404 if they cannot see it, 403 if they see it without the right.
    pub async fn authorize_oplog(
        &self,
        principal: &Principal,
        oplog_id: i64,
        action: OplogAction,
    ) -> Result<OplogRow, Error> {
        let oplog = self.repo.oplog(oplog_id).await?.ok_or(Error::NotFound)?;
        let access = match &principal.actor {
            Actor::User(user) => self
                .project_permissions(user, oplog.project_id)
                .await?
                .map(|_| OplogAccess::FULL),
            Actor::Service(token) => token.scope.oplog_access(oplog.id, oplog.project_id),
        }
        .ok_or(Error::NotFound)?;
        let allowed = match action {
            OplogAction::Read => true,
            OplogAction::Write => access.write,
            OplogAction::Delete => access.delete,
        };
        if allowed {
            Ok(oplog)
        } else {
            Err(Error::Forbidden)
        }
    }

    /// The logs the caller can read.
    pub async fn list_oplogs(&self, principal: &Principal) -> Result<Vec<OplogRow>, Error> {
        match &principal.actor {
            Actor::User(user) => self.readable_oplogs(user).await,
            Actor::Service(token) => match token.scope {
                Scope::Project { project_id, .. } => self.repo.oplogs_of_project(project_id).await,
                Scope::Oplog { oplog_id } => {
                    Ok(self.repo.oplog(oplog_id).await?.into_iter().collect())
                }
            },
        }
    }

    /// The logs a person can read now.
    pub async fn readable_oplogs(&self, user: &UserRow) -> Result<Vec<OplogRow>, Error> {
        let granted_to = (!user.role.sees_all_projects()).then_some(user.id);
        self.repo.oplogs(granted_to).await
    }

    /// A project's operation logs (by id), each with its latest `per_log` entries, newest
    /// first: two queries however many logs there are.
    pub async fn project_oplogs(
        &self,
        principal: &Principal,
        project_id: i64,
        per_log: i64,
    ) -> Result<Vec<(OplogRow, Vec<EntryRow>)>, Error> {
        self.authorize_project(principal, project_id, crate::projects::Action::Read)
            .await?;
        let mut entries: std::collections::HashMap<i64, Vec<EntryRow>> = Default::default();
        for entry in self
            .repo
            .latest_entries_of_project(project_id, per_log)
            .await?
        {
            entries.entry(entry.oplog_id).or_default().push(entry);
        }
        Ok(self
            .repo
            .oplogs_of_project(project_id)
            .await?
            .into_iter()
            .map(|log| {
                let latest = entries.remove(&log.id).unwrap_or_default();
                (log, latest)
            })
            .collect())
    }

    pub async fn list_entries(
        &self,
        principal: &Principal,
        oplog_id: i64,
    ) -> Result<Vec<EntryRow>, Error> {
        self.authorize_oplog(principal, oplog_id, OplogAction::Read)
            .await?;
        self.repo.entries(oplog_id).await
    }

    pub async fn create_entry(
        &self,
        principal: &Principal,
        oplog_id: i64,
        input: EntryInput,
        now: DateTime<Utc>,
    ) -> Result<EntryRow, Error> {
        self.authorize_oplog(principal, oplog_id, OplogAction::Write)
            .await?;
        let mut fields = EntryFields::default();
        apply(input, &mut fields)?;
        self.repo.insert_entry(oplog_id, &fields, now).await
    }

    pub async fn update_entry(
        &self,
        principal: &Principal,
        oplog_id: i64,
        entry_id: i64,
        input: EntryInput,
        now: DateTime<Utc>,
    ) -> Result<EntryRow, Error> {
        self.authorize_oplog(principal, oplog_id, OplogAction::Write)
            .await?;
        let mut fields = self
            .repo
            .entry(oplog_id, entry_id)
            .await?
            .ok_or(Error::NotFound)?
            .fields;
        apply(input, &mut fields)?;
        self.repo
            .update_entry(oplog_id, entry_id, &fields, now)
            .await?
            .ok_or(Error::NotFound)
    }

    pub async fn delete_entry(
        &self,
        principal: &Principal,
        oplog_id: i64,
        entry_id: i64,
    ) -> Result<(), Error> {
        self.authorize_oplog(principal, oplog_id, OplogAction::Delete)
            .await?;
        if self.repo.delete_entry(oplog_id, entry_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
