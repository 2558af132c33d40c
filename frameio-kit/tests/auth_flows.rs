//! IMS flows and the token manager against `MockIms`, over real HTTP.

#![cfg(feature = "auth")]

use std::{collections::HashMap, sync::Arc, time::Duration};

use frameio_kit::{
    auth::{
        AuthError, ImsClient, ImsConfig, Pkce, ServerToServer, SpaFlow, Token, TokenManager,
        TokenTypeHint, WebAppFlow,
    },
    store::{EncryptionKey, KeyRing, MemoryStore, Store},
};
use frameio_kit_testing::{
    MockIms,
    mock_ims::{CLIENT_ID, CLIENT_SECRET, Failure, PUBLIC_CLIENT_ID},
};

const REDIRECT: &str = "http://localhost:8080/auth/callback";

fn config(ims: &MockIms) -> ImsConfig {
    ImsConfig::new(CLIENT_ID)
        .with_client_secret(CLIENT_SECRET)
        .with_ims_base_url(ims.base_url())
        .with_timeout(Duration::from_secs(5))
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Follows an authorization URL like a browser would and returns the callback parameters.
async fn sign_in_at(url: &str) -> HashMap<String, String> {
    let resp = no_redirects().get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302, "authorize should redirect");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A user token issued by the mock (via the web-app flow).
async fn user_token(ims: &MockIms) -> Token {
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    ImsClient::new(config(ims))
        .unwrap()
        .exchange_code(&code, REDIRECT)
        .await
        .unwrap()
}

/// Asserts that IMS refused with this status and OAuth error code.
fn assert_authentication(err: &AuthError, status: u16, code: &str) {
    assert!(
        matches!(err, AuthError::Authentication { status: s, error, .. } if *s == status && error == code),
        "expected {status} {code}, got {err:?}"
    );
}

#[tokio::test]
async fn web_app_flow_end_to_end() {
    let ims = MockIms::start().await.unwrap();
    let flow = WebAppFlow::new(config(&ims)).unwrap();
    let url = flow.authorization_url(REDIRECT, "state-1").unwrap();
    assert!(url.starts_with(&format!("{}/ims/authorize/v2?", ims.base_url())));
    let callback = sign_in_at(&url).await;
    assert_eq!(callback["state"], "state-1");

    let user = flow.sign_in(&callback["code"], REDIRECT).await.unwrap();
    let bearer = user.access_token().await.unwrap();
    assert!(ims.is_access_token_valid(&bearer));
    let token = user.token().await.unwrap().unwrap();
    assert_eq!(
        token.scopes(),
        [
            "additional_info.roles",
            "offline_access",
            "profile",
            "email",
            "openid"
        ]
    );
    assert!(token.refresh_token().is_some());

    let exchange = &ims.requests()[1];
    assert_eq!(exchange.grant_type(), Some("authorization_code"));
    assert_eq!(exchange.params["client_id"], CLIENT_ID);
    assert_eq!(exchange.params["client_secret"], CLIENT_SECRET);
    assert_eq!(exchange.params["redirect_uri"], REDIRECT);
    // The token is cached: no further request.
    assert_eq!(user.access_token().await.unwrap(), bearer);
    assert_eq!(ims.requests().len(), 2);

    // A used code cannot be exchanged again.
    let err = flow
        .exchange_code(&callback["code"], REDIRECT)
        .await
        .unwrap_err();
    assert_authentication(&err, 400, "invalid_grant");
}

#[tokio::test]
async fn web_app_flow_with_a_wrong_secret_fails_authentication() {
    let ims = MockIms::start().await.unwrap();
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    let flow = WebAppFlow::new(config(&ims).with_client_secret("wrong")).unwrap();
    let err = flow.exchange_code(&code, REDIRECT).await.unwrap_err();
    assert_authentication(&err, 401, "invalid_client");
    assert!(!err.to_string().contains("wrong"));
    assert!(matches!(
        WebAppFlow::new(ImsConfig::new(CLIENT_ID)),
        Err(AuthError::Config(_))
    ));
}

#[tokio::test]
async fn single_page_app_flow_with_pkce() {
    let ims = MockIms::start().await.unwrap();
    let flow =
        SpaFlow::new(ImsConfig::new(PUBLIC_CLIENT_ID).with_ims_base_url(ims.base_url())).unwrap();
    let (url, pkce) = flow.authorization_url(REDIRECT, "spa-state").unwrap();
    let callback = sign_in_at(&url).await;
    assert_eq!(callback["state"], "spa-state");
    let authorize = &ims.requests()[0];
    assert_eq!(authorize.params["code_challenge"], pkce.challenge());
    assert_eq!(authorize.params["code_challenge_method"], "S256");

    // Rebuilt from the kept verifier, as a callback handler would.
    let kept = Pkce::from_verifier(pkce.verifier()).unwrap();
    let user = flow
        .sign_in(&callback["code"], REDIRECT, &kept)
        .await
        .unwrap();
    assert!(ims.is_access_token_valid(&user.access_token().await.unwrap()));
    let exchange = &ims.requests()[1];
    assert_eq!(exchange.params["code_verifier"], pkce.verifier());
    assert!(!exchange.params.contains_key("client_secret"));
}

#[tokio::test]
async fn single_page_app_flow_rejects_a_pkce_mismatch() {
    let ims = MockIms::start().await.unwrap();
    let flow =
        SpaFlow::new(ImsConfig::new(PUBLIC_CLIENT_ID).with_ims_base_url(ims.base_url())).unwrap();
    let (url, _pkce) = flow.authorization_url(REDIRECT, "s").unwrap();
    let callback = sign_in_at(&url).await;
    let other = Pkce::generate();
    let err = flow
        .exchange_code(&callback["code"], REDIRECT, &other)
        .await
        .unwrap_err();
    assert_authentication(&err, 400, "invalid_grant");
}

#[tokio::test]
async fn server_to_server_caches_and_renews_before_expiry() {
    let ims = MockIms::start().await.unwrap();
    let s2s = ServerToServer::new(config(&ims).with_scopes(["openid", "AdobeID"])).unwrap();
    let first = s2s.access_token().await.unwrap();
    assert_eq!(s2s.access_token().await.unwrap(), first);
    assert_eq!(ims.token_requests("client_credentials"), 1);
    let req = &ims.requests()[0];
    assert_eq!(req.params["scope"], "openid,AdobeID");
    assert_eq!(req.params["client_secret"], CLIENT_SECRET);

    // Tokens that expire within the buffer are renewed on every call.
    ims.set_expires_in(200);
    let renewing = ServerToServer::new(config(&ims)).unwrap();
    let a = renewing.access_token().await.unwrap();
    let b = renewing.access_token().await.unwrap();
    assert_ne!(a, b);
    assert_eq!(ims.token_requests("client_credentials"), 3);

    // The API client's one (object-safe) token-source trait.
    #[cfg(feature = "client")]
    {
        let source: Arc<dyn frameio_kit::auth::TokenProvider> = Arc::new(s2s);
        assert_eq!(source.token().await.unwrap().secret(), first);
    }
    #[cfg(not(feature = "client"))]
    drop(s2s);

    assert!(matches!(
        ServerToServer::new(ImsConfig::new(CLIENT_ID)),
        Err(AuthError::Config(_))
    ));
}

#[tokio::test]
async fn server_to_server_with_a_wrong_secret() {
    let ims = MockIms::start().await.unwrap();
    let s2s = ServerToServer::new(config(&ims).with_client_secret("nope")).unwrap();
    let err = s2s.access_token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::Authentication { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.requires_sign_in());
}

#[tokio::test]
async fn twenty_concurrent_callers_cause_exactly_one_refresh() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(60); // within the 300 s buffer: needs a refresh
    let token = user_token(&ims).await;
    let old_access = token.access_token().to_owned();
    ims.set_expires_in(3600);
    ims.set_delay(Duration::from_millis(200));
    let manager = TokenManager::new(ImsClient::new(config(&ims)).unwrap(), token);

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let manager = manager.clone();
        tasks.push(tokio::spawn(async move { manager.access_token().await }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(ims.token_requests("refresh_token"), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    assert_ne!(tokens[0], old_access);
    assert!(ims.is_access_token_valid(&tokens[0]));
}

#[tokio::test]
async fn expired_refresh_token_requires_signing_in_again() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(0);
    let token = user_token(&ims).await;
    ims.expire_refresh_tokens();
    let manager = TokenManager::new(ImsClient::new(config(&ims)).unwrap(), token);
    let err = manager.access_token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RefreshTokenInvalid { .. }),
        "{err:?}"
    );
    assert!(err.requires_sign_in());
    // The dead token is forgotten: no more requests to IMS.
    let err = manager.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::SignInRequired), "{err:?}");
    assert_eq!(ims.token_requests("refresh_token"), 1);
    assert!(manager.token().await.unwrap().is_none());
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_typed() {
    let ims = MockIms::start().await.unwrap();
    let s2s = ServerToServer::new(config(&ims)).unwrap();
    ims.fail_next(Failure::rate_limited(5));
    let err = s2s.access_token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(5)),
        "{err:?}"
    );
    assert!(err.is_transient());
    // The next callers share the answer until Retry-After ends, without asking IMS again.
    let err = s2s.access_token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RateLimited { retry_after: Some(d) } if d <= Duration::from_secs(5) && d > Duration::from_secs(3)),
        "{err:?}"
    );
    assert_eq!(ims.token_requests("client_credentials"), 1);

    let ims = MockIms::start().await.unwrap();
    let s2s = ServerToServer::new(config(&ims)).unwrap();
    ims.fail_next(Failure::status(503));
    let err = s2s.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::Server { status: 503 }), "{err:?}");
    let err = s2s.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::Unavailable { .. }), "{err:?}");
    assert!(err.is_transient());
    tokio::time::sleep(frameio_kit::auth::FAILURE_BACKOFF).await;
    assert!(s2s.access_token().await.is_ok());
    assert_eq!(ims.token_requests("client_credentials"), 2);
}

