//! PKCE (RFC 7636, `S256`) for the single-page-app flow.

use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::auth::AuthError;

/// A PKCE (RFC 7636, `S256`) verifier and its challenge for the single-page-app flow.
///
/// Keep the verifier (for example in a [`Store`](crate::store::Store) under the `state`)
/// between sending the user to IMS and exchanging the code. `Debug` hides the verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// A new random verifier (43 characters from 32 random bytes) and its S256 challenge.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        Self::from_verifier_unchecked(verifier)
    }

    /// Rebuilds the pair from a verifier kept since [`generate`](Self::generate).
    ///
    /// # Errors
    ///
    /// [`AuthError::Config`] when the verifier is not 43 to 128 unreserved characters.
    pub fn from_verifier(verifier: impl Into<String>) -> Result<Self, AuthError> {
        let verifier = verifier.into();
        let ok_len = (43..=128).contains(&verifier.len());
        let ok_chars = verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !(ok_len && ok_chars) {
            return Err(AuthError::Config(
                "pkce verifier must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
            ));
        }
        Ok(Self::from_verifier_unchecked(verifier))
    }

    fn from_verifier_unchecked(verifier: String) -> Self {
        let challenge = pkce_challenge(&verifier);
        Self {
            verifier,
            challenge,
        }
    }

    /// The secret verifier, sent with the code exchange.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// The public challenge, sent in the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// The S256 challenge for `verifier`: base64url (no padding) of its SHA-256.
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_generation_is_random_and_valid() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_ne!(a.verifier(), b.verifier());
        assert_eq!(a.verifier().len(), 43);
        assert_eq!(Pkce::from_verifier(a.verifier()).unwrap(), a);
        assert!(!format!("{a:?}").contains(a.verifier()));
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier("x".repeat(43) + " ").is_err());
    }
}
