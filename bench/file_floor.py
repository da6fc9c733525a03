#!/usr/bin/env python3
"""The file-system floor of a bulk download: how long creating and writing
N files of SIZE bytes takes here, with no network and no sync at all.

usage: python3 bench/file_floor.py [DIR] [N] [SIZE]   (default /var/tmp 2000 20790)
"""
import os
import sys
import tempfile
import time

base = sys.argv[1] if len(sys.argv) > 1 else "/var/tmp"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
size = int(sys.argv[3]) if len(sys.argv) > 3 else 20790
data = os.urandom(size)
with tempfile.TemporaryDirectory(dir=base) as folder:
    start = time.perf_counter()
    for i in range(count):
        fd = os.open(os.path.join(folder, f"{i}.eml"), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, data)
        os.close(fd)
    print(f"created and wrote {count} files of {size} B in {time.perf_counter() - start:.3f} s (no sync)")
