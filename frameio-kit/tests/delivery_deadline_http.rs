//! Deadlines through the real pipeline, over HTTP, with short deadlines: an action still
//! running at its deadline gets the interim Message (the app's, or its own), the handler runs
//! to completion and its late result reaches the hook; a webhook past its deadline gets `OK`;
//! `no_deadline` waits; a graceful stop waits for late work.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use frameio_kit::delivery::deadline::{LateOutcome, late_hook};
use frameio_kit::{ActionEvent, ActionResponse, App, Handler, Message, State, WebhookEvent};
use frameio_kit_testing::{EventBody, SignedRequest, TestApp, action_event, webhook_event};
use tokio::sync::mpsc;

const SECRET: &str = "deadline-secret";
const SHORT: Duration = Duration::from_millis(150);

/// What the handlers finished, in order.
#[derive(Default)]
struct Finished(Mutex<Vec<String>>);

impl Finished {
    fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

async fn transcribe(event: ActionEvent, done: State<Finished>) -> Result<Message, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    done.0
        .lock()
        .unwrap()
        .push(format!("transcribe {}", event.resource_id()));
    Ok(Message::new("Transcribed", event.resource_id().to_owned()))
}

async fn export(event: ActionEvent, done: State<Finished>) -> Result<Message, std::io::Error> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    done.0
        .lock()
        .unwrap()
        .push(format!("export {}", event.resource_id()));
    Ok(Message::new("Exported", "done"))
}

async fn upload(event: WebhookEvent, done: State<Finished>) -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(500)).await;
    done.0
        .lock()
        .unwrap()
        .push(format!("upload {}", event.resource_id()));
    Ok(())
}

async fn patient(event: WebhookEvent, done: State<Finished>) -> Result<(), std::io::Error> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    done.0
        .lock()
        .unwrap()
        .push(format!("patient {}", event.resource_id()));
    Ok(())
}

type Report = (String, String, Option<String>);

/// A hook sending (handler, answer, resource id) to a channel.
fn reporting(
    tag: &'static str,
    sender: mpsc::UnboundedSender<Report>,
) -> frameio_kit::delivery::deadline::LateHook {
    late_hook(move |outcome: LateOutcome| {
        let sender = sender.clone();
        async move {
            let answer = match &outcome.result {
                Ok(ActionResponse::Message(m)) => format!("{tag}: {}", m.title),
                Ok(_) => format!("{tag}: ok"),
                Err(e) => format!("{tag}: error {e}"),
            };
            let resource = outcome.delivery.as_ref().map(|d| d.resource().id.clone());
            let _ = sender.send((outcome.handler.to_string(), answer, resource));
        }
    })
}

fn app(done: &Arc<Finished>, reports: mpsc::UnboundedSender<Report>) -> App {
    App::new()
        .handler(
            Handler::action("transcribe", transcribe)
                .secret(SECRET)
                .deadline(SHORT)
                .function_name("transcribe"),
        )
        .handler(
            Handler::action("export", export)
                .secret(SECRET)
                .deadline(SHORT)
                .interim(Message::new(
                    "Exporting",
                    "We will post a comment when done.",
                ))
                .on_late_result(reporting("own hook", reports.clone()))
                .function_name("export"),
        )
        .handler(
            Handler::webhook(["file.ready"], upload)
                .secret(SECRET)
                .deadline(SHORT)
                .function_name("upload"),
        )
        .handler(
            Handler::webhook(["file.created"], patient)
                .secret(SECRET)
                .no_deadline()
                .function_name("patient"),
        )
        .interim_message(Message::new("Working on it", "Results will follow."))
        .on_late_result(reporting("app hook", reports))
        .state_arc(Arc::clone(done))
}

async fn next_report(reports: &mut mpsc::UnboundedReceiver<Report>) -> Report {
    tokio::time::timeout(Duration::from_secs(10), reports.recv())
        .await
        .expect("the late result reaches the hook")
        .expect("hook channel open")
}

