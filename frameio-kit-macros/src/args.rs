//! The attribute's arguments, parsed declaratively with `darling`.
//!
//! Both attributes share one set of keys ([`Named`]); what a webhook may not use is refused
//! afterwards with a message saying why, so there is a single list of key names. Every mistake
//! is collected (`darling::Error::accumulator`) and reported at once, at the span of the
//! offending key or value.

use darling::ast::NestedMeta;
use darling::{Error, FromMeta};
use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitStr, Meta};

use frameio_kit_rules::{event_type_problem, is_known_resource_type};

use crate::Kind;

/// A value together with the span of the key it was given to.
#[derive(Clone)]
pub(crate) struct Keyed<T> {
    pub(crate) key: Span,
    pub(crate) value: T,
}

/// The `key = value` arguments, as darling reads them.
#[derive(Default, FromMeta)]
struct Named {
    #[darling(default, with = parse_string)]
    event: Option<Keyed<LitStr>>,
    #[darling(default, with = parse_string)]
    name: Option<Keyed<LitStr>>,
    #[darling(default, with = parse_string)]
    description: Option<Keyed<LitStr>>,
    #[darling(default, with = parse_string)]
    secret_env: Option<Keyed<LitStr>>,
    #[darling(default, with = parse_resolver)]
    secret: Option<Keyed<syn::Path>>,
    #[darling(default, with = parse_resource_types)]
    resource_types: Option<Keyed<Vec<LitStr>>>,
    #[darling(default, with = parse_flag)]
    require_user_auth: Option<Keyed<()>>,
    #[darling(default, with = parse_flag)]
    background: Option<Keyed<()>>,
    #[darling(default, with = parse_retries)]
    retries: Option<Keyed<u32>>,
    #[darling(default, with = parse_duration)]
    dedup: Option<Keyed<u64>>,
    #[darling(default, with = parse_duration)]
    deadline: Option<Keyed<u64>>,
    #[darling(default, with = parse_flag)]
    no_deadline: Option<Keyed<()>>,
    #[darling(default, with = parse_interim)]
    interim: Option<Keyed<Interim>>,
    #[darling(default, rename = "crate", with = parse_crate)]
    krate: Option<syn::Path>,
}

/// What the attribute said, once checked.
pub(crate) struct Config {
    pub(crate) events: Vec<LitStr>,
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) secret_env: Option<LitStr>,
    pub(crate) secret: Option<syn::Path>,
    pub(crate) resource_types: Option<Vec<LitStr>>,
    pub(crate) require_user_auth: bool,
    pub(crate) background: bool,
    pub(crate) retries: Option<u32>,
    /// The dedup window in milliseconds.
    pub(crate) dedup: Option<u64>,
    /// The deadline in milliseconds.
    pub(crate) deadline: Option<u64>,
    pub(crate) no_deadline: bool,
    pub(crate) interim: Option<Interim>,
    pub(crate) krate: syn::Path,
}

/// The interim Message of `interim = "title"` or `interim = ("title", "description")`.
#[derive(Clone)]
pub(crate) struct Interim {
    pub(crate) title: LitStr,
    /// `None`: the default interim Message's description.
    pub(crate) description: Option<LitStr>,
}

fn key_name(meta: &Meta) -> String {
    let path = meta.path();
    path.get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), ToString::to_string)
}

/// The value of `key = value`, or an error saying the key needs one.
fn value(meta: &Meta) -> darling::Result<&Expr> {
    match meta {
        Meta::NameValue(pair) => Ok(&pair.value),
        _ => {
            let key = key_name(meta);
            Err(Error::custom(format!("`{key}` needs a value: `{key} = …`")).with_span(meta))
        }
    }
}

fn as_str(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => None,
    }
}

fn keyed<T>(meta: &Meta, value: T) -> Option<Keyed<T>> {
    Some(Keyed {
        key: meta.path().span(),
        value,
    })
}

fn parse_string(meta: &Meta) -> darling::Result<Option<Keyed<LitStr>>> {
    let expr = value(meta)?;
    match as_str(expr) {
        Some(lit) => Ok(keyed(meta, lit.clone())),
        None => Err(
            Error::custom(format!("`{}` takes a string literal", key_name(meta))).with_span(expr),
        ),
    }
}

fn parse_resolver(meta: &Meta) -> darling::Result<Option<Keyed<syn::Path>>> {
    match value(meta)? {
        Expr::Path(path) if path.qself.is_none() => Ok(keyed(meta, path.path.clone())),
        other => Err(Error::custom(
            "`secret` takes the path of an async resolver function, e.g. `secret = my_secret`",
        )
        .with_span(other)),
    }
}

