//! The description of a typed form, and how it becomes a [`Form`] answer.

use serde_json::{Map, Value};

use super::errors::FormErrors;
use super::value::{FieldKind, FormValue, lenient_bool};
use crate::response::{
    CheckboxField, Form, FormField, LinkField, SelectField, SelectOption, TextField, TextareaField,
};

/// What separates a label from the problems shown after it: `Name — required`.
pub const ERROR_SEPARATOR: &str = " — ";

/// The fields of a typed form, in display order, with its title and description. The
/// [`ActionForm`](crate::forms::ActionForm) derive builds one; [`FormSpec::render`] turns it
/// into the [`Form`] sent to Frame.io.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FormSpec {
    /// The form's heading.
    pub title: String,
    /// The text under the heading.
    pub description: String,
    /// The fields, in display order.
    pub fields: Vec<FieldSpec>,
}

/// One field of a [`FormSpec`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldSpec {
    /// The label shown (help text already folded in).
    pub label: String,
    /// The key of the value in the submitted data.
    pub name: String,
    /// The input it is shown as.
    pub kind: FieldKind,
    /// A select's choices.
    pub options: Vec<SelectOption>,
    /// The value shown on a fresh form, as the form carries it.
    pub default: Option<Value>,
}

impl FieldSpec {
    /// A field showing a value of type `T` (its kind and choices come from the type).
    pub fn of<T: FormValue>(label: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            name: name.into(),
            kind: T::KIND,
            options: T::options(),
            default: None,
        }
    }

    /// A link field.
    pub fn link(label: impl Into<String>, name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            name: name.into(),
            kind: FieldKind::Link,
            options: Vec::new(),
            default: Some(Value::String(url.into())),
        }
    }

    /// Shows a text field as a multi-line textarea.
    #[must_use]
    pub fn textarea(mut self) -> Self {
        if self.kind == FieldKind::Text {
            self.kind = FieldKind::Textarea;
        }
        self
    }

    /// Sets the value shown on a fresh form.
    #[must_use]
    pub fn default_value<T: FormValue>(mut self, value: &T) -> Self {
        self.default = Some(value.to_wire());
        self
    }

    /// Appends help text to the label: `Title (shown in the player)`.
    #[must_use]
    pub fn help(mut self, help: &str) -> Self {
        if !help.is_empty() {
            self.label = format!("{} ({help})", self.label);
        }
        self
    }

    /// The field as sent, showing `value` (a checkbox with no value shows unchecked).
    fn render(&self, value: Option<&Value>, problems: &[&str]) -> FormField {
        let label = if problems.is_empty() {
            self.label.clone()
        } else {
            format!("{}{ERROR_SEPARATOR}{}", self.label, problems.join("; "))
        };
        let text = value.and_then(display_text);
        match self.kind {
            FieldKind::Text => with_text(TextField::new(label, &self.name), text, TextField::value),
            FieldKind::Textarea => with_text(
                TextareaField::new(label, &self.name),
                text,
                TextareaField::value,
            ),
            FieldKind::Select => {
                let mut select = SelectField::new(label, &self.name);
                select.options.clone_from(&self.options);
                // Only an existing option may be pre-selected (anything else cannot be sent).
                if let Some(text) = text.filter(|t| self.options.iter().any(|o| &o.value == t)) {
                    select = select.value(text);
                }
                select.into()
            }
            FieldKind::Checkbox => CheckboxField::new(label, &self.name)
                .value(value.and_then(lenient_bool).unwrap_or(false))
                .into(),
            FieldKind::Link => LinkField::new(label, &self.name, text.unwrap_or_default()).into(),
        }
    }
}

fn with_text<F: Into<FormField>>(
    field: F,
    text: Option<String>,
    set: fn(F, String) -> F,
) -> FormField {
    match text {
        Some(text) => set(field, text).into(),
        None => field.into(),
    }
}

/// The text a submitted or stored scalar shows as.
fn display_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

impl FormSpec {
    /// A form with a title and a description and no fields yet.
    pub fn new(title: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: description.into(),
            fields: Vec::new(),
        }
    }

    /// Adds a field.
    #[must_use]
    pub fn field(mut self, field: FieldSpec) -> Self {
        self.fields.push(field);
        self
    }

    /// The form with every field showing its default.
    pub fn render_defaults(&self) -> Form {
        self.render(None, &FormErrors::new())
    }

    /// The form sent to Frame.io.
    ///
    /// `values` (keyed by field name, as a form carries them) replaces the defaults when
    /// given: a field missing from it shows empty, except link fields, which always show
    /// their URL unless `values` names another. Each problem in `errors` is shown twice: after
    /// its field's label (`Name — required`) and in a summary under the description (Frame.io
    /// forms have no element for errors).
    pub fn render(&self, values: Option<&Map<String, Value>>, errors: &FormErrors) -> Form {
        let mut form = Form::new(&self.title, &self.description);
        for field in &self.fields {
            let value = match values {
                None => field.default.as_ref(),
                Some(values) => values.get(&field.name).or(match field.kind {
                    FieldKind::Link => field.default.as_ref(),
                    _ => None,
                }),
            };
            let problems: Vec<&str> = errors.for_field(&field.name).collect();
            form = form.field(field.render(value, &problems));
        }
        if !errors.is_empty() {
            let summary: Vec<String> = errors
                .iter()
                .map(|error| {
                    // Show the label as the form shows it, help included.
                    match self.fields.iter().find(|f| f.name == error.field) {
                        Some(field) if !error.field.is_empty() => {
                            format!("{}{ERROR_SEPARATOR}{}", field.label, error.message)
                        }
                        _ => error.to_string(),
                    }
                })
                .collect();
            let prefix = if form.description.is_empty() {
                String::new()
            } else {
                format!("{}\n\n", form.description)
            };
            form.description = format!("{prefix}Please fix: {}", summary.join("; "));
        }
        form
    }
}