#[tokio::test]
async fn a_transient_refresh_failure_keeps_the_still_valid_token() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(120); // valid, but inside the refresh buffer
    let token = user_token(&ims).await;
    let old = token.access_token().to_owned();
    let manager = TokenManager::new(ImsClient::new(config(&ims)).unwrap(), token);
    ims.set_expires_in(3600);
    ims.fail_next(Failure::rate_limited(1));
    assert_eq!(manager.access_token().await.unwrap(), old);
    // Within the back-off the current token is used without asking IMS again.
    assert_eq!(manager.access_token().await.unwrap(), old);
    tokio::time::sleep(frameio_kit::auth::FAILURE_BACKOFF).await;
    let fresh = manager.access_token().await.unwrap();
    assert_ne!(fresh, old);
    assert_eq!(ims.token_requests("refresh_token"), 2);
}

#[tokio::test]
async fn unreachable_ims_is_a_network_error() {
    let ims = MockIms::start().await.unwrap();
    let base = ims.base_url().to_owned();
    ims.stop().await;
    let s2s = ServerToServer::new(
        ImsConfig::new(CLIENT_ID)
            .with_client_secret(CLIENT_SECRET)
            .with_ims_base_url(base),
    )
    .unwrap();
    let err = s2s.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::Network(_)), "{err:?}");
}

