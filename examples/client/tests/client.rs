//! The example against the mock Frame.io API (real local HTTP).

use client_example as _;

use frameio_kit::client::Client;
use frameio_kit_testing::mock_frameio::Method;
use frameio_kit_testing::{MockFrameio, TestApp, TestError, webhook_event};
use serde_json::json;

/// A client for code that takes one directly (the webhook gets its client from the app).
fn client_for(mock: &MockFrameio) -> Client {
    Client::builder()
        .base_url(mock.base_url())
        .token(mock.token())
        .build()
        .expect("valid client")
}

#[tokio::test]
async fn lists_every_page_of_projects() {
    let mock = MockFrameio::start().await.unwrap();
    let projects: Vec<_> = (1..=5)
        .map(|i| {
            json!({"id": format!("p{i}"), "name": format!("Project {i}"),
                   "workspace_id": "ws", "root_folder_id": format!("f{i}")})
        })
        .collect();
    mock.on(Method::GET, "/v4/accounts/acc/workspaces/ws/projects")
        .paginate(projects, 2);
    let names = client_example::project_names(&client_for(&mock), "acc", "ws")
        .await
        .unwrap();
    assert_eq!(
        names,
        [
            "Project 1",
            "Project 2",
            "Project 3",
            "Project 4",
            "Project 5"
        ]
    );
    assert_eq!(mock.requests().len(), 3, "three pages");
}

#[tokio::test]
async fn comments_on_ready_files() -> Result<(), TestError> {
    let mock = MockFrameio::start().await.unwrap();
    mock.on(Method::POST, "/v4/accounts/acc/files/file-1/comments")
        .respond_data(201, json!({"id": "c-1", "text": "Ready for review."}));
    let app = TestApp::from_registry().frameio(&mock);
    let ready = webhook_event("file.ready")
        .account_id("acc")
        .resource_id("file-1");
    app.deliver(ready).await?.assert_ok();
    let posted = mock.requests_to(Method::POST, "/v4/accounts/acc/files/file-1/comments");
    assert_eq!(posted.len(), 1);
    assert_eq!(
        posted[0].json().unwrap(),
        json!({"data": {"text": "Ready for review."}})
    );
    Ok(())
}

#[tokio::test]
async fn a_failing_api_call_fails_the_delivery() -> Result<(), TestError> {
    let mock = MockFrameio::start().await.unwrap();
    mock.on(Method::POST, "/v4/accounts/acc/files/gone/comments")
        .respond(
            404,
            json!({"errors": [{"title": "Not Found", "detail": "no such file"}]}),
        );
    let app = TestApp::from_registry().frameio(&mock);
    let ready = webhook_event("file.ready")
        .account_id("acc")
        .resource_id("gone");
    let reply = app.deliver(ready).await?;
    reply.assert_status(500);
    // The wire answer is a bare 500; the diagnosis says which handler failed, and why.
    let diagnosis = reply.diagnosis().expect("a failure is diagnosed");
    assert_eq!(
        diagnosis.handler(),
        Some("client_example::comment_when_ready")
    );
    assert!(diagnosis.reason().contains("no such file"), "{diagnosis}");
    Ok(())
}
