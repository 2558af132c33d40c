//! Moving bytes: multi-part local uploads to presigned URLs and media downloads.
//!
//! The storage host only ever sees the presigned URL: the bearer token is never sent to it.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::transfer::UploadOptions;
//!
//! let options = UploadOptions::default()
//!     .concurrency(4)
//!     .on_progress(|p| println!("{}/{} bytes", p.bytes_done, p.bytes_total));
//! let file = client
//!     .files()
//!     .upload("account-id", "folder-id", "clip.mp4", std::path::PathBuf::from("clip.mp4"), options)
//!     .await?;
//! client.files().download_to_path("account-id", &file.id, "copy.mp4").await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt};

use super::client::Client;
use super::error::ClientError;
use super::files::{Files, LocalUpload};
use super::models::{File, MediaLink, MediaLinks};
use super::retry::retry_status;

/// Where the bytes of an upload come from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UploadSource {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A local file, read part by part.
    Path(PathBuf),
}

impl From<Bytes> for UploadSource {
    fn from(b: Bytes) -> Self {
        Self::Bytes(b)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(b: Vec<u8>) -> Self {
        Self::Bytes(Bytes::from(b))
    }
}

impl From<PathBuf> for UploadSource {
    fn from(p: PathBuf) -> Self {
        Self::Path(p)
    }
}

impl From<&Path> for UploadSource {
    fn from(p: &Path) -> Self {
        Self::Path(p.to_path_buf())
    }
}

impl UploadSource {
    async fn len(&self) -> Result<u64, ClientError> {
        match self {
            Self::Bytes(b) => Ok(b.len() as u64),
            Self::Path(p) => Ok(tokio::fs::metadata(p).await?.len()),
        }
    }

    /// The request body of one part: a slice of the bytes, or the file's range streamed
    /// from disk in [`READ_CHUNK`]-sized reads (never the whole part in memory).
    async fn part_body(&self, offset: u64, len: u64) -> Result<reqwest::Body, ClientError> {
        match self {
            Self::Bytes(b) => {
                let start = usize::try_from(offset)
                    .map_err(|_| ClientError::Transfer("part offset too large".into()))?;
                let end = offset
                    .checked_add(len)
                    .and_then(|end| usize::try_from(end).ok())
                    .ok_or_else(|| ClientError::Transfer("part size too large".into()))?;
                if end > b.len() {
                    return Err(ClientError::Transfer(
                        "upload source is shorter than the parts".into(),
                    ));
                }
                Ok(reqwest::Body::from(b.slice(start..end)))
            }
            Self::Path(p) => {
                let mut file = tokio::fs::File::open(p).await?;
                file.seek(SeekFrom::Start(offset)).await?;
                let reader = file.take(len);
                let stream = futures_util::stream::try_unfold(
                    (reader, len),
                    |(mut reader, left)| async move {
                        if left == 0 {
                            return Ok(None);
                        }
                        let want =
                            usize::try_from(left.min(READ_CHUNK as u64)).unwrap_or(READ_CHUNK);
                        let mut buf = bytes::BytesMut::with_capacity(want);
                        let n = reader.read_buf(&mut buf).await?;
                        if n == 0 {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::UnexpectedEof,
                                "upload source is shorter than the parts",
                            ));
                        }
                        Ok(Some((buf.freeze(), (reader, left - n as u64))))
                    },
                );
                Ok(reqwest::Body::wrap_stream(stream))
            }
        }
    }
}

/// Size of each read of a part streamed from disk.
const READ_CHUNK: usize = 256 * 1024;

/// Which media link of a file to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MediaKind {
    /// The uploaded original (`media_links.original`).
    #[default]
    Original,
    /// Efficient transcode (`media_links.efficient`).
    Efficient,
    /// High quality transcode (`media_links.high_quality`).
    HighQuality,
    /// Thumbnail (`media_links.thumbnail`).
    Thumbnail,
    /// High quality thumbnail (`media_links.thumbnail_high_quality`).
    ThumbnailHighQuality,
    /// Scrub sheet (`media_links.scrub_sheet`).
    ScrubSheet,
}

