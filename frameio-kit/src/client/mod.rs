//! A typed client for the Frame.io REST API (v4).
//!
//! One [`Client`] holds the transport: base URL, bearer token (static or from a
//! [`TokenProvider`]), timeouts, retries ([`RetryPolicy`]) and error parsing ([`ApiError`]).
//! Each resource group has its own accessor (`client.projects()`, `client.files()`…).
//!
//! Every endpoint method returns either
//! - an [`ApiRequest`]: `.await` it for the data, or call
//!   [`with_headers`](ApiRequest::with_headers) to get a [`Response`] with status and headers;
//!   query options such as [`include`](ApiRequest::include) are set on it before awaiting; or
//! - a [`Pager`] for list endpoints: a [`Stream`](futures_util::Stream) of items that follows
//!   `links.next`, re-sending every original query parameter, or whole [`Page`]s with
//!   [`next_page`](Pager::next_page) / [`pages`](Pager::pages).
//!
//! Request bodies are sent as `{"data": {…}}`; the `data` member of responses is decoded.
//! Ids are percent-encoded in paths.
//!
//! ```no_run
//! # async fn run() -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::Client;
//!
//! let client = Client::new("my-token")?;
//! let project = client
//!     .projects()
//!     .show("account-id", "project-id")
//!     .include("owner")
//!     .with_headers()
//!     .await?;
//! println!("{} (rate limit left: {:?})", project.data.name, project.headers.get("x-ratelimit-remaining"));
//! # Ok(()) }
//! ```
//!
//! # Endpoint coverage
//!
//! All paths start with `/v4/accounts/{account_id}` unless shown otherwise.
//!
//! | group | method | endpoint | Rust |
//! |---|---|---|---|
//! | accounts | GET | `/v4/accounts` | [`Accounts::list`] |
//! | accounts | GET | `…/audit_logs` | [`Accounts::audit_logs`] |
//! | users | GET | `/v4/me` | [`Users::me`] |
//! | users | GET | `…/users` | [`Users::list`] |
//! | workspaces | GET | `…/workspaces` | [`Workspaces::list`] |
//! | workspaces | POST | `…/workspaces` | [`Workspaces::create`] |
//! | workspaces | GET | `…/workspaces/{id}` | [`Workspaces::show`] |
//! | workspaces | PATCH | `…/workspaces/{id}` | [`Workspaces::update`] |
//! | workspaces | DELETE | `…/workspaces/{id}` | [`Workspaces::delete`] |
//! | projects | GET | `…/projects` | [`Projects::list_in_account`] |
//! | projects | GET | `…/invited_projects` | [`Projects::list_invited`] |
//! | projects | GET | `…/workspaces/{id}/projects` | [`Projects::list`] |
//! | projects | POST | `…/workspaces/{id}/projects` | [`Projects::create`] |
//! | projects | GET | `…/projects/{id}` | [`Projects::show`] |
//! | projects | PATCH | `…/projects/{id}` | [`Projects::update`] |
//! | projects | DELETE | `…/projects/{id}` | [`Projects::delete`] |
//! | projects | GET | `…/projects/{id}/recently_deleted` | [`Projects::recently_deleted`] |
//! | folders | GET | `…/folders/{id}` | [`Folders::show`] |
//! | folders | PATCH | `…/folders/{id}` | [`Folders::update`] |
//! | folders | DELETE | `…/folders/{id}` | [`Folders::delete`] |
//! | folders | GET | `…/folders/{id}/children` | [`Folders::children`] |
//! | folders | GET | `…/folders/{id}/folders` | [`Folders::list`] |
//! | folders | POST | `…/folders/{id}/folders` | [`Folders::create`] |
//! | folders | PATCH | `…/folders/{id}/move` | [`Folders::move_to`] |
//! | folders | POST | `…/folders/{id}/copy` | [`Folders::copy`] |
//! | folders | PATCH | `…/folders/move` | [`Folders::bulk_move`] |
//! | folders | POST | `…/folders/copy` | [`Folders::bulk_copy`] |
//! | files | GET | `…/files/{id}` | [`Files::show`] |
//! | files | PATCH | `…/files/{id}` | [`Files::update`] |
//! | files | DELETE | `…/files/{id}` | [`Files::delete`] |
//! | files | GET | `…/files/{id}/status` | [`Files::upload_status`] |
//! | files | PATCH | `…/files/{id}/move` | [`Files::move_to`] |
//! | files | POST | `…/files/{id}/copy` | [`Files::copy`] |
//! | files | PATCH | `…/files/move` | [`Files::bulk_move`] |
//! | files | POST | `…/files/copy` | [`Files::bulk_copy`] |
//! | files | GET | `…/folders/{id}/files` | [`Files::list`] |
//! | files | POST | `…/folders/{id}/files` | [`Files::create`] |
//! | files | POST | `…/folders/{id}/files/local_upload` | [`Files::create_local_upload`], [`Files::upload`] |
//! | files | POST | `…/folders/{id}/files/remote_upload` | [`Files::upload_remote`] |
//! | files | POST | `…/folders/{id}/files/import` | [`Files::import`] |
//! | files | GET | media link (storage host) | [`Files::download`], [`Client::download_url`] |
//! | version stacks | GET | `…/folders/{id}/version_stacks` | [`VersionStacks::list`] |
//! | version stacks | POST | `…/folders/{id}/version_stacks` | [`VersionStacks::create`] |
//! | version stacks | GET | `…/version_stacks/{id}` | [`VersionStacks::show`] |
//! | version stacks | GET | `…/version_stacks/{id}/children` | [`VersionStacks::children`] |
//! | version stacks | PATCH | `…/version_stacks/{id}/move` | [`VersionStacks::move_to`] |
//! | version stacks | POST | `…/version_stacks/{id}/copy` | [`VersionStacks::copy`] |
//! | comments | GET | `…/files/{id}/comments` | [`Comments::list`] |
//! | comments | POST | `…/files/{id}/comments` | [`Comments::create`] |
//! | comments | GET | `…/comments/{id}` | [`Comments::show`] |
//! | comments | PATCH | `…/comments/{id}` | [`Comments::update`] |
//! | comments | DELETE | `…/comments/{id}` | [`Comments::delete`] |
//! | comments | POST | `…/comments/{id}/attachments` | [`Comments::create_attachment`] |
//! | comments | DELETE | `…/comments/{id}/attachments/{id}` | [`Comments::delete_attachment`] |
//! | webhooks | GET | `…/workspaces/{id}/webhooks` | [`Webhooks::list`] |
//! | webhooks | POST | `…/workspaces/{id}/webhooks` | [`Webhooks::create`] |
//! | webhooks | GET | `…/webhooks/{id}` | [`Webhooks::show`] |
//! | webhooks | PATCH | `…/webhooks/{id}` | [`Webhooks::update`] |
//! | webhooks | DELETE | `…/webhooks/{id}` | [`Webhooks::delete`] |
//! | custom actions | GET | `…/workspaces/{id}/actions` | [`CustomActions::list`] |
//! | custom actions | POST | `…/workspaces/{id}/actions` | [`CustomActions::create`] |
//! | custom actions | GET | `…/actions/{id}` | [`CustomActions::show`] |
//! | custom actions | PATCH | `…/actions/{id}` | [`CustomActions::update`] |
//! | custom actions | DELETE | `…/actions/{id}` | [`CustomActions::delete`] |
//!
//! # Retries
//!
//! See [`RetryPolicy`]: idempotent methods are retried on 408, 429, 5xx, connection errors
//! and timeouts; `POST` and `PATCH` only on 429, 503 and connection errors unless the request
//! opts in with [`ApiRequest::retry_non_idempotent`]. `Retry-After` (seconds) is honoured up
//! to a cap.

