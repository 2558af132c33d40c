//! Part 2 stable endpoints against the mock: method, path, query and body shape of each.
#![cfg(feature = "client")]

use std::future::Future;

use frameio_kit::client::accounts::AuditLogFilters;
use frameio_kit::client::groups::{CreateGroup, GroupSource, SyncStatus, UpdateGroup};
use frameio_kit::client::metadata::{BulkUpdateMetadata, MetadataValue};
use frameio_kit::client::metadata_fields::{
    CreateFieldDefinition, DateConfig, DateDisplayFormat, FieldConfig, FieldType, MemberOptions,
    MemberRef, SelectConfig, SelectOptionDef, UpdateFieldDefinition, UserFieldConfig,
};
use frameio_kit::client::models::AssetType;
use frameio_kit::client::permissions::Role;
use frameio_kit::client::search::{SearchEngine, SearchFilters, SearchParams, SearchResultType};
use frameio_kit::client::shares::{
    AddReviewers, CreateShare, Reviewers, ShareAccess, ShareActivityType, ShareLayout, UpdateShare,
};
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

/// Program `method path` with `resp`, run `call`, and return its output and the single
/// request it made, checking the common headers (and that no `api-version` is sent).
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
    mock.on(method.clone(), path).respond_with(resp);
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
    assert_eq!(r.header("api-version"), None, "{method} {path}");
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

fn share(id: &str) -> Value {
    json!({"id": id, "name": "Review", "access": "public", "enabled": true,
           "collection_id": "c1", "layout": "grid", "theme": "midnight"})
}

#[tokio::test]
async fn shares() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let s = c.shares();

    let (items, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/projects/p%2F1/shares",
        list(json!([share("s1")])),
        s.list("a1", "p/1")
            .sort("name_asc")
            .page_size(10)
            .collect_all(),
    )
    .await;
    assert_eq!(items[0].access, Some(ShareAccess::Public));
    assert_eq!(items[0].layout, Some(ShareLayout::Grid));
    assert_eq!(
        items[0].theme.as_ref().map(|t| t.as_str()),
        Some("midnight")
    );
    assert_eq!(q(&r), [("sort", "name_asc"), ("page_size", "10")]);

    let mut params = CreateShare::new("Review", ShareAccess::Secure);
    params.asset_ids = Some(vec!["f1".into(), "f2".into()]);
    params.downloading_enabled = Some(false);
    params.expiration = Some("2027-01-01T00:00:00Z".into());
    let (created, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/projects/p1/shares",
        data(share("s1")),
        s.create("a1", "p1", &params).send(),
    )
    .await;
    assert_eq!(created.id, "s1");
    assert_eq!(
        body(&r),
        json!({"data": {"type": "asset", "name": "Review", "access": "secure",
            "asset_ids": ["f1", "f2"], "downloading_enabled": false,
            "expiration": "2027-01-01T00:00:00Z"}})
    );

    let (shown, _) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/shares/s1",
        data(share("s1")),
        s.show("a1", "s1").send(),
    )
    .await;
    assert_eq!(shown.collection_id.as_deref(), Some("c1"));

    let update = UpdateShare {
        name: Some("Final".into()),
        commenting_enabled: Some(true),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/shares/s1",
        data(share("s1")),
        s.update("a1", "s1", &update).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Final", "commenting_enabled": true}})
    );

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/shares/s1",
        MockResponse::new(204),
        s.delete("a1", "s1").send(),
    )
    .await;

    let (assets, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/shares/s1/assets",
        list(json!([{"id": "f1", "type": "file", "name": "a.mov"},
                    {"id": "d1", "type": "folder", "name": "Selects"}])),
        s.assets("a1", "s1")
            .include("media_links.thumbnail")
            .sort("updated_at_desc")
            .collect_all(),
    )
    .await;
    assert_eq!(assets[1].asset_type, AssetType::Folder);
    assert_eq!(
        q(&r),
        [
            ("include", "media_links.thumbnail"),
            ("sort", "updated_at_desc")
        ]
    );

    let mut added = share("s1");
    added["asset_added"] = json!("f3");
    let (change, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/shares/s1/assets",
        data(added),
        s.add_asset("a1", "s1", "f3").send(),
    )
    .await;
    assert_eq!(change.asset_added.as_deref(), Some("f3"));
    assert_eq!(change.share.id, "s1");
    assert_eq!(body(&r), json!({"data": {"asset_id": "f3"}}));

    let mut removed = share("s1");
    removed["asset_removed"] = json!("f 3");
    let (change, _) = run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/shares/s1/assets/f%203",
        data(removed),
        s.remove_asset("a1", "s1", "f 3").send(),
    )
    .await;
    assert_eq!(change.asset_removed.as_deref(), Some("f 3"));

    let (reviewers, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/shares/s1/reviewers",
        list(json!([{"id": "u1", "email": "jo@example.com"}])),
        s.reviewers("a1", "s1").sort("active").collect_all(),
    )
    .await;
    assert_eq!(reviewers[0].email.as_deref(), Some("jo@example.com"));
    assert_eq!(q(&r), [("sort", "active")]);

    let who = Reviewers {
        emails: Some(vec!["jo@example.com".into()]),
        user_ids: Some(vec!["u2".into()]),
        ..Default::default()
    };
    let mut add = AddReviewers::new("Have a look", who.clone());
    add.notify_by_email = Some(false);
    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/shares/s1/reviewers",
        MockResponse::new(204),
        s.add_reviewers("a1", "s1", &add).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"message": "Have a look", "notify_by_email": false,
            "reviewers": {"user_ids": ["u2"], "emails": ["jo@example.com"]}}})
    );

    let (_, r) = run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/shares/s1/reviewers",
        MockResponse::new(204),
        s.remove_reviewers("a1", "s1", &who).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"reviewers": {"user_ids": ["u2"], "emails": ["jo@example.com"]}}})
    );

    let (activity, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/shares/s1/activities",
        list(json!([
            {"id": "e1", "type": "asset_downloaded", "asset_id": "f1", "user": {"id": "u1"}},
            {"id": "e2", "type": "share_forwarded"}
        ])),
        s.activities("a1", "s1").include("user").collect_all(),
    )
    .await;
    assert_eq!(
        activity[0].activity_type,
        ShareActivityType::AssetDownloaded
    );
    assert_eq!(
        activity[1].activity_type,
        ShareActivityType::Other("share_forwarded".into())
    );
    assert_eq!(q(&r), [("include", "user")]);
}

