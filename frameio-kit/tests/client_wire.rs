//! Request fields audited against the official SDKs (`frameio` 4.0.0, `frameio-experimental`
//! 11.0.1): each one goes out on the wire exactly as the API expects.
#![cfg(feature = "client")]

use frameio_kit::client::comments::{
    CommentLink, CreateComment, TextBounds, TextReviewAnnotation, TextReviewAnnotationType,
    TextReviewAnnotationUpdate, UpdateComment,
};
use frameio_kit::client::files::BulkFiles;
use frameio_kit::client::folders::{BulkFolders, FolderParams};
use frameio_kit::client::models::CopyParams;
use frameio_kit::client::search::{SearchEngine, SearchParams, SearchScope};
use frameio_kit::client::shares::{CreateShare, ShareAccess, UpdateShare};
use frameio_kit::client::{CopyComments, Patch};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
use serde_json::{Value, json};

mod support;
use support::{client, data, q, run};

fn body(r: &frameio_kit_testing::mock_frameio::RecordedRequest) -> Value {
    r.json().expect("json body")
}

#[tokio::test]
async fn copy_comments_takes_every_api_value() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let cases = [
        (CopyComments::None, "none"),
        (CopyComments::Internal, "internal"),
        (CopyComments::Public, "public"),
        (CopyComments::All, "all"),
    ];
    for (which, wire) in cases {
        // files copy
        let (_, r) = run(
            &mock,
            Method::POST,
            "/v4/accounts/a1/files/x1/copy",
            data(json!({"id": "x2", "name": "n"})),
            c.files()
                .copy("a1", "x1", &CopyParams::to("f2"))
                .copy_comments(which.clone())
                .send(),
        )
        .await;
        assert_eq!(q(&r), [("copy_comments", wire)]);
        // files bulk copy
        let (_, r) = run(
            &mock,
            Method::POST,
            "/v4/accounts/a1/files/copy",
            data(json!([])),
            c.files()
                .bulk_copy("a1", &BulkFiles::new(vec!["x1".into()], "f2"))
                .copy_comments(which.clone())
                .send(),
        )
        .await;
        assert_eq!(q(&r), [("copy_comments", wire)]);
        // folders bulk copy
        let (_, r) = run(
            &mock,
            Method::POST,
            "/v4/accounts/a1/folders/copy",
            data(json!([])),
            c.folders()
                .bulk_copy("a1", &BulkFolders::new(vec!["d1".into()], "f2"))
                .copy_comments(which.clone())
                .send(),
        )
        .await;
        assert_eq!(q(&r), [("copy_comments", wire)]);
        // version stacks copy
        let (_, r) = run(
            &mock,
            Method::POST,
            "/v4/accounts/a1/version_stacks/v1/copy",
            data(json!({"id": "v2", "name": "n"})),
            c.version_stacks()
                .copy("a1", "v1", &CopyParams::to("f2"))
                .copy_comments(which.clone())
                .send(),
        )
        .await;
        assert_eq!(q(&r), [("copy_comments", wire)]);
    }
}

fn comment() -> MockResponse {
    data(json!({"id": "c1", "file_id": "x1", "text": "t"}))
}

#[tokio::test]
async fn comment_create_sends_links_and_text_review_annotation() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let mut create = CreateComment::text("see docs");
    create.links = Some(vec![CommentLink::new(4, 8, "https://example.com/docs")]);
    create.text_review_annotation = Some(TextReviewAnnotation {
        bounds: vec![TextBounds {
            x: 1.0,
            y: 2.0,
            width: 30.5,
            height: 4.0,
        }],
        text_review_annotation_type: TextReviewAnnotationType::Replace,
        selection_text: Some("colour".into()),
        suggested_text: Some("color".into()),
    });
    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/files/x1/comments",
        comment(),
        c.comments().create("a1", "x1", &create).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {
            "text": "see docs",
            "links": [{"start_index": 4, "end_index": 8, "url": "https://example.com/docs"}],
            "text_review_annotation": {
                "bounds": [{"x": 1.0, "y": 2.0, "width": 30.5, "height": 4.0}],
                "text_review_annotation_type": "replace",
                "selection_text": "colour",
                "suggested_text": "color"
            }
        }})
    );
}

