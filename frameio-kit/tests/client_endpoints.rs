//! Every endpoint of the client against the mock: method, path, query and body shape.
#![cfg(feature = "client")]

use frameio_kit::client::CopyComments;
use frameio_kit::client::comments::{
    Anchor, AttachmentInput, CommentTimestamp, CreateComment, UpdateComment,
};
use frameio_kit::client::custom_actions::{CreateAction, UpdateAction};
use frameio_kit::client::files::{
    BulkFiles, CreateFile, FileUpdate, ImportFile, LocalUpload, RemoteUpload,
};
use frameio_kit::client::folders::{BulkFolders, FolderParams};
use frameio_kit::client::models::{AssetType, MoveParams};
use frameio_kit::client::projects::{CreateProject, ProjectStatus, UpdateProject};
use frameio_kit::client::users::AccountRole;
use frameio_kit::client::version_stacks::CreateVersionStack;
use frameio_kit::client::webhooks::{CreateWebhook, UpdateWebhook};
use frameio_kit::client::workspaces::WorkspaceParams;
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse, RecordedRequest};
use serde_json::{Value, json};

mod support;
use support::{client, list, q, run};

fn obj(id: &str) -> MockResponse {
    MockResponse::data(200, json!({ "id": id, "name": "n" }))
}

fn body(r: &RecordedRequest) -> Value {
    r.json().unwrap_or(Value::Null)
}

#[tokio::test]
async fn accounts_and_users() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);

    let (accounts, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts",
        list(json!([{"id": "a1", "display_name": "Acme", "roles": ["admin"]}])),
        c.accounts().list().page_size(5).collect_all(),
    )
    .await;
    assert_eq!(accounts[0].display_name, "Acme");
    assert_eq!(q(&r), [("page_size", "5")]);

    let (logs, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a%201/audit_logs",
        list(json!([{"account_id": "a 1", "event_type": "file.deleted"}])),
        c.accounts()
            .audit_logs("a 1")
            .include("user")
            .param("filters[event_type]", "file.deleted")
            .collect_all(),
    )
    .await;
    assert_eq!(logs[0].event_type, "file.deleted");
    assert_eq!(r.header("api-version"), Some("4.0"));
    assert_eq!(
        q(&r),
        [("include", "user"), ("filters[event_type]", "file.deleted")]
    );

    let (me, _) = run(
        &mock,
        Method::GET,
        "/v4/me",
        MockResponse::data(200, json!({"id": "u1", "email": "e@x.io", "name": "E"})),
        c.users().me().send(),
    )
    .await;
    assert_eq!(me.email, "e@x.io");

    let (users, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/users",
        list(json!([{"role": "admin", "user": {"id": "u1", "email": "e@x.io"}}])),
        c.users().list("a1").include_deactivated(true).collect_all(),
    )
    .await;
    assert_eq!(users[0].role, Some(AccountRole::Admin));
    assert_eq!(q(&r), [("include_deactivated", "true")]);
}

#[tokio::test]
async fn workspaces() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let w = c.workspaces();

    let (_, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/workspaces",
        list(json!([{"id": "w1"}])),
        w.list("a1").sort("-created_at").collect_all(),
    )
    .await;
    assert_eq!(q(&r), [("sort", "-created_at")]);

    let (ws, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/workspaces",
        obj("w1"),
        w.create("a1", &WorkspaceParams::named("Dailies")).send(),
    )
    .await;
    assert_eq!(ws.id, "w1");
    assert_eq!(body(&r), json!({"data": {"name": "Dailies"}}));

    let (_, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/workspaces/w1",
        obj("w1"),
        w.show("a1", "w1").include("creator").send(),
    )
    .await;
    assert_eq!(q(&r), [("include", "creator")]);

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/workspaces/w1",
        obj("w1"),
        w.update("a1", "w1", &WorkspaceParams::named("B")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "B"}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/workspaces/w1",
        MockResponse::new(204),
        w.delete("a1", "w1").send(),
    )
    .await;
}