#[tokio::test]
async fn revoke_and_sign_out() {
    let ims = MockIms::start().await.unwrap();
    let client = ImsClient::new(config(&ims)).unwrap();
    let token = user_token(&ims).await;
    client
        .revoke(token.access_token(), TokenTypeHint::AccessToken)
        .await
        .unwrap();
    assert!(!ims.is_access_token_valid(token.access_token()));
    let revoke = ims.requests().last().cloned().unwrap();
    assert_eq!(revoke.path, "/ims/revoke");
    assert_eq!(revoke.params["token_type_hint"], "access_token");

    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let keys = KeyRing::single(EncryptionKey::generate());
    let user = TokenManager::persistent(client, Arc::clone(&store), keys, "user-1");
    let token = user_token(&ims).await;
    let rt = token.refresh_token().unwrap().to_owned();
    user.set_token(token).await.unwrap();
    user.sign_out().await.unwrap();
    assert!(!ims.is_refresh_token_valid(&rt));
    assert_eq!(store.get("ims:token:user-1").await.unwrap(), None);
    assert!(matches!(
        user.access_token().await,
        Err(AuthError::SignInRequired)
    ));
}

#[tokio::test]
async fn persisted_tokens_are_encrypted_and_shared_between_instances() {
    let ims = MockIms::start().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let keys = KeyRing::single(EncryptionKey::generate());
    let instance = |store: &Arc<dyn Store>| {
        TokenManager::persistent(
            ImsClient::new(config(&ims)).unwrap(),
            Arc::clone(store),
            keys.clone(),
            "user-7",
        )
    };
    let a = instance(&store);
    let b = instance(&store);
    assert!(matches!(
        a.access_token().await,
        Err(AuthError::SignInRequired)
    ));

    ims.set_expires_in(60); // needs a refresh
    let token = user_token(&ims).await;
    let stale = token.access_token().to_owned();
    a.set_token(token).await.unwrap();
    let raw = store.get("ims:token:user-7").await.unwrap().unwrap();
    assert!(!raw.windows(stale.len()).any(|w| w == stale.as_bytes()));

    ims.set_expires_in(3600);
    ims.set_delay(Duration::from_millis(200));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let m = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { m.access_token().await }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(
        ims.token_requests("refresh_token"),
        1,
        "one refresh across instances"
    );
    assert!(tokens.iter().all(|t| t == &tokens[0] && t != &stale));

    // A new instance reads the refreshed token without asking IMS.
    ims.set_delay(Duration::ZERO);
    let before = ims.requests().len();
    assert_eq!(instance(&store).access_token().await.unwrap(), tokens[0]);
    assert_eq!(ims.requests().len(), before);

    // The wrong key cannot read it.
    let stranger = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        KeyRing::single(EncryptionKey::generate()),
        "user-7",
    );
    assert!(matches!(
        stranger.access_token().await,
        Err(AuthError::Store(_))
    ));
}

