//! Integration tests: the real server on 127.0.0.1:<random port> with a fresh SQLite file,
//! called over HTTP. One test binary (modules below) keeps linking cheap.

mod account;
mod admin_cli;
mod api;
mod authz;
mod pages;
mod rpc;
mod service_tokens;
mod support;
