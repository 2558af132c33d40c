//! Accounts: `GET /v4/accounts` and the account audit log.
//!
//! ```no_run
//! # async fn run(client: frameio_kit::client::Client) -> Result<(), frameio_kit::client::ClientError> {
//! let accounts = client.accounts().list().collect_all().await?;
//! for account in accounts {
//!     println!("{} {}", account.id, account.display_name);
//! }
//! # Ok(()) }
//! ```

use serde::{Deserialize, Serialize};

use super::models::User;
use super::pager::Pager;
use super::request::seg;
use super::users::AccountRole;

/// An account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Adobe id.
    pub adobe_id: Option<String>,
    /// Image URL.
    pub image: Option<String>,
    /// Roles of the current user in this account (e.g. `admin`, `member`).
    pub roles: Vec<AccountRole>,
    /// Storage limit in bytes.
    pub storage_limit: Option<u64>,
    /// Storage used in bytes.
    pub storage_usage: Option<u64>,
    /// Whether mounted storage is enabled.
    pub mounted_storage_enabled: Option<bool>,
    /// Creation time.
    pub created_at: Option<String>,
    /// Last update time.
    pub updated_at: Option<String>,
}

/// One audit log entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuditLog {
    /// Account id.
    pub account_id: String,
    /// What happened (e.g. `asset_deleted`).
    pub event_type: String,
    /// When it happened.
    pub inserted_at: Option<String>,
    /// Client IP address.
    pub ip_address: Option<String>,
    /// Project id, when relevant.
    pub project_id: Option<String>,
    /// Id of the affected resource.
    pub resource_id: Option<String>,
    /// Type of the affected resource.
    pub resource_type: Option<String>,
    /// Acting user (with `include=user`).
    pub user: Option<User>,
    /// Acting user id.
    pub user_id: Option<String>,
    /// Workspace id, when relevant.
    pub workspace_id: Option<String>,
}

/// Filters of [`Accounts::audit_logs`], sent as `filters[<name>]=<value>` query parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLogFilters {
    /// Event type (e.g. `asset_deleted`, `share_created`).
    pub event_type: Option<String>,
    /// Resource type (e.g. `asset`, `project`, `share`).
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Acting user id.
    pub user_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Workspace id.
    pub workspace_id: Option<String>,
    /// Client IP address (IPv4 or IPv6).
    pub ip_address: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub from_date: Option<String>,
    /// Last day, `YYYY-MM-DD`.
    pub to_date: Option<String>,
}

impl Pager<AuditLog> {
    /// Set every filter of `filters` that is `Some` as `filters[<name>]=<value>`.
    pub fn filters(mut self, filters: &AuditLogFilters) -> Self {
        let pairs = [
            ("event_type", &filters.event_type),
            ("resource_type", &filters.resource_type),
            ("resource_id", &filters.resource_id),
            ("user_id", &filters.user_id),
            ("project_id", &filters.project_id),
            ("workspace_id", &filters.workspace_id),
            ("ip_address", &filters.ip_address),
            ("from_date", &filters.from_date),
            ("to_date", &filters.to_date),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                self = self.param(&format!("filters[{name}]"), v);
            }
        }
        self
    }
}

super::api_group! {
    /// Account endpoints; see [`Client::accounts`](super::Client::accounts).
    Accounts
}

impl Accounts {
    /// `GET /v4/accounts`: accounts of the current user.
    pub fn list(&self) -> Pager<Account> {
        self.client.list("/v4/accounts".into())
    }

    /// `GET /v4/accounts/{account_id}/audit_logs` (sent with `api-version: 4.0`). Filters go
    /// through [`Pager::filters`](Pager#method.filters) or [`Pager::param`] (e.g.
    /// `.param("filters[event_type]", "asset_deleted")`).
    pub fn audit_logs(&self, account_id: &str) -> Pager<AuditLog> {
        self.client
            .list(format!("/v4/accounts/{}/audit_logs", seg(account_id)))
            .with_header("api-version", "4.0")
    }
}
