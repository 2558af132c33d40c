use frameio_kit::prelude::*;

#[webhook("file.ready")]
fn on_ready(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

fn main() {}