impl MediaKind {
    /// The value of the `include` query parameter that returns this link.
    pub fn include(self) -> &'static str {
        match self {
            Self::Original => "media_links.original",
            Self::Efficient => "media_links.efficient",
            Self::HighQuality => "media_links.high_quality",
            Self::Thumbnail => "media_links.thumbnail",
            Self::ThumbnailHighQuality => "media_links.thumbnail_high_quality",
            Self::ScrubSheet => "media_links.scrub_sheet",
        }
    }

    fn pick(self, links: MediaLinks) -> Option<MediaLink> {
        match self {
            Self::Original => links.original,
            Self::Efficient => links.efficient,
            Self::HighQuality => links.high_quality,
            Self::Thumbnail => links.thumbnail,
            Self::ThumbnailHighQuality => links.thumbnail_high_quality,
            Self::ScrubSheet => links.scrub_sheet,
        }
    }
}

/// Progress of an upload, reported after each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadProgress {
    /// Bytes uploaded so far.
    pub bytes_done: u64,
    /// Size of the file.
    pub bytes_total: u64,
    /// Parts uploaded so far.
    pub parts_done: usize,
    /// Number of parts.
    pub parts_total: usize,
}

type ProgressFn = Arc<dyn Fn(UploadProgress) + Send + Sync>;

/// Settings of [`Files::upload`].
#[derive(Clone)]
pub struct UploadOptions {
    concurrency: usize,
    progress: Option<ProgressFn>,
    part_retries: Option<u32>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            concurrency: 4,
            progress: None,
            part_retries: None,
        }
    }
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("concurrency", &self.concurrency)
            .field("has_progress", &self.progress.is_some())
            .field("part_retries", &self.part_retries)
            .finish()
    }
}

