//! `frameio-kit`: signed Frame.io deliveries on demand, a local Frame.io simulator, and the
//! app's webhook and custom actions installed from its manifest. See `docs/cli.md`.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

mod deliver;
mod fixtures;
mod install;
mod manifest_source;
mod simulate;

use deliver::{
    SIGNATURE_HEADER, TIMESTAMP_HEADER, USER_AGENT, http_client, post_signed, render_answer,
    shell_quote,
};
use fixtures::Ids;
use manifest_source::ManifestSource;

/// Exit status: success.
const EXIT_OK: u8 = 0;
/// Exit status: the command failed (network, API, unreadable file, missing secret…).
const EXIT_ERROR: u8 = 1;
/// Exit status: `install check` found drift.
const EXIT_DRIFT: u8 = 2;
/// Exit status: `send`/`replay` delivered, and the app answered with a non-2xx status.
const EXIT_NOT_2XX: u8 = 3;
/// Exit status: the command line itself is wrong.
const EXIT_USAGE: u8 = 64;

const EXIT_CODES: &str = "\
Exit codes:
  0   success (for `install check`: no drift)
  1   failure: network, Frame.io API, unreadable file, missing secret or token
  2   `install check` found drift between the manifest and Frame.io
  3   `send`/`replay`: delivered, but the app answered with a non-2xx status
  64  the command line is wrong (unknown flag, missing argument)";

#[derive(Debug, Parser)]
#[command(
    name = "frameio-kit",
    version,
    about = "Signed Frame.io deliveries on demand, a local Frame.io simulator, and install plan/apply/check",
    after_long_help = EXIT_CODES,
    after_help = "Run `frameio-kit <command> --help` for examples. Exit codes: 0 ok, 1 error, 2 drift (install check), 3 non-2xx answer (send/replay), 64 usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the signature headers (or a ready curl command) for a body and secret.
    #[command(after_help = "\
Examples:
  echo '{\"type\":\"file.ready\"}' | frameio-kit sign --secret-env WEBHOOK_SECRET
  frameio-kit sign --secret s3cret --body '{\"type\":\"greet\"}' --curl http://127.0.0.1:8000/
  frameio-kit sign --secret s3cret --body-file event.json --timestamp 1700000000")]
    Sign(SignArgs),
    /// Send a realistic signed delivery of any webhook event type or custom action.
    #[command(after_help = "\
Examples:
  frameio-kit send http://127.0.0.1:8000/ file.ready
  frameio-kit send http://127.0.0.1:8000/ comment.created --account 5b1a… --user 2f8e…
  frameio-kit send http://127.0.0.1:8000/ rename --resource-type folder
  frameio-kit send http://127.0.0.1:8000/ rename --interaction 3f0c… --data new_name=clip.mp4 --data notify:=true
  frameio-kit send --list-events

The secret is --secret, else the variable named by --secret-env, else WEBHOOK_SECRET (webhook
event types) or CUSTOM_ACTION_SECRET (anything else, a custom action's event key).")]
    Send(SendArgs),
    /// Re-sign a recorded delivery with a fresh timestamp and send it again.
    #[command(after_help = "\
Examples:
  frameio-kit replay recordings/1733000000-file.ready-4242-0000.json
  frameio-kit replay recording.json --to http://127.0.0.1:9000/frameio --secret-env STAGING_SECRET

Recordings are written by an app built with `App::record_deliveries(dir)` and run with
FRAMEIO_KIT_RECORD_DELIVERIES=1.")]
    Replay(ReplayArgs),
    /// Print an app's manifest (webhook event types and custom actions) as JSON.
    #[command(after_help = "\
Examples:
  frameio-kit manifest --exec ./target/debug/my-app
  frameio-kit manifest --manifest-url http://127.0.0.1:8000/
  frameio-kit manifest --exec ./target/debug/my-app > manifest.json")]
    Manifest(ManifestArgs),
    /// Serve a local page (127.0.0.1 only) that plays Frame.io's side for an app.
    #[command(after_help = "\
Examples:
  frameio-kit simulate http://127.0.0.1:8000/ --exec ./target/debug/my-app
  frameio-kit simulate http://127.0.0.1:8000/ --manifest manifest.json --port 4000
  WEBHOOK_SECRET=s CUSTOM_ACTION_SECRET=s frameio-kit simulate http://127.0.0.1:8000/
  frameio-kit simulate http://127.0.0.1:8000/ --manifest manifest.json --secrets-file secrets.json --account A --workspace W")]
    Simulate(SimulateArgs),
    /// Plan, apply or check the app's webhook and custom actions in a Frame.io workspace.
    #[command(subcommand)]
    Install(InstallCommand),
    /// Print a new random base64 32-byte key for FRAMEIO_KIT_ENCRYPTION_KEY.
    #[command(after_help = "\
Examples:
  frameio-kit keygen
  export FRAMEIO_KIT_ENCRYPTION_KEY=\"$(frameio-kit keygen),$FRAMEIO_KIT_ENCRYPTION_KEY\"   # rotate")]
    Keygen,
}

