pub mod api_tokens;
pub mod login;
pub mod profile;
pub mod setup;
