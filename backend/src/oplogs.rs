//! Operation logs behind the bearer API. A caller who can read a project can read and write
//! its operation logs and their entries; any other log does not exist for them (404).

use chrono::{DateTime, Utc};
use keyward_core::FieldError;
use keyward_core::api::EntryInput;

use crate::db::{EntryFields, EntryRow, OplogRow};
use crate::{Backend, Error, Principal};

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

impl Backend {
    /// The log, if the caller can read its project.
    pub async fn authorize_oplog(
        &self,
        principal: &Principal,
        oplog_id: i64,
    ) -> Result<OplogRow, Error> {
        let oplog = self.repo.oplog(oplog_id).await?.ok_or(Error::NotFound)?;
        self.project_permissions(&principal.user, oplog.project_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(oplog)
    }

    pub async fn list_oplogs(&self, principal: &Principal) -> Result<Vec<OplogRow>, Error> {
        let user = &principal.user;
        let granted_to = (!user.role.sees_all_projects()).then_some(user.id);
        self.repo.oplogs(granted_to).await
    }

    pub async fn list_entries(
        &self,
        principal: &Principal,
        oplog_id: i64,
    ) -> Result<Vec<EntryRow>, Error> {
        self.authorize_oplog(principal, oplog_id).await?;
        self.repo.entries(oplog_id).await
    }

    pub async fn create_entry(
        &self,
        principal: &Principal,
        oplog_id: i64,
        input: EntryInput,
        now: DateTime<Utc>,
    ) -> Result<EntryRow, Error> {
        self.authorize_oplog(principal, oplog_id).await?;
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
        self.authorize_oplog(principal, oplog_id).await?;
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
        self.authorize_oplog(principal, oplog_id).await?;
        if self.repo.delete_entry(oplog_id, entry_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