#[tokio::test]
async fn a_held_refresh_lock_times_out() {
    let ims = MockIms::start().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let keys = KeyRing::single(EncryptionKey::generate());
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        keys,
        "user-9",
    )
    .lock_ttl(Duration::from_millis(300));
    // Another instance holds the lock and never finishes.
    assert!(
        store
            .set_if_absent(
                "ims:refresh-lock:user-9",
                b"other",
                Some(Duration::from_secs(30))
            )
            .await
            .unwrap()
    );

    ims.set_expires_in(120); // still valid, inside the buffer: falls back to it
    let token = user_token(&ims).await;
    let current = token.access_token().to_owned();
    manager.set_token(token).await.unwrap();
    assert_eq!(manager.access_token().await.unwrap(), current);

    ims.set_expires_in(0); // expired: nothing to fall back to
    manager.set_token(user_token(&ims).await).await.unwrap();
    let err = manager.access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::LockTimeout), "{err:?}");
    assert_eq!(ims.token_requests("refresh_token"), 0);
}

#[tokio::test]
async fn server_to_server_shared_through_a_store() {
    let ims = MockIms::start().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let keys = KeyRing::single(EncryptionKey::generate());
    let a = ServerToServer::with_store(config(&ims), Arc::clone(&store), keys.clone()).unwrap();
    let b = ServerToServer::with_store(config(&ims), Arc::clone(&store), keys).unwrap();
    let (ta, tb) = tokio::join!(a.access_token(), b.access_token());
    assert_eq!(ta.unwrap(), tb.unwrap());
    assert_eq!(ims.token_requests("client_credentials"), 1);
}

