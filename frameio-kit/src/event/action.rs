//! [`ActionEvent`]: what a custom action delivery carries, and its submitted form values.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::form::FormDeserializer;
use super::{Account, Project, Resource, ResourceType, User, Workspace};

/// A custom action delivery: a user clicked an action, or submitted the form an action returned.
/// Read it through its methods.
///
/// [`data`](ActionEvent::data) is `None` on the first click and holds the submitted values
/// after a form submit; read them typed with [`ActionEvent::form`].
///
/// ```
/// use frameio_kit::ActionEvent;
///
/// let body = r#"{"account_id":"a1","action_id":"act1","interaction_id":"i1",
///   "project":{"id":"p1"},"resource":{"id":"f1","type":"file"},"type":"transcribe",
///   "user":{"id":"u1"},"workspace":{"id":"w1"},"data":{"language":"en"}}"#;
/// let event: ActionEvent = serde_json::from_str(body).unwrap();
/// assert_eq!(event.account().id, "a1");
/// assert!(event.is_form_submit());
/// assert_eq!(event.field_str("language"), Some("en"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionEvent {
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    /// Sent as a bare `account_id` string; kept as an [`Account`] like the webhook's.
    #[serde(
        rename = "account_id",
        serialize_with = "account_to_id",
        deserialize_with = "account_from_id"
    )]
    pub(crate) account: Account,
    pub(crate) action_id: String,
    pub(crate) interaction_id: String,
    pub(crate) project: Project,
    pub(crate) resource: Resource,
    pub(crate) user: User,
    pub(crate) workspace: Workspace,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) data: Option<Map<String, Value>>,
    #[serde(skip)]
    pub(crate) timestamp: i64,
}

fn account_to_id<S: Serializer>(account: &Account, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&account.id)
}

fn account_from_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Account, D::Error> {
    String::deserialize(deserializer).map(Account::new)
}

impl ActionEvent {
    /// Builds an event by hand (tests and tools; the dispatcher parses real ones).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        event_type: impl Into<String>,
        account_id: impl Into<String>,
        action_id: impl Into<String>,
        interaction_id: impl Into<String>,
        workspace: Workspace,
        project: Project,
        resource: Resource,
        user: User,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            account: Account::new(account_id),
            action_id: action_id.into(),
            interaction_id: interaction_id.into(),
            project,
            resource,
            user,
            workspace,
            data: None,
            timestamp: 0,
        }
    }

    /// The same event carrying submitted form values (`None`: a first click).
    #[must_use]
    pub fn with_data(mut self, data: Option<Map<String, Value>>) -> Self {
        self.data = data;
        self
    }

    shared_accessors!();

    /// The id of the custom action.
    pub fn action_id(&self) -> &str {
        &self.action_id
    }

    /// The interaction id; it stays the same through a whole chain of forms.
    pub fn interaction_id(&self) -> &str {
        &self.interaction_id
    }

    /// The submitted form values (`None` on the first click).
    pub fn data(&self) -> Option<&Map<String, Value>> {
        self.data.as_ref()
    }

    /// `true` when this delivery carries submitted form values.
    pub fn is_form_submit(&self) -> bool {
        self.data.is_some()
    }

    /// One submitted value, as sent.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.data.as_ref()?.get(name)
    }

    /// One submitted value if it is a JSON string.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.field(name)?.as_str()
    }

    /// Reads the submitted form values into your own type.
    ///
    /// Decoding is lenient the way HTML-ish forms need: a `bool` accepts `true`, `"true"`,
    /// `"on"`, `"yes"`, `"1"`, `1` (and their negatives; `null` and `""` are `false`); numbers
    /// accept numeric strings; strings accept numbers and booleans; an `Option` is `None` for
    /// `null` or an empty string. Missing keys follow your type's serde rules, so use
    /// `#[serde(default)]` for fields a form may leave out.
    ///
    /// ```
    /// use frameio_kit::ActionEvent;
    /// use serde::Deserialize;
    ///
    /// #[derive(Deserialize)]
    /// struct Options { language: String, overwrite: bool, speakers: u8, notes: Option<String> }
    ///
    /// let body = r#"{"account_id":"a","action_id":"b","interaction_id":"c",
    ///   "project":{"id":"p"},"resource":{"id":"r","type":"file"},"type":"t",
    ///   "user":{"id":"u"},"workspace":{"id":"w"},
    ///   "data":{"language":"en","overwrite":"on","speakers":"2","notes":""}}"#;
    /// let event: ActionEvent = serde_json::from_str(body).unwrap();
    /// let options: Options = event.form().unwrap();
    /// assert!(options.overwrite);
    /// assert_eq!(options.speakers, 2);
    /// assert_eq!(options.notes, None);
    /// ```
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, FormError> {
        let data = self.data.as_ref().ok_or(FormError::NoData)?;
        T::deserialize(FormDeserializer(data)).map_err(FormError::Invalid)
    }
}

/// Why submitted form values could not be read with [`ActionEvent::form`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// The delivery is a first click, not a form submit.
    #[error("the delivery carries no form data (it is not a form submit)")]
    NoData,
    /// The values do not fit the requested type.
    #[error("form data does not fit the expected type: {0}")]
    Invalid(#[source] serde_json::Error),
}
