//! The plain-text log line for machines that are not terminals (files, pipes, log
//! collectors): the layout of `tracing-subscriber`'s default format without colour,
//!
//! ```text
//! 2026-12-01T00:15:22.601577Z  INFO span{a=1}: frameio_kit::delivery: delivery handled event_type="file.ready" status=200
//! ```
//!
//! written with as little of `core::fmt` as possible. The default formatter spends about
//! 10,000 instructions on the per-delivery line (callgrind, `LOG=info bench/callgrind.sh`),
//! more than an eighth of a whole delivery, mostly in `core::fmt` and colour handling that is
//! switched off; here literals, numbers and plain strings are copied straight into the line,
//! and only values that have nothing but a `Debug`/`Display` form go through `core::fmt`.
//!
//! Like the default format, values cannot break a line: control characters in messages and
//! values are escaped (`\n`, `\u{1b}`), so an attacker-supplied value cannot forge a log line.

use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The uncoloured text format (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlainText;

impl<S, N> FormatEvent<S, N> for PlainText
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut line = Line::new(&mut writer);
        write_timestamp(&mut line, SystemTime::now())?;
        line.put(match *meta.level() {
            Level::TRACE => " TRACE ",
            Level::DEBUG => " DEBUG ",
            Level::INFO => "  INFO ",
            Level::WARN => "  WARN ",
            Level::ERROR => " ERROR ",
        })?;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                line.put(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.is_empty()
                {
                    line.put("{")?;
                    line.put(fields)?;
                    line.put("}")?;
                }
                line.put(": ")?;
            }
        }
        line.put(meta.target())?;
        line.put(": ")?;
        let mut fields = Fields {
            writer: &mut line,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        line.put_ascii(b'\n')?;
        line.flush()
    }
}

/// Bytes of a line gathered on the stack before they go to the layer's buffer.
const INLINE: usize = 256;

/// A line being formatted: gathered on the stack and handed to the layer's writer in one call
/// (instead of one dynamic call per piece), spilling into it early when it is longer than
/// [`INLINE`].
struct Line<'a, 'w> {
    out: &'a mut Writer<'w>,
    buf: [u8; INLINE],
    len: usize,
}

impl<'a, 'w> Line<'a, 'w> {
    fn new(out: &'a mut Writer<'w>) -> Self {
        Self {
            out,
            buf: [0; INLINE],
            len: 0,
        }
    }

    #[inline]
    fn put(&mut self, s: &str) -> fmt::Result {
        let end = self.len.saturating_add(s.len());
        match self.buf.get_mut(self.len..end) {
            Some(slot) => {
                slot.copy_from_slice(s.as_bytes());
                self.len = end;
                Ok(())
            }
            None => self.spill(s),
        }
    }

    /// One ASCII byte (a separator or a quote: no call to `memcpy` for it).
    #[inline]
    fn put_ascii(&mut self, byte: u8) -> fmt::Result {
        debug_assert!(byte.is_ascii());
        match self.buf.get_mut(self.len) {
            Some(slot) if byte.is_ascii() => {
                *slot = byte;
                self.len += 1;
                Ok(())
            }
            _ => self.spill(char::from(byte).encode_utf8(&mut [0; 4])),
        }
    }

    #[cold]
    #[inline(never)]
    fn spill(&mut self, s: &str) -> fmt::Result {
        self.flush()?;
        if s.len() <= INLINE {
            self.put(s)
        } else {
            self.out.write_str(s)
        }
    }

    /// Hands what is gathered to the layer's writer.
    fn flush(&mut self) -> fmt::Result {
        // Only whole `str`s were put in, so this never fails; checking costs less than a
        // dynamic call per piece did.
        let gathered = std::str::from_utf8(&self.buf[..self.len]).map_err(|_| fmt::Error)?;
        self.out.write_str(gathered)?;
        self.len = 0;
        Ok(())
    }
}

impl fmt::Write for Line<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s)
    }
}

struct Fields<'a, 'l, 'w> {
    writer: &'a mut Line<'l, 'w>,
    first: bool,
    result: fmt::Result,
}

impl Fields<'_, '_, '_> {
    /// Starts a field: `None` for the message, the name otherwise (`None` too for the
    /// `log.*` fields the `log` bridge adds, which the line already shows).
    fn start(&mut self, field: &Field) -> Option<bool> {
        let name = field.name();
        if self.result.is_err() {
            return None;
        }
        let message = name == "message";
        if !message && name.starts_with("log.") {
            return None;
        }
        let separator = if std::mem::take(&mut self.first) {
            Ok(())
        } else {
            self.writer.put_ascii(b' ')
        };
        let result = if message {
            separator
        } else {
            separator
                .and_then(|()| self.writer.put(name.strip_prefix("r#").unwrap_or(name)))
                .and_then(|()| self.writer.put_ascii(b'='))
        };
        self.result = result;
        result.ok().map(|()| message)
    }

    fn finish(&mut self, result: fmt::Result) {
        self.result = result;
    }
}

