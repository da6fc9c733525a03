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
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        self.input_bytes += input.len() as u64;
        out.reserve(input.len() + input.len() / 16 + 4);
        while let Some((&first, rest)) = input.split_first() {
            if self.pending_cr {
                self.pending_cr = false;
                out.extend_from_slice(b"\r\n");
                self.at_line_start = true;
                if first == b'\n' {
                    input = rest;
                    continue;
                }
            }
            if self.at_line_start && self.dot_stuff && first == b'.' {
                out.push(b'.');
            }
            match input.iter().position(|&b| b == b'\r' || b == b'\n') {
                None => {
                    out.extend_from_slice(input);
                    self.at_line_start = false;
                    return;
                }
                Some(pos) => {
                    let (text, tail) = input.split_at(pos);
                    out.extend_from_slice(text);
                    if tail.first() == Some(&b'\n') {
                        out.extend_from_slice(b"\r\n");
                        self.at_line_start = true;
                    } else {
                        self.pending_cr = true;
                        self.at_line_start = false;
                    }
                    input = tail.get(1..).unwrap_or_default();
                }
            }
        }
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

    #[test]
    fn bdat_normalizes_without_stuffing() {
        let mut enc = BodyEncoder::bdat();
        let mut out = Vec::new();
        enc.push(b".a\n.\rb", &mut out);
        enc.finish(&mut out);
        assert_eq!(out, b".a\r\n.\r\nb\r\n");
    }
}
