//! One token-source trait (`client::TokenProvider`, re-exported as `auth::TokenProvider`):
//! a static token, the server-to-server flow, a user's token manager and a shared
//! `Arc<dyn TokenProvider>` all drive the same API client, over real HTTP against
//! `MockFrameio` and `MockIms`; an IMS failure keeps its `AuthError` as the source.

#![cfg(all(feature = "auth", feature = "client"))]

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use frameio_kit::auth::{
    AuthError, ImsClient, ImsConfig, ServerToServer, Token, TokenManager, TokenProvider,
};
use frameio_kit::client::{AccessToken, Client, ClientError};
use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore, Store};
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::mock_ims::{CLIENT_ID, CLIENT_SECRET};
use frameio_kit_testing::{MockFrameio, MockIms};
use serde_json::json;

const REDIRECT: &str = "http://localhost:8080/auth/callback";

fn ims_config(ims: &MockIms) -> ImsConfig {
    ImsConfig::new(CLIENT_ID)
        .with_client_secret(CLIENT_SECRET)
        .with_ims_base_url(ims.base_url())
        .with_timeout(Duration::from_secs(5))
}

async fn frameio() -> MockFrameio {
    let mock = MockFrameio::start().await.unwrap();
    mock.accept_tokens(|_| true);
    mock.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "user-1", "name": "Ada", "email": "a@example.com"}),
    );
    mock
}

fn client(mock: &MockFrameio, provider: impl TokenProvider) -> Client {
    Client::builder()
        .base_url(mock.base_url())
        .token_provider(provider)
        .build()
        .unwrap()
}

/// Calls `GET /v4/me` and returns the bearer token Frame.io received.
async fn bearer_sent(mock: &MockFrameio, client: &Client) -> String {
    mock.clear_requests();
    client.users().me().await.unwrap();
    let received = mock.requests_to(Method::GET, "/v4/me");
    assert_eq!(received.len(), 1);
    received[0]
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_token_source_drives_the_same_client() {
    let mock = frameio().await;
    let ims = MockIms::start().await.unwrap();

    // A static token, as a provider and through `ClientBuilder::token`.
    let fixed = client(&mock, AccessToken::new("static-token"));
    assert_eq!(bearer_sent(&mock, &fixed).await, "static-token");
    let by_builder = Client::builder()
        .base_url(mock.base_url())
        .token("static-token")
        .build()
        .unwrap();
    assert_eq!(bearer_sent(&mock, &by_builder).await, "static-token");

    // The server-to-server flow, directly (no wrapper).
    let s2s = ServerToServer::new(ims_config(&ims)).unwrap();
    let expected = s2s.access_token().await.unwrap();
    let api = client(&mock, s2s.clone());
    assert_eq!(bearer_sent(&mock, &api).await, expected);
    assert_eq!(
        ims.token_requests("client_credentials"),
        1,
        "the client reused the flow's cached token"
    );

    // A user's token manager, refreshed through IMS when its token has expired.
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    let signed_in = ImsClient::new(ims_config(&ims))
        .unwrap()
        .exchange_code(&code, REDIRECT)
        .await
        .unwrap();
    let stale = Token::new(
        "expired-access",
        signed_in.refresh_token().map(str::to_owned),
        Duration::ZERO,
        vec![],
    );
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let user = TokenManager::persistent(
        ImsClient::new(ims_config(&ims)).unwrap(),
        store,
        KeyRing::single(EncryptionKey::generate()),
        "user:user-1",
    );
    user.set_token(stale).await.unwrap();
    let api = client(&mock, user.clone());
    let sent = bearer_sent(&mock, &api).await;
    assert_ne!(sent, "expired-access");
    assert_eq!(sent, user.access_token().await.unwrap());
    assert_eq!(ims.token_requests("refresh_token"), 1);

    // Shared: an `Arc<dyn TokenProvider>`, by `token_provider` and `shared_token_provider`.
    let shared: Arc<dyn TokenProvider> = Arc::new(AccessToken::new("shared-token"));
    let api = client(&mock, Arc::clone(&shared));
    assert_eq!(bearer_sent(&mock, &api).await, "shared-token");
    let api = Client::builder()
        .base_url(mock.base_url())
        .shared_token_provider(shared)
        .build()
        .unwrap();
    assert_eq!(bearer_sent(&mock, &api).await, "shared-token");
    // The client's Debug never shows a token.
    assert!(!format!("{fixed:?}").contains("static-token"));
}

#[tokio::test]
async fn an_ims_failure_keeps_its_auth_error_as_the_source() {
    let mock = frameio().await;
    let ims = MockIms::start().await.unwrap();
    let user = TokenManager::persistent(
        ImsClient::new(ims_config(&ims)).unwrap(),
        Arc::new(MemoryStore::new()),
        KeyRing::single(EncryptionKey::generate()),
        "user:nobody",
    );
    let api = client(&mock, user);
    let err = api.users().me().await.unwrap_err();
    let ClientError::Token(token_error) = &err else {
        panic!("expected a token error, got {err:?}");
    };
    let auth = token_error
        .source()
        .and_then(|s| s.downcast_ref::<AuthError>())
        .expect("the IMS error is the source");
    assert!(auth.requires_sign_in(), "{auth:?}");
    assert!(
        mock.requests_to(Method::GET, "/v4/me").is_empty(),
        "no request without a token"
    );
}
