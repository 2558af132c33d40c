//! Attribute macros for [frameio-kit](https://docs.rs/frameio-kit): `#[webhook]` and
//! `#[action]`. Use them through `frameio_kit` (which re-exports them and documents every
//! argument), not from this crate directly.
//!
//! The expansion is deliberately thin: the user's function is left untouched, and next to it
//! goes a non-generic shim that builds each argument through `FromDelivery`, calls the
//! function and converts its output, plus an `inventory` registration record. All logic lives
//! in ordinary library code under `::frameio_kit::__private`.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitStr, ReturnType, Token};

mod form;

/// Derives `frameio_kit::forms::ActionForm`: the struct is the form. See `frameio_kit::forms`
/// for the documentation.
#[proc_macro_derive(ActionForm, attributes(form))]
pub fn derive_action_form(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    form::derive_action_form(&input).into()
}

/// Derives `frameio_kit::forms::FormChoice`: the enum is the options of a select. See
/// `frameio_kit::forms` for the documentation.
#[proc_macro_derive(FormChoice, attributes(form))]
pub fn derive_form_choice(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    form::derive_form_choice(&input).into()
}

/// Registers a webhook handler. See `frameio_kit::webhook` for the documentation.
#[proc_macro_attribute]
pub fn webhook(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Webhook, args.into(), item.into()).into()
}

/// Registers a custom action handler. See `frameio_kit::action` for the documentation.
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(Kind::Action, args.into(), item.into()).into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Webhook,
    Action,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Webhook => "#[webhook]",
            Kind::Action => "#[action]",
        }
    }
}

/// One attribute argument: a bare string (an event type) or `key = value`.
enum Arg {
    Event(LitStr),
    Named(syn::Ident, syn::Expr),
    Flag(syn::Ident),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(Arg::Event(input.parse()?));
        }
        let key: syn::Ident = if input.peek(Token![crate]) {
            let token: Token![crate] = input.parse()?;
            syn::Ident::new("crate", token.span)
        } else {
            input.parse().map_err(|err| {
                syn::Error::new(err.span(), "expected an event type string or `key = value`")
            })?
        };
        if input.is_empty() || input.peek(Token![,]) {
            return Ok(Arg::Flag(key));
        }
        input.parse::<Token![=]>()?;
        Ok(Arg::Named(key, input.parse()?))
    }
}

struct Args(Punctuated<Arg, Token![,]>);

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(Args(Punctuated::parse_terminated(input)?))
    }
}

/// The resource types an action can be restricted to.
const RESOURCE_TYPES: &[&str] = &["file", "folder", "version_stack"];

/// What the attribute said, once checked.
struct Config {
    events: Vec<LitStr>,
    name: Option<LitStr>,
    description: Option<LitStr>,
    secret_env: Option<LitStr>,
    secret: Option<syn::Path>,
    resource_types: Option<Vec<LitStr>>,
    require_user_auth: bool,
    krate: syn::Path,
}

fn as_str(value: &syn::Expr) -> Option<LitStr> {
    match value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Some(lit.clone()),
        _ => None,
    }
}

/// Collects every error instead of stopping at the first.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        let error = syn::Error::new(span, message);
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn push_error(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }
}

/// Mirrors `frameio_kit::app::is_valid_event_type`, so mistakes fail at compile time.
fn event_type_problem(event: &str) -> Option<&'static str> {
    if event.is_empty() {
        return Some("event type cannot be empty");
    }
    if event.len() > 256 {
        return Some("event type is too long (at most 256 characters)");
    }
    if !event
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        return Some(
            "event type may only contain ASCII letters, digits and `_ . : -` (e.g. \"file.ready\")",
        );
    }
    if event.split('.').any(str::is_empty) {
        return Some("event type cannot start or end with `.` or contain `..`");
    }
    None
}

