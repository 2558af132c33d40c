//! A small integration written to be tested (see `docs/testing.md` and this crate's `tests/`).
//!
//! New files are queued for an English transcription when Frame.io says they are ready; the
//! "Transcribe" action asks for a language with a form and queues the job on submit. Queued
//! jobs live in [`Jobs`], shared with the handlers through `State`, so tests can look at them.
//!
//! [`Timing`] is a middleware that logs (tested with a log capture). The guide's recipes for a
//! handler that calls the Frame.io API and an action that requires sign-in are in
//! `tests/api_and_sign_in.rs`, with their handlers: a test binary registers the handlers it
//! links, so this library's own test apps (and the tools that serve its handlers) need
//! neither a `MockFrameio` nor a `MockIms`.

// Handlers are `async` by contract, even when they never await: this crate opts into the
// pedantic lint and allows it on those handlers (see docs/handlers.md).
#![warn(clippy::unused_async)]

use std::sync::Mutex;
use std::time::Instant;

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
