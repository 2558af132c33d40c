//! Attribute macros for [frameio-kit](https://docs.rs/frameio-kit): `#[webhook]` and
//! `#[action]`. Use them through `frameio_kit` (which re-exports them and documents every
//! argument), not from this crate directly.
//!
//! The expansion is deliberately thin: the user's function is left untouched, and next to it
//! goes one `inventory` submission of a `fn() -> Handler` that builds the handler with the same
//! public builder a user calls by hand (`Handler::webhook` / `Handler::action`). That call goes
//! through a small generic helper given the argument and return types as explicit type
//! arguments, so a wrong one is reported on the user's own type and a future that is not `Send`
//! on the function's name. All logic lives in ordinary library code, reached through
//! `::frameio_kit::__private`; the attribute's arguments are parsed with `darling` (`args`).

mod args;
mod expand;

use proc_macro::TokenStream;

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
    expand::expand(Kind::Webhook, args.into(), item.into()).into()
}

/// Registers a custom action handler. See `frameio_kit::action` for the documentation.
#[proc_macro_attribute]
pub fn action(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Action, args.into(), item.into()).into()
}

/// Which attribute is being expanded.
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
