//! Cursor pagination over `links.next`.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use reqwest::StatusCode;
use reqwest::Url;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::client::{BoxFuture, Client};
use super::error::ClientError;
use super::request::{RawResponse, RequestSpec, option_setters};

/// One page of a list endpoint.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The `links.next` value, when there is another page.
    pub next: Option<String>,
    /// Total number of items, present when requested with
    /// [`Pager::include_total_count`].
    pub total_count: Option<u64>,
    /// HTTP status of the page's response.
    pub status: StatusCode,
    /// Headers of the page's response.
    pub headers: HeaderMap,
}

#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct ListBody<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    links: Option<Links>,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Deserialize, Default)]
struct Links {
    #[serde(default)]
    next: Option<String>,
}

fn decode_page<T: DeserializeOwned>(raw: RawResponse) -> Result<Page<T>, ClientError> {
    let body: ListBody<T> =
        serde_json::from_slice(&raw.body).map_err(|source| ClientError::Decode {
            status: raw.status,
            source,
        })?;
    let next = body
        .links
        .and_then(|l| l.next)
        .filter(|n| !n.trim().is_empty());
    Ok(Page {
        items: body.data,
        next,
        total_count: body.total_count,
        status: raw.status,
        headers: raw.headers,
    })
}

impl<T> Page<T> {
    /// The page response's `x-ratelimit-*` headers.
    pub fn rate_limit(&self) -> super::RateLimitInfo {
        super::RateLimitInfo::from_headers(&self.headers)
    }
}

enum Cursor {
    Start,
    Next(String),
    Done,
}

/// Build the request for a `links.next` value: its path, every original query parameter the
/// link does not carry itself (except the old cursor), then the link's own parameters.
pub(crate) fn follow_spec(original: &RequestSpec, link: &str) -> Result<RequestSpec, ClientError> {
    let parsed = Url::parse(link)
        .or_else(|_| Url::parse("http://frameio.invalid").and_then(|b| b.join(link)))
        .map_err(|e| ClientError::Config(format!("invalid links.next {link:?}: {e}")))?;
    let link_pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let link_keys: HashSet<&str> = link_pairs.iter().map(|(k, _)| k.as_str()).collect();
    let mut spec = original.clone();
    spec.path = parsed.path().to_owned();
    spec.options.query = original
        .options
        .query
        .iter()
        .filter(|(k, _)| k != "after" && !link_keys.contains(k.as_str()))
        .cloned()
        .chain(link_pairs.iter().cloned())
        .collect();
    Ok(spec)
}

/// A paginated list.
///
/// Use it as a [`Stream`] of items, call [`next_page`](Self::next_page) repeatedly, or turn
/// it into a stream of whole pages with [`pages`](Self::pages). It follows `links.next` and
/// sends every query parameter of the first request (`page_size`, `include`, `sort`,
/// filters…) again with each following page. Nothing is sent until it is polled.
///
/// ```no_run
/// # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
/// use futures_util::TryStreamExt;
///
/// let mut projects = client.projects().list_in_account("account-id").page_size(50);
/// while let Some(project) = projects.try_next().await? {
///     println!("{}", project.name);
/// }
/// # Ok(()) }
/// ```
#[must_use = "pagers do nothing unless polled"]
pub struct Pager<T> {
    client: Client,
    spec: RequestSpec,
    cursor: Cursor,
    buffer: VecDeque<T>,
    in_flight: Option<BoxFuture<'static, Result<Page<T>, ClientError>>>,
}

