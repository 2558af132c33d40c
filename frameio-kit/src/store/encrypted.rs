//! Encryption at rest: keys, a key ring and the [`EncryptedStore`] wrapper.
//!
//! Values are sealed with AES-256-GCM under a fresh random 96-bit nonce. The sealed form is
//! `version (1 byte) ‖ key id (4 bytes) ‖ nonce (12 bytes) ‖ ciphertext and tag`, and the
//! store key is bound in as associated data, so a value copied to another key does not
//! decrypt. The key id (the first four bytes of a SHA-256 over the key) lets a [`KeyRing`]
//! pick the right key when keys rotate: the first key encrypts, every key decrypts.

use std::{fmt, sync::Arc, time::Duration};

use aes_gcm::{
    Aes256Gcm,
    aead::{Aead, KeyInit, Payload},
};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Store, StoreError, StoreFuture};

/// The environment variable [`KeyRing::from_env`] reads: one base64 key, or several separated
/// by commas (first encrypts, all decrypt).
pub const ENCRYPTION_KEY_ENV: &str = "FRAMEIO_KIT_ENCRYPTION_KEY";

const FORMAT_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;

/// Errors from encryption keys and sealed values. Never contains key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// A key is not valid base64 or does not decode to exactly 32 bytes.
    #[error("invalid encryption key: {0}")]
    InvalidKey(&'static str),
    /// A key ring needs at least one key.
    #[error("no encryption key configured (set {ENCRYPTION_KEY_ENV} or pass a key)")]
    NoKey,
    /// The sealed value is too short or has an unknown format version.
    #[error("malformed encrypted value")]
    Malformed,
    /// No key in the ring has the key id the value was sealed with.
    #[error("value was encrypted with an unknown key (id {key_id})")]
    UnknownKey {
        /// The value's key id, in hex.
        key_id: String,
    },
    /// Authentication failed: the value was tampered with, moved to another key, or sealed
    /// under a different key with a colliding id.
    #[error("decryption failed: wrong key or tampered value")]
    DecryptionFailed,
    /// Encryption itself failed (should not happen with valid keys).
    #[error("encryption failed")]
    EncryptionFailed,
}

/// A 256-bit AES-GCM key. Its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey {
    bytes: [u8; 32],
    id: [u8; KEY_ID_LEN],
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("id", &hex::encode(self.id))
            .finish_non_exhaustive()
    }
}

impl EncryptionKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::new()
            .chain_update(b"frameio-kit key id v1")
            .chain_update(bytes)
            .finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        Self { bytes, id }
    }

    /// A key from its base64 form (standard or URL-safe alphabet, padding optional).
    ///
    /// # Errors
    ///
    /// [`CryptoError::InvalidKey`] when the text is not base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        let trimmed = text.trim().trim_end_matches('=');
        let decoded = STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
            .map_err(|_| CryptoError::InvalidKey("not valid base64"))?;
        let bytes: [u8; 32] = decoded
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("must decode to exactly 32 bytes"))?;
        Ok(Self::from_bytes(bytes))
    }

    /// A new random key from the operating system's generator.
    pub fn generate() -> Self {
        Self::from_bytes(rand::random())
    }

    /// The key in standard padded base64 — the form [`from_base64`](Self::from_base64) and
    /// [`ENCRYPTION_KEY_ENV`] accept. Treat it as a secret.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.bytes)
    }

    /// The short public identifier stored with every value sealed under this key, in hex.
    pub fn id(&self) -> String {
        hex::encode(self.id)
    }
}

/// Generates a new random key and returns it in base64, ready for [`ENCRYPTION_KEY_ENV`].
pub fn generate_key() -> String {
    EncryptionKey::generate().to_base64()
}

