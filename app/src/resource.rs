//! The page's resources, decoded by the same serde_json reader as server functions' answers.
//!
//! Leptos' default resource codec reads with `serde_json::from_str`, server functions with
//! `from_slice`: two readers, so every wire type's `Deserialize` was compiled into the WASM
//! twice, about a tenth of its code before wasm-opt (issue 16). Resources made here read
//! with `from_slice` too, which leaves one copy.

use std::future::Future;

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// JSON, read from bytes (see the module's comment).
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// What a server function loaded for the page.
pub type Loaded<T> = Resource<Result<T, AppError>, Json>;

/// [`Resource::new`] with the [`Json`] codec: `fetcher` runs again whenever `source` changes.
pub fn new<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    S: Clone + PartialEq + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// `f` of the list `loaded` holds now, if it loaded, without subscribing to it: for a part
/// drawn once that reads the list only when opened (a token card's dialogs), which a reload
/// of the list must not draw again.
///
/// Read under an owner of its own, outside every `<Suspense>`: a read under one (even
/// untracked) ties the resource to it for good, and at each reload of the list that
/// Suspense, the page's outermost, would drop the whole page for its fallback.
pub fn latest<T, R>(loaded: Loaded<T>, f: impl FnOnce(&T) -> R) -> Option<R>
where
    T: Send + Sync + 'static,
{
    let caller = Owner::current();
    let value = Owner::new_root(None).with(|| {
        loaded
            .try_with_untracked(|now| now.as_ref().and_then(|r| r.as_ref().ok()).map(f))
            .flatten()
    });
    // `new_root` makes itself the current owner, and is gone now: the caller's comes back.
    if let Some(caller) = caller {
        caller.set();
    }
    value
}
