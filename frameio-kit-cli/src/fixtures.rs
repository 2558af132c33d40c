//! Realistic delivery bodies: every webhook event type Frame.io v4 sends, and custom action
//! clicks and form submits.

use serde_json::{Map, Value, json};

/// Every webhook event type Frame.io v4 can send, as listed by the v4 API's webhook creation
/// endpoint ("Valid events", Python SDK `frameio` 4.0.0, `webhooks/raw_client.py`), grouped as
/// Frame.io's guide groups them.
pub(crate) const WEBHOOK_EVENTS: &[&str] = &[
    "project.created",
    "project.updated",
    "project.deleted",
    "file.created",
    "file.ready",
    "file.updated",
    "file.deleted",
    "file.upload.completed",
    "file.versioned",
    "file.copied",
    "folder.created",
    "folder.updated",
    "folder.deleted",
    "folder.copied",
    "comment.created",
    "comment.updated",
    "comment.deleted",
    "comment.completed",
    "comment.uncompleted",
    "metadata.value.updated",
    "collection.created",
    "collection.updated",
    "collection.deleted",
    "customfield.created",
    "customfield.updated",
    "customfield.deleted",
    "share.created",
    "share.updated",
    "share.deleted",
    "share.viewed",
];

/// Default ids: stable, so repeated sends talk about the same objects.
pub(crate) const ACCOUNT_ID: &str = "5b1a3c4d-2e6f-4a7b-8c9d-0e1f2a3b4c5d";
pub(crate) const WORKSPACE_ID: &str = "7c2d4e5f-3a6b-4c8d-9e0f-1a2b3c4d5e6f";
pub(crate) const PROJECT_ID: &str = "9e4f6a7b-5c8d-4e0f-a1b2-3c4d5e6f7a8b";
pub(crate) const USER_ID: &str = "2f8e9d0c-1b2a-4394-8576-a4b3c2d1e0f9";
pub(crate) const ACTION_ID: &str = "4d6e8f0a-2b4c-4d6e-8f0a-2b4c6d8e0f1a";

/// The ids of the object a fixture is about, per resource type.
fn default_resource_id(resource_type: &str) -> &'static str {
    match resource_type {
        "file" => "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e",
        "folder" => "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f",
        "version_stack" => "d3e4f5a6-b7c8-4d9e-0f1a-2b3c4d5e6f7a",
        "project" => PROJECT_ID,
        "comment" => "e4f5a6b7-c8d9-4e0f-1a2b-3c4d5e6f7a8b",
        "collection" => "f5a6b7c8-d9e0-4f1a-2b3c-4d5e6f7a8b9c",
        "customfield" => "a6b7c8d9-e0f1-4a2b-3c4d-5e6f7a8b9c0d",
        "share" => "0a1b2c3d-4e5f-4a6b-7c8d-9e0f1a2b3c4d",
        _ => "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
    }
}

/// The resource type Frame.io puts in a webhook of this event type.
pub(crate) fn webhook_resource_type(event_type: &str) -> &'static str {
    match event_type.split('.').next().unwrap_or_default() {
        "project" => "project",
        "folder" => "folder",
        "comment" => "comment",
        "collection" => "collection",
        "customfield" => "customfield",
        "share" => "share",
        // file.* and metadata.value.updated are about a file.
        _ => "file",
    }
}

/// `true` for a webhook event type Frame.io v4 sends.
pub(crate) fn is_webhook_event(event_type: &str) -> bool {
    WEBHOOK_EVENTS.contains(&event_type)
}

/// The ids a fixture uses; each `None` takes the default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ids {
    pub(crate) account: Option<String>,
    pub(crate) workspace: Option<String>,
    pub(crate) project: Option<String>,
    pub(crate) user: Option<String>,
    pub(crate) resource_type: Option<String>,
    pub(crate) resource_id: Option<String>,
}

impl Ids {
    fn account(&self) -> &str {
        self.account.as_deref().unwrap_or(ACCOUNT_ID)
    }
    fn workspace(&self) -> &str {
        self.workspace.as_deref().unwrap_or(WORKSPACE_ID)
    }
    fn project(&self) -> &str {
        self.project.as_deref().unwrap_or(PROJECT_ID)
    }
    fn user(&self) -> &str {
        self.user.as_deref().unwrap_or(USER_ID)
    }
    fn resource(&self, default_type: &str) -> (String, String) {
        let resource_type = self
            .resource_type
            .clone()
            .unwrap_or_else(|| default_type.to_owned());
        let id = self
            .resource_id
            .clone()
            .unwrap_or_else(|| default_resource_id(&resource_type).to_owned());
        (id, resource_type)
    }
}

