//! Multi-part uploads and downloads against the mock's storage host.
#![cfg(feature = "client")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use frameio_kit::client::transfer::{MediaKind, UploadOptions, UploadProgress};
use frameio_kit::client::{Client, ClientError, RetryPolicy};
use frameio_kit_testing::mock_frameio::{Method, MockFrameio, MockResponse};
use serde_json::json;

fn client(mock: &MockFrameio) -> Client {
    Client::builder()
        .token(mock.token())
        .base_url(mock.base_url())
        .retry_policy(
            RetryPolicy::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("client")
}

const LOCAL_UPLOAD: &str = "/v4/accounts/a1/folders/f1/files/local_upload";

fn program_upload(mock: &MockFrameio, sizes: &[u64]) {
    let urls: Vec<_> = sizes
        .iter()
        .enumerate()
        .map(|(i, size)| json!({"size": size, "url": mock.upload_url(&format!("part-{i}"))}))
        .collect();
    let total: u64 = sizes.iter().sum();
    mock.on(Method::POST, LOCAL_UPLOAD).respond_data(
        201,
        json!({"id": "x1", "name": "clip.mp4", "file_size": total,
               "media_type": "video/mp4", "status": "created", "upload_urls": urls}),
    );
}

#[tokio::test]
async fn three_part_upload_with_progress() {
    let mock = MockFrameio::start().await.expect("mock");
    let data: Vec<u8> = (0..25u8).collect();
    program_upload(&mock, &[10, 10, 5]);
    // The second part fails once and is retried.
    mock.on(Method::PUT, "/upload/part-1")
        .respond_with(MockResponse::new(500))
        .respond_with(MockResponse::new(200));

    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let sink = seen.clone();
    let options = UploadOptions::default()
        .concurrency(2)
        .on_progress(move |p| sink.lock().expect("lock").push(p));
    let file = client(&mock)
        .files()
        .upload("a1", "f1", "clip.mp4", data.clone(), options)
        .await
        .expect("upload");
    assert_eq!(file.id, "x1");

    let create = &mock.requests_to(Method::POST, LOCAL_UPLOAD)[0];
    assert_eq!(
        create.json(),
        Some(json!({"data": {"name": "clip.mp4", "file_size": 25}}))
    );
    assert_eq!(mock.uploaded("part-0").as_deref(), Some(&data[0..10]));
    assert_eq!(mock.uploaded("part-1").as_deref(), Some(&data[10..20]));
    assert_eq!(mock.uploaded("part-2").as_deref(), Some(&data[20..25]));

    let puts = mock.requests_to(Method::PUT, "/upload/{part}");
    assert_eq!(puts.len(), 4, "three parts plus one retry");
    for put in &puts {
        assert_eq!(put.header("authorization"), None);
        assert_eq!(put.header("x-amz-acl"), Some("private"));
        assert_eq!(put.header("content-type"), Some("video/mp4"));
    }

    let seen = seen.lock().expect("lock");
    assert_eq!(seen.len(), 3);
    let last = seen.last().expect("progress");
    assert_eq!((last.bytes_done, last.bytes_total), (25, 25));
    assert_eq!((last.parts_done, last.parts_total), (3, 3));
    assert!(seen.windows(2).all(|w| w[0].bytes_done < w[1].bytes_done));
}

#[tokio::test]
async fn upload_from_path_and_part_failure() {
    let mock = MockFrameio::start().await.expect("mock");
    let dir = std::env::temp_dir().join(format!("frameio-kit-upload-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await.expect("dir");
    let path = dir.join("clip.bin");
    let data = vec![7u8; 12];
    tokio::fs::write(&path, &data).await.expect("write");

    program_upload(&mock, &[4, 4, 4]);
    let file = client(&mock)
        .files()
        .upload(
            "a1",
            "f1",
            "clip.mp4",
            path.clone(),
            UploadOptions::default(),
        )
        .await
        .expect("upload");
    assert_eq!(file.file_size, 12);
    assert_eq!(mock.uploaded("part-2").as_deref(), Some(&data[8..12]));

    // A part that keeps failing fails the upload after its retries.
    mock.on(Method::PUT, "/upload/part-0")
        .respond_with(MockResponse::new(403));
    let err = client(&mock)
        .files()
        .upload("a1", "f1", "clip.mp4", path, UploadOptions::default())
        .await
        .expect_err("part rejected");
    assert!(matches!(err, ClientError::Transfer(_)), "{err:?}");

    // Sizes that do not add up are refused before any byte is sent.
    program_upload(&mock, &[4, 4]);
    mock.clear_requests();
    let err = client(&mock)
        .files()
        .upload(
            "a1",
            "f1",
            "clip.mp4",
            vec![1u8; 12],
            UploadOptions::default(),
        )
        .await
        .expect_err("size mismatch");
    assert!(matches!(err, ClientError::Transfer(_)));
    assert!(mock.requests_to(Method::PUT, "/upload/{part}").is_empty());
    let _ = tokio::fs::remove_dir_all(&dir).await;
}

#[tokio::test]
async fn download_streams_the_original() {
    let mock = MockFrameio::start().await.expect("mock");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let url = mock.serve_download("x1-original", bytes.clone());
    mock.on(Method::GET, "/v4/accounts/a1/files/x1")
        .respond_data(
            200,
            json!({"id": "x1", "media_links": {"original": {"download_url": url}}}),
        );
    let c = client(&mock);

    let mut out = Vec::new();
    let n = c
        .files()
        .download("a1", "x1", &mut out)
        .await
        .expect("download");
    assert_eq!(n, 70_000);
    assert_eq!(out, bytes);
    let show = &mock.requests_to(Method::GET, "/v4/accounts/a1/files/x1")[0];
    assert_eq!(show.query_value("include"), Some("media_links.original"));
    let get = &mock.requests_to(Method::GET, "/download/{name}")[0];
    assert_eq!(get.header("authorization"), None);

    let path = std::env::temp_dir().join(format!("frameio-kit-dl-{}.bin", std::process::id()));
    c.files()
        .download_to_path("a1", "x1", &path)
        .await
        .expect("to path");
    assert_eq!(tokio::fs::read(&path).await.expect("read"), bytes);
    let _ = tokio::fs::remove_file(&path).await;

    // A rendition, by its `url`.
    let thumb = mock.serve_download("x1-thumb", vec![1u8, 2]);
    mock.on(Method::GET, "/v4/accounts/a1/files/x3")
        .respond_data(
            200,
            json!({"id": "x3", "media_links": {"thumbnail": {"url": thumb}}}),
        );
    let mut out = Vec::new();
    c.files()
        .download_media("a1", "x3", MediaKind::Thumbnail, &mut out)
        .await
        .expect("thumbnail");
    assert_eq!(out, [1u8, 2]);
    let show = &mock.requests_to(Method::GET, "/v4/accounts/a1/files/x3")[0];
    assert_eq!(show.query_value("include"), Some("media_links.thumbnail"));

    // No media link: a clear error.
    mock.on(Method::GET, "/v4/accounts/a1/files/x2")
        .respond_data(200, json!({"id": "x2"}));
    let err = c
        .files()
        .download("a1", "x2", &mut Vec::new())
        .await
        .expect_err("no link");
    assert!(matches!(err, ClientError::Transfer(_)));
}

#[tokio::test]
async fn parts_are_uploaded_in_parallel() {
    let mock = MockFrameio::start().await.expect("mock");
    let sizes = [1000u64; 8];
    program_upload(&mock, &sizes);
    // Each part PUT is held 150 ms: sequential parts could never overlap.
    mock.delay_uploads(Duration::from_millis(150));
    let data: Vec<u8> = (0..8000u32).map(|i| (i % 251) as u8).collect();
    let dir = std::env::temp_dir().join(format!("frameio-kit-overlap-{}", uuid::Uuid::new_v4()));
    tokio::fs::write(&dir, &data).await.expect("write");
    let result = client(&mock)
        .files()
        .upload(
            "a1",
            "f1",
            "clip.mp4",
            dir.clone(),
            UploadOptions::default().concurrency(4),
        )
        .await;
    let _ = tokio::fs::remove_file(&dir).await;
    result.expect("upload");

    let log = mock.upload_log();
    assert_eq!(log.len(), 8);
    for (i, chunk) in data.chunks(1000).enumerate() {
        assert_eq!(
            mock.uploaded(&format!("part-{i}")).as_deref(),
            Some(chunk),
            "part {i} streamed from disk"
        );
    }
    // The most parts in flight at one instant: 4 (the concurrency), never more.
    let max_overlap = log
        .iter()
        .map(|a| {
            log.iter()
                .filter(|b| b.started <= a.started && a.started < b.finished)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert_eq!(max_overlap, 4, "{log:?}");
}