/// An ordered set of keys: the first encrypts, all of them decrypt.
///
/// Values are sealed with AES-256-GCM under a fresh random 96-bit nonce as
/// `version (1 byte) ‖ key id (4 bytes) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`.
/// The key id (the first four bytes of a SHA-256 over the key) selects the decryption key;
/// the caller's `context` (the store key, for [`EncryptedStore`]) is authenticated as
/// associated data, so a sealed value copied elsewhere does not open.
///
/// To rotate, put the new key first and keep the old ones after it until every stored
/// value has been rewritten.
///
/// ```
/// use frameio_kit::store::{EncryptionKey, KeyRing};
///
/// let old = EncryptionKey::generate();
/// let sealed = KeyRing::new(vec![old.clone()]).unwrap().encrypt(b"secret", b"key").unwrap();
///
/// let rotated = KeyRing::new(vec![EncryptionKey::generate(), old]).unwrap();
/// assert_eq!(rotated.decrypt(&sealed, b"key").unwrap(), b"secret");
/// ```
#[derive(Clone)]
pub struct KeyRing {
    keys: Arc<[EncryptionKey]>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.keys.iter().map(EncryptionKey::id).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

impl KeyRing {
    /// A ring from keys in order (the first encrypts).
    ///
    /// # Errors
    ///
    /// [`CryptoError::NoKey`] when `keys` is empty.
    pub fn new(keys: Vec<EncryptionKey>) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::NoKey);
        }
        Ok(Self { keys: keys.into() })
    }

    /// A ring with a single key.
    pub fn single(key: EncryptionKey) -> Self {
        Self {
            keys: Arc::from(vec![key]),
        }
    }

    /// A ring from a comma-separated list of base64 keys (blank entries are ignored).
    ///
    /// # Errors
    ///
    /// [`CryptoError::InvalidKey`] for a bad entry, [`CryptoError::NoKey`] for an empty list.
    pub fn from_base64_list(list: &str) -> Result<Self, CryptoError> {
        let keys = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(EncryptionKey::from_base64)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys)
    }

    /// A ring from the [`ENCRYPTION_KEY_ENV`] environment variable.
    ///
    /// # Errors
    ///
    /// [`CryptoError::NoKey`] when the variable is unset or empty, [`CryptoError::InvalidKey`]
    /// when an entry is malformed.
    pub fn from_env() -> Result<Self, CryptoError> {
        match std::env::var(ENCRYPTION_KEY_ENV) {
            Ok(list) => Self::from_base64_list(&list),
            Err(_) => Err(CryptoError::NoKey),
        }
    }

    /// The ids of the keys, in order.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(EncryptionKey::id).collect()
    }

    fn primary(&self) -> Result<&EncryptionKey, CryptoError> {
        // `new` and `single` guarantee at least one key; stay panic-free regardless.
        self.keys.first().ok_or(CryptoError::NoKey)
    }

    /// Seals `plaintext` with the first key; `context` (for example the store key) must be
    /// given again to decrypt.
    ///
    /// # Errors
    ///
    /// [`CryptoError::EncryptionFailed`] if the cipher refuses the input.
    pub fn encrypt(&self, plaintext: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = self.primary()?;
        let cipher = Aes256Gcm::new_from_slice(&key.bytes)
            .map_err(|_| CryptoError::InvalidKey("must be 32 bytes"))?;
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = aes_gcm::Nonce::try_from(&nonce_bytes[..])
            .map_err(|_| CryptoError::EncryptionFailed)?;
        let mut header = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        header.push(FORMAT_VERSION);
        header.extend_from_slice(&key.id);
        header.extend_from_slice(&nonce_bytes);
        let aad = associated_data(&header[..1 + KEY_ID_LEN], context);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::EncryptionFailed)?;
        header.extend_from_slice(&sealed);
        Ok(header)
    }

    /// Opens a value sealed by [`encrypt`](Self::encrypt) with the same `context`.
    ///
    /// # Errors
    ///
    /// [`CryptoError::Malformed`], [`CryptoError::UnknownKey`] or
    /// [`CryptoError::DecryptionFailed`]; never panics on bad input.
    pub fn decrypt(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != FORMAT_VERSION {
            return Err(CryptoError::Malformed);
        }
        let key_id = &sealed[1..1 + KEY_ID_LEN];
        let nonce_bytes = &sealed[1 + KEY_ID_LEN..HEADER_LEN];
        let aad = associated_data(&sealed[..1 + KEY_ID_LEN], context);
        let mut candidates = self.keys.iter().filter(|k| k.id == key_id).peekable();
        if candidates.peek().is_none() {
            return Err(CryptoError::UnknownKey {
                key_id: hex::encode(key_id),
            });
        }
        let nonce = aes_gcm::Nonce::try_from(nonce_bytes).map_err(|_| CryptoError::Malformed)?;
        for key in candidates {
            let cipher = Aes256Gcm::new_from_slice(&key.bytes)
                .map_err(|_| CryptoError::InvalidKey("must be 32 bytes"))?;
            if let Ok(plain) = cipher.decrypt(
                &nonce,
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            ) {
                return Ok(plain);
            }
        }
        Err(CryptoError::DecryptionFailed)
    }
}