#[tokio::test]
async fn comment_update_sends_links_annotation_and_clears() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let update = UpdateComment {
        links: Patch::Set(vec![CommentLink::new(0, 3, "https://frame.io")]),
        text_review_annotation: Patch::Set(TextReviewAnnotationUpdate {
            suggested_text: Some("better".into()),
            ..Default::default()
        }),
        timestamp: Patch::Clear,
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/comments/c1",
        comment(),
        c.comments().update("a1", "c1", &update).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {
            "timestamp": null,
            "links": [{"start_index": 0, "end_index": 3, "url": "https://frame.io"}],
            "text_review_annotation": {"suggested_text": "better"}
        }})
    );
    // Unchanged fields are absent: an empty update is an empty object.
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/comments/c1",
        comment(),
        c.comments()
            .update("a1", "c1", &UpdateComment::default())
            .send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {}}));
}

fn folder() -> MockResponse {
    data(json!({"id": "d1", "name": "Selects"}))
}

#[tokio::test]
async fn folder_create_and_update_send_restricted() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/folders/f1/folders",
        folder(),
        c.folders()
            .create("a1", "f1", &FolderParams::named("Selects").restricted(true))
            .send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"name": "Selects", "restricted": true}})
    );
    let update = FolderParams {
        restricted: Some(false),
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/folders/d1",
        folder(),
        c.folders().update("a1", "d1", &update).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"restricted": false}}));
}

fn share() -> MockResponse {
    data(json!({"id": "s1", "name": "Review"}))
}

#[tokio::test]
async fn share_create_sends_watermark_template_id() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let mut params = CreateShare::new("Review", ShareAccess::Secure);
    params.watermark_enabled = Some(true);
    params.watermark_template_id = Some("wt1".into());
    let (_, r) = run(
        &mock,
        Method::POST,
        "/v4/accounts/a1/projects/p1/shares",
        share(),
        c.shares().create("a1", "p1", &params).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"type": "asset", "name": "Review", "access": "secure",
                        "watermark_enabled": true, "watermark_template_id": "wt1"}})
    );
}

#[tokio::test]
async fn share_update_sets_and_clears_nullable_fields() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let update = UpdateShare {
        watermark_template_id: Patch::Set("wt2".into()),
        description: Patch::Set("Final".into()),
        expiration: Patch::Clear,
        passphrase: Patch::Clear,
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/shares/s1",
        share(),
        c.shares().update("a1", "s1", &update).send(),
    )
    .await;
    assert_eq!(
        body(&r),
        json!({"data": {"description": "Final", "passphrase": null, "expiration": null,
                        "watermark_template_id": "wt2"}})
    );
    // Clearing the watermark template falls back to the workspace default.
    let update = UpdateShare {
        watermark_template_id: Patch::Clear,
        ..Default::default()
    };
    let (_, r) = run(
        &mock,
        Method::PATCH,
        "/v4/accounts/a1/shares/s1",
        share(),
        c.shares().update("a1", "s1", &update).send(),
    )
    .await;
    assert_eq!(body(&r), json!({"data": {"watermark_template_id": null}}));
}

#[tokio::test]
async fn search_sends_scope() {
    let mock = MockFrameio::start().await.expect("mock");
    let c = client(&mock);
    let path = "/v4/accounts/a1/search";
    mock.on(Method::POST, path)
        .unwrapped_body()
        .respond(200, json!({"data": [], "links": {"next": null}}));
    let scope = SearchScope {
        workspace_id: Some("w1".into()),
        folder_id: Some("d1".into()),
        ..SearchScope::project("p1")
    };
    let params = SearchParams::new(SearchEngine::Lexical, "trailer").scope(scope);
    let hits = c
        .search()
        .search("a1", &params)
        .collect_all()
        .await
        .expect("search");
    assert!(hits.is_empty());
    let reqs = mock.requests_to(Method::POST, path);
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        body(&reqs[0]),
        json!({"engine": "lexical", "query": "trailer",
               "scope": {"workspace_id": "w1", "project_id": "p1", "folder_id": "d1"}})
    );
}
