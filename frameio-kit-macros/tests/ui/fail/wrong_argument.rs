use frameio_kit::prelude::*;

#[webhook("file.ready")]
async fn on_ready(_event: String) -> Result<()> {
    Ok(())
}

fn main() {}