fn parse_config(kind: Kind, args: TokenStream2, errors: &mut Errors) -> Config {
    let mut config = Config {
        events: Vec::new(),
        name: None,
        description: None,
        secret_env: None,
        secret: None,
        resource_types: None,
        require_user_auth: false,
        krate: syn::parse_quote!(::frameio_kit),
    };
    let parsed = match syn::parse2::<Args>(args) {
        Ok(parsed) => parsed,
        Err(err) => {
            errors.push_error(err);
            return config;
        }
    };
    let mut event_key: Option<LitStr> = None;
    let mut seen: Vec<String> = Vec::new();
    for arg in parsed.0 {
        let (key, value) = match arg {
            Arg::Event(lit) if kind == Kind::Webhook => {
                config.events.push(lit);
                continue;
            }
            Arg::Event(lit) => {
                errors.push(
                    lit.span(),
                    "#[action] takes `event = \"key\"`, not a bare string",
                );
                continue;
            }
            Arg::Named(key, value) => (key, value),
            Arg::Flag(flag) if kind == Kind::Action && flag == "require_user_auth" => {
                if config.require_user_auth {
                    errors.push(flag.span(), "duplicate argument `require_user_auth`");
                }
                config.require_user_auth = true;
                continue;
            }
            Arg::Flag(flag) if flag == "require_user_auth" => {
                errors.push(
                    flag.span(),
                    "`require_user_auth` is for #[action]: webhooks have no user to sign in",
                );
                continue;
            }
            Arg::Flag(flag) => {
                errors.push(flag.span(), format!("`{flag}` needs a value: `{flag} = …`"));
                continue;
            }
        };
        let name = key.to_string();
        let known = match kind {
            Kind::Webhook => &["secret_env", "secret", "crate"][..],
            Kind::Action => &[
                "event",
                "name",
                "description",
                "secret_env",
                "secret",
                "resource_types",
                "require_user_auth",
                "crate",
            ][..],
        };
        if !known.contains(&name.as_str()) {
            let expected = match kind {
                Kind::Webhook => "expected event type strings, `secret_env`, `secret` or `crate`",
                Kind::Action => {
                    "expected `event`, `name`, `description`, `secret_env`, `secret`, `resource_types`, `require_user_auth` or `crate`"
                }
            };
            errors.push(
                key.span(),
                format!("unknown {} argument `{name}`; {expected}", kind.attr()),
            );
            continue;
        }
        if seen.contains(&name) {
            errors.push(key.span(), format!("duplicate argument `{name}`"));
            continue;
        }
        seen.push(name.clone());
        match name.as_str() {
            "secret" => match value {
                syn::Expr::Path(path) if path.qself.is_none() => config.secret = Some(path.path),
                other => errors.push(
                    other.span(),
                    "`secret` takes the path of an async resolver function, e.g. `secret = my_secret`",
                ),
            },
            "resource_types" => match value {
                syn::Expr::Array(array) => {
                    let mut types = Vec::new();
                    for element in &array.elems {
                        match as_str(element) {
                            Some(lit) if RESOURCE_TYPES.contains(&lit.value().as_str()) => {
                                if types.iter().any(|t: &LitStr| t.value() == lit.value()) {
                                    errors.push(
                                        lit.span(),
                                        format!("resource type \"{}\" is listed twice", lit.value()),
                                    );
                                }
                                types.push(lit);
                            }
                            Some(lit) => errors.push(
                                lit.span(),
                                format!(
                                    "unknown resource type \"{}\"; expected \"file\", \"folder\" or \"version_stack\"",
                                    lit.value()
                                ),
                            ),
                            None => errors.push(
                                element.span(),
                                "resource types are string literals, e.g. \"file\"",
                            ),
                        }
                    }
                    if array.elems.is_empty() {
                        errors.push(
                            array.span(),
                            "`resource_types` cannot be empty; leave it out to allow every type",
                        );
                    }
                    config.resource_types = Some(types);
                }
                other => errors.push(
                    other.span(),
                    "`resource_types` takes a list, e.g. `resource_types = [\"file\", \"version_stack\"]`",
                ),
            },
            "require_user_auth" => errors.push(
                value.span(),
                "`require_user_auth` is a flag: write it without a value",
            ),
            "crate" => match as_str(&value).map(|lit| lit.parse::<syn::Path>()) {
                Some(Ok(path)) => config.krate = path,
                _ => errors.push(value.span(), "`crate` takes a path in a string, e.g. `crate = \"fk\"`"),
            },
            _ => match as_str(&value) {
                Some(lit) => {
                    let slot = match name.as_str() {
                        "event" => &mut event_key,
                        "name" => &mut config.name,
                        "description" => &mut config.description,
                        _ => &mut config.secret_env,
                    };
                    *slot = Some(lit);
                }
                None => errors.push(value.span(), format!("`{name}` takes a string literal")),
            },
        }
    }
    if let Some(event) = event_key {
        config.events.push(event);
    }
    for (i, event) in config.events.iter().enumerate() {
        let value = event.value();
        if let Some(problem) = event_type_problem(&value) {
            errors.push(event.span(), problem);
        } else if config.events[..i].iter().any(|e| e.value() == value) {
            errors.push(
                event.span(),
                format!("event type \"{value}\" is listed twice"),
            );
        }
    }
    if let Some(env) = &config.secret_env {
        let value = env.value();
        if value.is_empty() || value.contains('=') || value.contains('\0') {
            errors.push(env.span(), "`secret_env` must name an environment variable");
        }
    }
    if let (Some(env), Some(_)) = (&config.secret_env, &config.secret) {
        errors.push(env.span(), "use either `secret_env` or `secret`, not both");
    }
    match kind {
        Kind::Webhook if config.events.is_empty() => errors.push(
            Span::call_site(),
            "#[webhook] needs at least one event type, e.g. #[webhook(\"file.ready\")]",
        ),
        Kind::Action => {
            if config.events.is_empty() {
                errors.push(
                    Span::call_site(),
                    "#[action] needs `event = \"key\"`, the event key configured in Frame.io",
                );
            }
            if config.name.is_none() {
                errors.push(
                    Span::call_site(),
                    "#[action] needs `name = \"…\"`, the name shown in the Frame.io menu",
                );
            }
        }
        Kind::Webhook => {}
    }
    config
}

