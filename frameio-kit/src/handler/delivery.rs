//! What a handler argument is built from: the verified event, the request [`Headers`] and the
//! application's shared values ([`AppData`]).

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{DeliveryEvent, HandlerKind};
use crate::event::Resource;

/// The request headers of a delivery (names lower-cased).
///
/// Also an extractor: take `Headers` as a handler argument to read them. Stored as one
/// buffer, so building it costs one allocation however many headers there are.
#[derive(Clone, Default)]
pub struct Headers {
    /// Every header back to back, in the order received: the name's length and the value's
    /// (each a native-endian `usize`), then the name and the value.
    buf: Vec<u8>,
    /// How many headers `buf` holds.
    count: usize,
}

/// The bytes of one header's two lengths in [`Headers::buf`].
const LENGTHS: usize = 2 * std::mem::size_of::<usize>();

/// Bytes a header is assumed to take when the adapter sizes a [`Headers`] by count alone.
const TYPICAL_HEADER: usize = 64;

impl Headers {
    /// An empty header list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty header list with room for `headers` entries of `bytes` bytes in all.
    pub fn with_capacity(headers: usize, bytes: usize) -> Self {
        Self {
            buf: Vec::with_capacity(bytes.saturating_add(headers.saturating_mul(LENGTHS))),
            count: 0,
        }
    }

    /// An empty header list sized for `headers` entries of a typical length (it grows if
    /// they are longer).
    pub(crate) fn for_count(headers: usize) -> Self {
        Self {
            buf: Vec::with_capacity(headers.saturating_mul(TYPICAL_HEADER)),
            count: 0,
        }
    }

    /// Adds a header (the name is lower-cased).
    pub fn insert(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        let name_start = self.push_lengths(name.len(), value.len());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf[name_start..].make_ascii_lowercase();
        self.buf.extend_from_slice(value);
    }

    /// Adds a header whose name is already lower-case (as actix-web's `HeaderName`s are):
    /// copied as it is.
    pub(crate) fn insert_lowercase(&mut self, name: &str, value: &[u8]) {
        debug_assert!(!name.bytes().any(|b| b.is_ascii_uppercase()), "{name}");
        self.push_lengths(name.len(), value.len());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(value);
    }

    /// Writes a header's two lengths; returns where its name starts.
    fn push_lengths(&mut self, name: usize, value: usize) -> usize {
        self.buf.extend_from_slice(&name.to_ne_bytes());
        self.buf.extend_from_slice(&value.to_ne_bytes());
        self.count += 1;
        self.buf.len()
    }

    /// Every header's name and value, in the order received.
    fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut rest = self.buf.as_slice();
        std::iter::from_fn(move || {
            let (lengths, after) = rest.split_at_checked(LENGTHS)?;
            let (name_len, value_len) = lengths.split_at(LENGTHS / 2);
            let name_len = usize::from_ne_bytes(name_len.try_into().ok()?);
            let value_len = usize::from_ne_bytes(value_len.try_into().ok()?);
            let (name, after) = after.split_at_checked(name_len)?;
            let (value, after) = after.split_at_checked(value_len)?;
            rest = after;
            Some((name, value))
        })
    }

    /// The first value of a header, as text (`None` when absent or not UTF-8).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_bytes(name)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The first value of a header, as bytes.
    pub fn get_bytes(&self, name: &str) -> Option<&[u8]> {
        self.entries()
            .find_map(|(n, value)| n.eq_ignore_ascii_case(name.as_bytes()).then_some(value))
    }

    /// Every header, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries().map(|(name, value)| {
            // Names are inserted from `&str` and only ASCII-lower-cased, so they stay UTF-8.
            (std::str::from_utf8(name).unwrap_or_default(), value)
        })
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.count
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Header names whose values are never shown by `Debug`.
const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-frameio-signature",
];

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.iter() {
            if SENSITIVE_HEADERS.contains(&name) {
                map.entry(&name, &"<redacted>");
            } else {
                map.entry(&name, &String::from_utf8_lossy(value));
            }
        }
        map.finish()
    }
}

/// Values shared with every handler, keyed by type (see [`State`](crate::State)).
#[derive(Clone, Default)]
pub struct AppData {
    values: HashMap<TypeId, (&'static str, Arc<dyn Any + Send + Sync>)>,
}

impl AppData {
    /// Adds a value; a second value of the same type replaces the first.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: Arc<T>) {
        self.values
            .insert(TypeId::of::<T>(), (type_name::<T>(), value));
    }

    /// The value of type `T`, if one was added.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let (_, value) = self.values.get(&TypeId::of::<T>())?;
        Arc::clone(value).downcast::<T>().ok()
    }

    /// `true` when a value of type `T` was added.
    pub fn contains<T: 'static>(&self) -> bool {
        self.values.contains_key(&TypeId::of::<T>())
    }
}

