//! Integration tests: the real server on 127.0.0.1:<random port> with a fresh SQLite file,
//! called over HTTP. One test binary (modules below) keeps linking cheap.

mod access_log;
mod account;
mod admin_cli;
mod admin_rpc;
mod api;
mod authz;
mod pages;
mod rpc;
mod service_tokens;
mod support;
