//! The common daily row (`2024-01-02,10.5,11,10,10.75,10.7,1000`) read in one pass over its
//! bytes: fields found, date and numbers parsed as the scan goes, with no list of fields and no
//! trimming. Anything unusual (spaces, signs, exponents, long mantissas, a bad date, a wrong
//! field count) makes it give up on the row, which the general parser then reads: so a row
//! read here is one the general parser reads the same way, and every other row is left to it.

use super::iso_date::MonthMemo;
use super::layout::{Columns, Layout};
use super::row_template::{Role, RowTemplate};
use chrono::NaiveDate;

/// What the parser does with a field, and the field's shape in the last row that had one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Skip(Shape),
    Date,
    /// Index into open, high, low, close, volume.
    Value(usize, Shape),
}

/// Where a field of the last row that had a plain one of at most 15 bytes kept its special
/// bytes: for a number, its point and its stop (the non-digits); for a skipped field, its stop.
///
/// Why: the rows of a file mostly repeat their field widths. Finding each field's end from
/// its bytes makes every field's position wait on the arithmetic of the one before it;
/// checking the bytes against the last row's shape instead is one comparison the processor
/// predicts, so it reads on from the known width while the check completes. A row whose field
/// does not fit is read the general way, and its shape kept for the next row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// Lanes 0 to `len` of the 16 bytes from the field's start (top bit of each).
    keep: [u64; 2],
    /// The special lanes among them (top bit of each).
    expect: [u64; 2],
    /// Bytes before the stop.
    len: usize,
    /// Digits before the point (all of them without one), and after it.
    int_digits: usize,
    decimals: usize,
}

impl Shape {
    /// Fits nothing: `expect` has bits `keep` does not.
    const UNSEEN: Shape = Shape {
        keep: [0; 2],
        expect: [u64::MAX; 2],
        len: 0,
        int_digits: 0,
        decimals: 0,
    };

    /// A field of `len` (below 16) bytes with its stop after it and, for a number, a point at
    /// `point`.
    fn new(len: usize, point: Option<usize>) -> Shape {
        let top = |k: usize| 0x80u64 << (8 * (k % 8));
        let mut keep = [0; 2];
        for k in 0..=len {
            keep[k / 8] |= top(k);
        }
        let mut expect = [0; 2];
        for k in point.into_iter().chain([len]) {
            expect[k / 8] |= top(k);
        }
        let int_digits = point.unwrap_or(len);
        Shape {
            keep,
            expect,
            len,
            int_digits,
            decimals: point.map_or(0, |at| len - at - 1),
        }
    }

    /// Whether `lanes` (the top-bit lanes of the 16 bytes from the field's start that are
    /// special) are this shape's.
    fn fits(&self, lanes: [u64; 2]) -> bool {
        ((lanes[0] & self.keep[0]) == self.expect[0])
            & ((lanes[1] & self.keep[1]) == self.expect[1])
    }
}

/// The one-pass reader of a daily file's rows, one slot per field of a well-formed row.
#[derive(Clone, Debug)]
pub(crate) struct FastDaily {
    slots: Vec<Slot>,
    /// The role of each slot, for the template.
    roles: Vec<Role>,
    /// The layouts of the last rows the field reader read, the one that fitted last first.
    templates: [RowTemplate; TEMPLATES],
    /// The month of the last date read (rows run through a month's days in turn).
    month: MonthMemo,
}

/// A row read by `FastDaily`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FastRow {
    /// Offset of the row's line feed (or of the end of the text).
    pub end: usize,
    /// Offset of the 10 bytes of the date.
    pub date_at: usize,
    pub date: NaiveDate,
    /// `date` as days since 1970-01-01.
    pub day: i64,
    pub ohlcv: [f64; 5],
}