fn check_function(kind: Kind, function: &ItemFn, errors: &mut Errors) {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(
            sig.fn_token.span,
            format!("{} handlers must be `async fn`", kind.attr()),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(
            sig.generics.span(),
            format!("{} handlers cannot be generic", kind.attr()),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(variadic.span(), "handlers cannot be variadic");
    }
    if sig.inputs.is_empty() {
        let event = match kind {
            Kind::Webhook => "event: WebhookEvent",
            Kind::Action => "event: ActionEvent",
        };
        errors.push(
            sig.paren_token.span.join(),
            format!(
                "{} handlers take the event as an argument, e.g. `({event})`",
                kind.attr()
            ),
        );
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            errors.push(
                receiver.span(),
                format!(
                    "{} handlers must be free functions, not methods",
                    kind.attr()
                ),
            );
        }
    }
}

fn expand(kind: Kind, args: TokenStream2, item: TokenStream2) -> TokenStream2 {
    let mut errors = Errors::default();
    let function = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                format!("{} can only be used on an `async fn`", kind.attr()),
            )
            .to_compile_error();
            return quote!(#item #error);
        }
    };
    let config = parse_config(kind, args, &mut errors);
    check_function(kind, &function, &mut errors);
    if let Some(error) = errors.0 {
        let error = error.to_compile_error();
        return quote!(#item #error);
    }

    let krate = &config.krate;
    let private = quote!(#krate::__private);
    let ident = &function.sig.ident;
    let arg_types: Vec<&syn::Type> = function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(&*typed.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let arg_names: Vec<syn::Ident> = (0..arg_types.len())
        .map(|i| format_ident!("__frameio_kit_arg{}", i))
        .collect();
    let extractions = arg_types.iter().zip(&arg_names).map(|(ty, name)| {
        quote_spanned! {ty.span()=>
            let #name = <#ty as #private::FromDelivery>::from_delivery(&__frameio_kit_delivery).await?;
        }
    });
    let checks = arg_types.iter().map(|ty| {
        quote_spanned! {ty.span()=> <#ty as #private::FromDelivery>::check }
    });
    let output_span = match &function.sig.output {
        ReturnType::Default => function.sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    let convert = match kind {
        Kind::Webhook => quote_spanned!(output_span=> #private::webhook_output),
        Kind::Action => quote_spanned!(output_span=> #private::action_output),
    };
    let events = &config.events;
    let constructor = match kind {
        Kind::Webhook => quote!(webhook),
        Kind::Action => quote!(action),
    };
    let describe = match (&config.name, &config.description) {
        (Some(name), description) => {
            let description = description
                .clone()
                .unwrap_or_else(|| LitStr::new("", Span::call_site()));
            quote!(.describe(#name, #description))
        }
        (None, _) => quote!(),
    };
    let secret_env = config
        .secret_env
        .as_ref()
        .map(|env| quote!(.secret_env(#env)));
    let require_user_auth = config
        .require_user_auth
        .then(|| quote!(.require_user_auth()));
    let resource_types = config
        .resource_types
        .as_ref()
        .map(|types| quote!(.resource_types(&[#(#types),*])));
    let (resolver_fn, resolver) = match &config.secret {
        None => (quote!(), quote!()),
        Some(path) => {
            let event = match kind {
                Kind::Webhook => quote!(#private::webhook_event),
                Kind::Action => quote!(#private::action_event),
            };
            let call = quote_spanned! {path.span()=>
                #private::resolved(#path(__frameio_kit_event).await)
            };
            (
                quote! {
                    fn __frameio_kit_secret(
                        __frameio_kit_event: &#private::DeliveryEvent,
                    ) -> #private::BoxFuture<'_, ::core::result::Result<#private::Secrets, #private::BoxError>> {
                        ::std::boxed::Box::pin(async move {
                            let __frameio_kit_event = #event(__frameio_kit_event)?;
                            #call
                        })
                    }
                },
                quote!(.secret_resolver(__frameio_kit_secret)),
            )
        }
    };
    let boxed = quote_spanned!(function.sig.ident.span()=> #private::boxed);
    let call = quote_spanned!(output_span=> #convert(#ident(#(#arg_names),*).await));

    quote! {
        #item

        const _: () = {
            fn __frameio_kit_call(
                __frameio_kit_delivery: #private::Delivery,
            ) -> #private::BoxFuture<'static, #private::HandlerResult> {
                #boxed(async move {
                    #(#extractions)*
                    #call
                })
            }

            #resolver_fn

            #private::inventory::submit! {
                #private::Registration::#constructor(
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#ident)),
                    &[#(#events),*],
                    &[#(#checks),*],
                    __frameio_kit_call,
                )
                #describe
                #secret_env
                #resolver
                #resource_types
                #require_user_auth
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::event_type_problem;

    #[test]
    fn event_type_rules() {
        for ok in [
            "file.ready",
            "my_app.transcribe",
            "a",
            "x:y-z",
            "comment.created",
        ] {
            assert_eq!(event_type_problem(ok), None, "{ok}");
        }
        for bad in ["", " ", "file ready", ".file", "file.", "a..b", "é"] {
            assert!(event_type_problem(bad).is_some(), "{bad:?}");
        }
    }
}
