//! The sign-in routes, `GET {prefix}/auth/login` and `GET {prefix}/auth/callback`, and the
//! public URL their links point at.

use std::net::IpAddr;

use super::complete::SignInComplete;
use super::pages::{self, AuthPage};
use super::seal::{self, LOGIN_PURPOSE, STATE_PURPOSE};
use super::{CALLBACK_PATH, LOGIN_PATH, UserAuth, UserToken};
use crate::auth::error_chain;
use crate::error::BoxError;
use crate::handler::Headers;

/// Whose forwarding headers (`X-Forwarded-*`, `Host`) may choose the public URL.
#[derive(Debug, Clone)]
pub(super) enum HeaderTrust {
    /// Nobody's: `public_base_url` is required.
    Nobody,
    /// Only requests from peers in these ranges.
    Proxies(Vec<super::ProxyRange>),
    /// Everyone's (development and tests).
    Everyone,
}

/// Why the public URL could not be built from a request.
#[derive(Debug)]
pub(super) enum BaseUrlError {
    /// The request did not come from a trusted proxy.
    Untrusted,
    /// No `Host` header.
    NoHost,
    /// A `Host` / `X-Forwarded-Host` that is not a host name.
    BadHost,
    /// The request path the scope prefix is taken from holds characters a link cannot.
    BadPath,
}

/// One request to a sign-in route, as the HTTP server saw it.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AuthRequest<'a> {
    /// The request path as the app's HTTP server saw it, with the `web::scope` the service
    /// is mounted in (if any): `/frameio/auth/login`. What comes before `/auth/login` or
    /// `/auth/callback` is the scope, and the links the route builds follow it.
    pub path: &'a str,
    /// The query string, without `?`.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a Headers,
    /// The address of the peer that sent the request (the proxy, behind one).
    pub peer: Option<IpAddr>,
}

impl<'a> AuthRequest<'a> {
    /// A request to `path` with `query` and `headers`, from `peer`.
    pub fn new(path: &'a str, query: &'a str, headers: &'a Headers, peer: Option<IpAddr>) -> Self {
        Self {
            path,
            query,
            headers,
            peer,
        }
    }
}

/// Reads one query parameter, percent-decoded.
pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// At most 200 characters of an untrusted value, for `Debug` logging (which escapes it).
fn clip(value: &str) -> String {
    value.chars().take(200).collect()
}

/// Whether `prefix` can stand in front of a path in a link: empty, or `/` followed by path
/// characters (no query, fragment, space, quote or angle bracket).
pub(super) fn valid_scope(prefix: &str) -> bool {
    prefix.is_empty()
        || (prefix.starts_with('/')
            && !prefix.starts_with("//")
            && prefix.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'/' | b'-'
                            | b'.'
                            | b'_'
                            | b'~'
                            | b'%'
                            | b'!'
                            | b'$'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                            | b':'
                            | b'@'
                    )
            }))
}

/// The scope a route is mounted below: `request_path` without `route` at its end
/// (`/frameio/auth/login` → `/frameio`). `None` when the path does not end with the route.
pub(super) fn scope_of<'p>(request_path: &'p str, route: &str) -> Option<&'p str> {
    let scope = request_path.strip_suffix(route)?;
    Some(scope.trim_end_matches('/'))
}

impl UserAuth {
    /// Where the sign-in link leads below the public URL, for the service mounted at the root
    /// of the app: `{mount_prefix}/auth/login` (a `web::scope` it is mounted in comes between
    /// the two, detected from each request).
    pub fn login_path(&self) -> String {
        format!("{}{LOGIN_PATH}", self.inner.mount_prefix)
    }