/// Two instances with ten callers each, sharing `store`: exactly one refresh reaches IMS.
async fn one_refresh_across_instances(store: Arc<dyn Store>) {
    let ims = MockIms::start().await.unwrap();
    let keys = KeyRing::single(EncryptionKey::generate());
    let user = format!("user-{}", uuid::Uuid::new_v4().simple());
    let instance = || {
        TokenManager::persistent(
            ImsClient::new(config(&ims)).unwrap(),
            Arc::clone(&store),
            keys.clone(),
            &user,
        )
    };
    let (a, b) = (instance(), instance());
    ims.set_expires_in(60);
    a.set_token(user_token(&ims).await).await.unwrap();
    ims.set_expires_in(3600);
    ims.set_delay(Duration::from_millis(150));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let m = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move { m.access_token().await }));
    }
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    assert_eq!(ims.token_requests("refresh_token"), 1);
    assert!(tokens.iter().all(|t| t == &tokens[0]));
    a.sign_out().await.unwrap();
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn one_refresh_across_instances_with_sqlite() {
    let dir = std::env::temp_dir().join(format!("fk-auth-{}", uuid::Uuid::new_v4().simple()));
    let store = Arc::new(frameio_kit::store::SqliteStore::new(dir.join("tokens.db")));
    one_refresh_across_instances(store).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn one_refresh_across_instances_with_redis() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_REDIS_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_REDIS_URL is unset: skipping");
        return;
    };
    let prefix = format!("fk-test-auth-{}:", uuid::Uuid::new_v4().simple());
    let store = frameio_kit::store::RedisStore::new(&url)
        .unwrap()
        .with_prefix(prefix);
    one_refresh_across_instances(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn one_refresh_across_instances_with_postgres() {
    let Ok(url) = std::env::var("FRAMEIO_KIT_TEST_POSTGRES_URL") else {
        eprintln!("FRAMEIO_KIT_TEST_POSTGRES_URL is unset: skipping");
        return;
    };
    let table = format!("fk_test_auth_{}", uuid::Uuid::new_v4().simple());
    let store = frameio_kit::store::PostgresStore::new(&url)
        .unwrap()
        .with_table(&table)
        .unwrap();
    one_refresh_across_instances(Arc::new(store)).await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS {table}")))
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_without_refresh_token_is_used_until_it_expires() {
    let ims = MockIms::start().await.unwrap();
    let client = ImsClient::new(config(&ims)).unwrap();
    let lasting = Token::new("short-lived", None, Duration::from_secs(100), vec![]);
    let manager = TokenManager::new(client.clone(), lasting);
    assert_eq!(manager.access_token().await.unwrap(), "short-lived");
    let expired = Token::new("gone", None, Duration::ZERO, vec![]);
    let manager = TokenManager::new(client, expired);
    assert!(matches!(
        manager.access_token().await,
        Err(AuthError::SignInRequired)
    ));
    assert!(ims.requests().is_empty());
}

#[tokio::test]
async fn an_invalid_refresh_token_is_removed_from_the_store() {
    let ims = MockIms::start().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let manager = TokenManager::persistent(
        ImsClient::new(config(&ims)).unwrap(),
        Arc::clone(&store),
        KeyRing::single(EncryptionKey::generate()),
        "user-3",
    );
    ims.set_expires_in(0);
    manager.set_token(user_token(&ims).await).await.unwrap();
    assert!(store.get("ims:token:user-3").await.unwrap().is_some());
    ims.expire_refresh_tokens();
    let err = manager.access_token().await.unwrap_err();
    assert!(
        matches!(err, AuthError::RefreshTokenInvalid { .. }),
        "{err:?}"
    );
    assert_eq!(store.get("ims:token:user-3").await.unwrap(), None);
    assert!(
        store
            .get("ims:refresh-lock:user-3")
            .await
            .unwrap()
            .is_none(),
        "lock released"
    );
    assert!(matches!(
        manager.access_token().await,
        Err(AuthError::SignInRequired)
    ));
    assert_eq!(ims.token_requests("refresh_token"), 1);
}
