//! Runs the install example: `PUBLIC_URL`, `IMS_CLIENT_ID`, `IMS_CLIENT_SECRET` and
//! `FRAMEIO_KIT_ENCRYPTION_KEY` must be set (see docs/install.md).

use frameio_kit::actix_web::{App as ActixApp, HttpServer};
use frameio_kit::auth::ImsConfig;
use frameio_kit::store::KeyRing;
use install_example as app;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt::init();
    let env = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let kit = frameio_kit::App::from_registry();
    let install = app::install(
        kit.manifest(),
        &env("PUBLIC_URL")?,
        app::default_store(),
        KeyRing::from_env()?,
        ImsConfig::new(env("IMS_CLIENT_ID")?).with_client_secret(env("IMS_CLIENT_SECRET")?),
    )?;
    let (host, port) = kit.bind_address()?;
    // Registers the install (secrets, health, state) and mounts its pages in the service.
    let service = kit.install(install).build()?;
    println!("install page: {}/install", std::env::var("PUBLIC_URL")?);
    HttpServer::new(move || {
        let service = service.clone();
        ActixApp::new().configure(move |cfg| service.configure(cfg))
    })
    .bind((host, port))?
    .run()
    .await?;
    Ok(())
}