fn parse_resource_types(meta: &Meta) -> darling::Result<Option<Keyed<Vec<LitStr>>>> {
    let Expr::Array(array) = value(meta)? else {
        return Err(Error::custom(
            "`resource_types` takes a list, e.g. `resource_types = [\"file\", \"version_stack\"]`",
        )
        .with_span(value(meta)?));
    };
    let mut errors = Error::accumulator();
    let mut types: Vec<LitStr> = Vec::new();
    for element in &array.elems {
        let Some(lit) = as_str(element) else {
            errors.push(
                Error::custom("resource types are string literals, e.g. \"file\"")
                    .with_span(element),
            );
            continue;
        };
        let name = lit.value();
        if !is_known_resource_type(&name) {
            errors.push(
                Error::custom(format!(
                    "unknown resource type \"{name}\"; expected \"file\", \"folder\" or \"version_stack\""
                ))
                .with_span(lit),
            );
        } else if types.iter().any(|t| t.value() == name) {
            errors.push(
                Error::custom(format!("resource type \"{name}\" is listed twice")).with_span(lit),
            );
        } else {
            types.push(lit.clone());
        }
    }
    if array.elems.is_empty() {
        errors.push(
            Error::custom("`resource_types` cannot be empty; leave it out to allow every type")
                .with_span(array),
        );
    }
    errors.finish_with(keyed(meta, types))
}

fn parse_flag(meta: &Meta) -> darling::Result<Option<Keyed<()>>> {
    match meta {
        Meta::Path(_) => Ok(keyed(meta, ())),
        Meta::NameValue(pair) => Err(Error::custom(format!(
            "`{}` is a flag: write it without a value",
            key_name(meta)
        ))
        .with_span(&pair.value)),
        Meta::List(list) => Err(Error::custom(format!(
            "`{}` is a flag: write it without a value",
            key_name(meta)
        ))
        .with_span(list)),
    }
}

fn parse_retries(meta: &Meta) -> darling::Result<Option<Keyed<u32>>> {
    let expr = value(meta)?;
    let attempts = match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<u32>().ok(),
        _ => None,
    };
    match attempts {
        Some(0) => Err(
            Error::custom("`retries` is the number of attempts in all: at least 1").with_span(expr),
        ),
        Some(attempts) => Ok(keyed(meta, attempts)),
        None => Err(Error::custom(
            "`retries` takes the number of attempts in all, e.g. `retries = 3`",
        )
        .with_span(expr)),
    }
}

fn parse_duration(meta: &Meta) -> darling::Result<Option<Keyed<u64>>> {
    let key = key_name(meta);
    let expr = value(meta)?;
    let Some(lit) = as_str(expr) else {
        return Err(Error::custom(format!(
            "`{key}` takes a duration in a string, e.g. `{key} = \"10m\"`"
        ))
        .with_span(expr));
    };
    match duration_millis(&lit.value()) {
        Ok(0) => Err(Error::custom(format!(
            "`{key}` must be longer than zero{}",
            if key == "deadline" {
                "; use `no_deadline` to wait for the handler"
            } else {
                ""
            }
        ))
        .with_span(lit)),
        Ok(millis) => Ok(keyed(meta, millis)),
        Err(why) => Err(Error::custom(format!(
            "invalid duration \"{}\": {why}; write numbers with units, e.g. \"500ms\", \"8s\", \"4.5s\", \"10m\", \"1h\" or \"1m30s\"",
            lit.value()
        ))
        .with_span(lit)),
    }
}

/// Parses `<number>[.<fraction>]<unit>` segments (`ms`, `s`, `m`, `h`) into milliseconds,
/// rounded down.
pub(crate) fn duration_millis(text: &str) -> Result<u64, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty");
    }
    let mut rest = text;
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or("a number needs a unit")?;
        let (number, after) = rest.split_at(digits);
        if number.is_empty() {
            return Err("expected a number");
        }
        let unit_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let scale: u128 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err("a number needs a unit"),
            _ => return Err("unknown unit (use ms, s, m or h)"),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty()
            || fraction.contains('.')
            || (number.contains('.') && fraction.is_empty())
        {
            return Err("malformed number");
        }
        let whole: u128 = whole.parse().map_err(|_| "number too large")?;
        let mut part = whole.checked_mul(scale).ok_or("too long")?;
        if !fraction.is_empty() {
            let digits = u32::try_from(fraction.len().min(9)).unwrap_or(9);
            let value: u128 = fraction[..digits as usize]
                .parse()
                .map_err(|_| "malformed number")?;
            part += value * scale / 10_u128.pow(digits);
        }
        total = total.checked_add(part).ok_or("too long")?;
        rest = after;
    }
    u64::try_from(total).map_err(|_| "too long")
}

