//! Message numbers and sequence sets (RFC 3501 §9 `sequence-set`).
//!
//! Sets from the server (COPYUID, APPENDUID, ESEARCH ALL) stay as ranges:
//! `1:4294967295` costs two numbers, never four billion.

use std::fmt;

/// A message sequence number (1-based position in the selected mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeqNum(pub u32);

/// A unique identifier (RFC 3501 §2.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uid(pub u32);

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One end of a range: a number or `*` (the largest number in use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A number.
    Num(u32),
    /// `*`.
    Star,
}

/// A sequence set: ranges kept as written, never expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceSet {
    ranges: Vec<(Bound, Bound)>,
}

impl SequenceSet {
    /// A set of one number.
    pub fn single(n: u32) -> Self {
        SequenceSet {
            ranges: vec![(Bound::Num(n), Bound::Num(n))],
        }
    }

    /// `first:last`.
    pub fn range(first: u32, last: u32) -> Self {
        SequenceSet {
            ranges: vec![(Bound::Num(first), Bound::Num(last))],
        }
    }

    /// `1:*`, every message.
    pub fn all() -> Self {
        SequenceSet {
            ranges: vec![(Bound::Num(1), Bound::Star)],
        }
    }

    /// The smallest set covering `numbers`, runs joined into ranges.
    /// Returns `None` when `numbers` is empty (an empty set cannot be written).
    pub fn from_numbers(numbers: impl IntoIterator<Item = u32>) -> Option<Self> {
        let mut sorted: Vec<u32> = numbers.into_iter().filter(|&n| n > 0).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut ranges: Vec<(Bound, Bound)> = Vec::new();
        for n in sorted {
            match ranges.last_mut() {
                Some((_, Bound::Num(end))) if end.checked_add(1) == Some(n) => *end = n,
                _ => ranges.push((Bound::Num(n), Bound::Num(n))),
            }
        }
        (!ranges.is_empty()).then_some(SequenceSet { ranges })
    }

    /// Parses `1,3:5,7:*`.
    ///
    /// # Errors
    /// `None` on anything else (zero, overflow, empty parts).
    pub fn parse(text: &str) -> Option<Self> {
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (parse_bound(a)?, parse_bound(b)?),
                None => {
                    let a = parse_bound(part)?;
                    (a, a)
                }
            };
            ranges.push((a, b));
        }
        Some(SequenceSet { ranges })
    }

    /// The ranges as written (`a:b` may have `a > b`; that means the same).
    pub fn ranges(&self) -> &[(Bound, Bound)] {
        &self.ranges
    }

    /// True when `n` is in the set; `star` is the value `*` stands for.
    pub fn contains(&self, n: u32, star: u32) -> bool {
        self.ranges.iter().any(|&(a, b)| {
            let (a, b) = (resolve(a, star), resolve(b, star));
            a.min(b) <= n && n <= a.max(b)
        })
    }

    /// The numbers in the set in order written, produced lazily; `*` is `star`.
    pub fn iter(&self, star: u32) -> impl Iterator<Item = u32> + '_ {
        self.ranges.iter().flat_map(move |&(a, b)| {
            let (a, b) = (resolve(a, star), resolve(b, star));
            a.min(b)..=a.max(b)
        })
    }
}

fn resolve(bound: Bound, star: u32) -> u32 {
    match bound {
        Bound::Num(n) => n,
        Bound::Star => star,
    }
}

fn parse_bound(text: &str) -> Option<Bound> {
    if text == "*" {
        return Some(Bound::Star);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|&n| n > 0).map(Bound::Num)
}

impl fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write_bound(f, *a)?;
            if a != b {
                f.write_str(":")?;
                write_bound(f, *b)?;
            }
        }
        Ok(())
    }
}

fn write_bound(f: &mut fmt::Formatter<'_>, b: Bound) -> fmt::Result {
    match b {
        Bound::Num(n) => write!(f, "{n}"),
        Bound::Star => f.write_str("*"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sets() {
        for text in ["1", "1:*", "2,4:7,9,12:*", "4294967295", "5:3"] {
            assert_eq!(SequenceSet::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "",
            "0",
            "1:",
            ":2",
            "1,,2",
            "a",
            "4294967296",
            "1:0",
            "-1",
            " 1",
        ] {
            assert!(SequenceSet::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn huge_ranges_stay_ranges() {
        let set = SequenceSet::parse("1:4294967295").unwrap();
        assert_eq!(set.ranges().len(), 1);
        assert!(set.contains(4_000_000_000, 0));
        assert_eq!(set.iter(0).take(3).collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    fn numbers_join_into_ranges() {
        let set = SequenceSet::from_numbers([5, 1, 2, 3, 9, 10, 3]).unwrap();
        assert_eq!(set.to_string(), "1:3,5,9:10");
        assert!(SequenceSet::from_numbers([]).is_none());
        assert!(set.contains(2, 0) && !set.contains(4, 0));
        assert!(SequenceSet::parse("3:*").unwrap().contains(7, 9));
    }
}
