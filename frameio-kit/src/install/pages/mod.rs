//! The install pages: server-rendered HTML (maud escapes every value), no external asset,
//! usable without JavaScript. Every POST carries a CSRF token bound to the session; the
//! session cookie is encrypted, `HttpOnly`, `SameSite=Lax`, `Secure` behind HTTPS, scoped to
//! the prefix and expiring.

use std::collections::BTreeMap;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tracing::{info, warn};

use super::record::valid_id;
use super::{
    FieldKind, FieldValues, Install, InstallError, Installation, ManifestDiff, now_unix,
    random_token,
};
use crate::client::Client;

mod signin;
mod workspace;

use signin::{callback, landing, login, logout};
use workspace::{accounts, operation, workspace, workspaces};

/// The name of the session cookie.
pub(crate) const COOKIE_NAME: &str = "frameio_kit_install";
const COOKIE_CONTEXT: &[u8] = b"frameio-kit install session cookie";
const STATE_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// The look of the install pages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Branding {
    /// A logo shown in the header. Use a `data:` URL or a path your app serves, so the page
    /// keeps loading nothing from elsewhere.
    pub logo_url: Option<String>,
    /// The primary colour (buttons, links), a CSS colour such as `#4f46e5`.
    pub primary_color: String,
    /// The accent colour (headings' rule, badges).
    pub accent_color: String,
    /// CSS appended to the built-in style sheet.
    pub extra_css: String,
    /// Show "Powered by frameio-kit" in the footer.
    pub powered_by: bool,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            logo_url: None,
            primary_color: "#4f46e5".into(),
            accent_color: "#0e7490".into(),
            extra_css: String::new(),
            powered_by: true,
        }
    }
}

impl Branding {
    /// The default look.
    pub fn new() -> Self {
        Self::default()
    }

    /// A logo (`data:` URL or same-site path).
    #[must_use]
    pub fn logo_url(mut self, url: impl Into<String>) -> Self {
        self.logo_url = Some(url.into());
        self
    }

    /// Primary and accent colours.
    #[must_use]
    pub fn colors(mut self, primary: impl Into<String>, accent: impl Into<String>) -> Self {
        self.primary_color = primary.into();
        self.accent_color = accent.into();
        self
    }

    /// Extra CSS.
    #[must_use]
    pub fn extra_css(mut self, css: impl Into<String>) -> Self {
        self.extra_css = css.into();
        self
    }

    /// Show or hide "Powered by frameio-kit".
    #[must_use]
    pub fn powered_by(mut self, show: bool) -> Self {
        self.powered_by = show;
        self
    }
}

/// A colour safe to put in a style sheet, else `fallback`.
fn css_color<'a>(value: &'a str, fallback: &'a str) -> &'a str {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "#(),.% ".contains(c));
    if ok { value } else { fallback }
}

#[derive(Serialize, Deserialize)]
struct Session {
    token: String,
    csrf: String,
    user: String,
    expires_at: u64,
}

#[derive(Serialize, Deserialize)]
struct CookieValue {
    sid: String,
    exp: u64,
}

fn session_key(sid: &str) -> String {
    format!("install:session:{sid}")
}

