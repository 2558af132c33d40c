//! The frameio-kit quickstart: one webhook, a greeting action and a two-step form action.
//!
//! Handlers live in the library so that `main.rs` and the tests link them the same way
//! (`use quickstart as _;`).

use frameio_kit::prelude::*;
use serde::Deserialize;

/// Runs when Frame.io has finished processing an uploaded file.
#[webhook("file.ready")]
pub async fn on_file_ready(event: WebhookEvent) -> Result<()> {
    tracing::info!(
        file = event.resource_id(),
        project = event.project_id(),
        "file is ready"
    );
    Ok(())
}

/// A one-click action: answers with a message.
#[action(
    event = "greet",
    name = "Say hello",
    description = "Greets whoever clicks"
)]
pub async fn greet(event: ActionEvent) -> Result<Message> {
    tracing::info!(user = event.user_id(), "greeting");
    Ok(Message::new(
        "Hello!",
        format!(
            "Hello, user {}. You clicked on {} {}.",
            event.user_id(),
            event.resource_type(),
            event.resource_id()
        ),
    ))
}

/// What the rename form submits.
#[derive(Debug, Deserialize)]
pub struct RenameForm {
    /// The new name.
    pub new_name: String,
    /// `keep`, `upper` or `lower`.
    pub case: String,
    /// Whether to notify collaborators.
    #[serde(default)]
    pub notify: bool,
}

/// A two-step action: the first click answers with a form, its submit with a message.
#[action(
    event = "rename",
    name = "Rename",
    description = "Asks for a new name, then confirms"
)]
pub async fn rename(event: ActionEvent) -> Result<ActionResponse> {
    if !event.is_form_submit() {
        return Ok(Form::new("Rename", "Choose the new name")
            .field(TextField::new("New name", "new_name").value(event.resource_id()))
            .field(
                SelectField::new("Case", "case")
                    .option("Keep as typed", "keep")
                    .option("UPPER", "upper")
                    .option("lower", "lower")
                    .value("keep"),
            )
            .field(CheckboxField::new("Notify collaborators", "notify").value(false))
            .into());
    }
    let form: RenameForm = event.form()?;
    let name = match form.case.as_str() {
        "upper" => form.new_name.to_uppercase(),
        "lower" => form.new_name.to_lowercase(),
        _ => form.new_name,
    };
    tracing::info!(%name, notify = form.notify, "renaming");
    Ok(Message::new(
        "Renamed",
        format!(
            "The file will be renamed to \"{name}\"{}.",
            if form.notify {
                " and collaborators notified"
            } else {
                ""
            }
        ),
    )
    .into())
}
