//! Users: the current user (`/v4/me`) and the users of an account.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! let me = client.users().me().await?;
//! let users = client.users().list("account-id").include_deactivated(true).collect_all().await?;
//! println!("{} sees {} users", me.email, users.len());
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::{User, open_enum};
use super::pager::Pager;
use super::request::{ApiRequest, seg};

/// The signed-in user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Profile {
    /// User id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

open_enum! {
    /// Role of a user in an account.
    pub enum AccountRole {
        /// Account administrator.
        Admin => "admin",
        /// Member.
        Member => "member",
        /// Reviewer.
        Reviewer => "reviewer",
        /// Account owner.
        Owner => "owner",
    }
}

/// A user of an account and their role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountUser {
    /// Role in the account.
    pub role: Option<AccountRole>,
    /// The user.
    pub user: User,
}

super::api_group! {
    /// User endpoints; see [`Client::users`](super::Client::users).
    Users
}

impl Users {
    /// `GET /v4/me`: the user the token belongs to.
    pub fn me(&self) -> ApiRequest<Profile> {
        self.client.get("/v4/me".into())
    }

    /// `GET /v4/accounts/{account_id}/users`: users of an account.
    pub fn list(&self, account_id: &str) -> Pager<AccountUser> {
        self.client
            .list(format!("/v4/accounts/{}/users", seg(account_id)))
    }
}

impl Pager<AccountUser> {
    /// Also list deactivated users (`include_deactivated`).
    pub fn include_deactivated(self, yes: bool) -> Self {
        self.param("include_deactivated", yes)
    }
}