impl Install {
    /// Mounts the pages under the prefix into an actix-web app, next to the receiver:
    /// `App::new().configure(|cfg| { service.configure(cfg); install.configure(cfg) })`.
    ///
    /// | route | page |
    /// |---|---|
    /// | `GET {prefix}` | landing: name, description, what will be installed, sign in |
    /// | `GET {prefix}/login`, `GET {prefix}/callback` | Adobe IMS sign-in (register the callback as redirect URI) |
    /// | `GET {prefix}/accounts` | account choice |
    /// | `GET {prefix}/accounts/{account}` | workspace choice |
    /// | `GET {prefix}/accounts/{account}/workspaces/{workspace}` | install form, or the status panel (update diff, drift, health) |
    /// | `POST …/workspaces/{workspace}/{install,update,repair,rotate,uninstall}` | the operations |
    /// | `POST {prefix}/logout` | ends the session |
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        let p = self.inner.prefix.clone();
        cfg.app_data(web::Data::new(self.clone()))
            .route(&p, web::get().to(landing))
            .route(&format!("{p}/"), web::get().to(landing))
            .route(&format!("{p}/login"), web::get().to(login))
            .route(&format!("{p}/callback"), web::get().to(callback))
            .route(&format!("{p}/logout"), web::post().to(logout))
            .route(&format!("{p}/accounts"), web::get().to(accounts))
            .route(
                &format!("{p}/accounts/{{account}}"),
                web::get().to(workspaces),
            )
            .route(
                &format!("{p}/accounts/{{account}}/workspaces/{{workspace}}"),
                web::get().to(workspace),
            )
            .route(
                &format!("{p}/accounts/{{account}}/workspaces/{{workspace}}/{{op}}"),
                web::post().to(operation),
            );
    }

    fn redirect_uri(&self) -> String {
        format!("{}{}/callback", self.inner.public_url, self.inner.prefix)
    }

    async fn session(&self, req: &HttpRequest) -> Option<(String, Session)> {
        let cookie = req.cookie(COOKIE_NAME)?;
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cookie.value())
            .ok()?;
        let plain = self.inner.keys.decrypt(&sealed, COOKIE_CONTEXT).ok()?;
        let value: CookieValue = serde_json::from_slice(&plain).ok()?;
        if value.exp <= now_unix() {
            return None;
        }
        let key = session_key(&value.sid);
        let stored = match self.inner.store.get(&key).await {
            Ok(stored) => stored?,
            Err(err) => {
                warn!(error = %err, "install page: cannot read the session");
                return None;
            }
        };
        let plain = self.inner.keys.decrypt(&stored, key.as_bytes()).ok()?;
        let session: Session = serde_json::from_slice(&plain).ok()?;
        (session.expires_at > now_unix()).then_some((value.sid, session))
    }

    async fn start_session(
        &self,
        token: String,
        user: String,
    ) -> Result<Cookie<'static>, InstallError> {
        let sid = random_token(24);
        let ttl = self.inner.session_ttl;
        let exp = now_unix() + ttl.as_secs();
        let session = Session {
            token,
            csrf: random_token(24),
            user,
            expires_at: exp,
        };
        let key = session_key(&sid);
        let plain = serde_json::to_vec(&session).map_err(InstallError::Corrupt)?;
        let sealed = self.inner.keys.encrypt(&plain, key.as_bytes())?;
        self.inner.store.set(&key, &sealed, Some(ttl)).await?;
        let value = serde_json::to_vec(&CookieValue { sid, exp }).map_err(InstallError::Corrupt)?;
        let sealed = self.inner.keys.encrypt(&value, COOKIE_CONTEXT)?;
        Ok(self.cookie(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed),
            CookieDuration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
        ))
    }

    fn cookie(&self, value: String, max_age: CookieDuration) -> Cookie<'static> {
        Cookie::build(COOKIE_NAME, value)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.inner.secure_cookie)
            .path(self.inner.prefix.clone())
            .max_age(max_age)
            .finish()
    }

    fn layout(&self, title: &str, body: Markup) -> Markup {
        let b = &self.inner.branding;
        let primary = css_color(&b.primary_color, "#4f46e5");
        let accent = css_color(&b.accent_color, "#0e7490");
        // The extra CSS is the app's own; keep it from closing the style element (`<` is
        // written as its CSS escape, which means the same inside CSS strings).
        let extra = b.extra_css.replace('<', "\\3c ");
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    title { (title) " · " (self.inner.name) }
                    style {
                        (PreEscaped(format!(":root{{--primary:{primary};--accent:{accent}}}")))
                        (PreEscaped(BASE_CSS))
                        (PreEscaped(extra))
                    }
                }
                body {
                    header {
                        @if let Some(logo) = &b.logo_url {
                            img.logo src=(logo) alt="";
                        }
                        span.app { (self.inner.name) }
                    }
                    main {
                        h1 { (title) }
                        (body)
                    }
                    @if b.powered_by {
                        footer { "Powered by frameio-kit" }
                    }
                }
            }
        }
    }

    fn page(&self, status: StatusCode, title: &str, body: Markup) -> HttpResponse {
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
            ))
            .body(self.layout(title, body).into_string())
    }

    fn message(&self, status: StatusCode, title: &str, text: &str) -> HttpResponse {
        let p = &self.inner.prefix;
        self.page(
            status,
            title,
            html! {
                p.notice { (text) }
                p { a href=(p) { "Back to the start" } }
            },
        )
    }

    fn signed_out(&self) -> HttpResponse {
        self.message(
            StatusCode::UNAUTHORIZED,
            "Please sign in",
            "Your session is missing or has expired. Sign in again to continue.",
        )
    }

    fn what_gets_installed(&self) -> Markup {
        let m = &self.inner.manifest;
        html! {
            section {
                h2 { "What will be installed" }
                @if !m.webhook_events.is_empty() {
                    p { "One webhook, for these events:" }
                    ul { @for e in &m.webhook_events { li { code { (e) } } } }
                }
                @if !m.actions.is_empty() {
                    p { "Custom actions:" }
                    ul {
                        @for a in &m.actions {
                            li { strong { (a.name) } @if !a.description.is_empty() { " — " (a.description) } }
                        }
                    }
                }
            }
        }
    }

    fn fields_form(&self, record: Option<&Installation>) -> Markup {
        html! {
            @for f in &self.inner.fields {
                @let id = format!("field-{}", f.name);
                @let current = record.and_then(|r| r.config.get(&f.name));
                @let value = if f.sensitive { None } else { current.or(f.default.as_ref()) };
                @let configured = f.sensitive && current.is_some_and(|v| !v.is_empty());
                div.field {
                    label for=(id) { (f.label) @if f.required { " *" } }
                    @match &f.kind {
                        FieldKind::Textarea => {
                            textarea id=(id) name=(f.name) required[f.required && !configured] { (value.map_or("", String::as_str)) }
                        }
                        FieldKind::Select(options) => {
                            select id=(id) name=(f.name) required[f.required] {
                                @if !f.required { option value="" { "—" } }
                                @for (v, l) in options {
                                    option value=(v) selected[value == Some(v)] { (l) }
                                }
                            }
                        }
                        FieldKind::Password => {
                            input id=(id) type="password" name=(f.name) autocomplete="off"
                                placeholder=[configured.then_some("configured — leave empty to keep")]
                                required[f.required && !configured];
                        }
                        _ => {
                            @if f.sensitive {
                                input id=(id) type="password" name=(f.name) autocomplete="off"
                                    placeholder=[configured.then_some("configured — leave empty to keep")]
                                    required[f.required && !configured];
                            } @else {
                                input id=(id) type="text" name=(f.name) value=[value] required[f.required];
                            }
                        }
                    }
                    @if configured { span.badge { "configured" } }
                    @if let Some(d) = &f.description { p.help { (d) } }
                }
            }
        }
    }
}