fn parse_interim(meta: &Meta) -> darling::Result<Option<Keyed<Interim>>> {
    const USAGE: &str = "`interim` takes the Message's title, or its title and description: \
        `interim = \"Transcribing…\"` or `interim = (\"Transcribing…\", \"The text will follow as a comment.\")`";
    let expr = value(meta)?;
    let (title, description) = match expr {
        Expr::Tuple(tuple) if tuple.elems.len() == 2 => {
            let mut parts = tuple.elems.iter().map(as_str);
            match (parts.next().flatten(), parts.next().flatten()) {
                (Some(title), Some(description)) => (title, Some(description)),
                _ => return Err(Error::custom(USAGE).with_span(expr)),
            }
        }
        Expr::Paren(paren) => match as_str(&paren.expr) {
            Some(title) => (title, None),
            None => return Err(Error::custom(USAGE).with_span(expr)),
        },
        _ => match as_str(expr) {
            Some(title) => (title, None),
            None => return Err(Error::custom(USAGE).with_span(expr)),
        },
    };
    if title.value().trim().is_empty() {
        return Err(
            Error::custom("`interim` needs a title the user can read: it cannot be empty")
                .with_span(title),
        );
    }
    Ok(keyed(
        meta,
        Interim {
            title: title.clone(),
            description: description.cloned(),
        },
    ))
}

fn parse_crate(meta: &Meta) -> darling::Result<Option<syn::Path>> {
    let expr = value(meta)?;
    match as_str(expr).map(LitStr::parse::<syn::Path>) {
        Some(Ok(path)) => Ok(Some(path)),
        _ => Err(
            Error::custom("`crate` takes a path in a string, e.g. `crate = \"fk\"`")
                .with_span(expr),
        ),
    }
}

