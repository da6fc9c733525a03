use super::*;
use crate::sequence::{SeqNum, SequenceSet, Uid};

fn parse(bytes: &[u8]) -> Response {
    let (r, used) =
        parse_response(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)));
    assert_eq!(used, bytes.len(), "{}", String::from_utf8_lossy(bytes));
    r
}

fn untagged(bytes: &[u8]) -> Untagged {
    match parse(bytes) {
        Response::Untagged(u) => u,
        other => panic!("{other:?}"),
    }
}

/// Examples from RFC 3501 §7 and §8, RFC 9051, RFC 4315, RFC 4731, RFC 7162.
const VALID: &[&[u8]] = &[
    b"* OK IMAP4rev1 Service Ready\r\n",
    b"* PREAUTH IMAP4rev1 server logged in as Smith\r\n",
    b"* BYE Autologout; idle for too long\r\n",
    b"* OK [ALERT] System shutdown in 10 minutes\r\n",
    b"a001 OK LOGIN completed\r\n",
    b"A044 BAD No such command as \"BLURDYBLOOP\"\r\n",
    b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI XPIG-LATIN\r\n",
    b"* LIST (\\Noselect) \"/\" ~/Mail/foo\r\n",
    b"* LIST () NIL INBOX\r\n",
    b"* LSUB () \".\" #news.comp.mail.misc\r\n",
    b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
    b"* SEARCH 2 3 6\r\n",
    b"* SEARCH\r\n",
    b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
    b"* 23 EXISTS\r\n",
    b"* 5 RECENT\r\n",
    b"* 44 EXPUNGE\r\n",
    b"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)\r\n",
    b"+ Ready for additional command text\r\n",
    b"+\r\n",
    b"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
    b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
    b"A142 OK [READ-WRITE] SELECT completed\r\n",
    b"A003 OK [APPENDUID 38505 3955] APPEND completed\r\n",
    b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
    b"* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n",
    b"* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800\r\n",
    b"* ESEARCH (TAG \"A284\") ALL 1:3,5\r\n",
    b"* ENABLED CONDSTORE QRESYNC\r\n",
    b"* ENABLED\r\n",
    b"* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" NIL)\r\n",
    b"* ID NIL\r\n",
    b"* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\"))\r\n",
    b"* NAMESPACE ((\"\" \".\")) NIL NIL\r\n",
    b"* 12 FETCH (BODY[HEADER] {10}\r\nSubject: x)\r\n",
    b"* 1 FETCH (UID 7 MODSEQ (12121231000))\r\n",
    b"* 1 FETCH (BODY[]<0> {3}\r\nabc BODY[1.2] NIL)\r\n",
    b"* 1 FETCH (BINARY[1] {2}\r\nhi BINARY.SIZE[1] 2)\r\n",
    b"* OK [HIGHESTMODSEQ 715194045007] Highest\r\n",
    b"a1 NO [REFERRAL IMAP://user;AUTH=*@SERVER2/] Remote Server\r\n",
    b"* OK [CAPABILITY IMAP4rev2 LITERAL+ IDLE] Dovecot ready.\r\n",
    b"* OK\r\n",
    b"* 3 XSOMETHING extension data\r\n",
    b"* XNEW (1 2) \"x\"\r\n",
    b"a9 OK [XUNKNOWN arg here] fine\r\n",
    b"* 2 FETCH (X-GM-LABELS (\\Inbox \"Work\"))\r\n",
];

#[test]
fn rfc_examples_parse_whole() {
    for bytes in VALID {
        parse(bytes);
    }
}

