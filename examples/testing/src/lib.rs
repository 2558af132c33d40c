//! A small integration written to be tested (see `docs/testing.md` and this crate's `tests/`).
//!
//! New files are queued for an English transcription when Frame.io says they are ready; the
//! "Transcribe" action asks for a language with a form and queues the job on submit. Queued
//! jobs live in [`Jobs`], shared with the handlers through `State`, so tests can look at them.
//!
//! Three more pieces show the other recipes of the guide: [`comment_on_upload`] calls the
//! Frame.io API (tested against `MockFrameio`), [`my_jobs`] requires the user to sign in
//! (tested against `MockIms`), and [`Timing`] is a middleware that logs (tested with a log
//! capture). Because one handler takes a `Client` and one requires sign-in, every test app of
//! this crate attaches both mocks: `App::build` refuses an app whose handlers would miss them.

// Handlers are `async` by contract, even when they never await: this crate opts into the
// pedantic lint and allows it on those handlers (see docs/handlers.md).
#![warn(clippy::unused_async)]

use std::sync::Mutex;
use std::time::Instant;

use frameio_kit::auth::UserToken;
use frameio_kit::client::Client;
use frameio_kit::client::comments::CreateComment;
use frameio_kit::handler::HandlerResult;
use frameio_kit::prelude::*;
use serde::Deserialize;

/// A transcription waiting to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The file to transcribe.
    pub file_id: String,
    /// The spoken language, e.g. `en`.
    pub language: String,
}

/// The job queue the handlers share.
#[derive(Debug, Default)]
pub struct Jobs(Mutex<Vec<Job>>);

impl Jobs {
    /// Queues a job.
    pub fn push(&self, job: Job) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(job);
    }

    /// Every queued job, oldest first.
    pub fn all(&self) -> Vec<Job> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// Queues an English transcription for every file that becomes ready; ignores folders.
#[allow(clippy::unused_async)] // frameio-kit handlers are async by contract
#[webhook("file.ready")]
pub async fn queue_transcription(event: WebhookEvent, jobs: State<Jobs>) -> Result<()> {
    if event.resource_type().as_str() == "file" {
        jobs.push(Job {
            file_id: event.resource_id().to_owned(),
            language: "en".to_owned(),
        });
    }
    Ok(())
}

/// What the transcribe form submits.
#[derive(Debug, Deserialize)]
pub struct TranscribeForm {
    /// The spoken language.
    pub language: String,
}

/// Asks for a language, then queues the job. Reads its secret from `TRANSCRIBE_SECRET`.
#[allow(clippy::unused_async)] // frameio-kit handlers are async by contract
#[action(
    event = "transcribe",
    name = "Transcribe",
    description = "Queue a transcription",
    secret_env = "TRANSCRIBE_SECRET"
)]
pub async fn transcribe(event: ActionEvent, jobs: State<Jobs>) -> Result<ActionResponse> {
    if event.resource_type().as_str() != "file" {
        return Ok(Message::new("Not a file", "Only files can be transcribed.").into());
    }
    if !event.is_form_submit() {
        let language = SelectField::new("Language", "language")
            .option("English", "en")
            .option("French", "fr")
            .value("en");
        return Ok(Form::new("Transcribe", "Which language is spoken?")
            .field(language)
            .into());
    }
    let form: TranscribeForm = event.form()?;
    jobs.push(Job {
        file_id: event.resource_id().to_owned(),
        language: form.language.clone(),
    });
    Ok(Message::new("Queued", format!("Transcribing in {}.", form.language)).into())
}

/// Tells the uploader, in a comment on the file, that a transcription can be requested.
/// `resource_id()` of a `file.*` event is the file.
#[webhook("file.upload.completed")]
pub async fn comment_on_upload(event: WebhookEvent, client: Client) -> Result<()> {
    let comment = CreateComment::text("Uploaded: use Transcribe to get a transcript.");
    let created = client
        .comments()
        .create(event.account_id(), event.resource_id(), &comment)
        .await?;
    tracing::info!(file = event.resource_id(), comment = %created.id, "commented on upload");
    Ok(())
}

/// How many jobs are queued, for a user signed in with Adobe (others get the sign-in Form).
#[allow(clippy::unused_async)] // frameio-kit handlers are async by contract
#[action(event = "my-jobs", name = "My jobs", require_user_auth)]
pub async fn my_jobs(event: ActionEvent, _token: UserToken, jobs: State<Jobs>) -> Result<Message> {
    Ok(Message::new(
        "Your jobs",
        format!(
            "{} jobs queued; you are {}.",
            jobs.all().len(),
            event.user_id()
        ),
    ))
}

/// Logs the event type, outcome and duration of every delivery.
#[derive(Debug, Default)]
pub struct Timing;

impl Middleware for Timing {
    async fn handle(&self, delivery: Delivery, next: Next<'_>) -> HandlerResult {
        let started = Instant::now();
        let event_type = delivery.event_type().to_owned();
        let result = next.run(delivery).await;
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        tracing::info!(%event_type, ok = result.is_ok(), elapsed_us, "timed delivery");
        result
    }
}
