//! `/api/v1/projects/...`: projects, their config document and secrets. Every handler asks
//! the backend, which authorizes once per call (404 outside the grant, 403 without the flag).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use keyward_backend::Backend;
use keyward_backend::projects::{Action, VisibleProject};
use keyward_core::api::{Project, PutSecret, SecretValue};

use super::json::ApiJson;
use super::{ApiError, Bearer, id};

fn wire(v: VisibleProject) -> Project {
    Project {
        id: v.project.id,
        name: v.project.name,
        organization: v.project.org,
        created_at: v.project.created_at,
        permissions: v.permissions,
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/projects",
    operation_id = "list_projects",
    tag = "projects",
    responses((status = 200, description = "The projects the caller can read, with what it may do on each", body = Vec<Project>))
)]
pub async fn list(
    State(b): State<Backend>,
    Bearer(p): Bearer,
) -> Result<Json<Vec<Project>>, ApiError> {
    let projects = b.list_projects(&p).await?;
    Ok(Json(projects.into_iter().map(wire).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}",
    operation_id = "get_project",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, description = "The project", body = Project))
)]
pub async fn get(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
) -> Result<Json<Project>, ApiError> {
    let v = b.authorize_project(&p, id(&raw)?, Action::Read).await?;
    Ok(Json(wire(v)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/projects/{id}",
    operation_id = "delete_project",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 204, description = "The project, its config, secrets and operation logs are deleted (needs can_delete_project)"))
)]
pub async fn delete(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    b.delete_project(&p, id(&raw)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/config",
    operation_id = "get_project_config",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, description = "The config document (a JSON object)", body = Object))
)]
pub async fn get_config(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let v = b.authorize_project(&p, id(&raw)?, Action::Read).await?;
    // The stored document was validated as a JSON object when it was written.
    let config = serde_json::from_str(&v.project.config).unwrap_or_else(|_| serde_json::json!({}));
    Ok(Json(config))
}

#[utoipa::path(
    put,
    path = "/api/v1/projects/{id}/config",
    operation_id = "put_project_config",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    request_body = Object,
    responses((status = 200, description = "The stored config document (needs can_change_configs)", body = Object))
)]
pub async fn put_config(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
    ApiJson(config): ApiJson<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    b.set_project_config(&p, id(&raw)?, &config).await?;
    Ok(Json(config))
}

#[utoipa::path(
    get,
    path = "/api/v1/projects/{id}/secrets",
    operation_id = "list_project_secrets",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id")),
    responses((status = 200, description = "The project's secrets with their values", body = Vec<SecretValue>))
)]
pub async fn list_secrets(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path(raw): Path<String>,
) -> Result<Json<Vec<SecretValue>>, ApiError> {
    let secrets = b.project_secrets(&p, id(&raw)?).await?;
    Ok(Json(
        secrets
            .into_iter()
            .map(|s| SecretValue {
                name: s.name,
                value: s.value,
                updated_at: s.updated_at,
            })
            .collect(),
    ))
}

#[utoipa::path(
    put,
    path = "/api/v1/projects/{id}/secrets/{name}",
    operation_id = "put_project_secret",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id"), ("name" = String, Path, description = "Secret name: 1-100 of A-Z a-z 0-9 . _ -", pattern = r"^[A-Za-z0-9._-]{1,100}$")),
    request_body = PutSecret,
    responses((status = 204, description = "The secret is created or replaced (needs can_change_secrets)"))
)]
pub async fn put_secret(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path((raw, name)): Path<(String, String)>,
    ApiJson(body): ApiJson<PutSecret>,
) -> Result<StatusCode, ApiError> {
    b.put_secret(&p, id(&raw)?, &name, &body.value, Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    delete,
    path = "/api/v1/projects/{id}/secrets/{name}",
    operation_id = "delete_project_secret",
    tag = "projects",
    params(("id" = i64, Path, description = "Project id"), ("name" = String, Path, description = "Secret name: 1-100 of A-Z a-z 0-9 . _ -", pattern = r"^[A-Za-z0-9._-]{1,100}$")),
    responses((status = 204, description = "The secret is deleted (needs can_change_secrets)"))
)]
pub async fn delete_secret(
    State(b): State<Backend>,
    Bearer(p): Bearer,
    Path((raw, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    b.delete_secret(&p, id(&raw)?, &name, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