/// A secret given on the command line; `Debug` never shows it.
#[derive(Clone, Default)]
struct SecretValue(String);

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

impl std::str::FromStr for SecretValue {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Where a signing secret comes from.
#[derive(Debug, Clone, Args, Default)]
struct SecretArgs {
    /// The signing secret itself (visible in `ps`; prefer --secret-env).
    #[arg(long, value_name = "SECRET", conflicts_with = "secret_env")]
    secret: Option<SecretValue>,
    /// The environment variable holding the signing secret.
    #[arg(long = "secret-env", value_name = "NAME")]
    secret_env: Option<String>,
}

impl SecretArgs {
    fn resolve(&self, default_env: Option<&str>) -> anyhow::Result<String> {
        if let Some(SecretValue(secret)) = &self.secret {
            if secret.is_empty() {
                bail!("--secret is empty");
            }
            return Ok(secret.clone());
        }
        let Some(name) = self.secret_env.as_deref().or(default_env) else {
            bail!("no signing secret: give --secret or --secret-env NAME");
        };
        match std::env::var(name) {
            Ok(value) if !value.is_empty() => Ok(value),
            _ => bail!(
                "no signing secret: the environment variable {name} is not set (or give --secret / --secret-env)"
            ),
        }
    }
}

#[derive(Debug, Args)]
struct SignArgs {
    #[command(flatten)]
    secret: SecretArgs,
    /// The body to sign (default: read from stdin).
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body from this file (`-` for stdin).
    #[arg(long = "body-file", value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// The timestamp to sign with (default: now).
    #[arg(long)]
    timestamp: Option<String>,
    /// Print a ready curl command posting to this URL instead of the headers.
    #[arg(long, value_name = "URL")]
    curl: Option<String>,
}

#[derive(Debug, Clone, Args, Default)]
struct IdArgs {
    /// Account id (default: a fixed sample id).
    #[arg(long)]
    account: Option<String>,
    /// Workspace id.
    #[arg(long)]
    workspace: Option<String>,
    /// Project id.
    #[arg(long)]
    project: Option<String>,
    /// User id.
    #[arg(long)]
    user: Option<String>,
}

impl IdArgs {
    fn ids(&self) -> Ids {
        Ids {
            account: self.account.clone(),
            workspace: self.workspace.clone(),
            project: self.project.clone(),
            user: self.user.clone(),
            ..Ids::default()
        }
    }
}

#[derive(Debug, Args)]
struct SendArgs {
    /// The app's receiver URL.
    #[arg(required_unless_present = "list_events")]
    url: Option<String>,
    /// A webhook event type (e.g. file.ready) or a custom action's event key.
    #[arg(required_unless_present = "list_events")]
    event_type: Option<String>,
    /// List every webhook event type with its resource type and exit.
    #[arg(long = "list-events")]
    list_events: bool,
    /// Send a custom action delivery even if EVENT_TYPE is also a webhook event type.
    #[arg(long)]
    action: bool,
    /// Resource type (file, folder, version_stack…; default: what the event is about).
    #[arg(long = "resource-type")]
    resource_type: Option<String>,
    /// Resource id.
    #[arg(long = "resource-id")]
    resource_id: Option<String>,
    #[command(flatten)]
    ids: IdArgs,
    /// A submitted form value: key=value (text) or key:=json (true, 3, …). Repeatable.
    #[arg(long = "data", value_name = "KEY=VALUE")]
    data: Vec<String>,
    /// Continue an interaction (a form chain) with this interaction id.
    #[arg(long)]
    interaction: Option<String>,
    /// The custom action's id (default: a fixed sample id).
    #[arg(long = "action-id")]
    action_id: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    /// Print the request body before sending.
    #[arg(long = "show-request")]
    show_request: bool,
}

#[derive(Debug, Args)]
struct ReplayArgs {
    /// A recording written by the kit's delivery recorder.
    file: PathBuf,
    /// Where to send it.
    #[arg(long, default_value = "http://127.0.0.1:8000/")]
    to: String,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Debug, Args)]
