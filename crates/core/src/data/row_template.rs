//! The last plain daily row as a template for the next.
//!
//! Why: the rows of most files repeat one byte layout (the same field widths, points and
//! separators, only the digits change). Checking a row against that layout a word at a time,
//! and then reading its numbers from known places, costs a third of finding its fields byte by
//! byte (`FastDaily`'s field reader, which reads every row that does not fit and teaches the
//! template its layout).
//!
//! A row fits when every byte where the template has a digit is a digit and every other byte
//! is the template's own: so its fields are where the template's were, its numbers have the
//! same digits before and after the same point, and `plain_number` would read each of them as
//! the division read here. Numbers of more than 15 digits are not templated (their mantissa
//! could pass 2^53, where `plain_number` gives up).

use super::fast_row::{known_number, lanes, FastRow};
use super::iso_date::MonthMemo;

/// What `FastDaily` does with a field, as the template needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Skip,
    Date,
    /// Index into open, high, low, close, volume.
    Value(usize),
}

/// Where a number of the row is, and how many digits it has before and after its point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NumberAt {
    at: usize,
    int_digits: usize,
    decimals: usize,
}

/// The byte layout of the last row `FastDaily`'s field reader read (see the module doc).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowTemplate {
    /// Bytes of the row, its line feed included; 0 while there is no template.
    len: usize,
    /// Per 8-byte word of the row: every bit of each lane that is not a digit, the bytes those
    /// lanes hold, and the top bit of each lane that is a digit (lanes past the row: none).
    special_mask: Vec<u64>,
    special: Vec<u64>,
    digits: Vec<u64>,
    date_at: usize,
    /// Open, high, low, close and volume, in that order (not the row's): read in a loop of
    /// fixed length into fixed places, the five values stay in registers, where an index
    /// taken from the row put them on the stack, to be copied out in wider loads than they
    /// were stored with (a stall the processor pays per row).
    numbers: [NumberAt; 5],
}

impl RowTemplate {
    /// Learns the layout of `text[start..=end]`, a row the field reader read with these
    /// `roles` (one per field), `end` its line feed. A row without a line feed (the end of
    /// the text) or with a number of more than 15 digits leaves no template.
    pub(crate) fn learn(&mut self, text: &[u8], start: usize, end: usize, roles: &[Role]) {
        self.len = 0;
        self.special_mask.clear();
        self.special.clear();
        self.digits.clear();
        let Some(row) = text.get(start..=end).filter(|r| r.last() == Some(&b'\n')) else {
            return;
        };
        let mut at = 0;
        // Which of the five numbers the row has (each must be there once).
        let mut seen = 0u8;
        for (role, field) in roles.iter().zip(row[..row.len() - 1].split(|&c| c == b',')) {
            match *role {
                Role::Date => self.date_at = at,
                Role::Value(k) => {
                    let point = field.iter().position(|&c| c == b'.');
                    let int_digits = point.unwrap_or(field.len());
                    let decimals = point.map_or(0, |p| field.len() - p - 1);
                    let Some(slot) = self.numbers.get_mut(k) else {
                        return;
                    };
                    if int_digits + decimals > 15 || seen & (1 << k) != 0 {
                        return;
                    }
                    seen |= 1 << k;
                    *slot = NumberAt {
                        at,
                        int_digits,
                        decimals,
                    };
                }
                Role::Skip => {}
            }
            at += field.len() + 1;
        }
        if seen != 0b1_1111 {
            return;
        }
        for chunk in row.chunks(8) {
            let (mut mask, mut bytes, mut digits) = (0u64, 0u64, 0u64);
            for (j, &c) in chunk.iter().enumerate() {
                if c.is_ascii_digit() {
                    digits |= 0x80 << (8 * j);
                } else {
                    mask |= 0xff << (8 * j);
                    bytes |= u64::from(c) << (8 * j);
                }
            }
            self.special_mask.push(mask);
            self.special.push(bytes);
            self.digits.push(digits);
        }
        self.len = row.len();
    }

    /// The row at `start` if it fits the template (`None` also when the text ends within a
    /// word the check or a number needs: the field reader then decides); its date is read
    /// through `month`.
    pub(crate) fn read(&self, text: &[u8], start: usize, month: &mut MonthMemo) -> Option<FastRow> {
        if self.len == 0 {
            return None;
        }
        // Every word of the row at once: `text` ends before the row's last word, or a byte
        // differs from the layout, and the row is not read here. The misfits of all the
        // words are OR'd together (no test per word), a loop the compiler can run two words
        // to an instruction.
        let row = text.get(start..start + 8 * self.special_mask.len())?;
        let mut misfit = 0u64;
        let words = row
            .chunks_exact(8)
            .zip(&self.special_mask)
            .zip(&self.special)
            .zip(&self.digits);
        for (((chunk, &mask), &bytes), &digits) in words {
            let Ok(w) = <[u8; 8]>::try_from(chunk).map(u64::from_le_bytes) else {
                return None;
            };
            // A lane is a digit when its byte xor '0' is below 10: adding 0x76 then leaves its
            // top bit clear. A carry out of a lane only comes from one whose own top bit is
            // set (flagged already, or a template byte at or above 0x80), and can only set bits
            // of the lanes above: it may reject a row, never accept one.
            let t = w ^ lanes(b'0');
            misfit |= ((w & mask) ^ bytes) | ((t.wrapping_add(lanes(0x76)) | t) & digits);
        }
        if misfit != 0 {
            return None;
        }
        let date_at = start + self.date_at;
        let (date, day) = month.read(text.get(date_at..date_at + 10)?)?;
        let mut ohlcv = [0.0; 5];
        for (v, n) in ohlcv.iter_mut().zip(&self.numbers) {
            *v = known_number(text, start + n.at, n.int_digits, n.decimals)?;
        }
        Some(FastRow {
            end: start + self.len - 1,
            date_at,
            date,
            day,
            ohlcv,
        })
    }
}
