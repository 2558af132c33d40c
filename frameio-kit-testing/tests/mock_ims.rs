//! The mock IMS server's own behaviour, over real HTTP.

use std::{collections::HashMap, time::Duration};

use base64::Engine as _;
use frameio_kit_testing::{
    MockIms,
    mock_ims::{CLIENT_ID, CLIENT_SECRET, Failure, PUBLIC_CLIENT_ID},
};
use sha2::{Digest, Sha256};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(
    ims: &MockIms,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let resp = http()
        .post(format!("{}{path}", ims.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        headers,
    )
}

async fn authorize(ims: &MockIms, query: &[(&str, &str)]) -> reqwest::Response {
    http()
        .get(format!("{}/ims/authorize/v2", ims.base_url()))
        .query(query)
        .send()
        .await
        .unwrap()
}

fn location_params(resp: &reqwest::Response) -> HashMap<String, String> {
    let location = resp.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

const REDIRECT: &str = "http://localhost:9999/callback";

#[tokio::test]
async fn authorize_redirects_with_code_and_state_then_code_exchange_works_once() {
    let ims = MockIms::start().await.unwrap();
    let resp = authorize(
        &ims,
        &[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "openid email"),
            ("response_type", "code"),
            ("state", "xyz"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 302);
    let params = location_params(&resp);
    assert_eq!(params["state"], "xyz");
    let code = params["code"].clone();

    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, body, _) = post(&ims, "/ims/token/v3", &form).await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "openid email");
    assert_eq!(body["expires_in"], 3600);
    assert!(ims.is_access_token_valid(body["access_token"].as_str().unwrap()));
    assert!(ims.is_refresh_token_valid(body["refresh_token"].as_str().unwrap()));

    // Codes are single-use.
    let (status, body, _) = post(&ims, "/ims/token/v3", &form).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    assert_eq!(ims.request_count("/ims/authorize/v2"), 1);
    assert_eq!(ims.token_requests("authorization_code"), 2);
    let recorded = ims.requests();
    assert_eq!(recorded[1].method, "POST");
    assert_eq!(recorded[1].params["code"], code);
}

#[tokio::test]
async fn authorize_rejects_bad_requests() {
    let ims = MockIms::start().await.unwrap();
    let unknown = authorize(
        &ims,
        &[
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ],
    )
    .await;
    assert_eq!(unknown.status().as_u16(), 400);
    let no_redirect = authorize(&ims, &[("client_id", CLIENT_ID), ("response_type", "code")]).await;
    assert_eq!(no_redirect.status().as_u16(), 400);
    let public_without_pkce = authorize(
        &ims,
        &[
            ("client_id", PUBLIC_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ],
    )
    .await;
    assert_eq!(public_without_pkce.status().as_u16(), 400);
    let plain_method = authorize(
        &ims,
        &[
            ("client_id", PUBLIC_CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("code_challenge", "abc"),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(plain_method.status().as_u16(), 400);
}

#[tokio::test]
async fn pkce_is_verified() {
    let ims = MockIms::start().await.unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    let get_code = |ims: &MockIms| ims.issue_code(PUBLIC_CLIENT_ID, REDIRECT, Some(&challenge));

    let code = get_code(&ims);
    let (status, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier",
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let code = get_code(&ims);
    let (status, _, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 400, "missing verifier");

    let code = get_code(&ims);
    let (status, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["refresh_token"].is_string());
}

#[tokio::test]
async fn wrong_secret_and_unknown_grant_are_refused() {
    let ims = MockIms::start().await.unwrap();
    let (status, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
}

#[tokio::test]
async fn refresh_rotates_and_expired_refresh_tokens_are_invalid_grant() {
    let ims = MockIms::start().await.unwrap();
    ims.set_expires_in(42);
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    let (_, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(body["expires_in"], 42);
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |rt: String| {
        let ims = &ims;
        async move {
            post(
                ims,
                "/ims/token/v3",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("refresh_token", &rt),
                ],
            )
            .await
        }
    };
    let (status, body, _) = refresh(rt.clone()).await;
    assert_eq!(status, 200);
    let rt2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt, rt2);
    assert!(
        !ims.is_refresh_token_valid(&rt),
        "old refresh token rotated out"
    );
    let (status, _, _) = refresh(rt).await;
    assert_eq!(status, 400);

    ims.expire_refresh_tokens();
    let (status, body, _) = refresh(rt2).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(ims.token_requests("refresh_token"), 3);
}

#[tokio::test]
async fn programmed_failures_and_delay() {
    let ims = MockIms::start().await.unwrap();
    let creds = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("scope", "openid,AdobeID"),
    ];
    ims.fail_next(Failure::rate_limited(7));
    ims.fail_next(Failure::status(503));
    let (status, _, headers) = post(&ims, "/ims/token/v3", &creds).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    let (status, _, _) = post(&ims, "/ims/token/v3", &creds).await;
    assert_eq!(status, 503);
    let (status, body, _) = post(&ims, "/ims/token/v3", &creds).await;
    assert_eq!(status, 200);
    assert_eq!(body["scope"], "openid AdobeID");
    assert!(body.get("refresh_token").is_none());

    ims.fail_always(Some(Failure::oauth(400, "invalid_scope")));
    for _ in 0..2 {
        let (status, body, _) = post(&ims, "/ims/token/v3", &creds).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_scope"))
        );
    }
    ims.fail_always(None);

    ims.set_delay(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let (status, _, _) = post(&ims, "/ims/token/v3", &creds).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(ims.token_requests("client_credentials"), 6);
}

#[tokio::test]
async fn revoke_invalidates_tokens_and_checks_the_client() {
    let ims = MockIms::start().await.unwrap();
    let code = ims.issue_code(CLIENT_ID, REDIRECT, None);
    let (_, body, _) = post(
        &ims,
        "/ims/token/v3",
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    let at = body["access_token"].as_str().unwrap();
    let rt = body["refresh_token"].as_str().unwrap();
    let (status, _, _) = post(
        &ims,
        "/ims/revoke",
        &[
            ("token", rt),
            ("client_id", CLIENT_ID),
            ("client_secret", "bad"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert!(ims.is_refresh_token_valid(rt));
    for token in [rt, at] {
        let (status, _, _) = post(
            &ims,
            "/ims/revoke",
            &[
                ("token", token),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200);
    }
    assert!(!ims.is_refresh_token_valid(rt));
    assert!(!ims.is_access_token_valid(at));
    assert_eq!(ims.request_count("/ims/revoke"), 3);
}

#[tokio::test]
async fn stop_shuts_the_server_down() {
    let ims = MockIms::start().await.unwrap();
    let url = format!("{}/ims/revoke", ims.base_url());
    ims.stop().await;
    assert!(http().post(url).send().await.is_err());
}