pub mod accounts;
pub mod collections;
pub mod comments;
pub mod custom_actions;
mod error;
pub mod experimental;
mod extract;
pub mod files;
pub mod folders;
pub mod groups;
pub mod metadata;
pub mod metadata_fields;
pub mod models;
mod pager;
pub mod permissions;
pub mod projects;
pub mod search;
pub mod shares;
pub mod transfer;
mod transport;
pub mod users;
pub mod version_stacks;
pub mod webhooks;
pub mod workspaces;

pub use accounts::Accounts;
pub use collections::Collections;
pub use comments::Comments;
pub use custom_actions::CustomActions;
pub use error::{ApiError, ApiErrorKind, ClientError, ErrorObject, ErrorSource, TokenError};
pub use experimental::Experimental;
pub use files::Files;
pub use folders::Folders;
pub use groups::Groups;
pub use metadata::Metadata;
pub use metadata_fields::MetadataFields;
pub use pager::{Page, Pager};
pub use permissions::Permissions;
pub use projects::Projects;
pub use search::Search;
pub use shares::Shares;
pub use transport::{
    AccessToken, ApiRequest, BoxFuture, Client, ClientBuilder, DEFAULT_BASE_URL, Response,
    RetryPolicy, TokenProvider, USER_AGENT_VALUE,
};
pub use users::Users;
pub use version_stacks::VersionStacks;
pub use webhooks::Webhooks;
pub use workspaces::Workspaces;

