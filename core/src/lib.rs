//! keyward's pure domain code. No I/O, no clock, no global randomness: time arrives as a
//! `now` parameter and randomness as an `RngCore`, so the same code runs (and is tested)
//! identically on the server, in the WASM page and in the CLI.

pub mod allowlist;
pub mod api;
pub mod expiry;
pub mod grant;
pub mod notice;
pub mod page;
pub mod policy;
pub mod profile;
pub mod role;
pub mod scope;
pub mod secret;
pub mod token;
pub mod usage;
pub mod validate;

pub use expiry::ExpiryStatus;
pub use grant::Permissions;
pub use policy::Policy;
pub use role::Role;
pub use scope::{OplogAccess, Scope};
pub use secret::Secret;
pub use token::{ParsedToken, TokenFormatError, TokenKind};
pub use validate::FieldError;