/// A webhook delivery body, keys in the order Frame.io sends them.
pub(crate) fn webhook_body(event_type: &str, ids: &Ids) -> Value {
    let (resource_id, resource_type) = ids.resource(webhook_resource_type(event_type));
    json!({
        "account": {"id": ids.account()},
        "project": {"id": ids.project()},
        "resource": {"id": resource_id, "type": resource_type},
        "type": event_type,
        "user": {"id": ids.user()},
        "workspace": {"id": ids.workspace()},
    })
}

/// A custom action delivery body: a first click (`data` absent) or a form submit.
pub(crate) fn action_body(
    event_type: &str,
    ids: &Ids,
    action_id: &str,
    interaction_id: &str,
    data: Option<&Map<String, Value>>,
) -> Value {
    let (resource_id, resource_type) = ids.resource("file");
    let mut body = json!({
        "account_id": ids.account(),
        "action_id": action_id,
        "interaction_id": interaction_id,
        "project": {"id": ids.project()},
        "resource": {"id": resource_id, "type": resource_type},
        "type": event_type,
        "user": {"id": ids.user()},
        "workspace": {"id": ids.workspace()},
    });
    if let (Some(data), Some(object)) = (data, body.as_object_mut()) {
        object.insert("data".to_owned(), Value::Object(data.clone()));
    }
    body
}

/// Parses `key=value` (a string) or `key:=json` (any JSON value) form data.
pub(crate) fn parse_data(pairs: &[String]) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
    for pair in pairs {
        if let Some((key, raw)) = pair.split_once(":=")
            && !key.contains('=')
        {
            let value = serde_json::from_str(raw)
                .map_err(|err| format!("--data {pair:?}: the value after := is not JSON: {err}"))?;
            map.insert(checked_key(key, pair)?, value);
        } else if let Some((key, value)) = pair.split_once('=') {
            map.insert(checked_key(key, pair)?, Value::String(value.to_owned()));
        } else {
            return Err(format!(
                "--data {pair:?}: expected key=value (text) or key:=json (any JSON value)"
            ));
        }
    }
    Ok(map)
}

fn checked_key(key: &str, pair: &str) -> Result<String, String> {
    if key.is_empty() {
        Err(format!("--data {pair:?}: the field name is empty"))
    } else {
        Ok(key.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use frameio_kit::{ActionEvent, WebhookEvent};

    #[test]
    fn every_webhook_fixture_parses_as_a_kit_event() {
        assert_eq!(WEBHOOK_EVENTS.len(), 30);
        for event in WEBHOOK_EVENTS {
            let body = webhook_body(event, &Ids::default());
            let parsed: WebhookEvent = serde_json::from_value(body).unwrap();
            assert_eq!(parsed.event_type(), *event);
            assert_eq!(parsed.account_id(), ACCOUNT_ID);
        }
        let body = webhook_body("comment.created", &Ids::default());
        assert_eq!(body["resource"]["type"], "comment");
        let body = webhook_body("metadata.value.updated", &Ids::default());
        assert_eq!(body["resource"]["type"], "file");
    }

    #[test]
    fn action_fixture_with_data_and_overrides() {
        let ids = Ids {
            account: Some("acc".into()),
            resource_type: Some("folder".into()),
            ..Ids::default()
        };
        let data = parse_data(&["a=1".into(), "b:=true".into(), "c=x=y".into()]).unwrap();
        let body = action_body("rename", &ids, ACTION_ID, "int-1", Some(&data));
        let parsed: ActionEvent = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(parsed.account_id(), "acc");
        assert_eq!(parsed.resource_type().as_str(), "folder");
        assert_eq!(body["data"]["a"], "1");
        assert_eq!(body["data"]["b"], true);
        assert_eq!(body["data"]["c"], "x=y");
        assert!(
            action_body("rename", &ids, ACTION_ID, "i", None)
                .get("data")
                .is_none()
        );
    }

    #[test]
    fn bad_data_is_an_error() {
        assert!(parse_data(&["novalue".into()]).is_err());
        assert!(parse_data(&["=x".into()]).is_err());
        assert!(parse_data(&["k:={".into()]).is_err());
    }
}
