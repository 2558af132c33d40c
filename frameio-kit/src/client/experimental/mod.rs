//! The experimental Frame.io API: endpoints that exist only with `api-version: experimental`.
//!
//! Every request made through [`Client::experimental`](super::Client::experimental) carries the header
//! `api-version: experimental`. Experimental endpoints may change or disappear without
//! notice; the stable endpoints remain on their usual accessors.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! use frameio_kit::client::experimental::{
//!     CreateWatermarkTemplate, DataPoint, DataPointType, WatermarkBlock,
//! };
//! use frameio_kit::client::permissions::Role;
//!
//! let exp = client.experimental();
//! let account = exp.accounts().show("account-id").await?;
//! exp.groups().add_members("account-id", "group-id", &["user-id".to_string()]).await?;
//! exp.permissions()
//!     .update_project_group_role("account-id", "project-id", "group-id", Role::Editor)
//!     .await?;
//! let block = WatermarkBlock::lines(vec![DataPoint::new(DataPointType::Email)]);
//! let template = exp
//!     .session_watermark_templates()
//!     .create(&account.id, &CreateWatermarkTemplate::new("Reviewer email", vec![block]))
//!     .await?;
//! exp.files().restore(&account.id, "file-id").await?;
//! # let _ = template; Ok(()) }
//! ```

mod accounts;
mod assets;
mod groups;
mod metadata;
mod permissions;
mod session_watermark_templates;

pub use accounts::*;
pub use assets::*;
pub use groups::*;
pub use metadata::*;
pub use permissions::*;
pub use session_watermark_templates::*;

use super::request::seg;

fn account(account_id: &str) -> String {
    format!("/v4/accounts/{}", seg(account_id))
}

super::api_group! {
    /// Entry point of the experimental API; see [`Client::experimental`](super::Client::experimental).
    Experimental
}

impl Experimental {
    fn client_ref(&self) -> &super::Client {
        &self.client
    }
}

super::sub_api! {
    impl Experimental {
        /// Experimental account endpoints: one account, one account user, their memberships.
        accounts => Accounts;
        /// Experimental file endpoints: bulk get, restore.
        files => Files;
        /// Experimental folder endpoints: restore.
        folders => Folders;
        /// Experimental version stack endpoints: restore, reorder versions.
        version_stacks => VersionStacks;
        /// Experimental group endpoints: delete, members, Adobe groups.
        groups => Groups;
        /// Experimental metadata endpoints: update the values of one file, show one field
        /// definition.
        metadata => Metadata;
        /// Experimental permission endpoints: group roles on workspaces and projects.
        permissions => Permissions;
        /// Session watermark templates.
        session_watermark_templates => SessionWatermarkTemplates;
    }
}
