use frameio_kit::prelude::*;

struct Thing;

impl Thing {
    #[webhook("file.ready")]
    async fn method(&self, _event: WebhookEvent) -> Result<()> {
        Ok(())
    }
}

#[webhook("file.ready")]
async fn generic<T>(_event: WebhookEvent) -> Result<()> {
    Ok(())
}

#[webhook("file.ready")]
async fn no_arguments() -> Result<()> {
    Ok(())
}

#[webhook("file.ready")]
struct NotAFunction;

fn main() {}
