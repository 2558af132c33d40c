//! What a custom action answers: a [`Message`] that closes the interaction, or a [`Form`]
//! whose submit comes back as a new delivery carrying the values.
//!
//! Serialization is compact JSON with keys in Frame.io's order and empty values left out:
//!
//! ```
//! use frameio_kit::{Form, Message, SelectField, TextField};
//!
//! let message = Message::new("Success!", "It worked.");
//! assert_eq!(
//!     serde_json::to_string(&message).unwrap(),
//!     r#"{"title":"Success!","description":"It worked."}"#
//! );
//!
//! let form = Form::new("Transcribe", "Choose options")
//!     .field(TextField::new("Title", "title").value("clip.mp4"))
//!     .field(SelectField::new("Language", "language").option("English", "en").value("en"));
//! assert_eq!(
//!     serde_json::to_string(&form).unwrap(),
//!     concat!(
//!         r#"{"title":"Transcribe","description":"Choose options","fields":["#,
//!         r#"{"label":"Title","name":"title","type":"text","value":"clip.mp4"},"#,
//!         r#"{"label":"Language","name":"language","type":"select","#,
//!         r#""options":[{"name":"English","value":"en"}],"value":"en"}]}"#
//!     )
//! );
//! ```

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// A message shown to the user; it closes the interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Message {
    /// The heading.
    pub title: String,
    /// The text under the heading.
    pub description: String,
}

impl Message {
    /// Creates a message.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: description.into(),
        }
    }
}

/// A form shown to the user. Its submit arrives as a new [`ActionEvent`](crate::ActionEvent)
/// with the same `interaction_id` and the values in `data`, keyed by field name.
///
/// A form needs at least one field, and field names must be unique: the dispatcher refuses
/// to send a form that breaks either rule (the delivery gets a 500 and the reason is logged),
/// and [`Form::validate`] lets you check earlier.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Form {
    /// The heading.
    pub title: String,
    /// The text under the heading.
    pub description: String,
    /// The inputs, in display order.
    pub fields: Vec<FormField>,
}

