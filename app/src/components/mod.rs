//! Small building blocks shared by the pages.

mod confirm;
pub mod field;
mod hydrated;
mod persisted;
mod shown_once;

pub use confirm::Modal;
pub use field::{FieldMessage, FormFooter};
pub use hydrated::use_hydrated;
pub use persisted::PersistedCheckbox;
pub use shown_once::ShownOnce;