struct ManifestArgs {
    #[command(flatten)]
    source: ManifestSource,
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The app's receiver URL.
    app_url: String,
    /// Port of the simulator page (0 picks a free one).
    #[arg(long, default_value_t = 4000)]
    port: u16,
    #[command(flatten)]
    source: ManifestSource,
    /// One signing secret for webhooks and actions alike (visible in `ps`).
    #[arg(long, value_name = "SECRET")]
    secret: Option<SecretValue>,
    /// The variable holding the webhook secret.
    #[arg(long = "webhook-secret-env", default_value = "WEBHOOK_SECRET")]
    webhook_secret_env: String,
    /// The variable holding the custom action secret.
    #[arg(long = "action-secret-env", default_value = "CUSTOM_ACTION_SECRET")]
    action_secret_env: String,
    /// Sign with the secrets `install apply --secrets-file` wrote: the webhook's, and each
    /// action's (sent with that action's id); they win over --secret and the variables.
    #[arg(long = "secrets-file", value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    #[command(flatten)]
    ids: IdArgs,
}

#[derive(Debug, Subcommand)]
enum InstallCommand {
    /// Print what `apply` would create, update and delete.
    #[command(after_help = INSTALL_EXAMPLES)]
    Plan(InstallArgs),
    /// Carry out the plan; print the new signing secrets as JSON, merge them into a file, or
    /// record the installation in the app's store (--secrets-store).
    #[command(after_help = INSTALL_EXAMPLES)]
    Apply(InstallArgs),
    /// Exit 2 when Frame.io differs from the manifest (for CI), 0 when it matches.
    #[command(after_help = INSTALL_EXAMPLES)]
    Check(InstallArgs),
}

const INSTALL_EXAMPLES: &str = "\
Examples:
  FRAMEIO_TOKEN=… frameio-kit install plan  --account A --workspace W --url https://app.example.com/ --exec ./target/release/my-app
  FRAMEIO_TOKEN=… frameio-kit install apply --account A --workspace W --url https://app.example.com/ --manifest manifest.json --secrets-file secrets.json
  frameio-kit install check --account A --workspace W --url https://app.example.com/ --manifest manifest.json || echo drift
  FRAMEIO_KIT_ENCRYPTION_KEY=… frameio-kit install apply --account A --workspace W --url https://app.example.com/ --manifest manifest.json --webhook-name \"Acme Archive\" --secrets-store sqlite:frameio-kit.sqlite