impl Visit for Fields<'_, '_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let Some(message) = self.start(field) else {
            return;
        };
        let result = if message {
            write_escaped(self.writer, value)
        } else {
            self.writer
                .put_ascii(b'"')
                .and_then(|()| write_quoted(self.writer, value))
                .and_then(|()| self.writer.put_ascii(b'"'))
        };
        self.finish(result);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field).is_some() {
            let result = self.writer.put(itoa::Buffer::new().format(value));
            self.finish(result);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field).is_some() {
            let result = self.writer.put(itoa::Buffer::new().format(value));
            self.finish(result);
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field).is_some() {
            let result = self.writer.put(if value { "true" } else { "false" });
            self.finish(result);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.start(field).is_some() {
            let mut out = Escaping(self.writer);
            let mut result = write!(out, "{value}");
            let mut source = value.source();
            while let Some(cause) = source {
                result = result.and_then(|()| write!(out, ": {cause}"));
                source = cause.source();
            }
            self.finish(result);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field).is_some() {
            let result = write!(Escaping(self.writer), "{value:?}");
            self.finish(result);
        }
    }
}

/// Passes text through, escaping control characters (so a value cannot end the line or
/// carry a terminal escape sequence).
struct Escaping<'a, W>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// `s` with its control characters escaped the way `Debug` escapes them.
fn write_escaped(writer: &mut impl fmt::Write, s: &str) -> fmt::Result {
    // Printable ASCII (the usual message) has nothing to escape.
    if all_plain(s.as_bytes(), false) {
        return writer.write_str(s);
    }
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c.is_control()) {
        writer.write_str(&rest[..at])?;
        let c = rest[at..].chars().next().unwrap_or_default();
        write!(writer, "{}", c.escape_debug())?;
        rest = &rest[at + c.len_utf8()..];
    }
    writer.write_str(rest)
}

/// The inside of `Debug`'s quoted form of `s`: quotes, backslashes and control characters
/// escaped.
fn write_quoted(writer: &mut impl fmt::Write, s: &str) -> fmt::Result {
    if all_plain(s.as_bytes(), true) {
        return writer.write_str(s);
    }
    write!(writer, "{}", s.escape_debug())
}

/// Whether `byte` is printable ASCII (`0x20..=0x7e`) and, when `quoted`, neither `"` nor `\`.
fn plain_byte(byte: u8, quoted: bool) -> bool {
    (0x20..0x7f).contains(&byte) && !(quoted && (byte == b'"' || byte == b'\\'))
}

/// [`plain_byte`] for every byte of `bytes`, eight at a time (this runs on every value of
/// every line).
fn all_plain(bytes: &[u8], quoted: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of a byte of the result is set for the lowest byte of `word` below `limit`
    // (`limit` <= 0x80, bytes of `word` below 0x80), possibly for bytes above it too, and for
    // none when there is no such byte: exact as a yes/no answer.
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH;
    let equal = |word: u64, byte: u8| below(word ^ (ONES * u64::from(byte)), 1);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let mut bad = (word & HIGH) | below(word, 0x20) | equal(word, 0x7f);
        if quoted {
            bad |= equal(word, b'"') | equal(word, b'\\');
        }
        if bad != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| plain_byte(b, quoted))
}

/// `time` as RFC 3339 in UTC with microseconds (`2026-12-01T00:15:22.601577Z`), the default
/// format's timestamp.
fn write_timestamp(writer: &mut impl fmt::Write, time: SystemTime) -> fmt::Result {
    thread_local! {
        /// The last second written by this thread and its date and time: lines of the same
        /// second only write their microseconds.
        static SECOND: std::cell::Cell<(u64, [u8; 19])> =
            const { std::cell::Cell::new((u64::MAX, [0; 19])) };
    }
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let mut out = *b"0000-00-00T00:00:00.000000Z";
    let (last, date_time) = SECOND.get();
    if last == secs {
        out[..19].copy_from_slice(&date_time);
    } else {
        let (year, month, day) = civil_from_days(secs / 86_400);
        let of_day = secs % 86_400;
        put_digits(&mut out[0..4], u64::from(year));
        put_digits(&mut out[5..7], u64::from(month));
        put_digits(&mut out[8..10], u64::from(day));
        put_digits(&mut out[11..13], of_day / 3_600);
        put_digits(&mut out[14..16], of_day % 3_600 / 60);
        put_digits(&mut out[17..19], of_day % 60);
        let mut date_time = [0; 19];
        date_time.copy_from_slice(&out[..19]);
        SECOND.set((secs, date_time));
    }
    put_digits(&mut out[20..26], u64::from(since.subsec_micros()));
    // Only ASCII digits and punctuation were written.
    writer.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
}

