//! Experimental-only endpoints against the mock. Every route is registered with
//! `.experimental()`, so the mock answers 400 unless `api-version: experimental` is sent.
#![cfg(feature = "client")]

use std::future::Future;

use frameio_kit::client::experimental::{
    CreateWatermarkTemplate, DataPoint, DataPointType, FontSize, GridPosition, MembershipType,
    MoveTo, ReorderVersions, UpdateWatermarkTemplate, WatermarkBlock,
};
use frameio_kit::client::groups::SyncStatus;
use frameio_kit::client::metadata::MetadataValue;
use frameio_kit::client::metadata_fields::FieldConfig;
use frameio_kit::client::models::AssetType;
use frameio_kit::client::permissions::Role;
use frameio_kit::client::users::AccountRole;
use frameio_kit::client::{Client, ClientError, RetryPolicy};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse, RecordedRequest};
use serde_json::{Value, json};

fn client(mock: &MockFrameio) -> Client {
    Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

/// Program the experimental route `method path` with `resp`, run `call`, and return its
/// output and the single request it made.
async fn run<T, F>(
    mock: &MockFrameio,
    method: Method,
    path: &str,
    resp: MockResponse,
    call: F,
) -> (T, RecordedRequest)
where
    F: Future<Output = Result<T, ClientError>>,
{
    mock.on(method.clone(), path)
        .experimental()
        .respond_with(resp);
    mock.clear_requests();
    let out = call
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1, "{method} {path}: {reqs:?}");
    let r = reqs.into_iter().next().expect("one request");
    assert_eq!(r.method, method, "{path}");
    assert_eq!(r.path, path);
    assert_eq!(r.header("authorization"), Some("Bearer test-token"));
    assert_eq!(r.header("api-version"), Some("experimental"));
    (out, r)
}

fn data(v: Value) -> MockResponse {
    MockResponse::data(200, v)
}

fn list(items: Value) -> MockResponse {
    MockResponse::json(200, json!({ "data": items, "links": { "next": null } }))
}

fn q(r: &RecordedRequest) -> Vec<(&str, &str)> {
    r.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn body(r: &RecordedRequest) -> Value {
    r.json().unwrap_or(Value::Null)
}

#[tokio::test]
async fn every_page_carries_the_header_and_stable_calls_do_not() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    mock.on(Method::GET, "/v4/accounts/a1/session_watermark_templates")
        .experimental()
        .paginate(
            vec![
                json!({"id": "t1"}),
                json!({"id": "t2"}),
                json!({"id": "t3"}),
            ],
            1,
        );
    let all = c
        .experimental()
        .session_watermark_templates()
        .list("a1")
        .page_size(1)
        .collect_all()
        .await
        .expect("pages");
    assert_eq!(all.len(), 3);
    let reqs = mock.requests_to(Method::GET, "/v4/accounts/a1/session_watermark_templates");
    assert_eq!(reqs.len(), 3);
    assert!(
        reqs.iter()
            .all(|r| r.header("api-version") == Some("experimental"))
    );

    // The stable group endpoint on a route that requires the header is refused: stable
    // calls do not send it.
    mock.on(Method::GET, "/v4/accounts/a1/groups/g1")
        .experimental()
        .respond_data(200, json!({"id": "g1"}));
    let err = c.groups().show("a1", "g1").await.expect_err("no header");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err:?}");
}

#[tokio::test]
async fn accounts_and_account_users() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let a = c.experimental().accounts();

    let (account, _) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a%201",
        data(json!({"id": "a 1", "display_name": "Acme", "roles": ["owner"]})),
        a.show("a 1").send(),
    )
    .await;
    assert_eq!(account.display_name, "Acme");

    let (member, _) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/users/u1",
        data(
            json!({"role": "reviewer", "user": {"id": "u1", "email": "e@x.io",
                    "timezone": "Europe/Paris", "joined_at": "2026-01-01T00:00:00Z"}}),
        ),
        a.user("a1", "u1").send(),
    )
    .await;
    assert_eq!(member.role, Some(AccountRole::Reviewer));
    assert_eq!(member.user.user.email.as_deref(), Some("e@x.io"));
    assert_eq!(member.user.timezone.as_deref(), Some("Europe/Paris"));

    let (memberships, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/users/u1/memberships",
        list(json!([
            {"id": "g1", "name": "Editors", "type": "group"},
            {"id": "p1", "name": "Trailer", "type": "project", "role": "editor"},
            {"id": "w1", "name": "Studio", "type": "workspace", "role": "workspace_admin"}
        ])),
        a.user_memberships("a1", "u1")
            .membership_type(MembershipType::Project)
            .sort("name_asc")
            .collect_all(),
    )
    .await;
    assert_eq!(memberships[0].membership_type, MembershipType::Group);
    assert_eq!(memberships[1].role, Some(Role::Editor));
    assert_eq!(memberships[2].role, Some(Role::WorkspaceAdmin));
    assert_eq!(q(&r), [("type", "project"), ("sort", "name_asc")]);
}

