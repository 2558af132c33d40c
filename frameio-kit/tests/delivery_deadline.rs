//! Deadlines with slow handlers (paused tokio clock): an action still running at its deadline
//! is answered then (the pipeline sends the interim Message), keeps running to completion,
//! and its late result reaches the hook with the delivery; a webhook past 4.5 s likewise.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use frameio_kit::delivery::deadline::{LateContext, LateOutcome, late_hook};
use frameio_kit::delivery::{
    DEFAULT_ACTION_DEADLINE, DEFAULT_WEBHOOK_DEADLINE, HandlerOptions, LateWork,
    default_interim_message, run_with_deadline,
};
use frameio_kit::handler::AppData;
use frameio_kit::{
    ActionEvent, ActionResponse, Delivery, DeliveryEvent, Handler, HandlerKind, Headers, Message,
    WebhookEvent,
};
use tokio::time::Instant;

async fn transcribe(event: ActionEvent) -> Result<Message, std::io::Error> {
    tokio::time::sleep(Duration::from_secs(25)).await;
    Ok(Message::new("Transcribed", event.resource_id().to_owned()))
}

async fn upload(_event: WebhookEvent) -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_secs(7)).await;
    Ok(())
}

async fn quick(_event: ActionEvent) -> Result<Message, std::io::Error> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(Message::new("Done", "quickly"))
}

fn action_delivery() -> Delivery {
    let event: ActionEvent = serde_json::from_str(
        r#"{"account_id":"a","action_id":"x","interaction_id":"i","project":{"id":"p"},
            "resource":{"id":"file-1","type":"file"},"type":"transcribe","user":{"id":"u"},
            "workspace":{"id":"w"}}"#,
    )
    .unwrap();
    Delivery::new(
        DeliveryEvent::Action(event),
        Headers::new(),
        Arc::new(AppData::default()),
    )
}

fn webhook_delivery() -> Delivery {
    let event: WebhookEvent = serde_json::from_str(
        r#"{"type":"file.ready","account":{"id":"a"},"project":{"id":"p"},"user":{"id":"u"},
            "workspace":{"id":"w"},"resource":{"id":"file-2","type":"file"}}"#,
    )
    .unwrap();
    Delivery::new(
        DeliveryEvent::Webhook(event),
        Headers::new(),
        Arc::new(AppData::default()),
    )
}

type Reports = Arc<Mutex<Vec<(String, String, Option<String>, Duration)>>>;

fn recording_hook(reports: &Reports) -> frameio_kit::delivery::deadline::LateHook {
    let reports = Arc::clone(reports);
    late_hook(move |outcome: LateOutcome| {
        let reports = Arc::clone(&reports);
        async move {
            let answer = match &outcome.result {
                Ok(ActionResponse::Message(m)) => serde_json::to_string(m).unwrap(),
                Ok(_) => "ok".to_owned(),
                Err(e) => format!("error: {e}"),
            };
            let resource = outcome.delivery.as_ref().map(|d| d.resource().id.clone());
            reports.lock().unwrap().push((
                outcome.handler.to_string(),
                answer,
                resource,
                outcome.elapsed,
            ));
        }
    })
}

#[tokio::test(start_paused = true)]
async fn slow_action_gets_the_interim_at_its_deadline_and_finishes_later() {
    let late = LateWork::new();
    let reports: Reports = Arc::default();
    let handler = Handler::action("transcribe", transcribe);
    let options = HandlerOptions::new();
    let deadline = options.effective_deadline(HandlerKind::Action).unwrap();
    assert_eq!(deadline, DEFAULT_ACTION_DEADLINE);

    let delivery = action_delivery();
    let context = LateContext::new("transcribe")
        .hook(recording_hook(&reports))
        .delivery(delivery.clone());
    let start = Instant::now();
    let answer = run_with_deadline(handler.call(delivery), deadline, &late, context).await;
    assert!(answer.is_none(), "the deadline passed first");
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(9),
        "answered at the deadline"
    );
    // What the pipeline sends then:
    let interim = options
        .interim
        .clone()
        .unwrap_or_else(default_interim_message);
    assert!(!interim.title.is_empty());
    assert!(reports.lock().unwrap().is_empty(), "still running");

    // Shutdown waits for the late work; the hook gets the real answer and the delivery.
    assert!(late.wait(Duration::from_secs(60)).await);
    let reports = reports.lock().unwrap().clone();
    assert_eq!(
        reports,
        [(
            "transcribe".to_owned(),
            r#"{"title":"Transcribed","description":"file-1"}"#.to_owned(),
            Some("file-1".to_owned()),
            Duration::from_secs(25),
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn slow_webhook_is_answered_at_four_and_a_half_seconds() {
    let late = LateWork::new();
    let reports: Reports = Arc::default();
    let handler = Handler::webhook(["file.ready"], upload);
    let deadline = HandlerOptions::new()
        .effective_deadline(HandlerKind::Webhook)
        .unwrap();
    assert_eq!(deadline, DEFAULT_WEBHOOK_DEADLINE);
    let start = Instant::now();
    let context = LateContext::new("upload").hook(recording_hook(&reports));
    assert!(
        run_with_deadline(handler.call(webhook_delivery()), deadline, &late, context)
            .await
            .is_none()
    );
    assert_eq!(start.elapsed(), Duration::from_millis(4500));
    assert!(late.wait(Duration::from_secs(60)).await);
    assert_eq!(
        reports.lock().unwrap().clone(),
        [(
            "upload".to_owned(),
            "ok".to_owned(),
            None,
            Duration::from_secs(7)
        )]
    );

    // Opting out waits however long it takes.
    assert_eq!(
        HandlerOptions::new()
            .no_deadline()
            .effective_deadline(HandlerKind::Webhook),
        None
    );
}

#[tokio::test(start_paused = true)]
async fn a_handler_within_its_deadline_answers_itself() {
    let late = LateWork::new();
    let handler = Handler::action("quick", quick);
    let start = Instant::now();
    let answer = run_with_deadline(
        handler.call(action_delivery()),
        Duration::from_secs(3),
        &late,
        LateContext::new("quick"),
    )
    .await;
    assert!(matches!(answer, Some(Ok(ActionResponse::Message(m))) if m.title == "Done"));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert!(late.is_empty());
}
