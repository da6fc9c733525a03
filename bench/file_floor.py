#!/usr/bin/env python3
"""The disk floor of a bulk download: the same files written and made
durable the way `--fetch-all` does it, with no network at all.

Each file is created under a hidden temporary name and written; every 256
files or 64 MiB (whichever comes first) the batch is committed: one
`syncfs` of the file system, the renames to the final names, one `fsync`
of the directory. Prints the seconds as JSON on stdout.

usage: python3 bench/file_floor.py DIR [COUNT] [SIZE]   (default 2000 20790)
DIR must not exist yet (a fresh directory per run, as the benchmark gives
the programs); it is left in place for the caller to check and remove.
"""
import ctypes
import json
import os
import sys
import time

BATCH_FILES = 256
BATCH_BYTES = 64 * 1024 * 1024

folder = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
size = int(sys.argv[3]) if len(sys.argv) > 3 else 20790
data = os.urandom(size)
libc = ctypes.CDLL(None, use_errno=True)

start = time.perf_counter()
os.makedirs(folder)
dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
pending, pending_bytes = [], 0


def commit():
    global pending, pending_bytes
    if libc.syncfs(dir_fd) != 0:
        raise OSError(ctypes.get_errno(), "syncfs")
    for temp, final in pending:
        os.rename(temp, final)
    os.fsync(dir_fd)
    pending, pending_bytes = [], 0


for i in range(count):
    final = os.path.join(folder, f"{i}.eml")
    temp = os.path.join(folder, f".{i}.eml.part-{os.getpid()}-{i}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, data)
    os.close(fd)
    pending.append((temp, final))
    pending_bytes += size
    if len(pending) >= BATCH_FILES or pending_bytes >= BATCH_BYTES:
        commit()
if pending:
    commit()
os.close(dir_fd)
print(json.dumps({"files": count, "size": size, "secs": time.perf_counter() - start}))