#[tokio::test]
async fn collections() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);

    let (items, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/projects/p1/collections",
        list(
            json!([{"id": "c1", "project_id": "p1", "aggregation_mode": "static",
                     "private": false, "shares": [share("s1")]}]),
        ),
        c.collections()
            .list("a1", "p1")
            .include("shares")
            .include_total_count(true)
            .collect_all(),
    )
    .await;
    assert_eq!(items[0].shares.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        q(&r),
        [("include", "shares"), ("include_total_count", "true")]
    );

    let (one, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/collections/c%231",
        data(json!({"id": "c#1", "project_id": "p1", "aggregation_mode": "smart"})),
        c.collections().show("a1", "c#1").include("creator").send(),
    )
    .await;
    assert_eq!(
        one.aggregation_mode.as_ref().map(|m| m.as_str()),
        Some("smart")
    );
    assert_eq!(q(&r), [("include", "creator")]);
}

#[tokio::test]
async fn metadata_values() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);

    let (meta, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/files/f1/metadata",
        data(json!({"file_id": "f1", "metadata": [
            {"field_type": "text", "field_definition_id": "d1", "field_definition_name": "Notes",
             "mutable": true, "value": "ok"},
            {"field_type": "rating", "field_definition_id": "d2", "field_definition_name": "Score",
             "mutable": true, "value": 4},
            {"field_type": "select", "field_definition_id": "d3", "field_definition_name": "State",
             "mutable": true, "value": [{"id": "o1", "display_name": "Approved"}],
             "field_options": [{"id": "o1", "display_name": "Approved"}]},
            {"field_type": "user_single", "field_definition_id": "d4",
             "field_definition_name": "Owner", "mutable": true,
             "value": [{"id": "u1", "type": "user"}], "member_options_type": "custom"},
            {"field_type": "hologram", "field_definition_id": "d5",
             "field_definition_name": "Future", "value": {"x": 1}}
        ]})),
        c.metadata().show("a1", "f1").show_null(true).send(),
    )
    .await;
    assert_eq!(q(&r), [("show_null", "true")]);
    assert_eq!(meta.metadata[0].as_str(), Some("ok"));
    assert_eq!(meta.metadata[1].as_f64(), Some(4.0));
    assert_eq!(meta.metadata[2].selected()[0].display_name, "Approved");
    assert_eq!(meta.metadata[3].members(), vec![MemberRef::user("u1")]);
    assert_eq!(
        meta.metadata[3].member_options_type,
        Some(MemberOptions::Custom)
    );
    assert_eq!(
        meta.metadata[4].field_type,
        FieldType::Other("hologram".into())
    );
    assert_eq!(meta.metadata[4].value, json!({"x": 1}));

    let update = BulkUpdateMetadata::new(
        vec!["f1".into(), "f2".into()],
        vec![
            MetadataValue::new("d1", "text"),
            MetadataValue::new("d2", 5),
            MetadataValue::new("d3", json!(["o1"])),
            MetadataValue::new("d6", Value::Null),
        ],
    );
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/projects/p1/metadata/values",
        MockResponse::new(204),
        c.metadata().bulk_update("a1", "p1", &update).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"file_ids": ["f1", "f2"], "values": [
            {"field_definition_id": "d1", "value": "text"},
            {"field_definition_id": "d2", "value": 5},
            {"field_definition_id": "d3", "value": ["o1"]},
            {"field_definition_id": "d6", "value": null}
        ]}})
    );
}

