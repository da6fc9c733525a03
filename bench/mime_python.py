#!/usr/bin/env python3
"""Python `email` (policy default) parse throughput on the same inputs as
bench/benches/mime_parse.rs: the fixture corpus (structure and full)."""
import email
import email.policy
import glob
import os
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "mime")


def structure(data):
    m = email.message_from_bytes(data, policy=email.policy.default)
    n = len(str(m.get("subject", "")))
    for p in m.walk():
        if not p.is_multipart():
            n += len(p.get_content_type()) + len(p.get_filename() or "")
    return n


def full(data):
    m = email.message_from_bytes(data, policy=email.policy.default)
    n = len(str(m.get("subject", ""))) + len(str(m.get("from", "")))
    for p in m.walk():
        if p.is_multipart():
            continue
        b = p.get_payload(decode=True) or b""
        if p.get_content_maintype() == "text":
            try:
                n += len(b.decode(p.get_content_charset() or "ascii", errors="replace"))
            except LookupError:
                n += len(b.decode("utf-8", errors="replace"))
        else:
            n += len(b)
    return n


def run(name, fn, msgs, seconds=3.0):
    total = sum(len(m) for m in msgs)
    t0 = time.perf_counter()
    rounds = 0
    while time.perf_counter() - t0 < seconds:
        for m in msgs:
            fn(m)
        rounds += 1
    dt = time.perf_counter() - t0
    print("python-email %-10s %-7s %8.2f MB/s" % (name, fn.__name__, total * rounds / dt / 1e6))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--peak":
        return peak(sys.argv[2])
    msgs = [open(f, "rb").read() for f in sorted(glob.glob(os.path.join(ROOT, "*", "*.eml")))]
    for fn in (structure, full):
        run("corpus", fn, msgs)
    if len(sys.argv) > 1:
        big = [open(f, "rb").read() for f in sys.argv[1:]]
        for fn in (structure, full):
            run("large", fn, big, seconds=5.0)



def peak(path):
    """Peak RSS of Python's email reading one large message fully."""
    import resource
    data = open(path, "rb").read()
    full(data)
    print("%-17s input %4d MiB  peak RSS %4d MiB" % ("python-email", len(data) >> 20,
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10))


if __name__ == "__main__":
    main()
