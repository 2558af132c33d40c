//! Install fields: what the admin fills in when installing.

use serde::{Deserialize, Serialize};

use super::{FieldValues, InstallError};

/// The kind of an install field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// A secret: never shown again, stored encrypted, shown as "configured".
    Password,
    /// Several lines of text.
    Textarea,
    /// One of these options: (value, label).
    Select(Vec<(String, String)>),
}

/// One value the admin provides at install time; read by handlers through
/// [`InstallConfig`](super::InstallConfig).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallField {
    /// The name (the key handlers deserialize).
    pub name: String,
    /// The label shown on the page.
    pub label: String,
    /// The kind.
    pub kind: FieldKind,
    /// The field must not be empty.
    pub required: bool,
    /// Help text shown under the field.
    pub description: Option<String>,
    /// The initial value.
    pub default: Option<String>,
    /// The value is a secret: kept encrypted, shown as "configured", and an empty value on
    /// update keeps the old one. Password fields are always sensitive.
    pub sensitive: bool,
}

impl InstallField {
    fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        let sensitive = kind == FieldKind::Password;
        Self {
            name: name.into(),
            label: label.into(),
            kind,
            required: false,
            description: None,
            default: None,
            sensitive,
        }
    }

    /// A one-line text field.
    pub fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Text)
    }

    /// A password field (sensitive).
    pub fn password(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Password)
    }

    /// A multi-line text field.
    pub fn textarea(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, FieldKind::Textarea)
    }

    /// A choice among `(value, label)` options.
    pub fn select<I, V, L>(name: impl Into<String>, label: impl Into<String>, options: I) -> Self
    where
        I: IntoIterator<Item = (V, L)>,
        V: Into<String>,
        L: Into<String>,
    {
        let options = options
            .into_iter()
            .map(|(v, l)| (v.into(), l.into()))
            .collect();
        Self::new(name, label, FieldKind::Select(options))
    }

    /// The field must be filled in.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Help text shown under the field.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    /// The initial value.
    #[must_use]
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Marks the value as a secret (password fields already are).
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), InstallError> {
        let ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(InstallError::Config(format!(
                "install field name {:?} must be ASCII letters, digits or `_`",
                self.name
            )));
        }
        if let FieldKind::Select(options) = &self.kind {
            if options.is_empty() {
                return Err(InstallError::Config(format!(
                    "select field `{}` has no options",
                    self.name
                )));
            }
            if let Some(default) = &self.default
                && !options.iter().any(|(v, _)| v == default)
            {
                return Err(InstallError::Config(format!(
                    "select field `{}`: default {default:?} is not an option",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// Checks submitted values against the fields and merges them over `previous` (an update):
/// an empty sensitive value keeps the previous one. Unknown names are ignored.
pub(crate) fn merge_values(
    fields: &[InstallField],
    submitted: &FieldValues,
    previous: Option<&FieldValues>,
) -> Result<FieldValues, InstallError> {
    let mut out = FieldValues::new();
    for field in fields {
        let given = submitted
            .get(&field.name)
            .map(|v| v.trim_end_matches(['\r', '\n']).to_owned())
            .unwrap_or_default();
        let value = if given.is_empty() && field.sensitive {
            previous
                .and_then(|p| p.get(&field.name).cloned())
                .unwrap_or_default()
        } else {
            given
        };
        if field.required && value.trim().is_empty() {
            return Err(InstallError::Field(format!(
                "`{}` is required",
                field.label
            )));
        }
        if let FieldKind::Select(options) = &field.kind
            && !value.is_empty()
            && !options.iter().any(|(v, _)| *v == value)
        {
            return Err(InstallError::Field(format!(
                "`{}`: choose one of the options",
                field.label
            )));
        }
        out.insert(field.name.clone(), value);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_sensitive_and_checks_required_and_options() {
        let fields = [
            InstallField::password("key", "Key").required(),
            InstallField::select("lang", "Language", [("en", "English"), ("fr", "French")]),
            InstallField::text("note", "Note"),
        ];
        let first: FieldValues = [("key", "s3cret"), ("lang", "en"), ("note", "hi")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let merged = merge_values(&fields, &first, None).unwrap();
        assert_eq!(merged["key"], "s3cret");
        let update: FieldValues = [("key", ""), ("lang", "fr"), ("note", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let merged = merge_values(&fields, &update, Some(&merged)).unwrap();
        assert_eq!(
            merged["key"], "s3cret",
            "an empty sensitive value keeps the old one"
        );
        assert_eq!(merged["lang"], "fr");
        assert_eq!(merged["note"], "", "a plain field can be cleared");
        assert!(matches!(
            merge_values(&fields, &FieldValues::new(), None),
            Err(InstallError::Field(m)) if m.contains("Key")
        ));
        let bad: FieldValues = [("key", "k"), ("lang", "de")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert!(merge_values(&fields, &bad, None).is_err());
        assert!(InstallField::text("bad name", "x").validate().is_err());
        assert!(
            InstallField::select("s", "S", [("a", "A")])
                .default_value("b")
                .validate()
                .is_err()
        );
        assert!(InstallField::password("p", "P").sensitive);
    }
}