impl<T> fmt::Debug for Pager<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("path", &self.spec.path)
            .field("query", &self.spec.options.query)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> Pager<T> {
    pub(crate) fn new(client: &Client, spec: RequestSpec) -> Self {
        Self {
            client: client.clone(),
            spec,
            cursor: Cursor::Start,
            buffer: VecDeque::new(),
            in_flight: None,
        }
    }

    /// Number of items per page (`page_size`).
    pub fn page_size(self, n: u32) -> Self {
        self.param("page_size", n)
    }

    /// Sort order (`sort`), e.g. `-created_at`.
    pub fn sort(self, sort: impl Into<String>) -> Self {
        self.param("sort", sort.into())
    }

    /// Start after this cursor (`after`).
    pub fn after(self, cursor: impl Into<String>) -> Self {
        self.param("after", cursor.into())
    }

    /// Ask for `total_count` on each page (`include_total_count`).
    pub fn include_total_count(self, yes: bool) -> Self {
        self.param("include_total_count", yes)
    }

    option_setters!(param);

    pub(crate) fn with_header(mut self, name: &'static str, value: &str) -> Self {
        self.spec.options.set_header(name, value.to_owned());
        self
    }

    fn request_for_cursor(&self) -> Result<Option<RequestSpec>, ClientError> {
        match &self.cursor {
            Cursor::Start => Ok(Some(self.spec.clone())),
            Cursor::Next(link) => follow_spec(&self.spec, link).map(Some),
            Cursor::Done => Ok(None),
        }
    }

    fn fetch(&self, spec: RequestSpec) -> BoxFuture<'static, Result<Page<T>, ClientError>> {
        let client = self.client.clone();
        Box::pin(async move {
            let raw = client.execute(&spec).await?;
            decode_page::<T>(raw)
        })
    }

    fn advance(&mut self, page: &Page<T>) {
        self.cursor = match &page.next {
            Some(next) => Cursor::Next(next.clone()),
            None => Cursor::Done,
        };
    }

    /// Fetch the next whole page, or `None` after the last one. Items already buffered by
    /// polling the pager as a stream are not repeated.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>, ClientError> {
        if let Some(fut) = self.in_flight.take() {
            let page = fut.await.inspect_err(|_| self.cursor = Cursor::Done)?;
            self.advance(&page);
            return Ok(Some(page));
        }
        let Some(spec) = self.request_for_cursor()? else {
            return Ok(None);
        };
        match self.fetch(spec).await {
            Ok(page) => {
                self.advance(&page);
                Ok(Some(page))
            }
            Err(e) => {
                self.cursor = Cursor::Done;
                Err(e)
            }
        }
    }

    /// A stream of whole pages.
    pub fn pages(self) -> impl Stream<Item = Result<Page<T>, ClientError>> + Send + 'static {
        futures_util::stream::unfold(self, |mut pager| async move {
            match pager.next_page().await {
                Ok(Some(page)) => Some((Ok(page), pager)),
                Ok(None) => None,
                Err(e) => Some((Err(e), pager)),
            }
        })
    }

    /// Fetch every remaining item into a `Vec`.
    pub async fn collect_all(mut self) -> Result<Vec<T>, ClientError> {
        let mut out: Vec<T> = self.buffer.drain(..).collect();
        while let Some(page) = self.next_page().await? {
            out.extend(page.items);
        }
        Ok(out)
    }
}

impl<T: DeserializeOwned + Send + Unpin + 'static> Stream for Pager<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(fut) = this.in_flight.as_mut() {
                let result = match fut.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                this.in_flight = None;
                match result {
                    Ok(page) => {
                        this.advance(&page);
                        this.buffer.extend(page.items);
                        continue;
                    }
                    Err(e) => {
                        this.cursor = Cursor::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
            match this.request_for_cursor() {
                Ok(Some(spec)) => this.in_flight = Some(this.fetch(spec)),
                Ok(None) => return Poll::Ready(None),
                Err(e) => {
                    this.cursor = Cursor::Done;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    #[test]
    fn next_link_keeps_original_params() {
        let mut spec = RequestSpec::new(Method::GET, "/v4/accounts/a/projects".into());
        spec.options.set_query("page_size", "2".into());
        spec.options.set_query("include", "owner".into());
        spec.options.set_query("after", "old".into());
        let next =
            follow_spec(&spec, "/v4/accounts/a/projects?after=abc&page_size=2").expect("spec");
        assert_eq!(next.path, "/v4/accounts/a/projects");
        assert_eq!(
            next.options.query,
            vec![
                ("include".to_owned(), "owner".to_owned()),
                ("after".to_owned(), "abc".to_owned()),
                ("page_size".to_owned(), "2".to_owned()),
            ]
        );
        let abs = follow_spec(&spec, "https://evil.example/v4/x?after=z").expect("spec");
        assert_eq!(abs.path, "/v4/x");
    }
}
