//! What is wrong with a submitted form: every problem, field by field.

use std::fmt;

/// One problem with a submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// The field's name (its key in the submitted data); empty for a problem with the whole
    /// form.
    pub field: String,
    /// The field's label as shown (empty for a problem with the whole form).
    pub label: String,
    /// What is wrong, in a few words for the user (`required`, `must be at most 80
    /// characters`…).
    pub message: String,
}

impl FieldError {
    /// A problem with one field.
    pub fn new(
        field: impl Into<String>,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            label: label.into(),
            message: message.into(),
        }
    }

    /// A problem with the form as a whole (shown in its description only).
    pub fn form(message: impl Into<String>) -> Self {
        Self::new("", "", message)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} — {}", self.label, self.message)
        }
    }
}

/// Every problem found in a submitted form, in field order. A form is checked whole: the
/// user sees all of them at once, never one per round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    errors: Vec<FieldError>,
}

impl FormErrors {
    /// No problem yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a problem.
    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    /// Records `result`'s error, if any, against a field.
    pub fn check(&mut self, field: &str, label: &str, result: Result<(), String>) {
        if let Err(message) = result {
            self.push(FieldError::new(field, label, message));
        }
    }

    /// `true` when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Every problem, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// The messages about one field (by name).
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.errors
            .iter()
            .filter(move |e| !e.field.is_empty() && e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl<'a> IntoIterator for &'a FormErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl FromIterator<FieldError> for FormErrors {
    fn from_iter<I: IntoIterator<Item = FieldError>>(iter: I) -> Self {
        Self {
            errors: iter.into_iter().collect(),
        }
    }
}

impl fmt::Display for FormErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            fmt::Display::fmt(error, f)?;
        }
        Ok(())
    }
}

impl std::error::Error for FormErrors {}
