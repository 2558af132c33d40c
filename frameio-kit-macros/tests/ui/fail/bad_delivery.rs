use frameio_kit::prelude::*;

#[webhook("file.ready", dedup = "10 minutes")]
async fn unitless(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", deadline = "0s")]
async fn zero_deadline(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", dedup = 600)]
async fn not_a_string(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", retries = 3)]
async fn retries_without_background(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", background, deadline = "8s")]
async fn background_with_deadline(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "a", background)]
async fn background_action(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "b", deadline = "5s", no_deadline)]
async fn both_deadlines(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", background = true)]
async fn flag_with_value(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

fn main() {}
