//! Who and where each request comes from, for the audit log: the socket peer's address and
//! the user agent, known to every event the request's services record (see
//! `keyward_backend::audit`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;
use keyward_backend::audit;

pub async fn context(req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let agent = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok());
    let client = audit::Client::new(ip, agent);
    audit::with_client(client, next.run(req)).await
}
