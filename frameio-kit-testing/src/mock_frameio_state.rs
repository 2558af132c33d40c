//! Stateful Frame.io resources for [`MockFrameio`]: webhooks and custom actions that behave
//! like Frame.io's (create returns a fresh signing secret, list / show / update / delete,
//! 404 after delete), accounts and workspaces (listings and `GET` of one workspace) and
//! `GET /v4/me`.
//!
//! Turn them on with [`MockFrameio::add_account`], [`MockFrameio::add_workspace`],
//! [`MockFrameio::set_me`] or [`MockFrameio::enable_resources`]. Routes programmed with
//! [`MockFrameio::on`] still win over these.
//!
//! ```
//! use frameio_kit_testing::MockFrameio;
//!
//! # frameio_kit_testing::block_on(async {
//! let mock = MockFrameio::start().await?;
//! mock.add_account("acc-1", "Acme");
//! mock.add_workspace("acc-1", "ws-1", "Marketing");
//! // … install something with a client pointed at mock.base_url() …
//! assert!(mock.webhooks().is_empty());
//! # Ok::<(), std::io::Error>(())
//! # }).unwrap().unwrap();
//! ```

use std::collections::BTreeMap;

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::mock_frameio::{MockFrameio, MockResponse};

/// A webhook as the mock holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockWebhook {
    /// Id.
    pub id: String,
    /// Account.
    pub account_id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Name.
    pub name: String,
    /// Delivery URL.
    pub url: String,
    /// Event types.
    pub events: Vec<String>,
    /// Active flag.
    pub active: bool,
    /// The signing secret Frame.io would sign deliveries with.
    pub secret: String,
    /// Creation order (larger is newer).
    pub created: u64,
}

/// A custom action as the mock holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockAction {
    /// Id.
    pub id: String,
    /// Account.
    pub account_id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Menu name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Event key.
    pub event: String,
    /// Delivery URL.
    pub url: String,
    /// Active flag.
    pub active: bool,
    /// The signing secret.
    pub secret: String,
    /// Creation order (larger is newer).
    pub created: u64,
}

/// The mock's resource state.
#[derive(Debug, Default)]
pub(crate) struct Resources {
    enabled: bool,
    me: Option<Value>,
    accounts: Vec<Value>,
    workspaces: Vec<Value>,
    webhooks: BTreeMap<String, MockWebhook>,
    actions: BTreeMap<String, MockAction>,
    counter: u64,
}

fn not_found(what: &str) -> MockResponse {
    MockResponse::error(404, "Not Found", &format!("{what} not found"))
}

fn invalid(detail: &str) -> MockResponse {
    MockResponse::error(422, "Invalid request", detail)
}

fn fresh_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

fn list(items: Vec<Value>) -> MockResponse {
    MockResponse::json(200, json!({ "data": items, "links": { "next": null } }))
}

impl MockWebhook {
    fn to_json(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "url": self.url, "events": self.events,
            "active": self.active, "workspace_id": self.workspace_id,
        });
        if with_secret {
            v["secret"] = json!(self.secret);
        }
        v
    }
}

impl MockAction {
    fn to_json(&self, with_secret: bool) -> Value {
        let mut v = json!({
            "id": self.id, "name": self.name, "description": self.description,
            "event": self.event, "url": self.url, "active": self.active,
            "workspace_id": self.workspace_id,
        });
        if with_secret {
            v["secret"] = json!(self.secret);
        }
        v
    }
}

