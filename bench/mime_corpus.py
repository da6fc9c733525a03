#!/usr/bin/env python3
"""Writes a deterministic corpus of realistic mail for the MIME benchmarks.

Usage: mime_corpus.py DIR [MEGABYTES]   (default 50)

Composition: multipart/mixed messages with a multipart/alternative body
(Korean text as UTF-8 base64, UTF-8 quoted-printable or EUC-KR 8bit/QP, and
an HTML alternative), 0-3 base64 attachments of 8 KB-1 MB with RFC 2047 and
RFC 2231 file names, RFC 2047 subjects and display names; every fifth file
has LF line ends instead of CRLF.
"""
import base64
import os
import quopri
import random
import sys

KOREAN = ("안녕하세요. 이것은 한국어 본문의 한 줄입니다. 메일 파서의 문자셋 변환을 시험합니다. "
          "회의 자료와 보고서를 첨부합니다. 확인 부탁드립니다.\n")
NAMES = ["보고서", "회의록", "견적서", "사진", "계약서", "report", "data", "scan"]
EXTS = [("pdf", "application/pdf"), ("zip", "application/zip"),
        ("jpg", "image/jpeg"), ("bin", "application/octet-stream")]


def b_word(text, charset="utf-8"):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def b64_lines(data):
    enc = base64.b64encode(data)
    return b"\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + b"\n"


def qp(data):
    return quopri.encodestring(data)


def text_part(rng, boundary):
    lines = rng.randint(5, 120)
    text = "".join(KOREAN for _ in range(lines))
    kind = rng.randrange(4)
    if kind == 0:
        head = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        body = b64_lines(text.encode())
    elif kind == 1:
        head = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        body = qp(text.encode())
    elif kind == 2:
        head = b"Content-Type: text/plain; charset=euc-kr\nContent-Transfer-Encoding: 8bit\n\n"
        body = text.encode("euc-kr")
    else:
        head = b"Content-Type: text/plain; charset=ks_c_5601-1987\nContent-Transfer-Encoding: quoted-printable\n\n"
        body = qp(text.encode("euc-kr"))
    html = "<html><body>" + "".join("<p>%s</p>" % l for l in text.splitlines()) + "</body></html>\n"
    html_head = b"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    alt = (b"--" + boundary + b"\n" + head + body + b"\n--" + boundary + b"\n"
           + html_head + qp(html.encode()) + b"\n--" + boundary + b"--\n")
    return alt


def attachment(rng):
    size = int(8 * 1024 * (128 ** rng.random()))  # 8 KB .. 1 MB, log-uniform
    data = rng.randbytes(size)
    name = rng.choice(NAMES)
    ext, ctype = rng.choice(EXTS)
    fname = "%s_%d.%s" % (name, rng.randrange(1000), ext)
    if rng.random() < 0.5:
        quoted = "".join(c if c.isascii() and c.isalnum() or c in "._" else
                         "".join("%%%02X" % b for b in c.encode()) for c in fname)
        disp = "attachment; filename*=UTF-8''%s" % quoted
        ct = '%s; name="%s"' % (ctype, b_word(fname))
    else:
        disp = 'attachment; filename="%s"' % b_word(fname)
        ct = '%s; name="%s"' % (ctype, b_word(fname))
    head = ("Content-Type: %s\nContent-Disposition: %s\nContent-Transfer-Encoding: base64\n\n"
            % (ct, disp)).encode()
    return head + b64_lines(data)


def message(rng, i):
    outer = b"mix-%d" % i
    alt = b"alt-%d" % i
    subject = b_word("회의 자료 %d번 - 확인 부탁드립니다" % i) if rng.random() < 0.7 else "Report %d" % i
    head = ("From: %s <sender%d@example.com>\nTo: %s <rcpt@example.org>\nSubject: %s\n"
            "Date: Mon, 7 Dec 2026 10:%02d:00 +0900\nMessage-ID: <%d@example.com>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"
            % (b_word("홍길동"), i, b_word("김철수", "euc-kr"), subject, i % 60, i,
               outer.decode())).encode()
    msg = head + b"--" + outer + b"\nContent-Type: multipart/alternative; boundary=\"" + alt + b"\"\n\n"
    msg += text_part(rng, alt)
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        msg += b"--" + outer + b"\n" + attachment(rng)
    msg += b"--" + outer + b"--\n"
    return msg


def main():
    out = sys.argv[1]
    target = int(float(sys.argv[2]) if len(sys.argv) > 2 else 50) * 1_000_000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(2026)
    total = 0
    i = 0
    while total < target:
        msg = message(rng, i)
        if i % 5 != 4:
            msg = msg.replace(b"\n", b"\r\n")
        with open(os.path.join(out, "%05d.eml" % i), "wb") as f:
            f.write(msg)
        total += len(msg)
        i += 1
    print("%d files, %d bytes" % (i, total))


if __name__ == "__main__":
    main()
