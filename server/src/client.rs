//! Who and where each request comes from: the client address (the socket peer, or what a
//! trusted proxy forwarded: see `keyward_backend::client`), set once as a request extension
//! ([`ClientAddr`]) for the bearer check, the rate limits and the page's server functions,
//! and with the user agent for every event the request's services record in the audit log.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;
use keyward_backend::audit;
use keyward_backend::client::resolve;

use crate::state::TrustedProxies;

pub async fn context(
    State(TrustedProxies(trusted)): State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = peer.map(|peer| {
        let forwarded = req.headers().get_all("x-forwarded-for").iter();
        // A value that is not text is no address: it stops the walk like any garbage.
        let forwarded = forwarded.map(|v| v.to_str().unwrap_or("-"));
        resolve(peer, forwarded, &trusted)
    });
    if let Some(addr) = client {
        req.extensions_mut().insert(addr);
    }
    let agent = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok());
    let client = audit::Client::new(client.map(|c| c.ip.to_string()), agent);
    audit::with_client(client, next.run(req)).await
}