impl Form {
    /// Creates a form with no fields yet; add them with [`Form::field`].
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: description.into(),
            fields: Vec::new(),
        }
    }

    /// Adds a field.
    #[must_use]
    pub fn field(mut self, field: impl Into<FormField>) -> Self {
        self.fields.push(field.into());
        self
    }

    /// Checks the rules Frame.io relies on: at least one field, unique field names, and
    /// select values that name one of their options.
    pub fn validate(&self) -> Result<(), ResponseError> {
        if self.fields.is_empty() {
            return Err(ResponseError::EmptyForm);
        }
        for (i, field) in self.fields.iter().enumerate() {
            let name = field.name();
            if name.is_empty() {
                return Err(ResponseError::EmptyFieldName {
                    label: field.label().to_owned(),
                });
            }
            if self.fields[..i].iter().any(|f| f.name() == name) {
                return Err(ResponseError::DuplicateField {
                    name: name.to_owned(),
                });
            }
            if let FormField::Select(select) = field {
                if select.options.is_empty() {
                    return Err(ResponseError::SelectWithoutOptions {
                        name: name.to_owned(),
                    });
                }
                if let Some(value) = &select.value
                    && !select.options.iter().any(|o| &o.value == value)
                {
                    return Err(ResponseError::UnknownSelectValue {
                        name: name.to_owned(),
                        value: value.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Why an action's answer cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// A form with no fields.
    #[error("a form needs at least one field")]
    EmptyForm,
    /// Two fields share a name, so their values would collide.
    #[error("form field name `{name}` is used twice")]
    DuplicateField {
        /// The repeated name.
        name: String,
    },
    /// A field without a name cannot be submitted.
    #[error("form field `{label}` has an empty name")]
    EmptyFieldName {
        /// The field's label.
        label: String,
    },
    /// A select with nothing to choose.
    #[error("select field `{name}` has no options")]
    SelectWithoutOptions {
        /// The field's name.
        name: String,
    },
    /// A select whose preset value is none of its options.
    #[error("select field `{name}` has value `{value}`, which is none of its options")]
    UnknownSelectValue {
        /// The field's name.
        name: String,
        /// The preset value.
        value: String,
    },
}

/// One input of a [`Form`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FormField {
    /// A single-line text input.
    Text(TextField),
    /// A multi-line text input.
    Textarea(TextareaField),
    /// A drop-down list.
    Select(SelectField),
    /// A checkbox.
    Checkbox(CheckboxField),
    /// A link the user can follow (shown, not submitted).
    Link(LinkField),
}

impl FormField {
    /// The field's name (the key of its value in the submitted `data`).
    pub fn name(&self) -> &str {
        match self {
            Self::Text(f) => &f.name,
            Self::Textarea(f) => &f.name,
            Self::Select(f) => &f.name,
            Self::Checkbox(f) => &f.name,
            Self::Link(f) => &f.name,
        }
    }

    /// The field's label.
    pub fn label(&self) -> &str {
        match self {
            Self::Text(f) => &f.label,
            Self::Textarea(f) => &f.label,
            Self::Select(f) => &f.label,
            Self::Checkbox(f) => &f.label,
            Self::Link(f) => &f.label,
        }
    }

    /// The wire name of the field's type (`text`, `textarea`, `select`, `checkbox`, `link`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Textarea(_) => "textarea",
            Self::Select(_) => "select",
            Self::Checkbox(_) => "checkbox",
            Self::Link(_) => "link",
        }
    }
}

/// The wire form of a field value.
#[derive(Serialize)]
#[serde(untagged)]
enum WireValue<'a> {
    Text(&'a str),
    Bool(bool),
}

impl Serialize for FormField {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (options, value) = match self {
            Self::Text(f) => (None, f.value.as_deref().map(WireValue::Text)),
            Self::Textarea(f) => (None, f.value.as_deref().map(WireValue::Text)),
            Self::Select(f) => (Some(&f.options), f.value.as_deref().map(WireValue::Text)),
            Self::Checkbox(f) => (None, f.value.map(WireValue::Bool)),
            Self::Link(f) => (None, Some(WireValue::Text(&f.value))),
        };
        let len = 3 + usize::from(options.is_some()) + usize::from(value.is_some());
        let mut out = serializer.serialize_struct("FormField", len)?;
        out.serialize_field("label", self.label())?;
        out.serialize_field("name", self.name())?;
        out.serialize_field("type", self.type_name())?;
        match options {
            Some(options) => out.serialize_field("options", options)?,
            None => out.skip_field("options")?,
        }
        match value {
            Some(value) => out.serialize_field("value", &value)?,
            None => out.skip_field("value")?,
        }
        out.end()
    }
}

macro_rules! text_like_field {
    ($(#[$meta:meta])* $name:ident, $variant:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct $name {
            /// What the user sees.
            pub label: String,
            /// The key of the value in the submitted `data`.
            pub name: String,
            /// The pre-filled value.
            pub value: Option<String>,
        }

        impl $name {
            /// Creates the field with a label and a name.
            pub fn new(label: impl Into<String>, name: impl Into<String>) -> Self {
                Self { label: label.into(), name: name.into(), value: None }
            }

            /// Pre-fills the field.
            #[must_use]
            pub fn value(mut self, value: impl Into<String>) -> Self {
                self.value = Some(value.into());
                self
            }
        }

        impl From<$name> for FormField {
            fn from(field: $name) -> Self {
                FormField::$variant(field)
            }
        }
    };
}

text_like_field!(
    /// A single-line text input.
    TextField,
    Text
);
text_like_field!(
    /// A multi-line text input.
    TextareaField,
    Textarea
);

/// One choice of a [`SelectField`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SelectOption {
    /// What the user sees.
    pub name: String,
    /// What is submitted when chosen.
    pub value: String,
}

impl SelectOption {
    /// Creates an option.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A drop-down list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SelectField {
    /// What the user sees.
    pub label: String,
    /// The key of the value in the submitted `data`.
    pub name: String,
    /// The choices, in display order.
    pub options: Vec<SelectOption>,
    /// The pre-selected option's value.
    pub value: Option<String>,
}

impl SelectField {
    /// Creates the field with a label and a name; add choices with [`SelectField::option`].
    pub fn new(label: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            name: name.into(),
            options: Vec::new(),
            value: None,
        }
    }

    /// Adds a choice shown as `name` and submitted as `value`.
    #[must_use]
    pub fn option(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.push(SelectOption::new(name, value));
        self
    }

    /// Pre-selects the option with this value.
    #[must_use]
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = Some(value.into());
        self
    }
}

impl From<SelectField> for FormField {
    fn from(field: SelectField) -> Self {
        FormField::Select(field)
    }
}

/// A checkbox. Its submitted value is read leniently by [`ActionEvent::form`](crate::ActionEvent::form).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckboxField {
    /// What the user sees.
    pub label: String,
    /// The key of the value in the submitted `data`.
    pub name: String,
    /// The initial state.
    pub value: Option<bool>,
}

impl CheckboxField {
    /// Creates the field with a label and a name.
    pub fn new(label: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            name: name.into(),
            value: None,
        }
    }

    /// Sets the initial state.
    #[must_use]
    pub fn value(mut self, checked: bool) -> Self {
        self.value = Some(checked);
        self
    }
}

impl From<CheckboxField> for FormField {
    fn from(field: CheckboxField) -> Self {
        FormField::Checkbox(field)
    }
}

/// A link shown in a form (for example a sign-in or a result URL).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkField {
    /// What the user sees.
    pub label: String,
    /// The field's name.
    pub name: String,
    /// The URL.
    pub value: String,
}

