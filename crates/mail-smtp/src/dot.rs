//! The message body on the wire: line endings normalized to CRLF and, for
//! DATA, dot-stuffing (RFC 5321 §4.5.2) with the `.` terminator.
//!
//! Every CR and every LF that leaves the encoder is part of a CRLF pair, and
//! every line that starts with `.` gets a second one, so the body can never
//! hold a bare CR or LF nor an early `<CRLF>.<CRLF>`: the SMTP smuggling
//! attacks of 2023 (bare-LF `.` lines read as end-of-data by one server and
//! not by the next) cannot be driven through this client.

/// A streaming body encoder; feed it chunks of any size with [`push`](Self::push),
/// then call [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct BodyEncoder {
    dot_stuff: bool,
    at_line_start: bool,
    pending_cr: bool,
    input_bytes: u64,
}

impl BodyEncoder {
    /// For DATA: normalizes line endings and doubles leading dots.
    pub fn data() -> Self {
        BodyEncoder {
            dot_stuff: true,
            at_line_start: true,
            pending_cr: false,
            input_bytes: 0,
        }
    }

    /// For BDAT (RFC 3030): normalizes line endings only; chunks are counted,
    /// so no dot-stuffing is needed.
    pub fn bdat() -> Self {
        BodyEncoder {
            dot_stuff: false,
            ..BodyEncoder::data()
        }
    }

    /// Bytes fed so far.
    pub fn input_bytes(&self) -> u64 {
        self.input_bytes
    }

    /// Encodes one chunk of the message, appending to `out`. A CR at the end
    /// of a chunk is held until the next byte shows whether LF follows.
    ///
    /// Line ends are found with `memchr2`; text between the places that need
    /// a change (a bare CR or LF, a leading dot) is copied in one run, so a
    /// body already in CRLF lines costs one search and one copy.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        self.input_bytes += input.len() as u64;
        out.reserve(input.len() + input.len() / 16 + 4);
        if self.pending_cr {
            let Some((&first, rest)) = input.split_first() else {
                return;
            };
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
            if first == b'\n' {
                input = rest;
            }
        }
        if input.is_empty() {
            return;
        }
        if self.at_line_start && self.dot_stuff && input.first() == Some(&b'.') {
            out.push(b'.');
        }
        // `run` is where the bytes not yet copied start, `scan` where the
        // search for the next line end goes on.
        let (mut run, mut scan) = (0, 0);
        while let Some(found) = memchr::memchr2(b'\r', b'\n', input.get(scan..).unwrap_or_default())
        {
            let end = scan + found;
            let next = match (input.get(end), input.get(end + 1)) {
                // A CRLF stays as it is, inside the run.
                (Some(b'\r'), Some(b'\n')) => end + 2,
                (Some(b'\r'), None) => {
                    out.extend_from_slice(input.get(run..end).unwrap_or_default());
                    self.pending_cr = true;
                    self.at_line_start = false;
                    return;
                }
                // A bare CR or LF becomes CRLF.
                _ => {
                    out.extend_from_slice(input.get(run..end).unwrap_or_default());
                    out.extend_from_slice(b"\r\n");
                    run = end + 1;
                    end + 1
                }
            };
            if self.dot_stuff && input.get(next) == Some(&b'.') {
                out.extend_from_slice(input.get(run..next).unwrap_or_default());
                out.push(b'.');
                run = next;
            }
            scan = next;
        }
        out.extend_from_slice(input.get(run..).unwrap_or_default());
        // Ends at a line start exactly when the last byte ended a line.
        self.at_line_start = input.last() == Some(&b'\n');
    }

    /// Ends the body: completes a held CR, ends the last line with CRLF if
    /// needed, and for DATA appends the `.` line.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.pending_cr {
            self.pending_cr = false;
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
        if !self.at_line_start {
            out.extend_from_slice(b"\r\n");
            self.at_line_start = true;
        }
        if self.dot_stuff {
            out.extend_from_slice(b".\r\n");
        }
    }
}