Token: FRAMEIO_TOKEN, else the IMS server-to-server flow with FRAMEIO_IMS_CLIENT_ID and
FRAMEIO_IMS_CLIENT_SECRET (scopes FRAMEIO_IMS_SCOPES, default \"openid AdobeID frame.s2s.all\").";

#[derive(Debug, Args)]
struct InstallArgs {
    /// Frame.io account id.
    #[arg(long)]
    account: String,
    /// Frame.io workspace id.
    #[arg(long)]
    workspace: String,
    /// The app's public receiver URL (webhook and actions deliver there).
    #[arg(long)]
    url: String,
    /// The webhook's name in Frame.io.
    #[arg(long = "webhook-name", default_value = "frameio-kit")]
    webhook_name: String,
    #[command(flatten)]
    source: ManifestSource,
    /// Frame.io API base URL.
    #[arg(
        long = "api-url",
        env = "FRAMEIO_API_URL",
        default_value = "https://api.frame.io"
    )]
    api_url: String,
    /// Adobe IMS base URL (server-to-server token).
    #[arg(long = "ims-url", env = "FRAMEIO_IMS_URL", default_value = frameio_kit::auth::DEFAULT_IMS_BASE_URL)]
    ims_url: String,
    /// apply: merge the new secrets into this JSON file (mode 0600) instead of printing them.
    #[arg(long = "secrets-file", value_name = "FILE")]
    secrets_file: Option<PathBuf>,
    /// Keep the installation and its signing secrets in the app's store, where its install
    /// pages and per-installation secrets read them: `sqlite:PATH`, `redis://…` or
    /// `postgres://…`, with the app's key in FRAMEIO_KIT_ENCRYPTION_KEY. `plan` and `check`
    /// then compare with that record too; use the app's name as --webhook-name.
    #[arg(
        long = "secrets-store",
        value_name = "STORE",
        conflicts_with = "secrets_file"
    )]
    secrets_store: Option<String>,
    /// The key prefix of the app's store (with --secrets-store).
    #[arg(long = "store-prefix", value_name = "PREFIX", default_value = frameio_kit::store::DEFAULT_PREFIX)]
    store_prefix: String,
    /// Who the stored installation says installed the app (with --secrets-store).
    #[arg(
        long = "installed-by",
        value_name = "NAME",
        default_value = "frameio-kit install apply"
    )]
    installed_by: String,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

async fn run(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Sign(args) => sign(args),
        Command::Send(args) => send(args).await,
        Command::Replay(args) => replay(args).await,
        Command::Manifest(args) => {
            let manifest = args.source.load(None).await?;
            println!("{}", manifest.to_json_pretty());
            Ok(EXIT_OK)
        }
        Command::Simulate(args) => simulate(args).await,
        Command::Install(command) => install(command).await,
        Command::Keygen => {
            println!("{}", frameio_kit::store::generate_key());
            Ok(EXIT_OK)
        }
    }
}

fn sign(args: SignArgs) -> anyhow::Result<u8> {
    let secret = args.secret.resolve(None)?;
    let body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone().into_bytes(),
        (None, Some(path)) if path.as_os_str() != "-" => {
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?
        }
        _ => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .context("cannot read the body from stdin")?;
            body
        }
    };
    let timestamp = match args.timestamp {
        Some(t) => {
            frameio_kit::signature::parse_timestamp(&t)
                .map_err(|err| anyhow::anyhow!("--timestamp {t:?}: {err}"))?;
            t
        }
        None => deliver::now_timestamp(),
    };
    let signed = deliver::sign(&secret, &timestamp, &body);
    match args.curl {
        None => {
            println!("{TIMESTAMP_HEADER}: {}", signed.timestamp);
            println!("{SIGNATURE_HEADER}: {}", signed.signature);
        }
        Some(url) => {
            let body = String::from_utf8(body).context("the body is not UTF-8 text")?;
            println!(
                "curl -sS -X POST {} -H {} -H {} -H {} -H {} --data-binary {}",
                shell_quote(&url),
                shell_quote("Content-Type: application/json"),
                shell_quote(&format!("User-Agent: {USER_AGENT}")),
                shell_quote(&format!("{TIMESTAMP_HEADER}: {}", signed.timestamp)),
                shell_quote(&format!("{SIGNATURE_HEADER}: {}", signed.signature)),
                shell_quote(&body)
            );
        }
    }
    Ok(EXIT_OK)
}

