//! What `#[webhook]` and `#[action]` expand to.

use darling::Error;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType};

use crate::Kind;
use crate::args::{self, Config};

/// Checks the function's shape (the attribute's arguments are checked in [`args`]).
fn check_function(kind: Kind, function: &ItemFn, errors: &mut darling::error::Accumulator) {
    let sig = &function.sig;
    let mut push =
        |span: Span, message: String| errors.push(Error::custom(message).with_span(&span));
    if sig.asyncness.is_none() {
        push(
            sig.fn_token.span,
            format!("{} handlers must be `async fn`", kind.attr()),
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        push(
            sig.generics.span(),
            format!("{} handlers cannot be generic", kind.attr()),
        );
    }
    if let Some(variadic) = &sig.variadic {
        push(variadic.span(), "handlers cannot be variadic".to_owned());
    }
    if sig.inputs.is_empty() {
        let event = match kind {
            Kind::Webhook => "event: WebhookEvent",
            Kind::Action => "event: ActionEvent",
        };
        push(
            sig.paren_token.span.join(),
            format!(
                "{} handlers take the event as an argument, e.g. `({event})`",
                kind.attr()
            ),
        );
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            push(
                receiver.span(),
                format!(
                    "{} handlers must be free functions, not methods",
                    kind.attr()
                ),
            );
        }
    }
}

/// The original item followed by the errors (so the rest of the crate still type-checks
/// against the user's function).
fn with_errors(item: TokenStream, error: Error) -> TokenStream {
    let error = error.write_errors();
    quote!(#item #error)
}

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(function) = syn::parse2::<ItemFn>(item.clone()) else {
        let error = Error::custom(format!("{} can only be used on an `async fn`", kind.attr()));
        return with_errors(item, error);
    };
    let mut errors = Error::accumulator();
    let config = errors.handle(args::parse(kind, args));
    check_function(kind, &function, &mut errors);
    match (errors.finish(), config) {
        (Ok(()), Some(config)) => registration(kind, &config, &function, item),
        (Err(error), _) => with_errors(item, error),
        (Ok(()), None) => item,
    }
}

/// The user's function plus one registration of a `fn() -> Handler` built with the public
/// builder.
fn registration(kind: Kind, config: &Config, function: &ItemFn, item: TokenStream) -> TokenStream {
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
    // The argument and return types are handed to a generic helper as explicit type
    // arguments: a type that is not a handler argument (or return type) is reported on the
    // user's own type, once, with the trait's message; under those bounds the public builder
    // call type-checks. The future's `Send` bound is checked there too, against the function.
    let params: Vec<syn::Ident> = (0..arg_types.len())
        .map(|i| format_ident!("__A{}", i))
        .collect();
    let (output_trait, constructor) = match kind {
        Kind::Webhook => (quote!(WebhookOutput), quote!(webhook)),
        Kind::Action => (quote!(ActionOutput), quote!(action)),
    };
    let output_type = match &function.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote!(#ty),
    };
    let events = &config.events;
    let events = match kind {
        Kind::Webhook => quote!([#(#events),*]),
        Kind::Action => quote!(#(#events)*),
    };
    let name = config.name.as_ref().map(|name| quote!(.name(#name)));
    let description = config
        .description
        .as_ref()
        .map(|description| quote!(.description(#description)));
    let secret_env = config
        .secret_env
        .as_ref()
        .map(|env| quote!(.secret_env(#env)));
    let resource_types = config
        .resource_types
        .as_ref()
        .map(|types| quote!(.resource_types([#(#types),*])));
    let require_user_auth = config
        .require_user_auth
        .then(|| quote!(.require_user_auth()));
    let background = config.background.then(|| quote!(.background()));
    let retries = config.retries.map(|n| quote!(.retries(#n)));
    let millis = |ms: u64| quote!(::core::time::Duration::from_millis(#ms));
    let dedup = config.dedup.map(|ms| {
        let window = millis(ms);
        quote!(.dedup(#window))
    });
    let deadline = config.deadline.map(|ms| {
        let deadline = millis(ms);
        quote!(.deadline(#deadline))
    });
    let no_deadline = config.no_deadline.then(|| quote!(.no_deadline()));
    let interim = config.interim.as_ref().map(|interim| {
        let title = &interim.title;
        let description = match &interim.description {
            Some(description) => quote!(#description),
            None => quote!(#krate::delivery::default_interim_message().description),
        };
        quote!(.interim(#krate::Message::new(#title, #description)))
    });
    let (resolver_type, resolver) = match &config.secret {
        None => (quote!(), quote!()),
        Some(path) => resolver(kind, &private, path),
    };
    // Spanned on the function's name: a future that is not `Send` is reported there.
    let build = quote_spanned! {ident.span()=>
        __frameio_kit_build::<#(#arg_types,)* #output_type, _, _>(#ident)
    };
    quote! {
        #item

        const _: () = {
            #resolver_type

            fn __frameio_kit_build<#(#params: #private::FromDelivery,)* __O, __Fut, __F>(
                function: __F,
            ) -> #private::Handler
            where
                __O: #private::#output_trait,
                __Fut: ::core::future::Future<Output = __O> + ::core::marker::Send + 'static,
                __F: ::core::ops::Fn(#(#params),*) -> __Fut
                    + ::core::marker::Send
                    + ::core::marker::Sync
                    + 'static,
            {
                #private::Handler::#constructor(#events, function)
            }

            fn __frameio_kit_handler() -> #private::Handler {
                #build
                    .function_name(::core::concat!(
                        ::core::module_path!(), "::", ::core::stringify!(#ident)
                    ))
                    #name
                    #description
                    #secret_env
                    #resolver
                    #resource_types
                    #require_user_auth
                    #background
                    #retries
                    #dedup
                    #deadline
                    #no_deadline
                    #interim
            }

            #private::inventory::submit! {
                #private::Registered(__frameio_kit_handler)
            }
        };
    }
}

/// A `SecretResolver` calling the user's `secret = path` function for this handler's kind.
fn resolver(kind: Kind, private: &TokenStream, path: &syn::Path) -> (TokenStream, TokenStream) {
    let call = quote_spanned! {path.span()=>
        #private::resolved(#path(__frameio_kit_event).await)
    };
    let none = quote!(::core::result::Result::Ok(#private::Secrets::none()));
    // Only the method of the handler's own kind is ever called.
    let (webhook, action) = match kind {
        Kind::Webhook => (call, none),
        Kind::Action => (none, call),
    };
    (
        quote! {
            struct __FrameioKitSecret;

            impl #private::SecretResolver for __FrameioKitSecret {
                async fn webhook_secret(
                    &self,
                    __frameio_kit_event: &#private::WebhookEvent,
                ) -> ::core::result::Result<#private::Secrets, #private::BoxError> {
                    let _ = __frameio_kit_event;
                    #webhook
                }

                async fn action_secret(
                    &self,
                    __frameio_kit_event: &#private::ActionEvent,
                ) -> ::core::result::Result<#private::Secrets, #private::BoxError> {
                    let _ = __frameio_kit_event;
                    #action
                }
            }
        },
        quote!(.secret_resolver(__FrameioKitSecret)),
    )
}