impl UploadOptions {
    /// Parts uploaded at the same time (at least 1; default 4).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Called after each part with the progress so far.
    pub fn on_progress(mut self, f: impl Fn(UploadProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Retries per part (default: the client's [`RetryPolicy`](super::RetryPolicy)).
    pub fn part_retries(mut self, n: u32) -> Self {
        self.part_retries = Some(n);
        self
    }
}

/// One part of an upload: where it goes and which bytes of the source it carries.
struct Part {
    index: usize,
    url: String,
    offset: u64,
    size: u64,
}

/// `PUT` one part to its presigned URL, with retries; never sends the bearer token.
async fn put_part(
    client: &Client,
    source: &UploadSource,
    part: &Part,
    content_type: &str,
    max_retries: u32,
) -> Result<(), ClientError> {
    let policy = client.retry_policy();
    let index = part.index;
    let mut attempt = 0;
    loop {
        let body = source.part_body(part.offset, part.size).await?;
        let sent = client
            .http()
            .put(part.url.as_str())
            .header("x-amz-acl", "private")
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, part.size)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => return Ok(()),
            Ok(resp) => {
                let status = resp.status();
                if attempt < max_retries && retry_status(&Method::PUT, status, false) {
                    tracing::warn!(part = index, %status, attempt, "upload part failed, retrying");
                } else {
                    return Err(ClientError::Transfer(format!(
                        "upload part {index} was rejected with status {status}"
                    )));
                }
            }
            Err(e) => {
                let e = e.without_url();
                if attempt < max_retries {
                    tracing::warn!(part = index, error = %e, attempt, "upload part could not be sent, retrying");
                } else {
                    return Err(ClientError::Transport(e));
                }
            }
        }
        tokio::time::sleep(policy.backoff(attempt)).await;
        attempt += 1;
    }
}

impl Files {
    /// Upload local bytes as a new file in `folder_id`.
    ///
    /// Creates the file with `local_upload`, then `PUT`s each part to its presigned URL
    /// (bounded concurrency, `x-amz-acl: private`, the file's media type as content type, no
    /// bearer token, retries per part) and reports progress after each part.
    pub async fn upload(
        &self,
        account_id: &str,
        folder_id: &str,
        name: &str,
        source: impl Into<UploadSource>,
        options: UploadOptions,
    ) -> Result<File, ClientError> {
        let source = source.into();
        let total = source.len().await?;
        let file = self
            .create_local_upload(account_id, folder_id, &LocalUpload::new(name, total))
            .await?;
        let urls = file.upload_urls.clone().unwrap_or_default();
        if urls.is_empty() && total > 0 {
            return Err(ClientError::Transfer(
                "frame.io returned no upload urls".into(),
            ));
        }
        let sum = urls.iter().try_fold(0u64, |acc, u| acc.checked_add(u.size));
        if sum != Some(total) {
            return Err(ClientError::Transfer(format!(
                "upload parts cover {} bytes but the file has {total}",
                sum.map_or_else(|| "too many".to_owned(), |s| s.to_string())
            )));
        }
        let content_type = file
            .media_type
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let max_retries = options
            .part_retries
            .unwrap_or(self.client.retry_policy().max_retries);
        let mut offset = 0u64;
        let mut parts = Vec::with_capacity(urls.len());
        for (index, part) in urls.iter().enumerate() {
            parts.push(Part {
                index,
                url: part.url.clone(),
                offset,
                size: part.size,
            });
            offset += part.size;
        }
        let parts_total = parts.len();
        let client = &self.client;
        let source = &source;
        let content_type = content_type.as_str();
        // After a part fails, parts not yet started are skipped and those in flight are
        // awaited, so nothing is still being sent when the error is returned.
        let failed = &AtomicBool::new(false);
        let mut results = futures_util::stream::iter(parts)
            .map(|part| async move {
                if failed.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                put_part(client, source, &part, content_type, max_retries)
                    .await
                    .inspect_err(|_| failed.store(true, Ordering::Relaxed))?;
                Ok::<Option<u64>, ClientError>(Some(part.size))
            })
            .buffer_unordered(options.concurrency);
        let mut progress = UploadProgress {
            bytes_done: 0,
            bytes_total: total,
            parts_done: 0,
            parts_total,
        };
        let mut first_error = None;
        while let Some(result) = results.next().await {
            match result {
                Ok(Some(size)) => {
                    progress.bytes_done += size;
                    progress.parts_done += 1;
                    if let Some(cb) = &options.progress {
                        cb(progress);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(file),
        }
    }

    /// Stream the original media of a file into `writer`; returns the number of bytes.
    ///
    /// Fetches the file with `include=media_links.original` and downloads its `download_url`
    /// (without the bearer token).
    pub async fn download<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        account_id: &str,
        file_id: &str,
        writer: &mut W,
    ) -> Result<u64, ClientError> {
        self.download_media(account_id, file_id, MediaKind::Original, writer)
            .await
    }

    /// Stream one media link of a file (original or a rendition) into `writer`.
    pub async fn download_media<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        account_id: &str,
        file_id: &str,
        kind: MediaKind,
        writer: &mut W,
    ) -> Result<u64, ClientError> {
        let file = self
            .show(account_id, file_id)
            .include(kind.include())
            .await?;
        let url = file
            .media_links
            .and_then(|l| kind.pick(l))
            .and_then(|l| l.download_url.or(l.url))
            .ok_or_else(|| {
                ClientError::Transfer(format!(
                    "the file has no {} link (missing permission or not ready)",
                    kind.include()
                ))
            })?;
        self.client.download_url(&url, writer).await
    }

    /// Like [`download`](Self::download), into a new file at `path`.
    pub async fn download_to_path(
        &self,
        account_id: &str,
        file_id: &str,
        path: impl AsRef<Path>,
    ) -> Result<u64, ClientError> {
        let mut out = tokio::fs::File::create(path.as_ref()).await?;
        let n = self.download(account_id, file_id, &mut out).await?;
        out.flush().await?;
        Ok(n)
    }
}

impl Client {
    /// Stream any media link (e.g. a rendition's `url`) into `writer`, without the bearer
    /// token; the initial request is retried like an idempotent API call.
    pub async fn download_url<W: AsyncWrite + Unpin + ?Sized>(
        &self,
        url: &str,
        writer: &mut W,
    ) -> Result<u64, ClientError> {
        let policy = self.retry_policy();
        let mut attempt = 0;
        let mut resp = loop {
            match self.http().get(url).send().await {
                Ok(resp) if resp.status().is_success() => break resp,
                Ok(resp) => {
                    let status = resp.status();
                    if attempt >= policy.max_retries || !retry_status(&Method::GET, status, false) {
                        return Err(ClientError::Transfer(format!(
                            "download was rejected with status {status}"
                        )));
                    }
                }
                Err(e) => {
                    if attempt >= policy.max_retries {
                        return Err(ClientError::Transport(e.without_url()));
                    }
                }
            }
            tokio::time::sleep(policy.backoff(attempt)).await;
            attempt += 1;
        };
        let mut written = 0u64;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| ClientError::Transport(e.without_url()))?
        {
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        writer.flush().await?;
        Ok(written)
    }
}