    /// Where IMS sends the user back below the public URL, for the service mounted at the
    /// root of the app: `{mount_prefix}/auth/callback`.
    pub fn callback_path(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.inner.mount_prefix)
    }

    /// Answers a request to one of the sign-in routes: a path ending in
    /// [`LOGIN_PATH`] or [`CALLBACK_PATH`], below
    /// the scope the service is mounted in (`/auth/login`, `/frameio/auth/login`); `None` for
    /// any other path.
    pub async fn handle(&self, request: AuthRequest<'_>) -> Option<AuthPage> {
        let path = request.path;
        if scope_of(path, LOGIN_PATH).is_some() {
            Some(self.login_request(request))
        } else if scope_of(path, CALLBACK_PATH).is_some() {
            Some(self.callback_request(request).await)
        } else {
            None
        }
    }

    /// The public URL links point at: the origin, the mount prefix and `scope` (the
    /// `web::scope` the service is mounted in, from the request).
    pub(super) fn base_url(
        &self,
        headers: &Headers,
        peer: Option<IpAddr>,
        scope: &str,
    ) -> Result<String, BaseUrlError> {
        if !valid_scope(scope) {
            tracing::warn!(
                target: "frameio_kit::auth",
                path = ?clip(scope),
                "sign-in refused: the request path cannot be part of a link"
            );
            return Err(BaseUrlError::BadPath);
        }
        let prefix = &self.inner.mount_prefix;
        if let Some(url) = &self.inner.public_base_url {
            return Ok(format!("{url}{prefix}{scope}"));
        }
        let trusted = match &self.inner.trust {
            HeaderTrust::Nobody => false,
            HeaderTrust::Everyone => true,
            HeaderTrust::Proxies(proxies) => {
                peer.is_some_and(|p| proxies.iter().any(|range| range.contains(p)))
            }
        };
        if !trusted {
            return Err(BaseUrlError::Untrusted);
        }
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let host = first("x-forwarded-host")
            .or_else(|| first("host"))
            .ok_or(BaseUrlError::NoHost)?;
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        {
            tracing::warn!(
                target: "frameio_kit::auth",
                host = ?clip(host),
                "sign-in refused: the Host header is not a host name"
            );
            return Err(BaseUrlError::BadHost);
        }
        let proto = match first("x-forwarded-proto") {
            Some("https") => "https",
            _ if first("x-forwarded-host").is_some() => "https",
            _ => "http",
        };
        Ok(format!("{proto}://{host}{prefix}{scope}"))
    }

    fn base_url_page(&self, err: &BaseUrlError) -> AuthPage {
        match err {
            BaseUrlError::Untrusted => {
                tracing::warn!(
                    target: "frameio_kit::auth",
                    "sign-in refused: the request did not come through a trusted proxy and no \
                     public_base_url is set"
                );
                pages::failed(
                    400,
                    "This sign-in request did not come through the integration's proxy.",
                )
            }
            BaseUrlError::NoHost | BaseUrlError::BadHost => {
                pages::failed(400, "The sign-in request has no valid Host header.")
            }
            BaseUrlError::BadPath => pages::failed(400, "The sign-in request's path is not valid."),
        }
    }

    /// `GET /auth/login?t=…`: checks the link and redirects to Adobe IMS. The peer address
    /// is unknown here, so [`trusted_proxies`](super::UserAuthBuilder::trusted_proxies) refuse
    /// it; HTTP adapters call [`login_request`](Self::login_request).
    pub fn login(&self, query: &str, headers: &Headers) -> AuthPage {
        self.login_request(AuthRequest::new(LOGIN_PATH, query, headers, None))
    }

    /// `GET {scope}/auth/login?t=…` with the peer address: checks the link and redirects to
    /// Adobe IMS, with a redirect URI below the same scope. A path that does not end in
    /// `/auth/login` is taken as unscoped.
    pub fn login_request(&self, request: AuthRequest<'_>) -> AuthPage {
        let Some(token) = query_param(request.query, "t") else {
            return pages::failed(400, "The sign-in link is incomplete.");
        };
        let opened = match seal::open(&self.inner.keys, LOGIN_PURPOSE, &token) {
            Ok(opened) => opened,
            Err(why) => return pages::failed(400, why),
        };
        let scope = scope_of(request.path, LOGIN_PATH).unwrap_or_default();
        let redirect = match self.base_url(request.headers, request.peer, scope) {
            Ok(base) => format!("{base}{CALLBACK_PATH}"),
            Err(err) => return self.base_url_page(&err),
        };
        let url = seal::seal(
            &self.inner.keys,
            self.inner.ttl,
            STATE_PURPOSE,
            &opened.event,
        )
        .and_then(|state| Ok(self.inner.ims.authorization_url(&redirect, &state)?));
        match url {
            Ok(url) => AuthPage::redirect(307, url),
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", error = %error_chain(err.as_ref()), "cannot start sign-in");
                pages::failed(500, "The integration is misconfigured.")
            }
        }
    }

    /// `GET /auth/callback?code=…&state=…`: finishes the sign-in (peer unknown, see
    /// [`login`](Self::login)).
    pub async fn callback(&self, query: &str, headers: &Headers) -> AuthPage {
        self.callback_request(AuthRequest::new(CALLBACK_PATH, query, headers, None))
            .await
    }

    /// `GET {scope}/auth/callback?code=…&state=…` with the peer address: finishes the
    /// sign-in (the redirect URI sent to IMS is rebuilt below the same scope). A path that
    /// does not end in `/auth/callback` is taken as unscoped.
    pub async fn callback_request(&self, request: AuthRequest<'_>) -> AuthPage {
        let query = request.query;
        if let Some(error) = query_param(query, "error") {
            // Untrusted text: logged escaped (Debug), never shown.
            let detail = query_param(query, "error_description").unwrap_or_default();
            tracing::warn!(
                target: "frameio_kit::auth",
                error = ?clip(&error),
                detail = ?clip(&detail),
                "sign-in refused by IMS"
            );
            return pages::failed(
                400,
                "Adobe did not complete the sign-in. Go back to Frame.io and click the action \
                 again.",
            );
        }
        let Some(state) = query_param(query, "state") else {
            return pages::failed(400, "The sign-in response has no state.");
        };
        let opened = match seal::open(&self.inner.keys, STATE_PURPOSE, &state) {
            Ok(opened) => opened,
            Err(why) => return pages::failed(400, why),
        };
        let Some(code) = query_param(query, "code").filter(|c| !c.is_empty()) else {
            return pages::failed(400, "The sign-in response has no code.");
        };
        let scope = scope_of(request.path, CALLBACK_PATH).unwrap_or_default();
        let redirect = match self.base_url(request.headers, request.peer, scope) {
            Ok(base) => format!("{base}{CALLBACK_PATH}"),
            Err(err) => return self.base_url_page(&err),
        };
        match seal::claim_state(self.inner.store.as_ref(), &opened).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    target: "frameio_kit::auth",
                    user = ?opened.event.user_id(),
                    "sign-in refused: the state was already used"
                );
                return pages::failed(
                    400,
                    "This sign-in link was already used. Click the action again in Frame.io.",
                );
            }
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", error = %error_chain(&err), "cannot record the sign-in state");
                return pages::failed(
                    503,
                    "Sign-in is temporarily unavailable. Try again in a moment.",
                );
            }
        }
        let event = opened.event;
        let token = match self.inner.ims.exchange_code(&code, &redirect).await {
            Ok(token) => token,
            Err(err) => {
                tracing::error!(target: "frameio_kit::auth", error = %error_chain(&err), "code exchange failed");
                return pages::failed(500, "Adobe sign-in could not be completed. Try again.");
            }
        };
        if self.inner.verify_user {
            match self.frameio_user_id(token.access_token()).await {
                Ok(id) if id == event.user.id => {}
                Ok(_) => {
                    tracing::warn!(
                        target: "frameio_kit::auth",
                        user = ?event.user.id,
                        "sign-in refused: a different Frame.io user signed in"
                    );
                    return pages::failed(
                        400,
                        "You signed in as a different Frame.io user than the one who clicked \
                         the action. Sign in with your own account.",
                    );
                }
                Err(err) => {
                    tracing::error!(target: "frameio_kit::auth", error = %error_chain(err.as_ref()), "cannot check who signed in");
                    return pages::failed(
                        500,
                        "Frame.io could not confirm who signed in. Try again.",
                    );
                }
            }
        }
        let access_token = token.access_token().to_owned();
        let manager = self.manager_for(&event.user.id);
        if let Err(err) = manager.set_token(token).await {
            tracing::error!(target: "frameio_kit::auth", error = %error_chain(&err), "cannot store the token");
            return pages::failed(500, "Your sign-in could not be saved. Try again.");
        }
        tracing::info!(
            target: "frameio_kit::auth",
            user = ?event.user.id,
            action = ?event.event_type,
            "user signed in"
        );
        let done = SignInComplete {
            event,
            token: UserToken {
                access_token,
                manager,
            },
        };
        self.inner.hooks.run(done).await
    }

    #[cfg(feature = "client")]
    async fn frameio_user_id(&self, access_token: &str) -> Result<String, BoxError> {
        let client = crate::client::Client::builder()
            .base_url(self.inner.api_base_url.clone())
            .http_client(self.inner.http.clone())
            .token(access_token)
            .build()?;
        Ok(client.users().me().await?.id)
    }

    #[cfg(not(feature = "client"))]
    async fn frameio_user_id(&self, _access_token: &str) -> Result<String, BoxError> {
        Err("checking the signed-in user needs the `client` feature".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EncryptionKey, KeyRing};

    fn headers(pairs: &[(&str, &str)]) -> Headers {
        let mut headers = Headers::new();
        for (name, value) in pairs {
            headers.insert(name, value.as_bytes());
        }
        headers
    }

    fn auth(
        configure: impl FnOnce(super::super::UserAuthBuilder) -> super::super::UserAuthBuilder,
    ) -> UserAuth {
        configure(
            UserAuth::builder("id", "secret")
                .memory_store()
                .encryption_keys(KeyRing::single(EncryptionKey::generate())),
        )
        .finish(&|_| None)
        .unwrap()
    }

    #[test]
    fn forwarding_headers_are_trusted_only_when_allowed() {
        let everyone = auth(|b| b.trust_forwarded_headers());
        let base = |a: &UserAuth, pairs: &[(&str, &str)], peer: Option<IpAddr>| {
            a.base_url(&headers(pairs), peer, "")
                .map_err(|e| format!("{e:?}"))
        };
        assert_eq!(
            base(&everyone, &[("host", "127.0.0.1:8000")], None).unwrap(),
            "http://127.0.0.1:8000"
        );
        assert_eq!(
            base(
                &everyone,
                &[
                    ("host", "10.0.0.5:8000"),
                    ("x-forwarded-host", "hooks.example.com, proxy.internal"),
                    ("x-forwarded-proto", "https"),
                ],
                None
            )
            .unwrap(),
            "https://hooks.example.com"
        );
        assert_eq!(
            base(
                &everyone,
                &[("x-forwarded-host", "hooks.example.com")],
                None
            )
            .unwrap(),
            "https://hooks.example.com"
        );
        assert!(base(&everyone, &[], None).unwrap_err().contains("NoHost"));
        assert!(
            base(&everyone, &[("host", "evil.com/path?x=")], None)
                .unwrap_err()
                .contains("BadHost")
        );

        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let proxied = auth(|b| b.trusted_proxies([proxy]).mount_prefix("/hooks/"));
        let forged = [
            ("x-forwarded-host", "evil.example.com"),
            ("host", "evil.example.com"),
        ];
        assert_eq!(
            base(&proxied, &forged, Some("203.0.113.9".parse().unwrap())).unwrap_err(),
            "Untrusted"
        );
        assert_eq!(base(&proxied, &forged, None).unwrap_err(), "Untrusted");
        assert_eq!(
            base(
                &proxied,
                &[("x-forwarded-host", "hooks.example.com")],
                Some(proxy)
            )
            .unwrap(),
            "https://hooks.example.com/hooks"
        );
        assert_eq!(proxied.login_path(), "/hooks/auth/login");
        assert_eq!(proxied.callback_path(), "/hooks/auth/callback");

        let configured = auth(|b| b.public_base_url("https://fixed.example.com/"));
        assert_eq!(
            base(&configured, &forged, None).unwrap(),
            "https://fixed.example.com"
        );
    }

    #[test]
    fn the_scope_comes_from_the_request_path() {
        assert_eq!(
            scope_of("/frameio/auth/login", LOGIN_PATH),
            Some("/frameio")
        );
        assert_eq!(scope_of("/a/b/auth/callback", CALLBACK_PATH), Some("/a/b"));
        assert_eq!(scope_of("/auth/login", LOGIN_PATH), Some(""));
        assert_eq!(scope_of("/frameio/", ""), Some("/frameio"));
        assert_eq!(scope_of("/frameio/actions", "/actions"), Some("/frameio"));
        assert_eq!(scope_of("/auth/logins", LOGIN_PATH), None);
        assert_eq!(scope_of("/xauth/login", LOGIN_PATH), None);
        for ok in ["", "/frameio", "/a/b-c_d.e~f", "/t%20x", "/@me:1"] {
            assert!(valid_scope(ok), "{ok}");
        }
        for bad in [
            "frameio",
            "//evil.example",
            "/a b",
            "/a\"b",
            "/<x>",
            "/a?b",
            "/a#b",
        ] {
            assert!(!valid_scope(bad), "{bad}");
        }

        let a = auth(|b| {
            b.public_base_url("https://fixed.example.com")
                .mount_prefix("/ext")
        });
        assert_eq!(
            a.base_url(&Headers::new(), None, "/frameio").unwrap(),
            "https://fixed.example.com/ext/frameio"
        );
        assert!(matches!(
            a.base_url(&Headers::new(), None, "/<script>"),
            Err(BaseUrlError::BadPath)
        ));

        // `login` (no request path) links below the mount prefix once, not twice.
        let event: crate::event::ActionEvent = serde_json::from_value(serde_json::json!({
            "account_id": "a", "action_id": "b", "interaction_id": "i",
            "project": {"id": "p"}, "resource": {"id": "r", "type": "file"},
            "type": "t", "user": {"id": "u-1"}, "workspace": {"id": "w"}
        }))
        .unwrap();
        let t = seal::seal(&a.inner.keys, a.inner.ttl, LOGIN_PURPOSE, &event).unwrap();
        let page = a.login(&format!("t={t}"), &Headers::new());
        let location = page.location.expect("a redirect to IMS");
        assert!(
            location
                .contains("redirect_uri=https%3A%2F%2Ffixed.example.com%2Fext%2Fauth%2Fcallback"),
            "{location}"
        );
        let page = a.login_request(AuthRequest::new(
            "/frameio/auth/login",
            &format!("t={t}"),
            &Headers::new(),
            None,
        ));
        assert!(page.location.unwrap().contains(
            "redirect_uri=https%3A%2F%2Ffixed.example.com%2Fext%2Fframeio%2Fauth%2Fcallback"
        ));
    }

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(query_param("a=1&t=x%2By&b", "t").as_deref(), Some("x+y"));
        assert_eq!(query_param("a=1", "t"), None);
    }
}