#[tokio::test]
async fn a_slow_action_gets_the_interim_message_and_finishes_later() {
    let done = Arc::new(Finished::default());
    let (sender, mut reports) = mpsc::unbounded_channel();
    let test = TestApp::new(app(&done, sender)).secret(SECRET);
    let server = test.serve().await.unwrap();

    let request = server
        .sign(action_event("transcribe").resource_id("file-1"))
        .unwrap();
    let reply = server.deliver_signed(&request).await.unwrap();
    let message = reply.message().unwrap();
    assert_eq!(message.title, "Working on it", "the app's interim Message");
    assert!(
        done.list().is_empty(),
        "answered before the handler finished"
    );

    let (handler, answer, resource) = next_report(&mut reports).await;
    assert_eq!(handler, "transcribe");
    assert_eq!(answer, "app hook: Transcribed");
    assert_eq!(
        resource.as_deref(),
        Some("file-1"),
        "the hook gets the delivery"
    );
    assert_eq!(done.list(), ["transcribe file-1"]);

    // A replay gets what the first delivery was answered: the interim Message.
    let replay = server.deliver_signed(&request).await.unwrap();
    assert_eq!(replay.body(), reply.body());
    assert_eq!(done.list().len(), 1);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_action_has_its_own_interim_message_and_hook() {
    let done = Arc::new(Finished::default());
    let (sender, mut reports) = mpsc::unbounded_channel();
    let test = TestApp::new(app(&done, sender)).secret(SECRET);
    let server = test.serve().await.unwrap();
    let reply = server
        .deliver(action_event("export").resource_id("file-2"))
        .await
        .unwrap();
    assert_eq!(reply.message().unwrap().title, "Exporting");
    let (handler, answer, resource) = next_report(&mut reports).await;
    assert_eq!(
        (handler.as_str(), answer.as_str(), resource.as_deref()),
        ("export", "own hook: Exported", Some("file-2"))
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_slow_webhook_gets_ok_at_its_deadline_and_runs_on() {
    let done = Arc::new(Finished::default());
    let (sender, mut reports) = mpsc::unbounded_channel();
    let test = TestApp::new(app(&done, sender)).secret(SECRET);
    let server = test.serve().await.unwrap();
    server
        .deliver(webhook_event("file.ready").resource_id("file-3"))
        .await
        .unwrap()
        .assert_ok()
        .assert_text("OK");
    assert!(
        done.list().is_empty(),
        "answered before the handler finished"
    );
    let (handler, answer, resource) = next_report(&mut reports).await;
    assert_eq!(
        (handler.as_str(), answer.as_str(), resource.as_deref()),
        ("upload", "app hook: ok", Some("file-3"))
    );
    assert_eq!(done.list(), ["upload file-3"]);

    // `no_deadline`: the answer waits for the handler.
    server
        .deliver(webhook_event("file.created").resource_id("file-4"))
        .await
        .unwrap()
        .assert_ok();
    assert_eq!(done.list(), ["upload file-3", "patient file-4"]);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_graceful_stop_waits_for_late_work() {
    let done = Arc::new(Finished::default());
    let (sender, _reports) = mpsc::unbounded_channel();
    let service = app(&done, sender).build().unwrap();
    let running = service.start(("127.0.0.1", 0)).unwrap();
    let body = action_event("transcribe")
        .resource_id("file-5")
        .event_body()
        .unwrap();
    let request = SignedRequest::new(SECRET, body);
    let mut post = reqwest::Client::new()
        .post(running.url())
        .body(request.body().to_vec());
    for (name, value) in request.header_pairs() {
        post = post.header(name, value);
    }
    let reply = post.send().await.unwrap();
    assert_eq!(reply.status(), 200);
    assert!(reply.text().await.unwrap().contains("Working on it"));
    assert_eq!(service.dispatcher().late_work().len(), 1, "one run is late");
    running.stop(true).await.unwrap();
    assert_eq!(
        done.list(),
        ["transcribe file-5"],
        "the stop returned once the late run finished"
    );
    assert!(service.dispatcher().late_work().is_empty());
}
