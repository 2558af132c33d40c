//! Self-service installation: workspace admins install the app into their Frame.io workspace
//! from a page, and the kit creates, updates, repairs and removes its webhook and custom
//! actions (feature `install`).
//!
//! The pieces:
//!
//! - [`Install`]: the configuration (app name, public URL, the [`Manifest`], install fields,
//!   allowed accounts, branding, store and encryption keys, Adobe IMS credential) and the
//!   operations: [`install`](Install::install), [`update`](Install::update),
//!   [`uninstall`](Install::uninstall), [`drift`](Install::drift), [`repair`](Install::repair),
//!   [`rotate`](Install::rotate);
//! - [`Installation`]: the record kept per (account, workspace) in the app's
//!   [`Store`], encrypted as a whole (ids, secrets, config);
//! - [`ManifestDiff`]: what an update would change (the record against the manifest);
//! - [`Plan`]: the one comparison of what should exist in a workspace ([`Desired`]: from a
//!   manifest or from a record) with what Frame.io has, and the calls that close the gap —
//!   used by [`drift`](Install::drift) and [`repair`](Install::repair), and by
//!   `frameio-kit install plan|apply|check`;
//! - [`InstallationSecrets`]: the [`SecretResolver`](crate::SecretResolver) that verifies
//!   each delivery with its installation's secret (cached in memory);
//! - [`InstallConfig<T>`]: the handler argument that reads the installation's field values;
//! - [`DeliveryHealth`]: the middleware that records the last verified delivery of each
//!   installation for the status page;
//! - the pages, mounted with [`Install::configure`].
//!
//! The guide is `docs/install.md`.
//!
//! ```
//! use frameio_kit::install::{Install, InstallField};
//! use frameio_kit::manifest::{Manifest, ManifestAction};
//! use frameio_kit::store::{EncryptionKey, KeyRing, MemoryStore};
//! use std::sync::Arc;
//!
//! let manifest = Manifest::new()
//!     .webhook_events(["file.ready"])
//!     .action(ManifestAction::new("acme.export", "Export", "Send to the archive"));
//! let install = Install::builder("Acme Archive", "https://acme.example.com")
//!     .description("Archives your finished files.")
//!     .manifest(manifest)
//!     .field(InstallField::password("api_key", "Acme API key").required())
//!     .store(Arc::new(MemoryStore::new()), KeyRing::single(EncryptionKey::generate()))
//!     .build()
//!     .unwrap();
//! assert_eq!(install.prefix(), "/install");
//! assert_eq!(install.receiver_url(), "https://acme.example.com/");
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::auth::{ImsClient, ImsConfig};
use crate::client::Client;
use crate::manifest::Manifest;
use crate::store::{KeyRing, Store};

mod adopt;
mod diff;
mod fields;
mod ops;
mod pages;
mod plan;
mod record;
mod runtime;

pub use adopt::{Adopted, Adoption};
pub use diff::{Change, ManifestDiff};
pub use fields::{FieldKind, InstallField};
pub use ops::{DriftItem, DriftReport};
pub use pages::Branding;
pub use plan::{
    Created, Desired, Difference, Plan, PlanChange, Prune, WantedAction, WantedWebhook,
};
pub use record::{Health, Installation, InstalledAction, InstalledWebhook};
pub use runtime::{DeliveryHealth, InstallConfig, InstallationSecrets};

/// The default URL prefix of the install pages.
pub const DEFAULT_PREFIX: &str = "/install";
/// How long an install-page session lasts unless configured otherwise.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 60);
/// How long a verified installation stays in the in-memory cache before it is read again from
/// the store (so an update made by another instance is picked up).
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
/// How long a rotated-out secret is still accepted after its resource was deleted.
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::from_secs(60);

