pub mod account;
pub mod admin;
pub mod api_tokens;
pub mod login;
pub mod profile;
pub mod service_tokens;
pub mod sessions;
pub mod setup;