#[tokio::test]
async fn files_folders_and_version_stacks() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let x = c.experimental();

    let (results, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/files/bulk_get",
        data(json!([
            {"id": "f1", "status": 200, "file": {"id": "f1", "name": "a.mov", "file_size": 10}},
            {"id": "f2", "status": 404, "error": {"title": "Not Found", "detail": "gone"}}
        ])),
        x.files()
            .bulk_get("a1", &["f1".to_string(), "f2".to_string()])
            .include("media_links.original")
            .send(),
    )
    .await;
    assert_eq!(results[0].file.as_ref().map(|f| f.file_size), Some(10));
    assert_eq!(results[1].status, 404);
    assert_eq!(
        results[1].error.as_ref().map(|e| e.detail.as_str()),
        Some("gone")
    );
    assert_eq!(body(&r), json!({"data": {"file_ids": ["f1", "f2"]}}));
    assert_eq!(q(&r), [("include", "media_links.original")]);

    let (file, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/files/f1/restore",
        data(json!({"id": "f1", "name": "a.mov"})),
        x.files().restore("a1", "f1").send(),
    )
    .await;
    assert_eq!(file.name, "a.mov");
    assert!(r.body.is_empty(), "restore sends no body");

    let (folder, _) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/folders/d1/restore",
        data(json!({"id": "d1", "name": "Selects", "type": "folder"})),
        x.folders().restore("a1", "d1").send(),
    )
    .await;
    assert_eq!(folder.name, "Selects");

    let (stack, _) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/version_stacks/v1/restore",
        data(json!({"id": "v1", "name": "Cut", "type": "version_stack"})),
        x.version_stacks().restore("a1", "v1").send(),
    )
    .await;
    assert_eq!(stack.id, "v1");

    let (order, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/version_stacks/v1/versions",
        data(json!([{"id": "f2", "type": "file", "name": "v2"},
                    {"id": "f1", "type": "file", "name": "v1"}])),
        x.version_stacks()
            .reorder("a1", "v1", &ReorderVersions::to("f2", MoveTo::Top))
            .send(),
    )
    .await;
    assert_eq!(order[0].id, "f2");
    assert_eq!(order[0].asset_type, AssetType::File);
    assert_eq!(
        body(&r),
        json!({"data": {"target_file_id": "f2", "move_to": "top"}})
    );

    let above = ReorderVersions {
        target_file_id: "f1".into(),
        move_above_file_id: Some("f2".into()),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/version_stacks/v1/versions",
        data(json!([])),
        x.version_stacks().reorder("a1", "v1", &above).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"target_file_id": "f1", "move_above_file_id": "f2"}})
    );
}

#[tokio::test]
async fn groups_members_and_adobe_groups() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let g = c.experimental().groups();

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/groups/g1",
        MockResponse::new(204),
        g.delete("a1", "g1").send(),
    )
    .await;

    let (members, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/groups/g1/users",
        list(json!([{"id": "u1", "email": "e@x.io"}])),
        g.members("a1", "g1")
            .sort("email_asc")
            .page_size(50)
            .collect_all(),
    )
    .await;
    assert_eq!(members[0].id.as_deref(), Some("u1"));
    assert_eq!(q(&r), [("sort", "email_asc"), ("page_size", "50")]);

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/groups/g1/users",
        MockResponse::new(204),
        g.add_members("a1", "g1", &["u1".to_string(), "u2".to_string()])
            .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"user_ids": ["u1", "u2"]}}));

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/groups/g1/users/u%3F2",
        MockResponse::new(204),
        g.remove_member("a1", "g1", "u?2").send(),
    )
    .await;

    let (adobe, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/adobe_groups",
        list(json!([{"adobe_group_id": "ag1", "name": "Post"}])),
        g.adobe_groups("a1").include_total_count(true).collect_all(),
    )
    .await;
    assert_eq!(adobe[0].adobe_group_id, "ag1");
    assert_eq!(q(&r), [("include_total_count", "true")]);

    let (added, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/adobe_groups",
        MockResponse::json(
            201,
            json!({"data": {"id": "g9", "name": "Post", "emoji": "📦", "member_count": 0,
                            "sync_status": "not_started"},
                   "message": "sync scheduled"}),
        ),
        g.add_adobe_group("a1", "ag1").send(),
    )
    .await;
    assert_eq!(added.data.id, "g9");
    assert_eq!(added.data.sync_status, Some(SyncStatus::NotStarted));
    assert_eq!(added.message.as_deref(), Some("sync scheduled"));
    assert_eq!(body(&r), json!({"data": {"adobe_group_id": "ag1"}}));
}

