//! Base64 (RFC 2045 §6.8): a line-wrapping encoder for bodies, a plain
//! encoder for encoded-words, and a lenient decoder for what real mail holds.

/// The base64 symbol for the low six bits of `v`.
const fn symbol(v: u32) -> u8 {
    let v = (v & 63) as u8;
    match v {
        0..=25 => b'A' + v,
        26..=51 => b'a' + (v - 26),
        52..=61 => b'0' + (v - 52),
        62 => b'+',
        _ => b'/',
    }
}

/// Input bytes per 76-character output line.
pub(crate) const LINE_INPUT: usize = 57;

/// Length of `encode_lines` output for `n` input bytes: 76-character lines,
/// each ended by CRLF (the last one may be shorter).
pub(crate) fn encoded_lines_len(n: u64) -> u64 {
    let chars = n.div_ceil(3) * 4;
    chars + 2 * chars.div_ceil(76)
}

/// Plain base64 with padding, no line breaks.
pub(crate) fn encode(input: &[u8], out: &mut Vec<u8>) {
    for chunk in input.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sym = |shift: u32| symbol(n >> shift);
        out.push(sym(18));
        out.push(sym(12));
        out.push(if chunk.len() > 1 { sym(6) } else { b'=' });
        out.push(if chunk.len() > 2 { sym(0) } else { b'=' });
    }
}

/// Base64 in lines of 76 characters, each ended by CRLF.
pub(crate) fn encode_lines(input: &[u8], out: &mut Vec<u8>) {
    for line in input.chunks(LINE_INPUT) {
        encode(line, out);
        out.extend_from_slice(b"\r\n");
    }
}

/// Marks a byte outside the alphabet in `DECODE`.
const INVALID: u8 = 0xff;
/// Marks `=` in `DECODE`.
const PAD: u8 = 0xfe;

// Built at compile time: an out-of-range index would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[symbol(i as u32) as usize] = i as u8;
        i += 1;
    }
    t[b'=' as usize] = PAD;
    t
};

fn sextet(b: u8) -> u8 {
    DECODE.get(usize::from(b)).copied().unwrap_or(INVALID)
}

/// Incremental lenient decoder: bytes outside the alphabet (white space,
/// line breaks, junk) are skipped; `=` ends the current group early, so
/// concatenated padded blobs decode; a dangling single symbol is dropped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Decoder {
    acc: u32,
    count: u8,
}

impl Decoder {
    /// Decodes `input`, appending to `out`; state carries to the next call.
    pub(crate) fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() / 4 * 3 + 3);
        let mut rest = input;
        loop {
            // Fast path: whole groups of four valid symbols at a group start.
            if self.count == 0 {
                while let Some((group, tail)) = rest.split_first_chunk::<4>() {
                    let [a, b, c, d] = group.map(sextet);
                    if (a | b | c | d) & 0xc0 != 0 {
                        break;
                    }
                    let n = (u32::from(a) << 18)
                        | (u32::from(b) << 12)
                        | (u32::from(c) << 6)
                        | u32::from(d);
                    out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
                    rest = tail;
                }
            }
            let Some((&byte, tail)) = rest.split_first() else {
                return;
            };
            rest = tail;
            match sextet(byte) {
                INVALID => {}
                PAD => {
                    if self.count >= 2 {
                        self.flush(out);
                    }
                }
                v => {
                    self.acc = (self.acc << 6) | u32::from(v);
                    self.count += 1;
                    if self.count == 4 {
                        out.extend_from_slice(&[
                            (self.acc >> 16) as u8,
                            (self.acc >> 8) as u8,
                            self.acc as u8,
                        ]);
                        self.acc = 0;
                        self.count = 0;
                    }
                }
            }
        }
    }

    /// Emits whatever whole bytes the pending symbols hold.
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) {
        match self.count {
            2 => out.push((self.acc >> 4) as u8),
            3 => {
                out.push((self.acc >> 10) as u8);
                out.push((self.acc >> 2) as u8);
            }
            _ => {}
        }
        self.acc = 0;
        self.count = 0;
    }
}

/// Decodes lenient base64 in one go.
pub(crate) fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut dec = Decoder::default();
    dec.push(input, &mut out);
    dec.flush(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_rfc4648_test_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = Vec::new();
            encode(plain.as_bytes(), &mut out);
            assert_eq!(out, enc.as_bytes());
            assert_eq!(decode(enc.as_bytes()), plain.as_bytes());
        }
    }

    #[test]
    fn line_length_formula_matches_encoder() {
        for n in [0usize, 1, 2, 3, 56, 57, 58, 114, 1000, 1003] {
            let data = vec![7u8; n];
            let mut out = Vec::new();
            encode_lines(&data, &mut out);
            assert_eq!(out.len() as u64, encoded_lines_len(n as u64), "n={n}");
            assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= 77));
            assert_eq!(decode(&out), data);
        }
    }

    #[test]
    fn decoder_is_lenient() {
        assert_eq!(decode(b"Zm9v\r\nYmFy"), b"foobar");
        assert_eq!(decode(b" Zm 9v YmE "), b"fooba");
        assert_eq!(decode(b"Zm9vYg"), b"foob");
        assert_eq!(decode(b"Zg==Zm8="), b"ffo");
        assert_eq!(decode(b"Zm9vY"), b"foo");
        assert_eq!(decode(b"!!!"), b"");
    }

    #[test]
    fn decoder_state_spans_calls() {
        let mut dec = Decoder::default();
        let mut out = Vec::new();
        for b in b"Zm9vYmFy" {
            dec.push(std::slice::from_ref(b), &mut out);
        }
        dec.flush(&mut out);
        assert_eq!(out, b"foobar");
    }
}