#[test]
fn every_prefix_is_incomplete() {
    for bytes in VALID {
        for end in 0..bytes.len() {
            let prefix = &bytes[..end];
            assert_eq!(
                parse_response(prefix),
                Err(ParseError::Incomplete),
                "{:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

#[test]
fn known_answers() {
    assert_eq!(untagged(b"* 23 EXISTS\r\n"), Untagged::Exists(23));
    assert_eq!(untagged(b"* 44 EXPUNGE\r\n"), Untagged::Expunge(SeqNum(44)));
    assert_eq!(
        untagged(b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n"),
        Untagged::Capability(vec![
            "IMAP4rev1".into(),
            "STARTTLS".into(),
            "AUTH=PLAIN".into()
        ])
    );
    assert_eq!(
        untagged(b"* LIST (\\HasNoChildren) \".\" \"&sLSsjMT0ulTHfNVo-\"\r\n"),
        Untagged::List(ListItem {
            attributes: vec![Flag("\\HasNoChildren".into())],
            delimiter: Some('.'),
            name: "&sLSsjMT0ulTHfNVo-".into()
        })
    );
    let Untagged::List(item) = untagged(b"* LIST () \".\" {6}\r\nmy box\r\n") else {
        panic!()
    };
    assert_eq!(item.name, "my box");
    assert_eq!(
        untagged(b"* STATUS \"a b\" (MESSAGES 231 UIDNEXT 44292)\r\n"),
        Untagged::MailboxStatus {
            mailbox: "a b".into(),
            items: vec![("MESSAGES".into(), 231), ("UIDNEXT".into(), 44292)]
        }
    );
    assert_eq!(
        untagged(b"* SEARCH 2 3 6 (MODSEQ 917162500)\r\n"),
        Untagged::Search {
            numbers: vec![2, 3, 6],
            modseq: Some(917_162_500)
        }
    );
    let Untagged::Esearch(e) =
        untagged(b"* ESEARCH (TAG \"A284\") UID ALL 1:3,5:4294967295 COUNT 9\r\n")
    else {
        panic!()
    };
    assert_eq!(e.tag.as_deref(), Some("A284"));
    assert!(e.uid);
    assert_eq!(e.all().unwrap().to_string(), "1:3,5:4294967295");
    assert_eq!(e.count(), Some(9));
    let Response::Tagged(t) = parse(b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n")
    else {
        panic!()
    };
    assert_eq!(
        t.text.code,
        Some(Code::CopyUid {
            validity: 38505,
            from: SequenceSet::parse("304,319:320").unwrap(),
            to: SequenceSet::parse("3956:3958").unwrap()
        })
    );
    assert_eq!(t.text.text, "Done");
    let Response::Tagged(t) =
        parse(b"a1 NO [REFERRAL IMAP://user;AUTH=*@SERVER2/] Remote Server\r\n")
    else {
        panic!()
    };
    assert_eq!(
        t.text.code,
        Some(Code::Referral("IMAP://user;AUTH=*@SERVER2/".into()))
    );
    assert_eq!(
        parse(b"+ idling\r\n"),
        Response::Continuation("idling".into())
    );
    let Untagged::Id(id) = untagged(b"* ID (\"name\" \"Dovecot\" \"os\" NIL)\r\n") else {
        panic!()
    };
    assert_eq!(
        id,
        vec![("name".into(), Some("Dovecot".into())), ("os".into(), None)]
    );
    let Untagged::Namespace([personal, other, shared]) =
        untagged(b"* NAMESPACE ((\"\" \".\")) NIL NIL\r\n")
    else {
        panic!()
    };
    assert_eq!(
        personal,
        vec![Namespace {
            prefix: String::new(),
            delimiter: Some('.')
        }]
    );
    assert!(other.is_empty() && shared.is_empty());
}

#[test]
fn fetch_items_parse() {
    let Untagged::Fetch(f) = untagged(
        b"* 12 FETCH (FLAGS (\\Seen $Label1) UID 345 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 MODSEQ (65402) BODY[HEADER.FIELDS (FROM)]<0> {20}\r\nFrom: a@example.test BODY[] NIL)\r\n",
    ) else {
        panic!()
    };
    assert_eq!(f.seq, SeqNum(12));
    assert_eq!(f.uid(), Some(Uid(345)));
    assert_eq!(f.flags().unwrap().len(), 2);
    assert!(f.items.contains(&FetchItem::InternalDate(
        "17-Jul-1996 02:44:25 -0700".into()
    )));
    assert!(f.items.contains(&FetchItem::Size(4286)));
    assert!(f.items.contains(&FetchItem::ModSeq(65402)));
    assert_eq!(
        f.items[5],
        FetchItem::Body {
            section: "BODY[HEADER.FIELDS (FROM)]".into(),
            origin: Some(0),
            data: NString::Bytes(b"From: a@example.test".to_vec())
        }
    );
    assert_eq!(
        f.items[6],
        FetchItem::Body {
            section: "BODY[]".into(),
            origin: None,
            data: NString::Nil
        }
    );
}

#[test]
fn two_literals_in_one_fetch() {
    let Untagged::Fetch(f) =
        untagged(b"* 1 FETCH (BODY[HEADER] {4}\r\nH\r\n\r BODY[TEXT] {5}\r\nbody\n UID 9)\r\n")
    else {
        panic!()
    };
    assert_eq!(
        f.items[0],
        FetchItem::Body {
            section: "BODY[HEADER]".into(),
            origin: None,
            data: NString::Bytes(b"H\r\n\r".to_vec())
        }
    );
    assert_eq!(
        f.items[1],
        FetchItem::Body {
            section: "BODY[TEXT]".into(),
            origin: None,
            data: NString::Bytes(b"body\n".to_vec())
        }
    );
    assert_eq!(f.uid(), Some(Uid(9)));
}

#[test]
fn envelope_and_bodystructure_parse() {
    // RFC 3501 §8 example.
    let bytes = b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n";
    let Untagged::Fetch(f) = untagged(bytes) else {
        panic!()
    };
    let FetchItem::Envelope(env) = &f.items[3] else {
        panic!()
    };
    assert_eq!(
        env.subject.as_deref(),
        Some(&b"IMAP4rev1 WG mtg summary and minutes"[..])
    );
    assert_eq!(env.cc.len(), 2);
    assert_eq!(env.cc[1].mailbox.as_deref(), Some(&b"KLENSIN"[..]));
    assert_eq!(
        env.message_id.as_deref(),
        Some(&b"<B27397-0100000@cac.washington.edu>"[..])
    );
    let FetchItem::BodyStructure(body) = &f.items[4] else {
        panic!()
    };
    let BodyStructure::Single {
        media_type,
        size,
        lines,
        params,
        ..
    } = body.as_ref()
    else {
        panic!()
    };
    assert_eq!(
        (media_type.as_str(), *size, *lines),
        ("TEXT", 3028, Some(92))
    );
    assert_eq!(
        params,
        &vec![("CHARSET".to_string(), "US-ASCII".to_string())]
    );

    let multi = b"* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 300 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1) 9) \"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL))\r\n";
    let Untagged::Fetch(f) = untagged(multi) else {
        panic!()
    };
    let FetchItem::BodyStructure(body) = &f.items[0] else {
        panic!()
    };
    let BodyStructure::Multipart {
        parts,
        subtype,
        extension,
    } = body.as_ref()
    else {
        panic!()
    };
    assert_eq!(subtype, "MIXED");
    assert_eq!(parts.len(), 2);
    assert_eq!(extension.len(), 4);
    let BodyStructure::Single {
        message: Some(inner),
        lines,
        ..
    } = &parts[1]
    else {
        panic!()
    };
    assert_eq!(*lines, Some(9));
    assert_eq!(inner.0.subject.as_deref(), Some(&b"s"[..]));
}

#[test]
fn malformed_responses_are_errors() {
    let table: &[(&[u8], &str)] = &[
        (b"* 4294967296 EXISTS\r\n", "a number below 2^32"),
        (b"* 1 FETCH (UID 0)\r\n", "a non-zero number"),
        (b"* 1 FETCH FLAGS\r\n", "`(` opening FETCH data"),
        (b"a1 MAYBE ok\r\n", "OK, NO or BAD after a tag"),
        (b"a1 OK [UIDNEXT x] y\r\n", "a number"),
        (
            b"* LIST (\\X) \"ab\" INBOX\r\n",
            "a one-character delimiter",
        ),
        (
            b"* 1 FETCH (ENVELOPE (NIL))\r\n",
            "an envelope of ten fields",
        ),
        (b"* 1 FETCH (BODY (\"TEXT\"))\r\n", "a body structure"),
        (b"* 1 FETCH (FLAGS (\\Seen)\r\n", "a space"),
        (
            b"* 1 FETCH (RFC822.SIZE 99999999999999999999999)\r\n",
            "a number below 2^64",
        ),
        (b"* FLAGS (\\Seen \"x\")\r\n", "a flag"),
        (b"* 1 FETCH (INTERNALDATE \"a\nb\")\r\n", "a closing quote"),
        (b"* OK [COPYUID 1 0:3 4] x\r\n", "a sequence set"),
    ];
    for (bytes, expected) in table {
        match parse_response(bytes) {
            Err(ParseError::Malformed { expected: e, .. }) => {
                assert_eq!(e, *expected, "{}", String::from_utf8_lossy(bytes))
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(bytes)),
        }
    }
}

#[test]
fn error_messages_show_where() {
    let err = parse_response(b"a1 MAYBE\x1b[2J ok\r\n").unwrap_err();
    assert_eq!(err.to_string(), "expected OK, NO or BAD after a tag at byte 3 of the response, found \"MAYBE\\x1b[2J ok\\x0d\\x0a\"");
}

#[test]
fn streamed_literals_are_reported_by_size() {
    let text = b"* 3 FETCH (UID 8 BODY[] {52428800}\r\n)\r\n";
    let at = text.iter().position(|&b| b == b')').unwrap();
    let (r, _) = parse_with_streamed(text, &[at]).unwrap();
    let Response::Untagged(Untagged::Fetch(f)) = r else {
        panic!()
    };
    assert_eq!(f.body(), Some(&NString::Streamed(52_428_800)));
}

#[test]
fn huge_announced_literal_without_bytes_is_only_incomplete() {
    assert_eq!(
        parse_response(b"* 1 FETCH (BODY[] {18446744073709551615}\r\nabc"),
        Err(ParseError::Incomplete)
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut seed = 0x2545_f491_u64;
    let alphabet: &[u8] = b"* ()[]{}<>\"\\0123456789+ABCFHLNOSTUX.\r\n\x00\xff";
    for round in 0..20000 {
        let len = (round % 60) + 1;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let _ = parse_response(&bytes);
    }
    // Mutations of every valid response.
    for bytes in VALID {
        for i in 0..bytes.len() {
            for b in [b'(', b')', b'{', b'"', b' ', b'\r', b'9', b'\\'] {
                let mut m = bytes.to_vec();
                m[i] = b;
                let _ = parse_response(&m);
            }
        }
    }
}

#[test]
fn deeply_nested_lists_do_not_overflow() {
    let mut bytes = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    bytes.extend(std::iter::repeat_n(b'(', 100));
    bytes.extend(std::iter::repeat_n(b')', 100));
    bytes.extend_from_slice(b")\r\n");
    assert!(parse_response(&bytes).is_err());
}

#[test]
fn recorded_dovecot_responses_parse() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/imap/dovecot-fetch.txt"
    ))
    .unwrap();
    let mut parsed = 0;
    let mut envelopes = 0;
    let lines: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("S: ")).collect();
    let mut i = 0;
    while i < lines.len() {
        // Reassemble literals: `{n}` ends a line, the literal's lines follow.
        let mut bytes = Vec::new();
        loop {
            let line = lines[i];
            i += 1;
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
            let Some(open) = line.strip_suffix('}').and_then(|l| l.rfind('{')) else {
                break;
            };
            let size: usize = line[open + 1..line.len() - 1].parse().unwrap();
            let start = bytes.len();
            while bytes.len() - start < size {
                bytes.extend_from_slice(lines[i].as_bytes());
                bytes.extend_from_slice(b"\r\n");
                i += 1;
            }
            // The literal's last CRLF belongs to the literal; what follows continues the line.
            assert_eq!(bytes.len() - start, size);
            let rest = lines[i];
            i += 1;
            bytes.extend_from_slice(rest.as_bytes());
            bytes.extend_from_slice(b"\r\n");
            if !rest.ends_with('}') {
                break;
            }
            i -= 1;
            bytes.truncate(bytes.len() - rest.len() - 2);
        }
        let (response, used) = parse_response(&bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!(used, bytes.len());
        if let Response::Untagged(Untagged::Fetch(f)) = &response {
            if f.items
                .iter()
                .any(|i| matches!(i, FetchItem::Envelope(e) if e.cc.len() == 1 && e.to.len() == 2))
            {
                envelopes += 1;
            }
        }
        parsed += 1;
    }
    assert!(parsed > 20, "{parsed}");
    assert_eq!(envelopes, 3);
}

/// Issue 10: a response text shows its code in wire form and its words
/// escaped, so an error sentence keeps the whole reply.
#[test]
fn response_text_display_keeps_the_code_and_escapes_the_words() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
            "a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
        ),
        (
            b"a1 OK [APPENDUID 38505 3955:3957] APPEND completed\r\n",
            "a1 OK [APPENDUID 38505 3955:3957] APPEND completed",
        ),
        (
            b"a1 OK [COPYUID 7 1,3 10:11] done\r\n",
            "a1 OK [COPYUID 7 1,3 10:11] done",
        ),
        (
            b"a1 OK [READ-WRITE] SELECT completed\r\n",
            "a1 OK [READ-WRITE] SELECT completed",
        ),
        (
            b"a1 OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n",
            "a1 OK [CAPABILITY IMAP4rev1 IDLE] hi",
        ),
        (b"a1 NO [TRYCREATE]\r\n", "a1 NO [TRYCREATE]"),
        (
            b"a1 NO [X-ODD arg\x1b] no\x1b[2J \xc2\x9b bell\x07\r\n",
            "a1 NO [X-ODD arg\\x1b] no\\x1b[2J \\x9b bell\\x07",
        ),
        (b"a1 NO plain\r\n", "a1 NO plain"),
    ];
    for (bytes, want) in cases {
        match parse(bytes) {
            Response::Tagged(t) => assert_eq!(t.to_string(), *want),
            other => panic!("{other:?}"),
        }
    }
}