impl FastDaily {
    /// The reader for daily files with these columns; `None` for other layouts, or when two
    /// roles share a field (the general parser reads such files).
    pub(crate) fn new(cols: &Columns) -> Option<Self> {
        if cols.layout != Layout::Daily || cols.time.is_some() {
            return None;
        }
        let mut slots = vec![Slot::Skip(Shape::UNSEEN); cols.fields];
        let roles = [
            (cols.date, Slot::Date),
            (cols.open, Slot::Value(0, Shape::UNSEEN)),
            (cols.high, Slot::Value(1, Shape::UNSEEN)),
            (cols.low, Slot::Value(2, Shape::UNSEEN)),
            (cols.close, Slot::Value(3, Shape::UNSEEN)),
            (cols.volume, Slot::Value(4, Shape::UNSEEN)),
        ];
        for (i, role) in roles {
            let slot = slots.get_mut(i)?;
            if !matches!(slot, Slot::Skip(_)) {
                return None;
            }
            *slot = role;
        }
        let roles = slots
            .iter()
            .map(|s| match *s {
                Slot::Skip(_) => Role::Skip,
                Slot::Date => Role::Date,
                Slot::Value(k, _) => Role::Value(k),
            })
            .collect();
        Some(FastDaily {
            slots,
            roles,
            templates: Default::default(),
            month: MonthMemo::default(),
        })
    }

    /// The row of `text` starting at `start`, if it is a plain one: exactly the expected number
    /// of comma-separated fields up to the next line feed, an ISO date, and numbers of digits
    /// with at most one inner point that `plain_number` takes. A row with the layout of one
    /// of the last few read field by field is read from that layout's template
    /// (`RowTemplate`); any other is read field by field, and its layout replaces the template
    /// that fitted least recently.
    pub(crate) fn parse(&mut self, text: &[u8], start: usize) -> Option<FastRow> {
        for i in 0..TEMPLATES {
            if let Some(row) = self.templates[i].read(text, start, &mut self.month) {
                self.templates[..=i].rotate_right(1);
                return Some(row);
            }
        }
        let row = self.parse_fields(text, start)?;
        self.templates[TEMPLATES - 1].learn(text, start, row.end, &self.roles);
        self.templates.rotate_right(1);
        Some(row)
    }

    /// `parse`, field by field; keeps each field's shape for the next row (`Shape`).
    fn parse_fields(&mut self, text: &[u8], start: usize) -> Option<FastRow> {
        let mut p = start;
        let mut row = FastRow {
            end: 0,
            date_at: 0,
            date: NaiveDate::MIN,
            day: 0,
            ohlcv: [0.0; 5],
        };
        let last = self.slots.len() - 1;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            match slot {
                Slot::Date => {
                    (row.date, row.day) = self.month.read(text.get(p..p + 10)?)?;
                    row.date_at = p;
                    p += 10;
                }
                Slot::Value(k, shape) => {
                    let (v, end) = shaped_number(text, p, shape)?;
                    row.ohlcv[*k] = v;
                    p = end;
                }
                Slot::Skip(shape) => p = shaped_field_end(text, p, shape),
            }
            // A comma after every field but the last; a line feed or the end after that one.
            let sep = text.get(p).copied();
            if i < last {
                if sep != Some(b',') {
                    return None;
                }
                p += 1;
            } else if sep.is_some_and(|c| c != b'\n') {
                return None;
            }
        }
        row.end = p;
        Some(row)
    }
}

/// Layouts kept. A file's layout changes when a price crosses a power of ten or the volume
/// gains a digit, and often changes back: on ORCL's 5,036 rows, 370 rows differ from the row
/// before, 96 from both of the last two layouts, 54 from the last three.
const TEMPLATES: usize = 3;

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `digits` or `digits.digits` from `text[start..]` up to the next comma, line feed or the end,
/// as f64 (the value `str::parse` gives), with that stop's offset. Only the common case: at
/// most 19 digits with a mantissa of at most 2^53, so the integer and the power of ten are
/// both exact and one division rounds correctly (the fast path of every correct parser).
/// `None` for anything else (signs, exponents, spaces, long mantissas, `5.`, `.5`, empty).
pub(crate) fn plain_number(text: &[u8], start: usize) -> Option<(f64, usize)> {
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    // Digits before the point, once one is seen.
    let mut point: Option<usize> = None;
    let mut p = start;
    while let Some(&c) = text.get(p) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
            }
            b'.' if point.is_none() && digits > 0 => point = Some(digits),
            b',' | b'\n' => break,
            _ => return None,
        }
        p += 1;
    }
    let decimals = point.map_or(0, |at| digits - at);
    if digits == 0 || point.is_some() && decimals == 0 || mantissa > 1 << 53 {
        return None;
    }
    Some((exact_f64(mantissa) / POW10[decimals], p))
}

/// A byte value in each of the 8 byte lanes of a `u64`.
pub(super) const fn lanes(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// The 8 bytes of `text` from `at` as one word, first byte in the lowest lane.
pub(super) fn word(text: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(text.get(at..at + 8)?.try_into().ok()?))
}

