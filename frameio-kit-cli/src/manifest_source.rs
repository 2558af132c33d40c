//! Where a command gets the app's manifest from.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use frameio_kit::manifest::{DEV_ROUTE_PATH, Manifest, PRINT_ENV};

/// How to find the app's manifest (first given wins: file, exec, url).
#[derive(Debug, Clone, Args, Default)]
pub(crate) struct ManifestSource {
    /// Read the manifest from this JSON file (as printed by `frameio-kit manifest`).
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
    /// Run this app binary with FRAMEIO_KIT_PRINT_MANIFEST=1 and read the manifest it prints.
    #[arg(long, value_name = "PROGRAM")]
    pub(crate) exec: Option<PathBuf>,
    /// An argument for the --exec program (repeat for several).
    #[arg(long = "exec-arg", value_name = "ARG", requires = "exec")]
    pub(crate) exec_args: Vec<String>,
    /// Fetch the manifest from a running app's opt-in development route
    /// (`/_frameio-kit/manifest` on this base URL).
    #[arg(long = "manifest-url", value_name = "URL")]
    pub(crate) manifest_url: Option<String>,
}

impl ManifestSource {
    /// `true` when no source was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.manifest.is_none() && self.exec.is_none() && self.manifest_url.is_none()
    }

    /// Loads the manifest; `fallback_url` is used when no source was given.
    pub(crate) async fn load(&self, fallback_url: Option<&str>) -> anyhow::Result<Manifest> {
        if let Some(path) = &self.manifest {
            let text = tokio::fs::read_to_string(path)
                .await
                .with_context(|| format!("cannot read the manifest file {}", path.display()))?;
            return Manifest::from_json(&text)
                .with_context(|| format!("in the manifest file {}", path.display()));
        }
        if let Some(program) = &self.exec {
            return from_exec(program, &self.exec_args).await;
        }
        if let Some(url) = self.manifest_url.as_deref().or(fallback_url) {
            return from_url(url).await;
        }
        bail!("no manifest: give --manifest FILE, --exec PROGRAM or --manifest-url URL")
    }
}

/// The development route's URL for an app's base URL (its path is dropped).
pub(crate) fn dev_route_url(app_url: &str) -> anyhow::Result<String> {
    let mut url =
        reqwest::Url::parse(app_url).with_context(|| format!("not a URL: {app_url:?}"))?;
    url.set_path(DEV_ROUTE_PATH);
    url.set_query(None);
    Ok(url.to_string())
}

async fn from_url(app_url: &str) -> anyhow::Result<Manifest> {
    let url = dev_route_url(app_url)?;
    let response = crate::deliver::http_client()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!(
            "{url} answered {status}: is the app's development manifest route enabled? \
             (or use --exec PROGRAM / --manifest FILE)"
        );
    }
    Manifest::from_json(&text).with_context(|| format!("in the answer of {url}"))
}

async fn from_exec(program: &PathBuf, args: &[String]) -> anyhow::Result<Manifest> {
    let child = tokio::process::Command::new(program)
        .args(args)
        .env(PRINT_ENV, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .with_context(|| {
            format!(
                "{} did not print its manifest within 60 s (does it call \
                 frameio_kit::manifest::print_if_requested at start-up?)",
                program.display()
            )
        })?
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} exited with {} instead of printing its manifest; stderr:\n{}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Manifest::from_json(&text).with_context(|| {
        format!(
            "{} did not print a manifest (does it call frameio_kit::manifest::print_if_requested?)",
            program.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_route_replaces_the_path() {
        assert_eq!(
            dev_route_url("http://127.0.0.1:8000/frameio?x=1").unwrap(),
            "http://127.0.0.1:8000/_frameio-kit/manifest"
        );
        assert!(dev_route_url("not a url").is_err());
    }
}
