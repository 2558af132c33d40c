//! Typed Frame.io deliveries: [`WebhookEvent`] and [`ActionEvent`].
//!
//! Both are parsed straight from the raw request body after the type check and before the
//! signature check (see the crate docs for the full pipeline). Unknown JSON keys are accepted
//! and ignored, so new fields Frame.io adds never break an integration.
//!
//! The request timestamp is never read from the body: it always comes from the
//! `X-Frameio-Request-Timestamp` header, which is what the signature covers.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A reference to an object by id, as Frame.io nests them (`{"id": "…"}`).
macro_rules! id_struct {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            /// The object's id (a UUID string in practice).
            pub id: String,
        }

        impl $name {
            /// Creates a reference to the object with this id.
            pub fn new(id: impl Into<String>) -> Self {
                Self { id: id.into() }
            }
        }
    };
}

id_struct!(
    /// The account a delivery belongs to.
    Account
);
id_struct!(
    /// The project a delivery belongs to.
    Project
);
id_struct!(
    /// The user whose activity caused the delivery (for actions: the user who clicked).
    User
);
id_struct!(
    /// The workspace a delivery belongs to.
    Workspace
);

/// The kind of object a delivery is about.
///
/// Frame.io documents `file`, `folder` and `version_stack`; any other value is kept as
/// [`ResourceType::Other`] instead of being rejected, because Frame.io may add types.
///
/// ```
/// use frameio_kit::ResourceType;
///
/// assert_eq!(ResourceType::from("version_stack"), ResourceType::VersionStack);
/// assert_eq!(ResourceType::from("comment").as_str(), "comment");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// A file.
    File,
    /// A folder.
    Folder,
    /// A version stack (several versions of one file).
    VersionStack,
    /// A type this version of frameio-kit does not know yet, with its wire name.
    Other(String),
}

