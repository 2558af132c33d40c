//! Unit tests of jobs.

use super::*;
use crate::handler::Headers;

#[test]
fn jobs_keep_body_and_safe_headers_only() {
    let mut headers = Headers::new();
    headers.insert("X-Frameio-Signature", "v0=abc");
    headers.insert("Authorization", "Bearer secret");
    headers.insert("User-Agent", "Frame.io V4 API");
    headers.insert("x-binary", [0xff]);
    let job = Job::new("h", br#"{"type":"file.ready"}"#, &headers, 17).unwrap();
    assert_eq!(job.attempt(), 1);
    let kept = job.headers();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept.get("user-agent"), Some("Frame.io V4 API"));
    let json = serde_json::to_string(&job).unwrap();
    assert!(
        !json.contains("secret") && !json.contains("v0=abc"),
        "{json}"
    );
    assert!(matches!(
        Job::new("h", &[0xff, 0xfe], &headers, 1),
        Err(QueueError::InvalidBody)
    ));
    let a = JobId::generate();
    assert_eq!(a.as_str().len(), 36);
    assert_ne!(a, JobId::generate());
    assert!(!format!("{job:?}").contains("file.ready"));
}
