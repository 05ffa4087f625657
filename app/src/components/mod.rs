//! Small building blocks shared by the pages.

pub mod allowlist;
pub mod audit;
pub mod card;
mod confirm;
pub mod deferred;
mod effect;
pub mod field;
mod flags;
mod hydrated;
mod persisted;
pub mod refocus;
pub mod reload;
pub mod rotate;
mod sessions;
mod shown_once;
pub mod sudo;
pub mod tokens;
pub mod usage;

pub use confirm::Modal;
pub use deferred::{Keeper, deferred, keeper, kept};
pub use effect::effect;
pub use field::{FieldMessage, FormFooter, TextField};
pub use flags::FlagBoxes;
pub use hydrated::use_hydrated;
pub use persisted::PersistedCheckbox;
pub use sessions::SessionTable;
pub use shown_once::ShownOnce;
pub use sudo::{ConfirmAccessDialog, provide_sudo, use_sudo};
pub use tokens::{ExpiryCell, RevokeDialog, TokenRef};