const BASE_CSS: &str = "*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2937;background:#f8fafc}header{display:flex;align-items:center;gap:.75rem;padding:1rem 2rem;background:#fff;border-bottom:3px solid var(--accent)}header .logo{height:32px}header .app{font-weight:600}main{max-width:46rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.15rem;border-bottom:1px solid #e5e7eb;padding-bottom:.25rem}a{color:var(--primary)}.button,button{display:inline-block;background:var(--primary);color:#fff;border:0;border-radius:.4rem;padding:.55rem 1.1rem;font:inherit;cursor:pointer;text-decoration:none}button.danger{background:#b91c1c}.field{margin:1rem 0}.field label{display:block;font-weight:600}.field input,.field select,.field textarea{width:100%;padding:.5rem;border:1px solid #cbd5e1;border-radius:.3rem;font:inherit}.help{color:#64748b;font-size:.9rem;margin:.2rem 0}.badge{display:inline-block;background:var(--accent);color:#fff;border-radius:1rem;padding:0 .6rem;font-size:.8rem}.notice{background:#ecfeff;border-left:4px solid var(--accent);padding:.6rem 1rem}.error{background:#fef2f2;border-left:4px solid #b91c1c;padding:.6rem 1rem}.ok{color:#15803d}.bad{color:#b91c1c}ul.choices{list-style:none;padding:0}ul.choices li{margin:.4rem 0}pre{background:#0f172a;color:#e2e8f0;padding:.8rem;border-radius:.3rem;overflow:auto}form.inline{display:inline-block;margin:.25rem .5rem .25rem 0}footer{text-align:center;color:#94a3b8;font-size:.85rem;padding:2rem}";

fn csrf_input(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn format_time(unix: u64) -> String {
    let ago = now_unix().saturating_sub(unix);
    match ago {
        0..=59 => format!("{ago} s ago"),
        60..=3599 => format!("{} min ago", ago / 60),
        3600..=86_399 => format!("{} h ago", ago / 3600),
        _ => format!("{} days ago", ago / 86_400),
    }
}

fn csrf_ok(session: &Session, form: &BTreeMap<String, String>) -> bool {
    form.get("csrf")
        .is_some_and(|given| bool::from(given.as_bytes().ct_eq(session.csrf.as_bytes())))
}

fn csrf_refused(install: &Install) -> HttpResponse {
    warn!("install page: POST refused, CSRF token missing or wrong");
    install.message(
        StatusCode::FORBIDDEN,
        "Request refused",
        "This form has expired or did not come from this page. Reload the page and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_are_sanitized() {
        assert_eq!(css_color("#123abc", "x"), "#123abc");
        assert_eq!(css_color("rgb(1, 2, 3)", "x"), "rgb(1, 2, 3)");
        assert_eq!(css_color("red;}</style><script>", "x"), "x");
        assert_eq!(css_color("", "x"), "x");
    }
}