async fn send(args: SendArgs) -> anyhow::Result<u8> {
    if args.list_events {
        for event in fixtures::WEBHOOK_EVENTS {
            println!("{event:<24} {}", fixtures::webhook_resource_type(event));
        }
        return Ok(EXIT_OK);
    }
    let (Some(url), Some(event_type)) = (args.url, args.event_type) else {
        bail!("give URL and EVENT_TYPE");
    };
    if !frameio_kit::app::is_valid_event_type(&event_type) {
        bail!("{event_type:?} is not an event type Frame.io could send");
    }
    let data = fixtures::parse_data(&args.data).map_err(anyhow::Error::msg)?;
    let is_webhook = fixtures::is_webhook_event(&event_type) && !args.action;
    if is_webhook && (!data.is_empty() || args.interaction.is_some()) {
        bail!(
            "--data and --interaction are for custom actions; {event_type} is a webhook event type (add --action to send it as an action key)"
        );
    }
    let mut ids = args.ids.ids();
    ids.resource_type = args.resource_type;
    ids.resource_id = args.resource_id;
    let interaction = args
        .interaction
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (body, default_env) = if is_webhook {
        (
            fixtures::webhook_body(&event_type, &ids),
            frameio_kit::secret::WEBHOOK_SECRET_ENV,
        )
    } else {
        let action_id = args.action_id.as_deref().unwrap_or(fixtures::ACTION_ID);
        let data = (!data.is_empty()).then_some(&data);
        (
            fixtures::action_body(&event_type, &ids, action_id, &interaction, data),
            frameio_kit::secret::CUSTOM_ACTION_SECRET_ENV,
        )
    };
    let secret = args.secret.resolve(Some(default_env))?;
    let body = body.to_string();
    if args.show_request {
        println!("POST {url}\n{body}\n");
    }
    let answer = post_signed(&http_client()?, &url, &secret, body.into_bytes(), &[]).await?;
    print!("{}", render_answer(&answer));
    if !is_webhook {
        println!("(interaction {interaction}: continue a form with --interaction {interaction})");
    }
    Ok(if answer.is_success() {
        EXIT_OK
    } else {
        EXIT_NOT_2XX
    })
}

async fn replay(args: ReplayArgs) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let recorded = frameio_kit::record::RecordedDelivery::from_json(&text)
        .with_context(|| format!("in {}", args.file.display()))?;
    let is_action = serde_json::from_str::<serde_json::Value>(&recorded.body)
        .ok()
        .is_some_and(|body| body.get("interaction_id").is_some());
    let default_env = if is_action {
        frameio_kit::secret::CUSTOM_ACTION_SECRET_ENV
    } else {
        frameio_kit::secret::WEBHOOK_SECRET_ENV
    };
    let secret = args.secret.resolve(Some(default_env))?;
    let headers: Vec<(String, String)> = recorded.headers.clone().into_iter().collect();
    let answer = post_signed(
        &http_client()?,
        &args.to,
        &secret,
        recorded.body.clone().into_bytes(),
        &headers,
    )
    .await?;
    print!("{}", render_answer(&answer));
    Ok(if answer.is_success() {
        EXIT_OK
    } else {
        EXIT_NOT_2XX
    })
}

async fn simulate(args: SimulateArgs) -> anyhow::Result<u8> {
    let fallback = args.source.is_empty().then_some(args.app_url.as_str());
    let manifest = args.source.load(fallback).await?;
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let file = match &args.secrets_file {
        Some(path) => install::read_secrets_file(path)?,
        None => install::Secrets::default(),
    };
    let sim = simulate::Simulator {
        app_url: args.app_url.clone(),
        webhook_secret: file
            .webhook
            .map(|w| w.secret)
            .or_else(|| args.secret.clone().map(|s| s.0))
            .or_else(|| from_env(&args.webhook_secret_env)),
        action_secrets: file.actions,
        action_secret: args
            .secret
            .map(|s| s.0)
            .or_else(|| from_env(&args.action_secret_env)),
        manifest,
        ids: args.ids.ids(),
    };
    if sim.webhook_secret.is_none() && sim.action_secret.is_none() && sim.action_secrets.is_empty()
    {
        bail!(
            "no signing secret: give --secret, or set {} / {}",
            args.webhook_secret_env,
            args.action_secret_env
        );
    }
    let actions = sim.manifest.actions.len();
    let events = sim.manifest.webhook_events.len();
    simulate::run(sim, args.port, |url| {
        println!(
            "Simulator for {} ({actions} action(s), {events} webhook event type(s)) on {url}",
            args.app_url
        );
        println!("Press Ctrl-C to stop.");
    })
    .await?;
    Ok(EXIT_OK)
}