/// The top bit of each lane of `w` that is not zero. No carry crosses a lane: `x & 0x7f` plus
/// `0x7f` is at most `0xfe`.
fn nonzero_lanes(w: u64) -> u64 {
    (((w & lanes(0x7f)) + lanes(0x7f)) | w) & lanes(0x80)
}

/// The top bit of each lane of `w` that is not an ASCII digit: one whose high nibble is not 3,
/// or whose low nibble is 10 or more (adding 6 then sets bit 4; at most 21, no carry out).
fn non_digit_lanes(w: u64) -> u64 {
    let high_not_3 = (w & lanes(0xf0)) ^ lanes(0x30);
    let low_over_9 = ((w & lanes(0x0f)) + lanes(0x06)) & lanes(0x10);
    nonzero_lanes(high_not_3 | low_over_9)
}

/// The eight digits of `w`'s lanes (first lane most significant) as a number; a zero lane is a
/// zero digit. Three multiplications pair digits, then pairs, then quads (the SWAR step of
/// simdjson's `parse_eight_digits_unrolled`).
fn eight_digits(w: u64) -> u64 {
    let w = ((w & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561)) >> 8;
    let w = ((w & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601)) >> 16;
    ((w & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001)) >> 32
}

/// The `count` (1 to 16) ASCII digits of `text` from `at` as a number, read a word at a time:
/// the word is moved up so the digits take its top lanes (zero lanes below: leading zeros).
fn digits_value(text: &[u8], at: usize, count: usize) -> Option<u64> {
    if count <= 8 {
        Some(eight_digits(word(text, at)? << (8 * (8 - count))))
    } else {
        let high = eight_digits(word(text, at)? << (8 * (16 - count)));
        Some(high * 100_000_000 + eight_digits(word(text, at + count - 8)?))
    }
}

/// Powers of ten as integers, for joining the digits before and after the point.
const POW10_INT: [u64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];

/// The number at `at` whose layout is known: `int_digits` ASCII digits, then, when `decimals`
/// is not 0, a point and `decimals` digits (at most 15 digits in all). The value
/// `plain_number` gives such a number: the mantissa is below 10^15, exact, and one division
/// rounds it. `None` when the text ends within a word the reads need. Inlined: it is five
/// short reads a row, where a call's own cost was a fifth of the read.
#[inline(always)]
pub(super) fn known_number(
    text: &[u8],
    at: usize,
    int_digits: usize,
    decimals: usize,
) -> Option<f64> {
    let digits = int_digits + decimals;
    if decimals > 0 && digits <= 8 {
        // All the digits in one word: those before the point from the word at `at`, those
        // after it from the word one byte on (the point squeezed out), one conversion instead
        // of one a side and a join. `int_digits` is 1 to 7 here (a plain number has a digit
        // before its point).
        let before = (1u64 << (8 * int_digits)) - 1;
        let w = (word(text, at)? & before) | (word(text, at + 1)? & !before);
        return Some(exact_f64(eight_digits(w << (8 * (8 - digits)))) / POW10[decimals]);
    }
    let mut mantissa = digits_value(text, at, int_digits)?;
    if decimals == 0 {
        // An integer (a volume): `x / 1.0` is `x`, without the division's latency.
        return Some(exact_f64(mantissa));
    }
    let after = digits_value(text, at + int_digits + 1, decimals)?;
    mantissa = mantissa * POW10_INT[decimals] + after;
    Some(exact_f64(mantissa) / POW10[decimals])
}

/// `m as f64` for `m` below 2^63 (every mantissa here is at most 2^53): the same correctly
/// rounded conversion of the same integer through the signed instruction, where the unsigned
/// one is a sequence of several on x86-64.
#[inline(always)]
fn exact_f64(m: u64) -> f64 {
    debug_assert!(m < 1 << 63);
    m as i64 as f64
}

/// `plain_number`, first trying `shape` (the field's last plain shape), which it then updates.
fn shaped_number(text: &[u8], start: usize, shape: &mut Shape) -> Option<(f64, usize)> {
    let as_before = || {
        let words = [word(text, start)?, word(text, start + 8)?];
        // The lanes say where the non-digits are; the bytes there must be the point and a stop.
        let point = shape.decimals == 0 || text[start + shape.int_digits] == b'.';
        let stop = matches!(text[start + shape.len], b',' | b'\n');
        if !(shape.fits(words.map(non_digit_lanes)) && point && stop) {
            return None;
        }
        let v = known_number(text, start, shape.int_digits, shape.decimals)?;
        Some((v, start + shape.len))
    };
    if let Some(found) = as_before() {
        return Some(found);
    }
    let (v, end) = plain_number(text, start)?;
    let len = end - start;
    if len < 16 {
        *shape = Shape::new(len, text[start..end].iter().position(|&c| c == b'.'));
    }
    Some((v, end))
}

