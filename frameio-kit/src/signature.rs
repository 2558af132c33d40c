//! Signing and verifying Frame.io deliveries. Pure functions: no I/O, and the clock is passed in.
//!
//! Frame.io signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the handler's signing
//! secret and sends `v0={lowercase hex}` in `X-Frameio-Signature`, with the timestamp in
//! `X-Frameio-Request-Timestamp`. A delivery is accepted when the timestamp is a positive
//! integer within the tolerance window (±300 s by default) of the verifier's clock and the
//! signature matches one of the accepted secrets, compared in constant time.
//!
//! ```
//! use frameio_kit::signature::{sign, verify, SigningKey, DEFAULT_TOLERANCE};
//!
//! let body = br#"{"type":"file.ready"}"#;
//! let signature = sign(b"my-secret", "1700000000", body);
//! assert!(signature.starts_with("v0="));
//!
//! let keys = [SigningKey::new("old-secret"), SigningKey::new("my-secret")];
//! let now = 1_700_000_100; // 100 s later: inside the window
//! verify(&keys, "1700000000", Some(signature.as_bytes()), body, now, DEFAULT_TOLERANCE).unwrap();
//! assert!(verify(&keys, "1700000000", Some(signature.as_bytes()), b"{}", now, DEFAULT_TOLERANCE).is_err());
//! ```

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header carrying the request timestamp (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "x-frameio-request-timestamp";
/// The header carrying the signature (`v0=` + hex).
pub const SIGNATURE_HEADER: &str = "x-frameio-signature";
/// How far the request timestamp may be from the server clock, in both directions.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

const PREFIX: &[u8] = b"v0=";
const SIGNATURE_LEN: usize = 3 + 64;

/// A signing secret prepared for HMAC: the key schedule is computed once, not per request.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct SigningKey {
    mac: Hmac<Sha256>,
}

impl SigningKey {
    /// Prepares a secret (the bytes of the string Frame.io showed when the webhook or action
    /// was created).
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC-SHA256 takes keys of any length"));
        Self { mac }
    }

    fn signature_bytes(&self, timestamp: &str, body: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut mac = self.mac.clone();
        mac.update(b"v0:");
        mac.update(timestamp.as_bytes());
        mac.update(b":");
        mac.update(body);
        let digest = mac.finalize().into_bytes();
        let mut out = [0u8; SIGNATURE_LEN];
        out[..3].copy_from_slice(PREFIX);
        // 32 digest bytes always fill exactly 64 hex characters.
        let _ = hex::encode_to_slice(digest.as_slice(), &mut out[3..]);
        out
    }

    /// Signs a body: returns the `X-Frameio-Signature` value (`v0=` + lowercase hex).
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let bytes = self.signature_bytes(timestamp, body);
        // Always ASCII: "v0=" followed by hex digits.
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// `true` when `signature` is this key's signature of the timestamp and body
    /// (constant-time comparison of the whole header value).
    pub fn matches(&self, timestamp: &str, body: &[u8], signature: &[u8]) -> bool {
        let expected = self.signature_bytes(timestamp, body);
        expected.as_slice().ct_eq(signature).into()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Signs a body with a secret: the `X-Frameio-Signature` value (`v0=` + lowercase hex).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    SigningKey::new(secret).sign(timestamp, body)
}

/// Why a delivery's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The timestamp header is not an integer.
    #[error("timestamp header is not an integer")]
    MalformedTimestamp,
    /// The timestamp is zero or negative.
    #[error("timestamp must be a positive number of seconds")]
    NonPositiveTimestamp,
    /// The timestamp is outside the tolerance window.
    #[error("timestamp {timestamp} is {skew} s away from the server clock (allowed: {allowed} s)")]
    OutsideWindow {
        /// The request's timestamp.
        timestamp: i64,
        /// Absolute distance from the server clock, in seconds.
        skew: u64,
        /// The allowed distance, in seconds.
        allowed: u64,
    },
    /// No `X-Frameio-Signature` header.
    #[error("signature header is missing")]
    MissingSignature,
    /// No accepted secret produces this signature.
    #[error("signature does not match")]
    Mismatch,
    /// Nothing to verify against.
    #[error("no signing secret to verify against")]
    NoKeys,
}

