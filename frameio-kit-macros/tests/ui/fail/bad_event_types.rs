use frameio_kit::prelude::*;

#[webhook("")]
async fn empty(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file ready")]
async fn spaced(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", "file.ready")]
async fn twice(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook]
async fn none(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "a..b", name = "Bad")]
async fn dots(_event: ActionEvent) -> Result<()> {
    Ok(())
}

fn main() {}