/// Writes `value`'s last `out.len()` decimal digits into `out`, zero-padded.
fn put_digits(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + u8::try_from(value % 10).unwrap_or(0);
        value /= 10;
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (days are never negative
/// here: times before the epoch print as the epoch).
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a year, then count
    // 400-year eras (146,097 days each).
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (
        u32::try_from(year).unwrap_or(u32::MAX),
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What the plain format and the default (uncoloured) format write for the same events,
    /// timestamps cut off. (The default format lets a `%` value's line break through.)
    fn both(emit: impl Fn()) -> (String, String) {
        let ours = Lines::default();
        let theirs = Lines::default();
        let subscriber = tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .event_format(PlainText)
                    .with_writer({
                        let ours = ours.clone();
                        move || ours.clone()
                    }),
            )
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer({
                        let theirs = theirs.clone();
                        move || theirs.clone()
                    }),
            );
        tracing::subscriber::with_default(subscriber, emit);
        let cut = |lines: &Lines| {
            String::from_utf8(lines.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(|l| l.get(27..).unwrap_or(l).to_owned() + "\n")
                .collect::<String>()
        };
        (cut(&ours), cut(&theirs))
    }

    #[test]
    fn lines_look_like_the_default_format() {
        let (ours, theirs) = both(|| {
            let span = tracing::info_span!("request", id = 7, path = "/x");
            let _in = span.enter();
            tracing::info!(
                target: "frameio_kit::delivery",
                event_type = "file.ready",
                handler = "app::on_ready",
                status = 200_u16,
                latency_us = 412_u64,
                negative = -3_i64,
                ok = true,
                "delivery handled"
            );
            tracing::warn!(reason = %"bad signature", "delivery refused");
            tracing::info!(message = "as a str field", status = 200_u16);
            tracing::error!(value = ?Some(3), "debug value");
            tracing::debug!("formatted {} message", 42);
        });
        assert_eq!(ours, theirs);
    }

    #[test]
    fn values_cannot_break_the_line() {
        let (ours, _) = both(|| {
            tracing::warn!(
                error = "x\nFAKE  INFO forged line",
                shown = %"a\r\nb\u{1b}[31m",
                "got {}",
                "two\nlines"
            );
        });
        assert_eq!(ours.lines().count(), 1, "{ours}");
        assert!(
            ours.contains(r#"error="x\nFAKE  INFO forged line""#),
            "{ours}"
        );
        assert!(ours.contains(r"shown=a\r\nb\u{1b}[31m"), "{ours}");
        assert!(ours.contains(r"got two\nlines"), "{ours}");
    }

    #[test]
    fn plain_check_agrees_with_the_byte_rule_at_every_position() {
        // Every byte value at every position of a 19-byte value (two words and a remainder),
        // the rest plain, and a few all-plain and edge lengths.
        for quoted in [false, true] {
            for len in [0, 1, 7, 8, 9, 16, 19] {
                assert!(all_plain(&vec![b'a'; len], quoted));
            }
            for at in 0..19 {
                for byte in 0..=255_u8 {
                    let mut value = [b'~'; 19];
                    value[at] = byte;
                    assert_eq!(
                        all_plain(&value, quoted),
                        plain_byte(byte, quoted),
                        "byte {byte:#04x} at {at}, quoted {quoted}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_lines_spill_whole() {
        let long = "v".repeat(INLINE * 2 + 3);
        let (ours, theirs) = both(|| {
            tracing::info!(first = %long, second = long.as_str(), "{}", long);
        });
        assert_eq!(ours, theirs);
        assert!(ours.len() > INLINE * 6, "{}", ours.len());
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_microseconds() {
        let stamp = |secs: u64, micros: u64| {
            let mut out = String::new();
            write_timestamp(
                &mut Writer::new(&mut out),
                UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros),
            )
            .unwrap();
            out
        };
        assert_eq!(stamp(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(stamp(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        assert_eq!(stamp(1_795_911_322, 601_577), "2026-11-29T00:15:22.601577Z");
        assert_eq!(stamp(4_107_542_399, 999_999), "2100-02-28T23:59:59.999999Z");
        assert_eq!(stamp(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
        // The same second again: its date and time come from the per-thread cache.
        assert_eq!(stamp(4_107_542_400, 42), "2100-03-01T00:00:00.000042Z");
        assert_eq!(stamp(4_107_542_401, 7), "2100-03-01T00:00:01.000007Z");
        // Every day of four centuries against a plain day-by-day calendar.
        let mut expected = (1970_u32, 1_u32, 1_u32);
        for day in 0..146_097_u64 {
            assert_eq!(civil_from_days(day), expected, "day {day}");
            expected = next_day(expected);
        }
    }

    fn next_day((y, m, d): (u32, u32, u32)) -> (u32, u32, u32) {
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let len = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        match (d == len, m == 12) {
            (false, _) => (y, m, d + 1),
            (true, false) => (y, m + 1, 1),
            (true, true) => (y + 1, 1, 1),
        }
    }
}
