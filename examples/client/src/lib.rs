//! The Frame.io API client in an integration:
//!
//! - [`project_names`] lists every project of a workspace, page after page;
//! - [`comment_when_ready`] is a `file.ready` webhook that posts a comment on the file, using
//!   the app's client (from `FRAMEIO_TOKEN`, or `App::client`).
//!
//! ```sh
//! # list projects
//! FRAMEIO_TOKEN=… cargo run -p client-example -- projects <account_id> <workspace_id>
//! # serve the webhook
//! FRAMEIO_TOKEN=… WEBHOOK_SECRET=… cargo run -p client-example
//! ```

use frameio_kit::client::comments::CreateComment;
use frameio_kit::client::{Client, ClientError};
use frameio_kit::prelude::*;
use futures_util::TryStreamExt;

/// The names of every project in a workspace (the pager follows `links.next`).
pub async fn project_names(
    client: &Client,
    account_id: &str,
    workspace_id: &str,
) -> Result<Vec<String>, ClientError> {
    client
        .projects()
        .list(account_id, workspace_id)
        .map_ok(|project| project.name)
        .try_collect()
        .await
}

/// Posts "Ready for review" on every file Frame.io has finished processing.
#[webhook("file.ready")]
pub async fn comment_when_ready(event: WebhookEvent, client: Client) -> Result<()> {
    let comment = client
        .comments()
        .create(
            event.account_id(),
            event.resource_id(),
            &CreateComment::text("Ready for review."),
        )
        .await?;
    tracing::info!(file = event.resource_id(), comment = %comment.id, "commented");
    Ok(())
}
