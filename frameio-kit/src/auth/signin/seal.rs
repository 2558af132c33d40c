//! Sealed sign-in links and IMS `state`s: the pending action event, encrypted and
//! authenticated with the app's keys, expiring, and (for the state) single-use.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::BoxError;
use crate::event::ActionEvent;
use crate::store::{EncryptionKey, KeyRing, Store, StoreError};

pub(super) const LOGIN_PURPOSE: &[u8] = b"frameio-kit sign-in link v1";
pub(super) const STATE_PURPOSE: &[u8] = b"frameio-kit sign-in state v1";
/// Store key prefix of the ledger of used states.
const USED_STATE_PREFIX: &str = "signin:used-state:";

/// The pending sign-in sealed into links and states.
#[derive(Serialize, Deserialize)]
struct Pending {
    exp: u64,
    nonce: String,
    event: ActionEvent,
}

/// What an opened link or state holds.
pub(super) struct Opened {
    pub(super) event: ActionEvent,
    pub(super) nonce: String,
    pub(super) exp: u64,
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seals `event` for `purpose`, valid for `ttl`.
pub(super) fn seal(
    keys: &KeyRing,
    ttl: Duration,
    purpose: &[u8],
    event: &ActionEvent,
) -> Result<String, BoxError> {
    let pending = Pending {
        exp: unix_now() + ttl.as_secs(),
        nonce: EncryptionKey::generate().id(),
        event: event.clone(),
    };
    let json = serde_json::to_vec(&pending)?;
    let sealed = keys.encrypt(&json, purpose)?;
    Ok(URL_SAFE_NO_PAD.encode(sealed))
}

/// Opens a sealed value, or says (in words fit for the user) why it cannot be used.
pub(super) fn open(keys: &KeyRing, purpose: &[u8], token: &str) -> Result<Opened, &'static str> {
    let sealed = URL_SAFE_NO_PAD
        .decode(token.trim())
        .map_err(|_| "The sign-in link is malformed.")?;
    let json = keys
        .decrypt(&sealed, purpose)
        .map_err(|_| "The sign-in link is not valid.")?;
    let pending: Pending =
        serde_json::from_slice(&json).map_err(|_| "The sign-in link is not valid.")?;
    if pending.exp < unix_now() {
        return Err("The sign-in link has expired. Click the action again in Frame.io.");
    }
    Ok(Opened {
        event: pending.event,
        nonce: pending.nonce,
        exp: pending.exp,
    })
}

/// Records a state as used; `false` when it already was. The ledger entry lives until the
/// state expires (plus a minute of clock slack), so it cannot be replayed while valid.
pub(super) async fn claim_state(store: &dyn Store, opened: &Opened) -> Result<bool, StoreError> {
    let ttl = Duration::from_secs(opened.exp.saturating_sub(unix_now()) + 60);
    store
        .set_if_absent(
            &format!("{USED_STATE_PREFIX}{}", opened.nonce),
            b"1",
            Some(ttl),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    fn event() -> ActionEvent {
        serde_json::from_value(serde_json::json!({
            "account_id": "a", "action_id": "b", "interaction_id": "i-1",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "t", "user": {"id": "u-1"}, "workspace": {"id": "w"}
        }))
        .unwrap()
    }

    #[test]
    fn sealed_links_round_trip_and_resist_tampering() {
        let keys = KeyRing::single(EncryptionKey::generate());
        let ttl = Duration::from_secs(600);
        let link = seal(&keys, ttl, LOGIN_PURPOSE, &event()).unwrap();
        assert_eq!(open(&keys, LOGIN_PURPOSE, &link).unwrap().event, event());
        // A login link is not a state, and vice versa.
        assert!(open(&keys, STATE_PURPOSE, &link).is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&link).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(open(&keys, LOGIN_PURPOSE, &URL_SAFE_NO_PAD.encode(bytes)).is_err());
        assert!(open(&keys, LOGIN_PURPOSE, "%%%").is_err());
    }

    #[tokio::test]
    async fn a_state_is_claimed_once() {
        let keys = KeyRing::single(EncryptionKey::generate());
        let store = MemoryStore::new();
        let state = seal(&keys, Duration::from_secs(600), STATE_PURPOSE, &event()).unwrap();
        let opened = open(&keys, STATE_PURPOSE, &state).unwrap();
        assert!(claim_state(&store, &opened).await.unwrap());
        assert!(!claim_state(&store, &opened).await.unwrap());
        let other = seal(&keys, Duration::from_secs(600), STATE_PURPOSE, &event()).unwrap();
        let other = open(&keys, STATE_PURPOSE, &other).unwrap();
        assert!(claim_state(&store, &other).await.unwrap());
    }
}