/// Something an install operation or the install set-up refused or failed at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// The install configuration is unusable.
    #[error("invalid install configuration: {0}")]
    Config(String),
    /// The Frame.io API refused or failed.
    #[error("frame.io api error")]
    Api(#[from] crate::client::ClientError),
    /// The store failed.
    #[error("install store error")]
    Store(#[from] crate::store::StoreError),
    /// A record could not be decrypted (wrong key, tampered data).
    #[error("install record cannot be decrypted")]
    Crypto(#[from] crate::store::CryptoError),
    /// A record could not be read.
    #[error("install record is corrupt")]
    Corrupt(#[source] serde_json::Error),
    /// The workspace has no installation.
    #[error("the app is not installed in this workspace")]
    NotInstalled,
    /// The workspace already has an installation.
    #[error("the app is already installed in this workspace")]
    AlreadyInstalled,
    /// The account is not one the app may be installed in.
    #[error("this account is not allowed to install the app")]
    AccountNotAllowed,
    /// An install field value is missing or invalid; the message names the field.
    #[error("{0}")]
    Field(String),
}

/// Builds an [`Install`]; see [`Install::builder`].
#[derive(Debug)]
pub struct InstallBuilder {
    name: String,
    description: String,
    public_url: String,
    receiver_path: String,
    prefix: String,
    manifest: Manifest,
    fields: Vec<InstallField>,
    allowed_accounts: Option<BTreeSet<String>>,
    branding: Branding,
    store: Option<(Arc<dyn Store>, Option<KeyRing>)>,
    ims: Option<ImsConfig>,
    api_base_url: Option<String>,
    session_ttl: Duration,
    cache_ttl: Duration,
    rotation_grace: Duration,
}

impl InstallBuilder {
    /// A longer description shown on the landing page.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// The path of the receiver (default `/`, as [`App::path`](crate::App::path)).
    #[must_use]
    pub fn receiver_path(mut self, path: impl Into<String>) -> Self {
        self.receiver_path = path.into();
        self
    }

    /// The URL prefix of the pages (default [`DEFAULT_PREFIX`]).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What to install: usually [`App::manifest`](crate::App::manifest).
    #[must_use]
    pub fn manifest(mut self, manifest: Manifest) -> Self {
        self.manifest = manifest;
        self
    }

    /// Adds an install field the admin fills in.
    #[must_use]
    pub fn field(mut self, field: InstallField) -> Self {
        self.fields.push(field);
        self
    }

    /// Only these Frame.io accounts may install the app (checked on every request, not just
    /// hidden from the list).
    #[must_use]
    pub fn allowed_accounts<I, S>(mut self, accounts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_accounts = Some(accounts.into_iter().map(Into::into).collect());
        self
    }

    /// The look of the pages.
    #[must_use]
    pub fn branding(mut self, branding: Branding) -> Self {
        self.branding = branding;
        self
    }

    /// Where installation records, sessions and health live, and the keys that encrypt them
    /// (see [`KeyRing::from_env`]).
    #[must_use]
    pub fn store(mut self, store: Arc<dyn Store>, keys: KeyRing) -> Self {
        self.store = Some((store, Some(keys)));
        self
    }

    /// [`store`](Self::store), with the keys read from
    /// [`ENCRYPTION_KEY_ENV`](crate::store::ENCRYPTION_KEY_ENV) when the configuration is
    /// checked: given to [`App::install`](crate::App::install), through the app's environment
    /// ([`App::env_lookup`](crate::App::env_lookup) if set before), so a missing or malformed
    /// key is reported with the app's other start-up problems.
    #[must_use]
    pub fn store_with_env_keys(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some((store, None));
        self
    }

    /// The Adobe IMS web-app credential admins sign in with (needs a client secret). Register
    /// `{public url}{prefix}/callback` as its redirect URI.
    #[must_use]
    pub fn ims(mut self, config: ImsConfig) -> Self {
        self.ims = Some(config);
        self
    }

    /// The Frame.io API base URL (default [`crate::client::DEFAULT_BASE_URL`]; tests point it
    /// at a mock).
    #[must_use]
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = Some(url.into());
        self
    }

    /// How long a page session lasts (default [`DEFAULT_SESSION_TTL`]).
    #[must_use]
    pub fn session_ttl(mut self, ttl: Duration) -> Self {
        self.session_ttl = ttl;
        self
    }

    /// How long a verified installation is served from memory (default [`DEFAULT_CACHE_TTL`]).
    #[must_use]
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// How long a rotated-out secret is still accepted once its old resource is deleted
    /// (default [`DEFAULT_ROTATION_GRACE`]): a delivery Frame.io sent just before the deletion
    /// may still arrive.
    #[must_use]
    pub fn rotation_grace(mut self, grace: Duration) -> Self {
        self.rotation_grace = grace;
        self
    }

    /// Checks the configuration.
    ///
    /// [`App::install`](crate::App::install) also takes the builder itself and reports these
    /// problems with the app's others, from [`App::build`](crate::App::build).
    ///
    /// # Errors
    ///
    /// [`InstallError::Config`] naming everything that is wrong (`; `-separated): no store,
    /// a public URL that is not `http(s)://`, a prefix or receiver path that does not start
    /// with `/`, duplicate or invalid fields, an unusable IMS credential.
    pub fn build(self) -> Result<Install, InstallError> {
        self.check(&|name| std::env::var(name).ok())
            .map_err(|problems| InstallError::Config(problems.join("; ")))
    }

    /// Checks the configuration: the install, or every problem found (one sentence each).
    /// `env` reads the encryption key of [`store_with_env_keys`](Self::store_with_env_keys).
    pub(crate) fn check(
        mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Install, Vec<String>> {
        use crate::store::ENCRYPTION_KEY_ENV;
        let mut problems = Vec::new();
        match &mut self.store {
            None => problems.push("no store: call `.store(store, key_ring)`".to_owned()),
            Some((_, keys @ None)) => {
                match env(ENCRYPTION_KEY_ENV).filter(|v| !v.trim().is_empty()) {
                    None => problems.push(format!(
                        "the install records are encrypted, but no key is set: set \
                         `{ENCRYPTION_KEY_ENV}` (generate one with `frameio-kit keygen` or \
                         `openssl rand -base64 32`)"
                    )),
                    Some(list) => match KeyRing::from_base64_list(&list) {
                        Ok(ring) => *keys = Some(ring),
                        Err(e) => problems.push(format!("`{ENCRYPTION_KEY_ENV}`: {e}")),
                    },
                }
            }
            Some(_) => {}
        }
        let secure_cookie = match url::Url::parse(&self.public_url) {
            Err(e) => {
                problems.push(format!("public url {:?} is invalid: {e}", self.public_url));
                false
            }
            Ok(public) if !matches!(public.scheme(), "http" | "https") => {
                problems.push(format!(
                    "public url {:?} must start with http:// or https://",
                    self.public_url
                ));
                false
            }
            Ok(public) => public.scheme() == "https",
        };
        let prefix = self.prefix.trim_end_matches('/').to_owned();
        if !prefix.starts_with('/') || prefix.len() < 2 {
            problems.push(format!(
                "prefix {:?} must start with `/` and not be `/` alone",
                self.prefix
            ));
        }
        if !self.receiver_path.starts_with('/') {
            problems.push(format!(
                "receiver path {:?} must start with `/`",
                self.receiver_path
            ));
        }
        let mut seen = BTreeSet::new();
        for field in &self.fields {
            if let Err(err) = field.validate() {
                problems.push(match err {
                    InstallError::Config(text) | InstallError::Field(text) => text,
                    other => other.to_string(),
                });
            }
            if !seen.insert(field.name.clone()) {
                problems.push(format!("install field `{}` is declared twice", field.name));
            }
        }
        let ims = match self.ims.map(ImsClient::new).transpose() {
            Ok(ims) => ims,
            Err(e) => {
                problems.push(format!("ims: {e}"));
                None
            }
        };
        let Some((store, Some(keys))) = self.store.filter(|_| problems.is_empty()) else {
            return Err(problems);
        };
        let public_url = self.public_url.trim_end_matches('/').to_owned();
        Ok(Install {
            inner: Arc::new(Inner {
                secure_cookie,
                receiver_url: format!("{public_url}{}", self.receiver_path),
                name: self.name,
                description: self.description,
                public_url,
                prefix,
                manifest: self.manifest,
                fields: self.fields,
                allowed_accounts: self.allowed_accounts,
                branding: self.branding,
                store,
                keys,
                ims,
                api_base_url: self
                    .api_base_url
                    .unwrap_or_else(|| crate::client::DEFAULT_BASE_URL.to_owned()),
                session_ttl: self.session_ttl,
                cache_ttl: self.cache_ttl,
                rotation_grace: self.rotation_grace,
                cache: RwLock::new(HashMap::new()),
                health_written: std::sync::Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// What [`App::install`](crate::App::install) accepts: a built [`Install`], or an
/// [`InstallBuilder`], which `App::build` then checks and reports with the app's other
/// start-up problems (one round, not two).
pub trait IntoInstall: sealed::Sealed {
    /// The install, or every configuration problem (one sentence each); `env` is the app's
    /// environment.
    #[doc(hidden)]
    fn into_install(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Install, Vec<String>>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Install {}
    impl Sealed for super::InstallBuilder {}
}

impl IntoInstall for Install {
    fn into_install(self, _env: &dyn Fn(&str) -> Option<String>) -> Result<Install, Vec<String>> {
        Ok(self)
    }
}

impl IntoInstall for InstallBuilder {
    fn into_install(self, env: &dyn Fn(&str) -> Option<String>) -> Result<Install, Vec<String>> {
        self.check(env)
    }
}

/// Set as state by [`App::install`](crate::App::install) when the install configuration is
/// invalid: the problems are reported once, so handlers taking
/// [`InstallConfig`] do not each add "install is not configured".
#[derive(Debug)]
pub(crate) struct InvalidInstall;

/// (account, workspace) → a verified record and when it was read.
pub(crate) type RecordCache = HashMap<(String, String), (Arc<Installation>, Instant)>;

/// The install configuration and operations; cheap to clone. See the [module](self) docs.
#[derive(Clone)]
pub struct Install {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) public_url: String,
    pub(crate) receiver_url: String,
    pub(crate) prefix: String,
    pub(crate) manifest: Manifest,
    pub(crate) fields: Vec<InstallField>,
    pub(crate) allowed_accounts: Option<BTreeSet<String>>,
    pub(crate) branding: Branding,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keys: KeyRing,
    pub(crate) ims: Option<ImsClient>,
    pub(crate) api_base_url: String,
    pub(crate) session_ttl: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) rotation_grace: Duration,
    pub(crate) secure_cookie: bool,
    /// (account, workspace) → the record and when it was read.
    pub(crate) cache: RwLock<RecordCache>,
    /// The last health written per installation (see `DeliveryHealth::record`).
    pub(crate) health_written: std::sync::Mutex<HashMap<(String, String), Health>>,
}

impl fmt::Debug for Install {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Install")
            .field("name", &self.inner.name)
            .field("public_url", &self.inner.public_url)
            .field("prefix", &self.inner.prefix)
            .field("manifest", &self.inner.manifest)
            .finish_non_exhaustive()
    }
}

impl Install {
    /// Starts a configuration: the app's name and its public base URL (what Frame.io reaches,
    /// e.g. `https://acme.example.com`).
    pub fn builder(name: impl Into<String>, public_url: impl Into<String>) -> InstallBuilder {
        InstallBuilder {
            name: name.into(),
            description: String::new(),
            public_url: public_url.into(),
            receiver_path: "/".into(),
            prefix: DEFAULT_PREFIX.into(),
            manifest: Manifest::new(),
            fields: Vec::new(),
            allowed_accounts: None,
            branding: Branding::default(),
            store: None,
            ims: None,
            api_base_url: None,
            session_ttl: DEFAULT_SESSION_TTL,
            cache_ttl: DEFAULT_CACHE_TTL,
            rotation_grace: DEFAULT_ROTATION_GRACE,
        }
    }

    /// The app's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The URL prefix of the pages, without a trailing `/`.
    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// The URL the webhook and actions are created with (public URL + receiver path).
    pub fn receiver_url(&self) -> &str {
        &self.inner.receiver_url
    }

    /// What is installed.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The install fields.
    pub fn fields(&self) -> &[InstallField] {
        &self.inner.fields
    }

    /// `true` when `account_id` may install the app.
    pub fn account_allowed(&self, account_id: &str) -> bool {
        self.inner
            .allowed_accounts
            .as_ref()
            .is_none_or(|allowed| allowed.contains(account_id))
    }

    /// A Frame.io API client acting with `access_token` (an admin's token).
    ///
    /// # Errors
    ///
    /// [`InstallError::Api`] if the client cannot be built.
    pub fn client(&self, access_token: &str) -> Result<Client, InstallError> {
        Ok(Client::builder()
            .token(access_token)
            .base_url(&self.inner.api_base_url)
            .build()?)
    }

    /// The secret resolver to give [`App::secret_resolver`](crate::App::secret_resolver).
    pub fn secrets(&self) -> InstallationSecrets {
        InstallationSecrets::new(self.clone())
    }

    /// The middleware to give [`App::middleware`](crate::App::middleware) so the status page
    /// shows each installation's last verified delivery.
    pub fn health(&self) -> DeliveryHealth {
        DeliveryHealth::new(self.clone())
    }

    /// Wires the install into an app: the per-installation secret resolver (it replaces an
    /// app-level resolver set earlier; handlers with their own secret keep it), the health
    /// middleware and the state [`InstallConfig`] reads. Mount the pages separately with
    /// [`configure`](Self::configure).
    pub fn register(&self, app: crate::App) -> crate::App {
        app.secret_resolver(self.secrets())
            .middleware(self.health())
            .state(self.clone())
    }

    /// Reads the store once, so an unreachable store is found before the app starts (see
    /// [`App::build_and_connect`](crate::App::build_and_connect)).
    ///
    /// # Errors
    ///
    /// The store's failure.
    pub async fn check_store(&self) -> Result<(), crate::store::StoreError> {
        self.inner.store.get("install:probe").await.map(drop)
    }

    /// Drops the cached record of one installation (done by every operation; call it if you
    /// change records by other means).
    pub fn invalidate(&self, account_id: &str, workspace_id: &str) {
        if let Ok(mut cache) = self.inner.cache.write() {
            cache.remove(&(account_id.to_owned(), workspace_id.to_owned()));
        }
    }
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Random URL-safe text (`bytes` random bytes, hex-encoded).
pub(crate) fn random_token(bytes: usize) -> String {
    let mut out = vec![0u8; bytes];
    for chunk in out.chunks_mut(32) {
        let random: [u8; 32] = rand::random();
        chunk.copy_from_slice(&random[..chunk.len()]);
    }
    hex::encode(out)
}

/// Field values as submitted (name → value).
pub type FieldValues = BTreeMap<String, String>;