impl fmt::Debug for AppData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.values.values().map(|(name, _)| name))
            .finish()
    }
}

/// Everything a handler argument can be built from: the verified event, the request headers
/// and the application's shared values.
#[derive(Clone)]
pub struct Delivery {
    pub(super) event: DeliveryEvent,
    pub(super) headers: Headers,
    pub(super) data: Arc<AppData>,
    extension: Option<Arc<dyn Any + Send + Sync>>,
    /// The address the delivery came from, when the HTTP adapter knows it.
    peer: Option<std::net::IpAddr>,
    /// The raw body, kept only for background handlers (it is what gets queued).
    raw_body: Option<bytes::Bytes>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .field("headers", &self.headers)
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// Assembles a delivery (the dispatcher does this; tests may too).
    pub fn new(event: DeliveryEvent, headers: Headers, data: Arc<AppData>) -> Self {
        Self {
            event,
            headers,
            data,
            extension: None,
            peer: None,
            raw_body: None,
        }
    }

    /// Keeps the raw body with the delivery (for a background handler's queue).
    #[cfg_attr(not(feature = "background"), allow(dead_code))]
    pub(crate) fn set_raw_body(&mut self, body: bytes::Bytes) {
        self.raw_body = Some(body);
    }

    /// The raw body, when kept.
    #[cfg_attr(not(feature = "background"), allow(dead_code))]
    pub(crate) fn raw_body(&self) -> Option<&bytes::Bytes> {
        self.raw_body.as_ref()
    }

    /// The address the delivery came from (the TCP peer), when the HTTP adapter knows it.
    pub fn peer(&self) -> Option<std::net::IpAddr> {
        self.peer
    }

    pub(crate) fn set_peer(&mut self, peer: Option<std::net::IpAddr>) {
        self.peer = peer;
    }

    /// The value an earlier pipeline step left for the extractors (the signed-in user).
    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extension.as_deref()?.downcast_ref::<T>()
    }

    #[cfg_attr(not(feature = "auth"), allow(dead_code))]
    pub(crate) fn set_extension_boxed(&mut self, value: Box<dyn Any + Send + Sync>) {
        self.extension = Some(Arc::from(value));
    }

    /// The verified event.
    pub fn event(&self) -> &DeliveryEvent {
        &self.event
    }

    /// The request headers.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The application's shared values.
    pub fn data(&self) -> &AppData {
        &self.data
    }

    /// The event type of the delivery.
    pub fn event_type(&self) -> &str {
        self.event.event_type()
    }

    /// Whether this is a webhook or a custom action delivery.
    pub fn kind(&self) -> HandlerKind {
        self.event.kind()
    }

    /// The account id, whatever the kind of delivery.
    pub fn account_id(&self) -> &str {
        self.event.account_id()
    }

    /// The id of the user behind the delivery.
    pub fn user_id(&self) -> &str {
        self.event.user_id()
    }

    /// The resource the delivery is about.
    pub fn resource(&self) -> &Resource {
        self.event.resource()
    }
}

#[cfg(test)]
mod header_tests {
    use super::Headers;

    #[test]
    fn headers_are_case_insensitive_ordered_and_redacted() {
        let mut headers = Headers::with_capacity(3, 64);
        headers.insert("X-Frameio-Signature", "v0=abc");
        headers.insert("Content-Type", "application/json");
        headers.insert("x-custom", [0xff, 0x00]);
        headers.insert("content-type", "second");
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.get("CONTENT-TYPE"), Some("application/json"));
        assert_eq!(headers.get("x-custom"), None, "not UTF-8");
        assert_eq!(headers.get_bytes("x-custom"), Some(&[0xff, 0x00][..]));
        assert_eq!(headers.get("missing"), None);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "x-frameio-signature",
                "content-type",
                "x-custom",
                "content-type"
            ]
        );
        let shown = format!("{headers:?}");
        assert!(
            !shown.contains("v0=abc") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(Headers::new().is_empty());
    }

    #[test]
    fn headers_longer_than_their_estimate_grow_and_read_back() {
        let long = "v".repeat(5_000);
        let mut headers = Headers::for_count(1);
        headers.insert_lowercase("x-long", long.as_bytes());
        headers.insert_lowercase("", b"");
        headers.insert("X-After", "after");
        assert_eq!(headers.len(), 3);
        assert_eq!(headers.get("x-long"), Some(long.as_str()));
        assert_eq!(headers.get(""), Some(""));
        assert_eq!(headers.get("x-after"), Some("after"));
        let all: Vec<(&str, usize)> = headers.iter().map(|(n, v)| (n, v.len())).collect();
        assert_eq!(all, [("x-long", 5_000), ("", 0), ("x-after", 5)]);
        assert_eq!(
            headers.clone().get_bytes("X-LONG").map(<[u8]>::len),
            Some(5_000)
        );
    }
}