/// Parses the timestamp header as sent (an integer number of Unix seconds).
///
/// An integer with more digits than 64 bits hold is still an integer, far outside any
/// window: it saturates to `i64::MAX` (or `i64::MIN`), which [`check_window`] refuses.
///
/// ```
/// use frameio_kit::signature::parse_timestamp;
///
/// assert_eq!(parse_timestamp("1700000000"), Ok(1_700_000_000));
/// assert_eq!(parse_timestamp(&"9".repeat(40)), Ok(i64::MAX));
/// assert!(parse_timestamp("soon").is_err());
/// ```
pub fn parse_timestamp(header: &str) -> Result<i64, SignatureError> {
    use std::num::IntErrorKind;
    header.parse::<i64>().or_else(|err| match err.kind() {
        IntErrorKind::PosOverflow => Ok(i64::MAX),
        IntErrorKind::NegOverflow => Ok(i64::MIN),
        _ => Err(SignatureError::MalformedTimestamp),
    })
}

/// Checks that a parsed timestamp is positive and within `tolerance` of `now` (Unix seconds).
pub fn check_window(timestamp: i64, now: i64, tolerance: Duration) -> Result<(), SignatureError> {
    if timestamp <= 0 {
        return Err(SignatureError::NonPositiveTimestamp);
    }
    let skew = now.abs_diff(timestamp);
    let allowed = tolerance.as_secs();
    if skew > allowed {
        return Err(SignatureError::OutsideWindow {
            timestamp,
            skew,
            allowed,
        });
    }
    Ok(())
}

/// Verifies a delivery against every accepted key (several during a secret rotation).
///
/// `timestamp` is the header exactly as received, `signature` the signature header's bytes
/// (`None` when absent), `body` the raw request body, `now` the verifier's clock in Unix
/// seconds.
pub fn verify(
    keys: &[SigningKey],
    timestamp: &str,
    signature: Option<&[u8]>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    verify_parsed(
        keys,
        timestamp,
        parse_timestamp(timestamp)?,
        signature,
        body,
        now,
        tolerance,
    )
}

