use frameio_kit::prelude::*;

// A resolver written for actions, used on a webhook.
async fn action_resolver(_event: &ActionEvent) -> Result<String> {
    Ok(String::new())
}

#[webhook("file.ready", secret = action_resolver)]
async fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

fn main() {}