#[tokio::test]
async fn metadata_field_definitions() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let m = c.metadata_fields();

    let (defs, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/metadata/field_definitions",
        list(json!([
            {"id": "d1", "name": "Shot date", "field_type": "date",
             "field_configuration": {"display_format": "iso", "include_time": true},
             "mutable": true, "creator": {"id": "u1"}},
            {"id": "d2", "name": "Notes", "field_type": "long_text", "field_configuration": {}},
            {"id": "d3", "name": "Owner", "field_type": "user_single",
             "field_configuration": {"member_options_type": "all_project_members",
                                     "notify_members": true, "custom_members": []}},
            {"id": "d4", "name": "Geo", "field_type": "geo_point",
             "field_configuration": {"precision": 6}}
        ])),
        m.list("a1")
            .include("creator")
            .sort("name_asc")
            .collect_all(),
    )
    .await;
    assert_eq!(q(&r), [("include", "creator"), ("sort", "name_asc")]);
    assert_eq!(
        defs[0].config,
        FieldConfig::Date(DateConfig {
            display_format: Some(DateDisplayFormat::Iso),
            include_time: Some(true),
            ..Default::default()
        })
    );
    assert_eq!(
        defs[0].creator.as_ref().and_then(|u| u.id.as_deref()),
        Some("u1")
    );
    assert_eq!(defs[1].config, FieldConfig::LongText);
    assert_eq!(
        defs[2].config,
        FieldConfig::UserSingle(UserFieldConfig {
            custom_members: Some(vec![]),
            member_options_type: Some(MemberOptions::AllProjectMembers),
            notify_members: Some(true),
        })
    );
    assert_eq!(
        defs[3].config,
        FieldConfig::Other {
            field_type: "geo_point".into(),
            field_configuration: Some(json!({"precision": 6})),
        }
    );
    assert_eq!(defs[3].config.field_type().as_str(), "geo_point");

    let select = FieldConfig::Select(SelectConfig {
        enable_add_new: Some(false),
        options: Some(vec![
            SelectOptionDef::named("Yes"),
            SelectOptionDef::named("No"),
        ]),
    });
    let (created, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/metadata/field_definitions",
        data(
            json!({"id": "d5", "name": "Approved", "field_type": "select",
                    "field_configuration": {"options": [
                        {"id": "o1", "display_name": "Yes"}, {"id": "o2", "display_name": "No"}]}}),
        ),
        m.create("a1", &CreateFieldDefinition::new("Approved", select))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Approved", "field_type": "select", "field_configuration": {
            "enable_add_new": false,
            "options": [{"display_name": "Yes"}, {"display_name": "No"}]}}})
    );
    match created.config {
        FieldConfig::Select(cfg) => {
            assert_eq!(cfg.options.expect("options")[1].id.as_deref(), Some("o2"))
        }
        other => panic!("{other:?}"),
    }

    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/metadata/field_definitions",
        data(json!({"id": "d6", "name": "Comment", "field_type": "text"})),
        m.create(
            "a1",
            &CreateFieldDefinition::new("Comment", FieldConfig::Text),
        )
        .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Comment", "field_type": "text"}})
    );

    let mut update = UpdateFieldDefinition::config(FieldConfig::Date(DateConfig {
        display_format: Some(DateDisplayFormat::Euro),
        ..Default::default()
    }));
    update.name = Some("Date".into());
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/metadata/field_definitions/d1",
        data(json!({"id": "d1", "name": "Date", "field_type": "date"})),
        m.update("a1", "d1", &update).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Date", "field_type": "date",
                        "field_configuration": {"display_format": "euro"}}})
    );

    run(
        &mock,
        Method::DELETE,
        "/v4/accounts/a1/metadata/field_definitions/d1",
        MockResponse::new(204),
        m.delete("a1", "d1").send(),
    )
    .await;
}

