//! The frameio-kit quickstart: one webhook, a greeting action and a two-step form action.
//!
//! Handlers live in the library so that `main.rs` and the tests link them the same way
//! (`use quickstart as _;`).

use frameio_kit::prelude::*;

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

/// How the new name is cased.
#[derive(FormChoice, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Leave it as typed.
    #[form(label = "Keep as typed")]
    Keep,
    /// UPPER CASE.
    #[form(label = "UPPER")]
    Upper,
    /// lower case.
    #[form(label = "lower")]
    Lower,
}

/// The rename form: this struct is both the form shown and the value its submit is read into.
#[derive(ActionForm, Debug)]
#[form(title = "Rename", description = "Choose the new name")]
pub struct RenameForm {
    /// The new name.
    #[form(label = "New name", max_len = 255, pattern = r"[^/\\]+")]
    pub new_name: String,
    /// How to case it.
    #[form(default = Case::Keep)]
    pub case: Case,
    /// Whether to notify collaborators.
    #[form(label = "Notify collaborators")]
    pub notify: bool,
}

/// A two-step action: the first click answers with a form prefilled with the file's name, its
/// submit with a message. An invalid submit (empty name, a `/` in it…) is answered by the kit
/// with the same form and the problems shown; this function only sees valid input.
#[action(
    event = "rename",
    name = "Rename",
    description = "Asks for a new name, then confirms"
)]
pub async fn rename(
    event: ActionEvent,
    form: Option<Submitted<RenameForm>>,
) -> Result<ActionResponse> {
    let Some(Submitted(form)) = form else {
        let prefilled = RenameForm {
            new_name: event.resource_id().to_owned(),
            case: Case::Keep,
            notify: false,
        };
        return Ok(prefilled.form_with().into());
    };
    let name = match form.case {
        Case::Keep => form.new_name,
        Case::Upper => form.new_name.to_uppercase(),
        Case::Lower => form.new_name.to_lowercase(),
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