/// `field_end`, first trying `shape` (the field's last shape), which it then updates.
fn shaped_field_end(text: &[u8], start: usize, shape: &mut Shape) -> usize {
    let as_before = || {
        let words = [word(text, start)?, word(text, start + 8)?];
        shape
            .fits(words.map(stop_lanes))
            .then_some(start + shape.len)
    };
    if let Some(end) = as_before() {
        return end;
    }
    let end = field_end(text, start);
    if end - start < 16 {
        *shape = Shape::new(end - start, None);
    }
    end
}

/// Offset of the first comma or line feed at or after `start`, or the end of `text`.
fn field_end(text: &[u8], start: usize) -> usize {
    let mut p = start;
    while text.get(p).is_some_and(|&c| c != b',' && c != b'\n') {
        p += 1;
    }
    p
}

/// The top bit of each lane of `w` that is a comma or a line feed.
fn stop_lanes(w: u64) -> u64 {
    (!nonzero_lanes(w ^ lanes(b',')) | !nonzero_lanes(w ^ lanes(b'\n'))) & lanes(0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random texts over the bytes that matter (digits, point, both stops, and bytes next to
    /// them in ASCII), read from random offsets in runs that carry one shape along, as a row's
    /// field does: each read must be `plain_number`'s (or `field_end`'s), bit for bit, and the
    /// shape must settle most of them.
    #[test]
    fn shaped_reads_are_the_plain_ones() {
        let alphabet = b"0123456789.,\n/:-+e ";
        let mut rng = fastrand::Rng::with_seed(0x0DD_BA11);
        let (mut numbers, mut fields) = (Shape::UNSEEN, Shape::UNSEEN);
        let (mut hits, mut reads) = (0, 0);
        for round in 0..300_000 {
            // Runs of texts alike in shape (a template with a digit or two changed), and now
            // and then a new template.
            let len = rng.usize(0..40);
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.u8(..4) > 0 {
                        b'0' + rng.u8(..10)
                    } else {
                        alphabet[rng.usize(..alphabet.len())]
                    }
                })
                .collect();
            let starts = if len == 0 {
                vec![0]
            } else {
                vec![rng.usize(..len); 6]
            };
            for (k, &start) in starts.iter().enumerate() {
                let mut t = text.clone();
                if k > 0 && len > 0 {
                    let at = rng.usize(..len);
                    if t[at].is_ascii_digit() {
                        t[at] = b'0' + rng.u8(..10);
                    }
                }
                let before = numbers;
                let got = shaped_number(&t, start, &mut numbers);
                let want = plain_number(&t, start);
                assert_eq!(
                    got.map(|(v, e)| (v.to_bits(), e)),
                    want.map(|(v, e)| (v.to_bits(), e)),
                    "round {round}: {:?} from {start}",
                    String::from_utf8_lossy(&t)
                );
                reads += 1;
                hits += usize::from(before == numbers && got.is_some());
                assert_eq!(
                    shaped_field_end(&t, start, &mut fields),
                    field_end(&t, start)
                );
            }
        }
        assert!(hits * 4 > reads, "{hits} of {reads}");
    }

    #[test]
    fn shapes_mark_the_point_and_the_stop() {
        let s = Shape::new(8, Some(1));
        assert_eq!((s.int_digits, s.decimals, s.len), (1, 6, 8));
        assert_eq!(s.keep, [u64::from_le_bytes([0x80; 8]), 0x80]);
        assert_eq!(s.expect, [0x8000, 0x80]);
        let s = Shape::new(15, None);
        assert_eq!((s.int_digits, s.decimals), (15, 0));
        assert_eq!(s.expect, [0, 0x80 << 56]);
        assert!(!Shape::UNSEEN.fits([0, 0]));
        assert!(!Shape::UNSEEN.fits([u64::MAX, u64::MAX]));
    }

    /// Rows of one layout with fresh digits, some with a byte changed (to anything: digits,
    /// separators, signs, bytes of UTF-8): row by row, the reader with its template gives what
    /// a reader without one gives.
    #[test]
    fn template_reads_are_the_field_reads() {
        let cols = Columns {
            layout: Layout::Daily,
            date: 0,
            time: None,
            open: 1,
            high: 2,
            low: 3,
            close: 4,
            volume: 6,
            fields: 7,
        };
        let odd = b"0123456789.,\n-+e \xc3\xa9\xff\x7f\x00/:";
        let mut rng = fastrand::Rng::with_seed(0x7E3B_1A7E);
        let (mut fitted, mut rows) = (0, 0);
        for _ in 0..300 {
            // Up to five layouts, rows taking one at random: each number's digits before and
            // after its point (none: no point).
            let layouts: Vec<Vec<(usize, usize)>> = (0..rng.usize(1..6))
                .map(|_| {
                    (0..6)
                        .map(|_| (rng.usize(1..10), rng.usize(0..9)))
                        .collect()
                })
                .collect();
            let mut text = Vec::new();
            for _ in 0..rng.usize(1..60) {
                let widths = &layouts[rng.usize(..layouts.len())];
                let mut row = format!(
                    "{:04}-{:02}-{:02}",
                    rng.u32(1900..2100),
                    rng.u32(1..13),
                    rng.u32(1..29)
                )
                .into_bytes();
                for &(int, dec) in widths {
                    row.push(b',');
                    row.extend((0..int).map(|_| b'0' + rng.u8(..10)));
                    if dec > 0 {
                        row.push(b'.');
                        row.extend((0..dec).map(|_| b'0' + rng.u8(..10)));
                    }
                }
                if rng.u8(..4) == 0 {
                    let at = rng.usize(..row.len());
                    row[at] = odd[rng.usize(..odd.len())];
                }
                text.extend_from_slice(&row);
                text.push(b'\n');
            }
            let mut reader = FastDaily::new(&cols).unwrap();
            let mut start = 0;
            while start < text.len() {
                fitted += usize::from(
                    reader
                        .templates
                        .iter()
                        .any(|t| t.read(&text, start, &mut MonthMemo::default()).is_some()),
                );
                let got = reader.parse(&text, start);
                let fresh = FastDaily::new(&cols).unwrap().parse_fields(&text, start);
                assert_eq!(got, fresh, "{:?}", String::from_utf8_lossy(&text[start..]));
                rows += 1;
                start += text[start..].iter().position(|&c| c == b'\n').unwrap() + 1;
            }
        }
        assert!(fitted * 2 > rows, "{fitted} of {rows}");
    }

    /// Every layout of up to 15 digits, with random digits and a stop after: the known-layout
    /// read is `plain_number`'s, bit for bit (or `None` only where the text ends too soon).
    #[test]
    fn known_numbers_are_plain_ones() {
        let mut rng = fastrand::Rng::with_seed(47);
        for int_digits in 1..=15 {
            for decimals in 0..=(15 - int_digits) {
                for _ in 0..300 {
                    let mut t: Vec<u8> = (0..int_digits).map(|_| b'0' + rng.u8(..10)).collect();
                    if decimals > 0 {
                        t.push(b'.');
                        t.extend((0..decimals).map(|_| b'0' + rng.u8(..10)));
                    }
                    t.push([b',', b'\n'][rng.usize(..2)]);
                    // Other bytes after the stop, as the rest of a row.
                    t.extend((0..16).map(|_| rng.u8(..)));
                    let want = plain_number(&t, 0).map(|(v, _)| v.to_bits());
                    let got = known_number(&t, 0, int_digits, decimals).map(f64::to_bits);
                    assert_eq!(got, want, "{}", String::from_utf8_lossy(&t));
                }
            }
        }
    }

    #[test]
    fn plain_numbers_stop_at_separators() {
        assert_eq!(plain_number(b"12.5,3", 0), Some((12.5, 4)));
        assert_eq!(plain_number(b"1,12.5\n", 2), Some((12.5, 6)));
        assert_eq!(plain_number(b"7", 0), Some((7.0, 1)));
        for bad in [
            "",
            ",",
            "5.,",
            ".5",
            "-1",
            "1e3",
            "1 ",
            "1.2.3",
            "12345678901234567890",
        ] {
            assert_eq!(plain_number(bad.as_bytes(), 0), None, "{bad}");
        }
    }
}