#[tokio::test]
async fn permissions() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let p = c.permissions();

    let (role, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/users/u1",
        data(json!({"role": "admin"})),
        p.update_account_role("a1", "u1", AccountRole::Admin).send(),
    )
    .await;
    assert_eq!(role.role, Some(AccountRole::Admin));
    assert_eq!(body(&r), json!({"data": {"role": "admin"}}));

    let users = json!([{"role": "workspace_admin", "user": {"id": "u1"}},
                       {"role": "producer", "user": {"id": "u2"}}]);
    for (kind, id) in [("workspaces", "w1"), ("projects", "p1"), ("folders", "d1")] {
        let path = format!("/v4/accounts/a1/{kind}/{id}/users");
        let pager = match kind {
            "workspaces" => p.workspace_users("a1", id),
            "projects" => p.project_users("a1", id),
            _ => p.folder_users("a1", id),
        };
        let (items, r) = run(
            &mock,
            Method::GET,
            &path,
            list(users.clone()),
            pager
                .include_deactivated(true)
                .sort("email_asc")
                .collect_all(),
        )
        .await;
        assert_eq!(items[0].role, Some(Role::WorkspaceAdmin));
        assert_eq!(items[1].role, Some(Role::Other("producer".into())));
        assert_eq!(
            q(&r),
            [("include_deactivated", "true"), ("sort", "email_asc")]
        );

        let user_path = format!("{path}/u%2B1");
        let update = match kind {
            "workspaces" => p.update_workspace_role("a1", id, "u+1", Role::WorkspaceAdmin),
            "projects" => p.update_project_role("a1", id, "u+1", Role::EditOnly),
            _ => p.update_folder_role("a1", id, "u+1", Role::Viewer),
        };
        let (assigned, r) = run(
            &mock,
            Method::PATCH,
            &user_path,
            data(json!({"role": "viewer"})),
            update.send(),
        )
        .await;
        assert_eq!(assigned.role, Some(Role::Viewer));
        let expected = match kind {
            "workspaces" => "workspace_admin",
            "projects" => "edit_only",
            _ => "viewer",
        };
        assert_eq!(body(&r), json!({"data": {"role": expected}}));

        let remove = match kind {
            "workspaces" => p.remove_workspace_user("a1", id, "u+1"),
            "projects" => p.remove_project_user("a1", id, "u+1"),
            _ => p.remove_folder_user("a1", id, "u+1"),
        };
        run(
            &mock,
            Method::DELETE,
            &user_path,
            MockResponse::new(204),
            remove.send(),
        )
        .await;
    }
}

#[tokio::test]
async fn groups() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let g = c.groups();

    let (items, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/groups",
        list(json!([
            {"id": "g1", "name": "Editors", "emoji": "🎬", "member_count": 3, "source": "frame"},
            {"id": "g2", "name": "Adobe", "emoji": "A", "member_count": 9, "source": "adobe",
             "sync_status": "in_progress", "creator": {"id": "u1"}}
        ])),
        g.list("a1")
            .include("creator")
            .sort("name_desc")
            .collect_all(),
    )
    .await;
    assert_eq!(items[0].source, Some(GroupSource::Frame));
    assert_eq!(items[1].sync_status, Some(SyncStatus::InProgress));
    assert_eq!(q(&r), [("include", "creator"), ("sort", "name_desc")]);

    let (created, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/groups",
        data(json!({"id": "g3", "name": "Color", "emoji": "🎨", "member_count": 0})),
        g.create("a1", &CreateGroup::new("Color", "🎨")).send(),
    )
    .await;
    assert_eq!(created.member_count, Some(0));
    assert_eq!(body(&r), json!({"data": {"name": "Color", "emoji": "🎨"}}));

    let (_, r) = run(
        &mock,
        Method::GET,
        "/v4/accounts/a1/groups/g3",
        data(json!({"id": "g3", "name": "Color", "source": "workfront"})),
        g.show("a1", "g3").include("creator").send(),
    )
    .await;
    assert_eq!(q(&r), [("include", "creator")]);

    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/groups/g3",
        data(json!({"id": "g3", "name": "Grading"})),
        g.update(
            "a1",
            "g3",
            &UpdateGroup {
                name: Some("Grading".into()),
                ..Default::default()
            },
        )
        .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"name": "Grading"}}));
}

