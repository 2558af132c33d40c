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
//! Every endpoint of the Frame.io v4 API as published in the official SDKs: the 98 stable
//! endpoints below, then the 26 that exist only in the experimental API. All paths start
//! with `/v4/accounts/{account_id}` unless shown otherwise.
//!
//! | group | method | endpoint | Rust |
//! |---|---|---|---|
//! | accounts | GET | `/v4/accounts` | [`Accounts::list`] |
//! | accounts | GET | `…/audit_logs` (`api-version: 4.0`, `filters[…]`) | [`Accounts::audit_logs`] |
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
//! | shares | GET | `…/projects/{id}/shares` | [`Shares::list`] |
//! | shares | POST | `…/projects/{id}/shares` | [`Shares::create`] |
//! | shares | GET | `…/shares/{id}` | [`Shares::show`] |
//! | shares | PATCH | `…/shares/{id}` | [`Shares::update`] |
//! | shares | DELETE | `…/shares/{id}` | [`Shares::delete`] |
//! | shares | GET | `…/shares/{id}/assets` | [`Shares::assets`] |
//! | shares | POST | `…/shares/{id}/assets` | [`Shares::add_asset`] |
//! | shares | DELETE | `…/shares/{id}/assets/{id}` | [`Shares::remove_asset`] |
//! | shares | GET | `…/shares/{id}/reviewers` | [`Shares::reviewers`] |
//! | shares | POST | `…/shares/{id}/reviewers` | [`Shares::add_reviewers`] |
//! | shares | DELETE | `…/shares/{id}/reviewers` | [`Shares::remove_reviewers`] |
//! | shares | GET | `…/shares/{id}/activities` | [`Shares::activities`] |
//! | collections | GET | `…/projects/{id}/collections` | [`Collections::list`] |
//! | collections | GET | `…/collections/{id}` | [`Collections::show`] |
//! | metadata | GET | `…/files/{id}/metadata` | [`Metadata::show`] |
//! | metadata | PATCH | `…/projects/{id}/metadata/values` | [`Metadata::bulk_update`] |
//! | metadata fields | GET | `…/metadata/field_definitions` | [`MetadataFields::list`] |
//! | metadata fields | POST | `…/metadata/field_definitions` | [`MetadataFields::create`] |
//! | metadata fields | PATCH | `…/metadata/field_definitions/{id}` | [`MetadataFields::update`] |
//! | metadata fields | DELETE | `…/metadata/field_definitions/{id}` | [`MetadataFields::delete`] |
//! | account permissions | PATCH | `…/users/{id}` | [`Permissions::update_account_role`] |
//! | workspace permissions | GET | `…/workspaces/{id}/users` | [`Permissions::workspace_users`] |
//! | workspace permissions | PATCH | `…/workspaces/{id}/users/{id}` | [`Permissions::update_workspace_role`] |
//! | workspace permissions | DELETE | `…/workspaces/{id}/users/{id}` | [`Permissions::remove_workspace_user`] |
//! | project permissions | GET | `…/projects/{id}/users` | [`Permissions::project_users`] |
//! | project permissions | PATCH | `…/projects/{id}/users/{id}` | [`Permissions::update_project_role`] |
//! | project permissions | DELETE | `…/projects/{id}/users/{id}` | [`Permissions::remove_project_user`] |
//! | folder permissions | GET | `…/folders/{id}/users` | [`Permissions::folder_users`] |
//! | folder permissions | PATCH | `…/folders/{id}/users/{id}` | [`Permissions::update_folder_role`] |
//! | folder permissions | DELETE | `…/folders/{id}/users/{id}` | [`Permissions::remove_folder_user`] |
//! | groups | GET | `…/groups` | [`Groups::list`] |
//! | groups | POST | `…/groups` | [`Groups::create`] |
//! | groups | GET | `…/groups/{id}` | [`Groups::show`] |
//! | groups | PATCH | `…/groups/{id}` | [`Groups::update`] |
//! | search | POST | `…/search` (body not wrapped in `data`) | [`Search::search`] |
//!
//! ## Experimental endpoints
//!
//! Only in the experimental API; reached through [`Client::experimental`], which sends
//! `api-version: experimental` with every request (module [`experimental`]).
//!
//! | group | method | endpoint | Rust |
//! |---|---|---|---|
//! | accounts | GET | `/v4/accounts/{account_id}` | [`experimental::Accounts::show`] |
//! | users | GET | `…/users/{id}` | [`experimental::Accounts::user`] |
//! | users | GET | `…/users/{id}/memberships` | [`experimental::Accounts::user_memberships`] |
//! | files | POST | `…/files/bulk_get` | [`experimental::Files::bulk_get`] |
//! | files | PATCH | `…/files/{id}/restore` | [`experimental::Files::restore`] |
//! | folders | PATCH | `…/folders/{id}/restore` | [`experimental::Folders::restore`] |
//! | version stacks | PATCH | `…/version_stacks/{id}/restore` | [`experimental::VersionStacks::restore`] |
//! | version stacks | PATCH | `…/version_stacks/{id}/versions` | [`experimental::VersionStacks::reorder`] |
//! | groups | DELETE | `…/groups/{id}` | [`experimental::Groups::delete`] |
//! | groups | GET | `…/groups/{id}/users` | [`experimental::Groups::members`] |
//! | groups | POST | `…/groups/{id}/users` | [`experimental::Groups::add_members`] |
//! | groups | DELETE | `…/groups/{id}/users/{id}` | [`experimental::Groups::remove_member`] |
//! | groups | GET | `…/adobe_groups` | [`experimental::Groups::adobe_groups`] |
//! | groups | POST | `…/adobe_groups` | [`experimental::Groups::add_adobe_group`] |
//! | metadata | PATCH | `…/files/{id}/metadata` | [`experimental::Metadata::update`] |
//! | metadata fields | GET | `…/metadata/field_definitions/{id}` | [`experimental::Metadata::field_definition`] |
//! | workspace permissions | GET | `…/workspaces/{id}/groups` | [`experimental::Permissions::workspace_groups`] |
//! | workspace permissions | PATCH | `…/workspaces/{id}/groups/{id}` | [`experimental::Permissions::update_workspace_group_role`] |
//! | workspace permissions | DELETE | `…/workspaces/{id}/groups/{id}` | [`experimental::Permissions::remove_workspace_group`] |
//! | project permissions | GET | `…/projects/{id}/groups` | [`experimental::Permissions::project_groups`] |
//! | project permissions | PATCH | `…/projects/{id}/groups/{id}` | [`experimental::Permissions::update_project_group_role`] |
//! | project permissions | DELETE | `…/projects/{id}/groups/{id}` | [`experimental::Permissions::remove_project_group`] |
//! | session watermark templates | GET | `…/session_watermark_templates` | [`experimental::SessionWatermarkTemplates::list`] |
//! | session watermark templates | POST | `…/session_watermark_templates` | [`experimental::SessionWatermarkTemplates::create`] |
//! | session watermark templates | GET | `…/session_watermark_templates/{id}` | [`experimental::SessionWatermarkTemplates::show`] |
//! | session watermark templates | PATCH | `…/session_watermark_templates/{id}` | [`experimental::SessionWatermarkTemplates::update`] |
//!
//! Any stable request can also be sent with the header through
//! [`ApiRequest::experimental`] / [`Pager::experimental`].
//!
//! # Retries and rate limits
//!
//! See [`RetryPolicy`]: idempotent methods are retried on 408, 429, 5xx, connection errors,
//! connections dropped before an answer and timeouts; `POST` and `PATCH` only on 429, 503 and
//! failures to connect unless the request opts in with
//! [`ApiRequest::retry_non_idempotent`]. `Retry-After` (seconds or an HTTP date) is honoured
//! up to a cap. The client also waits before sending when a route's announced rate-limit
//! budget is spent ([`ClientBuilder::proactive_rate_limiting`]).
//!
//! The [`guide`] walks through all of it with examples.