async fn install(command: InstallCommand) -> anyhow::Result<u8> {
    enum Mode {
        Plan,
        Apply,
        Check,
    }
    let (mode, args) = match command {
        InstallCommand::Plan(args) => (Mode::Plan, args),
        InstallCommand::Apply(args) => (Mode::Apply, args),
        InstallCommand::Check(args) => (Mode::Check, args),
    };
    let manifest = args.source.load(None).await?;
    let client = api_client(&args).await?;
    if let Some(spec) = &args.secrets_store {
        let store = install::open_store(spec, &args.store_prefix)?;
        let kit = install::store_install(
            &args.webhook_name,
            &args.url,
            manifest,
            store,
            &args.api_url,
        )?;
        let adoption = kit
            .adoption_plan(&client, &args.account, &args.workspace)
            .await
            .context("cannot compare the workspace with the stored installation")?;
        let plan = &adoption.plan;
        return match mode {
            Mode::Plan => {
                print!("{plan}");
                Ok(EXIT_OK)
            }
            Mode::Check if plan.is_empty() => {
                print!("{plan}");
                println!("No drift.");
                Ok(EXIT_OK)
            }
            Mode::Check => {
                print!("{plan}");
                println!("Drift: Frame.io or the stored installation differs from the manifest.");
                Ok(EXIT_DRIFT)
            }
            Mode::Apply => {
                eprint!("{plan}");
                let adopted = kit
                    .adopt(&client, adoption, &args.installed_by, &mut |change| {
                        eprintln!("done: {change}");
                    })
                    .await
                    .context("cannot carry out the plan")?;
                eprintln!(
                    "{}",
                    if adopted.written {
                        "installation recorded in the store"
                    } else {
                        "the store already records this installation: nothing written"
                    }
                );
                println!(
                    "{}",
                    serde_json::to_string_pretty(&install::StoreSummary::of(&adopted))?
                );
                Ok(EXIT_OK)
            }
        };
    }
    let (webhooks, actions) = install::fetch(&client, &args.account, &args.workspace).await?;
    let desired =
        frameio_kit::install::Desired::from_manifest(&manifest, &args.url, &args.webhook_name);
    let plan = frameio_kit::install::Plan::between(&desired, &webhooks, &actions);
    match mode {
        Mode::Plan => {
            print!("{plan}");
            Ok(EXIT_OK)
        }
        Mode::Check => {
            print!("{plan}");
            if plan.is_empty() {
                println!("No drift.");
                Ok(EXIT_OK)
            } else {
                println!("Drift: Frame.io differs from the manifest.");
                Ok(EXIT_DRIFT)
            }
        }
        Mode::Apply => {
            eprint!("{plan}");
            let secrets = install::apply(
                &client,
                &args.account,
                &args.workspace,
                &plan,
                &mut |line| eprintln!("{line}"),
            )
            .await?;
            match &args.secrets_file {
                Some(path) => {
                    install::write_secrets_file(path, &secrets, &plan)?;
                    eprintln!("secrets written to {}", path.display());
                }
                None => println!("{}", serde_json::to_string_pretty(&secrets)?),
            }
            Ok(EXIT_OK)
        }
    }
}

async fn api_client(args: &InstallArgs) -> anyhow::Result<frameio_kit::client::Client> {
    use frameio_kit::client::{Client, TOKEN_ENV};
    let builder = Client::builder().base_url(args.api_url.clone());
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let builder = if let Some(token) = env(TOKEN_ENV) {
        builder.token(token)
    } else if let (Some(id), Some(secret)) = (
        env("FRAMEIO_IMS_CLIENT_ID"),
        env("FRAMEIO_IMS_CLIENT_SECRET"),
    ) {
        use frameio_kit::auth::{ImsConfig, ServerToServer};
        let scopes =
            env("FRAMEIO_IMS_SCOPES").unwrap_or_else(|| "openid AdobeID frame.s2s.all".to_owned());
        let config = ImsConfig::new(id)
            .with_client_secret(secret)
            .with_scopes(scopes.split_whitespace().map(str::to_owned))
            .with_ims_base_url(args.ims_url.clone());
        let s2s = ServerToServer::new(config).context("invalid IMS server-to-server settings")?;
        // Fail now, with IMS's reason, rather than at the first API call.
        s2s.access_token()
            .await
            .context("cannot get a server-to-server token from IMS")?;
        builder.token_provider(s2s)
    } else {
        bail!(
            "no Frame.io token: set {TOKEN_ENV}, or FRAMEIO_IMS_CLIENT_ID and FRAMEIO_IMS_CLIENT_SECRET"
        );
    };
    builder
        .build()
        .context("cannot build the Frame.io API client")
}
