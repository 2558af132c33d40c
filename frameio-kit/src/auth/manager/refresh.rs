//! The refresh machinery behind [`TokenManager`](super::TokenManager): the cached token,
//! single-flight refreshes within the process, the cross-instance lock and shared failures,
//! and persistence with retries.

use std::panic::AssertUnwindSafe;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt as _;
use tokio::time::Instant;

use super::{
    Cached, FAILURE_BACKOFF, Fresh, Inner, LOCK_POLL, MAX_SHARED_RETRY_AFTER, Persist,
    SAVE_ATTEMPTS, SAVE_BACKOFF, SharedFailure, Source,
};
use crate::auth::{AuthError, Token, error_chain};
use crate::store::Store;

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cached> {
        self.cached.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn snapshot(&self) -> (Option<Token>, bool) {
        let cached = self.read();
        (cached.token.clone(), cached.unsaved)
    }

    pub(super) fn set_cached(&self, token: Option<Token>, unsaved: bool) {
        let mut cached = self.cached.write().unwrap_or_else(PoisonError::into_inner);
        cached.token = token;
        cached.unsaved = unsaved;
    }

    /// The cached access token when it is not due for refresh.
    pub(super) fn fresh(&self) -> Fresh {
        let cached = self.read();
        match cached
            .token
            .as_ref()
            .filter(|t| !t.needs_refresh(self.buffer))
        {
            None => Fresh::Stale,
            Some(token) if cached.unsaved => Fresh::Unsaved(token.access_token().to_owned()),
            Some(token) => Fresh::Ready(token.access_token().to_owned()),
        }
    }

    /// The cached access token while it has not expired.
    pub(super) fn unexpired(&self) -> Option<String> {
        self.read()
            .token
            .as_ref()
            .filter(|t| !t.is_expired())
            .map(|t| t.access_token().to_owned())
    }

    fn lock_ttl(&self) -> Duration {
        Duration::from_millis(self.lock_ttl_ms.load(Ordering::Relaxed))
    }

    fn recent_failure(&self) -> Option<AuthError> {
        let failure = (*self.failure.lock().unwrap_or_else(PoisonError::into_inner))?;
        let now = Instant::now();
        if now >= failure.until {
            return None;
        }
        let retry_after = failure.until - now;
        Some(if failure.rate_limited {
            AuthError::RateLimited {
                retry_after: Some(retry_after),
            }
        } else {
            AuthError::Unavailable { retry_after }
        })
    }

    fn record_failure(&self, err: &AuthError) {
        let (pause, rate_limited) = match err {
            AuthError::RateLimited { retry_after } => (
                retry_after
                    .unwrap_or(FAILURE_BACKOFF)
                    .clamp(FAILURE_BACKOFF, MAX_SHARED_RETRY_AFTER),
                true,
            ),
            AuthError::Network(_) | AuthError::Server { .. } => (FAILURE_BACKOFF, false),
            _ => return,
        };
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(SharedFailure {
            until: Instant::now() + pause,
            rate_limited,
        });
    }

    pub(super) fn clear_failure(&self) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// The current token when `err` is transient and it has not expired; otherwise `err`.
    fn fallback(&self, current: Option<&Token>, err: AuthError) -> Result<String, AuthError> {
        match current.filter(|t| !t.is_expired()) {
            Some(token) if !err.requires_sign_in() => {
                tracing::warn!(
                    error = %error_chain(&err),
                    "token refresh failed; using the current token until it expires"
                );
                Ok(token.access_token().to_owned())
            }
            _ => Err(err),
        }
    }

    /// Looks past the cache, one caller at a time.
    pub(super) async fn obtain(&self) -> Result<String, AuthError> {
        let _flight = self.flight.lock().await;
        let (cached, mut unsaved) = self.snapshot();
        if let (Some(p), true, Some(token)) = (&self.persist, unsaved, &cached) {
            // A refreshed token the store has not taken yet: try again, once per call.
            match save(p, token).await {
                Ok(()) => {
                    tracing::info!("saved the refreshed token after an earlier failure");
                    self.set_cached(cached.clone(), false);
                    unsaved = false;
                }
                Err(err) => tracing::warn!(
                    error = %error_chain(&err),
                    "the token store still refuses the refreshed token; keeping it in memory"
                ),
            }
        }
        if let Some(token) = cached.as_ref().filter(|t| !t.needs_refresh(self.buffer)) {
            return Ok(token.access_token().to_owned());
        }
        let mut best = cached;
        if let Some(p) = &self.persist {
            // Another instance may have stored a fresher token (or signed the user out).
            let stored = match load(p).await {
                Ok(stored) => stored,
                Err(err) => {
                    tracing::warn!(error = %error_chain(&err), "cannot read the token store");
                    return self.fallback(best.as_ref(), err);
                }
            };
            match (best.take(), stored) {
                (_, None) if !unsaved => {
                    if self.source == Source::User {
                        self.set_cached(None, false);
                        return Err(AuthError::SignInRequired);
                    }
                }
                (Some(ours), Some(stored)) if !stored.is_newer_than(&ours) && stored != ours => {
                    // The store holds an older token (an earlier save failed): keep ours.
                    unsaved = true;
                    best = Some(ours);
                }
                (ours, None) => best = ours,
                (_, Some(stored)) => {
                    unsaved = false;
                    best = Some(stored);
                }
            }
            if let Some(token) = best.as_ref().filter(|t| !t.needs_refresh(self.buffer)) {
                let access = token.access_token().to_owned();
                self.set_cached(best.clone(), unsaved);
                return Ok(access);
            }
        }
        if self.source == Source::User {
            match best.as_ref() {
                None => return Err(AuthError::SignInRequired),
                Some(token) if token.refresh_token().is_none() => {
                    // Nothing to refresh with: use the token while it lasts, then sign in.
                    if !token.is_expired() {
                        return Ok(token.access_token().to_owned());
                    }
                    self.set_cached(None, false);
                    if let Some(p) = &self.persist
                        && let Err(err) = delete_if_unchanged(p, token).await
                    {
                        tracing::warn!(error = %error_chain(&err), "cannot remove an expired token");
                    }
                    return Err(AuthError::SignInRequired);
                }
                Some(_) => {}
            }
        }
        if let Some(err) = self.recent_failure() {
            return self.fallback(best.as_ref(), err);
        }
        let result = match &self.persist {
            None => self.fetch(best.as_ref()).await.map(|t| (t, true)),
            Some(p) => self.fetch_shared(p, best.as_ref()).await,
        };
        match result {
            Ok((token, saved)) => {
                self.clear_failure();
                let access = token.access_token().to_owned();
                self.set_cached(Some(token), !saved);
                Ok(access)
            }
            Err(err) if err.requires_sign_in() => {
                self.set_cached(None, false);
                Err(err)
            }
            Err(err) => {
                tracing::warn!(error = %error_chain(&err), "token refresh failed");
                self.record_failure(&err);
                self.fallback(best.as_ref(), err)
            }
        }
    }

    /// One request to IMS for a new token.
    async fn fetch(&self, current: Option<&Token>) -> Result<Token, AuthError> {
        match self.source {
            Source::ClientCredentials => self.client.client_credentials().await,
            Source::User => match current.and_then(Token::refresh_token) {
                Some(refresh_token) => {
                    tracing::debug!("refreshing user access token");
                    self.client.refresh(refresh_token).await
                }
                None => Err(AuthError::SignInRequired),
            },
        }
    }

    /// Refreshes under the store lock so that one instance refreshes and the others reuse it.
    /// Returns the token and whether the store holds it.
    async fn fetch_shared(
        &self,
        p: &Persist,
        current: Option<&Token>,
    ) -> Result<(Token, bool), AuthError> {
        let owner: [u8; 16] = rand::random();
        let lock_ttl = self.lock_ttl();
        let deadline = Instant::now() + lock_ttl;
        loop {
            if p.locks
                .set_if_absent(&p.lock_key, &owner, Some(lock_ttl))
                .await?
            {
                let result = AssertUnwindSafe(self.refresh_locked(p, current))
                    .catch_unwind()
                    .await;
                // Released on every path (this task is never cancelled half-way).
                if let Err(err) = p.locks.delete_if_equals(&p.lock_key, &owner).await {
                    tracing::warn!(
                        error = %error_chain(&err),
                        "could not release the token refresh lock; it will expire"
                    );
                }
                return result.unwrap_or_else(|_| {
                    Err(AuthError::InvalidResponse(
                        "the token refresh panicked".into(),
                    ))
                });
            }
            tokio::time::sleep(LOCK_POLL).await;
            match load(p).await? {
                Some(token)
                    if !token.needs_refresh(self.buffer)
                        && current.is_none_or(|c| !c.is_newer_than(&token)) =>
                {
                    return Ok((token, true));
                }
                None if self.source == Source::User && current.is_none() => {
                    return Err(AuthError::SignInRequired);
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(AuthError::LockTimeout);
            }
        }
    }

    async fn refresh_locked(
        &self,
        p: &Persist,
        current: Option<&Token>,
    ) -> Result<(Token, bool), AuthError> {
        // Re-read under the lock: the previous holder may have just stored a fresh token.
        let stored = load(p).await?;
        let base = match (current, stored.as_ref()) {
            (Some(c), Some(s)) if c.is_newer_than(s) => Some(c),
            (c, s) => s.or(c),
        };
        if let Some(token) = base.filter(|t| !t.needs_refresh(self.buffer)) {
            let saved = stored.as_ref() == Some(token) || save_with_retry(p, token).await.is_ok();
            return Ok((token.clone(), saved));
        }
        let token = match self.fetch(base).await {
            Ok(token) => token,
            Err(err) if err.requires_sign_in() => {
                // Delete only when no newer token exists anywhere: another instance (or a
                // refresh that outlived its lock) may have stored one meanwhile.
                match load(p).await {
                    Ok(Some(newer)) if base.is_none_or(|b| newer.is_newer_than(b)) => {
                        if !newer.needs_refresh(self.buffer) {
                            return Ok((newer, true));
                        }
                        // Refresh from the newer token instead (its own errors stand).
                        self.fetch(Some(&newer)).await?
                    }
                    Ok(Some(unchanged)) => {
                        if Some(&unchanged) == base
                            && let Err(del) = delete_if_unchanged(p, &unchanged).await
                        {
                            tracing::warn!(error = %error_chain(&del), "cannot remove the dead token");
                        }
                        return Err(err);
                    }
                    Ok(None) => return Err(err),
                    Err(load_err) => {
                        tracing::warn!(
                            error = %error_chain(&load_err),
                            "cannot check the store for a newer token; keeping the stored one"
                        );
                        return Err(err);
                    }
                }
            }
            Err(err) => return Err(err),
        };
        let saved = match save_with_retry(p, &token).await {
            Ok(()) => true,
            Err(err) => {
                // The new token (and a rotated refresh token) is good: keep it in memory,
                // never let the older stored one replace it, and save it on the next call.
                tracing::error!(
                    error = %error_chain(&err),
                    "could not save the refreshed token; keeping it in memory and retrying"
                );
                false
            }
        };
        Ok((token, saved))
    }
}

pub(super) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(super) async fn load(p: &Persist) -> Result<Option<Token>, AuthError> {
    match p.tokens.get(&p.token_key).await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|err| {
            AuthError::InvalidResponse(format!("stored token cannot be read: {err}"))
        }),
    }
}

/// Deletes the stored token only if it is still `token` (compare-and-delete).
async fn delete_if_unchanged(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let bytes = serde_json::to_vec(token)
        .map_err(|err| AuthError::InvalidResponse(format!("token cannot be serialized: {err}")))?;
    p.tokens.delete_if_equals(&p.token_key, &bytes).await?;
    Ok(())
}

async fn save(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let bytes = serde_json::to_vec(token)
        .map_err(|err| AuthError::InvalidResponse(format!("token cannot be serialized: {err}")))?;
    p.tokens.set(&p.token_key, &bytes, None).await?;
    Ok(())
}

/// Saves, trying again a few times (100 ms, then 200 ms apart) when the store fails.
pub(super) async fn save_with_retry(p: &Persist, token: &Token) -> Result<(), AuthError> {
    let mut attempt = 1;
    loop {
        match save(p, token).await {
            Ok(()) => return Ok(()),
            Err(err) if attempt >= SAVE_ATTEMPTS => return Err(err),
            Err(err) => {
                tracing::warn!(attempt, error = %error_chain(&err), "saving the token failed; retrying");
                tokio::time::sleep(SAVE_BACKOFF * attempt).await;
                attempt += 1;
            }
        }
    }
}