impl Client {
    /// Account endpoints.
    pub fn accounts(&self) -> Accounts {
        Accounts {
            client: self.clone(),
        }
    }

    /// User endpoints (`/v4/me`, account users).
    pub fn users(&self) -> Users {
        Users {
            client: self.clone(),
        }
    }

    /// Workspace endpoints.
    pub fn workspaces(&self) -> Workspaces {
        Workspaces {
            client: self.clone(),
        }
    }

    /// Project endpoints.
    pub fn projects(&self) -> Projects {
        Projects {
            client: self.clone(),
        }
    }

    /// Folder endpoints.
    pub fn folders(&self) -> Folders {
        Folders {
            client: self.clone(),
        }
    }

    /// File endpoints, uploads and downloads.
    pub fn files(&self) -> Files {
        Files {
            client: self.clone(),
        }
    }

    /// Version stack endpoints.
    pub fn version_stacks(&self) -> VersionStacks {
        VersionStacks {
            client: self.clone(),
        }
    }

    /// Comment endpoints.
    pub fn comments(&self) -> Comments {
        Comments {
            client: self.clone(),
        }
    }

    /// Webhook endpoints.
    pub fn webhooks(&self) -> Webhooks {
        Webhooks {
            client: self.clone(),
        }
    }

    /// Custom action endpoints.
    pub fn custom_actions(&self) -> CustomActions {
        CustomActions {
            client: self.clone(),
        }
    }

    /// Share endpoints: review links, their assets, reviewers and activity.
    pub fn shares(&self) -> Shares {
        Shares {
            client: self.clone(),
        }
    }

    /// Collection endpoints.
    pub fn collections(&self) -> Collections {
        Collections {
            client: self.clone(),
        }
    }

    /// Metadata value endpoints (values of files).
    pub fn metadata(&self) -> Metadata {
        Metadata {
            client: self.clone(),
        }
    }

    /// Metadata field definition endpoints.
    pub fn metadata_fields(&self) -> MetadataFields {
        MetadataFields {
            client: self.clone(),
        }
    }

    /// Permission endpoints: user roles on the account, workspaces, projects and folders.
    pub fn permissions(&self) -> Permissions {
        Permissions {
            client: self.clone(),
        }
    }

    /// User group endpoints.
    pub fn groups(&self) -> Groups {
        Groups {
            client: self.clone(),
        }
    }

    /// The experimental API: every request made through it sends
    /// `api-version: experimental`. See [`experimental`] for what it offers.
    pub fn experimental(&self) -> Experimental {
        Experimental {
            client: self.clone(),
        }
    }

    /// The search endpoint.
    pub fn search(&self) -> Search {
        Search {
            client: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
    }
}

/// The environment variable a client is built from at start-up when a handler takes
/// [`Client`] and [`App::client`](crate::App::client) was not called.
pub const TOKEN_ENV: &str = "FRAMEIO_TOKEN";
