//! Search across the files, folders, version stacks and projects of an account.
//!
//! Unlike other endpoints, the search body is sent as it is, not wrapped in `data`.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use futures_util::TryStreamExt;
//! use frameio_kit::client::search::{SearchEngine, SearchParams};
//!
//! let mut results = client
//!     .search()
//!     .search("account-id", &SearchParams::new(SearchEngine::Lexical, "trailer"))
//!     .page_size(20);
//! while let Some(hit) = results.try_next().await? {
//!     if let Some(asset) = hit.asset() {
//!         println!("{} {}", asset.asset_type, asset.name);
//!     }
//! }
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::models::{Asset, open_enum};
use super::pager::Pager;
use super::projects::Project;
use super::request::seg;

open_enum! {
    /// Search engine.
    pub enum SearchEngine {
        /// Keyword search.
        Lexical => "lexical",
        /// Natural language search.
        Nlp => "nlp",
    }
}

open_enum! {
    /// Kind of a search result.
    pub enum SearchResultType {
        /// A file.
        File => "file_result",
        /// A folder.
        Folder => "folder_result",
        /// A version stack.
        VersionStack => "version_stack_result",
        /// A project.
        Project => "project_result",
    }
}

/// Which kinds of results to return; `None` keeps the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchFilters {
    /// Files and version stacks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_and_version_stacks: Option<bool>,
    /// Folders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folders: Option<bool>,
    /// Projects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projects: Option<bool>,
}

/// Body of a search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    /// Engine.
    pub engine: SearchEngine,
    /// Query text.
    pub query: String,
    /// Result kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filters: Option<SearchFilters>,
    /// Where to search: a workspace, a project, a folder or a combination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<SearchScope>,
}

impl SearchParams {
    /// Search for `query` with `engine`.
    pub fn new(engine: SearchEngine, query: impl Into<String>) -> Self {
        Self {
            engine,
            query: query.into(),
            filters: None,
            scope: None,
        }
    }

    /// Restrict the search to `scope`.
    pub fn scope(mut self, scope: SearchScope) -> Self {
        self.scope = Some(scope);
        self
    }
}

/// Restricts a search to part of the account; `None` members do not restrict.
///
/// ```
/// use frameio_kit::client::search::{SearchEngine, SearchParams, SearchScope};
///
/// let params = SearchParams::new(SearchEngine::Lexical, "trailer")
///     .scope(SearchScope::project("project-id"));
/// assert_eq!(
///     serde_json::to_value(&params).unwrap()["scope"],
///     serde_json::json!({"project_id": "project-id"}),
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchScope {
    /// Only results within this workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// Only results within this project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// Only results nested under this folder, at any depth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
}

impl SearchScope {
    /// Only results within a workspace.
    pub fn workspace(id: impl Into<String>) -> Self {
        Self {
            workspace_id: Some(id.into()),
            ..Self::default()
        }
    }

    /// Only results within a project.
    pub fn project(id: impl Into<String>) -> Self {
        Self {
            project_id: Some(id.into()),
            ..Self::default()
        }
    }

    /// Only results under a folder.
    pub fn folder(id: impl Into<String>) -> Self {
        Self {
            folder_id: Some(id.into()),
            ..Self::default()
        }
    }
}

/// Why a result matched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SearchMatch {
    /// Kind of match (`name_match`, `comment_match`, `transcription_match`…).
    #[serde(rename = "type")]
    pub match_type: String,
    /// Matched terms, for text matches.
    pub terms: Option<Vec<String>>,
    /// The other members of the match (`name`, `snippet`, `comment_id`, `clips`…).
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

/// One search result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SearchResult {
    /// Kind of result.
    #[serde(rename = "type")]
    pub result_type: SearchResultType,
    /// Why it matched.
    pub matches: Vec<SearchMatch>,
    /// The result as sent (a file, folder, version stack or project); see
    /// [`asset`](Self::asset) and [`project`](Self::project).
    pub result: Value,
}

impl SearchResult {
    /// The result as an asset (file, folder or version stack results).
    pub fn asset(&self) -> Option<Asset> {
        if self.result_type == SearchResultType::Project {
            return None;
        }
        serde_json::from_value(self.result.clone()).ok()
    }

    /// The result as a project (project results).
    pub fn project(&self) -> Option<Project> {
        if self.result_type != SearchResultType::Project {
            return None;
        }
        serde_json::from_value(self.result.clone()).ok()
    }
}

super::api_group! {
    /// Search endpoint; see [`Client::search`](super::Client::search).
    Search
}

impl Search {
    /// `POST /v4/accounts/{account_id}/search`, body not wrapped in `data`. Paginated: every
    /// page re-sends the body with the `after` cursor.
    pub fn search(&self, account_id: &str, params: &SearchParams) -> Pager<SearchResult> {
        self.client
            .list_post(format!("/v4/accounts/{}/search", seg(account_id)), params)
    }
}
