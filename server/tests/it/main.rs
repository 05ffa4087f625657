//! Integration tests: the real server on 127.0.0.1:<random port> with a fresh database (a
//! SQLite file, or a PostgreSQL database with `KEYWARD_TEST_DATABASE=postgres`: `make test`
//! runs them both ways), called over HTTP. One test binary (modules below) keeps linking
//! cheap.

mod access_log;
mod account;
mod admin_cli;
mod admin_rpc;
mod allowlist;
mod api;
mod authz;
mod durability;
mod hardening;
mod kw;
mod notices;
mod pages;
mod paging;
mod projects_rpc;
mod reports;
mod rotation;
mod rpc;
mod scale_out;
mod service_tokens;
mod support;
mod usage;