#[tokio::test]
async fn projects() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let p = c.projects();

    let (proj, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/projects/p1",
        MockResponse::data(
            200,
            json!({"id": "p1", "status": "active", "root_folder_id": "f0"}),
        ),
        p.show("a1", "p1").include("owner").send(),
    )
    .await;
    assert_eq!(proj.status, Some(ProjectStatus::Active));
    assert_eq!(q(&r), [("include", "owner")]);

    let update = UpdateProject {
        status: Some(ProjectStatus::Inactive),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/projects/p1",
        obj("p1"),
        p.update("a1", "p1", &update).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"status": "inactive"}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/projects/p1",
        MockResponse::new(204),
        p.delete("a1", "p1").send(),
    )
    .await;

    let (deleted, _) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/projects/p1/recently_deleted",
        list(json!([{"id": "f9", "type": "file", "deleted_at": "2026-01-01T00:00:00Z"}])),
        p.recently_deleted("a1", "p1").collect_all(),
    )
    .await;
    assert_eq!(deleted[0].asset_type, AssetType::File);

    let (_, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/projects",
        list(json!([{"id": "p1"}])),
        p.list_in_account("a1")
            .include_total_count(true)
            .collect_all(),
    )
    .await;
    assert_eq!(q(&r), [("include_total_count", "true")]);

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/invited_projects",
        list(json!([])),
        p.list_invited("a1").collect_all(),
    )
    .await;

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/workspaces/w1/projects",
        list(json!([{"id": "p1"}])),
        p.list("a1", "w1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/workspaces/w1/projects",
        obj("p2"),
        p.create("a1", "w1", &CreateProject::named("Trailer"))
            .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "Trailer"}}));
}

#[tokio::test]
async fn folders() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let f = c.folders();

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/folders/f1",
        obj("f1"),
        f.show("a1", "f1").send(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/folders/f1",
        obj("f1"),
        f.update("a1", "f1", &FolderParams::named("New")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "New"}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/folders/f1",
        MockResponse::new(204),
        f.delete("a1", "f1").send(),
    )
    .await;

    let (children, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/folders/f1/children",
        list(json!([{"id": "x", "type": "version_stack"}, {"id": "y", "type": "hologram"}])),
        f.children("a1", "f1")
            .asset_type(AssetType::File)
            .include("media_links.thumbnail")
            .collect_all(),
    )
    .await;
    assert_eq!(children[0].asset_type, AssetType::VersionStack);
    assert_eq!(children[1].asset_type, AssetType::Other("hologram".into()));
    assert_eq!(
        q(&r),
        [("type", "file"), ("include", "media_links.thumbnail")]
    );

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/folders/f1/folders",
        list(json!([{"id": "f2"}])),
        f.list("a1", "f1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/folders",
        obj("f2"),
        f.create("a1", "f1", &FolderParams::named("Sub")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "Sub"}}));

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/folders/f1/move",
        obj("f1"),
        f.move_to("a1", "f1", &MoveParams::to("f9")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"parent_id": "f9"}}));

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/copy",
        obj("f3"),
        f.copy("a1", "f1", &MoveParams::to("f9"))
            .copy_metadata(true)
            .send(),
    )
    .await;
    assert_eq!(q(&r), [("copy_metadata", "true")]);
    assert_eq!(body(&r), json!({"data": {"parent_id": "f9"}}));

    let bulk = BulkFolders::new(vec!["f1".into(), "f2".into()], "f9");
    let (moved, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/folders/move",
        MockResponse::data(200, json!([{"id": "f1"}, {"id": "f2"}])),
        f.bulk_move("a1", &bulk).send(),
    )
    .await;
    assert_eq!(moved.len(), 2);
    assert_eq!(
        body(&r),
        json!({"data": {"folder_ids": ["f1", "f2"], "parent_id": "f9"}})
    );

    let (copied, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/copy",
        MockResponse::data(
            200,
            json!([{"folder": {"id": "f5"}, "source_folder_id": "f1"}]),
        ),
        f.bulk_copy("a1", &bulk)
            .copy_metadata(true)
            .copy_comments(CopyComments::None)
            .send(),
    )
    .await;
    assert_eq!(copied[0].source_folder_id, "f1");
    assert_eq!(
        q(&r),
        [("copy_metadata", "true"), ("copy_comments", "none")]
    );
}

