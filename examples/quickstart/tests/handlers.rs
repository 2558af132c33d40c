//! The quickstart's handlers, delivered in-process with real signatures.

use quickstart as _;

use frameio_kit::App;
use frameio_kit_testing::SignedRequest;
use serde_json::{Value, json};

fn app() -> frameio_kit::Service {
    App::from_registry()
        .env_lookup(|name| match name {
            "WEBHOOK_SECRET" => Some("wh".into()),
            "CUSTOM_ACTION_SECRET" => Some("act".into()),
            _ => None,
        })
        .build()
        .expect("quickstart configuration is valid")
}

fn action(event_type: &str, data: Option<Value>) -> SignedRequest {
    let mut body = json!({
        "account_id": "a", "action_id": "b", "interaction_id": "c",
        "project": {"id": "p"}, "resource": {"id": "clip.mov", "type": "file"},
        "type": event_type, "user": {"id": "u1"}, "workspace": {"id": "w"}
    });
    if let Some(data) = data {
        body["data"] = data;
    }
    SignedRequest::json("act", &body)
}

async fn deliver(request: SignedRequest) -> (u16, String) {
    let reply = app()
        .dispatch(request.headers(), request.body().to_vec().into())
        .await;
    (reply.status(), reply.body_text().into_owned())
}

#[tokio::test]
async fn file_ready_is_acknowledged() {
    let body = json!({
        "account": {"id": "a"}, "project": {"id": "p"}, "resource": {"id": "f", "type": "file"},
        "type": "file.ready", "user": {"id": "u"}, "workspace": {"id": "w"}
    });
    assert_eq!(
        deliver(SignedRequest::json("wh", &body)).await,
        (200, "OK".into())
    );
}

#[tokio::test]
async fn greet_answers_a_message() {
    let (status, body) = deliver(action("greet", None)).await;
    assert_eq!(status, 200);
    let message: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(message["title"], "Hello!");
    assert_eq!(
        message["description"],
        "Hello, user u1. You clicked on file clip.mov."
    );
}

#[tokio::test]
async fn rename_asks_then_confirms() {
    let (status, body) = deliver(action("rename", None)).await;
    assert_eq!(status, 200);
    let form: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(form["fields"][0]["name"], "new_name");
    assert_eq!(form["fields"][0]["value"], "clip.mov");

    let submit = json!({"new_name": "Final Cut", "case": "upper", "notify": "on"});
    let (status, body) = deliver(action("rename", Some(submit))).await;
    assert_eq!(status, 200);
    let message: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        message["description"],
        "The file will be renamed to \"FINAL CUT\" and collaborators notified."
    );
}
