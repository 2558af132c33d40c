//! `#[derive(ActionForm)]` and `#[derive(FormChoice)]`: typed forms.
//!
//! The expansion only describes the struct (its fields, their labels, defaults and checks) to
//! `::frameio_kit::forms`; rendering, parsing and validation live there as ordinary code.

use darling::util::{Flag, SpannedValue};
use darling::{FromDeriveInput, FromField, FromVariant, ast};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Expr, GenericArgument, LitStr, PathArguments, RangeLimits, Type};

/// `#[form(...)]` on the struct.
#[derive(FromDeriveInput)]
#[darling(attributes(form), supports(struct_named))]
struct FormInput {
    ident: syn::Ident,
    generics: syn::Generics,
    data: ast::Data<(), FormFieldInput>,
    title: Option<String>,
    description: Option<String>,
    validate: Option<syn::Path>,
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// `#[form(...)]` on a field.
#[derive(FromField)]
#[darling(attributes(form))]
struct FormFieldInput {
    ident: Option<syn::Ident>,
    ty: Type,
    label: Option<String>,
    help: Option<String>,
    rename: Option<String>,
    #[darling(default, with = preserve_str)]
    default: Option<Expr>,
    textarea: Flag,
    required: Flag,
    skip: Flag,
    min_len: Option<SpannedValue<usize>>,
    max_len: Option<SpannedValue<usize>>,
    range: Option<Expr>,
    pattern: Option<LitStr>,
    validate: Option<syn::Path>,
    link: Option<LitStr>,
}

/// Keeps `default = "text"` a string literal (darling would parse its contents).
fn preserve_str(meta: &syn::Meta) -> darling::Result<Option<Expr>> {
    darling::util::parse_expr::preserve_str_literal(meta).map(Some)
}

/// `#[form(...)]` on the enum of a `FormChoice`.
#[derive(FromDeriveInput)]
#[darling(attributes(form), supports(enum_unit))]
struct ChoiceInput {
    ident: syn::Ident,
    generics: syn::Generics,
    data: ast::Data<ChoiceVariant, ()>,
    #[darling(rename = "crate")]
    krate: Option<syn::Path>,
}

/// `#[form(...)]` on a variant.
#[derive(FromVariant)]
#[darling(attributes(form))]
struct ChoiceVariant {
    ident: syn::Ident,
    label: Option<String>,
    value: Option<String>,
}

/// `new_name` → `New name`, `RenameForm` → `Rename form`.
fn humanize(ident: &str) -> String {
    let ident = ident.trim_start_matches("r#");
    let mut words = String::new();
    let mut previous_lower = false;
    for c in ident.chars() {
        if c == '_' {
            if !words.ends_with(' ') && !words.is_empty() {
                words.push(' ');
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(' ');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        words.extend(c.to_lowercase());
    }
    let words = words.trim_end();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `KeepAsTyped` → `keep_as_typed`.
fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in ident.trim_start_matches("r#").chars() {
        if c.is_uppercase() && previous_lower {
            out.push('_');
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

/// The `T` of `Option<T>`, if the type is spelled that way.
fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// `true` when the type is spelled with `name` as its last segment (`String`, `bool`, …).
fn is_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.qself.is_none()
        && path.path.segments.last().is_some_and(|s| s.ident == name && s.arguments.is_empty()))
}

/// `tokens` with every span set to `span`, so an error about a generated bound points at the
/// user's field or attribute rather than at the derive.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

/// The crate path: `crate = "…"` or `::frameio_kit`.
fn crate_path(krate: Option<syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path),
        None => quote!(::frameio_kit),
    }
}

/// Expands `#[derive(ActionForm)]`.
pub(crate) fn derive_action_form(input: &DeriveInput) -> TokenStream {
    match FormInput::from_derive_input(input).and_then(expand_form) {
        Ok(tokens) => tokens,
        Err(errors) => errors.write_errors(),
    }
}

/// Expands `#[derive(FormChoice)]`.
pub(crate) fn derive_form_choice(input: &DeriveInput) -> TokenStream {
    match ChoiceInput::from_derive_input(input).and_then(expand_choice) {
        Ok(tokens) => tokens,
        Err(errors) => errors.write_errors(),
    }
}

/// A range's bounds as `Option` expressions.
fn range_bounds(range: &Expr) -> darling::Result<(TokenStream, TokenStream)> {
    let Expr::Range(r) = range else {
        return Err(darling::Error::custom(
            "`range` takes a range such as `1..=10`, `1..` or `..=10`",
        )
        .with_span(range));
    };
    if let (RangeLimits::HalfOpen(dots), Some(_)) = (&r.limits, &r.end) {
        return Err(darling::Error::custom(
            "`range` takes an inclusive range: write `a..=b` (the end is allowed)",
        )
        .with_span(dots));
    }
    if r.start.is_none() && r.end.is_none() {
        return Err(darling::Error::custom("`range` needs at least one bound").with_span(range));
    }
    let bound = |e: &Option<Box<Expr>>| match e {
        Some(e) => quote!(::core::option::Option::Some(#e)),
        None => quote!(::core::option::Option::None),
    };
    Ok((bound(&r.start), bound(&r.end)))
}

fn expand_form(input: FormInput) -> darling::Result<TokenStream> {
    let mut errors = darling::Error::accumulator();
    let krate = crate_path(input.krate);
    let private = quote!(#krate::__private::forms);
    let forms = quote!(#krate::forms);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let title = input.title.unwrap_or_else(|| humanize(&ident.to_string()));
    let description = input.description.unwrap_or_default();
    let fields = input
        .data
        .take_struct()
        .map(|fields| fields.fields)
        .unwrap_or_default();

    let mut specs = Vec::new();
    let mut bounds = Vec::new();
    let mut puts = Vec::new();
    let mut reads = Vec::new();
    let mut required_vars = Vec::new();
    let mut inits = Vec::new();
    let mut names: Vec<String> = Vec::new();

    for field in fields {
        let Some(field_ident) = field.ident.clone() else {
            continue;
        };
        let field_span = field_ident.span();
        let name = field
            .rename
            .clone()
            .unwrap_or_else(|| field_ident.to_string().trim_start_matches("r#").to_owned());
        let var = format_ident!("__field_{}", name_ident(&field_ident));

        if field.skip.is_present() {
            inits.push(quote!(#field_ident: ::core::default::Default::default()));
            continue;
        }
        if names.contains(&name) {
            errors.push(
                darling::Error::custom(format!("two form fields are named `{name}`"))
                    .with_span(&field_ident),
            );
        }
        names.push(name.clone());
        let label = field.label.clone().unwrap_or_else(|| humanize(&name));
        let help = field.help.clone().unwrap_or_default();
        let ty = &field.ty;

        // Link fields: shown, never submitted.
        if let Some(url) = &field.link {
            for (present, key) in [
                (field.default.is_some(), "default"),
                (field.textarea.is_present(), "textarea"),
                (field.required.is_present(), "required"),
                (field.min_len.is_some(), "min_len"),
                (field.max_len.is_some(), "max_len"),
                (field.range.is_some(), "range"),
                (field.pattern.is_some(), "pattern"),
                (field.validate.is_some(), "validate"),
            ] {
                if present {
                    errors.push(
                        darling::Error::custom(format!(
                            "a `link` field is shown, never submitted: `{key}` does not apply"
                        ))
                        .with_span(&field_ident),
                    );
                }
            }
            specs.push(quote!(#forms::FieldSpec::link(#label, #name, #url).help(#help)));
            puts.push(quote_spanned!(ty.span()=> #private::put::<::std::string::String>(&mut values, #name, &self.#field_ident);));
            inits.push(quote_spanned!(ty.span()=> #field_ident: ::std::string::String::from(#url)));
            continue;
        }

        let optional = option_inner(ty);
        let inner = optional.unwrap_or(ty);
        let required = optional.is_none() || field.required.is_present();

        // One bound per rule on the impl: a type that breaks it is reported once, at the
        // field's type or the attribute, instead of at every use in the generated body.
        bounds.push(respan(quote!(#inner: #forms::FormValue), ty.span()));
        let mut spec = quote_spanned!(ty.span()=> #forms::FieldSpec::of::<#inner>(#label, #name));
        if field.textarea.is_present() {
            let span = field.textarea.span();
            bounds.push(respan(quote!(#inner: #forms::TextValue), span));
            spec = quote!(#spec.textarea());
        }
        if let Some(default) = &field.default {
            let value = match default {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(lit),
                    ..
                }) if is_named(inner, "String") => {
                    quote_spanned!(lit.span()=> ::std::string::String::from(#lit))
                }
                other => quote!(#other),
            };
            let span = default.span();
            spec = quote_spanned!(span=> #spec.default_value::<#inner>(&{
                let default: #inner = #value;
                default
            }));
        }
        spec = quote!(#spec.help(#help));
        specs.push(spec);

        if optional.is_some() {
            puts.push(quote! {
                if let ::core::option::Option::Some(value) = &self.#field_ident {
                    #private::put::<#inner>(&mut values, #name, value);
                }
            });
        } else {
            puts.push(quote!(#private::put::<#inner>(&mut values, #name, &self.#field_ident);));
        }

        // Reading, then every check on a value that was read.
        let mut validations = Vec::new();
        let check = |tokens: TokenStream| quote!(errors.check(#name, #label, #tokens););
        if let Some(min) = &field.min_len {
            let (n, span) = (**min, min.span());
            bounds.push(respan(quote!(#inner: #forms::TextValue), span));
            validations.push(check(quote_spanned!(span=> #private::min_len(value, #n))));
        }
        if let Some(max) = &field.max_len {
            let (n, span) = (**max, max.span());
            bounds.push(respan(quote!(#inner: #forms::TextValue), span));
            validations.push(check(quote_spanned!(span=> #private::max_len(value, #n))));
        }
        if let (Some(min), Some(max)) = (&field.min_len, &field.max_len)
            && **min > **max
        {
            errors.push(
                darling::Error::custom("`min_len` is larger than `max_len`").with_span(&min.span()),
            );
        }
        if let Some(range) = &field.range
            && let Some((min, max)) = errors.handle(range_bounds(range))
        {
            let span = range.span();
            bounds.push(respan(quote!(#inner: #forms::NumberValue), span));
            validations.push(check(
                quote_spanned!(span=> #private::range::<#inner>(value, #min, #max)),
            ));
        }
        if let Some(pattern) = &field.pattern {
            match regex::Regex::new(&format!("^(?:{})$", pattern.value())) {
                Ok(_) => {
                    let span = pattern.span();
                    bounds.push(respan(quote!(#inner: #forms::TextValue), span));
                    let static_name = format_ident!("PATTERN");
                    validations.push(check(quote_spanned!(span=> {
                        static #static_name: #private::Pattern = #private::Pattern::new(#pattern);
                        #static_name.check(value)
                    })));
                }
                Err(err) => errors.push(
                    darling::Error::custom(format!(
                        "`pattern` is not a valid regular expression: {}",
                        regex_reason(&err)
                    ))
                    .with_span(pattern),
                ),
            }
        }
        if let Some(path) = &field.validate {
            let span = path.span();
            validations.push(check(quote_spanned!(span=> #private::custom(#path(value)))));
        }
        if field.required.is_present() && is_named(inner, "bool") {
            validations.push(check(quote!(#private::checked(value))));
        }

        reads.push(quote_spanned! {field_span=>
            let #var: ::core::option::Option<#inner> =
                #private::read::<#inner>(data, #name, #label, #required, &mut errors);
        });
        if !validations.is_empty() {
            reads.push(quote! {
                if let ::core::option::Option::Some(value) = &#var {
                    #(#validations)*
                }
            });
        }
        if optional.is_some() {
            inits.push(quote!(#field_ident: #var));
        } else {
            required_vars.push(var.clone());
            inits.push(quote!(#field_ident: #var));
        }
    }

    let whole = input.validate.map(|path| {
        let span = path.span();
        quote_spanned! {span=>
            if let ::core::result::Result::Err(message) = #private::custom(#path(&value)) {
                errors.push(#forms::FieldError::form(message));
                return ::core::result::Result::Err(errors);
            }
        }
    });

    errors.finish()?;
    let where_clause = match where_clause {
        Some(existing) if !existing.predicates.is_empty() => {
            let predicates = &existing.predicates;
            quote!(where #predicates, #(#bounds,)*)
        }
        _ => quote!(where #(#bounds,)*),
    };
    Ok(quote! {
        impl #impl_generics #forms::ActionForm for #ident #ty_generics #where_clause {
            fn spec() -> #forms::FormSpec {
                #forms::FormSpec::new(#title, #description)
                    #(.field(#specs))*
            }

            fn values(&self) -> #private::JsonMap<::std::string::String, #private::JsonValue> {
                let mut values = #private::JsonMap::new();
                #(#puts)*
                values
            }

            fn parse(
                data: &#private::JsonMap<::std::string::String, #private::JsonValue>,
            ) -> ::core::result::Result<Self, #forms::FormErrors> {
                let mut errors = #forms::FormErrors::new();
                #(#reads)*
                match (#(#required_vars,)*) {
                    (#(::core::option::Option::Some(#required_vars),)*) if errors.is_empty() => {
                        let value = Self { #(#inits),* };
                        #whole
                        ::core::result::Result::Ok(value)
                    }
                    _ => ::core::result::Result::Err(errors),
                }
            }
        }
    })
}

/// A field ident usable inside another ident (without `r#`).
fn name_ident(ident: &syn::Ident) -> String {
    ident.to_string().trim_start_matches("r#").to_owned()
}

/// The first line of a regex error (the rest repeats the pattern with a caret).
fn regex_reason(err: &regex::Error) -> String {
    let text = err.to_string();
    text.lines()
        .rev()
        .find(|line| line.trim_start().starts_with("error:"))
        .map(|line| {
            line.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or(text)
}

fn expand_choice(input: ChoiceInput) -> darling::Result<TokenStream> {
    let mut errors = darling::Error::accumulator();
    let krate = crate_path(input.krate);
    let private = quote!(#krate::__private::forms);
    let forms = quote!(#krate::forms);
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        errors.push(
            darling::Error::custom("a `FormChoice` enum cannot be generic")
                .with_span(&input.generics),
        );
    }
    let variants = input.data.take_enum().unwrap_or_default();
    if variants.is_empty() {
        errors.push(
            darling::Error::custom(
                "a `FormChoice` enum needs at least one variant: a select without choices cannot be submitted",
            )
            .with_span(ident),
        );
    }
    let mut values: Vec<String> = Vec::new();
    let mut choices = Vec::new();
    let mut to_value = Vec::new();
    let mut from_value = Vec::new();
    for variant in &variants {
        let v = &variant.ident;
        let value = variant
            .value
            .clone()
            .unwrap_or_else(|| snake_case(&v.to_string()));
        if values.contains(&value) {
            errors.push(
                darling::Error::custom(format!("two choices have the value `{value}`"))
                    .with_span(v),
            );
        }
        if value.is_empty() {
            errors.push(darling::Error::custom("a choice value cannot be empty").with_span(v));
        }
        values.push(value.clone());
        let label = variant
            .label
            .clone()
            .unwrap_or_else(|| v.to_string().trim_start_matches("r#").to_owned());
        choices.push(quote!(#forms::Choice { value: #value, label: #label }));
        to_value.push(quote!(Self::#v => #value));
        from_value.push(quote!(#value => ::core::option::Option::Some(Self::#v)));
    }
    errors.finish()?;
    Ok(quote! {
        impl #forms::FormChoice for #ident {
            const CHOICES: &'static [#forms::Choice] = &[#(#choices),*];

            fn value(&self) -> &'static str {
                match self {
                    #(#to_value,)*
                }
            }

            fn from_value(value: &str) -> ::core::option::Option<Self> {
                match value {
                    #(#from_value,)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl #forms::FormValue for #ident {
            const KIND: #forms::FieldKind = #forms::FieldKind::Select;

            fn options() -> ::std::vec::Vec<#krate::response::SelectOption> {
                #forms::choice_options::<Self>()
            }

            fn to_wire(&self) -> #private::JsonValue {
                #private::JsonValue::String(::std::string::String::from(
                    <Self as #forms::FormChoice>::value(self),
                ))
            }

            fn parse(
                raw: &#private::JsonValue,
            ) -> ::core::result::Result<::core::option::Option<Self>, ::std::string::String> {
                #forms::parse_choice::<Self>(raw)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_humanized() {
        assert_eq!(humanize("new_name"), "New name");
        assert_eq!(humanize("RenameForm"), "Rename form");
        assert_eq!(humanize("r#type"), "Type");
        assert_eq!(humanize("url2_target"), "Url2 target");
        assert_eq!(snake_case("KeepAsTyped"), "keep_as_typed");
        assert_eq!(snake_case("Upper"), "upper");
    }
}