fn string(data: &Value, key: &str) -> Option<String> {
    data.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn strings(data: &Value, key: &str) -> Option<Vec<String>> {
    data.get(key).and_then(Value::as_array).map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

impl Resources {
    /// Answers a request no programmed route matched, if it is one of the stateful
    /// resources. `body` is the request's JSON body.
    pub(crate) fn handle(
        &mut self,
        method: &Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<MockResponse> {
        if !self.enabled {
            return None;
        }
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let data = body
            .and_then(|b| b.get("data").cloned())
            .unwrap_or(Value::Null);
        let m = method.clone();
        Some(match segments.as_slice() {
            ["v4", "me"] if m == Method::GET => match &self.me {
                Some(me) => MockResponse::data(200, me.clone()),
                None => not_found("user"),
            },
            ["v4", "accounts"] if m == Method::GET => list(self.accounts.clone()),
            ["v4", "accounts", account, "workspaces"] if m == Method::GET => list(
                self.workspaces
                    .iter()
                    .filter(|w| w["account_id"] == *account)
                    .cloned()
                    .collect(),
            ),
            ["v4", "accounts", account, "workspaces", workspace] if m == Method::GET => {
                match self
                    .workspaces
                    .iter()
                    .find(|w| w["account_id"] == *account && w["id"] == *workspace)
                {
                    Some(w) => MockResponse::data(200, w.clone()),
                    None => not_found("workspace"),
                }
            }
            [
                "v4",
                "accounts",
                account,
                "workspaces",
                workspace,
                kind @ ("webhooks" | "actions"),
            ] => {
                if !self.workspace_exists(account, workspace) {
                    return Some(not_found("workspace"));
                }
                match (m, *kind) {
                    (Method::GET, "webhooks") => list(
                        self.webhooks
                            .values()
                            .filter(|w| w.account_id == *account && w.workspace_id == *workspace)
                            .map(|w| w.to_json(false))
                            .collect(),
                    ),
                    (Method::GET, _) => list(
                        self.actions
                            .values()
                            .filter(|a| a.account_id == *account && a.workspace_id == *workspace)
                            .map(|a| a.to_json(false))
                            .collect(),
                    ),
                    (Method::POST, "webhooks") => self.create_webhook(account, workspace, &data),
                    (Method::POST, _) => self.create_action(account, workspace, &data),
                    _ => return None,
                }
            }
            ["v4", "accounts", account, "webhooks", id] => {
                let Some(w) = self
                    .webhooks
                    .get_mut(*id)
                    .filter(|w| w.account_id == *account)
                else {
                    return Some(not_found("webhook"));
                };
                match m {
                    Method::GET => MockResponse::data(200, w.to_json(false)),
                    Method::PATCH => {
                        if let Some(v) = string(&data, "name") {
                            w.name = v;
                        }
                        if let Some(v) = string(&data, "url") {
                            w.url = v;
                        }
                        if let Some(v) = strings(&data, "events") {
                            w.events = v;
                        }
                        if let Some(v) = data.get("active").and_then(Value::as_bool) {
                            w.active = v;
                        }
                        MockResponse::data(200, w.to_json(false))
                    }
                    Method::DELETE => {
                        self.webhooks.remove(*id);
                        MockResponse::new(204)
                    }
                    _ => return None,
                }
            }
            ["v4", "accounts", account, "actions", id] => {
                let Some(a) = self
                    .actions
                    .get_mut(*id)
                    .filter(|a| a.account_id == *account)
                else {
                    return Some(not_found("custom action"));
                };
                match m {
                    Method::GET => MockResponse::data(200, a.to_json(false)),
                    Method::PATCH => {
                        for (key, field) in [
                            ("name", &mut a.name),
                            ("description", &mut a.description),
                            ("url", &mut a.url),
                            ("event", &mut a.event),
                        ] {
                            if let Some(v) = string(&data, key) {
                                *field = v;
                            }
                        }
                        if let Some(v) = data.get("active").and_then(Value::as_bool) {
                            a.active = v;
                        }
                        MockResponse::data(200, a.to_json(false))
                    }
                    Method::DELETE => {
                        self.actions.remove(*id);
                        MockResponse::new(204)
                    }
                    _ => return None,
                }
            }
            _ => return None,
        })
    }

    fn workspace_exists(&self, account: &str, workspace: &str) -> bool {
        self.workspaces
            .iter()
            .any(|w| w["account_id"] == account && w["id"] == workspace)
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn create_webhook(&mut self, account: &str, workspace: &str, data: &Value) -> MockResponse {
        let (Some(name), Some(url), Some(events)) = (
            string(data, "name"),
            string(data, "url"),
            strings(data, "events"),
        ) else {
            return invalid("name, url and events are required");
        };
        if events.is_empty() || !url.starts_with("http") {
            return invalid("events must not be empty and url must be http(s)");
        }
        let webhook = MockWebhook {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: account.to_owned(),
            workspace_id: workspace.to_owned(),
            name,
            url,
            events,
            active: true,
            secret: fresh_secret(),
            created: self.next(),
        };
        let body = webhook.to_json(true);
        self.webhooks.insert(webhook.id.clone(), webhook);
        MockResponse::data(201, body)
    }

    fn create_action(&mut self, account: &str, workspace: &str, data: &Value) -> MockResponse {
        let (Some(name), Some(event), Some(url)) = (
            string(data, "name"),
            string(data, "event"),
            string(data, "url"),
        ) else {
            return invalid("name, event and url are required");
        };
        let action = MockAction {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: account.to_owned(),
            workspace_id: workspace.to_owned(),
            name,
            description: string(data, "description").unwrap_or_default(),
            event,
            url,
            active: true,
            secret: fresh_secret(),
            created: self.next(),
        };
        let body = action.to_json(true);
        self.actions.insert(action.id.clone(), action);
        MockResponse::data(201, body)
    }
}

impl MockFrameio {
    /// Turns on the stateful resources (webhooks, custom actions, accounts, workspaces,
    /// `/v4/me`).
    pub fn enable_resources(&self) {
        self.with_resources(|r| r.enabled = true);
    }

    /// Adds an account to `GET /v4/accounts` (and turns the resources on).
    pub fn add_account(&self, id: &str, name: &str) {
        self.with_resources(|r| {
            r.enabled = true;
            r.accounts
                .push(json!({ "id": id, "display_name": name, "roles": ["admin"] }));
        });
    }

    /// Adds a workspace to `GET /v4/accounts/{account}/workspaces`; webhooks and actions can
    /// be created in it.
    pub fn add_workspace(&self, account_id: &str, id: &str, name: &str) {
        self.with_resources(|r| {
            r.enabled = true;
            r.workspaces
                .push(json!({ "id": id, "account_id": account_id, "name": name }));
        });
    }

    /// What `GET /v4/me` answers.
    pub fn set_me(&self, id: &str, name: &str, email: &str) {
        self.with_resources(|r| {
            r.enabled = true;
            r.me = Some(json!({ "id": id, "name": name, "email": email }));
        });
    }

    /// Every webhook that exists now, oldest first.
    pub fn webhooks(&self) -> Vec<MockWebhook> {
        let mut all: Vec<_> = self.with_resources(|r| r.webhooks.values().cloned().collect());
        all.sort_by_key(|w: &MockWebhook| w.created);
        all
    }

    /// Every custom action that exists now, oldest first.
    pub fn actions(&self) -> Vec<MockAction> {
        let mut all: Vec<_> = self.with_resources(|r| r.actions.values().cloned().collect());
        all.sort_by_key(|a: &MockAction| a.created);
        all
    }
}
