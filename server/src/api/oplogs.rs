//! `/api/v1/oplogs/...`: operation logs and their entries.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use keyward_backend::Backend;
use keyward_backend::db::EntryRow;
use keyward_core::api::{EntryInput, Oplog, OplogEntry};

use super::json::ApiJson;
use super::{ApiError, Bearer, id};

fn wire(e: EntryRow) -> OplogEntry {
    let f = e.fields;
    OplogEntry {
        id: e.id,
        oplog_id: e.oplog_id,
        start_date: f.start_date,
        end_date: f.end_date,
        source_host: f.source_host,
        dest_host: f.dest_host,
        tool: f.tool,
        user_context: f.user_context,
        command: f.command,
        description: f.description,
        output: f.output,
        operator: f.operator,
        tags: f.tags,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/oplogs",
    operation_id = "list_oplogs",
    tag = "oplogs",
    responses((status = 200, description = "The operation logs the caller can read", body = Vec<Oplog>))
)]
pub async fn list(
    State(b): State<Backend>,
    Bearer(p): Bearer,
) -> Result<Json<Vec<Oplog>>, ApiError> {
    let logs = b.list_oplogs(&p).await?;
    Ok(Json(
        logs.into_iter()
            .map(|o| Oplog {
                id: o.id,
                project_id: o.project_id,
                name: o.name,
            })
            .collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/oplogs/{id}/entries",
    operation_id = "list_oplog_entries",
    tag = "oplogs",
    params(("id" = i64, Path, description = "Operation log id")),
    responses((status = 200, description = "The log's entries, oldest first", body = Vec<OplogEntry>))
)]
pub async fn entries(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
) -> Result<Json<Vec<OplogEntry>>, ApiError> {
    let entries = b.list_entries(&p, id(&raw)?).await?;
    Ok(Json(entries.into_iter().map(wire).collect()))
}

#[utoipa::path(
    post,
    path = "/api/v1/oplogs/{id}/entries",
    operation_id = "create_oplog_entry",
    tag = "oplogs",
    params(("id" = i64, Path, description = "Operation log id")),
    request_body = EntryInput,
    responses((status = 201, description = "The new entry", body = OplogEntry))
)]
pub async fn create(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
    ApiJson(input): ApiJson<EntryInput>,
) -> Result<(StatusCode, Json<OplogEntry>), ApiError> {
    let entry = b.create_entry(&p, id(&raw)?, input, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(wire(entry))))
}

#[utoipa::path(
    patch,
    path = "/api/v1/oplogs/{id}/entries/{entry}",
    operation_id = "update_oplog_entry",
    tag = "oplogs",
    params(("id" = i64, Path, description = "Operation log id"), ("entry" = i64, Path, description = "Entry id")),
    request_body = EntryInput,
    responses((status = 200, description = "The entry, with the given fields changed", body = OplogEntry))
)]
pub async fn update(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path((raw, entry)): Path<(String, String)>,
    ApiJson(input): ApiJson<EntryInput>,
) -> Result<Json<OplogEntry>, ApiError> {
    let entry = b
        .update_entry(&p, id(&raw)?, id(&entry)?, input, Utc::now())
        .await?;
    Ok(Json(wire(entry)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/oplogs/{id}/entries/{entry}",
    operation_id = "delete_oplog_entry",
    tag = "oplogs",
    params(("id" = i64, Path, description = "Operation log id"), ("entry" = i64, Path, description = "Entry id")),
    responses((status = 204, description = "The entry is deleted"))
)]
pub async fn delete(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path((raw, entry)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    b.delete_entry(&p, id(&raw)?, id(&entry)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