/// Encodes a whole body for DATA, terminator included.
pub fn dot_stuff(body: &[u8]) -> Vec<u8> {
    let mut encoder = BodyEncoder::data();
    let mut out = Vec::with_capacity(body.len() + 8);
    encoder.push(body, &mut out);
    encoder.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a server does: strips the terminator and one leading dot per line.
    fn unstuff(wire: &[u8]) -> Vec<u8> {
        let body = wire.strip_suffix(b".\r\n").expect("terminator");
        let mut out = Vec::new();
        for line in body.split_inclusive(|&b| b == b'\n') {
            out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        out
    }

    fn assert_safe(wire: &[u8]) {
        for (i, &b) in wire.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(wire.get(i + 1), Some(&b'\n'), "bare CR at {i} in {wire:?}");
            }
            if b == b'\n' {
                assert_eq!(
                    i.checked_sub(1).and_then(|j| wire.get(j)),
                    Some(&b'\r'),
                    "bare LF at {i}"
                );
            }
        }
        assert!(wire.ends_with(b".\r\n"));
        if wire.len() > 3 {
            let end = wire.len() - 5;
            let first = wire.windows(5).position(|w| w == b"\r\n.\r\n");
            assert_eq!(first, Some(end), "early end of data in {wire:?}");
        }
    }

    #[test]
    fn known_bodies_encode() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
            (b"no newline", b"no newline\r\n.\r\n"),
            (b".leading\r\n..two\r\n", b"..leading\r\n...two\r\n.\r\n"),
            (b"a\n.\nb\n", b"a\r\n..\r\nb\r\n.\r\n"),
            (b"bare\rcr\r", b"bare\r\ncr\r\n.\r\n"),
            (b"mid.dot\r\n. x", b"mid.dot\r\n.. x\r\n.\r\n"),
            (b"\r\n.\r\n", b"\r\n..\r\n.\r\n"),
            (b"x\r\n.\rQUIT", b"x\r\n..\r\nQUIT\r\n.\r\n"),
            (b".", b"..\r\n.\r\n"),
            (b"\n\n", b"\r\n\r\n.\r\n"),
        ];
        for (input, expected) in table {
            assert_eq!(
                dot_stuff(input),
                *expected,
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn smuggling_sequences_never_end_the_data_early() {
        let attacks: &[&[u8]] = &[
            b"a\n.\nMAIL FROM:<x>\n",
            b"a\r\n.\nRCPT",
            b"a\n.\r\nDATA",
            b"a\r.\r\nQUIT",
            b"a\r\n.\r",
            b"\r\n.\r\n\r\n.\r\n",
        ];
        for attack in attacks {
            let wire = dot_stuff(attack);
            assert_safe(&wire);
        }
    }

    #[test]
    fn every_split_gives_the_same_bytes() {
        let body = b"From: a\r\n\r\n.x\n\r.\r\r\n..\n";
        let whole = dot_stuff(body);
        for split in 0..=body.len() {
            let (a, b) = body.split_at(split);
            let mut enc = BodyEncoder::data();
            let mut out = Vec::new();
            enc.push(a, &mut out);
            enc.push(b, &mut out);
            enc.finish(&mut out);
            assert_eq!(out, whole, "split at {split}");
        }
        let mut enc = BodyEncoder::data();
        let mut out = Vec::new();
        for byte in body {
            enc.push(std::slice::from_ref(byte), &mut out);
        }
        enc.finish(&mut out);
        assert_eq!(out, whole);
        assert_eq!(enc.input_bytes(), body.len() as u64);
    }

    #[test]
    fn random_bodies_are_safe_and_unstuff_to_the_normalized_input() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b".\r\nab";
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            let mut body = Vec::with_capacity(len);
            let mut s = seed;
            for _ in 0..len {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                body.push(alphabet[((s >> 33) % alphabet.len() as u64) as usize]);
            }
            let wire = dot_stuff(&body);
            assert_safe(&wire);
            // Normalizing by hand: every CRLF, CR or LF is one line end.
            let mut normalized = Vec::new();
            let mut i = 0;
            while i < body.len() {
                match (body[i], body.get(i + 1)) {
                    (b'\r', Some(b'\n')) => {
                        normalized.extend_from_slice(b"\r\n");
                        i += 2;
                        continue;
                    }
                    (b'\r' | b'\n', _) => normalized.extend_from_slice(b"\r\n"),
                    (b, _) => normalized.push(b),
                }
                i += 1;
            }
            if !normalized.is_empty() && !normalized.ends_with(b"\r\n") {
                normalized.extend_from_slice(b"\r\n");
            }
            assert_eq!(unstuff(&wire), normalized, "body {body:?}");
        }
    }

    /// The encoder one byte at a time: every CRLF, CR or LF is a line end
    /// written as CRLF; with `stuff` a line starting with `.` gets another.
    fn reference(body: &[u8], stuff: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at_line_start = true;
        let mut i = 0;
        while let Some(&b) = body.get(i) {
            if b == b'\r' || b == b'\n' {
                out.extend_from_slice(b"\r\n");
                at_line_start = true;
                i += if b == b'\r' && body.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                continue;
            }
            if at_line_start && stuff && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            at_line_start = false;
            i += 1;
        }
        if !at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        if stuff {
            out.extend_from_slice(b".\r\n");
        }
        out
    }

    fn encode_in_pieces(body: &[u8], cuts: &[usize], stuff: bool) -> Vec<u8> {
        let mut enc = if stuff {
            BodyEncoder::data()
        } else {
            BodyEncoder::bdat()
        };
        let mut out = Vec::new();
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
            let cut = cut.clamp(from, body.len());
            enc.push(&body[from..cut], &mut out);
            from = cut;
        }
        enc.finish(&mut out);
        assert_eq!(enc.input_bytes(), body.len() as u64);
        out
    }

    #[test]
    fn long_crlf_bodies_split_at_every_place_around_line_ends() {
        // Base64-like lines, some starting with a dot, one bare LF, one bare
        // CR and a CR ending the body: every special case near a cut.
        let mut body = Vec::new();
        for n in 0..12u8 {
            if n % 4 == 1 {
                body.push(b'.');
            }
            body.extend((0..20).map(|i| b'A' + (i + n) % 26));
            body.extend_from_slice(match n {
                5 => b"\n",
                8 => b"\r",
                _ => b"\r\n",
            });
        }
        body.extend_from_slice(b".\r");
        for stuff in [true, false] {
            let expected = reference(&body, stuff);
            assert_eq!(encode_in_pieces(&body, &[], stuff), expected);
            for a in 0..=body.len() {
                assert_eq!(encode_in_pieces(&body, &[a], stuff), expected, "cut {a}");
                // Three pieces: a cut at `a`, then one or two bytes later,
                // so a piece may be a lone CR, LF or dot.
                for gap in [1, 2] {
                    let cuts = [a, a + gap];
                    assert_eq!(
                        encode_in_pieces(&body, &cuts, stuff),
                        expected,
                        "cuts {cuts:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn random_bodies_in_random_pieces_match_the_byte_at_a_time_encoder() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b".\r\nab";
        for _ in 0..3000 {
            let len = (next() % 200) as usize;
            let body: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut cuts: Vec<usize> = (0..next() % 6)
                .map(|_| (next() % (len as u64 + 1)) as usize)
                .collect();
            cuts.sort_unstable();
            for stuff in [true, false] {
                assert_eq!(
                    encode_in_pieces(&body, &cuts, stuff),
                    reference(&body, stuff),
                    "body {body:?} cuts {cuts:?}"
                );
            }
        }
    }

    #[test]
    fn bdat_normalizes_without_stuffing() {
        let mut enc = BodyEncoder::bdat();
        let mut out = Vec::new();
        enc.push(b".a\n.\rb", &mut out);
        enc.finish(&mut out);
        assert_eq!(out, b".a\r\n.\r\nb\r\n");
    }
}
