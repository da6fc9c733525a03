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
    base64_simd::STANDARD.encode_append(input, out);
}

/// Lines encoded per block by `encode_lines`: the block's symbols stay in
/// the first level of cache between the SIMD encoder and the copy that
/// breaks them into lines.
const BLOCK_LINES: usize = 64;

/// Base64 in lines of 76 characters, each ended by CRLF.
///
/// Whole blocks of lines are encoded at once by a SIMD encoder, then copied
/// out line by line with their CRLF: about ten times the speed of encoding
/// group by group (a 100 MB attachment costs the sender tens of
/// milliseconds, not most of a second).
pub(crate) fn encode_lines(input: &[u8], out: &mut Vec<u8>) {
    let mut symbols = [0u8; 76 * BLOCK_LINES];
    out.reserve(usize::try_from(encoded_lines_len(input.len() as u64)).unwrap_or(0));
    for block in input.chunks(LINE_INPUT * BLOCK_LINES) {
        let len = base64_simd::STANDARD.encoded_length(block.len());
        let Some(dst) = symbols.get_mut(..len) else {
            // A block never encodes past its buffer; keep going correctly anyway.
            encode_lines_slow(block, out);
            continue;
        };
        let encoded = base64_simd::STANDARD.encode(block, base64_simd::Out::from_slice(dst));
        for line in encoded.chunks(76) {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// `encode_lines` one line at a time through the plain encoder.
fn encode_lines_slow(input: &[u8], out: &mut Vec<u8>) {
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

/// Set in a `PLACED` entry for a byte outside the alphabet (and for `=`).
const BAD: u32 = 1 << 31;

/// Per symbol position in a group of four, each symbol's six bits already
/// shifted into place, so a group decodes with four look-ups and three ORs.
// Built at compile time: an out-of-range index would fail the build, not a run.
#[allow(clippy::indexing_slicing)]
const PLACED: [[u32; 256]; 4] = {
    let mut t = [[BAD; 256]; 4];
    let mut pos = 0;
    while pos < 4 {
        let mut i = 0;
        while i < 64 {
            t[pos][symbol(i as u32) as usize] = (i as u32) << (18 - 6 * pos);
            i += 1;
        }
        pos += 1;
    }
    t
};

/// A `PLACED` entry (a `u8` index is always in range; the check folds away).
fn placed(table: &[u32; 256], b: u8) -> u32 {
    table.get(usize::from(b)).copied().unwrap_or(BAD)
}

/// Decodes whole groups of four alphabet symbols from the start of `input`
/// into `dst` until a byte outside the alphabet (line break, `=`, junk);
/// returns (input bytes used, bytes written).
fn decode_groups(input: &[u8], dst: &mut [u8]) -> (usize, usize) {
    let [t0, t1, t2, t3] = &PLACED;
    let mut groups = 0;
    for (src, out) in input.chunks_exact(4).zip(dst.chunks_exact_mut(3)) {
        let (Some(&a), Some(&b), Some(&c), Some(&d)) =
            (src.first(), src.get(1), src.get(2), src.get(3))
        else {
            break;
        };
        let n = placed(t0, a) | placed(t1, b) | placed(t2, c) | placed(t3, d);
        if n & BAD != 0 {
            break;
        }
        let [_, x, y, z] = n.to_be_bytes();
        out.copy_from_slice(&[x, y, z]);
        groups += 1;
    }
    (groups * 4, groups * 3)
}

/// Room `Decoder::push` needs past the output's length for `input`: at
/// most three bytes per four symbols, and three pending symbols may carry.
fn max_decoded(input: usize) -> usize {
    input / 4 * 3 + 6
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
        let start = out.len();
        out.resize(start + max_decoded(input.len()), 0);
        let written = self.push_slice(input, out.get_mut(start..).unwrap_or_default());
        out.truncate(start + written);
    }

    /// `push` into a buffer of at least `max_decoded(input.len())` bytes;
    /// returns the bytes written.
    fn push_slice(&mut self, input: &[u8], dst: &mut [u8]) -> usize {
        let mut w = 0;
        let mut rest = input;
        loop {
            // Fast path: runs of whole groups (a base64 line) at a group start.
            if self.count == 0 {
                let (used, written) = decode_groups(rest, dst.get_mut(w..).unwrap_or_default());
                rest = rest.get(used..).unwrap_or_default();
                w += written;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                return w;
            };
            rest = tail;
            match sextet(byte) {
                INVALID => {}
                PAD => {
                    if self.count >= 2 {
                        w += self.flush_into(dst.get_mut(w..).unwrap_or_default());
                    }
                }
                v => {
                    self.acc = (self.acc << 6) | u32::from(v);
                    self.count += 1;
                    if self.count == 4 {
                        let [_, x, y, z] = self.acc.to_be_bytes();
                        if let Some(out) = dst.get_mut(w..w + 3) {
                            out.copy_from_slice(&[x, y, z]);
                            w += 3;
                        }
                        self.acc = 0;
                        self.count = 0;
                    }
                }
            }
        }
    }

    /// Emits whatever whole bytes the pending symbols hold.
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 2];
        let n = self.flush_into(&mut buf);
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }

    fn flush_into(&mut self, dst: &mut [u8]) -> usize {
        let bytes: &[u8] = match self.count {
            2 => &[(self.acc >> 4) as u8],
            3 => &[(self.acc >> 10) as u8, (self.acc >> 2) as u8],
            _ => &[],
        };
        let n = match dst.get_mut(..bytes.len()) {
            Some(out) => {
                out.copy_from_slice(bytes);
                bytes.len()
            }
            None => 0,
        };
        self.acc = 0;
        self.count = 0;
        n
    }
}

/// Decodes lenient base64 in one go.
pub(crate) fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; max_decoded(input.len())];
    let mut dec = Decoder::default();
    let mut n = dec.push_slice(input, &mut out);
    n += dec.flush_into(out.get_mut(n..).unwrap_or_default());
    out.truncate(n);
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

    /// The encoder of RFC 4648 §4 one group at a time, as a reference.
    fn reference_encode(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for chunk in input.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                out.push(if i <= chunk.len() {
                    symbol(n >> (18 - 6 * i))
                } else {
                    b'='
                });
            }
        }
        out
    }

    fn reference_lines(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for line in input.chunks(LINE_INPUT) {
            out.extend_from_slice(&reference_encode(line));
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn plain_encoder_matches_reference_at_every_length() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 167 + 13) as u8).collect();
        for n in 0..=data.len() {
            let mut out = Vec::new();
            encode(&data[..n], &mut out);
            assert_eq!(out, reference_encode(&data[..n]), "n={n}");
        }
    }

    #[test]
    fn line_encoder_matches_reference_at_every_length_mod_57_and_block_edges() {
        let block = LINE_INPUT * BLOCK_LINES;
        let data: Vec<u8> = (0..3 * block + 200)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
            .collect();
        // Every length up to three lines (each remainder mod 57, each mod 3),
        // then every length around the first block boundaries.
        let lengths = (0..=3 * LINE_INPUT)
            .chain(block - 60..=block + 60)
            .chain(2 * block - 3..=2 * block + 3)
            .chain(std::iter::once(data.len()));
        for n in lengths {
            let mut out = b"head".to_vec();
            encode_lines(&data[..n], &mut out);
            assert_eq!(&out[..4], b"head");
            let lines = &out[4..];
            assert_eq!(lines, reference_lines(&data[..n]), "n={n}");
            assert_eq!(lines.len() as u64, encoded_lines_len(n as u64), "n={n}");
            assert_eq!(decode(lines), &data[..n], "n={n}");
        }
    }

    #[test]
    fn line_encoder_keeps_every_byte_value() {
        let data: Vec<u8> = (0..=255u8).cycle().take(256 * 57).collect();
        let mut out = Vec::new();
        encode_lines(&data, &mut out);
        assert_eq!(out, reference_lines(&data));
        assert!(out
            .chunks(78)
            .all(|l| l.len() == 78 && l.ends_with(b"\r\n")));
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

    /// The lenient decoder one byte at a time, without the group fast path.
    fn reference(input: &[u8]) -> Vec<u8> {
        let (mut acc, mut count, mut out) = (0u32, 0u8, Vec::new());
        for &b in input {
            match sextet(b) {
                INVALID => {}
                PAD => {
                    match count {
                        2 => out.push((acc >> 4) as u8),
                        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
                        _ => {}
                    }
                    if count >= 2 {
                        (acc, count) = (0, 0);
                    }
                }
                v => {
                    acc = (acc << 6) | u32::from(v);
                    count += 1;
                    if count == 4 {
                        out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
                        (acc, count) = (0, 0);
                    }
                }
            }
        }
        match count {
            2 => out.push((acc >> 4) as u8),
            3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
            _ => {}
        }
        out
    }

    fn encoded(n: usize) -> (Vec<u8>, Vec<u8>) {
        let data: Vec<u8> = (0..n).map(|i| (i * 131 + 7) as u8).collect();
        let mut enc = Vec::new();
        encode(&data, &mut enc);
        (data, enc)
    }

    #[test]
    fn fast_path_matches_reference_with_breaks_and_junk_at_every_position() {
        let (data, enc) = encoded(40);
        for insert in [
            &b"\r\n"[..],
            b"\n",
            b" ",
            b"\t",
            b"!",
            b"=",
            b"\r\n ",
            b"\xff\x80",
        ] {
            for at in 0..=enc.len() {
                let mut input = enc[..at].to_vec();
                input.extend_from_slice(insert);
                input.extend_from_slice(&enc[at..]);
                assert_eq!(decode(&input), reference(&input), "{insert:?} at {at}");
                if !insert.contains(&b'=') {
                    assert_eq!(decode(&input), data, "{insert:?} at {at}");
                }
            }
        }
    }

    #[test]
    fn fast_path_matches_reference_on_wrapped_lines_and_odd_lengths() {
        for n in [0usize, 1, 2, 3, 4, 56, 57, 58, 171, 1000] {
            let (data, _) = encoded(n);
            let mut crlf = Vec::new();
            encode_lines(&data, &mut crlf);
            let lf: Vec<u8> = crlf.iter().copied().filter(|&b| b != b'\r').collect();
            for input in [&crlf, &lf] {
                assert_eq!(decode(input), data, "n={n}");
                for cut in [1, 3, input.len() / 2, input.len().saturating_sub(1)] {
                    let mut input = input.clone();
                    input.truncate(cut.min(input.len()));
                    assert_eq!(decode(&input), reference(&input), "n={n} cut={cut}");
                }
            }
        }
        let junk = b"Zm9v\x00YmFy====Zg=Zm8=Zm9=v\x7fYQ";
        assert_eq!(decode(junk), reference(junk));
    }

    #[test]
    fn pushes_split_anywhere_match_one_decode() {
        let (data, _) = encoded(300);
        let mut input = Vec::new();
        encode_lines(&data, &mut input);
        input.extend_from_slice(b"Zg==");
        for split in 0..input.len() {
            let mut dec = Decoder::default();
            let mut out = Vec::new();
            dec.push(&input[..split], &mut out);
            dec.push(&input[split..], &mut out);
            dec.flush(&mut out);
            assert_eq!(out, decode(&input), "split at {split}");
        }
        assert!(decode(&input).starts_with(&data));
    }
}