impl LinkField {
    /// Creates a link field.
    pub fn new(label: impl Into<String>, name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            name: name.into(),
            value: url.into(),
        }
    }
}

impl From<LinkField> for FormField {
    fn from(field: LinkField) -> Self {
        FormField::Link(field)
    }
}

/// What an action handler answers: a [`Message`], a [`Form`], or nothing (Frame.io then gets
/// a plain `200 OK`).
///
/// Handlers may return any type that converts into it, so `Ok(Message::new(..))`,
/// `Ok(form)` and `Ok(())` all work.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum ActionResponse {
    /// Close the interaction with a message.
    Message(Message),
    /// Ask for input.
    Form(Form),
    /// Answer `200 OK` with no content.
    #[default]
    None,
}

impl ActionResponse {
    /// The JSON body to send, or `None` for [`ActionResponse::None`].
    ///
    /// Fails when the answer breaks a rule Frame.io relies on (see [`Form::validate`]).
    pub fn to_json(&self) -> Result<Option<Vec<u8>>, ResponseError> {
        // Serializing these types into a Vec cannot fail: every map key is a string.
        let body = match self {
            Self::Message(message) => serde_json::to_vec(message),
            Self::Form(form) => {
                form.validate()?;
                serde_json::to_vec(form)
            }
            Self::None => return Ok(None),
        };
        Ok(Some(body.unwrap_or_default()))
    }
}

impl From<Message> for ActionResponse {
    fn from(message: Message) -> Self {
        Self::Message(message)
    }
}

impl From<Form> for ActionResponse {
    fn from(form: Form) -> Self {
        Self::Form(form)
    }
}

impl From<()> for ActionResponse {
    fn from((): ()) -> Self {
        Self::None
    }
}

impl<T: Into<ActionResponse>> From<Option<T>> for ActionResponse {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::None, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_form_matches_protocol_byte_for_byte() {
        let form = Form::new("…", "…")
            .field(TextField::new("Title", "title").value("clip.mp4"))
            .field(TextareaField::new("Notes", "notes"))
            .field(
                SelectField::new("Captions", "captions")
                    .option("Off", "off")
                    .option("On", "on")
                    .value("off"),
            )
            .field(CheckboxField::new("Overwrite?", "overwrite").value(false))
            .field(LinkField::new("Result", "result", "https://example.com"));
        let expected = concat!(
            r#"{"title":"…","description":"…","fields":["#,
            r#"{"label":"Title","name":"title","type":"text","value":"clip.mp4"},"#,
            r#"{"label":"Notes","name":"notes","type":"textarea"},"#,
            r#"{"label":"Captions","name":"captions","type":"select","#,
            r#""options":[{"name":"Off","value":"off"},{"name":"On","value":"on"}],"value":"off"},"#,
            r#"{"label":"Overwrite?","name":"overwrite","type":"checkbox","value":false},"#,
            r#"{"label":"Result","name":"result","type":"link","value":"https://example.com"}]}"#
        );
        let body = ActionResponse::from(form).to_json().unwrap().unwrap();
        assert_eq!(std::str::from_utf8(&body).unwrap(), expected);
    }

    #[test]
    fn golden_message() {
        let body = ActionResponse::from(Message::new("Success!", "It worked."))
            .to_json()
            .unwrap()
            .unwrap();
        assert_eq!(body, br#"{"title":"Success!","description":"It worked."}"#);
    }

    #[test]
    fn strings_are_escaped() {
        let body = serde_json::to_string(&Message::new("a\"b", "line\nbreak </script>")).unwrap();
        assert_eq!(
            body,
            r#"{"title":"a\"b","description":"line\nbreak </script>"}"#
        );
    }

    #[test]
    fn nothing_has_no_body() {
        assert_eq!(ActionResponse::from(()).to_json().unwrap(), None);
        assert_eq!(
            ActionResponse::from(None::<Message>).to_json().unwrap(),
            None
        );
    }

    #[test]
    fn invalid_forms_cannot_be_sent() {
        let cases = [
            (Form::new("t", "d"), ResponseError::EmptyForm),
            (
                Form::new("t", "d")
                    .field(TextField::new("A", "x"))
                    .field(CheckboxField::new("B", "x")),
                ResponseError::DuplicateField { name: "x".into() },
            ),
            (
                Form::new("t", "d").field(TextField::new("A", "")),
                ResponseError::EmptyFieldName { label: "A".into() },
            ),
            (
                Form::new("t", "d").field(SelectField::new("S", "s")),
                ResponseError::SelectWithoutOptions { name: "s".into() },
            ),
            (
                Form::new("t", "d").field(SelectField::new("S", "s").option("A", "a").value("b")),
                ResponseError::UnknownSelectValue {
                    name: "s".into(),
                    value: "b".into(),
                },
            ),
        ];
        for (form, expected) in cases {
            assert_eq!(ActionResponse::from(form).to_json(), Err(expected));
        }
    }
}
