//! Quoted-printable (RFC 2045 §6.7): an encoder for text bodies and a
//! decoder that keeps malformed escapes as they are.

const MAX_LINE: usize = 76;

fn hex_digit(v: u8) -> u8 {
    match v & 15 {
        d @ 0..=9 => b'0' + d,
        d => b'A' + (d - 10),
    }
}

/// Encodes text whose line breaks are CRLF; the breaks stay hard breaks and
/// every output line is at most 76 characters (soft breaks `=\r\n`).
pub(crate) fn encode(input: &[u8], out: &mut Vec<u8>) {
    let mut lines = input.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        let line = if last {
            line
        } else {
            line.strip_suffix(b"\r").unwrap_or(line)
        };
        encode_line(line, out);
        if !last {
            out.extend_from_slice(b"\r\n");
        }
    }
}

fn encode_line(line: &[u8], out: &mut Vec<u8>) {
    let mut col = 0usize;
    for (i, &b) in line.iter().enumerate() {
        let at_end = i + 1 == line.len();
        let literal =
            matches!(b, b'!'..=b'<' | b'>'..=b'~') || (matches!(b, b' ' | b'\t') && !at_end);
        let width = if literal { 1 } else { 3 };
        // Keep room for the soft break `=` unless this is the line's last char.
        let limit = if at_end { MAX_LINE } else { MAX_LINE - 1 };
        if col + width > limit {
            out.extend_from_slice(b"=\r\n");
            col = 0;
        }
        if literal {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'=', hex_digit(b >> 4), hex_digit(b)]);
        }
        col += width;
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// Decodes a quoted-printable body: `=XX` escapes, soft breaks (`=` before
/// a line break, trailing white space allowed), and trailing white space on
/// hard-broken lines removed; a malformed `=` is kept literally. Line
/// breaks stay as they are in the input (CRLF or LF).
pub(crate) fn decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut pos = 0;
    while pos < input.len() {
        let rest = input.get(pos..).unwrap_or_default();
        let Some(off) = memchr::memchr2(b'=', b'\n', rest) else {
            // Last line without a break: its trailing white space goes too.
            out.extend_from_slice(trim_ws(rest));
            break;
        };
        let run = rest.get(..off).unwrap_or_default();
        if rest.get(off) == Some(&b'\n') {
            let (run, eol): (&[u8], &[u8]) = match run.strip_suffix(b"\r") {
                Some(r) => (r, b"\r\n"),
                None => (run, b"\n"),
            };
            out.extend_from_slice(trim_ws(run));
            out.extend_from_slice(eol);
            pos += off + 1;
            continue;
        }
        out.extend_from_slice(run);
        pos += off;
        // Runs of escapes (text in a non-Latin script is mostly escapes)
        // decode here without another search per escape.
        let escapes = escape_run(input.get(pos..).unwrap_or_default(), &mut out);
        if escapes > 0 {
            pos += escapes;
            continue;
        }
        // A soft break: `=`, optional white space, then a line break or the end.
        let after = input.get(pos + 1..).unwrap_or_default();
        let ws = after
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let tail = after.get(ws..).unwrap_or_default();
        if tail.is_empty() {
            break;
        } else if tail.starts_with(b"\r\n") {
            pos += 1 + ws + 2;
        } else if tail.starts_with(b"\n") {
            pos += 1 + ws + 1;
        } else {
            out.push(b'=');
            pos += 1;
        }
    }
    out
}

/// Decodes consecutive valid `=XX` escapes at the start of `input`;
/// returns the input bytes used.
fn escape_run(input: &[u8], out: &mut Vec<u8>) -> usize {
    let mut used = 0;
    for chunk in input.chunks_exact(3) {
        let &[b'=', hi, lo] = chunk else {
            break;
        };
        let (Some(h), Some(l)) = (hex_value(hi), hex_value(lo)) else {
            break;
        };
        out.push(h << 4 | l);
        used += 3;
    }
    used
}

fn trim_ws(run: &[u8]) -> &[u8] {
    let end = run
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |p| p + 1);
    run.get(..end).unwrap_or_default()
}

/// Length of `encode` output, without building it.
pub(crate) fn encoded_len(input: &[u8]) -> usize {
    let mut out = Vec::new();
    encode(input, &mut out);
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(s, &mut out);
        out
    }

    #[test]
    fn encodes_and_round_trips() {
        let cases: &[&[u8]] = &[
            b"plain ascii",
            b"a=b\r\nline two \r\n",
            "caf\u{e9} na\u{ef}ve".as_bytes(),
            b"trailing tab\t",
            &[b'x'; 200],
            &[0xff; 100],
            b"",
            b"\r\n\r\n",
        ];
        for &case in cases {
            let e = enc(case);
            assert!(e.split(|&b| b == b'\n').all(|l| l.len() <= 77), "{e:?}");
            assert!(e.iter().all(|&b| b < 128));
            assert_eq!(decode(&e), case, "{:?}", String::from_utf8_lossy(&e));
        }
        assert_eq!(enc(b"a=b"), b"a=3Db");
        assert_eq!(enc(b"end "), b"end=20");
    }

    #[test]
    fn decodes_rfc2045_soft_breaks_and_junk() {
        assert_eq!(
            decode(b"Now's the time =\r\nfor all"),
            b"Now's the time for all"
        );
        assert_eq!(decode(b"soft = \r\nbreak"), b"soft break");
        assert_eq!(decode(b"bad =ZZ escape=4"), b"bad =ZZ escape=4");
        assert_eq!(decode(b"lower =c3=a9"), "lower \u{e9}".as_bytes());
        assert_eq!(decode(b"trail   \r\nx"), b"trail\r\nx");
        assert_eq!(decode(b"lf only\nx=\n"), b"lf only\nx");
    }

    #[test]
    fn escape_runs_decode_like_single_escapes() {
        let text = "안녕하세요 =\r\n세계".as_bytes();
        let e = enc(text);
        assert_eq!(decode(&e), text);
        // Runs broken by a bad escape, a soft break, a short tail, lower case.
        assert_eq!(decode(b"=EC=95=88=ZZ=EB"), b"\xec\x95\x88=ZZ\xeb");
        assert_eq!(decode(b"=EC=95=\r\n=88"), b"\xec\x95\x88");
        assert_eq!(decode(b"=EC=95=\n=88=4"), b"\xec\x95\x88=4");
        assert_eq!(decode(b"=ec=9=5"), b"\xec=9=5");
        assert_eq!(decode(b"=3D=3D=\t \r\n=3D"), b"===");
        // Soft breaks at every position of an escaped line.
        let line = b"=EC=95=88=EB=85=95";
        for at in (0..=line.len()).step_by(3) {
            let mut input = line[..at].to_vec();
            input.extend_from_slice(b"=\r\n");
            input.extend_from_slice(&line[at..]);
            assert_eq!(decode(&input), "안녕".as_bytes(), "soft break at {at}");
        }
    }
}