/// [`verify`] with the timestamp header already parsed (`parsed` is
/// [`parse_timestamp`]`(timestamp)`), so a pipeline that read it once does not parse it again.
pub(crate) fn verify_parsed(
    keys: &[SigningKey],
    timestamp: &str,
    parsed: i64,
    signature: Option<&[u8]>,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    check_window(parsed, now, tolerance)?;
    let signature = signature.ok_or(SignatureError::MissingSignature)?;
    if keys.is_empty() {
        return Err(SignatureError::NoKeys);
    }
    // Fast reject of values that cannot be a signature; their length is not secret.
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::Mismatch);
    }
    if keys
        .iter()
        .any(|key| key.matches(timestamp, body, signature))
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn known_vectors() {
        // Computed independently with:
        // printf '%s' 'v0:1700000000:{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            sign(b"secret", "1700000000", br#"{"a":1}"#),
            "v0=7d06e4dcbb54167f0033658ac8c45abe35b1fa257ff38a448e290762b595f902"
        );
        // An empty secret and an empty body are still well defined.
        assert_eq!(
            sign(b"", "1700000000", b""),
            "v0=5ecdd6a302632478e756ce43c418142da16648f26e21ecf36c81f37969ce0310"
        );
    }

    #[test]
    fn window_is_inclusive_in_both_directions() {
        let key = SigningKey::new("s");
        for offset in [-300_i64, 0, 300] {
            let ts = (NOW + offset).to_string();
            let sig = key.sign(&ts, b"{}");
            verify(
                std::slice::from_ref(&key),
                &ts,
                Some(sig.as_bytes()),
                b"{}",
                NOW,
                DEFAULT_TOLERANCE,
            )
            .unwrap();
        }
        for offset in [-301_i64, 301] {
            let ts = (NOW + offset).to_string();
            let sig = key.sign(&ts, b"{}");
            let err = verify(
                std::slice::from_ref(&key),
                &ts,
                Some(sig.as_bytes()),
                b"{}",
                NOW,
                DEFAULT_TOLERANCE,
            )
            .unwrap_err();
            assert!(matches!(
                err,
                SignatureError::OutsideWindow { skew: 301, .. }
            ));
        }
    }

    #[test]
    fn refusals_say_why() {
        let keys = [SigningKey::new("s")];
        let ts = NOW.to_string();
        let good = keys[0].sign(&ts, b"{}");
        let check = |ts: &str, sig: Option<&str>, keys: &[SigningKey]| {
            verify(
                keys,
                ts,
                sig.map(str::as_bytes),
                b"{}",
                NOW,
                DEFAULT_TOLERANCE,
            )
        };
        assert_eq!(
            check("abc", Some(&good), &keys),
            Err(SignatureError::MalformedTimestamp)
        );
        assert_eq!(
            check("0", Some(&good), &keys),
            Err(SignatureError::NonPositiveTimestamp)
        );
        assert_eq!(
            check("-5", Some(&good), &keys),
            Err(SignatureError::NonPositiveTimestamp)
        );
        let huge = "1".repeat(40);
        assert!(matches!(
            check(&huge, Some(&good), &keys),
            Err(SignatureError::OutsideWindow {
                timestamp: i64::MAX,
                ..
            })
        ));
        assert_eq!(
            check(&format!("-{huge}"), Some(&good), &keys),
            Err(SignatureError::NonPositiveTimestamp)
        );
        assert_eq!(
            check(&ts, None, &keys),
            Err(SignatureError::MissingSignature)
        );
        assert_eq!(check(&ts, Some(&good), &[]), Err(SignatureError::NoKeys));
        assert_eq!(
            check(&ts, Some("v0=00"), &keys),
            Err(SignatureError::Mismatch)
        );
        let upper = good.to_uppercase();
        assert_eq!(
            check(&ts, Some(&upper), &keys),
            Err(SignatureError::Mismatch)
        );
        let without_prefix = format!("v1={}", &good[3..]);
        assert_eq!(
            check(&ts, Some(&without_prefix), &keys),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check(&ts, Some(&good), &keys), Ok(()));
    }

    #[test]
    fn custom_tolerance() {
        let key = SigningKey::new("s");
        let ts = (NOW - 20).to_string();
        let sig = key.sign(&ts, b"x");
        let keys = [key];
        assert!(
            verify(
                &keys,
                &ts,
                Some(sig.as_bytes()),
                b"x",
                NOW,
                Duration::from_secs(10)
            )
            .is_err()
        );
        assert!(
            verify(
                &keys,
                &ts,
                Some(sig.as_bytes()),
                b"x",
                NOW,
                Duration::from_secs(30)
            )
            .is_ok()
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = SigningKey::new("super-secret-value");
        assert!(!format!("{key:?}").contains("super-secret"));
    }

    proptest! {
        #[test]
        fn signed_bodies_verify(secret in proptest::collection::vec(any::<u8>(), 0..80),
                                body in proptest::collection::vec(any::<u8>(), 0..512),
                                offset in -300_i64..=300) {
            let ts = (NOW + offset).to_string();
            let sig = sign(&secret, &ts, &body);
            let keys = [SigningKey::new(&secret)];
            prop_assert!(verify(&keys, &ts, Some(sig.as_bytes()), &body, NOW, DEFAULT_TOLERANCE).is_ok());
        }

        #[test]
        fn any_flipped_byte_is_rejected(body in proptest::collection::vec(any::<u8>(), 1..256),
                                        index in any::<prop::sample::Index>(),
                                        bit in 0u8..8,
                                        target in 0u8..3) {
            let ts = NOW.to_string();
            let keys = [SigningKey::new("k")];
            let sig = keys[0].sign(&ts, &body).into_bytes();
            let (mut body, mut ts, mut sig) = (body, ts.into_bytes(), sig);
            match target {
                0 => { let i = index.index(body.len()); body[i] ^= 1 << bit; }
                1 => { let i = index.index(sig.len()); sig[i] ^= 1 << bit; }
                _ => { let i = index.index(ts.len()); ts[i] ^= 1 << bit; }
            }
            let ts = String::from_utf8_lossy(&ts).into_owned();
            // A flipped timestamp byte may also make it unparsable or move it out of the
            // window; every outcome must be a rejection.
            prop_assert!(verify(&keys, &ts, Some(&sig), &body, NOW, DEFAULT_TOLERANCE).is_err());
        }
    }
}
