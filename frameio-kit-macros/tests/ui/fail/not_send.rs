use std::rc::Rc;

use frameio_kit::prelude::*;

async fn work() {}

#[webhook("file.ready")]
async fn holds_rc(_event: WebhookEvent) -> Result<()> {
    let counter = Rc::new(1);
    work().await;
    drop(counter);
    Ok(())
}

fn main() {}
