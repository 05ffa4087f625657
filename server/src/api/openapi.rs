//! `GET /api/v1/openapi.json`: the API's description, generated from the handlers'
//! `#[utoipa::path]` annotations and the wire types in `keyward_core::api`. The error
//! answers every route shares are added here, by rule, instead of on each handler.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, Response};
use utoipa::{Modify, OpenApi};

use super::{login, oplogs, projects, tokens, whoami};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "keyward API",
        version = "1",
        description = "The bearer API of keyward. Authenticate with `Authorization: Bearer \
            <token>`: an API token (kwat_), a service token (kwst_) or a login JWT from \
            `POST /api/v1/login`. The \
            credential's grant decides what comes back: rows outside it are 404, visible \
            rows without the needed permission are 403."
    ),
    paths(
        login::login,
        whoami::whoami,
        tokens::revoke_current,
        tokens::rotate_current,
        tokens::report,
        projects::list,
        projects::get,
        projects::delete,
        projects::get_config,
        projects::put_config,
        projects::list_secrets,
        projects::put_secret,
        projects::delete_secret,
        oplogs::list,
        oplogs::entries,
        oplogs::create,
        oplogs::update,
        oplogs::delete,
    ),
    components(schemas(keyward_core::api::ErrorBody)),
    modifiers(&CommonAnswers),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// Adds the bearer scheme and, to each operation, the errors it can give.
struct CommonAnswers;

fn error(description: &str) -> Response {
    let mut r = Response::new(description);
    r.content.insert(
        "application/json".into(),
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    r
}

impl Modify for CommonAnswers {
    fn modify(&self, doc: &mut Document) {
        if let Some(components) = doc.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            let targets_a_row = path.contains('{');
            let operations = [
                (false, item.get.as_mut()),
                (true, item.put.as_mut()),
                (true, item.post.as_mut()),
                (true, item.patch.as_mut()),
                (true, item.delete.as_mut()),
            ];
            for (writes, op) in operations {
                if let Some(op) = op {
                    // Revoking oneself and signing in need no permission on a row.
                    let may_be_forbidden = writes
                        && !matches!(
                            path.as_str(),
                            "/api/v1/tokens/current"
                                | "/api/v1/tokens/current/rotate"
                                | "/api/v1/tokens/report"
                                | "/api/v1/login"
                        );
                    // A leak report is the one call without any credential to refuse.
                    let credential = path != "/api/v1/tokens/report";
                    add_errors(op, targets_a_row, may_be_forbidden, credential);
                }
            }
        }
    }
}

fn add_errors(op: &mut Operation, targets_a_row: bool, writes: bool, credential: bool) {
    let mut answers = Vec::new();
    if credential {
        answers.push((
        "401",
        "Missing, malformed, unknown, expired, revoked or suspended credential; `code` says \
         which (invalid_token, token_expired, token_revoked, token_suspended, \
         session_revoked, account_disabled, token_rotated, ip_not_allowed). Sent with `WWW-Authenticate: \
         Bearer`.",
    ));
    }
    answers.push((
        "429",
        "Too many failed authentications from this address (`rate_limited`); retry after \
         `Retry-After` seconds.",
    ));
    answers.push((
        "503",
        "The database cannot be reached right now (`unavailable`); retry after `Retry-After` \
         seconds.",
    ));
    if targets_a_row {
        answers.push((
            "404",
            "No such row, or it is outside the credential's grant.",
        ));
    }
    if writes {
        answers.push((
            "403",
            "The row is visible, but the grant lacks the permission.",
        ));
    }
    if op.request_body.is_some() {
        answers.push(("400", "The body is not valid JSON."));
        answers.push((
            "413",
            "The body is larger than 1 MiB (`payload_too_large`).",
        ));
        answers.push(("415", "The body is not sent as `application/json`."));
        answers.push(("422", "A field is invalid; `field` names it."));
    }
    for (status, description) in answers {
        // An answer a handler documents itself (the login's 401) is kept.
        op.responses
            .responses
            .entry(status.into())
            .or_insert_with(|| error(description).into());
    }
}

pub async fn document() -> Json<Document> {
    Json(ApiDoc::openapi())
}
