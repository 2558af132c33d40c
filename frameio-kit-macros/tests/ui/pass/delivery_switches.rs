use frameio_kit::prelude::*;

#[webhook("file.ready", background, retries = 3, dedup = "10m")]
async fn transcode(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.created", deadline = "2s")]
async fn quick(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "transcribe", deadline = "4.5s", dedup = "1m30s")]
async fn transcribe(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "ok"))
}

#[action(event = "summarize", deadline = "3s", interim = "Summarizing…")]
async fn summarize(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "ok"))
}

#[action(event = "caption", interim = ("Captioning", "The captions follow as a comment."))]
async fn caption(_event: ActionEvent) -> Result<Message> {
    Ok(Message::new("Done", "ok"))
}

#[action(event = "export", no_deadline)]
async fn export(_event: ActionEvent) -> Result<()> {
    Ok(())
}

fn main() {
    let handlers = frameio_kit::handler::registered();
    assert_eq!(handlers.len(), 6);
    assert!(handlers.iter().any(|h| h.is_background()));
}