fn associated_data(header: &[u8], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(16 + header.len() + context.len());
    aad.extend_from_slice(b"frameio-kit:");
    aad.extend_from_slice(header);
    aad.extend_from_slice(context);
    aad
}

/// A [`Store`] wrapper that encrypts every value with a [`KeyRing`] before handing it to the
/// inner store, and decrypts on the way out.
///
/// Keys are stored as they are (they are not secret); values are sealed and bound to their
/// key. A value that does not decrypt yields [`StoreError::Crypto`], never a panic.
/// [`Store::delete_if_equals`] compares plaintexts (each sealing uses a fresh nonce).
///
/// ```
/// use std::sync::Arc;
/// use frameio_kit::store::{EncryptedStore, EncryptionKey, KeyRing, MemoryStore, Store};
///
/// # async fn demo() -> Result<(), frameio_kit::store::StoreError> {
/// let raw: Arc<dyn Store> = Arc::new(MemoryStore::new());
/// let store = EncryptedStore::new(raw.clone(), KeyRing::single(EncryptionKey::generate()));
/// store.set("token", b"very secret", None).await?;
/// assert_eq!(store.get("token").await?.as_deref(), Some(&b"very secret"[..]));
/// assert_ne!(raw.get("token").await?.as_deref(), Some(&b"very secret"[..]));
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(demo()).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct EncryptedStore {
    inner: Arc<dyn Store>,
    keys: KeyRing,
}

impl EncryptedStore {
    /// Wraps `inner`, sealing values with `keys`.
    pub fn new(inner: Arc<dyn Store>, keys: KeyRing) -> Self {
        Self { inner, keys }
    }

    /// Wraps `inner` with the keys from [`ENCRYPTION_KEY_ENV`].
    ///
    /// # Errors
    ///
    /// The errors of [`KeyRing::from_env`].
    pub fn from_env(inner: Arc<dyn Store>) -> Result<Self, CryptoError> {
        Ok(Self::new(inner, KeyRing::from_env()?))
    }

    /// The wrapped store (values there are sealed).
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    fn open(&self, key: &str, sealed: Option<Vec<u8>>) -> Result<Option<Vec<u8>>, StoreError> {
        sealed
            .map(|s| self.keys.decrypt(&s, key.as_bytes()))
            .transpose()
            .map_err(StoreError::from)
    }
}

