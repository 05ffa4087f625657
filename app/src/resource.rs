//! The page's resources, carried in the same wire format as server functions' answers.
//!
//! Leptos' default resource codec is JSON (`serde_json::from_str`), while server functions
//! answer in postcard (`rpc::Wire`): with both, every wire type's `Deserialize` and a JSON
//! parser would be compiled into the WASM. Resources made here carry postcard too, base64'd
//! into the page by Leptos, so one reader decodes both.

use std::future::Future;

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Postcard, as server functions' answers (see the module's comment).
pub struct Wire;

impl<T: Serialize> Encoder<T> for Wire {
    type Error = postcard::Error;
    type Encoded = Vec<u8>;

    fn encode(value: &T) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Wire {
    type Error = postcard::Error;
    type Encoded = [u8];

    fn decode(bytes: &[u8]) -> Result<T, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

/// What a server function loaded for the page.
pub type Loaded<T> = Resource<Result<T, AppError>, Wire>;

/// [`Resource::new`] with the [`Wire`] codec: `fetcher` runs again whenever `source` changes.
pub fn new<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Wire>
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