#[tokio::test]
async fn files() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let f = c.files();

    let (file, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/files/x1",
        MockResponse::data(
            200,
            json!({"id": "x1", "status": "transcoded", "file_size": 3,
                   "media_links": {"original": {"download_url": "https://s/x"}}}),
        ),
        f.show("a1", "x1").include("media_links.original").send(),
    )
    .await;
    assert_eq!(file.file_size, 3);
    assert_eq!(q(&r), [("include", "media_links.original")]);

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/files/x1",
        obj("x1"),
        f.update("a1", "x1", &FileUpdate::renamed("b.mov")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "b.mov"}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/files/x1",
        MockResponse::new(204),
        f.delete("a1", "x1").send(),
    )
    .await;

    let (status, _) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/files/x1/status",
        MockResponse::data(200, json!({"id": "x1", "upload_complete": true})),
        f.upload_status("a1", "x1").send(),
    )
    .await;
    assert!(status.upload_complete);

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/files/x1/move",
        obj("x1"),
        f.move_to("a1", "x1", &MoveParams::to("f2")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"parent_id": "f2"}}));

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/files/x1/copy",
        obj("x2"),
        f.copy("a1", "x1", &MoveParams::to("f2"))
            .copy_comments(CopyComments::All)
            .send(),
    )
    .await;
    assert_eq!(q(&r), [("copy_comments", "all")]);

    let bulk = BulkFiles::new(vec!["x1".into()], "f2");
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/files/move",
        MockResponse::data(200, json!([{"id": "x1"}])),
        f.bulk_move("a1", &bulk).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"file_ids": ["x1"], "parent_id": "f2"}})
    );

    let (copied, _) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/files/copy",
        MockResponse::data(200, json!([{"file": {"id": "x9"}, "source_file_id": "x1"}])),
        f.bulk_copy("a1", &bulk).send(),
    )
    .await;
    assert_eq!(copied[0].file.id, "x9");

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/folders/f1/files",
        list(json!([{"id": "x1", "type": "file"}])),
        f.list("a1", "f1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/files",
        obj("x3"),
        f.create("a1", "f1", &CreateFile::new("a.mp4", 10, "video/mp4"))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "a.mp4", "file_size": 10, "media_type": "video/mp4"}})
    );

    let (created, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/files/local_upload",
        MockResponse::data(
            200,
            json!({"id": "x4", "upload_urls": [{"size": 10, "url": "https://s/1"}]}),
        ),
        f.create_local_upload("a1", "f1", &LocalUpload::new("a.mp4", 10))
            .send(),
    )
    .await;
    assert_eq!(created.upload_urls.map(|u| u.len()), Some(1));
    assert_eq!(
        body(&r),
        json!({"data": {"name": "a.mp4", "file_size": 10}})
    );

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/files/remote_upload",
        obj("x5"),
        f.upload_remote("a1", "f1", &RemoteUpload::new("b.mp4", "https://src/b.mp4"))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "b.mp4", "source_url": "https://src/b.mp4"}})
    );

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/files/import",
        obj("x6"),
        f.import("a1", "f1", &ImportFile::new("k/c.mp4", "c.mp4", "loc1"))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"key": "k/c.mp4", "name": "c.mp4", "storage_location": "loc1"}})
    );
}

#[tokio::test]
async fn version_stacks() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let v = c.version_stacks();

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/folders/f1/version_stacks",
        list(json!([{"id": "v1", "head_version": {"id": "x1"}}])),
        v.list("a1", "f1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/version_stacks",
        obj("v1"),
        v.create(
            "a1",
            "f1",
            &CreateVersionStack::new(vec!["x1".into(), "x2".into()]),
        )
        .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"file_ids": ["x1", "x2"]}}));

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/version_stacks/v1",
        obj("v1"),
        v.show("a1", "v1").send(),
    )
    .await;

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/version_stacks/v1/children",
        list(json!([{"id": "x1", "type": "file"}])),
        v.children("a1", "v1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/version_stacks/v1/move",
        obj("v1"),
        v.move_to("a1", "v1", &MoveParams::to("f2")).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"parent_id": "f2"}}));

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/version_stacks/v1/copy",
        obj("v2"),
        v.copy("a1", "v1", &MoveParams::default())
            .copy_metadata(false)
            .send(),
    )
    .await;
    assert_eq!(q(&r), [("copy_metadata", "false")]);
    assert_eq!(body(&r), json!({"data": {}}));
}