impl Store for EncryptedStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let sealed = self.inner.get(key).await?;
            self.open(key, sealed)
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let sealed = self.keys.encrypt(value, key.as_bytes())?;
            self.inner.set(key, &sealed, ttl).await
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete(key)
    }

    fn set_if_absent<'a>(
        &'a self,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let sealed = self.keys.encrypt(value, key.as_bytes())?;
            self.inner.set_if_absent(key, &sealed, ttl).await
        })
    }

    fn delete_if_equals<'a>(&'a self, key: &'a str, expected: &'a [u8]) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let Some(sealed) = self.inner.get(key).await? else {
                return Ok(false);
            };
            match self.keys.decrypt(&sealed, key.as_bytes()) {
                // Delete only that exact sealed value: if it changed meanwhile, nothing happens.
                Ok(plain) if plain == expected => self.inner.delete_if_equals(key, &sealed).await,
                Ok(_) => Ok(false),
                Err(err) => Err(err.into()),
            }
        })
    }

    fn take<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let sealed = self.inner.take(key).await?;
            self.open(key, sealed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::single(EncryptionKey::generate())
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let ring = ring();
        let a = ring.encrypt(b"hello", b"k").unwrap();
        let b = ring.encrypt(b"hello", b"k").unwrap();
        assert_ne!(a, b, "each sealing uses a new nonce");
        assert_eq!(ring.decrypt(&a, b"k").unwrap(), b"hello");
        assert!(!a.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn wrong_key_context_and_tampering_are_errors() {
        let ring = ring();
        let sealed = ring.encrypt(b"hello", b"k").unwrap();
        assert_eq!(
            ring.decrypt(&sealed, b"other").unwrap_err(),
            CryptoError::DecryptionFailed
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            ring.decrypt(&tampered, b"k").unwrap_err(),
            CryptoError::DecryptionFailed
        );
        assert!(matches!(
            self::ring().decrypt(&sealed, b"k").unwrap_err(),
            CryptoError::UnknownKey { .. }
        ));
        assert_eq!(ring.decrypt(b"", b"k").unwrap_err(), CryptoError::Malformed);
        assert_eq!(
            ring.decrypt(&sealed[..20], b"k").unwrap_err(),
            CryptoError::Malformed
        );
        let mut version = sealed;
        version[0] = 9;
        assert_eq!(
            ring.decrypt(&version, b"k").unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn key_parsing() {
        let key = EncryptionKey::generate();
        let text = key.to_base64();
        assert_eq!(EncryptionKey::from_base64(&text).unwrap(), key);
        assert_eq!(
            EncryptionKey::from_base64(text.trim_end_matches('=')).unwrap(),
            key
        );
        assert!(matches!(
            EncryptionKey::from_base64("not base64!!"),
            Err(CryptoError::InvalidKey(_))
        ));
        assert!(matches!(
            EncryptionKey::from_base64("c2hvcnQ="),
            Err(CryptoError::InvalidKey(_))
        ));
        assert_eq!(
            KeyRing::from_base64_list(" , ").unwrap_err(),
            CryptoError::NoKey
        );
        let other = EncryptionKey::generate();
        let list = format!("{}, {}", other.to_base64(), text);
        let ring = KeyRing::from_base64_list(&list).unwrap();
        assert_eq!(ring.key_ids(), vec![other.id(), key.id()]);
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = EncryptionKey::generate();
        let b64 = key.to_base64();
        let ring = KeyRing::single(key.clone());
        for text in [format!("{key:?}"), format!("{ring:?}")] {
            assert!(!text.contains(&b64));
            assert!(!text.contains(&hex::encode(key.bytes)));
            assert!(text.contains(&key.id()));
        }
    }

    #[test]
    fn rotation_decrypts_old_values_and_encrypts_with_the_first_key() {
        let old = EncryptionKey::generate();
        let new = EncryptionKey::generate();
        let sealed_old = KeyRing::single(old.clone()).encrypt(b"v", b"k").unwrap();
        let ring = KeyRing::new(vec![new.clone(), old]).unwrap();
        assert_eq!(ring.decrypt(&sealed_old, b"k").unwrap(), b"v");
        let sealed_new = ring.encrypt(b"v", b"k").unwrap();
        assert_eq!(
            KeyRing::single(new).decrypt(&sealed_new, b"k").unwrap(),
            b"v"
        );
    }
}
