//! Collections: the sets of assets of a project (shares are built on them).
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! let collections = client
//!     .collections()
//!     .list("account-id", "project-id")
//!     .include("shares")
//!     .collect_all()
//!     .await?;
//! for c in collections {
//!     println!("{} {:?}", c.id, c.name);
//! }
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{User, open_enum};
use super::pager::Pager;
use super::projects::Project;
use super::request::{ApiRequest, seg};
use super::shares::Share;

open_enum! {
    /// How a collection gathers its assets.
    pub enum AggregationMode {
        /// A fixed list of assets.
        Static => "static",
        /// Assets chosen by rules.
        Dynamic => "dynamic",
    }
}

/// A collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Collection {
    /// Collection id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Project id.
    pub project_id: String,
    /// Root folder id.
    pub root_folder_id: Option<String>,
    /// How assets are gathered.
    pub aggregation_mode: Option<AggregationMode>,
    /// Whether Frame.io created it (for example for a share).
    pub auto_generated: Option<bool>,
    /// Whether it is private.
    pub private: Option<bool>,
    /// Creator (with `include=creator`).
    pub creator: Option<User>,
    /// Project (with `include=project`).
    pub project: Option<Project>,
    /// Shares built on it (with `include=shares`).
    pub shares: Option<Vec<Share>>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

super::api_group! {
    /// Collection endpoints; see [`Client::collections`](super::Client::collections).
    Collections
}

impl Collections {
    /// `GET /v4/accounts/{account_id}/projects/{project_id}/collections`.
    pub fn list(&self, account_id: &str, project_id: &str) -> Pager<Collection> {
        self.client.list(format!(
            "/v4/accounts/{}/projects/{}/collections",
            seg(account_id),
            seg(project_id)
        ))
    }

    /// `GET /v4/accounts/{account_id}/collections/{collection_id}`.
    pub fn show(&self, account_id: &str, collection_id: &str) -> ApiRequest<Collection> {
        self.client.get(format!(
            "/v4/accounts/{}/collections/{}",
            seg(account_id),
            seg(collection_id)
        ))
    }
}