/// Parses and checks the attribute's arguments; `Err` holds every problem found.
pub(crate) fn parse(kind: Kind, args: TokenStream) -> darling::Result<Config> {
    let mut errors = Error::accumulator();
    let items = NestedMeta::parse_meta_list(args)?;
    let mut events = Vec::new();
    let mut metas = Vec::new();
    for item in items {
        match item {
            NestedMeta::Lit(Lit::Str(lit)) if kind == Kind::Webhook => events.push(lit),
            NestedMeta::Lit(Lit::Str(lit)) => errors.push(
                Error::custom("#[action] takes `event = \"key\"`, not a bare string")
                    .with_span(&lit),
            ),
            NestedMeta::Lit(other) => errors.push(
                Error::custom("expected an event type string or `key = value`").with_span(&other),
            ),
            meta @ NestedMeta::Meta(_) => metas.push(meta),
        }
    }
    // When a key is malformed, "missing" checks would only add noise: skip them.
    let parsed = errors.handle(Named::from_list(&metas));
    let complete = parsed.is_some();
    let named = parsed.unwrap_or_default();

    if kind == Kind::Webhook {
        let action_only = [
            named.event.as_ref().map(|e| {
                (
                    e.key,
                    "event",
                    "#[webhook] takes its event types as strings, e.g. #[webhook(\"file.ready\")]",
                )
            }),
            named
                .name
                .as_ref()
                .map(|e| (e.key, "name", "webhooks have no menu entry to name")),
            named.description.as_ref().map(|e| {
                (
                    e.key,
                    "description",
                    "webhooks have no menu entry to describe",
                )
            }),
            named.resource_types.as_ref().map(|e| {
                (
                    e.key,
                    "resource_types",
                    "webhooks cannot be restricted to resource types",
                )
            }),
            named.require_user_auth.as_ref().map(|e| {
                (
                    e.key,
                    "require_user_auth",
                    "webhooks have no user to sign in",
                )
            }),
        ];
        for (span, key, why) in action_only.into_iter().flatten() {
            errors.push(Error::custom(format!("`{key}` is for #[action]: {why}")).with_span(&span));
        }
    }
    if kind == Kind::Action
        && let Some(background) = &named.background
    {
        errors.push(
            Error::custom(
                "`background` is for #[webhook]: an action's answer is what its handler returns; use `deadline` for a slow action",
            )
            .with_span(&background.key),
        );
    }
    if let Some(retries) = &named.retries
        && named.background.is_none()
    {
        errors.push(
            Error::custom("`retries` is for background handlers: add `background`")
                .with_span(&retries.key),
        );
    }
    if named.background.is_some() {
        for (given, option) in [
            (named.deadline.as_ref().map(|k| k.key), "deadline"),
            (named.no_deadline.as_ref().map(|k| k.key), "no_deadline"),
            (named.interim.as_ref().map(|k| k.key), "interim"),
        ] {
            if let Some(span) = given {
                errors.push(
                    Error::custom(format!(
                        "a background handler is answered once queued: `{option}` does not apply"
                    ))
                    .with_span(&span),
                );
            }
        }
    } else {
        if let (Some(_), Some(no_deadline)) = (&named.deadline, &named.no_deadline) {
            errors.push(
                Error::custom("use either `deadline` or `no_deadline`, not both")
                    .with_span(&no_deadline.key),
            );
        }
        if let Some(interim) = &named.interim {
            if kind == Kind::Webhook {
                errors.push(
                    Error::custom(
                        "`interim` is for #[action]: a webhook past its deadline is answered `OK`, with no Message to show",
                    )
                    .with_span(&interim.key),
                );
            } else if named.no_deadline.is_some() {
                errors.push(
                    Error::custom(
                        "`interim` is the Message shown at the deadline: with `no_deadline` there is none",
                    )
                    .with_span(&interim.key),
                );
            }
        }
    }
    if let Some(event) = &named.event
        && kind == Kind::Action
    {
        events.push(event.value.clone());
    }
    for (i, event) in events.iter().enumerate() {
        let value = event.value();
        if let Some(problem) = event_type_problem(&value) {
            errors.push(Error::custom(problem).with_span(event));
        } else if events[..i].iter().any(|e| e.value() == value) {
            errors.push(
                Error::custom(format!("event type \"{value}\" is listed twice")).with_span(event),
            );
        }
    }
    if let Some(env) = &named.secret_env {
        let value = env.value.value();
        if value.is_empty() || value.contains('=') || value.contains('\0') {
            errors.push(
                Error::custom("`secret_env` must name an environment variable")
                    .with_span(&env.value),
            );
        }
        if named.secret.is_some() {
            errors.push(
                Error::custom("use either `secret_env` or `secret`, not both")
                    .with_span(&env.value),
            );
        }
    }
    if complete {
        match kind {
            Kind::Webhook if events.is_empty() => errors.push(Error::custom(
                "#[webhook] needs at least one event type, e.g. #[webhook(\"file.ready\")]",
            )),
            Kind::Action if events.is_empty() => errors.push(Error::custom(
                "#[action] needs `event = \"key\"`, the event key configured in Frame.io",
            )),
            _ => {}
        }
    }
    let action = kind == Kind::Action;
    errors.finish_with(Config {
        events,
        name: named.name.filter(|_| action).map(|k| k.value),
        description: named.description.filter(|_| action).map(|k| k.value),
        secret_env: named.secret_env.map(|k| k.value),
        secret: named.secret.map(|k| k.value),
        resource_types: named.resource_types.filter(|_| action).map(|k| k.value),
        require_user_auth: action && named.require_user_auth.is_some(),
        background: named.background.is_some(),
        retries: named.retries.map(|k| k.value),
        dedup: named.dedup.map(|k| k.value),
        deadline: named.deadline.map(|k| k.value),
        no_deadline: named.no_deadline.is_some(),
        interim: named.interim.filter(|_| action).map(|k| k.value),
        krate: named
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::frameio_kit)),
    })
}

#[cfg(test)]
mod tests {
    use super::duration_millis;

    #[test]
    fn durations() {
        for (text, millis) in [
            ("500ms", 500),
            ("8s", 8_000),
            ("4.5s", 4_500),
            ("10m", 600_000),
            ("1h", 3_600_000),
            ("1m30s", 90_000),
            (" 2s ", 2_000),
            ("0s", 0),
        ] {
            assert_eq!(duration_millis(text), Ok(millis), "{text}");
        }
        for bad in [
            "",
            "10",
            "10x",
            "s",
            "1.s",
            ".5s",
            "1..5s",
            "1 s",
            "99999999999999999999h",
        ] {
            assert!(duration_millis(bad).is_err(), "{bad:?}");
        }
    }
}