impl ResourceType {
    /// The wire name, e.g. `"version_stack"`.
    pub fn as_str(&self) -> &str {
        match self {
            Self::File => "file",
            Self::Folder => "folder",
            Self::VersionStack => "version_stack",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for ResourceType {
    fn from(value: &str) -> Self {
        match value {
            "file" => Self::File,
            "folder" => Self::Folder,
            "version_stack" => Self::VersionStack,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl From<String> for ResourceType {
    fn from(value: String) -> Self {
        match value.as_str() {
            "file" | "folder" | "version_stack" => Self::from(value.as_str()),
            _ => Self::Other(value),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResourceType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(match raw {
            Cow::Borrowed(s) => Self::from(s),
            Cow::Owned(s) => Self::from(s),
        })
    }
}

/// The object a delivery is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Resource {
    /// The object's id.
    pub id: String,
    /// What kind of object it is.
    #[serde(rename = "type")]
    pub resource_type: ResourceType,
}

impl Resource {
    /// Creates a resource reference.
    pub fn new(id: impl Into<String>, resource_type: impl Into<ResourceType>) -> Self {
        Self {
            id: id.into(),
            resource_type: resource_type.into(),
        }
    }
}

/// A webhook delivery, such as `file.ready` or `comment.created`.
///
/// ```
/// use frameio_kit::WebhookEvent;
///
/// let body = r#"{"account":{"id":"a1"},"project":{"id":"p1"},
///   "resource":{"id":"f1","type":"file"},"type":"file.ready",
///   "user":{"id":"u1"},"workspace":{"id":"w1"},"something_new":true}"#;
/// let event: WebhookEvent = serde_json::from_str(body).unwrap();
/// assert_eq!(event.event_type, "file.ready");
/// assert_eq!(event.resource_id(), "f1");
/// assert_eq!(event.account_id(), "a1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// The event type, e.g. `file.ready`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The account the event happened in.
    pub account: Account,
    /// The project the event happened in.
    pub project: Project,
    /// The object the event is about.
    pub resource: Resource,
    /// The user whose activity caused the event.
    pub user: User,
    /// The workspace the event happened in.
    pub workspace: Workspace,
    /// Unix seconds from the `X-Frameio-Request-Timestamp` header (0 until dispatch sets it).
    #[serde(skip)]
    pub timestamp: i64,
}

impl WebhookEvent {
    /// Builds an event by hand (tests and tools; the dispatcher parses real ones).
    pub fn new(
        event_type: impl Into<String>,
        account: Account,
        workspace: Workspace,
        project: Project,
        resource: Resource,
        user: User,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            account,
            project,
            resource,
            user,
            workspace,
            timestamp: 0,
        }
    }

    /// The id of the resource the event is about.
    pub fn resource_id(&self) -> &str {
        &self.resource.id
    }

    /// The kind of resource the event is about.
    pub fn resource_type(&self) -> &ResourceType {
        &self.resource.resource_type
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account.id
    }

    /// The id of the user whose activity caused the event.
    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.project.id
    }

    /// The workspace id.
    pub fn workspace_id(&self) -> &str {
        &self.workspace.id
    }
}

/// A custom action delivery: a user clicked an action, or submitted the form an action returned.
///
/// `data` is `None` on the first click and holds the submitted values after a form submit;
/// read them typed with [`ActionEvent::form`].
///
/// ```
/// use frameio_kit::ActionEvent;
///
/// let body = r#"{"account_id":"a1","action_id":"act1","interaction_id":"i1",
///   "project":{"id":"p1"},"resource":{"id":"f1","type":"file"},"type":"transcribe",
///   "user":{"id":"u1"},"workspace":{"id":"w1"},"data":{"language":"en"}}"#;
/// let event: ActionEvent = serde_json::from_str(body).unwrap();
/// assert!(event.is_form_submit());
/// assert_eq!(event.field_str("language"), Some("en"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActionEvent {
    /// The event key chosen when the action was configured, e.g. `transcribe`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The account id.
    pub account_id: String,
    /// The id of the custom action.
    pub action_id: String,
    /// The interaction id; it stays the same through a whole chain of forms.
    pub interaction_id: String,
    /// The project the action was used in.
    pub project: Project,
    /// The object the action was used on.
    pub resource: Resource,
    /// The user who clicked.
    pub user: User,
    /// The workspace the action was used in.
    pub workspace: Workspace,
    /// The submitted form values (`None` on the first click).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// Unix seconds from the `X-Frameio-Request-Timestamp` header (0 until dispatch sets it).
    #[serde(skip)]
    pub timestamp: i64,
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
            account_id: account_id.into(),
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

    /// The id of the resource the action was used on.
    pub fn resource_id(&self) -> &str {
        &self.resource.id
    }

    /// The kind of resource the action was used on.
    pub fn resource_type(&self) -> &ResourceType {
        &self.resource.resource_type
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The id of the user who clicked.
    pub fn user_id(&self) -> &str {
        &self.user.id
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.project.id
    }

    /// The workspace id.
    pub fn workspace_id(&self) -> &str {
        &self.workspace.id
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

/// Deserializes a map of submitted values with lenient scalars.
struct FormDeserializer<'a>(&'a Map<String, Value>);

impl<'de> Deserializer<'de> for FormDeserializer<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(FormMap {
            iter: self.0.iter(),
            pending: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct FormMap<'a> {
    iter: serde_json::map::Iter<'a>,
    pending: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for FormMap<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match self.iter.next() {
            Some((key, value)) => {
                self.pending = Some(value);
                let key = de::value::BorrowedStrDeserializer::<'de, serde_json::Error>::new(key);
                seed.deserialize(key).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let value = self
            .pending
            .take()
            .ok_or_else(|| de::Error::custom("form value requested before its key"))?;
        seed.deserialize(Lenient(value))
    }
}

/// One submitted value, decoded leniently.
struct Lenient<'a>(&'a Value);

fn lenient_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" | "checked" => Some(true),
            "false" | "off" | "no" | "0" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

macro_rules! lenient_number {
    ($($method:ident => $visit:ident : $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0 {
                Value::String(s) => match s.trim().parse::<$ty>() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::invalid_value(
                        de::Unexpected::Str(s),
                        &concat!("a number (", stringify!($ty), ")"),
                    )),
                },
                other => other.$method(visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for Lenient<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match lenient_bool(self.0) {
            Some(b) => visitor.visit_bool(b),
            None => Err(de::Error::invalid_value(
                unexpected(self.0),
                &"a checkbox value (true/false, \"on\"/\"off\", \"1\"/\"0\")",
            )),
        }
    }

    lenient_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Number(n) => visitor.visit_string(n.to_string()),
            Value::Bool(b) => visitor.visit_string(b.to_string()),
            other => other.deserialize_str(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            Value::String(s) if s.is_empty() => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.0 {
            Value::Array(items) => visitor.visit_seq(LenientSeq(items.iter())),
            other => other.deserialize_seq(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple
        tuple_struct map struct identifier ignored_any
    }
}

struct LenientSeq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for LenientSeq<'de> {
    type Error = serde_json::Error;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0
            .next()
            .map(|value| seed.deserialize(Lenient(value)))
            .transpose()
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match n.as_f64() {
            Some(f) => de::Unexpected::Float(f),
            None => de::Unexpected::Other("number"),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action_with(data: Value) -> ActionEvent {
        let mut body = json!({
            "account_id": "a", "action_id": "b", "interaction_id": "c",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "t", "user": {"id": "u"}, "workspace": {"id": "w"}
        });
        body["data"] = data;
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn resource_types_round_trip_and_keep_unknown_values() {
        for (wire, ty) in [
            ("file", ResourceType::File),
            ("folder", ResourceType::Folder),
            ("version_stack", ResourceType::VersionStack),
            ("comment", ResourceType::Other("comment".into())),
        ] {
            let parsed: ResourceType = serde_json::from_value(json!(wire)).unwrap();
            assert_eq!(parsed, ty);
            assert_eq!(serde_json::to_value(&parsed).unwrap(), json!(wire));
            assert_eq!(ResourceType::from(wire.to_owned()), ty);
        }
    }

    #[test]
    fn webhook_requires_its_model_fields() {
        let missing_user = json!({
            "account": {"id": "a"}, "project": {"id": "p"},
            "resource": {"id": "r", "type": "file"}, "type": "file.ready",
            "workspace": {"id": "w"}
        });
        assert!(serde_json::from_value::<WebhookEvent>(missing_user).is_err());
    }

    #[test]
    fn first_click_has_no_form() {
        let mut event = action_with(json!(null));
        event.data = None;
        assert!(!event.is_form_submit());
        assert!(matches!(event.form::<Value>(), Err(FormError::NoData)));
    }

    #[test]
    fn checkboxes_are_parsed_leniently() {
        #[derive(Deserialize)]
        struct F {
            a: bool,
            b: bool,
            c: bool,
            d: bool,
            e: bool,
            f: bool,
        }
        let event = action_with(json!({
            "a": true, "b": "true", "c": "on", "d": "off", "e": "", "f": 1
        }));
        let f: F = event.form().unwrap();
        assert!(f.a && f.b && f.c && !f.d && !f.e && f.f);
    }

    #[test]
    fn bad_checkbox_value_is_an_error_naming_the_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct F {
            a: bool,
        }
        let err = action_with(json!({"a": "maybe"})).form::<F>().unwrap_err();
        assert!(err.to_string().contains("maybe"), "{err}");
    }

    #[test]
    fn numbers_strings_options_and_lists_are_lenient() {
        #[derive(Deserialize)]
        struct F {
            n: u32,
            x: f64,
            s: String,
            t: String,
            o: Option<String>,
            p: Option<u8>,
            list: Vec<bool>,
            #[serde(default)]
            missing: Option<String>,
        }
        let event = action_with(json!({
            "n": " 42 ", "x": "1.5", "s": 7, "t": false, "o": "", "p": "3",
            "list": ["on", false], "extra": "ignored"
        }));
        let f: F = event.form().unwrap();
        assert_eq!(f.n, 42);
        assert_eq!(f.x, 1.5);
        assert_eq!(f.s, "7");
        assert_eq!(f.t, "false");
        assert_eq!(f.o, None);
        assert_eq!(f.p, Some(3));
        assert_eq!(f.list, vec![true, false]);
        assert_eq!(f.missing, None);
    }

    #[test]
    fn non_numeric_string_for_number_is_an_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct F {
            n: u32,
        }
        assert!(action_with(json!({"n": "many"})).form::<F>().is_err());
    }
}
