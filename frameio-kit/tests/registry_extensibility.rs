//! `secret = path` and `resource_types = [...]` through the attribute macros.

use frameio_kit::prelude::*;
use frameio_kit_testing::SignedRequest;
use serde_json::json;

async fn webhook_secret(event: &WebhookEvent) -> anyhow::Result<String> {
    match event.account_id() {
        "acc-1" => Ok("per-account".to_owned()),
        other => anyhow::bail!("no secret for {other}"),
    }
}

async fn action_secret(_event: &ActionEvent) -> Result<Option<&'static str>, std::io::Error> {
    Ok(Some("action-secret"))
}

#[webhook("file.ready", secret = webhook_secret)]
async fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(
    event = "transcribe",
    name = "Transcribe",
    resource_types = ["file", "version_stack"],
    secret = action_secret
)]
async fn transcribe(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Started", "ok"))
}

fn action(resource_type: &str) -> SignedRequest {
    SignedRequest::json(
        "action-secret",
        &json!({
            "account_id": "a", "action_id": "b", "interaction_id": "c",
            "project": {"id": "p"}, "resource": {"id": "r", "type": resource_type},
            "type": "transcribe", "user": {"id": "u"}, "workspace": {"id": "w"}
        }),
    )
}

fn webhook(account: &str, secret: &str) -> SignedRequest {
    SignedRequest::json(
        secret,
        &json!({
            "account": {"id": account}, "project": {"id": "p"},
            "resource": {"id": "r", "type": "file"}, "type": "file.ready",
            "user": {"id": "u"}, "workspace": {"id": "w"}
        }),
    )
}

#[tokio::test]
async fn macro_resolvers_and_filters() {
    // No environment at all: both handlers resolve their own secrets.
    let service = App::from_registry().env_lookup(|_| None).build().unwrap();
    let cases = [
        (webhook("acc-1", "per-account"), 200, "OK".to_owned()),
        (webhook("acc-1", "wrong"), 401, "Invalid signature.".to_owned()),
        (webhook("acc-2", "per-account"), 503, "Configuration error.".to_owned()),
        (action("file"), 200, r#"{"title":"Started","description":"ok"}"#.to_owned()),
        (
            action("folder"),
            200,
            r#"{"title":"Action Not Available","description":"This action is only available for: file, version_stack."}"#.to_owned(),
        ),
    ];
    for (request, status, body) in cases {
        let reply = service
            .dispatch(request.headers(), request.body().to_vec().into())
            .await;
        assert_eq!(
            (reply.status(), reply.body_text().into_owned()),
            (status, body)
        );
    }
    let handlers = frameio_kit::handler::registered();
    let transcribe = handlers
        .iter()
        .find(|h| h.events() == ["transcribe"])
        .unwrap();
    assert_eq!(
        transcribe.allowed_resource_types(),
        Some(
            &[
                frameio_kit::ResourceType::File,
                frameio_kit::ResourceType::VersionStack
            ][..]
        )
    );
}