#[tokio::test]
async fn metadata() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let m = c.experimental().metadata();

    let (meta, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/files/f1/metadata",
        data(json!({"file_id": "f1", "metadata": [
            {"field_type": "toggle", "field_definition_id": "d1",
             "field_definition_name": "Done", "mutable": true, "value": true}]})),
        m.update(
            "a1",
            "f1",
            &[
                MetadataValue::new("d1", true),
                MetadataValue::new("d2", "text"),
            ],
        )
        .send(),
    )
    .await;
    assert_eq!(meta.metadata[0].as_bool(), Some(true));
    assert_eq!(
        body(&r),
        json!({"data": {"values": [
            {"field_definition_id": "d1", "value": true},
            {"field_definition_id": "d2", "value": "text"}
        ]}})
    );

    let (def, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/metadata/field_definitions/d1",
        data(json!({"id": "d1", "name": "Done", "field_type": "toggle",
                    "field_configuration": {"color": "#00ff00"}, "creator": {"id": "u1"}})),
        m.field_definition("a1", "d1").include("creator").send(),
    )
    .await;
    assert!(
        matches!(def.config, FieldConfig::Toggle(ref t) if t.color.as_deref() == Some("#00ff00"))
    );
    assert_eq!(q(&r), [("include", "creator")]);
}

#[tokio::test]
async fn group_permissions() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let p = c.experimental().permissions();

    for (kind, id) in [("workspaces", "w1"), ("projects", "p1")] {
        let path = format!("/v4/accounts/a1/{kind}/{id}/groups");
        let pager = if kind == "workspaces" {
            p.workspace_groups("a1", id)
        } else {
            p.project_groups("a1", id)
        };
        let (roles, r) = run(
            &mock,
            Method::GET,
            &path,
            list(json!([{"role": "commenter",
                         "group": {"id": "g1", "name": "Clients", "member_count": 4}}])),
            pager.sort("role_desc").collect_all(),
        )
        .await;
        assert_eq!(roles[0].role, Some(Role::Commenter));
        assert_eq!(roles[0].group.member_count, Some(4));
        assert_eq!(q(&r), [("sort", "role_desc")]);

        let one = format!("{path}/g%201");
        let update = if kind == "workspaces" {
            p.update_workspace_group_role("a1", id, "g 1", Role::WorkspaceAdmin)
        } else {
            p.update_project_group_role("a1", id, "g 1", Role::FullAccess)
        };
        let (assigned, r) = run(
            &mock,
            Method::PATCH,
            &one,
            data(json!({"role": "full_access"})),
            update.send(),
        )
        .await;
        assert_eq!(assigned.role, Some(Role::FullAccess));
        let expected = if kind == "workspaces" {
            "workspace_admin"
        } else {
            "full_access"
        };
        assert_eq!(body(&r), json!({"data": {"role": expected}}));

        let remove = if kind == "workspaces" {
            p.remove_workspace_group("a1", id, "g 1")
        } else {
            p.remove_project_group("a1", id, "g 1")
        };
        run(
            &mock,
            Method::DELETE,
            &one,
            MockResponse::new(204),
            remove.send(),
        )
        .await;
    }
}

#[tokio::test]
async fn session_watermark_templates() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let t = c.experimental().session_watermark_templates();
    let template = json!({"id": "t1", "name": "Email", "creator_id": "u1",
        "watermark_blocks": [{"data_points": [{"type": "email", "order": 0},
                                              {"type": "hologram"}],
                              "position": "bottom_right", "font_size": "large", "alpha": 0.5}]});

    let (items, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/session_watermark_templates",
        list(json!([template.clone()])),
        t.list("a1")
            .include("creator")
            .sort("created_at_desc")
            .collect_all(),
    )
    .await;
    let block = &items[0].watermark_blocks[0];
    assert_eq!(block.position, Some(GridPosition::BottomRight));
    assert_eq!(block.font_size, Some(FontSize::Large));
    assert_eq!(block.data_points[0].point_type, DataPointType::Email);
    assert_eq!(
        block.data_points[1].point_type,
        DataPointType::Other("hologram".into())
    );
    assert_eq!(q(&r), [("include", "creator"), ("sort", "created_at_desc")]);

    let mut block = WatermarkBlock::lines(vec![
        DataPoint::new(DataPointType::Email),
        DataPoint::text("CONFIDENTIAL"),
    ]);
    block.position = Some(GridPosition::TopCenter);
    block.alpha = Some(0.25);
    let (created, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/session_watermark_templates",
        data(template.clone()),
        t.create("a1", &CreateWatermarkTemplate::new("Email", vec![block]))
            .send(),
    )
    .await;
    assert_eq!(created.id, "t1");
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Email", "watermark_blocks": [{
            "data_points": [{"type": "email"}, {"type": "custom_text", "value": "CONFIDENTIAL"}],
            "alpha": 0.25, "position": "top_center"}]}})
    );

    let (_, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/session_watermark_templates/t1",
        data(template.clone()),
        t.show("a1", "t1").include("creator").send(),
    )
    .await;
    assert_eq!(q(&r), [("include", "creator")]);

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/session_watermark_templates/t1",
        data(template),
        t.update(
            "a1",
            "t1",
            &UpdateWatermarkTemplate {
                name: Some("Renamed".into()),
                ..Default::default()
            },
        )
        .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "Renamed"}}));
}
