//! A three-step custom action built from typed forms: who receives a file, the details of
//! the delivery (prefilled from the first answers), then a confirmation. What each step
//! answered is kept between deliveries in a [`StepStore`] over SQLite, keyed by the
//! interaction, so any instance can serve the next step.

use frameio_kit::forms::{ActionForm, FormChoice, StepStore, Steps, Submission};
use frameio_kit::prelude::*;
use frameio_kit::store::SqliteStore;
use serde::{Deserialize, Serialize};

/// How the file is delivered.
#[derive(FormChoice, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A review link the client can comment on.
    #[form(label = "Review link")]
    Review,
    /// A plain download.
    #[form(label = "Download")]
    Download,
}

/// Step 1: who and how.
#[derive(ActionForm, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[form(title = "Deliver (1/3)", description = "Who receives the file?")]
pub struct Recipient {
    /// The client's name.
    #[form(label = "Client", max_len = 60)]
    pub client: String,
    /// How the file is delivered.
    #[form(default = Kind::Review)]
    pub kind: Kind,
}

/// Step 2: the delivery's details, prefilled from step 1.
#[derive(ActionForm, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[form(title = "Deliver (2/3)")]
pub struct Details {
    /// The delivery's title.
    #[form(max_len = 100)]
    pub title: String,
    /// How long the link lives.
    #[form(label = "Expires after (days)", range = 1..=90)]
    pub expires_days: u16,
    /// A note for the client.
    #[form(textarea, max_len = 500)]
    pub note: Option<String>,
}

/// Step 3: confirmation.
#[derive(ActionForm, Debug)]
#[form(title = "Deliver (3/3)")]
pub struct Confirm {
    /// Must be checked to send.
    #[form(required, label = "Send it")]
    pub confirm: bool,
}

/// What the steps so far answered (the state kept between deliveries).
#[derive(Default, Serialize, Deserialize, Debug)]
pub struct Wizard {
    /// Step 1's answers, once valid.
    pub recipient: Option<Recipient>,
    /// Step 2's answers, once valid.
    pub details: Option<Details>,
}

/// The second form, which depends on the first's answers.
pub fn details_form(resource_id: &str, recipient: &Recipient) -> Form {
    let mut form = Details {
        title: format!("{resource_id} for {}", recipient.client),
        expires_days: match recipient.kind {
            Kind::Review => 7,
            Kind::Download => 30,
        },
        note: None,
    }
    .form_with();
    form.description = format!("Details of the delivery to {}", recipient.client);
    form
}

/// The three-step action.
#[action(
    event = "deliver",
    name = "Deliver to a client",
    description = "Three steps: recipient, details, confirmation"
)]
pub async fn deliver(event: ActionEvent, mut steps: Steps<Wizard>) -> Result<ActionResponse> {
    if !event.is_form_submit() {
        // The first click of a new interaction: nothing is stored yet.
        return Ok(Recipient::form().into());
    }
    if steps.recipient.is_none() {
        let recipient = match Submission::<Recipient>::from_event(&event) {
            Submission::Valid(recipient) => recipient,
            Submission::Invalid(invalid) => return Ok(invalid.into()),
            _ => return Ok(Recipient::form().into()),
        };
        let form = details_form(event.resource_id(), &recipient);
        steps.recipient = Some(recipient);
        steps.save().await?;
        return Ok(form.into());
    }
    if steps.details.is_none() {
        let details = match Submission::<Details>::from_event(&event) {
            Submission::Valid(details) => details,
            Submission::Invalid(invalid) => return Ok(invalid.into()),
            _ => return Ok(Recipient::form().into()),
        };
        let mut form = Confirm::form();
        form.description = format!(
            "Send \"{}\", expiring in {} days?",
            details.title, details.expires_days
        );
        steps.details = Some(details);
        steps.save().await?;
        return Ok(form.into());
    }
    match Submission::<Confirm>::from_event(&event) {
        Submission::Valid(_) => {}
        Submission::Invalid(invalid) => return Ok(invalid.into()),
        _ => return Ok(Recipient::form().into()),
    }
    let wizard = steps.finish().await?;
    let (Some(recipient), Some(details)) = (wizard.recipient, wizard.details) else {
        return Ok(Message::new("Start over", "Click the action again.").into());
    };
    tracing::info!(client = %recipient.client, title = %details.title, "delivery sent");
    Ok(Message::new(
        "Sent",
        format!(
            "\"{}\" is on its way to {} ({}, {} days).",
            details.title,
            recipient.client,
            match recipient.kind {
                Kind::Review => "review link",
                Kind::Download => "download",
            },
            details.expires_days
        ),
    )
    .into())
}

/// Step state kept in the SQLite file at `path` (created on first use) for 15 minutes.
pub fn step_store(path: &str) -> StepStore {
    StepStore::new(SqliteStore::new(path))
}

/// The app: every registered handler, with step state in the SQLite file at `path`.
pub fn app(path: &str) -> App {
    App::from_registry().state(step_store(path))
}
