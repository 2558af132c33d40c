use frameio_kit::prelude::*;

#[webhook("file.ready", interim = "Working")]
async fn on_a_webhook(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", background, interim = "Working")]
async fn on_a_background_webhook(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "a", no_deadline, interim = "Working")]
async fn without_a_deadline(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "b", interim = "")]
async fn empty_title(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "c", interim = 3)]
async fn not_a_string(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "d", interim = ("Working", 4))]
async fn bad_description(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action(event = "e", interim)]
async fn without_a_value(_event: ActionEvent) -> Result<()> {
    Ok(())
}

fn main() {}
