//! Handlers that take the API `Client` get the app's client; asking for it without one
//! configured is a start-up error naming the handler.

use frameio_kit::client::Client;
use frameio_kit::prelude::*;
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{MockFrameio, SignedRequest};
use serde_json::json;

async fn whoami(_event: ActionEvent, client: Client) -> Result<Message> {
    let me = client.users().me().await?;
    Ok(Message::new("You are", me.name))
}

fn click() -> SignedRequest {
    SignedRequest::json(
        "s",
        &json!({
            "account_id": "a", "action_id": "b", "interaction_id": "c",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "whoami", "user": {"id": "u"}, "workspace": {"id": "w"}
        }),
    )
}

#[tokio::test]
async fn handlers_receive_the_configured_client() {
    let mock = MockFrameio::start().await.unwrap();
    mock.on(Method::GET, "/v4/me").respond_data(
        200,
        json!({"id": "u", "name": "Ada", "email": "ada@example.com"}),
    );
    let client = Client::builder()
        .base_url(mock.base_url())
        .token(mock.token())
        .build()
        .unwrap();
    let service = App::new()
        .client(client)
        .handler(Handler::action("whoami", whoami).secret("s"))
        .build()
        .unwrap();
    let request = click();
    let reply = service
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    assert_eq!(
        reply.body_text(),
        r#"{"title":"You are","description":"Ada"}"#
    );
    assert_eq!(mock.requests_to(Method::GET, "/v4/me").len(), 1);
}

#[test]
fn a_client_is_built_from_frameio_token() {
    let service = App::new()
        .env_lookup(|name| (name == "FRAMEIO_TOKEN").then(|| "t".to_owned()))
        .handler(Handler::action("whoami", whoami).secret("s"))
        .build();
    assert!(service.is_ok(), "{service:?}");
}

#[test]
fn asking_for_a_client_without_a_token_is_a_start_up_error() {
    let err = App::new()
        .env_lookup(|_| None)
        .handler(
            Handler::action("whoami", whoami)
                .secret("s")
                .function_name("my_app::whoami"),
        )
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "my_app::whoami takes the Frame.io API `Client`, but none is configured: set `FRAMEIO_TOKEN` or call `App::client`"
        ),
        "{err}"
    );
}
