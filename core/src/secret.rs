//! A token value that exists only in the one response that creates it.

use serde::{Deserialize, Serialize};

/// The plaintext of a freshly minted token. Its `Debug` shows the display prefix only, so a
/// stray `{:?}` in a log line or an error cannot leak it; reading it takes an explicit
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn display_prefix(&self) -> &str {
        crate::token::display_prefix(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}…)", self.display_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_the_display_prefix_only() {
        let s = Secret::new("kwat_ABCDEFGHIJKLMNOPQRSTUVWXYZabcd012345".into());
        let shown = format!("{s:?} {:?}", Some(&s));
        assert!(shown.contains("kwat_ABCDEFG"));
        assert!(!shown.contains("kwat_ABCDEFGH"));
    }
}
