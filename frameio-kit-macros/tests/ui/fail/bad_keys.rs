use frameio_kit::prelude::*;

#[webhook("file.ready", secret = "literal")]
async fn unknown_webhook_key(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[action(event = "a", name = "A", colour = "red", event = "b")]
async fn unknown_and_duplicate(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[action("bare")]
async fn bare_string(_event: ActionEvent) -> Result<()> {
    Ok(())
}

// No error here: `name` is optional, for the macro as for `Handler::name`.
#[action(event = "x")]
async fn no_name(_event: ActionEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready", secret_env = 5)]
async fn not_a_string(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

fn main() {}