#[tokio::test]
async fn comments() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let cm = c.comments();

    let (all, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/files/x1/comments",
        list(json!([{"id": "c1", "text": "hi", "timestamp": "00:00:01:00"}])),
        cm.list("a1", "x1")
            .timestamp_as_timecode(true)
            .collect_all(),
    )
    .await;
    assert_eq!(
        all[0].timestamp,
        Some(CommentTimestamp::Timecode("00:00:01:00".into()))
    );
    assert_eq!(q(&r), [("timestamp_as_timecode", "true")]);

    let mut create = CreateComment::text("Cut here");
    create.timestamp = Some(CommentTimestamp::Frames(120));
    create.anchor = Some(Anchor::new(0.5, 0.25));
    create.attachments = Some(vec![AttachmentInput::new("a.png", 4, "image/png")]);
    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/files/x1/comments",
        obj("c1"),
        cm.create("a1", "x1", &create).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"text": "Cut here", "timestamp": 120, "anchor": {"x": 0.5, "y": 0.25},
                        "attachments": [{"name": "a.png", "file_size": 4, "media_type": "image/png"}]}})
    );

    let (comment, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/comments/c1",
        MockResponse::data(200, json!({"id": "c1", "timestamp": 24})),
        cm.show("a1", "c1").include("owner").send(),
    )
    .await;
    assert_eq!(comment.timestamp, Some(CommentTimestamp::Frames(24)));
    assert_eq!(q(&r), [("include", "owner")]);

    let update = UpdateComment {
        completed: Some(true),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/comments/c1",
        obj("c1"),
        cm.update("a1", "c1", &update)
            .timestamp_as_timecode(false)
            .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"completed": true}}));
    assert_eq!(q(&r), [("timestamp_as_timecode", "false")]);

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/comments/c1",
        MockResponse::new(204),
        cm.delete("a1", "c1").send(),
    )
    .await;

    let (att, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/comments/c1/attachments",
        MockResponse::data(200, json!({"id": "t1", "upload_urls": ["https://s/t1"]})),
        cm.create_attachment(
            "a1",
            "c1",
            &AttachmentInput::new("b.pdf", 9, "application/pdf"),
        )
        .send(),
    )
    .await;
    assert_eq!(att.id, "t1");
    assert_eq!(
        body(&r),
        json!({"data": {"name": "b.pdf", "file_size": 9, "media_type": "application/pdf"}})
    );

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/comments/c1/attachments/t1",
        MockResponse::new(204),
        cm.delete_attachment("a1", "c1", "t1").send(),
    )
    .await;
}

#[tokio::test]
async fn webhooks_and_custom_actions() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let w = c.webhooks();

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/workspaces/w1/webhooks",
        list(json!([{"id": "h1", "events": ["file.ready"]}])),
        w.list("a1", "w1").collect_all(),
    )
    .await;

    let (hook, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/workspaces/w1/webhooks",
        MockResponse::data(200, json!({"id": "h1", "secret": "shh-very-secret"})),
        w.create(
            "a1",
            "w1",
            &CreateWebhook::new("n", "https://h", vec!["file.ready".into()]),
        )
        .send(),
    )
    .await;
    assert_eq!(hook.secret.as_deref(), Some("shh-very-secret"));
    assert!(!format!("{hook:?}").contains("shh-very-secret"));
    assert_eq!(
        body(&r),
        json!({"data": {"name": "n", "url": "https://h", "events": ["file.ready"]}})
    );

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/webhooks/h1",
        obj("h1"),
        w.show("a1", "h1").send(),
    )
    .await;

    let update = UpdateWebhook {
        active: Some(false),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/webhooks/h1",
        obj("h1"),
        w.update("a1", "h1", &update).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"active": false}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/webhooks/h1",
        MockResponse::new(204),
        w.delete("a1", "h1").send(),
    )
    .await;

    let a = c.custom_actions();
    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/workspaces/w1/actions",
        list(json!([{"id": "ac1"}])),
        a.list("a1", "w1").collect_all(),
    )
    .await;

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/workspaces/w1/actions",
        obj("ac1"),
        a.create("a1", "w1", &CreateAction::new("T", "D", "ev", "https://a"))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "T", "description": "D", "event": "ev", "url": "https://a"}})
    );

    run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/actions/ac1",
        obj("ac1"),
        a.show("a1", "ac1").send(),
    )
    .await;

    let update = UpdateAction {
        active: Some(false),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/actions/ac1",
        obj("ac1"),
        a.update("a1", "ac1", &update).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"active": false}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/actions/ac1",
        MockResponse::new(204),
        a.delete("a1", "ac1").send(),
    )
    .await;
}

#[tokio::test]
async fn ids_are_percent_encoded() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    run(
        &mock,
        Method::GET,
        "/v4/accounts/a%2F1/files/x%3F1",
        obj("x"),
        c.files().show("a/1", "x?1").send(),
    )
    .await;
}