pub mod accounts;
#[doc = include_str!("../../../docs/client.md")]
pub mod guide {}
#[allow(clippy::module_inception)]
mod client;
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
mod ratelimit;
mod request;
mod retry;
pub mod search;
pub mod shares;
pub mod transfer;
pub mod users;
pub mod version_stacks;
pub mod webhooks;
pub mod workspaces;

pub use accounts::Accounts;
pub use client::{
    AccessToken, BoxFuture, Client, ClientBuilder, DEFAULT_BASE_URL, TokenProvider,
    USER_AGENT_VALUE,
};
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
pub use models::{CopyComments, Patch};
pub use pager::{Page, Pager};
pub use permissions::Permissions;
pub use projects::Projects;
pub use ratelimit::RateLimitInfo;
pub use request::{ApiRequest, RequestOptions, Response};
pub use retry::RetryPolicy;
pub use search::Search;
pub use shares::Shares;
pub use users::Users;
pub use version_stacks::VersionStacks;
pub use webhooks::Webhooks;
pub use workspaces::Workspaces;

/// Declares resource-group accessors: for each `method => Type`, a method on `$owner`
/// returning `Type` holding a clone of the owner's client. The same macro serves the stable
/// accessors on [`Client`] and the experimental ones on [`Experimental`]; the group types
/// themselves are declared in their modules (or by the macro, with `declare`).
macro_rules! sub_api {
    (impl $owner:ty { $($(#[$meta:meta])* $method:ident => $ty:ty;)* }) => {
        impl $owner {
            $(
                $(#[$meta])*
                pub fn $method(&self) -> $ty {
                    <$ty>::from_client(self.client_ref().clone())
                }
            )*
        }
    };
}
pub(crate) use sub_api;

/// Declares a resource-group type: a struct holding the [`Client`] its endpoints use.
macro_rules! api_group {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            pub(crate) client: $crate::client::Client,
        }

        impl $name {
            pub(crate) fn from_client(client: $crate::client::Client) -> Self {
                Self { client }
            }
        }
    };
}
pub(crate) use api_group;

impl Client {
    fn client_ref(&self) -> &Client {
        self
    }
}

sub_api! {
    impl Client {
        /// Account endpoints.
        accounts => Accounts;
        /// User endpoints (`/v4/me`, account users).
        users => Users;
        /// Workspace endpoints.
        workspaces => Workspaces;
        /// Project endpoints.
        projects => Projects;
        /// Folder endpoints.
        folders => Folders;
        /// File endpoints, uploads and downloads.
        files => Files;
        /// Version stack endpoints.
        version_stacks => VersionStacks;
        /// Comment endpoints.
        comments => Comments;
        /// Webhook endpoints.
        webhooks => Webhooks;
        /// Custom action endpoints.
        custom_actions => CustomActions;
        /// Share endpoints: review links, their assets, reviewers and activity.
        shares => Shares;
        /// Collection endpoints.
        collections => Collections;
        /// Metadata value endpoints (values of files).
        metadata => Metadata;
        /// Metadata field definition endpoints.
        metadata_fields => MetadataFields;
        /// Permission endpoints: user roles on the account, workspaces, projects and folders.
        permissions => Permissions;
        /// User group endpoints.
        groups => Groups;
        /// The search endpoint.
        search => Search;
    }
}

impl Client {
    /// The experimental API: every request made through it sends
    /// `api-version: experimental`. See [`experimental`] for what it offers.
    pub fn experimental(&self) -> Experimental {
        Experimental::from_client(self.experimental_api())
    }
}

/// The environment variable a client is built from at start-up when a handler takes
/// [`Client`] and [`App::client`](crate::App::client) was not called.
pub const TOKEN_ENV: &str = "FRAMEIO_TOKEN";

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
    }
}