#[tokio::test]
async fn search_sends_an_unwrapped_body_and_paginates() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let results: Vec<Value> = vec![
        json!({"type": "file_result", "matches": [{"type": "name_match", "name": "trailer.mov",
                "terms": ["trailer"]}], "result": {"id": "f1", "type": "file", "name": "trailer.mov"}}),
        json!({"type": "project_result", "matches": [{"type": "comment_match",
                "comment_id": "k1", "snippet": "the trailer", "terms": ["trailer"]}],
                "result": {"id": "p1", "name": "Trailer"}}),
        json!({"type": "folder_result", "matches": [], "result": {"id": "d1", "type": "folder",
                "name": "Trailers"}}),
    ];
    mock.on(Method::POST, "/v4/accounts/a1/search")
        .unwrapped_body()
        .paginate(results, 2);
    let mut params = SearchParams::new(SearchEngine::Lexical, "trailer");
    params.filters = Some(SearchFilters {
        projects: Some(true),
        folders: Some(true),
        ..Default::default()
    });
    let hits = c
        .search()
        .search("a1", &params)
        .page_size(2)
        .collect_all()
        .await
        .expect("search");
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].result_type, SearchResultType::File);
    assert_eq!(hits[0].asset().expect("asset").name, "trailer.mov");
    assert_eq!(hits[0].matches[0].match_type, "name_match");
    assert_eq!(hits[0].matches[0].details["name"], "trailer.mov");
    assert_eq!(hits[1].project().expect("project").name, "Trailer");
    assert!(hits[1].asset().is_none());
    assert_eq!(hits[1].matches[0].details["snippet"], "the trailer");
    assert_eq!(
        hits[2].asset().expect("folder").asset_type,
        AssetType::Folder
    );

    let reqs = mock.requests_to(Method::POST, "/v4/accounts/a1/search");
    assert_eq!(reqs.len(), 2);
    let expected = json!({"engine": "lexical", "query": "trailer",
                          "filters": {"folders": true, "projects": true}});
    for r in &reqs {
        assert_eq!(
            body(r),
            expected,
            "body is sent without `data` on every page"
        );
        assert_eq!(r.query_value("page_size"), Some("2"));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    assert!(reqs[1].query_value("after").is_some());
}

#[tokio::test]
async fn audit_log_filters_use_bracket_keys_and_version_header() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    mock.on(Method::GET, "/v4/accounts/a1/audit_logs").respond(
        200,
        json!({"data": [{"account_id": "a1", "event_type": "asset_deleted"}], "links": {}}),
    );
    let filters = AuditLogFilters {
        event_type: Some("asset_deleted".into()),
        project_id: Some("p1".into()),
        from_date: Some("2026-01-01".into()),
        ..Default::default()
    };
    let logs = c
        .accounts()
        .audit_logs("a1")
        .include("user")
        .filters(&filters)
        .collect_all()
        .await
        .expect("logs");
    assert_eq!(logs[0].event_type, "asset_deleted");
    let r = mock
        .requests_to(Method::GET, "/v4/accounts/a1/audit_logs")
        .pop()
        .expect("request");
    assert_eq!(r.header("api-version"), Some("4.0"));
    assert_eq!(
        q(&r),
        [
            ("include", "user"),
            ("filters[event_type]", "asset_deleted"),
            ("filters[project_id]", "p1"),
            ("filters[from_date]", "2026-01-01"),
        ]
    );
}

#[tokio::test]
async fn the_mock_search_route_refuses_a_wrapped_body() {
    let mock = MockFrameio::start().await.expect("mock");
    mock.on(Method::POST, "/v4/accounts/a1/search")
        .unwrapped_body()
        .respond(200, json!({"data": [], "links": {}}));
    let http = reqwest::Client::new();
    let url = format!("{}/v4/accounts/a1/search", mock.base_url());
    let wrapped = http
        .post(&url)
        .bearer_auth(mock.token())
        .json(&json!({"data": {"engine": "lexical", "query": "x"}}))
        .send()
        .await
        .expect("send");
    assert_eq!(wrapped.status().as_u16(), 422);
    let plain = http
        .post(&url)
        .bearer_auth(mock.token())
        .json(&json!({"engine": "lexical", "query": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(plain.status().as_u16(), 200);
}
